"""What the engine reads from the application database: catalog dimensions, registry sources,
the territory hierarchy and the external sources of other areas, as Arrow tables."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
from django.db.models import Count

from soko.catalog.models import Assessment, MinScore, Procedure, Task
from soko.catalog.selectors import ParameterMissing, parameter_value
from soko.core.errors import ApplicationError
from soko.indicators import sources as external_sources
from soko.indicators.engine import Hierarchy, Inputs
from soko.registry.models import (
    IN_DEPTH_TYPES,
    ClassGroup,
    Enrollment,
    Organization,
    SocialContext,
    Teacher,
    TeachingAssignment,
    Territory,
)

#: Purposes of a ЕГЭ minimum score that count as «минимальный порог» (others, like the higher
#: university minimum, are ignored). Overridden by parameter indicators.ege.min_score_purposes.
DEFAULT_PURPOSES = ["аттестат", "минимальный балл", ""]


def param(code: str, year: int | None = None, default: Any = None) -> Any:
    try:
        return parameter_value(code, year)
    except ParameterMissing:
        if default is not None:
            return default
        raise


def _min_scores() -> dict[tuple[str, str], list[MinScore]]:
    found: dict[tuple[str, str], list[MinScore]] = defaultdict(list)
    for m in MinScore.objects.select_related("procedure", "subject"):
        found[(m.procedure.code, m.subject.code)].append(m)
    return found


def _pick_min(rows: list[MinScore], year: int, purposes: Sequence[str]) -> MinScore | None:
    """The minimum score in force for a year: same year, else the latest earlier year, else the
    earliest later one; within a year the first purpose in ``purposes``."""
    usable = [r for r in rows if r.purpose in purposes]
    if not usable:
        return None
    years = sorted({r.year for r in usable})
    earlier = [y for y in years if y <= year]
    chosen = earlier[-1] if earlier else years[0]
    same = [r for r in usable if r.year == chosen]
    return sorted(same, key=lambda r: purposes.index(r.purpose))[0]


def assessment_dim(years: Sequence[int]) -> pa.Table:
    """One row per assessment: procedure, subject, grade, maximum, the year's minimums and the
    maximum points of basic and advanced tasks."""
    purposes = list(param("indicators.ege.min_score_purposes", None, DEFAULT_PURPOSES))
    mins = _min_scores()
    levels: dict[int, dict[str, float]] = defaultdict(lambda: {"Б": 0.0, "ПВ": 0.0})
    for aid, level, total in Task.objects.values_list("assessment_id", "level", "max_score"):
        key = "Б" if level == "Б" else "ПВ" if level in ("П", "В") else ""
        if key:
            levels[aid][key] += float(total)
    rows: dict[str, list[Any]] = defaultdict(list)
    qs = Assessment.objects.select_related("procedure", "subject")
    if years:
        qs = qs.filter(year__in=list(years))
    for a in qs:
        proc = a.procedure
        chosen = _pick_min(mins.get((proc.code, a.subject.code), []), a.year, purposes)
        min_score = chosen.score if chosen is not None and chosen.score_kind == "test" else None
        min_mark: float | None = (
            float(chosen.mark) if chosen is not None and chosen.mark is not None else None
        )
        if min_mark is None and proc.result == Procedure.Result.MARK:
            min_mark = 3.0
        rows["assessment_id"].append(a.pk)
        rows["procedure"].append(proc.code)
        rows["procedure_kind"].append(proc.kind)
        rows["subject"].append(a.subject.code)
        rows["a_grade"].append(a.grade)
        rows["a_year"].append(a.year)
        rows["max_primary"].append(float(a.max_primary) if a.max_primary else None)
        rows["min_score"].append(min_score)
        rows["min_mark"].append(min_mark)
        basic = levels[a.pk]["Б"] if a.pk in levels else None
        advanced = levels[a.pk]["ПВ"] if a.pk in levels else None
        rows["basic_max"].append(basic or None)
        rows["advanced_max"].append(advanced or None)
    schema = pa.schema(
        [
            ("assessment_id", pa.int32()),
            ("procedure", pa.string()),
            ("procedure_kind", pa.string()),
            ("subject", pa.string()),
            ("a_grade", pa.int16()),
            ("a_year", pa.int16()),
            ("max_primary", pa.float64()),
            ("min_score", pa.float64()),
            ("min_mark", pa.float64()),
            ("basic_max", pa.float64()),
            ("advanced_max", pa.float64()),
        ]
    )
    return pa.table({f.name: rows.get(f.name, []) for f in schema}, schema=schema)


def task_dim(years: Sequence[int]) -> pa.Table:
    qs = Task.objects.all()
    if years:
        qs = qs.filter(assessment__year__in=list(years))
    data = list(qs.values_list("assessment_id", "position", "number", "level", "max_score"))
    schema = pa.schema(
        [
            ("assessment_id", pa.int32()),
            ("task_pos", pa.int16()),
            ("task_number", pa.string()),
            ("task_level", pa.string()),
            ("task_max", pa.float64()),
        ]
    )
    return pa.table({f.name: [row[i] for row in data] for i, f in enumerate(schema)}, schema=schema)


def procedure_dim() -> pa.Table:
    data = list(Procedure.objects.values_list("code", "kind"))
    return pa.table(
        {"code": [c for c, _ in data], "kind": [k for _, k in data]},
        schema=pa.schema([("code", pa.string()), ("kind", pa.string())]),
    )


# --- registry sources ----------------------------------------------------------------------------


def _table(columns: dict[str, tuple[pa.DataType, list[Any]]]) -> pa.Table:
    return pa.table({name: pa.array(values, type=kind) for name, (kind, values) in columns.items()})


def students_table(years: Sequence[int]) -> pa.Table:
    qs = Enrollment.objects.filter(class_group__year__in=list(years)).values_list(
        "class_group__organization_id",
        "class_group__year",
        "class_group__grade",
        "student__code",
        "class_group__label",
        "student__sex",
        "student__has_disability",
    )
    rows = list(qs.iterator(chunk_size=20000))
    return _table(
        {
            "org_id": (pa.int64(), [r[0] for r in rows]),
            "year": (pa.int64(), [r[1] for r in rows]),
            "grade": (pa.int64(), [r[2] for r in rows]),
            "student_code": (pa.string(), [r[3] for r in rows]),
            "class_label": (pa.string(), [r[4] for r in rows]),
            "sex": (pa.string(), [r[5] or None for r in rows]),
            "disability": (pa.bool_(), [bool(r[6]) for r in rows]),
        }
    )


def teachers_table(years: Sequence[int]) -> pa.Table:
    wanted = sorted(set(years))
    taught: dict[int, set[int]] = defaultdict(set)
    for teacher_id, year in (
        TeachingAssignment.objects.filter(class_group__year__in=wanted)
        .values_list("teacher_id", "class_group__year")
        .distinct()
    ):
        taught[teacher_id].add(year)
    with_any = set(TeachingAssignment.objects.values_list("teacher_id", flat=True).distinct())
    latest = max(wanted) if wanted else None
    subjects = dict(Teacher.objects.annotate(k=Count("subjects")).values_list("pk", "k"))
    cols: dict[str, list[Any]] = defaultdict(list)
    for t in Teacher.objects.all().values(
        "pk", "organization_id", "code", "category", "experience_years", "birth_year", "is_active"
    ):
        teacher_years = sorted(taught.get(t["pk"], set()))
        if not teacher_years and t["pk"] not in with_any and t["is_active"] and latest:
            teacher_years = [latest]
        for year in teacher_years:
            cols["org_id"].append(t["organization_id"])
            cols["year"].append(year)
            cols["teacher_code"].append(t["code"])
            cols["category"].append(t["category"])
            cols["experience_years"].append(
                float(t["experience_years"]) if t["experience_years"] is not None else None
            )
            cols["age"].append(float(year - t["birth_year"]) if t["birth_year"] else None)
            cols["subjects"].append(float(subjects.get(t["pk"], 0)))
    return _table(
        {
            "org_id": (pa.int64(), cols["org_id"]),
            "year": (pa.int64(), cols["year"]),
            "teacher_code": (pa.string(), cols["teacher_code"]),
            "category": (pa.string(), cols["category"]),
            "experience_years": (pa.float64(), cols["experience_years"]),
            "age": (pa.float64(), cols["age"]),
            "subjects": (pa.float64(), cols["subjects"]),
        }
    )


def orgs_table(years: Sequence[int]) -> pa.Table:
    in_depth = set(
        Organization.in_depth_subjects.through.objects.values_list(
            "organization_id", flat=True
        ).distinct()
    )
    cols: dict[str, list[Any]] = defaultdict(list)
    for o in Organization.objects.values("pk", "kind", "org_type", "settlement", "is_active"):
        for year in sorted(set(years)):
            cols["org_id"].append(o["pk"])
            cols["year"].append(year)
            cols["kind"].append(o["kind"])
            cols["org_type"].append(o["org_type"])
            cols["rural"].append(o["settlement"] == "rural")
            cols["in_depth"].append(o["org_type"] in IN_DEPTH_TYPES or o["pk"] in in_depth)
            cols["is_active"].append(bool(o["is_active"]))
    return _table(
        {
            "org_id": (pa.int64(), cols["org_id"]),
            "year": (pa.int64(), cols["year"]),
            "kind": (pa.string(), cols["kind"]),
            "org_type": (pa.string(), cols["org_type"]),
            "rural": (pa.bool_(), cols["rural"]),
            "in_depth": (pa.bool_(), cols["in_depth"]),
            "is_active": (pa.bool_(), cols["is_active"]),
        }
    )


_SOCIAL_NUMBERS = (
    "students_total",
    "low_income",
    "single_parent",
    "parents_higher_ed",
    "non_native_russian",
    "disabled",
    "kdn_pdn",
    "staff_vacancies",
    "remoteness_km",
)


def social_table(years: Sequence[int]) -> pa.Table:
    rows = list(
        SocialContext.objects.filter(year__in=list(years)).values(
            "organization_id", "year", "second_shift", *_SOCIAL_NUMBERS
        )
    )
    columns: dict[str, tuple[pa.DataType, list[Any]]] = {
        "org_id": (pa.int64(), [r["organization_id"] for r in rows]),
        "year": (pa.int64(), [r["year"] for r in rows]),
        "second_shift": (pa.bool_(), [r["second_shift"] for r in rows]),
    }
    for name in _SOCIAL_NUMBERS:
        columns[name] = (
            pa.float64(),
            [float(r[name]) if r[name] is not None else None for r in rows],
        )
    return _table(columns)


REGISTRY_BUILDERS = {
    "students": students_table,
    "teachers": teachers_table,
    "orgs": orgs_table,
    "social": social_table,
}


def registry_source(name: str, years: Sequence[int]) -> pa.Table:
    return REGISTRY_BUILDERS[name](years)


def external_source(prefix: str, name: str, years: Sequence[int]) -> pa.Table:
    spec = external_sources.source(prefix)
    if spec is None:
        raise ApplicationError(f"Источник данных «{prefix}» не подключён.")
    table = spec.provider(name, list(years))
    if not isinstance(table, pa.Table):
        raise ApplicationError(f"Источник «{prefix}» вернул данные в неверном формате.")
    return table


def alpha_for(year: int) -> float:
    return float(param("indicators.significance.alpha", year, 0.05))


def build_inputs(years: Sequence[int]) -> Inputs:
    alphas = {year: alpha_for(year) for year in years}
    return Inputs(
        assessments=assessment_dim(years),
        tasks=task_dim(years),
        procedures=procedure_dim(),
        registry=registry_source,
        external=external_source,
        alpha=lambda year: alphas[year] if year in alphas else alpha_for(year),
    )


def build_hierarchy() -> Hierarchy:
    return Hierarchy(
        org_territory=dict(Organization.objects.values_list("pk", "territory_id")),
        territory_parent=dict(Territory.objects.values_list("pk", "parent_id")),
    )


def registry_years() -> set[int]:
    years = set(ClassGroup.objects.values_list("year", flat=True).distinct())
    years |= set(SocialContext.objects.values_list("year", flat=True).distinct())
    return {int(y) for y in years}
