"""The comprehensive analysis: positions, agreement of ВПР / ОГЭ / ЕГЭ, cohorts, clusters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from soko.accounts.scope import SYSTEM, scope_for_user
from soko.analyses.models import (
    AssessmentAnalysis,
    ClusterRun,
    Cohort,
    Level,
    ResultSummary,
    SchoolAgreement,
    SchoolPosition,
)
from soko.analyses.selectors import comprehensive_data
from soko.analyses.services import comprehensive_compute
from soko.catalog.models import Assessment, Procedure, Subject
from soko.imports.services import import_file
from soko.registry.services import organization_create

from .builders import FAR, A, B, pupils, workbook

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort_files(personas: Any, tmp_path: Path) -> None:
    """Grade 4 in 2025 and the same schools' grade 5 in 2026: A falls from the top to the
    bottom, FAR climbs from the bottom to the top, B stays in the middle."""
    y2025 = (
        pupils(A, [22] * 6 + [20] * 6) + pupils(B, [16] * 6 + [14] * 6)
        + pupils(FAR, [10] * 6 + [8] * 6)
    )
    y2026 = (
        pupils(A, [10] * 6 + [8] * 6, cls="5А") + pupils(B, [16] * 6 + [14] * 6, cls="5А")
        + pupils(FAR, [22] * 6 + [20] * 6, cls="5А")
    )
    import_file(workbook(tmp_path / "a.xlsx", y2025, "ВПР 2025 Русский язык 4 класс"))
    import_file(workbook(tmp_path / "b.xlsx", y2026, "ВПР 2026 Русский язык 5 класс"))


def test_positions_are_standardised_within_the_work(cohort_files: None) -> None:
    pos = {
        p.organization.code: p
        for p in SchoolPosition.objects.filter(year=2025).select_related("organization")
    }
    assert set(pos) == {A, B, FAR}
    assert pos[A].z > 0 > pos[FAR].z
    assert pos[A].percent == pytest.approx(21 / 24)
    assert pos[B].share_2 == 0.0 and pos[FAR].share_2 == pytest.approx(0.5)
    assert pos[A].region_percent == pytest.approx((21 + 15 + 9) / 3 / 24)


def test_cohorts_follow_a_school_grade_from_one_year_to_the_next(cohort_files: None) -> None:
    cohorts = {c.organization.code: c for c in Cohort.objects.select_related("organization")}
    assert set(cohorts) == {A, B, FAR}
    a = cohorts[A]
    assert (a.from_procedure, a.from_grade, a.from_year) == ("ВПР", 4, 2025)
    assert (a.to_procedure, a.to_grade, a.to_year) == ("ВПР", 5, 2026)
    before = SchoolPosition.objects.get(organization__code=A, year=2025)
    after = SchoolPosition.objects.get(organization__code=A, year=2026)
    assert a.change == pytest.approx(after.z - before.z, abs=1e-5)
    assert a.verdict == "drop" and cohorts[FAR].verdict == "rise"
    assert cohorts[B].verdict == "stable"
    assert a.to_share_2 == pytest.approx(0.5)


def test_the_comprehensive_page_data_is_scoped(cohort_files: None, personas: Any) -> None:
    own = comprehensive_data(scope_for_user(personas.user_a), 2026)
    assert {c["org_code"] for c in own["cohorts"]} == {A}
    municipal = comprehensive_data(scope_for_user(personas.authority), 2026)
    assert {c["org_code"] for c in municipal["cohorts"]} == {A, B}  # FAR is elsewhere
    assert {c["org_code"] for c in comprehensive_data(SYSTEM, 2026)["cohorts"]} == {A, B, FAR}


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
        assessment=assessment, year=2026, procedure=procedure, subject=subject, grade=grade
    )


def _store(analysis: AssessmentAnalysis, org: Any, share: float, n: int = 20) -> None:
    """A stored organization result: n pupils with mean share ``share`` of the maximum and a
    within-school variance of 0.04 (in shares)."""
    top = float(analysis.assessment.max_primary or 1)
    ResultSummary.objects.create(
        analysis=analysis,
        year=2026,
        level=Level.ORGANIZATION,
        organization=org,
        participants=n,
        primary_n=n,
        primary_sum=n * share * top,
        primary_sumsq=((n - 1) * 0.04 + n * share * share) * top * top,
        mark_3=n,
    )


def _profiles(personas: Any, *, outlier: bool) -> dict[str, Any]:
    """Schools with stored ВПР, ОГЭ and ЕГЭ results: six strong in all three, six weak in all
    three and, with ``outlier``, one strong in ВПР but weak in ОГЭ and ЕГЭ."""
    works = {
        "ВПР": _work("ВПР", "РУ", 5, 45),
        "ОГЭ": _work("ОГЭ", "РУ", 9, 37),
        "ЕГЭ": _work("ЕГЭ", "РУ", 11, 50),
    }
    orgs: dict[str, Any] = {}
    shares = {
        **{f"H{i}": (0.80 + 0.01 * i, 0.78 + 0.01 * i, 0.75 + 0.01 * i) for i in range(6)},
        **{f"L{i}": (0.35 + 0.01 * i, 0.33 + 0.01 * i, 0.32 + 0.01 * i) for i in range(6)},
    }
    if outlier:
        shares["X"] = (0.85, 0.33, 0.34)
    for name, values in shares.items():
        org = organization_create(
            code=f"sch77{name}", name=name, short_name=name, territory=personas.municipality,
            kind="school", org_type="СОШ", settlement="urban",
        )
        orgs[name] = org
        for work, share in zip(works.values(), values, strict=True):
            _store(work, org, share)
    comprehensive_compute()
    return orgs


def test_clusters_find_the_two_planted_groups_and_describe_them(personas: Any) -> None:
    _profiles(personas, outlier=False)
    run = ClusterRun.objects.get(year=2026)
    assert run.k == 2 and run.features == ["ВПР", "ОГЭ", "ЕГЭ"]
    assert run.silhouettes["2"] == max(run.silhouettes.values())
    members = {m.organization.short_name: m.cluster
               for m in run.members.select_related("organization")}
    high = {members[f"H{i}"] for i in range(6)}
    low = {members[f"L{i}"] for i in range(6)}
    assert len(high) == 1 and len(low) == 1 and high != low
    by_index = {c["index"]: c for c in run.clusters}
    assert by_index[high.pop()]["description"] == "Высокие результаты ВПР, ОГЭ и ЕГЭ."
    assert by_index[low.pop()]["description"] == "Низкие результаты ВПР, ОГЭ и ЕГЭ."
    assert "k = 2" in run.explanation and "силуэт" in run.explanation
    assert run.correlations["ВПР–ОГЭ"] == {"n": 12, "rho": 1.0}


def test_agreement_flags_the_school_whose_positions_disagree(personas: Any) -> None:
    _profiles(personas, outlier=True)
    rows = {a.organization.short_name: a for a in SchoolAgreement.objects.select_related(
        "organization")}
    assert rows["X"].agrees is False
    assert rows["X"].vpr > 0.5 > -0.5 > rows["X"].oge
    assert "расхождение" in rows["X"].text
    assert all(rows[f"H{i}"].agrees for i in range(6))
    assert all(rows[f"L{i}"].agrees for i in range(6))
    data = comprehensive_data(SYSTEM, 2026)
    assert [a["name"] for a in data["agreements"] if a["agrees"] is False] == ["X"]
