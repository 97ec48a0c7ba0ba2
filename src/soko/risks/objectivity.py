"""Running the objectivity markers for one year: gather aggregates, evaluate M1–M8 per work.

The result is a list of :class:`WorkUnit` — one per (school, work) where a marker fired, with
all its marker results — plus one unit per school whose medals are not confirmed;
:mod:`soko.risks.services` turns them into flags.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from soko.risks import gather
from soko.risks.gather import AssessmentInfo, subject_family
from soko.risks.markers import (
    MarkerParams,
    MarkerResult,
    SwingSeries,
    WorkAggregates,
    m1_high,
    m2_inversion,
    m3_journal,
    m4_bunching,
    m5_swing,
    m6_misfit,
    m8_external,
    medals_check,
)
from soko.risks.stats import Shrunk, eb_shrink, percentile_rank
from soko.warehouse.store import Warehouse

Progress = Callable[[float, str], None]


@dataclass
class WorkUnit:
    org: int
    year: int
    procedure: str
    subject: str
    grade: int | None
    assessment_id: int | None
    n: int
    markers: dict[str, MarkerResult] = field(default_factory=dict)

    @property
    def fired(self) -> list[str]:
        return [c for c, m in sorted(self.markers.items()) if m.fired]


@dataclass
class OrgInfo:
    """What M1 needs to know about a school in a year (from the period in force)."""

    org_type: str
    in_depth: frozenset[str]


def org_infos(year: int) -> dict[int, OrgInfo]:
    """Type and in-depth subjects of every organization from the period in force on 1 April."""
    from soko.registry.models import Organization, OrganizationPeriod

    day = dt.date(year, 4, 1)
    out: dict[int, OrgInfo] = {}
    for o in Organization.objects.prefetch_related("in_depth_subjects"):
        out[o.pk] = OrgInfo(o.org_type, frozenset(s.code for s in o.in_depth_subjects.all()))
    for p in OrganizationPeriod.objects.order_by("organization_id", "valid_from"):
        if p.covers(day):
            out[p.organization_id] = OrgInfo(p.org_type, frozenset(p.in_depth_subject_codes))
    return out


def explained_by_in_depth(
    info: OrgInfo | None, subject: str, explained_types: Sequence[str]
) -> bool:
    """High results are explained when the subject is studied in depth at the school, or the
    school is of a type with advanced programmes (гимназия, лицей) and lists no subjects."""
    if info is None:
        return False
    family = subject_family(subject)
    if any(subject_family(s) == family for s in info.in_depth):
        return True
    return info.org_type in explained_types and not info.in_depth


def _sums_shrunk(sums: pd.DataFrame, info: AssessmentInfo) -> tuple[np.ndarray, Shrunk, np.ndarray]:
    orgs = sums["org_id"].to_numpy(np.int64)
    m = info.max_primary or 1.0
    n = sums["n"].to_numpy(np.float64)
    use_test = info.result_kind == "test_score" and sums["n_test"].sum() > 0
    if use_test:
        s = sums["sum_test"].to_numpy(np.float64) / 100.0
        s2 = sums["sum_t2"].to_numpy(np.float64) / 10000.0
        n = sums["n_test"].to_numpy(np.float64)
    else:
        s = sums["sum_p"].to_numpy(np.float64) / m
        s2 = sums["sum_p2"].to_numpy(np.float64) / (m * m)
    return orgs, eb_shrink(s, s2, n), n


def gia_percentiles(
    wh: Warehouse, infos: Sequence[AssessmentInfo]
) -> dict[tuple[int, str], tuple[float, int]]:
    """(school, subject family) → (n-weighted percentile of the shrunk ГИА mean, participants)."""
    sums = gather.school_sums(wh, [a.id for a in infos])
    acc: dict[tuple[int, str], list[float]] = {}
    by_id = {a.id: a for a in infos}
    for aid, part in sums.groupby("assessment_id"):
        info = by_id[int(aid)]
        orgs, shr, n = _sums_shrunk(part, info)
        pct = percentile_rank(np.where(n > 0, shr.shrunk, np.nan))
        fam = subject_family(info.subject)
        for o, p, k in zip(orgs, pct, n, strict=True):
            if k <= 0 or not np.isfinite(p):
                continue
            cur = acc.setdefault((int(o), fam), [0.0, 0.0])
            cur[0] += float(p) * float(k)
            cur[1] += float(k)
    return {key: (v[0] / v[1], int(v[1])) for key, v in acc.items() if v[1] > 0}


def compute_year(
    wh: Warehouse,
    year: int,
    *,
    params: MarkerParams,
    procedures: Sequence[str],
    explained_types: Sequence[str],
    progress: Progress | None = None,
) -> list[WorkUnit]:
    """Evaluate every marker for every (school, work) of ``year``.

    Returns the units where at least one marker fired, each with all its markers' results
    (fired or not), which become the evidence of a flag.
    """
    say = progress or (lambda f, m: None)
    infos = gather.assessments(years=[year - 1, year, year + 1])
    cur = [a for a in infos if a.year == year and a.procedure in procedures]
    exams = [a for a in infos if a.year == year and a.procedure in ("ОГЭ", "ЕГЭ")]
    orgs_info = org_infos(year)
    say(0.05, f"{year}: сводные данные по школам")
    aggs = gather.work_aggregates(wh, cur)
    gia = gia_percentiles(wh, exams)
    neighbours = [a for a in infos if a.year != year and a.procedure in procedures]
    neighbour_sums = gather.school_sums(wh, [a.id for a in neighbours])
    units: list[WorkUnit] = []
    for k, info in enumerate(cur):
        say(0.1 + 0.8 * k / max(len(cur), 1),
            f"{year}: {info.procedure} {info.subject} {info.grade}")
        agg = aggs.get(info.id)
        if agg is None:
            continue
        shr = eb_shrink(agg.sum_pct, agg.sum_pct2, agg.n)
        fam = subject_family(info.subject)
        gia_pct = np.array([gia.get((int(o), fam), (np.nan, 0))[0] for o in agg.org])
        gia_n = np.array([gia.get((int(o), fam), (np.nan, 0))[1] for o in agg.org], dtype=np.int64)
        explained = np.array(
            [explained_by_in_depth(orgs_info.get(int(o)), info.subject, explained_types)
             for o in agg.org],
            dtype=bool,
        )
        vpr_pct = percentile_rank(np.where(agg.n >= params.min_n, shr.shrunk, np.nan))
        per_code: dict[str, list[MarkerResult]] = {
            "M1": m1_high(agg, shr, explained=explained, gia_percentile=gia_pct, gia_n=gia_n,
                          params=params),
            "M2": m2_inversion(agg, info.spec, params),
            "M3": m3_journal(agg, params),
            "M4": m4_bunching(agg, info.spec, params),
            "M8": m8_external(agg, vpr_pct, gia_percentile=gia_pct, gia_n=gia_n, params=params),
        }
        pupils = gather.pupil_scores(wh, info)
        m6 = m6_misfit(pupils.org, pupils.class_label, pupils.scores, info.spec, params)
        m5 = _swing(info, agg, shr, neighbours, neighbour_sums, params)
        for i, o in enumerate(agg.org):
            unit = WorkUnit(int(o), year, info.procedure, info.subject, info.grade, info.id,
                            int(agg.n[i]))
            for code, results in per_code.items():
                unit.markers[code] = results[i]
            if int(o) in m6:
                unit.markers["M6"] = m6[int(o)]
            if int(o) in m5:
                unit.markers["M5"] = m5[int(o)]
            if unit.fired:  # only units with a finding are kept: a region has ~10⁵ others
                units.append(unit)
    say(0.92, f"{year}: медали и ЕГЭ")
    ege = [a for a in exams if a.procedure == "ЕГЭ"]
    medals = medals_check(
        gather.medallists(wh, year, ege, gather.ege_minimums(year)), params
    )
    for o, result in medals.items():
        unit = WorkUnit(o, year, "ЕГЭ", "", 11, None, result.n)
        unit.markers["M8"] = result
        if unit.fired:
            units.append(unit)
    return units


def _swing(
    info: AssessmentInfo,
    agg: WorkAggregates,
    shr: Shrunk,
    neighbours: Sequence[AssessmentInfo],
    sums: pd.DataFrame,
    params: MarkerParams,
) -> dict[int, MarkerResult]:
    def same(a: AssessmentInfo, year: int) -> bool:
        return (a.year, a.procedure, a.subject, a.grade) == (
            year, info.procedure, info.subject, info.grade
        )

    prev = [a for a in neighbours if same(a, info.year - 1)]
    nxt = [a for a in neighbours if same(a, info.year + 1)]
    if not prev or not nxt:
        return {}

    def year_stats(a: AssessmentInfo) -> dict[int, tuple[float, float, float]]:
        part = sums[sums["assessment_id"] == a.id]
        if part.empty:
            return {}
        orgs, s, n = _sums_shrunk(part, a)
        mean = np.where(n > 0, (part["sum_p"].to_numpy(np.float64) / (a.max_primary or 1.0))
                        / np.maximum(n, 1), np.nan)
        se = s.sigma / np.sqrt(np.maximum(n, 1))
        return {int(o): (float(z), float(mu), float(e))
                for o, z, mu, e in zip(orgs, s.z, mean, se, strict=True) if np.isfinite(mu)}

    before, after = year_stats(prev[0]), year_stats(nxt[0])
    mean_cur = agg.mean_pct
    se_cur = shr.sigma / np.sqrt(np.maximum(agg.n, 1))
    series = []
    for i, o in enumerate(agg.org):
        o = int(o)
        if o not in before or o not in after or agg.n[i] == 0:
            continue
        zp, mp, sp = before[o]
        zn, mn, sn = after[o]
        series.append(SwingSeries(o, int(agg.n[i]), zp, float(shr.z[i]), zn, mp,
                                  float(mean_cur[i]), mn, sp, float(se_cur[i]), sn))
    return m5_swing(series, params)

