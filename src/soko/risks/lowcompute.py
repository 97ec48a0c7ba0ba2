"""Gathering and computing low results and social conditions for a set of years.

Facts come through Ibis as school aggregates (:func:`soko.risks.gather.school_sums`); the
social context and the organisations' settlement come from the registry; the «500+» risk
profile, when the monitoring area collects it, from the ``form`` indicator source.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from soko.risks import gather
from soko.risks.lowresults import (
    IndexOutcome,
    RuleOutcome,
    SocialOutcome,
    ValueAdded,
    WorkKey,
    low_index,
    quadrant,
    results_index,
    rule_30pct,
    social_index,
    value_added,
)
from soko.risks.params import ParamBook
from soko.risks.stats import eb_shrink
from soko.warehouse.store import Warehouse

log = logging.getLogger(__name__)


@dataclass
class LowOutcome:
    rule: dict[tuple[int, int], RuleOutcome] = field(default_factory=dict)
    index: dict[tuple[int, int], IndexOutcome] = field(default_factory=dict)
    index_detail: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    social: dict[tuple[int, int], SocialOutcome] = field(default_factory=dict)
    social_diagnostics: dict[int, dict[str, Any]] = field(default_factory=dict)
    value_added: dict[int, ValueAdded] = field(default_factory=dict)
    quadrant: dict[tuple[int, int], str] = field(default_factory=dict)
    profile: dict[tuple[int, int], dict[str, float]] = field(default_factory=dict)
    profile_available: bool = False
    profile_fields: list[tuple[str, str]] = field(default_factory=list)


def compute_low(wh: Warehouse, targets: Sequence[int], books: dict[int, ParamBook]) -> LowOutcome:
    """Rule, index, social index, quadrant, value added and risk profile for ``targets``."""
    out = LowOutcome()
    if not targets:
        return out
    last = books[max(targets)]
    back = max(
        max(int(b["low_results.rule_30pct.consecutive_years"]) for b in books.values()),
        max(int(b["low_results.index.window_years"]) for b in books.values()),
    )
    years = list(range(min(targets) - back + 1, max(targets) + 1))
    rule_procs = {str(p) for b in books.values() for p in b["low_results.rule_30pct.procedures"]}
    index_procs = {str(p) for b in books.values() for p in b["low_results.index.procedures"]}
    index_subjects = {str(s) for b in books.values() for s in b["low_results.index.subjects"]}
    infos = gather.assessments(years=years, procedures=sorted(rule_procs | index_procs))
    sums = gather.school_sums(wh, [a.id for a in infos])
    by_id = {a.id: a for a in infos}

    counts: dict[tuple[int, int], dict[WorkKey, tuple[int, int]]] = {}
    zs: dict[tuple[int, int], dict[WorkKey, float]] = {}
    min_n = int(last["low_results.index.min_n"])
    for aid, part in sums.groupby("assessment_id"):
        a = by_id[int(aid)]
        work: WorkKey = (a.procedure, a.subject, a.grade)
        orgs = part["org_id"].to_numpy(np.int64)
        if a.procedure in rule_procs and a.result_kind == "mark":
            marked = part[["m2", "m3", "m4", "m5"]].to_numpy(np.int64)
            for o, row in zip(orgs, marked, strict=True):
                counts.setdefault((int(o), a.year), {})[work] = (int(row.sum()), int(row[0]))
        if a.procedure in index_procs and a.subject in index_subjects:
            n = part["n"].to_numpy(np.float64)
            if a.result_kind == "test_score" and part["n_test"].sum() > 0:
                s = part["sum_test"].to_numpy(np.float64) / 100.0
                s2 = part["sum_t2"].to_numpy(np.float64) / 10000.0
                n = part["n_test"].to_numpy(np.float64)
            else:
                m = a.max_primary or 1.0
                s = part["sum_p"].to_numpy(np.float64) / m
                s2 = part["sum_p2"].to_numpy(np.float64) / (m * m)
            shr = eb_shrink(s, s2, n)
            for o, k, z in zip(orgs, n, shr.z, strict=True):
                if k >= min_n and math.isfinite(z):
                    zs.setdefault((int(o), a.year), {})[work] = float(z)

    for y in targets:
        book = books[y]
        rp = book.rule()
        window_counts = {k: v for k, v in counts.items()
                         if y - rp.consecutive_years < k[1] <= y}
        for key, outcome in rule_30pct(window_counts, rp).items():
            if key[1] == y:
                out.rule[key] = outcome

    index_all = results_index(zs, last.index().weights)
    for key, detail in index_all.items():
        out.index_detail[key] = detail
    for y in targets:
        ip = books[y].index()
        window = {k: d["value"] for k, d in index_all.items()
                  if y - ip.window_years < k[1] <= y}
        for key, found in low_index(window, ip).items():
            if key[1] == y:
                out.index[key] = found

    rows = _social_rows(targets)
    for y in targets:
        book = books[y]
        year_rows = {k: v for k, v in rows.items() if k[1] == y}
        soc, diag = social_index(year_rows, book.components(),
                                 top_share=float(book["social.index.top_share"]))
        out.social.update(soc)
        out.social_diagnostics.update(diag)
        res_values = {k[0]: d["value"] for k, d in index_all.items()
                      if k[1] == y and math.isfinite(d["value"])}
        soc_values = {k[0]: s.value for k, s in soc.items() if math.isfinite(s.value)}
        out.value_added[y] = value_added(res_values, soc_values)
        resilient_min = float(book["social.resilient.min_results"])
        orgs = {k[0] for k in out.rule if k[1] == y} | {k[0] for k in out.index if k[1] == y} \
            | {k[0] for k in soc}
        for o in orgs:
            low = _is_low(out, (o, y))
            social = bool(soc.get((o, y)) and soc[(o, y)].top)
            results = res_values.get(o, float("nan"))
            out.quadrant[(o, y)] = quadrant(low, social, results, resilient_min)
    _profile(out, targets)
    return out


def _is_low(out: LowOutcome, key: tuple[int, int]) -> bool:
    rule = out.rule.get(key)
    index = out.index.get(key)
    return bool((rule and rule.fired) or (index and index.fired))


def _social_rows(years: Sequence[int]) -> dict[tuple[int, int], dict[str, float | None]]:
    from soko.registry.models import Organization, OrganizationPeriod, SocialContext

    settlement = dict(Organization.objects.values_list("id", "settlement"))
    periods = list(OrganizationPeriod.objects.order_by("organization_id", "valid_from"))
    rows: dict[tuple[int, int], dict[str, float | None]] = {}
    for c in SocialContext.objects.filter(year__in=list(years)):
        day = dt.date(c.year, 4, 1)
        place = settlement.get(c.organization_id, "urban")
        for p in periods:
            if p.organization_id == c.organization_id and p.covers(day):
                place = p.settlement
        total = float(c.students_total or 0)
        row: dict[str, float | None] = {
            name: (float(getattr(c, name)) / total if total and getattr(c, name) is not None
                   else None)
            for name in c.SHARE_FIELDS
        }
        row["staff_vacancies"] = (
            100.0 * float(c.staff_vacancies) / total
            if total and c.staff_vacancies is not None else None
        )
        row["second_shift"] = None if c.second_shift is None else float(bool(c.second_shift))
        row["remoteness_km"] = c.remoteness_km
        row["rural"] = 1.0 if place == "rural" else 0.0
        rows[(c.organization_id, c.year)] = row
    return rows


def _profile(out: LowOutcome, years: Sequence[int]) -> None:
    """The «500+» risk profile from the monitoring form (``form.risk_*``), when collected."""
    try:
        from soko.indicators.sources import source
    except ImportError:  # pragma: no cover - the indicators area is part of the package
        return
    spec = source("form")
    if spec is None:
        return
    try:
        fields = [(n, label) for n, label in spec.names() if n.startswith("risk_")]
    except Exception:  # noqa: BLE001 - another area's provider must not break the computation
        return
    out.profile_fields = fields
    for name, _label in fields:
        try:
            table = spec.provider(name, list(years))
        except Exception:
            log.warning("form source: field %s could not be read", name, exc_info=True)
            continue
        for org, year, value in zip(
            table.column("org_id").to_pylist(),
            table.column("year").to_pylist(),
            table.column("value").to_pylist(),
            strict=True,
        ):
            if value is None:
                continue
            out.profile.setdefault((int(org), int(year)), {})[name] = float(value)
            out.profile_available = True
