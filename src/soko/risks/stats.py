"""Statistical building blocks of the risk analyses (pure: NumPy / SciPy, no Django).

Everything here works on arrays of school aggregates or of one work's pupil × task scores and
returns plain numbers, so each function is tested on a hand-made example without a database.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats as sps

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def as_float(values: Any) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


# --- shrinkage and standardisation --------------------------------------------------------------


@dataclass(frozen=True)
class Shrunk:
    """School means shrunk towards the region (empirical Bayes, normal–normal model).

    ``scale`` is the between-school SD estimated robustly (:func:`robust_between_sd`, falling
    back to ``tau``, the plain method-of-moments estimate); ``shrunk`` are the posterior means
    with shrinkage factors ``reliability`` B = scale² / (scale² + σ²/n); ``mu`` is the region
    mean (pupil-weighted) and ``sigma`` the pooled within-school SD. ``z`` = (shrunk − mu) /
    scale: how many between-school SDs a school stands above the region (0 when no scale can
    be estimated).
    """

    shrunk: FloatArray
    reliability: FloatArray
    z: FloatArray
    mu: float
    tau: float
    sigma: float
    scale: float = 0.0


def eb_shrink(sums: Any, sums_sq: Any, ns: Any) -> Shrunk:
    """Shrink school means given per-school sums, sums of squares and counts.

    The within-school variance is pooled over schools with two or more pupils; the between-school
    variance τ² is the method-of-moments estimate var(means) − mean(σ²/n), floored at 0.
    Schools with n = 0 get the region mean and reliability 0.
    """
    s, s2, n = as_float(sums), as_float(sums_sq), as_float(ns)
    total = n.sum()
    if total <= 0:
        zeros = np.zeros_like(n)
        return Shrunk(zeros, zeros, zeros, float("nan"), 0.0, 0.0, 0.0)
    mu = float(s.sum() / total)
    has = n > 0
    means = np.where(has, s / np.where(has, n, 1.0), mu)
    dev = np.where(has, s2 - n * means**2, 0.0)
    dof = float(np.clip(n - 1, 0, None).sum())
    sigma2 = float(max(dev.sum(), 0.0) / dof) if dof > 0 else 0.0
    if has.sum() >= 2:
        noise = np.where(has, sigma2 / np.where(has, n, 1.0), 0.0)
        between = float(np.var(means[has], ddof=1)) - float(noise[has].mean())
        tau2 = max(between, 0.0)
    else:
        tau2 = 0.0
    tau = math.sqrt(tau2)
    scale = robust_between_sd(means[has], (sigma2 / n[has]) if has.any() else np.zeros(0))
    scale = scale if scale > 0 else tau
    t2 = scale * scale
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(has, t2 / (t2 + sigma2 / np.where(has, n, 1.0)), 0.0)
    rel = np.nan_to_num(rel, nan=0.0)
    if t2 == 0.0 and sigma2 == 0.0:
        rel = np.where(has, 1.0, 0.0)
    shrunk = mu + rel * (means - mu)
    z = (shrunk - mu) / scale if scale > 0 else np.zeros_like(shrunk)
    return Shrunk(shrunk, rel, z, mu, tau, math.sqrt(sigma2), scale)


def robust_between_sd(means: Any, noise_var: Any, *, cut: float = 2.5, passes: int = 2) -> float:
    """Between-school SD estimated without the outlying schools it is meant to judge.

    Method of moments (variance of the means minus their mean sampling variance) repeated on
    the schools within ``cut`` combined SDs of the median, so that a few extreme schools do not
    inflate the yardstick against which they are measured (they would hide one another).
    Returns 0 when it cannot be estimated.
    """
    m, v = as_float(means), as_float(noise_var)
    keep = np.isfinite(m) & np.isfinite(v)
    if keep.sum() < 3:
        return 0.0

    def mom(sel: BoolArray) -> float:
        if sel.sum() < 3:
            return 0.0
        return max(float(np.var(m[sel], ddof=1)) - float(v[sel].mean()), 0.0)

    tau2 = mom(keep)
    for _ in range(passes):
        centre = float(np.median(m[keep]))
        dev = np.abs(m - centre) / np.sqrt(v + tau2)
        sel = keep & (dev <= cut)
        tau2 = mom(sel) if sel.sum() >= 3 else tau2
    return math.sqrt(tau2)


def zscores(values: Any) -> FloatArray:
    """Standardise ignoring NaN (mean 0, SD 1 over the finite values; NaN stays NaN)."""
    v = as_float(values)
    ok = np.isfinite(v)
    if ok.sum() < 2:
        return np.where(ok, 0.0, np.nan)
    sd = float(np.std(v[ok], ddof=1))
    if sd == 0:
        return np.where(ok, 0.0, np.nan)
    return (v - float(np.mean(v[ok]))) / sd


def percentile_rank(values: Any) -> FloatArray:
    """Percentile rank in (0, 1]: the share of finite values at or below each value.

    The lowest of n distinct values gets 1/n, the highest 1; ties share their average rank;
    NaN stays NaN.
    """
    v = as_float(values)
    ok = np.isfinite(v)
    out = np.full(v.shape, np.nan)
    if ok.any():
        ranks = sps.rankdata(v[ok], method="average")
        out[ok] = ranks / ok.sum()
    return out


# --- tests ------------------------------------------------------------------------------------


def binom_upper(k: Any, n: Any, p: Any) -> FloatArray:
    """P(X ≥ k) for X ~ Binomial(n, p), element-wise."""
    k_, n_, p_ = as_float(k), as_float(n), np.clip(as_float(p), 1e-12, 1 - 1e-12)
    return np.asarray(sps.binom.sf(k_ - 1, n_, p_), dtype=np.float64)


def binom_lower(k: Any, n: Any, p: Any) -> FloatArray:
    """P(X ≤ k) for X ~ Binomial(n, p), element-wise."""
    k_, n_, p_ = as_float(k), as_float(n), np.clip(as_float(p), 1e-12, 1 - 1e-12)
    return np.asarray(sps.binom.cdf(k_, n_, p_), dtype=np.float64)


def fisher_greater(a: int, b: int, c: int, d: int) -> float:
    """One-sided Fisher exact p-value that the odds a/b exceed c/d (table [[a, b], [c, d]])."""
    if min(a + b, c + d) == 0:
        return 1.0
    return float(sps.fisher_exact([[a, b], [c, d]], alternative="greater").pvalue)


# --- regression --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineFit:
    intercept: float
    slope: float
    residuals: FloatArray
    r2: float
    n: int


def ols_line(y: Any, x: Any, weights: Any | None = None) -> LineFit:
    """Weighted least-squares line y = a + b·x over finite pairs; residuals NaN elsewhere."""
    yv, xv = as_float(y), as_float(x)
    w = np.ones_like(yv) if weights is None else as_float(weights)
    ok = np.isfinite(yv) & np.isfinite(xv) & np.isfinite(w) & (w > 0)
    res = np.full(yv.shape, np.nan)
    if ok.sum() < 3:
        return LineFit(float("nan"), float("nan"), res, float("nan"), int(ok.sum()))
    ww, xx, yy = w[ok], xv[ok], yv[ok]
    xm, ym = np.average(xx, weights=ww), np.average(yy, weights=ww)
    sxx = float(np.sum(ww * (xx - xm) ** 2))
    slope = float(np.sum(ww * (xx - xm) * (yy - ym)) / sxx) if sxx > 0 else 0.0
    intercept = float(ym - slope * xm)
    fitted = intercept + slope * xx
    res[ok] = yy - fitted
    sst = float(np.sum(ww * (yy - ym) ** 2))
    r2 = 1.0 - float(np.sum(ww * (yy - fitted) ** 2)) / sst if sst > 0 else 0.0
    return LineFit(intercept, slope, res, r2, int(ok.sum()))


def first_component(matrix: Any) -> tuple[FloatArray, FloatArray, float]:
    """First principal component of a standardised matrix (rows = schools, NaN → 0).

    Returns (scores, loadings, share of variance explained). The sign is fixed so that the
    loadings sum to a positive number (higher = more of what the columns measure).
    """
    m = np.nan_to_num(as_float(matrix), nan=0.0)
    if m.ndim != 2 or m.shape[0] < 2 or m.shape[1] == 0:
        rows = m.shape[0] if m.ndim else 0
        cols = m.shape[1] if m.ndim == 2 else 0
        return np.zeros(rows), np.zeros(cols), 0.0
    cov = np.cov(m, rowvar=False)
    cov = np.atleast_2d(cov)
    vals, vecs = np.linalg.eigh(cov)
    load = vecs[:, -1]
    if load.sum() < 0:
        load = -load
    total = float(vals.sum())
    share = float(vals[-1] / total) if total > 0 else 0.0
    return m @ load, load, share


# --- score distributions -----------------------------------------------------------------------


def beta_binomial_pmf(max_score: int, mean: float, var: float) -> FloatArray:
    """A smooth distribution of integer scores 0…max with the given mean and variance.

    Beta-binomial by the method of moments; when the variance is not above the binomial one the
    binomial is used. This is the counterfactual shape of a school's primary scores: smooth,
    with no reason to pile up at mark boundaries.
    """
    m = int(max_score)
    if m <= 0:
        return np.ones(1)
    p = min(max(mean / m, 1e-6), 1 - 1e-6)
    binom_var = m * p * (1 - p)
    k = np.arange(m + 1)
    if var <= binom_var * (1 + 1e-9) or m == 1:
        return np.asarray(sps.binom.pmf(k, m, p), dtype=np.float64)
    # var = m p (1-p) (alpha+beta+m) / (alpha+beta+1)
    ratio = var / binom_var
    s = (m - ratio) / (ratio - 1) if ratio < m else 1e-3
    s = max(s, 1e-3)
    a, b = p * s, (1 - p) * s
    pmf = np.asarray(sps.betabinom.pmf(k, m, a, b), dtype=np.float64)
    total = pmf.sum()
    return pmf / total if total > 0 else pmf


@dataclass(frozen=True)
class Bunching:
    """Deficit just below mark boundaries against a smooth counterfactual.

    ``below`` = pupils 1…w points below the boundaries, ``expected_below`` what the smooth
    distribution predicts for them given the pupils in the window (below + at the boundary),
    ``missing_share`` = 1 − below / expected_below, ``z`` the standardised deficit;
    ``excess_at`` = pupils at the boundaries minus the counterfactual count.
    """

    n: int
    below: int
    at: int
    expected_below: float
    missing_share: float
    z: float
    excess_at: float
    boundaries: tuple[int, ...]


def bunching_at_boundaries(
    hist: Any, boundaries: Sequence[float], *, window: int = 2
) -> Bunching:
    """Compare the counts just below each boundary with a beta-binomial counterfactual.

    ``hist[k]`` is the number of pupils with primary score k (0…max). For each boundary b the
    window is {b − window, …, b − 1} (below) and {b} (at); under the smooth counterfactual the
    share of the window's pupils below is q_b. The deficit is pooled over boundaries:
    z = (Σ T_b q_b − Σ below_b) / √(Σ T_b q_b (1 − q_b)).
    """
    h = as_float(hist)
    m = len(h) - 1
    n = int(h.sum())
    bs = tuple(round(b) for b in boundaries if window <= round(b) <= m)
    if n == 0 or not bs:
        return Bunching(n, 0, 0, 0.0, 0.0, 0.0, 0.0, bs)
    k = np.arange(m + 1)
    mean = float((h * k).sum() / n)
    var = float((h * (k - mean) ** 2).sum() / max(n - 1, 1))
    pmf = beta_binomial_pmf(m, mean, var)
    below = at = 0
    expected = variance = excess = 0.0
    for b in bs:
        lo = b - window
        x_b = int(h[lo:b].sum())
        a_b = int(h[b])
        t_b = x_b + a_b
        f_below = float(pmf[lo:b].sum())
        f_at = float(pmf[b])
        q = f_below / (f_below + f_at) if f_below + f_at > 0 else 0.0
        below += x_b
        at += a_b
        expected += t_b * q
        variance += t_b * q * (1 - q)
        excess += a_b - n * f_at
    z = (expected - below) / math.sqrt(variance) if variance > 0 else 0.0
    missing = 1.0 - below / expected if expected > 0 else 0.0
    return Bunching(n, below, at, expected, missing, z, excess, bs)


# --- response patterns -------------------------------------------------------------------------


def dichotomise(scores: Any, maxes: Any, share: float = 0.5) -> FloatArray:
    """1 when a task earned at least ``share`` of its maximum, 0 otherwise (NaN kept)."""
    s, m = as_float(scores), as_float(maxes)
    out = (s >= share * m - 1e-9).astype(np.float64)
    out[~np.isfinite(s)] = np.nan
    return out


def guttman_normed(x: Any, p: Any) -> FloatArray:
    """Normed Guttman errors per pupil: G / (r (k − r)) with items ordered by p (easiest first).

    G counts pairs (easier item wrong, harder item right). 0 = perfect Guttman pattern,
    1 = completely reversed; NaN for r = 0 or r = k (no pair can be an error).
    """
    xm = np.nan_to_num(as_float(x), nan=0.0)
    order = np.argsort(-as_float(p), kind="stable")
    xs = xm[:, order]
    k = xs.shape[1]
    r = xs.sum(axis=1)
    # errors: for each correct answer at position j, the number of wrong answers before it
    wrong_before = np.cumsum(1 - xs, axis=1) - (1 - xs)
    g = (xs * wrong_before).sum(axis=1)
    denom = r * (k - r)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(denom > 0, g / denom, np.nan)
    return np.asarray(out, dtype=np.float64)


def u3(x: Any, p: Any) -> FloatArray:
    """Van der Flier's U3 per pupil (0 = Guttman pattern, 1 = reversed); NaN for r = 0 or k."""
    xm = np.nan_to_num(as_float(x), nan=0.0)
    pv = np.clip(as_float(p), 1e-4, 1 - 1e-4)
    order = np.argsort(-pv, kind="stable")
    xs, ps = xm[:, order], pv[order]
    w = np.log(ps / (1 - ps))
    k = xs.shape[1]
    r = xs.sum(axis=1).astype(int)
    cum_w = np.concatenate([[0.0], np.cumsum(w)])
    cum_w_rev = np.concatenate([[0.0], np.cumsum(w[::-1])])
    best = cum_w[r]
    worst = cum_w_rev[r]
    actual = xs @ w
    denom = best - worst
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where((r > 0) & (r < k) & (denom > 0), (best - actual) / denom, np.nan)
    return np.asarray(out, dtype=np.float64)


def rasch_lz(x: Any, p: Any, iterations: int = 30) -> FloatArray:
    """Standardised log-likelihood lz per pupil under a Rasch model.

    Item difficulties come from the region's p-values (b = −logit p); each pupil's ability is the
    maximum-likelihood θ for the pupil's number correct (Newton iterations). Large negative values
    mean misfit (< −1.645 at the one-sided 5 % level). NaN for r = 0 or r = k.
    """
    xm = np.nan_to_num(as_float(x), nan=0.0)
    pv = np.clip(as_float(p), 1e-3, 1 - 1e-3)
    b = -np.log(pv / (1 - pv))
    k = xm.shape[1]
    r = xm.sum(axis=1)
    ok = (r > 0) & (r < k)
    theta = np.zeros(xm.shape[0])
    rr = np.clip(r, 0.5, k - 0.5)
    theta = np.log(rr / (k - rr)) + float(np.mean(b))
    for _ in range(iterations):
        prob = 1.0 / (1.0 + np.exp(-(theta[:, None] - b[None, :])))
        grad = prob.sum(axis=1) - rr
        info = (prob * (1 - prob)).sum(axis=1)
        step = grad / np.maximum(info, 1e-9)
        theta = theta - np.clip(step, -2, 2)
        if float(np.max(np.abs(step))) < 1e-8:
            break
    prob = np.clip(1.0 / (1.0 + np.exp(-(theta[:, None] - b[None, :]))), 1e-9, 1 - 1e-9)
    lp, lq = np.log(prob), np.log(1 - prob)
    l0 = (xm * lp + (1 - xm) * lq).sum(axis=1)
    e = (prob * lp + (1 - prob) * lq).sum(axis=1)
    v = (prob * (1 - prob) * (lp - lq) ** 2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        lz = np.where(ok & (v > 0), (l0 - e) / np.sqrt(v), np.nan)
    return np.asarray(lz, dtype=np.float64)
