"""Reads of the stored analyses, always through a :class:`~soko.accounts.scope.Scope`.

A school user reads its own organization (and its classes) plus the aggregates of its
municipality and region; authority and methodologist users read the organizations of their
territory plus the aggregates of their territory and the territories above it. Anything else
is a 404. Groups under the minimum size are marked ``suppressed`` and their figures are left
out (they still count in the totals of larger units). The dictionaries returned here feed the
pages, the XLSX exports and the CLI alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from soko.accounts.scope import Scope
from soko.analyses import stats as st
from soko.analyses.models import (
    AssessmentAnalysis,
    ClusterMember,
    ClusterRun,
    Cohort,
    Deficit,
    DeficitSummary,
    Level,
    ResultSummary,
    SchoolAgreement,
    SchoolPosition,
    ShareTwoTrend,
)
from soko.catalog.models import Subject
from soko.catalog.selectors import ParameterMissing, min_group_size, parameter_value
from soko.registry.models import Organization, Territory

LEVEL_LABELS = dict(Level.choices)
MARKS = (2, 3, 4, 5)


def _param(code: str, year: int | None, default: Any) -> Any:
    try:
        return parameter_value(code, year)
    except ParameterMissing:
        return default


def _min_group() -> int:
    try:
        return min_group_size()
    except ParameterMissing:
        return 10


# --- visibility -------------------------------------------------------------------------------


def visible_territory_ids(scope: Scope) -> frozenset[int] | None:
    """Territories whose aggregates the scope may read (None: all). The territories of the
    scope and every territory above them (a school compares itself with its municipality and
    region)."""
    if scope.is_public:
        return frozenset()
    if scope.territory_ids is None:
        return None
    parents = dict(Territory.objects.values_list("id", "parent_id"))
    found = set(scope.territory_ids)
    for tid in list(scope.territory_ids):
        parent = parents.get(tid)
        while parent is not None and parent not in found:
            found.add(parent)
            parent = parents.get(parent)
    return frozenset(found)


def _territory_q(scope: Scope, field: str = "territory_id") -> Q:
    ids = visible_territory_ids(scope)
    if ids is None:
        return Q()
    return Q(**{f"{field}__in": sorted(ids)})


def summaries_visible(scope: Scope) -> QuerySet[ResultSummary]:
    """Summary rows the scope may read: its organizations' class and organization rows and
    the aggregates of visible territories."""
    own = Q(level__in=[Level.CLASS, Level.ORGANIZATION]) & scope.org_q("organization")
    aggregates = Q(level__in=[Level.MUNICIPALITY, Level.REGION]) & _territory_q(scope)
    if scope.is_public:
        return ResultSummary.objects.none()
    return ResultSummary.objects.filter(own | aggregates)


def shows_teachers(scope: Scope) -> bool:
    """The teacher's code is shown to the authority and to the teacher's own school only."""
    return scope.sees_personal_data


# --- list of analysed works -------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    procedure: str | None = None
    subject: str | None = None
    grade: int | None = None
    year: int | None = None


def analysis_list(scope: Scope, filters: Filters = Filters()) -> QuerySet[AssessmentAnalysis]:
    """Analysed works the scope has results in, newest first."""
    qs = AssessmentAnalysis.objects.select_related("assessment__procedure", "assessment__subject")
    if scope.is_public:
        return qs.none()
    if scope.territory_ids is not None:
        ids = summaries_visible(scope).filter(
            level=Level.ORGANIZATION
        ).values_list("analysis_id", flat=True)
        qs = qs.filter(pk__in=ids)
    if filters.procedure:
        qs = qs.filter(procedure=filters.procedure)
    if filters.subject:
        qs = qs.filter(subject=filters.subject)
    if filters.grade:
        qs = qs.filter(grade=filters.grade)
    if filters.year:
        qs = qs.filter(year=filters.year)
    return qs.order_by("-year", "procedure", "subject", "grade")


def filter_choices(scope: Scope) -> dict[str, list[Any]]:
    """Values for the filter form of the home page."""
    qs = analysis_list(scope)
    subjects = dict(Subject.objects.values_list("code", "name"))
    subject_codes = sorted(set(qs.values_list("subject", flat=True)))
    return {
        "procedures": sorted(set(qs.values_list("procedure", flat=True))),
        "subjects": [(c, subjects.get(c, c)) for c in subject_codes],
        "grades": sorted({g for g in qs.values_list("grade", flat=True) if g is not None}),
        "years": sorted(set(qs.values_list("year", flat=True)), reverse=True),
        "levels": [(k, v) for k, v in Level.choices],
    }


def analysis_get(scope: Scope, pk: int) -> AssessmentAnalysis:
    found = analysis_list(scope).filter(pk=pk).first()
    if found is None:
        raise Http404("Анализ не найден или недоступен.")
    return found


def analysis_find(
    scope: Scope, *, procedure: str, subject: str, grade: int | None, year: int
) -> AssessmentAnalysis | None:
    qs = analysis_list(scope, Filters(procedure, subject, grade, year))
    return qs.first()


# --- unit rows --------------------------------------------------------------------------------


def _unit_name(s: ResultSummary) -> str:
    if s.level == Level.CLASS:
        return f"{s.organization.short_name if s.organization else ''}, {s.class_label}"
    if s.level == Level.ORGANIZATION and s.organization is not None:
        return s.organization.short_name
    if s.territory is not None:
        return s.territory.name
    return LEVEL_LABELS[s.level]


def _percent_of_max(s: ResultSummary, max_primary: float | None) -> float | None:
    if s.test_n:
        return s.test_sum / s.test_n / 100.0
    if s.primary_n and max_primary:
        return s.primary_sum / s.primary_n / max_primary
    return None


def unit_row(s: ResultSummary, analysis: AssessmentAnalysis, min_n: int) -> dict[str, Any]:
    """«Статистика по отметкам» of one unit as a JSON-able dict (shares 0–1)."""
    suppressed = s.participants < min_n
    row: dict[str, Any] = {
        "level": s.level,
        "level_label": LEVEL_LABELS[s.level],
        "name": _unit_name(s),
        "org_code": s.organization.code if s.organization is not None else None,
        "class_label": s.class_label or None,
        "territory_code": s.territory.code if s.territory is not None else None,
        "organizations": s.organizations,
        "participants": s.participants,
        "absent": s.absent,
        "suppressed": suppressed,
    }
    if suppressed:
        row.update({f"share_{m}": None for m in MARKS})
        row.update({"share_45": None, "share_low": None, "mean_primary": None, "percent": None,
                    "mean_test": None})
        return row
    for m in MARKS:
        row[f"share_{m}"] = s.share(m)
    s4, s5 = row["share_4"], row["share_5"]
    row["share_45"] = None if s4 is None or s5 is None else s4 + s5
    row["mean_primary"] = s.mean_primary
    row["mean_test"] = s.mean_test
    row["percent"] = _percent_of_max(s, analysis.assessment.max_primary)
    row["share_low"] = row["share_2"]
    if s.test_n:
        row["share_below_min"] = s.test_below_min / s.test_n
        row["share_high"] = s.test_high / s.test_n
        if row["share_2"] is None and analysis.thresholds.get("min_test"):
            row["share_low"] = row["share_below_min"]
    return row


def marks_table(
    scope: Scope, *, procedure: str, subject: str, grade: int | None, year: int
) -> dict[str, Any]:
    """«Статистика по отметкам» of a work: one row per visible organization (by login), then
    the municipalities and the region. Shares are fractions 0–1; ``participants`` counts those
    who wrote the work (absent excluded)."""
    analysis = analysis_find(scope, procedure=procedure, subject=subject, grade=grade, year=year)
    if analysis is None:
        raise Http404("Нет анализа этой работы.")
    min_n = _min_group()
    qs = (
        summaries_visible(scope)
        .filter(analysis=analysis, level__in=[Level.ORGANIZATION, Level.MUNICIPALITY,
                                              Level.REGION])
        .select_related("organization", "territory", "analysis__assessment")
    )
    order = {Level.ORGANIZATION: 0, Level.MUNICIPALITY: 1, Level.REGION: 2}
    rows = sorted(
        (unit_row(s, analysis, min_n) for s in qs),
        key=lambda r: (order[r["level"]], r["org_code"] or r["territory_code"] or ""),
    )
    return {
        "assessment_id": analysis.assessment_id,
        "analysis_id": analysis.pk,
        "title": analysis.assessment.title,
        "procedure": analysis.procedure,
        "subject": analysis.subject,
        "grade": analysis.grade,
        "year": analysis.year,
        "min_group": min_n,
        "rows": rows,
    }


# --- the procedure report ---------------------------------------------------------------------


def _default_unit(
    scope: Scope, analysis: AssessmentAnalysis, level: str | None = None
) -> ResultSummary:
    """The unit a page opens at: of the requested level if given, else the school's own
    organization, the user's municipality, or the region."""
    qs = summaries_visible(scope).filter(analysis=analysis)
    if level in (Level.CLASS, Level.ORGANIZATION):
        own = qs.filter(level=level)
        if scope.organization_id is not None:
            own = own.filter(organization_id=scope.organization_id)
        found = own.order_by("organization__short_name", "class_label").first()
        if found is not None:
            return found
    if level == Level.REGION:
        found = qs.filter(level=Level.REGION).first()
        if found is not None:
            return found
    if scope.organization_id is not None and level != Level.MUNICIPALITY:
        found = qs.filter(level=Level.ORGANIZATION, organization_id=scope.organization_id).first()
        if found is not None:
            return found
    municipal = qs.filter(level=Level.MUNICIPALITY)
    if scope.territory_ids is not None:
        municipal = municipal.filter(territory_id__in=sorted(scope.territory_ids))
        if scope.organization_id is not None:
            own_org = Organization.objects.filter(pk=scope.organization_id).first()
            municipal = municipal.filter(territory_id=own_org.territory_id if own_org else 0)
    found = municipal.order_by("territory__name").first()
    if found is not None:
        return found
    found = qs.filter(level=Level.REGION).first()
    if found is None:
        found = qs.first()
    if found is None:
        raise Http404("Нет доступных результатов этой работы.")
    return found


def _unit(
    scope: Scope,
    analysis: AssessmentAnalysis,
    *,
    org: str | None,
    class_label: str | None,
    territory: str | None,
    level: str | None = None,
) -> ResultSummary:
    qs = summaries_visible(scope).filter(analysis=analysis).select_related(
        "organization__territory", "territory"
    )
    if org:
        if class_label:
            found = qs.filter(level=Level.CLASS, organization__code=org,
                              class_label=class_label).first()
        else:
            found = qs.filter(level=Level.ORGANIZATION, organization__code=org).first()
    elif territory:
        found = qs.filter(
            level__in=[Level.MUNICIPALITY, Level.REGION], territory__code=territory
        ).first()
    else:
        found = _default_unit(scope, analysis, level)
        found = qs.filter(pk=found.pk).first()
    if found is None:
        raise Http404("Единица анализа не найдена или недоступна.")
    return found


def _comparisons(scope: Scope, unit: ResultSummary) -> list[ResultSummary]:
    """The units a unit is compared with: its organization (for a class), municipality and
    region — those that exist and are visible."""
    qs = summaries_visible(scope).filter(analysis_id=unit.analysis_id).select_related(
        "organization", "territory"
    )
    out = []
    if unit.level == Level.CLASS:
        org = qs.filter(
            level=Level.ORGANIZATION, organization_id=unit.organization_id or 0
        ).first()
        if org is not None:
            out.append(org)
    territory: Territory | None = None
    if unit.organization is not None:
        territory = unit.organization.territory
    elif unit.territory is not None:
        territory = unit.territory
    chain = []
    while territory is not None:
        chain.append(territory)
        territory = territory.parent
    for t in chain:
        if unit.level in (Level.MUNICIPALITY, Level.REGION) and t.pk == unit.territory_id:
            continue
        found = qs.filter(
            level__in=[Level.MUNICIPALITY, Level.REGION], territory_id=t.pk
        ).first()
        if found is not None:
            out.append(found)
    return out


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100.0, 1)


def report_data(
    scope: Scope,
    analysis_id: int,
    *,
    org: str | None = None,
    class_label: str | None = None,
    territory: str | None = None,
    level: str | None = None,
) -> dict[str, Any]:
    """The full procedure analysis of a work for one unit against its comparison units.

    Sections (ФИС ОКО report set): mark statistics, primary-score distribution with the mark
    boundaries and the reliability of the histogram, task completion with the mastery classes,
    completion by groups of participants (by mark), planned results (skills), ВПР vs journal
    marks, the mastery summary and the dynamics of the «2» share. Figures are shares 0–1 except
    the ``*_pct`` fields (percent). Suppressed units carry no figures.
    """
    analysis = analysis_get(scope, analysis_id)
    unit = _unit(
        scope, analysis, org=org, class_label=class_label, territory=territory, level=level
    )
    comparisons = _comparisons(scope, unit)
    min_n = _min_group()
    group_min = int(_param("analyses.group.min_n", analysis.year, 10))
    units = [unit, *comparisons]
    rows = [unit_row(s, analysis, min_n) for s in units]
    suppressed = rows[0]["suppressed"]
    data: dict[str, Any] = {
        "analysis": _analysis_dict(analysis),
        "unit": rows[0],
        "units": rows,
        "min_group": min_n,
        "suppressed": suppressed,
    }
    if suppressed:
        return data
    visible_cmp = [s for s, r in zip(units, rows, strict=True) if not r["suppressed"]]
    data["histogram"] = _histogram_section(analysis, unit, visible_cmp)
    data["tasks"] = _task_section(analysis, visible_cmp)
    data["groups"] = _group_section(analysis, unit, group_min)
    data["skills"] = _skill_section(analysis, visible_cmp)
    data["journal"] = _journal_section(analysis, visible_cmp)
    data["mastery"] = _mastery_summary(analysis, unit)
    data["dynamics"] = _dynamics_section(scope, analysis, unit, min_n)
    data["children"] = _children(scope, analysis, unit, min_n)
    return data


def _analysis_dict(a: AssessmentAnalysis) -> dict[str, Any]:
    assessment = a.assessment
    return {
        "id": a.pk,
        "assessment_id": a.assessment_id,
        "title": assessment.title,
        "procedure": a.procedure,
        "subject": a.subject,
        "subject_name": assessment.subject.name,
        "grade": a.grade,
        "year": a.year,
        "max_primary": assessment.max_primary,
        "participants": a.participants,
        "organizations": a.organizations,
        "boundaries": a.boundaries,
        "scale_status": a.scale_status,
        "scale_status_label": dict(type(assessment).ScaleStatus.choices).get(
            a.scale_status, a.scale_status
        ),
        "scale_source": a.scale_source,
        "thresholds": a.thresholds,
        "computed_at": a.computed_at.isoformat() if a.computed_at else None,
        "computed_at_text": _local(a.computed_at),
        "has_marks": a.has_marks,
        "has_tasks": a.has_tasks,
        "has_journal": a.has_journal,
        "has_test_scores": a.has_test_scores,
    }


def _local(moment: Any) -> str:
    if moment is None:
        return ""
    from django.utils import timezone

    return str(timezone.localtime(moment).strftime("%d.%m.%Y %H:%M"))


def _histogram_section(
    analysis: AssessmentAnalysis, unit: ResultSummary, units: list[ResultSummary]
) -> dict[str, Any]:
    year = analysis.year
    hist_min = int(_param("vpr.histogram.min_n", year, 20))
    informative = int(_param("vpr.histogram.informative_n", year, 50))
    size = max((len(s.histogram) for s in units), default=0)
    bounds = {int(k): float(v) for k, v in analysis.boundaries.items()}
    scores = list(range(size))

    def mark_of(score: int) -> int | None:
        if not bounds:
            return None
        mark = min(bounds) - 1
        for m in sorted(bounds):
            if score >= bounds[m]:
                mark = m
        return mark

    series = []
    for s in units:
        total = sum(s.histogram)
        padded = s.histogram + [0] * (size - len(s.histogram))
        series.append(
            {
                "name": _unit_name(s),
                "level": s.level,
                "counts": padded,
                "percents": [round(c / total * 100.0, 2) if total else 0.0 for c in padded],
            }
        )
    reliability = st.histogram_reliability(unit.participants, hist_min, informative)
    return {
        "scores": scores,
        "marks": [mark_of(x) for x in scores],
        "boundaries": {str(k): v for k, v in sorted(bounds.items())},
        "scale_status": analysis.scale_status,
        "series": series,
        "reliability": reliability,
        "reliability_label": st.RELIABILITY_LABELS[reliability],
        "min_n": hist_min,
        "informative_n": informative,
    }


def _by_pos(s: ResultSummary) -> dict[int, dict[str, Any]]:
    return {int(t["pos"]): t for t in s.tasks}


def _task_section(analysis: AssessmentAnalysis, units: list[ResultSummary]) -> list[dict[str, Any]]:
    maps = [_by_pos(s) for s in units]
    out = []
    for t in analysis.tasks:
        pos = int(t["pos"])
        values = []
        for m in maps:
            entry = m.get(pos)
            values.append(None if entry is None else entry.get("completion"))
        first = maps[0].get(pos) if maps else None
        status = first.get("status") if first else None
        out.append(
            {
                "pos": pos,
                "number": t["number"],
                "max": t["max"],
                "level": t["level"],
                "skill": t["skill"],
                "completion": values,
                "completion_pct": [_pct(v) for v in values],
                "status": status,
                "status_label": st.STATUS_LABELS.get(status or "", "—"),
            }
        )
    return out


def _group_section(
    analysis: AssessmentAnalysis, unit: ResultSummary, group_min: int
) -> dict[str, Any]:
    """Completion of each task by the participants who got each mark; groups under
    ``group_min`` participants are suppressed."""
    sizes = {m: getattr(unit, f"mark_{m}") for m in MARKS}
    shown = {m: sizes[m] >= group_min for m in MARKS}
    by_pos = _by_pos(unit)
    rows = []
    for t in analysis.tasks:
        entry = by_pos.get(int(t["pos"]), {})
        marks = entry.get("by_mark", {})
        values: list[float | None] = []
        for m in MARKS:
            pair = marks.get(str(m))
            if not shown[m] or not pair or not pair[1] or not t["max"]:
                values.append(None)
            else:
                values.append(round(pair[0] / (pair[1] * t["max"]) * 100.0, 1))
        rows.append({"number": t["number"], "level": t["level"], "max": t["max"],
                     "values": values})
    return {
        "marks": list(MARKS),
        "sizes": [sizes[m] for m in MARKS],
        "shown": [shown[m] for m in MARKS],
        "rows": rows,
        "available": unit.level != Level.CLASS
        and any(v is not None for r in rows for v in r["values"]),
        "group_min": group_min,
    }


def _skill_section(
    analysis: AssessmentAnalysis, units: list[ResultSummary]
) -> list[dict[str, Any]]:
    maps = [{sk["key"]: sk for sk in s.skills} for s in units]
    out = []
    for group in analysis.skills:
        entries = [m.get(group["key"]) for m in maps]
        first = entries[0] if entries else None
        status = first.get("status") if first else None
        out.append(
            {
                "title": group["title"],
                "tasks": group["tasks"],
                "from_tasks": group["from_tasks"],
                "completion_pct": [_pct(e["completion"]) if e else None for e in entries],
                "threshold_pct": _pct(first["threshold"]) if first else None,
                "status": status,
                "status_label": st.STATUS_LABELS.get(status or "", "—"),
                "systemic": bool(first and first.get("systemic")),
            }
        )
    return out


JOURNAL_ROWS = (
    ("journal_lower", "Понизили (Отметка < Отметка по журналу)"),
    ("journal_equal", "Подтвердили (Отметка = Отметке по журналу)"),
    ("journal_higher", "Повысили (Отметка > Отметка по журналу)"),
)


def _journal_section(
    analysis: AssessmentAnalysis, units: list[ResultSummary]
) -> dict[str, Any]:
    gap = int(_param("vpr.journal_gap", analysis.year, 2))
    columns = []
    for s in units:
        rows = []
        for field, label in JOURNAL_ROWS:
            count = getattr(s, field)
            rows.append({"label": label, "count": count,
                         "pct": round(count / s.journal_n * 100.0, 2) if s.journal_n else None})
        rows.append({"label": "Всего", "count": s.journal_n,
                     "pct": 100.0 if s.journal_n else None})
        columns.append(
            {
                "name": _unit_name(s),
                "rows": rows,
                "gap": s.journal_gap,
                "gap_pct": round(s.journal_gap / s.journal_n * 100.0, 2) if s.journal_n else None,
            }
        )
    return {"available": analysis.has_journal, "gap_threshold": gap, "columns": columns}


def _mastery_summary(analysis: AssessmentAnalysis, unit: ResultSummary) -> dict[str, Any]:
    levels = {int(t["pos"]): t["level"] for t in analysis.tasks}
    counts: dict[str, dict[str, int]] = {
        "basic": {st.SUFFICIENT: 0, st.ZONE: 0, st.INSUFFICIENT: 0},
        "advanced": {st.SUFFICIENT: 0, st.ZONE: 0, st.INSUFFICIENT: 0},
    }
    for t in unit.tasks:
        status = t.get("status")
        if status is None:
            continue
        kind = "basic" if levels.get(int(t["pos"]), "") in st.BASIC_LEVELS else "advanced"
        counts[kind][status] += 1
    systemic = [sk["key"] for sk in unit.skills if sk.get("systemic")]
    titles = {g["key"]: g["title"] for g in analysis.skills}
    return {
        "counts": counts,
        "systemic": [titles.get(k, k) for k in systemic],
        "thresholds": {
            code: analysis.thresholds.get(code)
            for code in ("vpr.mastery.basic", "vpr.mastery.basic_lower", "vpr.mastery.advanced",
                         "vpr.mastery.advanced_lower")
        },
    }


def _dynamics_section(
    scope: Scope, analysis: AssessmentAnalysis, unit: ResultSummary, min_n: int
) -> dict[str, Any]:
    qs = ShareTwoTrend.objects.filter(
        year=analysis.year,
        level=unit.level,
        procedure=analysis.procedure,
        subject=analysis.subject,
        grade=analysis.grade,
    )
    if unit.level in (Level.CLASS, Level.ORGANIZATION):
        qs = qs.filter(organization_id=unit.organization_id or 0)
    else:
        qs = qs.filter(territory_id=unit.territory_id or 0)
    trend = qs.first() if unit.level != Level.CLASS else None
    threshold = _param("vpr.share2_dynamics.negative_pp", analysis.year, 10)
    if trend is None:
        return {"available": False, "threshold_pp": threshold}
    small = trend.min_n < min_n
    return {
        "available": not small,
        "suppressed": small,
        "points": [
            {"year": p["year"], "share_2_pct": _pct(p["share_2"]), "n": p["n"]}
            for p in trend.points
        ],
        "change_pp": trend.change_pp,
        "negative": trend.negative,
        "threshold_pp": threshold,
    }


def _children(
    scope: Scope, analysis: AssessmentAnalysis, unit: ResultSummary, min_n: int
) -> list[dict[str, Any]]:
    """Links one level down: the classes of an organization, the organizations of a
    municipality, the municipalities of the region (visible ones only)."""
    qs = summaries_visible(scope).filter(analysis=analysis).select_related(
        "organization", "territory"
    )
    if unit.level == Level.ORGANIZATION:
        qs = qs.filter(level=Level.CLASS, organization_id=unit.organization_id or 0)
    elif unit.level == Level.MUNICIPALITY:
        qs = qs.filter(level=Level.ORGANIZATION, organization__territory_id=unit.territory_id or 0)
    elif unit.level == Level.REGION:
        qs = qs.filter(
            Q(level=Level.MUNICIPALITY, territory__parent_id=unit.territory_id)
            | Q(level=Level.ORGANIZATION, organization__territory_id=unit.territory_id)
        )
    else:
        return []
    rows = [unit_row(s, analysis, min_n) for s in qs]
    return sorted(rows, key=lambda r: (r["class_label"] or "", r["name"]))


# --- organization section ---------------------------------------------------------------------


def org_latest(scope: Scope, org: Organization) -> list[dict[str, Any]]:
    """The organization's works of its latest analysed year with the share of «2», of «4» and
    «5», and the percent of the maximum against its municipality."""
    if not scope.allows_org(org):
        return []
    qs = ResultSummary.objects.filter(level=Level.ORGANIZATION, organization=org)
    latest = qs.order_by("-year").values_list("year", flat=True).first()
    if latest is None:
        return []
    min_n = _min_group()
    own = list(
        qs.filter(year=latest).select_related(
            "analysis__assessment__procedure", "analysis__assessment__subject"
        ).order_by("analysis__procedure", "analysis__subject", "analysis__grade")
    )
    mun = {
        s.analysis_id: s
        for s in ResultSummary.objects.filter(
            analysis_id__in=[s.analysis_id for s in own],
            level__in=[Level.MUNICIPALITY, Level.REGION],
            territory_id=org.territory_id,
        )
    }
    rows = []
    for s in own:
        row = unit_row(s, s.analysis, min_n)
        ref = mun.get(s.analysis_id)
        ref_row = unit_row(ref, s.analysis, min_n) if ref is not None else None
        rows.append(
            {
                "analysis_id": s.analysis_id,
                "title": s.analysis.assessment.title,
                "row": row,
                "reference": ref_row,
            }
        )
    return rows


# --- comprehensive analysis ---------------------------------------------------------------------


def comprehensive_years(scope: Scope) -> list[int]:
    years = set(
        SchoolPosition.objects.filter(scope.org_q("organization")).values_list("year", flat=True)
    )
    return sorted(years, reverse=True)


def _region_of_scope(scope: Scope) -> list[int]:
    ids = visible_territory_ids(scope)
    qs = Territory.objects.filter(parent__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=sorted(ids))
    return list(qs.values_list("id", flat=True))


def cluster_chart(data: dict[str, Any]) -> dict[str, Any] | None:
    """Scatter data of the first cluster run: x = ВПР position, y = ГИА (mean of ОГЭ, ЕГЭ)."""
    runs = [r for r in data.get("clusters", []) if r["k"]]
    if not runs:
        return None
    run = runs[0]
    points = [
        {"x": m["features"].get("ВПР"), "y": m["features"].get("ГИА"), "name": m["name"],
         "cluster": m["cluster"]}
        for m in run["members"]
        if m["features"].get("ВПР") is not None and m["features"].get("ГИА") is not None
    ]
    return {"clusters": run["clusters"], "points": points}


def comprehensive_data(scope: Scope, year: int) -> dict[str, Any]:
    """Agreement of ВПР / ОГЭ / ЕГЭ positions, dynamics of positions over the last five years,
    cohorts, and the clusters of the region with their descriptions (organizations in scope)."""
    orgs = {
        o.pk: o
        for o in Organization.objects.filter(scope.org_q()).select_related("territory")
    }
    agreements = [
        {
            "org_code": orgs[a.organization_id].code,
            "name": orgs[a.organization_id].short_name,
            "vpr": a.vpr,
            "oge": a.oge,
            "ege": a.ege,
            "gap": a.gap,
            "agrees": a.agrees,
            "text": a.text,
        }
        for a in SchoolAgreement.objects.filter(year=year, organization_id__in=list(orgs))
    ]
    agreements.sort(key=lambda r: str(r["name"]))
    years = list(range(year - 4, year + 1))
    dynamics: dict[int, dict[str, dict[int, float | None]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for a in SchoolAgreement.objects.filter(year__in=years, organization_id__in=list(orgs)):
        for key, value in (("ВПР", a.vpr), ("ОГЭ", a.oge), ("ЕГЭ", a.ege)):
            if value is not None:
                dynamics[a.organization_id][key][a.year] = value
    present_years = sorted({y for d in dynamics.values() for p in d.values() for y in p})
    dyn_rows = []
    for org_id, procs in dynamics.items():
        for proc in ("ВПР", "ОГЭ", "ЕГЭ"):
            if proc not in procs:
                continue
            values = [procs[proc].get(y) for y in present_years]
            known = [v for v in values if v is not None]
            change = known[-1] - known[0] if len(known) >= 2 else None
            dyn_rows.append(
                {
                    "org_code": orgs[org_id].code,
                    "name": orgs[org_id].short_name,
                    "procedure": proc,
                    "values": values,
                    "change": None if change is None else round(change, 3),
                }
            )
    dyn_rows.sort(key=lambda r: (r["name"], r["procedure"]))
    negative = [
        {
            "org_code": orgs[t.organization_id or 0].code,
            "name": orgs[t.organization_id or 0].short_name,
            "procedure": t.procedure,
            "subject": t.subject,
            "grade": t.grade,
            "points": [
                {"year": p["year"], "share_2_pct": _pct(p["share_2"])} for p in t.points
            ],
            "change_pp": t.change_pp,
        }
        for t in ShareTwoTrend.objects.filter(
            year=year, level=Level.ORGANIZATION, negative=True,
            organization_id__in=list(orgs), min_n__gte=_min_group(),
        ).order_by("procedure", "subject", "grade")
    ]
    cohorts = [
        {
            "org_code": orgs[c.organization_id].code,
            "name": orgs[c.organization_id].short_name,
            "subject": c.subject,
            "from": f"{c.from_procedure} {c.from_grade} кл. {c.from_year}",
            "to": f"{c.to_procedure} {c.to_grade} кл. {c.to_year}",
            "from_z": round(c.from_z, 3),
            "to_z": round(c.to_z, 3),
            "from_share_2_pct": _pct(c.from_share_2),
            "to_share_2_pct": _pct(c.to_share_2),
            "change": round(c.change, 3),
            "verdict": c.verdict,
            "verdict_label": c.get_verdict_display(),
        }
        for c in Cohort.objects.filter(to_year=year, organization_id__in=list(orgs))
    ]
    cohorts.sort(key=lambda r: (r["name"], r["subject"], r["from"]))
    runs = []
    for run in ClusterRun.objects.filter(year=year, territory_id__in=_region_of_scope(scope)):
        members = [
            {
                "org_code": orgs[m.organization_id].code,
                "name": orgs[m.organization_id].short_name,
                "cluster": m.cluster,
                "features": m.features,
            }
            for m in ClusterMember.objects.filter(run=run, organization_id__in=list(orgs))
        ]
        members.sort(key=lambda r: (r["cluster"], r["name"]))
        runs.append(
            {
                "territory": run.territory.name,
                "method": run.method,
                "features": run.features,
                "k": run.k,
                "silhouettes": run.silhouettes,
                "clusters": run.clusters,
                "correlations": run.correlations,
                "schools": run.schools,
                "explanation": run.explanation,
                "members": members,
            }
        )
    return {
        "year": year,
        "max_gap": _param("analyses.agreement.max_gap", year, 1.0),
        "level_sd": _param("analyses.position.level_sd", year, 0.5),
        "cohort_sd": _param("analyses.cohort.change_sd", year, 0.5),
        "subjects": _param("analyses.agreement.subjects", year, []),
        "agreements": agreements,
        "dynamics_years": present_years,
        "dynamics": dyn_rows,
        "negative_trends": negative,
        "cohorts": cohorts,
        "clusters": runs,
    }


# --- deficits ---------------------------------------------------------------------------------


def deficit_list(
    scope: Scope, *, year: int | None = None, subject: str | None = None
) -> QuerySet[Deficit]:
    """Deficits of the classes of the organizations visible in the scope (contract selector)."""
    qs = Deficit.objects.filter(scope.org_q("organization")).select_related(
        "organization", "teacher", "assessment__analysis"
    )
    if year is not None:
        qs = qs.filter(year=year)
    if subject:
        qs = qs.filter(subject=subject)
    return qs.order_by("subject", "grade", "skill", "organization__short_name", "class_label")


def deficit_summary_list(
    scope: Scope, *, year: int | None = None, subject: str | None = None
) -> QuerySet[DeficitSummary]:
    """The territory lists of deficits by subject and skill visible in the scope."""
    qs = DeficitSummary.objects.filter(_territory_q(scope)).select_related("territory")
    if scope.is_public:
        return qs.none()
    if year is not None:
        qs = qs.filter(year=year)
    if subject:
        qs = qs.filter(subject=subject)
    return qs.order_by("territory__kind", "territory__name", "subject", "grade", "skill")


def deficit_years(scope: Scope) -> list[int]:
    years = set(deficit_summary_list(scope).values_list("year", flat=True))
    years |= set(deficit_list(scope).values_list("year", flat=True))
    return sorted(years, reverse=True)


def deficits_data(
    scope: Scope, *, year: int, subject: str | None = None
) -> dict[str, Any]:
    """The deficits page: the territory lists by subject and skill and, per class, the skills
    found (never ordered by size of the gap and never aggregated per teacher)."""
    with_teachers = shows_teachers(scope)
    summaries = [
        {
            "territory": d.territory.name,
            "level": d.level,
            "level_label": LEVEL_LABELS[d.level],
            "procedure": d.procedure,
            "subject": d.subject,
            "grade": d.grade,
            "skill": d.skill,
            "tasks": d.task_numbers,
            "classes": d.classes,
            "classes_total": d.classes_total,
            "organizations": d.organizations,
            "pupils": d.pupils,
            "completion_pct": _pct(d.completion),
            "threshold_pct": _pct(d.threshold),
            "below_threshold": d.below_threshold,
        }
        for d in deficit_summary_list(scope, year=year, subject=subject)
    ]
    rows = [
        {
            "org_code": d.organization.code,
            "org": d.organization.short_name,
            "class_label": d.class_label,
            "teacher": (d.teacher.code if d.teacher is not None else None)
            if with_teachers
            else None,
            "procedure": d.procedure,
            "subject": d.subject,
            "grade": d.grade,
            "skill": d.skill,
            "skill_from_tasks": d.skill_from_tasks,
            "tasks": d.task_numbers,
            "completion_pct": _pct(d.completion),
            "reference_pct": _pct(d.reference_completion),
            "threshold_pct": _pct(d.threshold),
            "n": d.n,
            "p_value": d.p_value,
            "atypical": d.atypical_profile,
            "analysis_id": _analysis_id_of(d),
        }
        for d in deficit_list(scope, year=year, subject=subject)
    ]
    return {
        "year": year,
        "subject": subject,
        "with_teachers": with_teachers,
        "summaries": summaries,
        "rows": rows,
        "margin": _param("analyses.deficit.margin", year, 0.15),
        "fdr": _param("analyses.deficit.fdr", year, 0.05),
        "below_count": sum(1 for s in summaries if s["below_threshold"]),
        "min_n": _param("analyses.group.min_n", year, 10),
    }


def _analysis_id_of(d: Deficit) -> int | None:
    analysis = getattr(d.assessment, "analysis", None)
    return analysis.pk if analysis is not None else None


def deficit_subjects(scope: Scope, year: int | None) -> list[tuple[str, str]]:
    codes: Iterable[str] = set(deficit_summary_list(scope, year=year).values_list(
        "subject", flat=True)) | set(deficit_list(scope, year=year).values_list(
            "subject", flat=True))
    names = dict(Subject.objects.values_list("code", "name"))
    return [(c, names.get(c, c)) for c in sorted(codes)]
