"""Teachers' deficits: a planted skill deficit of one class is found, its clean twin is not,
and a class under the minimum size never produces a deficit on its own."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from soko.accounts.scope import SYSTEM, scope_for_user
from soko.analyses.models import Deficit, DeficitSummary, Level
from soko.analyses.selectors import deficit_list, deficits_data
from soko.analyses.services import deficits_relink_teachers
from soko.catalog.models import Assessment, Subject, Task
from soko.imports.services import import_file
from soko.registry.models import ClassGroup, Teacher, TeachingAssignment
from tests.imports.builders import RU4_MAX, ru4_mark, vpr_row

from .builders import A, B, workbook

pytestmark = pytest.mark.django_db

DIFFICULTY = [-1.0, -1.2, -0.6, -0.3, -0.5, 0.0, -0.2, 0.2, 0.4, 0.6, -0.4, 0.9]
SKILL_Y = ("9", "10")


def synthetic_class(
    rng: np.random.Generator,
    org: str,
    cls: str,
    n: int,
    start: int,
    planted: bool = False,
) -> list[list[Any]]:
    """Pupils of one class (a 2PL-like model); ``planted`` makes the tasks of «Умение Y»
    (9 and 10) far harder for this class only."""
    rows = []
    for i in range(n):
        theta = rng.normal(0.3, 0.9)
        scores = []
        for k, top in enumerate(RU4_MAX):
            shift = -3.0 if planted and str(k + 1) in SKILL_Y else 0.0
            p = 1.0 / (1.0 + math.exp(-(1.7 * (theta - DIFFICULTY[k]) + shift)))
            scores.append(int(rng.binomial(top, p)))
        total = sum(scores)
        rows.append(vpr_row(org, f"{start + i:05d}", scores, ru4_mark(total), cls))
    return rows


@pytest.fixture
def planted(personas: Any, tmp_path: Path) -> dict[str, Any]:
    a = Assessment.objects.get(procedure__code="ВПР", subject__code="РУ", grade=4, year=2026)
    Task.objects.filter(assessment=a, number__in=SKILL_Y).update(skill="Умение Y", level="П")
    teacher = Teacher.objects.create(organization=personas.school_a, code="T-17")
    group = ClassGroup.objects.create(organization=personas.school_a, year=2026, grade=4,
                                      label="4Б")
    TeachingAssignment.objects.create(class_group=group, subject=Subject.objects.get(code="РУ"),
                                      teacher=teacher)
    rng = np.random.default_rng(20260401)
    rows = synthetic_class(rng, A, "4А", 18, 1000)
    rows += synthetic_class(rng, A, "4Б", 18, 2000, planted=True)  # the planted deficit
    rows += synthetic_class(rng, A, "4В", 18, 3000)  # its clean twin
    rows += synthetic_class(rng, B, "4А", 18, 4000)
    rows += synthetic_class(rng, B, "4Б", 18, 5000)
    rows += synthetic_class(rng, B, "4В", 8, 6000, planted=True)  # under the minimum size
    import_file(workbook(tmp_path / "ru4.xlsx", rows, "ВПР 2026 Русский язык 4 класс"))
    return {"teacher": teacher, "assessment": a}


def test_the_planted_deficit_is_found_with_its_teacher(planted: dict[str, Any]) -> None:
    found = list(Deficit.objects.select_related("organization", "teacher"))
    assert [(d.organization.code, d.class_label) for d in found] == [(A, "4Б")]
    d = found[0]
    assert d.skill == "Умение Y" and d.task_numbers == ["9", "10"] and not d.skill_from_tasks
    assert d.teacher == planted["teacher"]
    assert (d.subject, d.procedure, d.grade, d.year, d.n) == ("РУ", "ВПР", 4, 2026, 18)
    assert d.threshold == pytest.approx(0.30)  # tasks of level П
    assert d.completion < d.threshold
    assert d.reference_completion - d.completion >= 0.15
    assert d.reference_n == 18 * 5 + 8  # every pupil of the municipality
    assert d.p_value < 0.01 and d.assessment == planted["assessment"]
    assert not d.atypical_profile


def test_the_clean_twin_and_the_small_class_are_not_flagged(planted: dict[str, Any]) -> None:
    assert not Deficit.objects.filter(class_label="4В").exists()


def test_the_municipal_list_counts_classes_by_skill(planted: dict[str, Any], personas) -> None:
    row = DeficitSummary.objects.get(
        level=Level.MUNICIPALITY, territory=personas.municipality, skill="Умение Y"
    )
    assert (row.classes, row.classes_total, row.organizations, row.pupils) == (1, 5, 1, 18)
    assert row.task_numbers == ["9", "10"]
    assert row.threshold == pytest.approx(0.30)


def test_teacher_codes_are_shown_to_the_authority_and_the_own_school_only(
    planted: dict[str, Any], personas
) -> None:
    authority = deficits_data(scope_for_user(personas.authority), year=2026)
    assert authority["with_teachers"] and authority["rows"][0]["teacher"] == "T-17"
    methodologist = deficits_data(scope_for_user(personas.methodologist), year=2026)
    assert not methodologist["with_teachers"] and methodologist["rows"][0]["teacher"] is None
    own = deficits_data(scope_for_user(personas.user_a), year=2026)
    assert own["rows"][0]["teacher"] == "T-17"
    other = deficits_data(scope_for_user(personas.user_b), year=2026)
    assert other["rows"] == []  # school B sees no deficit of school A
    assert deficit_list(scope_for_user(personas.user_b)).count() == 0
    assert deficit_list(SYSTEM, year=2026, subject="РУ").count() == 1


def test_teachers_are_relinked_when_classes_change(planted: dict[str, Any]) -> None:
    TeachingAssignment.objects.all().delete()
    assert deficits_relink_teachers() == 1
    assert Deficit.objects.get().teacher is None


def test_a_misfitting_class_is_marked_atypical_not_a_plain_deficit(
    personas: Any, tmp_path: Path
) -> None:
    """70 % of a class zero the easy tasks and get the hard ones right (a response pattern of
    a non-objective work, not of a teaching gap): its «deficits» carry the atypical mark and
    stay out of the territory list."""
    rng = np.random.default_rng(5)
    rows = synthetic_class(rng, A, "4А", 18, 1000) + synthetic_class(rng, A, "4Б", 18, 2000)
    rows += synthetic_class(rng, B, "4А", 18, 3000) + synthetic_class(rng, B, "4Б", 18, 4000)
    odd = synthetic_class(rng, A, "4В", 20, 5000)
    for i, row in enumerate(odd):
        if i % 10 >= 7:
            continue
        scores = row[6:18]
        for k in range(12):
            if k < 8 and rng.random() < 0.7:
                scores[k] = 0
            elif k >= 8 and rng.random() < 0.7:
                scores[k] = RU4_MAX[k]
        odd[i] = vpr_row(A, row[3], scores, ru4_mark(sum(scores)), "4В")
    import_file(workbook(tmp_path / "ru4.xlsx", rows + odd, "ВПР 2026 Русский язык 4 класс"))
    flagged = list(Deficit.objects.filter(class_label="4В"))
    assert flagged and all(d.atypical_profile for d in flagged)
    skills = {d.skill for d in flagged}
    assert not DeficitSummary.objects.filter(classes__gt=0, skill__in=skills).exists()
