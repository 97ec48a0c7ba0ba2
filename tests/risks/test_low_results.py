"""The low-results index, the social context index, the quadrant and value added."""

from __future__ import annotations

import math

import pytest

from soko.risks.lowresults import (
    DEFAULT_COMPONENTS,
    Component,
    IndexParams,
    low_index,
    quadrant,
    results_index,
    social_index,
    value_added,
)

pytestmark = pytest.mark.core


def test_results_index_averages_within_then_across_procedures() -> None:
    zs = {(1, 2026): {("ВПР", "РУ", 4): -1.0, ("ВПР", "МА", 4): -3.0, ("ОГЭ", "РУ", 9): 0.0}}
    res = results_index(zs, {"ВПР": 1.0, "ОГЭ": 1.0})
    # ВПР mean −2, ОГЭ 0 → −1 (ВПР's two works do not outweigh ОГЭ)
    assert res[(1, 2026)]["value"] == pytest.approx(-1.0)
    weighted = results_index(zs, {"ВПР": 3.0, "ОГЭ": 1.0})
    assert weighted[(1, 2026)]["value"] == pytest.approx(-1.5)


def test_low_index_bottom_in_two_of_three_years() -> None:
    index = {}
    for y in (2024, 2025, 2026):
        for o in range(1, 11):
            index[(o, y)] = float(o)  # school 1 lowest every year
    index[(2, 2024)] = -5.0  # school 2 bottom only in 2024
    index[(3, 2025)] = -5.0
    index[(3, 2026)] = -6.0  # school 3 bottom in 2025 and 2026
    res = low_index(index, IndexParams(bottom_share=0.10, window_years=3, min_years=2))
    assert res[(1, 2026)].bottom_years == [] and not res[(1, 2026)].fired
    assert res[(2, 2025)].bottom_years == [2024] and not res[(2, 2025)].fired
    assert res[(3, 2026)].fired and res[(3, 2026)].bottom_years == [2025, 2026]
    assert not res[(2, 2026)].fired
    # one school in ten is the bottom 10 %
    assert sum(r.bottom for k, r in res.items() if k[1] == 2026) == 1


def test_social_index_orientation_and_top_quarter() -> None:
    comps = [Component("low_income", "", 1.0), Component("parents_higher_ed", "", -1.0)]
    rows = {(o, 2026): {"low_income": o / 10, "parents_higher_ed": 1 - o / 10}
            for o in range(1, 9)}
    res, diag = social_index(rows, comps, top_share=0.25)
    values = [res[(o, 2026)].value for o in range(1, 9)]
    assert values == sorted(values)  # more low-income and fewer graduate parents = higher
    assert [o for o in range(1, 9) if res[(o, 2026)].top] == [7, 8]  # 2 of 8 = 25 %
    assert res[(8, 2026)].components["parents_higher_ed"]["z"] > 0
    assert diag[2026]["pc1_share"] == pytest.approx(1.0)
    assert diag[2026]["corr_mean_pc1"] == pytest.approx(1.0)


def test_social_index_needs_half_of_the_components() -> None:
    rows = {(1, 2026): {"low_income": 0.1}, (2, 2026): {"low_income": 0.3},
            (3, 2026): {"low_income": 0.2}}
    res, _ = social_index(rows, DEFAULT_COMPONENTS)
    assert all(math.isnan(r.value) for r in res.values())


def test_quadrants() -> None:
    assert quadrant(True, True, -2.0, 0.0) == "priority"
    assert quadrant(True, False, -2.0, 0.0) == "management"
    assert quadrant(False, True, 0.3, 0.0) == "resilient"
    assert quadrant(False, True, -0.3, 0.0) == "other"
    assert quadrant(False, False, 1.0, 0.0) == "other"


def test_value_added_residuals_by_hand() -> None:
    results = {1: 1.0, 2: 0.0, 3: -1.0, 4: 0.5}
    social = {1: -1.0, 2: 0.0, 3: 1.0, 4: 1.0}
    va = value_added(results, social)
    # least squares by hand: x̄ = 0.25, ȳ = 0.125, Sxy = −1.625, Sxx = 2.75
    slope = -1.625 / 2.75
    intercept = 0.125 - slope * 0.25
    assert va.slope == pytest.approx(slope)
    assert va.residuals[4] == pytest.approx(0.5 - (intercept + slope))
