"""A small, hand-checkable region for indicator tests.

Territories and schools come from the ``personas`` fixture: region 99 ⊃ municipality 9901
(school A ``sch990001`` — СОШ, school B ``sch990002`` — гимназия) and municipality 9902
(school ``sch990101``, no facts). Every figure below is chosen so that the expected values in
``test_builtin_values.py`` can be computed by hand; the comments give the counts.

Facts are written straight into the fact store as active slices of a synthetic batch (the import
path is covered by ``test_import_hook.py``).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pyarrow as pa

from soko.catalog.models import Procedure, Subject
from soko.catalog.services import assessment_get_or_create, tasks_replace
from soko.imports.models import ImportBatch, ImportSlice
from soko.indicators import sources
from soko.registry.models import (
    ClassGroup,
    Enrollment,
    Organization,
    SocialContext,
    Student,
    Teacher,
    TeachingAssignment,
)
from soko.warehouse.schema import FACT_TABLES
from soko.warehouse.store import ACTIVE, open_warehouse

YEAR = 2026
_ids = itertools.count(1)

# ВПР work: 4 tasks of 5 points: 1, 2 basic (Б); 3 advanced (П); 4 high (В). Max 20.
VPR_TASKS = [
    {"number": "1", "max": 5, "level": "Б"},
    {"number": "2", "max": 5, "level": "Б"},
    {"number": "3", "max": 5, "level": "П"},
    {"number": "4", "max": 5, "level": "В"},
]


def assessment(
    procedure: str,
    subject: str,
    grade: int | None,
    year: int,
    max_primary: int,
    tasks: Sequence[dict[str, Any]] = (),
) -> int:
    a, _ = assessment_get_or_create(
        procedure=Procedure.objects.get(code=procedure),
        subject=Subject.objects.get(code=subject),
        grade=grade,
        year=year,
    )
    a.max_primary = max_primary
    a.save()
    if tasks:
        tasks_replace(a, tasks)
    return int(a.pk)


def write_facts(table: str, rows: list[dict[str, Any]], kind: str = "test") -> int:
    """Append rows to a fact table as one active slice; returns the slice id."""
    batch = ImportBatch.objects.create(
        kind=kind,
        file_name=f"{table}.csv",
        sha256=f"{next(_ids):064d}",
        size=1,
        archive_path="-",
        year=rows[0].get("year") if rows else None,
    )
    piece = ImportSlice.objects.create(
        batch=batch,
        kind=kind,
        unit_key=f"{table}:{batch.pk}",
        rows=len(rows),
        year=rows[0].get("year") if rows else None,
    )
    spec = FACT_TABLES[table]
    full = [
        {"slice_id": piece.pk, **{c: r.get(c) for c in spec.column_names if c != "slice_id"}}
        for r in rows
    ]
    data = pa.Table.from_pylist(full, schema=spec.arrow_schema)
    with open_warehouse() as wh, wh.write() as writer:
        writer.add_slices([(piece.pk, batch.pk, kind)], state=ACTIVE)
        writer.append(table, data)
    return int(piece.pk)


def result_row(
    org: Organization,
    assessment_id: int,
    *,
    year: int = YEAR,
    grade: int | None,
    mark: int | None = None,
    primary: float | None = None,
    journal: int | None = None,
    test_score: float | None = None,
    student: str | None = None,
    absent: bool = False,
) -> dict[str, Any]:
    rid = next(_ids)
    return {
        "result_id": rid,
        "assessment_id": assessment_id,
        "org_id": org.pk,
        "year": year,
        "grade": grade,
        "participant_code": f"{rid:05d}",
        "student_code": student,
        "class_label": f"{grade}А" if grade else None,
        "variant": "1",
        "sex": None,
        "absent": absent,
        "primary_score": primary,
        "mark": mark,
        "test_score": test_score,
        "journal_mark": journal,
    }


def vpr_work(
    org: Organization,
    assessment_id: int,
    grade: int,
    marks: Sequence[int],
    primary: Sequence[float],
    journal: Sequence[int | None],
    *,
    year: int = YEAR,
    advanced: Sequence[float] | None = None,
    absent: int = 0,
) -> None:
    """Results (and, with ``advanced``, task scores) of one ВПР work in a school."""
    rows = [
        result_row(org, assessment_id, year=year, grade=grade, mark=m, primary=p, journal=j)
        for m, p, j in zip(marks, primary, journal, strict=True)
    ]
    rows += [
        result_row(org, assessment_id, year=year, grade=grade, absent=True) for _ in range(absent)
    ]
    write_facts("result", rows)
    if advanced is None:
        return
    scores = []
    for row, p, adv in zip(rows, primary, advanced, strict=False):
        basic = p - adv
        t1 = min(5.0, basic)
        t3 = min(5.0, adv)
        for pos, score in enumerate((t1, basic - t1, t3, adv - t3), start=1):
            scores.append(
                {
                    "result_id": row["result_id"],
                    "assessment_id": assessment_id,
                    "org_id": org.pk,
                    "task_pos": pos,
                    "score": score,
                }
            )
    write_facts("task_score", scores)


def students(org: Organization, spec: Sequence[tuple[int, int, int]], prefix: str) -> None:
    """``spec``: (grade, count, of them with ОВЗ) — pupils enrolled in the 2025/2026 year."""
    n = 0
    for grade, count, disabled in spec:
        group = ClassGroup.objects.create(
            organization=org, year=YEAR, grade=grade, label=f"{grade}{prefix}"
        )
        for i in range(count):
            n += 1
            pupil = Student.objects.create(
                code=f"{prefix}{n:04d}", organization=org, has_disability=i < disabled
            )
            Enrollment.objects.create(student=pupil, class_group=group)


def teachers(
    org: Organization, categories: Sequence[str], experience: Sequence[int], prefix: str
) -> None:
    group = ClassGroup.objects.filter(organization=org, year=YEAR).first()
    assert group is not None
    math = Subject.objects.get(code="МА")
    for i, (category, years) in enumerate(zip(categories, experience, strict=True)):
        teacher = Teacher.objects.create(
            organization=org, code=f"{prefix}T{i}", category=category, experience_years=years
        )
        cg = ClassGroup.objects.create(
            organization=org, year=YEAR, grade=group.grade, label=f"{prefix}{i}"
        )
        TeachingAssignment.objects.create(class_group=cg, subject=math, teacher=teacher)


def build(personas: Any) -> None:
    """The whole region of the indicator tests (see the module docstring)."""
    a, b, far = personas.school_a, personas.school_b, personas.school_far
    ma4 = assessment("ВПР", "МА", 4, YEAR, 20, VPR_TASKS)
    ru4 = assessment("ВПР", "РУ", 4, YEAR, 20, VPR_TASKS)
    ru5 = assessment("ВПР", "РУ", 5, YEAR, 20, VPR_TASKS)
    ma4_prev = assessment("ВПР", "МА", 4, YEAR - 1, 20, VPR_TASKS)
    # School A, ВПР МА 4: 12 writers + 1 absent; «2» ×4, «3» ×3, «4» ×2, «5» ×3.
    # Journal: confirmed 8, lowered 3 (two by 2 marks), raised 1.
    vpr_work(
        a,
        ma4,
        4,
        [2, 2, 2, 2, 3, 3, 3, 4, 4, 5, 5, 5],
        [3, 5, 6, 7, 9, 10, 11, 13, 14, 17, 18, 20],
        [3, 2, 2, 4, 3, 3, 5, 4, 4, 5, 4, 5],
        absent=1,
    )
    # School A, ВПР РУ 4: 10 writers; «2» ×3, «3» ×2, «4» ×3, «5» ×2.
    # Journal: confirmed 8, lowered 1, raised 1 (by 2 marks).
    vpr_work(
        a,
        ru4,
        4,
        [2, 2, 2, 3, 3, 4, 4, 4, 5, 5],
        [4, 5, 6, 10, 11, 14, 15, 16, 19, 20],
        [3, 2, 2, 3, 3, 4, 4, 4, 5, 3],
    )
    # School B, ВПР РУ 5: 10 writers; «2» ×1, «3» ×2, «4» ×3, «5» ×4.
    # Journal: confirmed 8, lowered 1 (by 2 marks), raised 1. Points for П/В tasks out of 10:
    # 0, 2, 4, 5, 5, 6, 7, 8, 9, 10 — seven pupils have at least half.
    vpr_work(
        b,
        ru5,
        5,
        [2, 3, 3, 4, 4, 4, 5, 5, 5, 5],
        [5, 9, 10, 13, 14, 15, 17, 18, 19, 20],
        [4, 3, 2, 4, 4, 4, 5, 5, 5, 5],
        advanced=[0, 2, 4, 5, 5, 6, 7, 8, 9, 10],
    )
    # A year earlier: school A, ВПР МА 4, 12 writers, «2» ×6, «3» ×6.
    vpr_work(a, ma4_prev, 4, [2] * 6 + [3] * 6, [5] * 6 + [9] * 6, [None] * 12, year=YEAR - 1)

    # ОГЭ at school A: МА (max 31) 10 pupils, РУ (max 37) 10, ФИ (max 45) 3 of them.
    oge_ma = assessment("ОГЭ", "МА", 9, YEAR, 31)
    oge_ru = assessment("ОГЭ", "РУ", 9, YEAR, 37)
    oge_fi = assessment("ОГЭ", "ФИ", 9, YEAR, 45)
    rows = [
        result_row(a, oge_ma, grade=9, mark=m, primary=p, student=f"N{i}")
        for i, (m, p) in enumerate(
            zip([2, 3, 3, 3, 4, 4, 4, 5, 5, 5], [5, 9, 10, 12, 15, 16, 18, 22, 25, 28], strict=True)
        )
    ]
    rows += [result_row(a, oge_ru, grade=9, mark=4, primary=30, student=f"N{i}") for i in range(10)]
    rows += [
        result_row(a, oge_fi, grade=9, mark=m, primary=p, student=f"N{i}")
        for i, (m, p) in enumerate(zip([5, 5, 3], [40, 38, 20], strict=True))
    ]
    write_facts("result", rows)

    # ЕГЭ at school A: graduates G0…G9.
    ege_ru = assessment("ЕГЭ", "РУ", 11, YEAR, 50)  # minimum 24 (аттестат, 2026)
    ege_map = assessment("ЕГЭ", "МАП", 11, YEAR, 32)  # minimum 27
    ege_mab = assessment("ЕГЭ", "МАБ", 11, YEAR, 21)  # minimum «3»
    ege_fi = assessment("ЕГЭ", "ФИ", 11, YEAR, 45)  # minimum 36
    ru = [20, 30, 45, 60, 70, 72, 80, 85, 95, 100]
    rows = [
        result_row(a, ege_ru, grade=11, test_score=s, student=f"G{i}") for i, s in enumerate(ru)
    ]
    rows += [
        result_row(a, ege_map, grade=11, test_score=s, student=f"G{i}")
        for i, s in enumerate([10, 27, 50, 70, 82, 100])
    ]
    rows += [
        result_row(a, ege_mab, grade=11, mark=m, student=f"G{6 + i}")
        for i, m in enumerate([5, 4, 2, 5])
    ]
    rows += [
        result_row(a, ege_fi, grade=11, test_score=s, student=f"G{4 + i}")
        for i, s in enumerate([40, 90])
    ]
    write_facts("result", rows)
    # Every graduate of A has a medal.
    write_facts(
        "medal",
        [{"org_id": a.pk, "year": YEAR, "student_code": f"G{i}", "medal": "I"} for i in range(10)],
    )
    # School B: the regional ЕГЭ form only — Russian, 20 participants, 2 below the minimum,
    # 4 with 80–99 points.
    write_facts(
        "aggregate_result",
        [
            {
                "org_id": b.pk,
                "year": YEAR,
                "procedure": "ЕГЭ",
                "subject": "РУ",
                "grade": 11,
                "metric": "below_min",
                "numerator": 2,
                "denominator": 20,
                "value": 10.0,
            },
            {
                "org_id": b.pk,
                "year": YEAR,
                "procedure": "ЕГЭ",
                "subject": "РУ",
                "grade": 11,
                "metric": "high_80_99",
                "numerator": 4,
                "denominator": 20,
                "value": 20.0,
            },
        ],
    )

    # Functional literacy (ФГ, читательская грамотность, max 10) at A: 10 writers, 7 with ≥ 5.
    fg = assessment("ФГ", "ЧГ", 8, YEAR, 10)
    write_facts(
        "result", [result_row(a, fg, grade=8, primary=p) for p in [2, 4, 5, 5, 6, 7, 8, 9, 10, 3]]
    )
    # Metasubject diagnostic (МОП, МП, max 10) at B: 10 writers; «5» ×3 and one without a mark
    # with 9 of 10 points — 4 on the high level.
    mp = assessment("МОП", "МП", 7, YEAR, 10)
    write_facts(
        "result",
        [
            result_row(b, mp, grade=7, mark=m, primary=p)
            for m, p in zip(
                [5, 5, 5, 4, 4, 3, 3, 3, 2, None], [10, 9, 9, 7, 7, 5, 5, 5, 2, 9], strict=True
            )
        ],
    )

    # Journal year marks: A — 12 in МА (one «2», seven «4»/«5») plus 3 quarter marks that do
    # not count; B — 10 «5» in РУ.
    journal = [
        {
            "org_id": a.pk,
            "year": YEAR,
            "student_code": f"J{i}",
            "class_label": "5А",
            "grade": 5,
            "subject": "МА",
            "period": "year",
            "mark": m,
        }
        for i, m in enumerate([2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 3, 4])
    ]
    journal += [
        {
            "org_id": a.pk,
            "year": YEAR,
            "student_code": f"J{i}",
            "class_label": "5А",
            "grade": 5,
            "subject": "МА",
            "period": "t3",
            "mark": 2,
        }
        for i in range(3)
    ]
    journal += [
        {
            "org_id": b.pk,
            "year": YEAR,
            "student_code": f"K{i}",
            "class_label": "5Б",
            "grade": 5,
            "subject": "РУ",
            "period": "year",
            "mark": 5,
        }
        for i in range(10)
    ]
    write_facts("journal_mark", journal)

    # ВсОШ. A: school stage 12 entries by 8 pupils (2 winners, 3 prize-winners); municipal
    # 10 entries by 6 pupils (1 winner, 2 prize-winners); regional 2 entries (1 prize).
    # B: school stage 10 entries by 10 pupils (1 winner).
    def olymp(
        org: Organization, stage: str, pupils: Sequence[str], statuses: Sequence[str]
    ) -> list[dict[str, Any]]:
        return [
            {
                "org_id": org.pk,
                "year": YEAR,
                "stage": stage,
                "subject": "МА",
                "grade": 7,
                "student_code": p,
                "status": s,
                "score": 50.0,
            }
            for p, s in zip(pupils, statuses, strict=True)
        ]

    entries = olymp(
        a,
        "school",
        [f"S{i}" for i in [0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3]],
        ["winner", "winner", "prize", "prize", "prize"] + ["participant"] * 7,
    )
    entries += olymp(
        a,
        "municipal",
        [f"S{i}" for i in [0, 1, 2, 3, 4, 5, 0, 1, 2, 3]],
        ["winner", "prize", "prize"] + ["participant"] * 7,
    )
    entries += olymp(a, "regional", ["S0", "S1"], ["prize", "participant"])
    entries += olymp(b, "school", [f"T{i}" for i in range(10)], ["winner"] + ["participant"] * 9)
    write_facts("olympiad_result", entries)

    # Observers: at A on ВПР МА 4; at B on the school stage of ВсОШ.
    write_facts(
        "observer_presence",
        [
            {
                "org_id": a.pk,
                "year": YEAR,
                "procedure": "ВПР",
                "subject": "МА",
                "grade": 4,
                "event_date": dt.date(YEAR, 4, 10),
                "observers": 2,
                "observer_kind": "public",
                "video": True,
            },
            {
                "org_id": b.pk,
                "year": YEAR,
                "procedure": "ВсОШ-Ш",
                "subject": "МА",
                "grade": 7,
                "event_date": dt.date(YEAR - 1, 10, 1),
                "observers": 1,
                "observer_kind": "public",
                "video": False,
            },
        ],
    )
    # The official list of non-objective ВПР results names school A.
    write_facts(
        "official_marker",
        [
            {
                "org_id": a.pk,
                "year": YEAR,
                "procedure": "ВПР",
                "grade": 4,
                "subject": "МА",
                "list_source": "ФИОКО",
            }
        ],
    )

    # Registry: A — 50 pupils (10 in grade 2, 40 in grades 4–11, 12 with ОВЗ), B — 25 in 5–9.
    students(a, [(2, 10, 0), (4, 10, 4), (7, 10, 4), (9, 10, 4), (11, 10, 0)], "A")
    students(b, [(5, 15, 0), (9, 10, 0)], "B")
    # Teachers: A — 10 (3 highest, 3 first), experience 1, 2, 2, 5…35 (three under 3 years);
    # B — 10, all with a category, 10 years each.
    teachers(
        a,
        ["highest"] * 3 + ["first"] * 3 + ["conformity"] * 2 + ["none"] * 2,
        [1, 2, 2, 5, 10, 15, 20, 25, 30, 35],
        "A",
    )
    teachers(b, ["highest"] * 5 + ["first"] * 5, [10] * 10, "B")
    # Social context: A — 50 pupils, 2 on the КДН/ПДН register, 3 vacancies; B — 25, 0, 1.
    SocialContext.objects.create(
        organization=a, year=YEAR, students_total=50, kdn_pdn=2, staff_vacancies=3
    )
    SocialContext.objects.create(
        organization=b, year=YEAR, students_total=25, kdn_pdn=0, staff_vacancies=1
    )
    assert far.pk  # the far school only exists in the registry


FLAGS = {
    "low_results": {"sch990001": 1.0, "sch990002": 0.0},
    "objectivity": {"sch990001": 0.0, "sch990002": 2.0},
}


@contextmanager
def fake_flags(values: dict[str, dict[str, float]] | None = None) -> Iterator[None]:
    """Replace the ``flags`` source of the risks area by fixed values for the test."""
    table = values or FLAGS
    previous = sources.source("flags")

    def provider(name: str, years: Sequence[int]) -> pa.Table:
        ids = dict(Organization.objects.values_list("code", "pk"))
        rows = [
            (ids[code], year, value)
            for code, value in table.get(name, {}).items()
            for year in years
            if code in ids
        ]
        return pa.table(
            {
                "org_id": [r[0] for r in rows],
                "year": [r[1] for r in rows],
                "value": [r[2] for r in rows],
            },
            schema=sources.SOURCE_SCHEMA,
        )

    sources.register_source("flags", "Флаги (тест)", provider)
    try:
        yield
    finally:
        if previous is not None:
            sources.register_source("flags", previous.title, previous.provider, previous.names)
        else:
            sources._SOURCES.pop("flags", None)
