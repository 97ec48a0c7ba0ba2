"""Statistical building blocks, checked against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from soko.risks import stats

pytestmark = pytest.mark.core


def test_eb_shrink_by_hand() -> None:
    # three schools: means 0.5 (n=4), 0.7 (n=4), 0.9 (n=4); within-school values 0.4/0.6 etc.
    values = [[0.4, 0.6, 0.4, 0.6], [0.6, 0.8, 0.6, 0.8], [0.8, 1.0, 0.8, 1.0]]
    sums = [sum(v) for v in values]
    sq = [sum(x * x for x in v) for v in values]
    res = stats.eb_shrink(sums, sq, [4, 4, 4])
    # pooled within variance: each school Σ(x−m)² = 4·0.01 = 0.04, dof 3 per school → 0.12/9
    sigma2 = 0.12 / 9
    assert res.sigma == pytest.approx(math.sqrt(sigma2))
    assert res.mu == pytest.approx(0.7)
    # between: var(0.5, 0.7, 0.9; ddof=1) = 0.04; minus σ²/n
    tau2 = 0.04 - sigma2 / 4
    assert res.tau == pytest.approx(math.sqrt(tau2))
    b = tau2 / (tau2 + sigma2 / 4)
    assert res.reliability[0] == pytest.approx(b)
    assert res.shrunk[2] == pytest.approx(0.7 + b * 0.2)


def test_eb_shrink_small_school_pulled_to_region() -> None:
    sums = [50 * 0.6, 50 * 0.6, 50 * 0.6, 50 * 0.65, 2 * 1.0]
    sq = [50 * (0.36 + 0.04), 50 * (0.36 + 0.04), 50 * (0.36 + 0.04), 50 * (0.4225 + 0.04),
          2 * 1.0]
    res = stats.eb_shrink(sums, sq, [50, 50, 50, 50, 2])
    assert res.reliability[4] < res.reliability[0]
    assert res.shrunk[4] < 1.0


def test_percentile_rank_and_ties() -> None:
    r = stats.percentile_rank([3.0, 1.0, 2.0, float("nan"), 2.0])
    assert r[1] == pytest.approx(1 / 4)
    assert r[2] == pytest.approx(2.5 / 4) and r[4] == pytest.approx(2.5 / 4)
    assert r[0] == pytest.approx(1.0)
    assert math.isnan(r[3])


def test_binomial_tails() -> None:
    # P(X ≥ 2 | n = 3, p = 0.5) = 4/8
    assert stats.binom_upper(2, 3, 0.5) == pytest.approx(0.5)
    assert stats.binom_lower(0, 3, 0.5) == pytest.approx(0.125)


def test_ols_line_by_hand() -> None:
    fit = stats.ols_line([1.0, 3.0, 5.0, 7.0], [0.0, 1.0, 2.0, 3.0])
    assert fit.slope == pytest.approx(2.0) and fit.intercept == pytest.approx(1.0)
    assert np.allclose(fit.residuals, 0.0)


def test_beta_binomial_is_a_distribution_with_the_moments() -> None:
    pmf = stats.beta_binomial_pmf(20, 12.0, 16.0)
    k = np.arange(21)
    assert pmf.sum() == pytest.approx(1.0)
    assert (pmf * k).sum() == pytest.approx(12.0, rel=1e-6)
    assert (pmf * (k - 12.0) ** 2).sum() == pytest.approx(16.0, rel=1e-3)


def test_bunching_finds_piled_boundary_and_not_a_smooth_histogram() -> None:
    rng = np.random.default_rng(3)
    scores = rng.binomial(24, 0.6, size=400)
    smooth = np.bincount(scores, minlength=25).astype(float)
    clean = stats.bunching_at_boundaries(smooth, [10, 16, 21])
    assert clean.z < 3
    piled = smooth.copy()
    for b in (10, 16, 21):
        moved = piled[b - 2] * 0.85 + piled[b - 1] * 0.85
        piled[b - 2] *= 0.15
        piled[b - 1] *= 0.15
        piled[b] += moved
    found = stats.bunching_at_boundaries(np.round(piled), [10, 16, 21])
    assert found.z > 5 and found.missing_share > 0.6


def test_person_fit_on_hand_patterns() -> None:
    p = np.array([0.9, 0.8, 0.7, 0.3, 0.2, 0.1])
    guttman = np.array([[1, 1, 1, 0, 0, 0]], dtype=float)
    reversed_ = np.array([[0, 0, 0, 1, 1, 1]], dtype=float)
    assert stats.guttman_normed(guttman, p)[0] == pytest.approx(0.0)
    assert stats.guttman_normed(reversed_, p)[0] == pytest.approx(1.0)
    assert stats.u3(guttman, p)[0] == pytest.approx(0.0)
    assert stats.u3(reversed_, p)[0] == pytest.approx(1.0)
    lz = stats.rasch_lz(np.vstack([guttman, reversed_]), p)
    assert lz[0] > 0 > -1.645 > lz[1]
    assert math.isnan(stats.rasch_lz(np.ones((1, 6)), p)[0])


def test_first_component_sign_and_share() -> None:
    x = np.array([[1.0, 2.0], [2.0, 4.1], [3.0, 6.0], [4.0, 7.9]])
    z = np.column_stack([stats.zscores(x[:, 0]), stats.zscores(x[:, 1])])
    scores, load, share = stats.first_component(z)
    assert share > 0.99
    assert load.sum() > 0
    assert scores[3] > scores[0]
