"""Pure statistics of the procedure and comprehensive analyses (no Django).

Everything here works on counts and sums that were aggregated from facts elsewhere, so a share
is always derived from its numerator and denominator and never averaged across schools.

* :func:`mastery_status` — ФИОКО 2026 mastery classes of a task (достаточный / зона
  неопределённости / недостаточный) from the completion and the task level;
* :func:`histogram_reliability` — how far a primary-score histogram can be read at this N;
* :func:`skill_groups`, :func:`skill_thresholds`, :func:`is_systemic` — planned results (skills);
* :func:`welch_less` — one-sided Welch test from sums (is a class below the rest?);
* :func:`deficit_decision` — the teachers' deficit rule;
* :func:`shrunk_positions` — empirical-Bayes positions of schools (in between-school SD);
* :func:`agreement_of` — do a school's ВПР, ОГЭ and ЕГЭ positions agree;
* :func:`share_trend` — dynamics of the «2» share over 3–5 years;
* :func:`choose_kmeans`, :func:`describe_profile` — clusters of result profiles in words.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

SUFFICIENT = "sufficient"
ZONE = "zone"
INSUFFICIENT = "insufficient"
STATUS_LABELS = {
    SUFFICIENT: "достаточный",
    ZONE: "зона неопределённости",
    INSUFFICIENT: "недостаточный",
}
BASIC_LEVELS = frozenset({"Б", ""})
EPS = 1e-9


# --- mastery -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MasteryThresholds:
    """ФИОКО 2026 thresholds as shares: basic ≥ 0.60 (zone from 0.57), advanced ≥ 0.30
    (zone from 0.285). Values come from catalog parameters ``vpr.mastery.*``."""

    basic: float = 0.60
    basic_lower: float = 0.57
    advanced: float = 0.30
    advanced_lower: float = 0.285

    def for_level(self, level: str) -> tuple[float, float]:
        """Return (sufficient from, insufficient below) for a task level Б / П / В.

        A task without a level is judged by the basic thresholds.
        """
        if level in BASIC_LEVELS:
            return self.basic, self.basic_lower
        return self.advanced, self.advanced_lower

    def to_dict(self) -> dict[str, float]:
        return {
            "basic": self.basic,
            "basic_lower": self.basic_lower,
            "advanced": self.advanced,
            "advanced_lower": self.advanced_lower,
        }


def mastery_status(completion: float | None, level: str, th: MasteryThresholds) -> str | None:
    """Return the mastery class of a task completion (share 0–1), or None when unknown.

    ``completion ≥ sufficient`` → достаточный; ``lower ≤ completion < sufficient`` → зона
    неопределённости; below ``lower`` → недостаточный (edges belong to the better class).
    """
    high, low = th.for_level(level)
    return classify(completion, high, low)


def histogram_reliability(n: int, min_n: int, informative_n: int) -> str:
    """How far a primary-score histogram of ``n`` participants can be read.

    ``informative`` at n ≥ ``informative_n`` (50), ``approximate`` at ``min_n`` (20) ≤ n <
    ``informative_n`` (ФИОКО names 20–30; 31–49 is read the same way here), ``limited`` below.
    """
    if n >= informative_n:
        return "informative"
    if n >= min_n:
        return "approximate"
    return "limited"


RELIABILITY_LABELS = {
    "informative": "информативна",
    "approximate": "ориентировочна",
    "limited": "ограниченно информативна",
}


# --- skills --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskInfo:
    position: int
    number: str
    max_score: float
    level: str
    skill: str


@dataclass(frozen=True)
class SkillGroup:
    """Tasks that check one planned result. ``from_tasks`` is True when the catalog gives no
    skill and the task itself stands for it."""

    key: str
    title: str
    positions: tuple[int, ...]
    numbers: tuple[str, ...]
    max_total: float
    from_tasks: bool


def skill_groups(tasks: Sequence[TaskInfo]) -> list[SkillGroup]:
    """Group tasks by their skill text (catalog order); a task without a skill is its own group
    titled «Задание N»."""
    order: list[str] = []
    members: dict[str, list[TaskInfo]] = {}
    for task in tasks:
        key = task.skill.strip() or f"\x00{task.number}"
        if key not in members:
            order.append(key)
            members[key] = []
        members[key].append(task)
    out = []
    for key in order:
        items = members[key]
        from_tasks = key.startswith("\x00")
        out.append(
            SkillGroup(
                key=key if not from_tasks else f"task:{items[0].number}",
                title=f"Задание {items[0].number}" if from_tasks else key,
                positions=tuple(t.position for t in items),
                numbers=tuple(t.number for t in items),
                max_total=float(sum(t.max_score for t in items)),
                from_tasks=from_tasks,
            )
        )
    return out


def skill_thresholds(tasks: Sequence[TaskInfo], th: MasteryThresholds) -> tuple[float, float]:
    """The (sufficient from, insufficient below) levels of a group of tasks: the thresholds of
    their levels weighted by the tasks' maximum scores (a pure basic skill → 0.60 / 0.57, a
    pure advanced one → 0.30 / 0.285)."""
    total = sum(t.max_score for t in tasks)
    if total <= 0:
        return th.basic, th.basic_lower
    high = sum(th.for_level(t.level)[0] * t.max_score for t in tasks) / total
    low = sum(th.for_level(t.level)[1] * t.max_score for t in tasks) / total
    return float(high), float(low)


def classify(completion: float | None, high: float, low: float) -> str | None:
    """Mastery class of a completion against explicit (sufficient, insufficient) levels."""
    if completion is None or math.isnan(completion):
        return None
    if completion >= high - EPS:
        return SUFFICIENT
    if completion >= low - EPS:
        return ZONE
    return INSUFFICIENT


def is_systemic(statuses: Sequence[str | None], share: float) -> bool:
    """«Most of a skill's tasks red»: a skill of two or more tasks with more than ``share`` of
    them in the insufficient class."""
    known = [s for s in statuses if s is not None]
    if len(known) < 2:
        return False
    red = sum(1 for s in known if s == INSUFFICIENT)
    return red / len(known) > share + EPS


# --- moments and tests ---------------------------------------------------------------------


@dataclass(frozen=True)
class Moments:
    """n, Σx and Σx² of a group; mean and unbiased variance are derived."""

    n: float
    total: float
    total_sq: float

    @property
    def mean(self) -> float:
        return self.total / self.n if self.n > 0 else math.nan

    @property
    def var(self) -> float:
        if self.n < 2:
            return math.nan
        value = (self.total_sq - self.total * self.total / self.n) / (self.n - 1)
        return max(value, 0.0)

    def minus(self, other: Moments) -> Moments:
        """The moments of this group without ``other`` (a sub-group of it)."""
        return Moments(self.n - other.n, self.total - other.total, self.total_sq - other.total_sq)


@dataclass(frozen=True)
class MomentArrays:
    """Vectorised :class:`Moments` of many groups (n, Σx, Σx² as arrays)."""

    n: FloatArray
    total: FloatArray
    total_sq: FloatArray

    @classmethod
    def of(cls, items: Sequence[Moments]) -> MomentArrays:
        return cls(
            np.array([m.n for m in items], dtype=float),
            np.array([m.total for m in items], dtype=float),
            np.array([m.total_sq for m in items], dtype=float),
        )

    @property
    def mean(self) -> FloatArray:
        with np.errstate(divide="ignore", invalid="ignore"):
            out: FloatArray = np.where(self.n > 0, self.total / self.n, np.nan)
        return out

    @property
    def var(self) -> FloatArray:
        with np.errstate(divide="ignore", invalid="ignore"):
            value = (self.total_sq - self.total * self.total / self.n) / (self.n - 1)
            out: FloatArray = np.where(self.n >= 2, np.maximum(value, 0.0), np.nan)
        return out

    def minus(self, other: MomentArrays) -> MomentArrays:
        return MomentArrays(
            self.n - other.n, self.total - other.total, self.total_sq - other.total_sq
        )


def welch_less_arrays(a: MomentArrays, b: MomentArrays) -> FloatArray:
    """One-sided Welch test p-values that each mean of ``a`` is below the matching mean of
    ``b``. A group with fewer than two members gives 1.0; a zero standard error gives 0.0
    when a's mean is lower and 1.0 otherwise."""
    from scipy.special import stdtr

    with np.errstate(divide="ignore", invalid="ignore"):
        va = a.var / a.n
        vb = b.var / b.n
        se = np.sqrt(va + vb)
        diff = b.mean - a.mean
        t = diff / se
        den = (va * va) / (a.n - 1) + (vb * vb) / (b.n - 1)
        df = np.where(den > 0, (va + vb) ** 2 / den, a.n + b.n - 2)
        p = stdtr(df, -t)
    p = np.where(se > 0, p, np.where(diff > 0, 0.0, 1.0))
    p = np.where((a.n < 2) | (b.n < 2) | np.isnan(p), 1.0, p)
    out: FloatArray = p.astype(float)
    return out


def welch_less(a: Moments, b: Moments) -> float:
    """One-sided Welch test p-value that the mean of ``a`` is below the mean of ``b`` (see
    :func:`welch_less_arrays`)."""
    return float(welch_less_arrays(MomentArrays.of([a]), MomentArrays.of([b]))[0])


@dataclass(frozen=True)
class DeficitRule:
    """Thresholds of the teachers' deficit rule (catalog parameters ``analyses.deficit.*``)."""

    margin: float = 0.15
    specific_margin: float = 0.15
    fdr: float = 0.05
    min_n: int = 10


@dataclass(frozen=True)
class DeficitDecision:
    """``found`` — every condition holds at the given p-value cut-off; ``effect`` — all but the
    significance (conditions 1–4), so a caller can apply a multiple-testing cut-off later."""

    found: bool
    effect: bool
    completion: float
    reference: float
    threshold: float
    gap: float
    specific_gap: float
    p_value: float
    reason: str


@dataclass(frozen=True)
class DeficitArrays:
    """The deficit rule applied to many class × skill pairs at once."""

    completion: FloatArray
    reference: FloatArray
    gap: FloatArray
    specific_gap: FloatArray
    p_value: FloatArray
    effect: npt.NDArray[np.bool_]
    reason: npt.NDArray[np.str_]


def bh_cutoff(p_values: Sequence[float] | FloatArray, q: float) -> float:
    """Benjamini–Hochberg: the largest p-value p₍ᵢ₎ with p₍ᵢ₎ ≤ i·q/m (m tests), or 0.0 when
    none qualifies. Rejecting every test with p ≤ the cut-off keeps the expected share of
    false discoveries at most q."""
    values = np.asarray(p_values, dtype=float)
    ordered = np.sort(values[~np.isnan(values)])
    m = len(ordered)
    if m == 0:
        return 0.0
    ok = ordered <= np.arange(1, m + 1) * q / m
    return float(ordered[np.flatnonzero(ok)[-1]]) if ok.any() else 0.0


def deficit_arrays(
    group: MomentArrays,
    reference: MomentArrays,
    threshold: FloatArray,
    rule: DeficitRule,
    group_resid: MomentArrays,
    reference_resid: MomentArrays,
) -> DeficitArrays:
    """Conditions 1–4 of :func:`deficit_decision` and the p-values, for many pairs at once.

    Where residuals are not usable (fewer than two in the class or in the rest of the
    municipality) the shares stand in for them.
    """
    completion = group.mean
    ref = reference.mean
    gap = ref - completion
    usable = (group_resid.n >= 2) & (reference_resid.n - group_resid.n >= 2)
    specific = np.where(usable, reference_resid.mean - group_resid.mean, gap)
    p_resid = welch_less_arrays(group_resid, reference_resid.minus(group_resid))
    p_share = welch_less_arrays(group, reference.minus(group))
    p = np.where(usable, p_resid, p_share)
    small = group.n < rule.min_n
    above = ~small & (completion >= threshold - EPS)
    small_gap = ~small & ~above & (np.isnan(gap) | (gap < rule.margin - EPS))
    general = (
        ~small & ~above & ~small_gap
        & (np.isnan(specific) | (specific < rule.specific_margin - EPS))
    )
    effect = ~(small | above | small_gap | general)
    reason = np.select(
        [small, above, small_gap, general],
        ["small_group", "above_threshold", "small_gap", "general_lag"],
        "deficit",
    )
    return DeficitArrays(completion, ref, gap, specific, p, effect, reason)


def deficit_decision(
    group: Moments,
    reference: Moments,
    threshold: float,
    rule: DeficitRule,
    group_resid: Moments | None = None,
    reference_resid: Moments | None = None,
    p_cutoff: float | None = None,
) -> DeficitDecision:
    """Decide whether a class has a deficit in a skill.

    ``group`` holds the class pupils' completion shares of the skill, ``reference`` those of
    every pupil of the municipality (the class included). ``group_resid`` /
    ``reference_resid`` hold the same pupils' *residuals*: skill share minus the mean share of
    pupils with the same total score on the work (see :func:`facts.skill_moments`). A deficit
    needs all of:

    1. at least ``min_n`` pupils in the class;
    2. completion below the mastery ``threshold``;
    3. completion below the municipality by at least ``margin``;
    4. the lag specific to the skill — the class's mean residual below the municipality's by
       at least ``specific_margin`` — so a class that lags on the whole work (a general low
       result, not a gap in teaching one skill) is not flagged skill by skill;
    5. the class's residuals significantly below those of the rest of the municipality
       (one-sided Welch test, p ≤ ``p_cutoff``; by default ``rule.fdr`` for a single test —
       over many classes the caller passes the Benjamini–Hochberg cut-off).

    Without residuals (a work of one skill) conditions 4–5 use the shares.
    """
    empty = Moments(0, 0.0, 0.0)
    arrays = deficit_arrays(
        MomentArrays.of([group]),
        MomentArrays.of([reference]),
        np.array([threshold], dtype=float),
        rule,
        MomentArrays.of([group_resid or empty]),
        MomentArrays.of([reference_resid or empty]),
    )
    p = float(arrays.p_value[0])
    effect = bool(arrays.effect[0])
    cutoff = rule.fdr if p_cutoff is None else p_cutoff
    found = effect and p <= cutoff
    reason = str(arrays.reason[0])
    if effect and not found:
        reason = "not_significant"
    return DeficitDecision(
        found, effect, float(arrays.completion[0]), float(arrays.reference[0]), threshold,
        float(arrays.gap[0]), float(arrays.specific_gap[0]), p, reason,
    )


# --- positions and agreement ---------------------------------------------------------------


@dataclass(frozen=True)
class Positions:
    """Empirical-Bayes positions of schools in one (year, procedure, subject, grade).

    ``shrunk`` = grand + λ·(mean − grand) with reliability λ = τ² / (τ² + σ²/n); ``z`` is the
    shrunk deviation in units of the between-school SD τ.
    """

    grand: float
    tau: float
    sigma: float
    shrunk: FloatArray
    reliability: FloatArray
    z: FloatArray


def shrunk_positions(n: Sequence[float], total: Sequence[float], total_sq: Sequence[float]) -> (
    Positions
):
    """Standardise school results given per-school n, Σx and Σx² of pupils' shares.

    The grand mean is pupil-weighted (Σ totals / Σ n); the within-school variance σ² is pooled;
    the between-school variance τ² is the method-of-moments estimate
    ``var(means) − mean(σ²/n)`` (floored at 0). With τ = 0 every school sits at 0.
    """
    ns = np.asarray(n, dtype=float)
    sums = np.asarray(total, dtype=float)
    sq = np.asarray(total_sq, dtype=float)
    means = sums / ns
    grand = float(sums.sum() / ns.sum())
    within = sq - sums * sums / ns
    dof = float((ns - 1).sum())
    sigma2 = float(within.sum() / dof) if dof > 0 else 0.0
    sigma2 = max(sigma2, 0.0)
    if len(ns) >= 2:
        between = float(np.var(means, ddof=1)) - float(np.mean(sigma2 / ns))
    else:
        between = 0.0
    tau2 = max(between, 0.0)
    if tau2 <= 0:
        zeros = np.zeros_like(means)
        return Positions(grand, 0.0, math.sqrt(sigma2), np.full_like(means, grand), zeros, zeros)
    lam = tau2 / (tau2 + sigma2 / ns)
    shrunk = grand + lam * (means - grand)
    z = (shrunk - grand) / math.sqrt(tau2)
    return Positions(grand, math.sqrt(tau2), math.sqrt(sigma2), shrunk, lam, z)


def level_of(z: float | None, cut: float) -> str | None:
    """``high`` (z ≥ cut), ``low`` (z ≤ −cut), ``middle`` otherwise; None when unknown."""
    if z is None or math.isnan(z):
        return None
    if z >= cut:
        return "high"
    if z <= -cut:
        return "low"
    return "middle"


LEVEL_LABELS = {"high": "выше среднего", "middle": "около среднего", "low": "ниже среднего"}
_NOM = {"high": "высокие", "middle": "средние", "low": "низкие"}
_PREP = {"high": "высоких", "middle": "средних", "low": "низких"}


@dataclass(frozen=True)
class Agreement:
    gap: float | None
    agrees: bool | None
    text: str


def agreement_of(positions: Mapping[str, float | None], max_gap: float, cut: float) -> Agreement:
    """Do a school's positions in several procedures agree?

    ``positions`` maps a procedure name (ВПР, ОГЭ, ЕГЭ) to its standardised position (z).
    With two or more known positions the gap is max − min; they agree when the gap is at most
    ``max_gap`` (in between-school SD) or when every procedure places the school on the same
    side (all above, or all below, average by ``cut``). The text says where each procedure
    places the school.
    """
    known = {k: v for k, v in positions.items() if v is not None and not math.isnan(v)}
    parts = [
        f"{k}: {LEVEL_LABELS[level_of(v, cut) or 'middle']} ({v:+.2f})" for k, v in known.items()
    ]
    if len(known) < 2:
        return Agreement(None, None, "; ".join(parts) or "нет данных")
    gap = max(known.values()) - min(known.values())
    levels = {level_of(v, cut) for v in known.values()}
    same_side = levels in ({"high"}, {"low"})
    agrees = gap <= max_gap + EPS or same_side
    verdict = "позиции согласованы" if agrees else f"расхождение {gap:.2f} SD"
    return Agreement(gap, agrees, "; ".join(parts) + f" — {verdict}")


# --- dynamics ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trend:
    years: list[int]
    shares: list[float]
    change_pp: float | None
    negative: bool


def share_trend(points: Sequence[tuple[int, float]], negative_pp: float, window: int = 5) -> Trend:
    """The «2» share dynamics over the last ``window`` years ending at the latest point.

    ``points`` are (year, share 0–1). The change is the latest share minus the earliest share
    of the window, in percentage points; a rise of ``negative_pp`` or more is a negative
    dynamic (ФИОКО 2026: +10 п. п.). One point gives no change.
    """
    ordered = sorted(points)
    if not ordered:
        return Trend([], [], None, False)
    last = ordered[-1][0]
    kept = [(y, s) for y, s in ordered if y > last - window]
    years = [y for y, _ in kept]
    shares = [s for _, s in kept]
    if len(kept) < 2:
        return Trend(years, shares, None, False)
    change = (shares[-1] - shares[0]) * 100.0
    return Trend(years, shares, change, change >= negative_pp - EPS)


# --- clusters ------------------------------------------------------------------------------


@dataclass
class ClusterResult:
    """k-means on standardised features with k chosen by the silhouette."""

    k: int
    labels: list[int]
    silhouettes: dict[int, float]
    centroids: list[list[float]]
    features: list[str]
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def choose_kmeans(
    x: FloatArray, features: Sequence[str], k_min: int = 2, k_max: int = 6, seed: int = 0
) -> ClusterResult | None:
    """Cluster rows of ``x`` (already standardised) with k-means for k = k_min…k_max and keep
    the k with the highest mean silhouette. Returns None with fewer than k_min + 2 rows.

    Clusters are renumbered by the mean of their centroid (highest first) so the labels are
    stable between runs.
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    rows = x.shape[0]
    if rows < k_min + 2:
        return None
    best: tuple[float, int, npt.NDArray[np.int64], FloatArray] | None = None
    scores: dict[int, float] = {}
    for k in range(k_min, min(k_max, rows - 1) + 1):
        model = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(x)
        labels = model.labels_
        if len(set(labels.tolist())) < 2:
            continue
        score = float(silhouette_score(x, labels))
        scores[k] = round(score, 4)
        if best is None or score > best[0] + 1e-9:
            best = (score, k, labels, model.cluster_centers_)
    if best is None:
        return None
    _, k, labels, centers = best
    order = np.argsort(-centers.mean(axis=1), kind="stable")
    remap = {int(old): new for new, old in enumerate(order)}
    return ClusterResult(
        k=k,
        labels=[remap[int(v)] for v in labels],
        silhouettes=scores,
        centroids=[centers[int(old)].round(4).tolist() for old in order],
        features=list(features),
    )


def describe_profile(centroid: Mapping[str, float | None], cut: float) -> str:
    """Words for a result profile, e.g. «Высокие результаты ВПР при средних ОГЭ и низких ЕГЭ».

    Features are named by procedure (ВПР, ОГЭ, ЕГЭ) with standardised values; missing ones
    are reported as «нет данных».
    """
    groups: dict[str, list[str]] = {}
    missing = []
    for name, value in centroid.items():
        level = level_of(value, cut)
        if level is None:
            missing.append(name)
        else:
            groups.setdefault(level, []).append(name)
    if not groups:
        return "Нет данных для описания."

    def join(names: list[str]) -> str:
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " и " + names[-1]

    levels = list(groups)
    first = levels[0]
    text = f"{_NOM[first].capitalize()} результаты {join(groups[first])}"
    rest = [f"{_PREP[lvl]} {join(groups[lvl])}" for lvl in levels[1:]]
    if rest:
        text += " при " + " и ".join(rest)
    if missing:
        text += f"; {join(missing)} — нет данных у большинства ОО"
    return text + "."
