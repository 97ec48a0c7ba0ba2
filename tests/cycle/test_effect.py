"""Difference in differences on planted data: a planted effect is recovered inside its
interval; where none was planted, no effect is reported."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from soko.cycle.effect import (
    INSUFFICIENT,
    OK,
    DidResult,
    conclusion,
    diff_in_diff,
    split_years,
    verdict,
)

pytestmark = pytest.mark.core

YEARS = (2022, 2023, 2024, 2025)
FIRST_AFTER = 2024


def planted(effect: float, seed: int, n_treated: int = 8, n_control: int = 20,
            noise: float = 3.0) -> tuple[dict[int, dict[int, float]], set[int]]:
    """Organization × year values: level + organization effect + year effect + noise, plus
    ``effect`` for the treated organizations in the «after» years. The treated organizations
    start lower (they were chosen because they were weak) — the design must not mistake that
    for an effect."""
    rng = np.random.default_rng(seed)
    year_effect = {2022: 0.0, 2023: -1.5, 2024: 2.0, 2025: 1.0}
    values: dict[int, dict[int, float]] = {}
    treated = set(range(n_treated))
    for org in range(n_treated + n_control):
        base = 60 + rng.normal(0, 8) - (10 if org in treated else 0)
        values[org] = {
            y: base + year_effect[y] + rng.normal(0, noise)
            + (effect if org in treated and y >= FIRST_AFTER else 0.0)
            for y in YEARS
        }
    return values, treated


def run(values: dict[int, dict[int, float]], treated: set[int], **kwargs: Any) -> DidResult:
    before, after = split_years(YEARS, FIRST_AFTER)
    return diff_in_diff(values, treated, before, after, **kwargs)


def interval(low: float | None, high: float | None) -> tuple[float, float]:
    assert low is not None and high is not None
    return low, high


def test_planted_effect_is_inside_the_interval_and_significant():
    values, treated = planted(effect=6.0, seed=11)
    result = run(values, treated)
    assert result.status == OK
    low, high = interval(result.ci_low, result.ci_high)
    assert low < 6.0 < high
    assert result.significant and low > 0
    b_low, b_high = interval(result.bootstrap_low, result.bootstrap_high)
    assert b_low < 6.0 < b_high
    assert (result.n_treated, result.n_control) == (8, 20)
    assert verdict(result) == "improved"


def test_no_planted_effect_gives_no_effect():
    values, treated = planted(effect=0.0, seed=11)
    result = run(values, treated)
    assert result.status == OK
    low, high = interval(result.ci_low, result.ci_high)
    assert low < 0 < high
    assert not result.significant
    assert verdict(result) == "no_effect"


def test_estimate_by_hand_on_a_tiny_panel():
    # changes after − before: treated 4 and 6 (mean 5); control 1, 2, 3 (mean 2) → DiD 3
    values = {
        1: {2023: 10, 2024: 14}, 2: {2023: 20, 2024: 26},
        3: {2023: 30, 2024: 31}, 4: {2023: 40, 2024: 42}, 5: {2023: 50, 2024: 53},
        6: {2023: 50},  # no «after» value: left out
    }
    result = diff_in_diff(values, {1, 2, 6}, [2023], [2024], bootstrap_reps=0)
    assert result.estimate == pytest.approx(3.0)
    assert result.excluded == [6]
    assert result.treated_before == pytest.approx(15.0)
    assert result.control_after == pytest.approx(42.0)
    # Welch standard error: sqrt(var(4,6)/2 + var(1,2,3)/3) = sqrt(2/2 + 1/3)
    assert result.std_error == pytest.approx((1 + 1 / 3) ** 0.5)
    assert result.bootstrap_low is None


def test_interval_coverage_and_false_alarms_over_many_plantings():
    covered = alarms = 0
    runs = 200
    for seed in range(runs):
        values, treated = planted(effect=4.0, seed=1000 + seed)
        result = run(values, treated, bootstrap_reps=0)
        low, high = interval(result.ci_low, result.ci_high)
        covered += low <= 4.0 <= high
        null_values, _ = planted(effect=0.0, seed=5000 + seed)
        alarms += run(null_values, treated, bootstrap_reps=0).significant
    assert 0.90 <= covered / runs <= 0.99
    assert alarms / runs <= 0.09


def test_too_few_organizations_is_insufficient_not_a_guess():
    values, treated = planted(effect=6.0, seed=3, n_treated=2)
    result = run(values, treated, min_group=3)
    assert result.status == INSUFFICIENT
    assert result.estimate is None and result.ci_low is None
    assert verdict(result) == "insufficient"
    text = conclusion(result, indicator="Доля «2»", unit="%", min_group=3)
    assert text.startswith("Недостаточно данных для оценки по показателю «Доля «2»»")
    assert "есть 2 и 20" in text


def test_wording_claims_no_more_than_the_data_show():
    values, treated = planted(effect=6.0, seed=11)
    result = run(values, treated)
    text = conclusion(result, indicator="Средний процент выполнения", unit="%")
    assert "Улучшение в целевых ОО на" in text and "п. п. больше, чем в остальных" in text
    assert "95 % ДИ от" in text
    assert "не доказывает" in text
    null, _ = planted(effect=0.0, seed=11)
    quiet = conclusion(run(null, treated), indicator="Средний процент выполнения", unit="%")
    assert "не отличается от нуля статистически значимо" in quiet


def test_lower_is_better_polarity_turns_a_fall_into_an_improvement():
    values, treated = planted(effect=-6.0, seed=11)
    result = run(values, treated)
    assert verdict(result, "lower_better") == "improved"
    assert verdict(result, "higher_better") == "worsened"
    text = conclusion(result, indicator="Доля отметок «2»", unit="%", polarity="lower_better")
    assert "Улучшение в целевых ОО" in text


def test_identical_changes_give_a_degenerate_but_honest_interval():
    values = {k: {2023: 10.0, 2024: 12.0 if k < 3 else 11.0} for k in range(6)}
    result = diff_in_diff(values, {0, 1, 2}, [2023], [2024], bootstrap_reps=0)
    assert result.estimate == pytest.approx(1.0)
    assert result.ci_low == result.ci_high == pytest.approx(1.0)


def test_confidence_must_be_a_probability():
    with pytest.raises(ValueError, match="confidence"):
        diff_in_diff({}, set(), [], [], confidence=1.5)
