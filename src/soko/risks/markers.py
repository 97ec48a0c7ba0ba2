"""Objectivity markers M1–M8 (methodology.md §1.5), computed per (school, work) — pure code.

Inputs are the aggregates of one work (procedure × subject × grade × year) per school, prepared
by :mod:`soko.risks.gather`; outputs are :class:`MarkerResult` per school: whether the marker
fired, its statistic, the sample size and the figures behind it. A marker whose sample is below
its minimum is *not evaluable* and never fires.

Codes: M1 abnormally high results not confirmed by ГИА and not explained by in-depth study;
M2 difficulty inversion; M3 ВПР mark against the journal mark; M4 bunching at mark boundaries;
M5 year-to-year swing (Jacob–Levitt); M6 response-pattern misfit aggregated per class;
M8 external confirmation (ВПР against ОГЭ/ЕГЭ of the school; medals against ЕГЭ).
M7 (answer similarity) needs raw answers, which ФИС ОКО files do not carry: not computed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from soko.risks.stats import (
    BoolArray,
    FloatArray,
    IntArray,
    Shrunk,
    as_float,
    binom_upper,
    bunching_at_boundaries,
    dichotomise,
    fisher_greater,
    guttman_normed,
    percentile_rank,
    rasch_lz,
    u3,
)

MARKER_CODES = ("M1", "M2", "M3", "M4", "M5", "M6", "M8")
MARKER_TITLES: dict[str, str] = {
    "M1": "Аномально высокие результаты, не подтверждённые ГИА",
    "M2": "Инверсия трудности заданий",
    "M3": "Расхождение с отметками по журналу",
    "M4": "Скопление баллов у границ отметок",
    "M5": "Резкий рост и последующий спад результатов",
    "M6": "Неправдоподобные профили ответов в классе",
    "M8": "Не подтверждено внешними результатами (ГИА, медали)",
}


@dataclass(frozen=True)
class MarkerParams:
    """Thresholds of the markers; the defaults are the shipped Parameter values."""

    min_n: int = 10
    m1_z_min: float = 2.0
    m1_z_min_unverifiable: float = 3.0
    m1_confirm_percentile: float = 2 / 3
    m2_min_n: int = 15
    m2_basic_max_diff: float = 0.0
    m2_hard_min_diff: float = 0.10
    m3_min_pairs: int = 10
    m3_excess: float = 0.20
    m3_equal_share: float = 0.90
    m3_alpha: float = 0.00001
    m4_min_n: int = 20
    m4_window: int = 2
    m4_z_min: float = 3.0
    m4_missing_share: float = 0.5
    m5_score_min: float = 1.5
    m5_z_change: float = 2.5
    m6_lz_cut: float = -1.645
    m6_min_class_n: int = 10
    m6_excess: float = 0.25
    m6_alpha: float = 0.001
    m8_gap: float = 0.5
    m8_min_vpr_percentile: float = 0.75
    m8_gia_min_n: int = 10
    m8_medal_russian_min: float = 70.0
    m8_medals_min: int = 1


@dataclass
class MarkerResult:
    """One marker for one school and work: fired or not, with the figures behind it."""

    code: str
    fired: bool
    evaluable: bool
    statistic: float | None
    n: int
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "fired": self.fired,
            "evaluable": self.evaluable,
            "statistic": _round(self.statistic),
            "n": self.n,
            **{k: _clean(v) for k, v in self.details.items()},
        }


def _round(value: float | None, digits: int = 4) -> float | None:
    """Round for storage: ``digits`` decimals, but small numbers (p-values, α) keep three
    significant figures instead of becoming 0."""
    if value is None or not math.isfinite(value):
        return None
    v = float(value)
    if v != 0.0 and abs(v) < 10 ** -(digits - 1):
        return float(f"{v:.3g}")
    return round(v, digits)


def _clean(value: Any) -> Any:
    if isinstance(value, (float, np.floating)):
        return _round(float(value))
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


@dataclass(frozen=True)
class WorkSpec:
    """A work: its tasks (maximum scores, levels) and the mark boundaries («3», «4», «5»)."""

    assessment_id: int
    procedure: str
    subject: str
    grade: int | None
    year: int
    max_primary: float
    boundaries: tuple[float, ...]
    task_numbers: tuple[str, ...]
    task_max: FloatArray
    levels: tuple[str, ...]

    @property
    def basic(self) -> BoolArray:
        return np.array([lvl == "Б" for lvl in self.levels], dtype=bool)

    @property
    def hard(self) -> BoolArray:
        return np.array([lvl in ("П", "В") for lvl in self.levels], dtype=bool)


@dataclass
class WorkAggregates:
    """Per-school aggregates of one work (rows aligned with ``org``).

    ``sum_pct`` / ``sum_pct2``: sums of primary / max and of its square over present pupils;
    ``marks``: counts of marks 2, 3, 4, 5; ``pairs``…``gap2``: pupils with both the ВПР mark and
    the journal mark, of whom lower (ВПР < journal), equal, higher, and |difference| ≥ 2;
    ``task_sum`` / ``task_cnt``: points and answers per task; ``hist``: pupils per primary score;
    ``jm_*``: the journal comparison split by the journal mark (columns «2»…«5»).
    """

    org: IntArray
    n: IntArray
    sum_pct: FloatArray
    sum_pct2: FloatArray
    marks: IntArray
    pairs: IntArray
    lower: IntArray
    equal: IntArray
    higher: IntArray
    gap2: IntArray
    task_sum: FloatArray
    task_cnt: FloatArray
    hist: FloatArray
    jm_pairs: FloatArray | None = None
    jm_lower: FloatArray | None = None
    jm_higher: FloatArray | None = None

    def __len__(self) -> int:
        return int(self.org.size)

    @property
    def mean_pct(self) -> FloatArray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.n > 0, self.sum_pct / np.maximum(self.n, 1), np.nan)


# --- M1 -------------------------------------------------------------------------------------


def m1_high(
    agg: WorkAggregates,
    shrunk: Shrunk,
    *,
    explained: BoolArray,
    gia_percentile: FloatArray,
    gia_n: IntArray,
    params: MarkerParams,
) -> list[MarkerResult]:
    """Abnormally high results (Rosobrnadzor criterion 1).

    Fires when the school's shrunk mean is at least ``m1_z_min`` between-school SDs above the
    region, the school is not explained by in-depth study of the subject, and its ГИА results
    in the subject that year are not in the top tercile of the region. Without ГИА data to
    compare, the stricter ``m1_z_min_unverifiable`` applies.
    """
    out = []
    for i in range(len(agg)):
        n = int(agg.n[i])
        z = float(shrunk.z[i])
        evaluable = n >= params.min_n and shrunk.scale > 0
        has_gia = bool(gia_n[i] >= params.m8_gia_min_n and math.isfinite(gia_percentile[i]))
        confirmed = has_gia and float(gia_percentile[i]) >= params.m1_confirm_percentile
        need = params.m1_z_min if has_gia else params.m1_z_min_unverifiable
        fired = evaluable and z >= need and not bool(explained[i]) and not confirmed
        out.append(
            MarkerResult(
                "M1",
                fired,
                evaluable,
                z,
                n,
                {
                    "school_percent": 100 * float(agg.mean_pct[i]) if n else None,
                    "shrunk_percent": 100 * float(shrunk.shrunk[i]),
                    "region_percent": 100 * shrunk.mu,
                    "between_sd_percent": 100 * shrunk.scale,
                    "z_min": need,
                    "explained_by_in_depth": bool(explained[i]),
                    "gia_percentile": float(gia_percentile[i]) if has_gia else None,
                    "gia_n": int(gia_n[i]),
                    "gia_confirms": confirmed,
                    "confirm_percentile": params.m1_confirm_percentile,
                },
            )
        )
    return out


# --- M2 -------------------------------------------------------------------------------------


def task_shares(task_sum: Any, task_cnt: Any, task_max: Any) -> FloatArray:
    """Share of the maximum earned per task (rows = groups); NaN where nobody answered."""
    s, c, m = as_float(task_sum), as_float(task_cnt), as_float(task_max)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(c > 0, s / (c * m), np.nan)
    return np.asarray(out, dtype=np.float64)


def m2_inversion(agg: WorkAggregates, spec: WorkSpec, params: MarkerParams) -> list[MarkerResult]:
    """Difficulty inversion (Rosobrnadzor criterion 2): easy tasks worse than the region, hard
    ones clearly better.

    For task i, d_i = p_school,i − p_region,i. Fires when mean d over basic (Б) tasks is at most
    ``m2_basic_max_diff`` and mean d over advanced / high (П/В) tasks at least
    ``m2_hard_min_diff``. Without task levels, the easier half of tasks (by the region's
    completion) counts as basic. Also reports corr(d, difficulty).
    """
    region = task_shares(agg.task_sum.sum(axis=0), agg.task_cnt.sum(axis=0), spec.task_max)
    school = task_shares(agg.task_sum, agg.task_cnt, spec.task_max[None, :])
    basic, hard = spec.basic, spec.hard
    if not basic.any() or not hard.any():
        order = np.nan_to_num(region, nan=0.0)
        cut = float(np.median(order))
        basic, hard = order >= cut, order < cut
    difficulty = 1.0 - region
    out = []
    for i in range(len(agg)):
        n = int(agg.n[i])
        d = school[i] - region
        ok = np.isfinite(d)
        evaluable = n >= params.m2_min_n and bool((ok & basic).any()) and bool((ok & hard).any())
        if not evaluable:
            out.append(MarkerResult("M2", False, False, None, n, {}))
            continue
        basic_diff = float(np.mean(d[ok & basic]))
        hard_diff = float(np.mean(d[ok & hard]))
        corr = (
            float(np.corrcoef(d[ok], difficulty[ok])[0, 1])
            if ok.sum() >= 3 and np.std(d[ok]) > 0 and np.std(difficulty[ok]) > 0
            else None
        )
        fired = basic_diff <= params.m2_basic_max_diff and hard_diff >= params.m2_hard_min_diff
        out.append(
            MarkerResult(
                "M2",
                fired,
                True,
                hard_diff - basic_diff,
                n,
                {
                    "basic_diff_pp": 100 * basic_diff,
                    "hard_diff_pp": 100 * hard_diff,
                    "basic_max_diff_pp": 100 * params.m2_basic_max_diff,
                    "hard_min_diff_pp": 100 * params.m2_hard_min_diff,
                    "corr_diff_difficulty": corr,
                    "tasks": [
                        {
                            "number": spec.task_numbers[t],
                            "level": spec.levels[t] if t < len(spec.levels) else "",
                            "school_percent": 100 * float(school[i][t]),
                            "region_percent": 100 * float(region[t]),
                        }
                        for t in range(len(spec.task_numbers))
                        if np.isfinite(school[i][t])
                    ],
                },
            )
        )
    return out


# --- M3 -------------------------------------------------------------------------------------


def expected_shares(by_mark: Any, pairs_by_mark: Any) -> FloatArray:
    """The share each school would have if its pupils, journal mark by journal mark, moved like
    the region's: Σ_j n_ij · r_j / Σ_j n_ij with r_j the region's share among pupils whose
    journal mark is j. This respects the ceiling (a «5» in the journal cannot be exceeded) and
    the floor. NaN for schools with no pairs."""
    k, t = as_float(by_mark), as_float(pairs_by_mark)
    col_t = t.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        region = np.where(col_t > 0, k.sum(axis=0) / np.maximum(col_t, 1), 0.0)
        exp = (t * region[None, :]).sum(axis=1) / t.sum(axis=1)
    return np.clip(np.asarray(exp, dtype=np.float64), 0.005, 0.995)


def m3_journal(agg: WorkAggregates, params: MarkerParams) -> list[MarkerResult]:
    """ВПР mark against the journal mark («понизили / подтвердили / повысили»).

    The expected shares «понизили» (ВПР below the journal: inflated current marking) and
    «повысили» (ВПР above the journal: inflated ВПР marking) depend on the school's journal
    marks (a «5» cannot be exceeded, a «2» cannot be lowered), so each school is compared with
    the shares expected from its own journal marks (:func:`expected_shares`). Fires on any
    of: an observed share above the expected one by ``m3_excess`` with a one-sided binomial
    p ≤ ``m3_alpha``; or «подтвердили» ≥ ``m3_equal_share`` with a «4»+«5» share above the
    region's by ``m3_excess``. Pupils with a gap of two marks or more are counted.
    """
    tot_pairs = float(agg.pairs.sum())
    region_lower = float(agg.lower.sum()) / tot_pairs if tot_pairs else 0.0
    region_higher = float(agg.higher.sum()) / tot_pairs if tot_pairs else 0.0
    present = agg.marks.sum(axis=1)
    high = agg.marks[:, 2] + agg.marks[:, 3]
    region_high = float(high.sum()) / float(present.sum()) if present.sum() else 0.0
    if agg.jm_pairs is not None and agg.jm_lower is not None and agg.jm_higher is not None:
        exp_lower = expected_shares(agg.jm_lower, agg.jm_pairs)
        exp_higher = expected_shares(agg.jm_higher, agg.jm_pairs)
    else:
        exp_lower = np.full(len(agg), max(region_lower, 0.005))
        exp_higher = np.full(len(agg), max(region_higher, 0.005))
    p_lower = binom_upper(agg.lower, agg.pairs, exp_lower)
    p_higher = binom_upper(agg.higher, agg.pairs, exp_higher)
    out = []
    for i in range(len(agg)):
        pairs = int(agg.pairs[i])
        if pairs < params.m3_min_pairs:
            out.append(MarkerResult("M3", False, False, None, pairs, {}))
            continue
        lower = agg.lower[i] / pairs
        higher = agg.higher[i] / pairs
        equal = agg.equal[i] / pairs
        share_high = high[i] / present[i] if present[i] else 0.0
        reasons = []
        if lower - exp_lower[i] >= params.m3_excess and p_lower[i] <= params.m3_alpha:
            reasons.append("lower")
        if higher - exp_higher[i] >= params.m3_excess and p_higher[i] <= params.m3_alpha:
            reasons.append("higher")
        if equal >= params.m3_equal_share and share_high - region_high >= params.m3_excess:
            reasons.append("equal")
        excess = max(lower - exp_lower[i], higher - exp_higher[i])
        out.append(
            MarkerResult(
                "M3",
                bool(reasons),
                True,
                float(excess),
                pairs,
                {
                    "share_lower": float(lower),
                    "share_equal": float(equal),
                    "share_higher": float(higher),
                    "expected_lower": float(exp_lower[i]),
                    "expected_higher": float(exp_higher[i]),
                    "region_lower": region_lower,
                    "region_higher": region_higher,
                    "p_lower": float(p_lower[i]),
                    "p_higher": float(p_higher[i]),
                    "share_4_5": float(share_high),
                    "region_4_5": region_high,
                    "gap2": int(agg.gap2[i]),
                    "reasons": reasons,
                    "excess_pp": 100 * params.m3_excess,
                    "alpha": params.m3_alpha,
                },
            )
        )
    return out


# --- M4 -------------------------------------------------------------------------------------


def m4_bunching(agg: WorkAggregates, spec: WorkSpec, params: MarkerParams) -> list[MarkerResult]:
    """Bunching at the mark boundaries against a smooth counterfactual distribution.

    For each school the counterfactual is a beta-binomial with the school's own mean and
    variance; the pupils 1…``m4_window`` points below each boundary are compared with what it
    predicts (see :func:`soko.risks.stats.bunching_at_boundaries`). Fires when N ≥
    ``m4_min_n``, the deficit has z ≥ ``m4_z_min`` and at least ``m4_missing_share`` of the
    expected pupils below the boundaries are missing. The region's ratio at-boundary /
    just-below is reported with a one-sided Fisher test.
    """
    out = []
    bounds = spec.boundaries
    region_hist = agg.hist.sum(axis=0)
    reg_at, reg_below = _at_below(region_hist, bounds, params.m4_window)
    for i in range(len(agg)):
        n = int(agg.hist[i].sum())
        if n < params.m4_min_n or not bounds:
            out.append(MarkerResult("M4", False, False, None, n, {}))
            continue
        b = bunching_at_boundaries(agg.hist[i], bounds, window=params.m4_window)
        fired = b.z >= params.m4_z_min and b.missing_share >= params.m4_missing_share
        at, below = _at_below(agg.hist[i], bounds, params.m4_window)
        out.append(
            MarkerResult(
                "M4",
                fired,
                True,
                b.z,
                n,
                {
                    "boundaries": list(b.boundaries),
                    "at_boundaries": b.at,
                    "below_boundaries": b.below,
                    "expected_below": b.expected_below,
                    "missing_share": b.missing_share,
                    "excess_at": b.excess_at,
                    "z_min": params.m4_z_min,
                    "missing_share_min": params.m4_missing_share,
                    "region_at": reg_at,
                    "region_below": reg_below,
                    "fisher_p_vs_region": fisher_greater(
                        at, below, max(reg_at - at, 0), max(reg_below - below, 0)
                    ),
                    "histogram": [int(v) for v in agg.hist[i]],
                },
            )
        )
    return out


def _at_below(hist: Any, bounds: Sequence[float], window: int) -> tuple[int, int]:
    h = as_float(hist)
    at = below = 0
    for raw in bounds:
        b = round(raw)
        if window <= b < len(h):
            at += int(h[b])
            below += int(h[b - window : b].sum())
    return at, below


# --- M5 -------------------------------------------------------------------------------------


@dataclass
class SwingSeries:
    """One work (subject × grade) of one school over three consecutive years t−1, t, t+1.

    ``z_*`` are the shrunk standardised results in each year, ``mean_*`` the mean shares of
    the maximum and ``se_*`` their standard errors.
    """

    org: int
    n: int
    z_prev: float
    z_cur: float
    z_next: float
    mean_prev: float
    mean_cur: float
    mean_next: float
    se_prev: float
    se_cur: float
    se_next: float


def m5_swing(series: Sequence[SwingSeries], params: MarkerParams) -> dict[int, MarkerResult]:
    """Jacob–Levitt score fluctuation: a jump in year t that reverses in t+1.

    gain_t = z_t − z_(t−1), gain_(t+1) = z_(t+1) − z_t, ranked as percentiles among the schools
    of the region writing the same work; S = rank(gain_t)² + (1 − rank(gain_(t+1)))². Fires
    when S ≥ ``m5_score_min`` and both the rise and the fall are statistically clear:
    (mean_t − mean_(t−1)) / SE ≥ ``m5_z_change`` and (mean_t − mean_(t+1)) / SE ≥ the same.
    """
    if not series:
        return {}
    gain = as_float([s.z_cur - s.z_prev for s in series])
    nxt = as_float([s.z_next - s.z_cur for s in series])
    r_gain, r_next = percentile_rank(gain), percentile_rank(nxt)
    out = {}
    for i, s in enumerate(series):
        if s.n < params.min_n:
            out[s.org] = MarkerResult("M5", False, False, None, s.n, {})
            continue
        score = float(r_gain[i] ** 2 + (1 - r_next[i]) ** 2)
        rise = _zdiff(s.mean_cur, s.mean_prev, s.se_cur, s.se_prev)
        fall = _zdiff(s.mean_cur, s.mean_next, s.se_cur, s.se_next)
        fired = (
            score >= params.m5_score_min
            and rise >= params.m5_z_change
            and fall >= params.m5_z_change
        )
        out[s.org] = MarkerResult(
            "M5",
            fired,
            True,
            score,
            s.n,
            {
                "percent_prev": 100 * s.mean_prev,
                "percent_cur": 100 * s.mean_cur,
                "percent_next": 100 * s.mean_next,
                "rank_gain": float(r_gain[i]),
                "rank_next_gain": float(r_next[i]),
                "z_rise": rise,
                "z_fall": fall,
                "score_min": params.m5_score_min,
                "z_change_min": params.m5_z_change,
            },
        )
    return out


def _zdiff(a: float, b: float, se_a: float, se_b: float) -> float:
    se = math.sqrt(se_a**2 + se_b**2)
    return (a - b) / se if se > 0 else 0.0


# --- M6 -------------------------------------------------------------------------------------


def m6_misfit(
    org: Any,
    class_label: Sequence[str | None],
    scores: Any,
    spec: WorkSpec,
    params: MarkerParams,
) -> dict[int, MarkerResult]:
    """Response-pattern misfit per class (person-fit lz, normed Guttman errors, U3).

    Task scores are dichotomised at half the task's maximum; per pupil lz is computed under a
    Rasch model with the region's item difficulties. A pupil misfits when lz < ``m6_lz_cut``.
    A class fires when it has at least ``m6_min_class_n`` pupils with a defined lz, its share of
    misfitting pupils exceeds the region's by ``m6_excess`` and a one-sided binomial test gives
    p ≤ ``m6_alpha``. The school's marker fires when one of its classes does.
    """
    orgs = np.asarray(org, dtype=np.int64)
    x = dichotomise(scores, spec.task_max[None, :])
    p = np.nanmean(x, axis=0) if x.size else np.zeros(len(spec.task_max))
    p = np.nan_to_num(p, nan=0.5)
    lz = rasch_lz(x, p)
    gn = guttman_normed(x, p)
    uu = u3(x, p)
    ok = np.isfinite(lz)
    misfit = ok & (lz < params.m6_lz_cut)
    region_share = float(misfit.sum() / ok.sum()) if ok.sum() else 0.0
    frame = pd.DataFrame({
        "org": orgs,
        "cls": [c or "—" for c in class_label],
        "ok": ok.astype(np.int64),
        "misfit": misfit.astype(np.int64),
        "gn": gn,
        "u3": uu,
    })
    totals = frame.groupby("org")["ok"].size()
    groups = frame.groupby(["org", "cls"], sort=True).agg(
        n=("ok", "sum"), k=("misfit", "sum"), gn=("gn", "mean"), u3=("u3", "mean")
    ).reset_index()
    groups = groups[groups["n"] >= params.m6_min_class_n]
    n_c = groups["n"].to_numpy(np.float64)
    k_c = groups["k"].to_numpy(np.float64)
    share = np.where(n_c > 0, k_c / np.maximum(n_c, 1), 0.0)
    pvals = binom_upper(k_c, n_c, max(region_share, 1e-6)) if len(groups) else np.zeros(0)
    fired_c = (share - region_share >= params.m6_excess) & (pvals <= params.m6_alpha)
    classes_by_org: dict[int, list[dict[str, Any]]] = {}
    for i, row in enumerate(groups.itertuples(index=False)):
        classes_by_org.setdefault(int(row.org), []).append({
            "class_label": str(row.cls),
            "n": int(row.n),
            "misfit": int(row.k),
            "share": float(share[i]),
            "p": float(pvals[i]),
            "mean_gnormed": None if pd.isna(row.gn) else float(row.gn),
            "mean_u3": None if pd.isna(row.u3) else float(row.u3),
            "fired": bool(fired_c[i]),
        })
    out: dict[int, MarkerResult] = {}
    for o, n in totals.items():
        classes = classes_by_org.get(int(o), [])
        best = max((c["share"] for c in classes), default=None)
        out[int(o)] = MarkerResult(
            "M6",
            any(c["fired"] for c in classes),
            bool(classes),
            best,
            int(n),
            {
                "classes": classes,
                "region_share": region_share,
                "lz_cut": params.m6_lz_cut,
                "excess_pp": 100 * params.m6_excess,
                "alpha": params.m6_alpha,
                "min_class_n": params.m6_min_class_n,
            },
        )
    return out


# --- M8 -------------------------------------------------------------------------------------


def m8_external(
    agg: WorkAggregates,
    vpr_percentile: FloatArray,
    *,
    gia_percentile: FloatArray,
    gia_n: IntArray,
    params: MarkerParams,
) -> list[MarkerResult]:
    """ВПР results not confirmed by the school's ОГЭ / ЕГЭ in the same subject and year.

    Fires when the school's ВПР percentile in the region is at least
    ``m8_min_vpr_percentile`` and exceeds its ГИА percentile by ``m8_gap`` or more (ГИА with at
    least ``m8_gia_min_n`` participants; otherwise not evaluable).
    """
    out = []
    for i in range(len(agg)):
        n = int(agg.n[i])
        has_gia = bool(gia_n[i] >= params.m8_gia_min_n and math.isfinite(gia_percentile[i]))
        if n < params.min_n or not has_gia or not math.isfinite(vpr_percentile[i]):
            out.append(MarkerResult("M8", False, False, None, n, {"gia_n": int(gia_n[i])}))
            continue
        gap = float(vpr_percentile[i] - gia_percentile[i])
        fired = vpr_percentile[i] >= params.m8_min_vpr_percentile and gap >= params.m8_gap
        out.append(
            MarkerResult(
                "M8",
                bool(fired),
                True,
                gap,
                n,
                {
                    "vpr_percentile": float(vpr_percentile[i]),
                    "gia_percentile": float(gia_percentile[i]),
                    "gia_n": int(gia_n[i]),
                    "gap_min": params.m8_gap,
                    "vpr_percentile_min": params.m8_min_vpr_percentile,
                },
            )
        )
    return out


@dataclass(frozen=True)
class Medallist:
    """A graduate with a medal and what ЕГЭ says: Russian test score and failed minimums."""

    org: int
    student_code: str
    medal: str
    russian: float | None
    failed: tuple[str, ...]
    exams: int


def medals_check(
    medallists: Sequence[Medallist], params: MarkerParams
) -> dict[int, MarkerResult]:
    """Medals not confirmed by ЕГЭ (M8, ЕГЭ side), per school.

    A medal is unconfirmed when the graduate's ЕГЭ in Russian is below
    ``m8_medal_russian_min`` or any ЕГЭ subject is below its minimum. Graduates with no ЕГЭ
    result in the data are counted apart (they can be neither confirmed nor refuted). Fires when
    at least ``m8_medals_min`` medals are unconfirmed; each medal is a checked fact, not a
    sample statistic, so no minimum group size applies.
    """
    by_org: dict[int, list[Medallist]] = {}
    for m in medallists:
        by_org.setdefault(m.org, []).append(m)
    out = {}
    for org, items in by_org.items():
        unconfirmed = []
        no_exam = 0
        for m in items:
            if m.exams == 0:
                no_exam += 1
                continue
            reasons = []
            if m.russian is None:
                reasons.append("нет результата ЕГЭ по русскому языку")
            elif m.russian < params.m8_medal_russian_min:
                reasons.append(
                    f"ЕГЭ по русскому языку {m.russian:g} < {params.m8_medal_russian_min:g}"
                )
            reasons.extend(m.failed)
            if reasons:
                unconfirmed.append(
                    {"student_code": m.student_code, "medal": m.medal, "reasons": reasons}
                )
        checked = len(items) - no_exam
        out[org] = MarkerResult(
            "M8",
            len(unconfirmed) >= params.m8_medals_min,
            checked > 0,
            float(len(unconfirmed)),
            len(items),
            {
                "medallists": len(items),
                "checked": checked,
                "without_ege": no_exam,
                "unconfirmed": unconfirmed,
                "russian_min": params.m8_medal_russian_min,
                "medals_min": params.m8_medals_min,
            },
        )
    return out


def fired_codes(results: Mapping[str, MarkerResult]) -> list[str]:
    """The codes of the markers that fired, in M1…M8 order."""
    return [c for c in MARKER_CODES if c in results and results[c].fired]
