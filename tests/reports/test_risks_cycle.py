"""Reports of the risks and management-cycle areas — ШНОР / ШФНСУ, signs of non-objectivity,
roadmap execution, effectiveness of measures: the numbers in the DOCX and XLSX equal the stored
rows, every chart is present, the methodology lists thresholds with sources, a report refuses
when its data are missing and a municipal report shows no other territory's schools."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import time_machine
import xlsxwriter

from soko.reports.document import Document, ReportRefused
from soko.risks.describe import num
from tests.cycle import conftest as cycle_fixtures
from tests.reports.docs import (
    assert_filled,
    build,
    docx_file,
    docx_pictures,
    docx_table,
    docx_text,
    xlsx_chart_count,
    xlsx_file,
    xlsx_sheets,
    xlsx_table,
)
from tests.risks import conftest as risk_fixtures

pytestmark = pytest.mark.django_db

# the areas' fixtures (tests/risks/conftest.py, tests/cycle/conftest.py)
rule_world = risk_fixtures.rule_world
authority_scope = cycle_fixtures.authority_scope
small_roadmap = cycle_fixtures.small_roadmap


def scope_of(user: Any) -> Any:
    from soko.accounts.scope import scope_for_user

    return scope_for_user(user)


def render(doc: Document, tmp_path: Path) -> tuple[Path, Path]:
    docx, xlsx = docx_file(doc, tmp_path), xlsx_file(doc, tmp_path)
    assert_filled(docx)
    return docx, xlsx


def xrows(xlsx: Path, title: str) -> list[list[Any]]:
    """Body rows of a table sheet (without the header and the note line under the table)."""
    return [r for r in xlsx_table(xlsx, title)[1:] if any(v is not None for v in r[1:])]


def methodology(xlsx: Path) -> list[list[Any]]:
    return [r for r in xlsx_sheets(xlsx)["Методика"][1:] if any(r)]


def official_list(path: Path, rows: list[list[object]]) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("2026")
    for j, h in enumerate(["Год", "Логин", "Муниципалитет", "ОО", "4 РУ", "4 МА",
                           "Количество маркеров"]):
        ws.write(0, j, h)
    for i, row in enumerate(rows, start=1):
        for j, v in enumerate(row):
            ws.write(i, j, v)
    wb.close()
    return path


# --- risks -------------------------------------------------------------------------------------


def test_risk_reports_refuse_before_the_computation(personas) -> None:
    scope = scope_of(personas.authority)
    for kind in ("low-results", "objectivity"):
        with pytest.raises(ReportRefused) as err:
            build(kind, year=2026, scope=scope, territory=personas.municipality)
        assert "2026" in err.value.reason and "soko analyze --year 2026" in err.value.reason


def test_low_results_and_objectivity_lists(rule_world, tmp_path: Path) -> None:
    """Rule world (tests/risks/conftest.py): СОШ № 1 has 30 % «2» in both works two years
    running (ШНОР by the rule); СОШ № 3 is on the official list and gets objectivity flags;
    СОШ № 7 belongs to the neighbouring municipality."""
    from soko.imports.services import import_file
    from soko.risks.models import Flag, OfficialComparison, SchoolYearRisk
    from soko.risks.services import risks_compute

    import_file(
        official_list(tmp_path / "bias.xlsx", [
            [2026, "sch990003", "Тестовый округ", "СОШ № 3", 1, 0, 1],
            [2026, "sch990001", "Тестовый округ", "СОШ № 1", 0, 1, 1],
        ]),
        kind="objectivity_list", run_hooks=False,
    )
    risks_compute()
    p = rule_world.personas
    scope = scope_of(p.authority)

    # ШНОР / ШФНСУ
    doc = build("low-results", year=2026, scope=scope, territory=p.municipality)
    docx, xlsx = render(doc, tmp_path / "low")
    a = SchoolYearRisk.objects.get(organization__code="sch990001", year=2026)
    assert a.low_results and a.rule_30pct
    listed = docx_table(docx, "Перечень ШНОР и ШФНСУ")
    assert len(listed) == 2  # header + СОШ № 1
    row = dict(zip(listed[0], listed[1], strict=True))
    assert row["ОО"] == "СОШ № 1" and row["ШНОР: основание"] == "правило 30 %"
    assert row["Индекс результатов, SD"] == f"{a.results_index:.2f}".replace(".", ",")
    assert row["Решение по флагу"] == "ШНОР: не рассмотрен"
    (x_row,) = xrows(xlsx, "Перечень ШНОР и ШФНСУ")
    assert x_row[1] == "СОШ № 1" and x_row[6] == pytest.approx(round(a.results_index, 2))
    works = docx_table(docx, "Правило 30 %: работы ОО из перечня")
    assert [r[:6] for r in works[1:]] == [
        ["СОШ № 1", "ВПР МА 4 кл.", "10", "3", "30,0", "да"],
        ["СОШ № 1", "ВПР РУ 4 кл.", "10", "3", "30,0", "да"],
    ]
    quadrants = {r[0]: r[1] for r in xrows(xlsx, "Распределение ОО по квадрантам «социальный "
                                                      "контекст × результаты»")}
    stored = SchoolYearRisk.objects.filter(year=2026, organization__territory=p.municipality)
    assert sum(quadrants.values()) == stored.count() == 3
    assert quadrants["управленческая проблема"] == stored.filter(quadrant="management").count()
    text = docx_text(docx)
    assert "Правило выполняется" in text and "Рисковый профиль «500+»" in text
    assert "СОШ № 7" not in text and "sch990101" not in text  # another municipality
    assert docx_pictures(docx) == 1 and xlsx_chart_count(xlsx) == 1  # no social data: no scatter
    method = methodology(xlsx)
    names = {r[0]: r for r in method}
    rule = names["Доля участников ниже минимальной границы (правило 30 %)"]
    assert "Рособрнадзора" in rule[2] and rule[3]
    assert all(r[2] and r[3] for r in method)
    assert any("системное значение" in r[3] for r in method)
    assert any(s.startswith("Загрузка № ") for s in doc.sources)

    # with the social context stored, the quadrant scatter is drawn (PNG and native chart)
    for k, row in enumerate(stored.order_by("organization__code")):
        row.social_index = 0.5 * k - 0.5
        row.save(update_fields=["social_index"])
    doc = build("low-results", year=2026, scope=scope, territory=p.municipality)
    docx, xlsx = render(doc, tmp_path / "social")
    assert docx_pictures(docx) == 2 and xlsx_chart_count(xlsx) == 2
    (scatter,) = [c for c in doc.charts() if c.kind == "scatter"]
    expected_points = {r.organization.short_name: (r.social_index, round(r.results_index, 3))
                       for r in stored if r.results_index is not None}
    assert {name: (x, y) for name, x, y in zip(
        scatter.categories, scatter.series["ИСК"], scatter.series["Индекс результатов, SD"],
        strict=True)} == expected_points
    (tmp_path / "social" / "scatter.png").write_bytes(scatter.png)

    # признаки необъективности
    doc = build("objectivity", year=2026, scope=scope, territory=p.municipality)
    docx, xlsx = render(doc, tmp_path / "obj")
    flags = list(Flag.objects.filter(kind="objectivity", year=2026, current=True)
                 .order_by("subject"))
    assert {f.organization.code for f in flags} == {"sch990003"}
    listed = docx_table(docx, "Перечень ОО с признаками необъективности")
    assert len(listed) == 2
    row = dict(zip(listed[0], listed[1], strict=True))
    codes = sorted({c for f in flags for c in f.codes})
    assert row["ОО"] == "СОШ № 3" and row["Признаки"] == ", ".join(codes)
    assert row["Видов признаков"] == str(len(codes))
    assert row["Работ с признаками"] == str(len(flags))
    assert row["В перечне ФИОКО"] == "да" and row["Приоритет проверки"] == "высокий"
    detail = xrows(xlsx, "Обоснование признаков по работам")
    assert {c for f in flags for c in f.codes} == {"M3"}  # journal marks all equal
    expected = []
    for f in flags:
        m3 = f.evidence["markers"]["M3"]
        expected.append((f.work_label, "M3",
                         f"превышение ожидаемого {num(100 * m3['statistic'], 1)} п. п.",
                         f"≥ {num(m3['excess_pp'], 0)} п. п. при p ≤ {num(m3['alpha'], 5)}",
                         m3["n"]))
    assert [(r[1], r[2].split(" — ")[0], r[3], r[4], r[5]) for r in detail] == expected
    by_marker = {r[0]: r[2] for r in xrows(xlsx, "Число работ ОО по признакам")}
    assert by_marker == {c: sum(c in f.codes for f in flags)
                         for c in ("M1", "M2", "M3", "M4", "M5", "M6", "M8")}
    agreement = {r[0]: (r[1], r[2]) for r in xrows(xlsx, "Совпадение с официальным "
                                                              "перечнем")}
    stored_cmp = OfficialComparison.objects.filter(year=2026)
    assert agreement["в обоих перечнях"][0] == stored_cmp.filter(agreement="both").count() == 1
    assert agreement["только в официальном"][0] == 1  # СОШ № 1, МА
    text = docx_text(docx)
    assert "СОШ № 7" not in text
    assert docx_pictures(docx) == 1 and xlsx_chart_count(xlsx) == 1
    method = {r[0] for r in methodology(xlsx)}
    assert "Устойчивость признаков" in method and len(method) > 10

    # a school's report shows its own school only
    own = build("low-results", year=2026, scope=scope_of(p.user_b), organization=p.school_b)
    own_text = docx_text(docx_file(own, tmp_path / "own"))
    assert "СОШ № 1" not in own_text and "Риски рассчитаны для 1 ОО" in own_text


# --- roadmap -----------------------------------------------------------------------------------


def test_roadmap_refuses_without_a_roadmap(personas) -> None:
    with pytest.raises(ReportRefused) as err:
        build("roadmap", year=2026, scope=scope_of(personas.authority),
              territory=personas.municipality)
    assert "дорожной карты на 2026 год" in err.value.reason
    assert "soko roadmap import" in err.value.reason


def test_roadmap_execution(personas, authority_scope, small_roadmap, tmp_path: Path) -> None:
    """Small roadmap (tests/cycle/conftest.py) on 02.04.2026: 1.2 done (with a document),
    1.1 (I квартал) and 1.3 (February) overdue, 1.4 («постоянно») planned."""
    from soko.accounts.scope import SYSTEM
    from soko.cycle.services import (
        evidence_add,
        item_add,
        item_update,
        occurrence_set_status,
        roadmap_create,
    )

    item = small_roadmap.items.get(number="1.2")
    item_update(item=item, scope=authority_scope, indicator_code="results.completion",
                baseline=50.0, target=65.0, target_year=2026)
    with time_machine.travel(date(2026, 2, 20)):
        occurrence_set_status(occurrence=item.occurrences.get(), scope=authority_scope,
                              status="done")
    evidence_add(item=item, scope=authority_scope, title="Аналитическая справка",
                 url="https://example.org/spravka.pdf")
    other = roadmap_create(scope=SYSTEM, territory=personas.other_municipality,
                           title="Дорожная карта соседнего района", direction="results",
                           period_start=2026, period_end=2026, status="active")
    item_add(roadmap=other, scope=SYSTEM, number="1", title="Чужое мероприятие",
             deadline_text="до 01.02.2026", responsible_text="СОШ № 7")

    with time_machine.travel(date(2026, 4, 2)):
        doc = build("roadmap", year=2026, scope=authority_scope,
                    territory=personas.municipality)
    docx, xlsx = render(doc, tmp_path)
    title = f"Мероприятия: {small_roadmap.title}"
    items = {r[0]: r for r in docx_table(docx, title)[1:]}
    assert items["1.2"][4] == "выполнено" and items["1.2"][5] == "1"
    assert items["1.2"][7:10] == ["50,0", "65,0", "—"]
    assert items["1.1"][4] == "просрочено" and items["1.3"][4] == "просрочено"
    assert items["1.4"][4] == "запланировано"
    assert items["1.3"][3] == "СОШ № 1"
    statuses = {r[0]: (r[1], r[2]) for r in xrows(xlsx, "Исполнение мероприятий по "
                                                             "статусам")}
    assert statuses["выполнено"] == (1, pytest.approx(25.0))
    assert statuses["просрочено"] == (2, pytest.approx(50.0))
    assert statuses["запланировано"] == (1, pytest.approx(25.0))
    late = docx_table(docx, "Просроченные мероприятия")[1:]
    assert [(r[1], r[4], r[5]) for r in late] == [("1.3", "28.02.2026", "33"),
                                                  ("1.1", "31.03.2026", "2")]
    text = docx_text(docx)
    assert "Чужое мероприятие" not in text and "соседнего района" not in text
    assert "наибольшая просрочка — 33 дн." in text
    assert docx_pictures(docx) == 1 and xlsx_chart_count(xlsx) == 1
    method = methodology(xlsx)
    assert any(r[0] == "Статус мероприятия" for r in method)
    assert all(r[2] and r[3] for r in method)


# --- effectiveness -----------------------------------------------------------------------------

STUBS = {"indicators": {"results": 3}}


@pytest.fixture
def measures(personas, authority_scope, monkeypatch) -> Any:
    """A measure for 3 schools from 01.09.2024 with its decision, an analysis on a panel of
    3 targeted and 5 other schools (+3 points for the targeted) and the МУКО matrix."""
    from soko.cycle import muko
    from soko.cycle.services import (
        decision_save,
        effectiveness_compute,
        effectiveness_request,
        measure_save,
        muko_recompute,
    )
    from soko.cycle.services.selfassessment import PROBES
    from soko.registry.services import organization_create

    for name in list(PROBES):
        counts = STUBS.get(name, {})
        monkeypatch.setitem(PROBES, name, lambda ctx, direction, counts=counts, name=name: [
            muko.Evidence(f"{name} {k}", "", name) for k in range(counts.get(direction, 0))])
    third = organization_create(code="sch990003", name="МБОУ «СОШ № 3»", short_name="СОШ № 3",
                                territory=personas.municipality, kind="school",
                                org_type="СОШ", settlement="urban")
    targeted = [personas.school_a, personas.school_b, third]
    measure = measure_save(scope=authority_scope, territory=personas.municipality,
                           title="Семинары по дефицитам", direction="results",
                           start_date=date(2024, 9, 1), organizations=targeted,
                           responsible="МКУ «Методический центр»")
    decision_save(scope=authority_scope, territory=personas.municipality, kind="приказ",
                  number="7", date=date(2024, 8, 30), title="О семинарах", direction="results",
                  measures=[measure])
    orgs = [o.pk for o in targeted] + [10_000 + k for k in range(5)]
    panel = {org: {2024: 50.0 + k, 2025: 52.0 + k + (3 if k < 3 else 0) + 0.1 * (k % 2)}
             for k, org in enumerate(orgs)}
    analysis = effectiveness_compute(
        effectiveness_request(measure=measure, indicator_code="results.completion"),
        panel=panel)
    assert analysis.status == "ok"
    (muko_row,) = muko_recompute(territory=personas.municipality, today=date(2025, 12, 1))
    return analysis, muko_row


def test_effectiveness_refuses_without_measures(personas) -> None:
    with pytest.raises(ReportRefused) as err:
        build("effectiveness", year=2025, scope=scope_of(personas.authority),
              territory=personas.municipality)
    assert "Нет мер" in err.value.reason and "2025" in err.value.reason


def test_effectiveness_of_measures(personas, authority_scope, measures, tmp_path: Path) -> None:
    analysis, muko_row = measures
    doc = build("effectiveness", year=2025, scope=authority_scope,
                territory=personas.municipality)
    docx, xlsx = render(doc, tmp_path)
    (row,) = xrows(xlsx, "Эффективность мер: разность разностей")
    r = analysis.result
    assert row[0] == "Семинары по дефицитам"
    assert row[5] == pytest.approx(round(r["treated_before"], 2))
    assert row[6] == pytest.approx(round(r["treated_after"], 2))
    assert (row[7], row[10]) == (3, 5)
    assert row[11] == pytest.approx(round(analysis.estimate, 2))
    assert row[12] == pytest.approx(round(analysis.ci_low, 2))
    assert row[13] == pytest.approx(round(analysis.ci_high, 2))
    assert row[14] == "улучшение статистически значимо" == {
        "improved": "улучшение статистически значимо"}[analysis.verdict]
    (m,) = docx_table(docx, "Меры")[1:]
    assert m[0] == "Семинары по дефицитам" and m[5] == "3" and "приказ от 30.08.2024 № 7" in m[7]
    (d,) = docx_table(docx, "Управленческие решения")[1:]
    assert d[:3] == ["приказ", "30.08.2024", "7"]
    text = docx_text(docx)
    assert analysis.conclusion in text
    muko = {r[0]: r for r in xrows(xlsx, "Самооценка МУКО по направлениям")}
    stored = {x["direction"]: x for x in muko_row.matrix["directions"]}
    results = next(v for k, v in muko.items() if k.startswith("1.1") or "подготовки" in k)
    assert results[1] == stored["results"]["points"]
    assert results[2] == stored["results"]["max_points"]
    assert f"{muko_row.points} из {muko_row.max_points} баллов" in text
    assert docx_pictures(docx) == 1 and xlsx_chart_count(xlsx) == 1
    method = methodology(xlsx)
    assert any(r[0] == "Метод анализа эффективности" and "Duflo" in r[2] for r in method)
    assert all(r[2] and r[3] for r in method)
    # another municipality sees nothing of it
    with pytest.raises(ReportRefused):
        build("effectiveness", year=2025, scope=authority_scope,
              territory=personas.other_municipality)
