"""Reports on assessment procedures: ВПР (municipality, one organization), ГИА-9, ГИА-11.

ВПР fixture (tests/analyses/builders.py), ВПР 2026 Русский язык 4 класс, scale «3» ≥ 10,
«4» ≥ 16, «5» ≥ 21, max 24:

* school A (municipality 9901): 12 present (+1 absent), marks 5 5 5 4 4 3 3 3 2 2 2 2, Σ = 163;
* school B (9901): five «4», five «3», Σ = 155;
* school FAR (9902, another municipality): ten «2», Σ = 90.

So the municipality has 22 participants with 4 / 8 / 7 / 3 marks «2»…«5» (Σ = 318) and the
region 32 with 14 / 8 / 7 / 3 (Σ = 408). ГИА fixtures are stored summaries with known counts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from soko.accounts.scope import SYSTEM, scope_for_user
from soko.analyses.models import AssessmentAnalysis, Level, ResultSummary
from soko.catalog.models import Assessment, Parameter, Procedure, Subject, Task
from soko.imports.services import import_file
from soko.registry.services import organization_create
from soko.reports.document import Document, ReportRefused
from tests.analyses.builders import A, pupils, ru4_2026, workbook

from .docs import (
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

RU4 = "Русский язык, 4 кл."


def _num(text: str) -> float:
    return float(text.replace("\u202f", "").replace(",", ".").replace(" %", ""))


def _row(table: list[list[str]], first: str) -> list[str]:
    found = [r for r in table if r[0].startswith(first)]
    assert found, f"нет строки «{first}» в {[r[0] for r in table]}"
    return found[0]


@pytest.fixture
def ru4(personas: Any, tmp_path: Path) -> AssessmentAnalysis:
    a = Assessment.objects.get(procedure__code="ВПР", subject__code="РУ", grade=4, year=2026)
    Task.objects.filter(assessment=a, number__in=["6", "7", "8"]).update(skill="Умение X")
    Task.objects.filter(assessment=a, number__in=["9", "10"]).update(skill="Умение Y")
    assert import_file(ru4_2026(tmp_path / "ru4.xlsx")).status == "imported"
    return AssessmentAnalysis.objects.get(assessment=a)


def _summary(analysis: AssessmentAnalysis, level: str, **kw: Any) -> ResultSummary:
    return ResultSummary.objects.get(analysis=analysis, level=level, **kw)


# --- ВПР --------------------------------------------------------------------------------------


def test_municipal_vpr_report_tables_equal_the_stored_analysis(
    ru4: AssessmentAnalysis, personas: Any, tmp_path: Path
) -> None:
    scope = scope_for_user(personas.authority)
    doc = build("vpr", year=2026, scope=scope, territory=personas.municipality)
    path = docx_file(doc, tmp_path)
    assert_filled(path)

    marks = docx_table(path, f"{RU4}: статистика по отметкам, %")
    mun = _row(marks, "Тестовый округ")
    stored = _summary(ru4, Level.MUNICIPALITY, territory=personas.municipality)
    assert stored.participants == 22
    assert _num(mun[1]) == 22
    assert [_num(v) for v in mun[2:6]] == [round(n / 22 * 100, 1) for n in (4, 8, 7, 3)]
    assert _num(mun[6]) == round(10 / 22 * 100, 1)  # «4» and «5»
    assert _num(mun[7]) == pytest.approx(round(318 / 22, 2))
    region = _row(marks, "Тестовая область")
    assert [_num(v) for v in region[2:6]] == [round(n / 32 * 100, 1) for n in (14, 8, 7, 3)]

    tasks = docx_table(path, f"{RU4}: выполнение заданий, %")
    assert tasks[0][1] == "Тестовый округ, %" and tasks[0][2] == "Тестовая область, %"
    task5 = _row(tasks, "5 (")
    # task 5 (max 2): municipality 37 of 44 points, region 47 of 64 (hand count)
    assert (_num(task5[1]), _num(task5[2])) == (84.1, 73.4)
    # every mark group of the municipality (4, 8, 7, 3) is under 10: no group columns
    assert not any(c.startswith("Группа") for c in tasks[0])

    journal = docx_table(path, f"{RU4}: отметки за работу и отметки по журналу")
    j = _row(journal, "Тестовый округ")
    assert [int(_num(v)) for v in (j[1], j[2], j[4], j[6], j[8])] == [
        stored.journal_n, stored.journal_lower, stored.journal_equal, stored.journal_higher,
        stored.journal_gap,
    ]
    assert stored.journal_lower == 5 and stored.journal_higher == 1 and stored.journal_gap == 3

    orgs = docx_table(path, "ВПР 2026, 4 класс: результаты организаций, %")
    assert [r[0] for r in orgs[1:]] == ["Гимназия № 2", "СОШ № 1"]
    assert _num(_row(orgs, "СОШ № 1")[1]) == round(4 / 12 * 100, 1)
    assert _num(_row(orgs, "Гимназия № 2")[2]) == 50.0  # five «4» of ten

    skills = docx_table(path, f"{RU4}: достижение планируемых результатов, %")
    assert {r[0].split(" (")[0] for r in skills[1:]} >= {"Умение X", "Умение Y"}

    overview = docx_table(path, "Результаты ВПР 2026 по работам, %")
    assert _num(_row(overview, RU4)[2]) == round(4 / 22 * 100, 1)

    assert docx_pictures(path) == 2  # the summary chart and the histogram of the work
    text = docx_text(path)
    assert "Выводы" in text and "Рекомендации" in text
    assert "ФИС ОКО: ВПР 2026, импорт №" in text
    _no_leak(path)
    _methodology_checks(path)
    _xlsx_checks(doc, tmp_path)


def _no_leak(path: Path) -> None:
    text = docx_text(path)
    assert "СОШ № 7" not in text and "Соседний район" not in text
    assert "СОШ № 1" in text


def _xlsx_checks(doc: Document, tmp_path: Path) -> None:
    path = xlsx_file(doc, tmp_path)
    assert xlsx_chart_count(path) == 2
    marks = xlsx_table(path, f"{RU4}: статистика по отметкам, %")
    mun = next(r for r in marks if r[0] and str(r[0]).startswith("Тестовый округ"))
    assert mun[1] == 22 and mun[2] == pytest.approx(round(4 / 22 * 100, 1))
    chart = next(c for c in doc.charts() if c.kind == "hist")
    assert chart.categories[:3] == ["0", "1", "2"] and len(chart.series) == 2


def _regional_checks(personas: Any, tmp_path: Path) -> None:
    doc = build("vpr", year=2026, scope=SYSTEM, territory=personas.region)
    path = docx_file(doc, tmp_path / "region")
    tasks = docx_table(path, f"{RU4}: выполнение заданий, %")
    assert tasks[0][3:] == ["Группа «2» (14 чел.), %", "Группа «3» (8 чел.), %",
                            "Группа «4» (7 чел.), %", "Группа «5» (3 чел.), %"]
    task5 = _row(tasks, "5 (")
    # «2» group: A's 9 8 5 3 score 1 0 0 0 on task 5, FAR's ten 9s score 1 each → 11 of 28
    assert _num(task5[3]) == 39.3 and task5[4:] == ["—", "—", "—"]
    units = docx_table(path, "ВПР 2026, 4 класс: результаты муниципалитетов, %")
    assert [r[0] for r in units[1:]] == ["Соседний район", "Тестовый округ"]


def _methodology_checks(path: Path) -> None:
    appendix = docx_table(path, "Пороговые значения и правила")
    names = {r[0]: r for r in appendix[1:]}
    for code in ("vpr.mastery.basic", "privacy.min_group_size", "vpr.journal_gap"):
        param = Parameter.objects.filter(code=code).select_related("source").first()
        assert param is not None
        assert param.name in names, code
        assert names[param.name][2] == param.source.title
    assert any(r[0].startswith("Шкала перевода баллов в отметки") for r in appendix[1:])


def test_organization_and_regional_vpr_reports(
    ru4: AssessmentAnalysis, personas: Any, tmp_path: Path
) -> None:
    doc = build("vpr", year=2026, scope=scope_for_user(personas.user_a),
                organization=personas.school_a)
    path = docx_file(doc, tmp_path)
    assert_filled(path)
    marks = docx_table(path, f"{RU4}: статистика по отметкам, %")
    assert [r[0] for r in marks[1:]] == [
        "СОШ № 1 (образовательная организация)", "Тестовый округ (муниципалитет)",
        "Тестовая область (регион)",
    ]
    own = marks[1]
    assert _num(own[1]) == 12
    assert [_num(v) for v in own[2:6]] == [round(n / 12 * 100, 1) for n in (4, 3, 2, 3)]
    assert _num(own[7]) == pytest.approx(round(163 / 12, 2))
    classes = docx_table(path, f"{RU4}: результаты по классам, %")
    assert _row(classes, "СОШ № 1, 4А")[1] == "12"
    text = docx_text(path)
    assert "Гимназия № 2" not in text  # another school of the municipality
    assert "результаты организаций" not in text
    _regional_checks(personas, tmp_path)


def test_vpr_report_refuses_without_analysed_results(personas: Any) -> None:
    with pytest.raises(ReportRefused) as err:
        build("vpr", year=2025, scope=SYSTEM, territory=personas.municipality)
    assert "ВПР 2025" in err.value.reason and "soko analysis compute --year 2025" in \
        err.value.reason


def test_small_organizations_are_suppressed_in_the_vpr_report(
    personas: Any, tmp_path: Path
) -> None:
    organization_create(code="sch990003", name="МБОУ «ООШ № 3»", short_name="ООШ № 3",
                        territory=personas.municipality, kind="school", org_type="ООШ",
                        settlement="rural")
    rows = pupils(A, [24, 22, 21, 18, 16, 15, 12, 10, 9, 8, 5, 3]) + pupils("sch990003",
                                                                          [20, 11, 9])
    import_file(workbook(tmp_path / "s.xlsx", rows, "ВПР 2026 Русский язык 4 класс"))
    doc = build("vpr", year=2026, scope=SYSTEM, territory=personas.municipality)
    path = docx_file(doc, tmp_path)
    table = docx_table(path, "ВПР 2026, 4 класс: результаты организаций, %")
    small = _row(table, "ООШ № 3")
    assert small[1:] == ["—", "—"]
    assert _num(_row(table, "СОШ № 1")[1]) == 33.3
    assert "меньше 10 участников" in docx_text(path)


# --- ГИА --------------------------------------------------------------------------------------


def _work(procedure: str, subject: str, grade: int, max_primary: int) -> AssessmentAnalysis:
    assessment = Assessment.objects.create(
        procedure=Procedure.objects.get(code=procedure),
        subject=Subject.objects.get(code=subject),
        grade=grade,
        year=2026,
        variant_series="тест",
        title=f"{procedure} 2026 {subject} {grade}",
        max_primary=max_primary,
    )
    return AssessmentAnalysis.objects.create(
        assessment=assessment, year=2026, procedure=procedure, subject=subject, grade=grade,
        has_marks=procedure != "ЕГЭ", has_test_scores=procedure == "ЕГЭ",
    )


def _store(analysis: AssessmentAnalysis, level: str, unit: Any, **figures: Any) -> None:
    where = {"organization": unit} if level == Level.ORGANIZATION else {"territory": unit}
    ResultSummary.objects.create(analysis=analysis, year=2026, level=level, **where, **figures)


def _marks(m2: int, m3: int, m4: int, m5: int, mean: float) -> dict[str, Any]:
    n = m2 + m3 + m4 + m5
    return {"participants": n, "mark_2": m2, "mark_3": m3, "mark_4": m4, "mark_5": m5,
            "primary_n": n, "primary_sum": mean * n}


@pytest.fixture
def oge(personas: Any) -> AssessmentAnalysis:
    """ОГЭ 2026 Математика: A 20 pupils (4 «2», 6 «3», 6 «4», 4 «5»), B 10 (0/5/3/2), FAR 12
    (6/6/0/0); municipality = A + B (4/11/9/6), region = all three (10/17/9/6)."""
    work = _work("ОГЭ", "МА", 9, 31)
    _store(work, Level.ORGANIZATION, personas.school_a, **_marks(4, 6, 6, 4, 15.0))
    _store(work, Level.ORGANIZATION, personas.school_b, **_marks(0, 5, 3, 2, 17.0))
    _store(work, Level.ORGANIZATION, personas.school_far, **_marks(6, 6, 0, 0, 8.0))
    _store(work, Level.MUNICIPALITY, personas.municipality, organizations=2,
           **_marks(4, 11, 9, 6, (15.0 * 20 + 17.0 * 10) / 30))
    _store(work, Level.MUNICIPALITY, personas.other_municipality, organizations=1,
           **_marks(6, 6, 0, 0, 8.0))
    _store(work, Level.REGION, personas.region, organizations=3,
           **_marks(10, 17, 9, 6, (15.0 * 20 + 17.0 * 10 + 8.0 * 12) / 42))
    return work


def test_gia9_report_by_subject_and_organization(
    oge: AssessmentAnalysis, personas: Any, tmp_path: Path
) -> None:
    doc = build("gia9", year=2026, scope=scope_for_user(personas.authority),
                territory=personas.municipality)
    path = docx_file(doc, tmp_path)
    assert_filled(path)
    table = docx_table(path, "Результаты ГИА-9 2026 по предметам")
    row = _row(table, "ОГЭ: Математика")
    assert _num(row[1]) == 30 and _num(row[2]) == 4
    assert [_num(v) for v in row[3:7]] == [round(n / 30 * 100, 1) for n in (4, 11, 9, 6)]
    assert _num(row[7]) == 50.0  # 15 of 30 with «4» and «5»
    assert _num(row[8]) == pytest.approx(round(470 / 30, 2))
    assert _num(row[9]) == round(10 / 42 * 100, 1)  # region
    by_org = docx_table(path, "ГИА-9 2026: доля отметок «2» по организациям, %")
    assert [r[0] for r in by_org[1:]] == ["Гимназия № 2", "СОШ № 1"]  # no FAR
    assert _num(_row(by_org, "СОШ № 1")[1]) == 20.0
    assert docx_pictures(path) == 2
    xlsx = xlsx_file(doc, tmp_path)
    assert xlsx_chart_count(xlsx) == 2
    cells = xlsx_table(xlsx, "Результаты ГИА-9 2026 по предметам")
    assert cells[1][1] == 30 and cells[1][3] == pytest.approx(13.3)
    text = docx_text(path)
    assert "СОШ № 7" not in text
    names = [r[0] for r in docx_table(path, "Пороговые значения и правила")[1:]]
    assert Parameter.objects.filter(code="privacy.min_group_size").first().name in names


def test_gia9_refuses_without_results(personas: Any) -> None:
    with pytest.raises(ReportRefused) as err:
        build("gia9", year=2026, scope=SYSTEM, territory=personas.municipality)
    assert "ГИА-9" in err.value.reason and "soko analysis compute" in err.value.reason


@pytest.fixture
def ege(personas: Any) -> AssessmentAnalysis:
    """ЕГЭ 2026 Русский язык: A 15 results (mean 70, 2 below the minimum, 5 ≥ 80 of which
    1 is 100), B 4 results (mean 60: a small group), municipality 19, region 30."""
    from soko.indicators.models import Indicator, IndicatorValue
    from soko.indicators.services import indicators_load_builtin

    work = _work("ЕГЭ", "РУ", 11, 50)

    def test(n: int, mean: float, below: int, high: int) -> dict[str, Any]:
        return {"participants": n, "test_n": n, "test_sum": mean * n, "test_below_min": below,
                "test_high": high}

    _store(work, Level.ORGANIZATION, personas.school_a, **test(15, 70.0, 2, 5))
    _store(work, Level.ORGANIZATION, personas.school_b, **test(4, 60.0, 1, 0))
    _store(work, Level.ORGANIZATION, personas.school_far, **test(11, 50.0, 4, 0))
    _store(work, Level.MUNICIPALITY, personas.municipality, organizations=2,
           **test(19, (70.0 * 15 + 60.0 * 4) / 19, 3, 5))
    _store(work, Level.REGION, personas.region, organizations=3,
           **test(30, (70.0 * 15 + 60.0 * 4 + 50.0 * 11) / 30, 7, 5))
    indicators_load_builtin()
    ind = Indicator.objects.get(code="results.ege_score_100")
    for unit, n in ((personas.school_a, 15), (personas.municipality, 19),
                    (personas.region, 30)):
        where = {"organization": unit} if unit == personas.school_a else {"territory": unit}
        IndicatorValue.objects.create(
            indicator=ind, year=2026, breakdown_key="subject=РУ", breakdown={"subject": "РУ"},
            numerator=1, denominator=n, value=100 / n, n=n, **where,
        )
    return work


def test_gia11_report_below_minimum_high_and_100_points(
    ege: AssessmentAnalysis, personas: Any, tmp_path: Path
) -> None:
    doc = build("gia11", year=2026, scope=scope_for_user(personas.authority),
                territory=personas.municipality)
    path = docx_file(doc, tmp_path)
    assert_filled(path)
    table = docx_table(path, "Результаты ГИА-11 2026 по предметам")
    row = _row(table, "ЕГЭ: Русский язык")
    assert _num(row[1]) == 19
    assert _num(row[2]) == round((70.0 * 15 + 60.0 * 4) / 19, 1)
    assert (_num(row[3]), _num(row[4])) == (3, round(3 / 19 * 100, 1))
    assert (_num(row[5]), _num(row[6])) == (4, 1)  # 80–99 = 5 − 1; one 100-point result
    assert _num(row[7]) == round(1840 / 30, 1) and _num(row[8]) == round(7 / 30 * 100, 1)
    orgs = docx_table(path, "ГИА-11 2026: результаты по организациям (все предметы)")
    assert [r[0] for r in orgs[1:]] == ["Гимназия № 2", "СОШ № 1"]
    assert _row(orgs, "Гимназия № 2")[2:] == ["—"] * 4  # four results: a small group
    a = _row(orgs, "СОШ № 1")
    assert (_num(a[2]), _num(a[4]), _num(a[5])) == (2, 4, 1)
    assert docx_pictures(path) == 2
    assert xlsx_chart_count(xlsx_file(doc, tmp_path)) == 2
    text = docx_text(path)
    assert "СОШ № 7" not in text and "Выводы" in text
    appendix = [r[0] for r in docx_table(path, "Пороговые значения и правила")[1:]]
    assert Parameter.objects.get(code="ege.high_score.min").name in appendix


def test_gia11_organization_report_and_refusal(
    ege: AssessmentAnalysis, personas: Any, tmp_path: Path
) -> None:
    doc = build("gia11", year=2026, scope=scope_for_user(personas.user_a),
                organization=personas.school_a)
    path = docx_file(doc, tmp_path)
    row = _row(docx_table(path, "Результаты ГИА-11 2026 по предметам"), "ЕГЭ: Русский язык")
    assert _num(row[1]) == 15 and _num(row[2]) == 70.0
    assert _num(row[7]) == pytest.approx(round((70.0 * 15 + 60.0 * 4) / 19, 1))  # municipality
    assert "Гимназия № 2" not in docx_text(path)
    with pytest.raises(ReportRefused) as err:
        build("gia11", year=2025, scope=SYSTEM, territory=personas.municipality)
    assert "ГИА-11" in err.value.reason
