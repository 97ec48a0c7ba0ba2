"""The procedure analysis of a work on a hand-checkable fixture (figures computed by hand).

Fixture (tests/analyses/builders.py), ВПР 2026 Русский язык 4 класс, scale «3» ≥ 10,
«4» ≥ 16, «5» ≥ 21, max 24; task scores fill tasks in order up to each pupil's total:

* school A (municipality 9901): totals 24 22 21 18 16 15 12 10 9 8 5 3 (+1 absent)
  → marks 5 5 5 4 4 3 3 3 2 2 2 2, Σ = 163;
* school B (9901): 20 ×5, 11 ×5 → five «4», five «3», Σ = 155;
* school FAR (9902): 9 ×10 → ten «2», Σ = 90.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from soko.accounts.scope import SYSTEM
from soko.analyses.models import AssessmentAnalysis, Level, ResultSummary
from soko.analyses.selectors import report_data
from soko.analyses.services import analyses_compute
from soko.catalog.models import Assessment, Parameter, Source, Task
from soko.imports.services import import_file

from .builders import FAR, A, B, pupils, ru4_2026, workbook

pytestmark = pytest.mark.django_db


def _assessment() -> Assessment:
    return Assessment.objects.get(procedure__code="ВПР", subject__code="РУ", grade=4, year=2026)


@pytest.fixture
def ru4(personas: Any, tmp_path: Path) -> AssessmentAnalysis:
    # planned results of the catalog work (the file has none): three skills
    a = _assessment()
    Task.objects.filter(assessment=a, number__in=["6", "7", "8"]).update(skill="Умение X")
    Task.objects.filter(assessment=a, number__in=["9", "10"]).update(skill="Умение Y")
    outcome = import_file(ru4_2026(tmp_path / "ru4.xlsx"))
    assert outcome.status == "imported"
    return AssessmentAnalysis.objects.get(assessment=a)


def _summary(analysis: AssessmentAnalysis, level: str, **kw: Any) -> ResultSummary:
    return ResultSummary.objects.get(analysis=analysis, level=level, **kw)


def test_the_import_hook_computes_the_analysis_of_every_level(ru4: AssessmentAnalysis) -> None:
    levels = sorted(ResultSummary.objects.filter(analysis=ru4).values_list("level", flat=True))
    assert levels.count(Level.ORGANIZATION) == 3
    assert levels.count(Level.CLASS) == 3  # one class «4А» per school
    assert levels.count(Level.MUNICIPALITY) == 2
    assert levels.count(Level.REGION) == 1
    assert ru4.participants == 32 and ru4.organizations == 3
    assert ru4.boundaries == {"3": 10.0, "4": 16.0, "5": 21.0}


def test_mark_statistics_of_organization_municipality_and_region(
    ru4: AssessmentAnalysis, personas: Any
) -> None:
    a = _summary(ru4, Level.ORGANIZATION, organization__code=A)
    assert (a.participants, a.absent) == (12, 1)
    assert (a.mark_2, a.mark_3, a.mark_4, a.mark_5) == (4, 3, 2, 3)
    assert a.mean_primary == pytest.approx(163 / 12)
    mun = _summary(ru4, Level.MUNICIPALITY, territory=personas.municipality)
    assert mun.organizations == 2 and mun.participants == 22
    assert (mun.mark_2, mun.mark_3, mun.mark_4, mun.mark_5) == (4, 8, 7, 3)
    assert mun.mean_primary == pytest.approx(318 / 22)
    region = _summary(ru4, Level.REGION, territory=personas.region)
    assert region.organizations == 3 and region.participants == 32
    assert (region.mark_2, region.mark_3, region.mark_4, region.mark_5) == (14, 8, 7, 3)
    assert region.share(2) == pytest.approx(14 / 32)
    assert region.mean_primary == pytest.approx(408 / 32)


def test_the_histogram_counts_primary_scores(ru4: AssessmentAnalysis) -> None:
    a = _summary(ru4, Level.ORGANIZATION, organization__code=A)
    assert len(a.histogram) == 25  # scores 0…24
    assert [s for s, n in enumerate(a.histogram) if n] == sorted(
        [24, 22, 21, 18, 16, 15, 12, 10, 9, 8, 5, 3]
    )
    region = _summary(ru4, Level.REGION)
    assert region.histogram[9] == 11 and region.histogram[20] == 5 and sum(region.histogram) == 32
    data = report_data(SYSTEM, ru4.pk, org=A)
    hist = data["histogram"]
    assert hist["marks"][9] == 2 and hist["marks"][10] == 3 and hist["marks"][21] == 5
    assert hist["reliability"] == "limited"  # 12 participants < 20
    region_data = report_data(SYSTEM, ru4.pk, territory="99")
    assert region_data["histogram"]["reliability"] == "approximate"  # 32: 20–49


def test_task_completion_against_municipality_and_region(ru4: AssessmentAnalysis) -> None:
    data = report_data(SYSTEM, ru4.pk, org=A)
    tasks = {t["number"]: t for t in data["tasks"]}
    # task 5 (max 2) gets points above 8: A 2·8 + 1 (total 9) = 17 of 24; B 20 of 20; FAR 10 of 20
    assert tasks["5"]["completion"] == pytest.approx([17 / 24, 37 / 44, 47 / 64])
    assert tasks["5"]["completion_pct"] == [70.8, 84.1, 73.4]
    assert tasks["1"]["completion"][0] == pytest.approx(1.0)
    # default ФИОКО thresholds, tasks without a level are judged as basic (0.60 / 0.57)
    assert tasks["5"]["status"] == "sufficient"
    assert tasks["6"]["completion"][0] == pytest.approx(7 / 12)  # 0.583: the uncertainty zone
    assert tasks["6"]["status"] == "zone"
    assert tasks["8"]["completion"][0] == pytest.approx(0.5)
    assert tasks["8"]["status"] == "insufficient"


def test_groups_by_mark_are_shown_from_ten_participants(ru4: AssessmentAnalysis) -> None:
    data = report_data(SYSTEM, ru4.pk, territory="99")
    groups = data["groups"]
    assert groups["sizes"] == [14, 8, 7, 3]
    assert groups["shown"] == [True, False, False, False]
    row5 = next(r for r in groups["rows"] if r["number"] == "5")
    # «2» group: A's 9 8 5 3 score 1 0 0 0 on task 5, FAR's ten 9s score 1 each → 11 of 28
    assert row5["values"] == [pytest.approx(39.3), None, None, None]


def test_planned_results_and_a_systemic_deficit(ru4: AssessmentAnalysis) -> None:
    data = report_data(SYSTEM, ru4.pk, org=A)
    skills = {s["title"]: s for s in data["skills"]}
    # Умение X: tasks 6 (7/12) 7 (7/12) 8 (12/24) → 26 of 48
    assert skills["Умение X"]["completion_pct"][0] == pytest.approx(54.2)
    assert not skills["Умение X"]["systemic"]  # one red task of three
    # Умение Y: tasks 9 (15/36) and 10 (10/36), both red → systemic
    assert skills["Умение Y"]["completion_pct"][0] == pytest.approx(34.7)
    assert skills["Умение Y"]["systemic"] and skills["Умение Y"]["status"] == "insufficient"
    assert data["mastery"]["systemic"] == ["Умение Y"]
    assert skills["Задание 1"]["completion_pct"][0] == 100.0  # a task without a skill


def test_journal_comparison_counts(ru4: AssessmentAnalysis, personas: Any) -> None:
    a = _summary(ru4, Level.ORGANIZATION, organization__code=A)
    assert (a.journal_n, a.journal_lower, a.journal_equal, a.journal_higher) == (12, 5, 6, 1)
    assert a.journal_gap == 3  # gaps of 2, 3 and 2 marks
    mun = _summary(ru4, Level.MUNICIPALITY, territory=personas.municipality)
    assert (mun.journal_lower, mun.journal_equal, mun.journal_higher, mun.journal_gap) == (
        5, 16, 1, 3,
    )
    section = report_data(SYSTEM, ru4.pk, org=A)["journal"]
    rows = section["columns"][0]["rows"]
    assert [r["count"] for r in rows] == [5, 6, 1, 12]
    assert rows[0]["label"].startswith("Понизили") and rows[0]["pct"] == pytest.approx(41.67)


def test_mastery_thresholds_are_configurable_data(ru4: AssessmentAnalysis) -> None:
    system = Source.objects.get(code="system")
    for code, value in (("vpr.mastery.basic", 0.5), ("vpr.mastery.basic_lower", 0.45)):
        Parameter.objects.create(
            code=code, name=code, value=value, valid_from=2026, source=system
        )
    analyses_compute(year=2026)
    analysis = AssessmentAnalysis.objects.get(pk__isnull=False, year=2026)
    tasks = {t["number"]: t for t in report_data(SYSTEM, analysis.pk, org=A)["tasks"]}
    assert tasks["8"]["status"] == "sufficient"  # 0.5 is now the edge of «достаточный»
    assert tasks["9"]["status"] == "insufficient"  # 0.417 < 0.45
    assert analysis.thresholds["vpr.mastery.basic"]["value"] == 0.5


def test_a_class_report_compares_with_the_school(ru4: AssessmentAnalysis) -> None:
    data = report_data(SYSTEM, ru4.pk, org=A, class_label="4А")
    assert data["unit"]["level"] == Level.CLASS
    assert [u["level"] for u in data["units"]] == [
        Level.CLASS, Level.ORGANIZATION, Level.MUNICIPALITY, Level.REGION,
    ]


def test_share_of_two_dynamics_over_years(ru4: AssessmentAnalysis, tmp_path: Path) -> None:
    rows = pupils(A, [20] * 10 + [12] * 2) + pupils(B, [20] * 10) + pupils(FAR, [15] * 10)
    import_file(workbook(tmp_path / "ru4-2025.xlsx", rows, "ВПР 2025 Русский язык 4 класс"))
    analysis = AssessmentAnalysis.objects.get(year=2026)
    dynamics = report_data(SYSTEM, analysis.pk, org=A)["dynamics"]
    assert [p["year"] for p in dynamics["points"]] == [2025, 2026]
    assert [p["share_2_pct"] for p in dynamics["points"]] == [0.0, pytest.approx(33.3)]
    assert dynamics["change_pp"] == pytest.approx(33.333, abs=1e-3) and dynamics["negative"]
    region = report_data(SYSTEM, analysis.pk, territory="99")["dynamics"]
    assert region["points"][0]["share_2_pct"] == 0.0
    assert region["change_pp"] == pytest.approx(14 / 32 * 100, abs=1e-3)


def test_analysis_marks_cli_agrees_with_the_hand_computation(
    ru4: AssessmentAnalysis, capsys: pytest.CaptureFixture[str]
) -> None:
    from soko.cli import main

    args = ["analysis", "marks", "--procedure", "ВПР", "--subject", "РУ", "--grade", "4",
            "--year", "2026"]
    assert main([*args, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    by_org = {r["org_code"]: r for r in rows if r["level"] == "organization"}
    assert set(by_org) == {A, B, FAR}
    a = by_org[A]
    assert a["participants"] == 12  # the absent pupil is not a participant
    assert (a["share_2"], a["share_3"], a["share_4"], a["share_5"]) == pytest.approx(
        (4 / 12, 3 / 12, 2 / 12, 3 / 12)
    )
    assert a["mean_primary"] == pytest.approx(163 / 12, abs=1e-4)
    b = by_org[B]
    assert (b["share_3"], b["share_4"], b["mean_primary"]) == (0.5, 0.5, 15.5)
    assert by_org[FAR]["share_2"] == 1.0 and by_org[FAR]["mean_primary"] == 9.0
    mun = next(r for r in rows if r["level"] == "municipality" and r["territory_code"] == "9901")
    assert mun["participants"] == 22
    assert mun["share_3"] == pytest.approx(8 / 22) and mun["mean_primary"] == pytest.approx(
        318 / 22, abs=1e-4
    )
    region = next(r for r in rows if r["level"] == "region")
    assert region["participants"] == 32 and region["share_2"] == pytest.approx(14 / 32)
    assert region["mean_primary"] == pytest.approx(12.75)
    assert main(args) == 0
    text = capsys.readouterr().out
    assert A in text and "33.3" in text and "13.58" in text


def test_analysis_report_cli(ru4: AssessmentAnalysis, capsys: pytest.CaptureFixture[str]) -> None:
    from soko.cli import main

    assert main(["analysis", "report", "--assessment", str(ru4.assessment_id), "--org", A,
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["unit"]["org_code"] == A and len(data["tasks"]) == 12
    assert main(["analysis", "report", "--assessment", str(ru4.assessment_id)]) == 0
    assert "Статистика по отметкам" in capsys.readouterr().out
    assert main(["analysis", "report", "--assessment", "999999"]) == 1


def test_the_report_exports_every_section(ru4: AssessmentAnalysis) -> None:
    from openpyxl import load_workbook

    from soko.analyses.exports import report_workbook

    region = load_workbook(io.BytesIO(report_workbook(report_data(SYSTEM, ru4.pk))))
    assert region.sheetnames == [
        "Статистика по отметкам", "Распределение баллов", "Выполнение заданий",
        "Группы по отметкам", "Планируемые результаты", "Сравнение с журналом", "Состав",
    ]
    book = load_workbook(io.BytesIO(report_workbook(report_data(SYSTEM, ru4.pk, org=A))))
    assert "Группы по отметкам" not in book.sheetnames  # every mark group of A is under 10
    marks = list(book["Статистика по отметкам"].iter_rows(values_only=True))
    a_row = next(r for r in marks if r[2] == A)
    assert a_row[4] == 12 and a_row[5] == pytest.approx(33.3)
