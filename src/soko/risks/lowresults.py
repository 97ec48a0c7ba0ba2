"""Low results and social conditions (ШНОР / ШФНСУ) — pure computation, no Django.

* :func:`rule_30pct` — the Rosobrnadzor risk indicator: at least 30 % of participants below the
  «2» boundary in two or more procedures of the current year, and in the same procedure in
  consecutive years. A «procedure» here is one work: procedure × subject × grade (e.g. ВПР
  «Математика», 5 класс) — the unit ФИС ОКО reports and the unit the generator's truth uses.
* :func:`results_index` / :func:`low_index` — standardised, shrunk school results across
  procedures and the bottom-X % rule over a window of years.
* :func:`social_index` — the social context index (ИСК) from the registry's context data.
* :func:`quadrant` and :func:`value_added` — the low-results × social-conditions matrix and
  results adjusted for context.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from soko.risks.stats import first_component, ols_line, percentile_rank, zscores

WorkKey = tuple[str, str, int | None]  # (procedure, subject, grade)

QUADRANTS: dict[str, str] = {
    "priority": "приоритетная поддержка (низкие результаты и неблагоприятные условия)",
    "management": "управленческая проблема (низкие результаты при обычных условиях)",
    "resilient": "резильентная школа (неблагоприятные условия, результаты не ниже среднего)",
    "other": "прочие",
}


def work_label(key: WorkKey) -> str:
    procedure, subject, grade = key
    return f"{procedure} {subject}" + (f" {grade} кл." if grade else "")


# --- the 30 % rule ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleParams:
    share: float = 0.30
    min_procedures: int = 2
    consecutive_years: int = 2
    min_participants: int = 10


@dataclass
class RuleOutcome:
    """Whether a school meets the rule in a year, with every work's figures."""

    org: int
    year: int
    fired: bool
    failing: list[WorkKey]
    repeated: list[WorkKey]
    works: list[dict[str, Any]] = field(default_factory=list)


def _fails(n: int, n_fail: int, p: RuleParams) -> bool:
    # «не менее 30 %»: compare counts, not floats, so 3 of 10 is exactly 30 %.
    return n >= p.min_participants and n_fail * 1_000_000 >= round(p.share * 1_000_000) * n


def rule_30pct(
    counts: Mapping[tuple[int, int], Mapping[WorkKey, tuple[int, int]]], params: RuleParams
) -> dict[tuple[int, int], RuleOutcome]:
    """Apply the rule to ``(org, year) → {work: (participants, of them «2»)}``.

    Year t fires when at least ``min_procedures`` works of t have a share of «2» not below
    ``share`` (works with fewer than ``min_participants`` participants do not count), and at
    least one of those works also failed in each of the previous ``consecutive_years − 1``
    years. Returns one outcome per (org, year) present in ``counts``.
    """
    failing: dict[tuple[int, int], set[WorkKey]] = {}
    for key, works in counts.items():
        failing[key] = {w for w, (n, k) in works.items() if _fails(n, k, params)}
    out: dict[tuple[int, int], RuleOutcome] = {}
    for (org, year), works in counts.items():
        now = failing[(org, year)]
        repeated = set(now)
        for back in range(1, params.consecutive_years):
            repeated &= failing.get((org, year - back), set())
        fired = len(now) >= params.min_procedures and bool(repeated)
        rows = []
        for w in sorted(works, key=lambda k: (k[0], k[1], k[2] or 0)):
            n, k = works[w]
            history = []
            for back in range(1, params.consecutive_years):
                prev = counts.get((org, year - back), {}).get(w)
                if prev is not None:
                    history.append({"year": year - back, "n": prev[0], "n2": prev[1],
                                    "share": prev[1] / prev[0] if prev[0] else None})
            rows.append({
                "procedure": w[0], "subject": w[1], "grade": w[2], "label": work_label(w),
                "n": n, "n2": k, "share": k / n if n else None,
                "counted": n >= params.min_participants, "fails": w in now,
                "repeated": w in repeated, "previous": history,
            })
        out[(org, year)] = RuleOutcome(
            org, year, fired, sorted(now, key=_key_order), sorted(repeated, key=_key_order), rows
        )
    return out


def _key_order(k: WorkKey) -> tuple[str, str, int]:
    return (k[0], k[1], k[2] or 0)


# --- the low-results index -------------------------------------------------------------------


@dataclass(frozen=True)
class IndexParams:
    bottom_share: float = 0.10
    window_years: int = 3
    min_years: int = 2
    weights: Mapping[str, float] = field(default_factory=lambda: {"ВПР": 1.0, "ОГЭ": 1.0,
                                                                  "ЕГЭ": 1.0})


def results_index(
    zs: Mapping[tuple[int, int], Mapping[WorkKey, float]], weights: Mapping[str, float]
) -> dict[tuple[int, int], dict[str, Any]]:
    """Combine per-work standardised results into one index per (org, year).

    The z of the works of one procedure are averaged first, then the procedures are averaged
    with ``weights`` (a procedure with many works, such as ВПР, does not outweigh ОГЭ and ЕГЭ).
    Returns {value, by_procedure, works}.
    """
    out = {}
    for key, works in zs.items():
        per_proc: dict[str, list[float]] = {}
        for (proc, _, _), z in works.items():
            if math.isfinite(z):
                per_proc.setdefault(proc, []).append(z)
        means = {p: float(np.mean(v)) for p, v in per_proc.items() if v}
        total_w = sum(weights.get(p, 1.0) for p in means)
        value = (
            sum(weights.get(p, 1.0) * m for p, m in means.items()) / total_w
            if total_w > 0 else float("nan")
        )
        out[key] = {"value": value, "by_procedure": means, "works": len(works)}
    return out


@dataclass
class IndexOutcome:
    org: int
    year: int
    value: float
    percentile: float
    bottom: bool
    bottom_years: list[int]
    window: list[int]
    fired: bool


def low_index(
    index: Mapping[tuple[int, int], float], params: IndexParams
) -> dict[tuple[int, int], IndexOutcome]:
    """Bottom ``bottom_share`` of schools by the index in at least ``min_years`` of the last
    ``window_years`` years (percentile rank ≤ bottom_share within each year)."""
    years = sorted({y for _, y in index})
    bottom: dict[tuple[int, int], tuple[float, bool]] = {}
    for y in years:
        keys = [k for k in index if k[1] == y and math.isfinite(index[k])]
        ranks = percentile_rank([index[k] for k in keys])
        for k, r in zip(keys, ranks, strict=True):
            bottom[k] = (float(r), bool(r <= params.bottom_share + 1e-12))
    out = {}
    for (org, year), value in index.items():
        if (org, year) not in bottom:
            continue
        window = list(range(year - params.window_years + 1, year + 1))
        hits = [y for y in window if bottom.get((org, y), (0.0, False))[1]]
        pct, is_bottom = bottom[(org, year)]
        out[(org, year)] = IndexOutcome(org, year, value, pct, is_bottom, hits, window,
                                        len(hits) >= params.min_years)
    return out


# --- the social context index ---------------------------------------------------------------


@dataclass(frozen=True)
class Component:
    """One context variable: its name, its Russian label, and +1 when more = more disadvantaged."""

    name: str
    label: str
    sign: float


DEFAULT_COMPONENTS: tuple[Component, ...] = (
    Component("low_income", "доля из малоимущих семей", 1.0),
    Component("single_parent", "доля из неполных семей", 1.0),
    Component("parents_higher_ed", "доля семей, где оба родителя с высшим образованием", -1.0),
    Component("non_native_russian", "доля с неродным русским языком", 1.0),
    Component("disabled", "доля обучающихся с ОВЗ", 1.0),
    Component("kdn_pdn", "доля на учёте в КДН/ПДН", 1.0),
    Component("staff_vacancies", "вакансии педагогов на 100 обучающихся", 1.0),
    Component("second_shift", "обучение во вторую смену", 1.0),
    Component("remoteness_km", "удалённость от центра, км", 1.0),
    Component("rural", "сельская местность", 1.0),
)


@dataclass
class SocialOutcome:
    org: int
    year: int
    value: float
    percentile: float
    top: bool
    components: dict[str, dict[str, float | None]]
    pc1: float | None


def social_index(
    rows: Mapping[tuple[int, int], Mapping[str, float | None]],
    components: Sequence[Component],
    *,
    top_share: float = 0.25,
    min_components: float = 0.5,
) -> tuple[dict[tuple[int, int], SocialOutcome], dict[int, dict[str, Any]]]:
    """ИСК per (org, year): each component standardised within the year, oriented so that
    higher = more disadvantaged, then averaged over the available components (at least
    ``min_components`` of them). ШФНСУ = top ``top_share`` by percentile rank.

    The mean of standardised components is used rather than the first principal component:
    equal weights are stable from year to year and can be explained to a school; the first
    component is computed alongside (its loadings and share of variance per year are returned)
    so a specialist can see whether the two agree.
    """
    out: dict[tuple[int, int], SocialOutcome] = {}
    diagnostics: dict[int, dict[str, Any]] = {}
    for y in sorted({y for _, y in rows}):
        keys = sorted(k for k in rows if k[1] == y)
        raw = np.array(
            [[_num(rows[k].get(c.name)) for c in components] for k in keys], dtype=np.float64
        ).reshape(len(keys), len(components))
        z = np.column_stack([zscores(raw[:, j]) * c.sign for j, c in enumerate(components)]) \
            if keys else np.zeros((0, len(components)))
        avail = np.isfinite(z).sum(axis=1)
        with np.errstate(invalid="ignore"):
            value = np.where(
                avail >= max(1, math.ceil(min_components * len(components))),
                np.nansum(z, axis=1) / np.maximum(avail, 1),
                np.nan,
            )
        pct = percentile_rank(value)
        informative = [j for j in range(len(components)) if np.isfinite(z[:, j]).sum() > 1
                       and np.nanstd(z[:, j]) > 0]
        pc_scores = np.full(len(keys), np.nan)
        if len(keys) >= 3 and informative:
            scores, load, share = first_component(z[:, informative])
            pc_scores = scores
            ok = np.isfinite(value)
            corr = (float(np.corrcoef(value[ok], scores[ok])[0, 1])
                    if ok.sum() >= 3 and np.std(scores[ok]) > 0 else None)
            diagnostics[y] = {
                "pc1_share": share,
                "pc1_loadings": {components[j].name: float(v)
                                 for j, v in zip(informative, load, strict=True)},
                "corr_mean_pc1": corr,
                "schools": len(keys),
            }
        for i, k in enumerate(keys):
            comps = {
                c.name: {"value": _finite(raw[i, j]), "z": _finite(z[i, j])}
                for j, c in enumerate(components)
            }
            # the share of schools at or above this one must not exceed top_share
            n_valid = int(np.isfinite(value).sum())
            top = bool(np.isfinite(pct[i]) and 1 - pct[i] + 1 / max(n_valid, 1)
                       <= top_share + 1e-12)
            out[k] = SocialOutcome(k[0], y, float(value[i]), float(pct[i]), top, comps,
                                   _finite(pc_scores[i]))
    return out, diagnostics


def _num(v: float | None) -> float:
    return float(v) if v is not None else float("nan")


def _finite(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


# --- quadrant and value added ---------------------------------------------------------------


def quadrant(low: bool, social: bool, results: float, resilient_min: float) -> str:
    """Priority support (ШНОР ∧ ШФНСУ), management problem (ШНОР ∧ ¬ШФНСУ), resilient
    (¬ШНОР ∧ ШФНСУ with results at least ``resilient_min`` SD — the region's average by
    default), others."""
    if low and social:
        return "priority"
    if low:
        return "management"
    if social and math.isfinite(results) and results >= resilient_min:
        return "resilient"
    return "other"


@dataclass
class ValueAdded:
    intercept: float
    slope: float
    r2: float
    n: int
    residuals: dict[int, float]


def value_added(results: Mapping[int, float], social: Mapping[int, float]) -> ValueAdded:
    """Residuals of the regression of the results index on ИСК across schools of one year:
    positive = better than expected for the school's social context."""
    orgs = sorted(set(results) & set(social))
    y = np.array([results[o] for o in orgs], dtype=np.float64)
    x = np.array([social[o] for o in orgs], dtype=np.float64)
    fit = ols_line(y, x)
    res = {o: float(r) for o, r in zip(orgs, fit.residuals, strict=True) if math.isfinite(r)}
    return ValueAdded(fit.intercept, fit.slope, fit.r2, fit.n, res)
