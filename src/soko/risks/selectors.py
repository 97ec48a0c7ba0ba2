"""Reads of the risks area. Every selector takes a :class:`Scope`: a school sees only its own
flags and summaries; a territory user sees the schools of the territory."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from soko.accounts.models import Role
from soko.accounts.scope import Scope
from soko.risks.discrepancy import summarize
from soko.risks.markers import MARKER_CODES
from soko.risks.models import (
    ComputationRun,
    Flag,
    FlagKind,
    FlagReview,
    FlagStatus,
    OfficialComparison,
    RecheckSample,
    RecheckWork,
    SchoolYearRisk,
)


def can_review(scope: Scope) -> bool:
    """The education authority reviews flags; methodologists and schools read."""
    return scope.role == Role.AUTHORITY and scope.can_edit and not scope.is_public \
        and not scope.is_school


def flag_list(
    scope: Scope,
    *,
    kind: str | None = None,
    year: int | None = None,
    status: str | None = None,
    organization: Any = None,
    current_only: bool = False,
) -> QuerySet[Flag]:
    """Flags visible in the scope (dismissed ones included unless ``status`` says otherwise)."""
    qs = Flag.objects.filter(scope.org_q("organization")).select_related(
        "organization", "organization__territory"
    )
    if kind:
        qs = qs.filter(kind=kind)
    if year:
        qs = qs.filter(year=year)
    if status:
        qs = qs.filter(status=status)
    if organization is not None:
        qs = qs.filter(organization=organization)
    if current_only:
        qs = qs.filter(current=True)
    return qs.order_by("-year", "kind", "organization__short_name", "procedure", "subject",
                       "grade")


def flag_get(scope: Scope, pk: int) -> Flag | None:
    return (
        flag_list(scope)
        .prefetch_related(Prefetch("reviews", queryset=FlagReview.objects.order_by("-created_at")))
        .filter(pk=pk)
        .first()
    )


def years(scope: Scope) -> list[int]:
    found = set(
        SchoolYearRisk.objects.filter(scope.org_q("organization")).values_list("year", flat=True)
    ) | set(Flag.objects.filter(scope.org_q("organization")).values_list("year", flat=True))
    return sorted(found, reverse=True)


def last_run() -> ComputationRun | None:
    return ComputationRun.objects.first()


def overview(scope: Scope) -> list[dict[str, Any]]:
    """Per year and kind: flags by status, persistent flags and schools flagged."""
    rows = (
        Flag.objects.filter(scope.org_q("organization"), current=True)
        .values("year", "kind", "status")
        .annotate(n=Count("id"), schools=Count("organization", distinct=True))
    )
    persistent = {
        r["year"]: r["n"]
        for r in Flag.objects.filter(scope.org_q("organization"), current=True, persistent=True)
        .values("year")
        .annotate(n=Count("id"))
    }
    table: dict[int, dict[str, dict[str, int]]] = defaultdict(
        lambda: {k: {"open": 0, "confirmed": 0, "dismissed": 0, "total": 0}
                 for k in FlagKind.values}
    )
    for r in rows:
        cell = table[r["year"]][r["kind"]]
        cell[r["status"]] += r["n"]
        cell["total"] += r["n"]
    schools = _schools_by_year_kind(scope)
    assessed = {
        r["year"]: r["n"]
        for r in SchoolYearRisk.objects.filter(scope.org_q("organization"))
        .values("year")
        .annotate(n=Count("id"))
    }
    return [
        {
            "year": y,
            "kinds": {k: {**table[y][k], "schools": schools.get((y, k), 0)}
                      for k in FlagKind.values},
            "persistent": persistent.get(y, 0),
            "assessed": assessed.get(y, 0),
        }
        for y in sorted(table, reverse=True)
    ]


def _schools_by_year_kind(scope: Scope) -> dict[tuple[int, str], int]:
    pairs = set(
        Flag.objects.filter(scope.org_q("organization"), current=True)
        .exclude(status=FlagStatus.DISMISSED)
        .values_list("year", "kind", "organization_id")
    )
    counts: dict[tuple[int, str], int] = Counter()
    for y, k, _ in pairs:
        counts[(y, k)] += 1
    return dict(counts)


def school_years(scope: Scope, *, year: int | None = None) -> QuerySet[SchoolYearRisk]:
    qs = SchoolYearRisk.objects.filter(scope.org_q("organization")).select_related(
        "organization", "organization__territory"
    )
    if year:
        qs = qs.filter(year=year)
    return qs.order_by("organization__short_name")


@dataclass
class LowResultsPage:
    year: int | None
    rows: list[dict[str, Any]] = field(default_factory=list)
    scatter: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    value_added: dict[str, Any] | None = None
    profile_available: bool = False


def low_results_page(scope: Scope, *, year: int | None) -> LowResultsPage:
    """Every school of the year with its indices, quadrant and flags (list with evidence)."""
    page = LowResultsPage(year)
    if year is None:
        return page
    flags: dict[tuple[int, str], Flag] = {
        (f.organization_id, f.kind): f
        for f in flag_list(scope, year=year).filter(
            kind__in=[FlagKind.LOW_RESULTS, FlagKind.SOCIAL], current=True
        )
    }
    counts: Counter[str] = Counter()
    for s in school_years(scope, year=year):
        low = flags.get((s.organization_id, FlagKind.LOW_RESULTS))
        soc = flags.get((s.organization_id, FlagKind.SOCIAL))
        ev = s.evidence or {}
        profile = (ev.get("risk_profile") or {})
        page.profile_available = page.profile_available or bool(profile.get("available"))
        row = {
            "summary": s,
            "org": s.organization,
            "low_flag": low,
            "social_flag": soc,
            "rule": ev.get("rule_30pct"),
            "index": ev.get("low_index"),
            "objectivity": ev.get("objectivity") or {},
            "profile": profile,
        }
        page.rows.append(row)
        counts[s.quadrant or "other"] += 1
        if s.results_index is not None and s.social_index is not None:
            page.scatter.append({
                "x": round(s.social_index, 3),
                "y": round(s.results_index, 3),
                "label": s.organization.short_name,
                "quadrant": s.quadrant or "other",
                "low": s.low_results,
                "social": s.social,
            })
        if low is not None and page.value_added is None:
            page.value_added = low.evidence.get("value_added")
        if soc is not None and page.value_added is None:
            page.value_added = soc.evidence.get("value_added")
    page.rows.sort(key=lambda r: (not r["summary"].low_results, not r["summary"].social,
                                  r["summary"].results_index if r["summary"].results_index
                                  is not None else 9.0))
    page.counts = dict(counts)
    return page


@dataclass
class ObjectivityPage:
    year: int | None
    flags: list[Flag] = field(default_factory=list)
    schools: list[dict[str, Any]] = field(default_factory=list)
    by_marker: dict[str, int] = field(default_factory=dict)
    comparison: list[OfficialComparison] = field(default_factory=list)
    agreement: dict[str, int] = field(default_factory=dict)
    school_agreement: dict[str, int] = field(default_factory=dict)


def objectivity_page(scope: Scope, *, year: int | None) -> ObjectivityPage:
    """Markers per school × work, counts per school, persistence, the official comparison."""
    page = ObjectivityPage(year)
    if year is None:
        return page
    page.flags = list(flag_list(scope, kind=FlagKind.OBJECTIVITY, year=year))
    per_school: dict[int, dict[str, Any]] = {}
    markers: Counter[str] = Counter()
    for f in page.flags:
        acc = per_school.setdefault(
            f.organization_id,
            {"org": f.organization, "codes": Counter(), "works": 0, "persistent": False,
             "dismissed": 0, "open": 0, "confirmed": 0, "flags": []},
        )
        acc["flags"].append(f)
        acc[f.status] += 1
        if f.status != FlagStatus.DISMISSED and f.current:
            acc["works"] += 1
            acc["codes"].update(f.codes)
            acc["persistent"] = acc["persistent"] or f.persistent
            for c in f.codes:
                markers[c] += 1
    page.schools = sorted(
        ({**v, "marker_count": len(v["codes"]), "codes": sorted(v["codes"])}
         for v in per_school.values()),
        key=lambda v: (-v["marker_count"], -v["works"], v["org"].short_name),
    )
    page.by_marker = {c: markers.get(c, 0) for c in MARKER_CODES}
    page.comparison = list(
        OfficialComparison.objects.filter(scope.org_q("organization"), year=year)
        .select_related("organization", "flag")
    )
    page.agreement = dict(Counter(c.agreement for c in page.comparison))
    by_school: dict[int, set[str]] = defaultdict(set)
    for c in page.comparison:
        by_school[c.organization_id].add(c.agreement)
    school_counts: Counter[str] = Counter()
    for kinds in by_school.values():
        if "both" in kinds or {"official", "ours"} <= kinds:
            school_counts["both"] += 1
        elif "official" in kinds:
            school_counts["official"] += 1
        else:
            school_counts["ours"] += 1
    page.school_agreement = dict(school_counts)
    return page


def org_flags(scope: Scope, org: Any) -> dict[str, Any] | None:
    """Flags and the latest summary of one organization (for its page)."""
    if not scope.allows_org(org):
        return None
    flags = list(flag_list(scope, organization=org))
    summaries = list(
        SchoolYearRisk.objects.filter(scope.org_q("organization"), organization=org)
        .order_by("-year")
    )
    if not flags and not summaries:
        return None
    return {"flags": flags, "summaries": summaries}


# --- re-check ------------------------------------------------------------------------------------


def recheck_samples(scope: Scope) -> list[dict[str, Any]]:
    """Samples with at least one work visible in the scope, with progress counts."""
    works = RecheckWork.objects.filter(scope.org_q("organization"))
    stats = {
        r["sample_id"]: r
        for r in works.values("sample_id").annotate(
            total=Count("id"),
            done=Count("id", filter=Q(commission_scores__isnull=False)),
            objective=Count("id", filter=Q(objective=True)),
            schools=Count("organization", distinct=True),
        )
    }
    out = []
    for s in RecheckSample.objects.filter(pk__in=list(stats)).select_related(
        "assessment", "created_by"
    ):
        st = stats[s.pk]
        out.append({"sample": s, "total": st["total"], "checked": st["done"],
                    "objective": st["objective"], "schools": st["schools"]})
    return out


def recheck_sample(scope: Scope, pk: int) -> RecheckSample | None:
    sample = (
        RecheckSample.objects.select_related("assessment__procedure", "assessment__subject")
        .filter(pk=pk)
        .first()
    )
    if sample is None:
        return None
    if not RecheckWork.objects.filter(scope.org_q("organization"), sample=sample).exists():
        return None
    return sample


def recheck_works(scope: Scope, sample: RecheckSample) -> QuerySet[RecheckWork]:
    return (
        RecheckWork.objects.filter(scope.org_q("organization"), sample=sample)
        .select_related("organization", "sample")
        .order_by("position", "id")
    )


def recheck_results(scope: Scope, sample: RecheckSample) -> dict[str, Any]:
    """Discrepancies per task, per work and per school for the works visible in the scope."""
    from soko.risks.recheck import discrepancies

    tasks = list(sample.assessment.tasks.order_by("position"))
    numbers = [t.number for t in tasks]
    works = list(recheck_works(scope, sample))
    checked = [w for w in works if w.commission_scores is not None]
    by_org: dict[int, list[RecheckWork]] = defaultdict(list)
    for w in checked:
        by_org[w.organization_id].append(w)
    per_school = [
        {"org": items[0].organization, **summarize(discrepancies(items), numbers)}
        for items in by_org.values()
    ]
    per_school.sort(key=lambda r: (r["share_objective"] if r["share_objective"] is not None
                                   else 2.0, r["org"].short_name))
    rows = []
    for w, d in zip(checked, discrepancies(checked), strict=True):
        rows.append({"work": w, "d": d,
                     "tasks": list(zip(numbers, w.school_scores, w.commission_scores or [],
                                       d.task_deltas, strict=False))})
    return {
        "tasks": tasks,
        "works": works,
        "checked": rows,
        "schools": per_school,
        "total": summarize(discrepancies(checked), numbers),
    }
