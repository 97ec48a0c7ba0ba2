"""Mark scales with conditional rules, conversions and inference from data."""

from __future__ import annotations

import numpy as np
import pytest

from soko.lib.scales import Condition, Conversion, MarkScale, infer_boundaries, parse_band

pytestmark = pytest.mark.core

GEOMETRY = ("15", "16", "17", "18", "19", "23", "24", "25")
LITERACY = ("ГК1", "ГК2", "ГК3", "ГК4")


def oge_math_2026() -> MarkScale:
    return MarkScale.from_bands(
        {2: "0-7", 3: "8-14", 4: "15-21", 5: "22-31"},
        conditions=[Condition(3, GEOMETRY, 2, 2)],
    )


def oge_russian_2026() -> MarkScale:
    return MarkScale.from_bands(
        {2: "0-14", 3: "15-25", 4: "26-32", 5: "33-37"},
        conditions=[Condition(5, LITERACY, 9, 4), Condition(4, LITERACY, 6, 3)],
    )


def test_it_parses_bands() -> None:
    assert parse_band("8-14") == (8.0, 14.0)
    assert parse_band(" 22 – 31 ") == (22.0, 31.0)
    with pytest.raises(ValueError):
        parse_band("14-8")


def test_bands_must_be_contiguous() -> None:
    with pytest.raises(ValueError):
        MarkScale.from_bands({2: "0-7", 3: "9-14"})


def test_math_needs_two_geometry_points_for_any_positive_mark() -> None:
    scale = oge_math_2026()
    geometry_1 = dict.fromkeys(GEOMETRY, 0.0) | {"15": 1.0}
    geometry_2 = dict.fromkeys(GEOMETRY, 0.0) | {"15": 1.0, "23": 1.0}
    assert scale.mark_for(25, geometry_2) == 5
    assert scale.mark_for(25, geometry_1) == 2
    assert scale.mark_for(8, geometry_2) == 3
    assert scale.mark_for(7, geometry_2) == 2


def test_russian_literacy_steps_down_one_mark_at_a_time() -> None:
    scale = oge_russian_2026()

    def lit(points: float) -> dict[str, float]:
        return {"ГК1": points, "ГК2": 0.0, "ГК3": 0.0, "ГК4": 0.0}

    assert scale.mark_for(35, lit(9)) == 5
    assert scale.mark_for(35, lit(7)) == 4  # «5» needs 9, «4» needs 6
    assert scale.mark_for(35, lit(5)) == 3
    assert scale.mark_for(28, lit(6)) == 4
    assert scale.mark_for(20, lit(0)) == 3


def test_vectorised_marks_equal_scalar_marks() -> None:
    scale = oge_russian_2026()
    rng = np.random.default_rng(3)
    primary = rng.integers(0, 38, 500).astype(float)
    lit = rng.integers(0, 11, 500).astype(float)
    points = {"ГК1": lit, "ГК2": np.zeros(500), "ГК3": np.zeros(500), "ГК4": np.zeros(500)}
    vector = scale.marks_for(primary, points)
    scalar = [
        scale.mark_for(p, {"ГК1": g, "ГК2": 0, "ГК3": 0, "ГК4": 0})
        for p, g in zip(primary, lit, strict=True)
    ]
    assert vector.tolist() == scalar


def test_conditions_without_task_scores_are_an_error_not_a_guess() -> None:
    with pytest.raises(KeyError):
        oge_math_2026().mark_for(20)


def test_bands_round_trip() -> None:
    scale = MarkScale.from_bands({2: "0-9", 3: "10-15", 4: "16-20", 5: "21-24"})
    assert scale.bands() == {2: (0.0, 9.0), 3: (10.0, 15.0), 4: (16.0, 20.0), 5: (21.0, 24.0)}
    assert MarkScale.from_dict(scale.to_dict()) == scale


def test_conversion_looks_up_and_refuses_uncovered_scores() -> None:
    conv = Conversion({0: 0, 1: 6, 2: 11, 5: 27}, complete=False)
    assert conv.test_score(5) == 27
    assert conv.test_score(3) is None
    assert conv.test_score(1.5) is None
    assert np.isnan(conv.test_scores(np.array([3.0]))[0])
    assert conv.test_scores(np.array([2.0]))[0] == 11
    assert conv.is_monotone()


def test_it_infers_exact_boundaries_from_dense_data() -> None:
    scale = MarkScale.from_bands({2: "0-9", 3: "10-15", 4: "16-20", 5: "21-24"})
    primary = np.arange(0, 25, dtype=float)
    inferred = infer_boundaries(primary, scale.marks_for(primary))
    assert inferred.boundaries == {3: 10.0, 4: 16.0, 5: 21.0}
    assert inferred.exact
    assert inferred.conflicts == []


def test_it_reports_contradicting_pairs_and_imprecise_boundaries() -> None:
    primary = np.array([5.0, 9.0, 12.0, 13.0, 20.0])
    marks = np.array([2, 3, 4, 3, 5])
    inferred = infer_boundaries(primary, marks)
    assert inferred.boundaries[4] == 12.0
    assert (13.0, 3) in inferred.conflicts
    assert not inferred.exact
