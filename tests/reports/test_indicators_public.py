"""Reports «Мониторинг достижения показателей», «Паспорт ОО», «Комплексный анализ…» and
«Публичный доклад»: built from the stored values of the indicator fixture (school A, school B of
municipality 9901; school sch990101 of municipality 9902), rendered to DOCX and XLSX and read
back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from soko.accounts.scope import scope_for_user
from soko.indicators.models import Indicator, IndicatorValue
from soko.indicators.services import indicators_compute, target_set
from soko.reports.document import ReportRefused
from tests.indicators import fixture
from tests.reports.docs import (
    assert_filled,
    build,
    docx_file,
    docx_pictures,
    docx_table,
    docx_text,
    xlsx_chart_count,
    xlsx_file,
    xlsx_table,
)

pytestmark = pytest.mark.django_db

YEAR = fixture.YEAR
RESULTS = "Показатели: 1.1 Система оценки качества подготовки обучающихся"


def pct(numerator: float, denominator: float) -> float:
    return 100.0 * numerator / denominator


def ru(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


@pytest.fixture
def region(personas: Any) -> Any:
    """The indicator fixture computed for 2025–2026, with targets of the municipality."""
    with fixture.fake_flags():
        fixture.build(personas)
        indicators_compute(years=[YEAR - 1, YEAR])
    scope = scope_for_user(personas.authority)
    mun = personas.municipality
    common = {"territory": mun, "scope": scope, "document_number": "12-од",
              "document_date": dt.date(YEAR - 1, 9, 1),
              "document_title": "Приказ УО о целевых показателях"}
    # ВПР «2» of M is 8 of 32 = 25 % (lower is better): target 20 — not achieved.
    target_set(indicator=Indicator.objects.get(code="results.vpr_share2"), year=YEAR,
               value=20.0, **common)
    # ВПР качество of M is 17 of 32 = 53.1 %: target 50 — achieved.
    target_set(indicator=Indicator.objects.get(code="results.vpr_quality"), year=YEAR,
               value=50.0, **common)
    # A later target: evaluated by the trend.
    target_set(indicator=Indicator.objects.get(code="results.vpr_quality"), year=YEAR + 1,
               value=60.0, **common)
    return personas


def _row(table: list[list[Any]], name: str) -> list[Any]:
    found = [r for r in table if r and r[0] == name]
    assert found, f"строка «{name}» не найдена"
    return found[0]


# --- indicators --------------------------------------------------------------------------------


def test_indicators_report_numbers_targets_and_charts(region: Any, tmp_path: Path) -> None:
    p = region
    scope = scope_for_user(p.authority)
    doc = build("indicators", year=YEAR, scope=scope, territory=p.municipality)
    path = docx_file(doc, tmp_path)
    assert_filled(path)

    table = docx_table(path, RESULTS)
    share2 = _row(table, "ВПР, «2»")
    # columns: name, unit, 2024, 2025, 2026, change, dynamics, target, status
    assert share2[4] == f"{ru(pct(8, 32))} %" or share2[4] == ru(pct(8, 32))
    assert share2[7] == "20,0" and share2[8] == "не достигнуто"
    quality = _row(table, "ВПР, качество знаний")
    assert quality[4] == ru(pct(17, 32)) and quality[7] == "50,0"
    assert quality[8] == "достигнуто"
    stored = IndicatorValue.objects.get(indicator__code="results.vpr_success",
                                        territory=p.municipality, year=YEAR, breakdown_key="")
    assert _row(table, "ВПР, успеваемость")[4] == ru(stored.value)

    summary = docx_table(path, "Достижение целевых значений по направлениям")
    results_row = _row(summary, "1.1 Система оценки качества подготовки обучающихся")
    assert results_row[2:] == ["2", "1", "1", "0"]

    later = docx_table(path, "Целевые значения на последующие годы")
    assert later[1][0] == "ВПР, качество знаний" and later[1][1] == str(YEAR + 1)

    # One chart per direction that has a percent value of the municipality in the year.
    directions = set(
        IndicatorValue.objects.filter(territory=p.municipality, year=YEAR, breakdown_key="",
                                      suppressed=False, value__isnull=False,
                                      indicator__unit="%", indicator__retired=False)
        .values_list("indicator__direction", flat=True)
    )
    assert len(doc.charts()) == len(directions) >= 3
    assert docx_pictures(path) == len(directions)

    text = docx_text(path)
    assert "Не достигнуты целевые значения по 1 показателям: «ВПР, «2»» (25,0 % при цели " \
           "20,0 %)" in text
    assert "Минимальный размер группы для показа результатов" in text
    assert "Число последних лет для прогноза достижения целевого значения" in text
    assert "Приказ УО о целевых показателях № 12-од" in text

    xlsx = xlsx_file(doc, tmp_path)
    rows = xlsx_table(xlsx, RESULTS)
    row = _row(rows, "ВПР, «2»")
    assert row[4] == pytest.approx(round(pct(8, 32), 1)) and row[7] == 20.0
    assert row[8] == "не достигнуто"
    assert xlsx_chart_count(xlsx) == len(directions)

    # A school's report: its own values; the municipality's targets are not the school's.
    doc = build("indicators", year=YEAR, scope=scope_for_user(p.user_a),
                organization=p.school_a)
    row = _row(docx_table(docx_file(doc, tmp_path), RESULTS), "ВПР, «2»")
    assert row[4] == ru(pct(7, 22)) and row[8] == "цель не задана"

    with pytest.raises(ReportRefused) as err:
        build("indicators", year=2030, scope=scope, territory=p.municipality)
    assert "soko compute --year 2030" in err.value.reason


# --- passport ----------------------------------------------------------------------------------


def test_passport_of_a_school(region: Any, tmp_path: Path) -> None:
    from soko.cycle.models import Measure, Recommendation
    from soko.risks.models import Flag
    from tests.cycle.conftest import _small_roadmap

    p = region
    scope = scope_for_user(p.authority)
    Flag.objects.create(key="low|a", kind="low_results", organization=p.school_a, year=YEAR,
                        codes=["rule_30pct"], procedure="ВПР")
    Recommendation.objects.create(
        territory=p.municipality, organization=p.school_a, addressee="organization",
        direction="results", finding_kind="share2", year=YEAR,
        title="Разобрать затруднения по математике в 4 классе", text="…", status="approved",
    )
    measure = Measure.objects.create(territory=p.municipality, title="Методический десант",
                                     direction="low_results", status="in_progress")
    measure.organizations.add(p.school_a)
    from soko.cycle.services import item_add, roadmap_create, section_add

    _small_roadmap(p, scope, item_add, roadmap_create, section_add)

    doc = build("passport", year=YEAR, scope=scope, organization=p.school_a)
    path = docx_file(doc, tmp_path)
    assert_filled(path)
    registry = docx_table(path, "Сведения реестра")
    assert _row(registry, "Логин ФИС ОКО")[1] == "sch990001"
    assert _row(registry, "Обучающихся (реестр)")[1] == "50"
    social = docx_table(path, f"Социальный контекст ({YEAR} г.)")
    assert _row(social, "На учёте в КДН/ПДН")[1] == "2"

    results = docx_table(path, RESULTS)
    share2 = _row(results, "ВПР, «2»")
    # 2025: 6 of 12; 2026: 7 of 22; the municipality: 8 of 32.
    assert share2[3] == ru(pct(6, 12)) and share2[4] == ru(pct(7, 22))
    assert share2[5] == ru(pct(8, 32))

    flags = docx_table(path, "Флаги рисков организации")
    assert flags[1][1] == "низкие результаты обучения (ШНОР)" and flags[1][3] == "rule_30pct"
    recs = docx_table(path, "Адресные рекомендации организации")
    assert recs[1][2] == "Разобрать затруднения по математике в 4 классе"
    measures = docx_table(path, "Меры с участием организации")
    assert measures[1][0] == "Методический десант"
    items = docx_table(path, "Мероприятия дорожных карт, адресованные организации")
    # 1.1 (all schools) and 1.3 (school A by name); not 1.2 and 1.4.
    assert [r[0] for r in items[1:]] == ["1.1", "1.3"]
    assert docx_pictures(path) == len(doc.charts()) >= 1
    assert xlsx_chart_count(xlsx_file(doc, tmp_path)) == len(doc.charts())
    assert "Минимальный размер группы" in docx_text(path)

    # Another municipality's school is not available to this authority.
    with pytest.raises(ReportRefused):
        build("passport", year=YEAR, scope=scope, organization=p.school_far)
    # No indicators, results or flags for the year: a refusal naming the commands.
    Flag.objects.all().delete()
    with pytest.raises(ReportRefused) as err:
        build("passport", year=2030, scope=scope, organization=p.school_b)
    assert "soko compute --year 2030" in err.value.reason


# --- complex -----------------------------------------------------------------------------------


def _comprehensive(p: Any) -> None:
    """Stored results of the comprehensive analysis: A and B agree / disagree, one cohort of A,
    one cluster run of the region with A, B and the far school."""
    from soko.analyses.models import ClusterMember, ClusterRun, Cohort, SchoolAgreement
    from soko.cycle.models import Recommendation
    from soko.risks.models import Flag

    SchoolAgreement.objects.create(organization=p.school_a, year=YEAR, vpr=0.8, oge=-0.6,
                                   ege=-0.4, gap=1.4, agrees=False,
                                   text="ВПР заметно выше ГИА")
    SchoolAgreement.objects.create(organization=p.school_b, year=YEAR, vpr=0.3, oge=0.2,
                                   ege=None, gap=0.1, agrees=True, text="позиции согласованы")
    SchoolAgreement.objects.create(organization=p.school_far, year=YEAR, vpr=-1.0, oge=-1.1,
                                   ege=None, gap=0.1, agrees=True, text="позиции согласованы")
    Cohort.objects.create(organization=p.school_a, subject="МА", from_procedure="ВПР",
                          from_grade=4, from_year=YEAR - 1, to_procedure="ВПР", to_grade=5,
                          to_year=YEAR, from_n=20, to_n=20, from_z=0.2, to_z=-0.5,
                          from_share_2=0.1, to_share_2=0.3, change=-0.7, verdict="drop")
    run = ClusterRun.objects.create(
        year=YEAR, territory=p.region, method="k-средних", features=["ВПР", "ГИА"], k=2,
        clusters=[{"label": "Кластер 1", "size": 2, "centroid": {}, "description": "выше ГИА"},
                  {"label": "Кластер 2", "size": 1, "centroid": {}, "description": "ниже"}],
        schools=3, explanation="ОО сгруппированы по позициям ВПР и ГИА.",
    )
    for org, cluster, vpr, gia in [(p.school_a, 0, 0.8, -0.5), (p.school_b, 0, 0.3, 0.2),
                                   (p.school_far, 1, -1.0, -1.1)]:
        ClusterMember.objects.create(run=run, organization=org, cluster=cluster,
                                     features={"ВПР": vpr, "ГИА": gia})
    Flag.objects.create(key="obj|a", kind="objectivity", organization=p.school_a, year=YEAR,
                        codes=["M1"], procedure="ВПР")
    Flag.objects.create(key="obj|far", kind="objectivity", organization=p.school_far,
                        year=YEAR, codes=["M1"], procedure="ВПР")
    Recommendation.objects.create(
        territory=p.municipality, organization=p.school_a, addressee="organization",
        direction="objectivity", finding_kind="agreement", year=YEAR,
        title="Проверить объективность ВПР", text="…", status="draft",
    )


def test_complex_report(personas: Any, tmp_path: Path) -> None:
    p = personas
    _comprehensive(p)
    doc = build("complex", year=YEAR, scope=scope_for_user(p.authority),
                territory=p.municipality)
    path = docx_file(doc, tmp_path)
    assert_filled(path)
    positions = docx_table(path, "Позиции ОО по процедурам")
    assert [r[0] for r in positions[1:]] == ["Гимназия № 2", "СОШ № 1"]  # not «СОШ № 7»
    assert _row(positions, "СОШ № 1")[1:6] == ["0,80", "-0,60", "-0,40", "1,40", "нет"]
    cohorts = docx_table(path, "Когорты")
    assert cohorts[1][0] == "СОШ № 1" and cohorts[1][6] == "-0,70"
    assert cohorts[1][7] == "снижение"
    members = docx_table(path, "Состав кластеров (Тестовая область)")
    assert [r[1] for r in members[1:]] == ["Гимназия № 2", "СОШ № 1"]
    risks = docx_table(path, "Флаги рисков за год")
    assert _row(risks, "признаки необъективности")[1:3] == ["1", "1"]  # far school not counted
    recs = docx_table(path, "Адресные рекомендации по итогам года")
    assert recs[1][0] == "СОШ № 1" and recs[1][2] == "Проверить объективность ВПР"
    text = docx_text(path)
    assert "СОШ № 7" not in text
    assert "Позиции по ВПР и ГИА расходятся у 1 ОО" in text
    assert "Минимальный размер группы для показа результатов" in text
    # The cluster scatter and the recommendations by direction.
    assert docx_pictures(path) == 2 == len(doc.charts())
    xlsx = xlsx_file(doc, tmp_path)
    assert xlsx_chart_count(xlsx) == 2
    assert _row(xlsx_table(xlsx, "Позиции ОО по процедурам"), "СОШ № 1")[1] == 0.8


def test_complex_report_refuses_without_analysis(personas: Any) -> None:
    with pytest.raises(ReportRefused) as err:
        build("complex", year=YEAR, scope=scope_for_user(personas.authority),
              territory=personas.municipality)
    assert "soko analyze --year" in err.value.reason


# --- public ------------------------------------------------------------------------------------


def test_public_report(region: Any, tmp_path: Path) -> None:
    from soko.cycle.models import Measure
    from soko.risks.models import Flag

    p = region
    Flag.objects.create(key="low|a", kind="low_results", organization=p.school_a, year=YEAR,
                        codes=["rule_30pct"], procedure="ВПР")
    Flag.objects.create(key="low|far", kind="low_results", organization=p.school_far,
                        year=YEAR, codes=["rule_30pct"], procedure="ВПР")
    measure = Measure.objects.create(territory=p.municipality, title="Методический десант",
                                     direction="low_results", status="in_progress",
                                     start_date=dt.date(YEAR, 1, 15))
    measure.organizations.add(p.school_a, p.school_b)
    doc = build("public", year=YEAR, scope=scope_for_user(p.authority),
                territory=p.municipality)
    path = docx_file(doc, tmp_path)
    assert_filled(path)
    network = docx_table(path, "Основные сведения о сети")
    assert _row(network, "Организаций всего")[1] == "2"  # A and B, not the far school
    assert _row(network, "Обучающихся")[1] == "75"
    key = docx_table(path, "Ключевые показатели")
    share2 = _row(key, "ВПР, «2»")
    assert share2[3] == ru(pct(8, 32))
    support = docx_table(path, "Школы, которым оказывается поддержка")
    assert _row(support, "Низкие результаты обучения")[1] == "1"
    measures = docx_table(path, "Меры по повышению качества образования")
    assert measures[1][0] == "Методический десант" and measures[1][3] == "2"
    goals = docx_table(path, f"Целевые значения на {YEAR + 1} год")
    assert goals[1][0] == "ВПР, качество знаний" and goals[1][1] == "60,0"
    talents = docx_table(path, "Олимпиадное движение и одарённые дети")
    stored = IndicatorValue.objects.get(indicator__code="talents.vsosh_participants_municipal",
                                        territory=p.municipality, year=YEAR, breakdown_key="")
    assert _row(talents, "ВсОШ, муниципальный этап — участники")[1] == str(int(stored.value))
    text = docx_text(path)
    # No school is named anywhere in the public report.
    for name in ("СОШ № 1", "Гимназия № 2", "СОШ № 7"):
        assert name not in text
    assert docx_pictures(path) == 1 == len(doc.charts())
    xlsx = xlsx_file(doc, tmp_path)
    assert xlsx_chart_count(xlsx) == 1
    assert _row(xlsx_table(xlsx, "Ключевые показатели"), "ВПР, «2»")[3] == pytest.approx(
        round(pct(8, 32), 1))


def test_public_report_refuses_without_indicators(personas: Any) -> None:
    with pytest.raises(ReportRefused) as err:
        build("public", year=YEAR, scope=scope_for_user(personas.authority),
              territory=personas.municipality)
    assert "soko compute --year" in err.value.reason
