"""The engine on an in-memory fact store: aggregation from counts, small groups, significance,
organization shares, grouped conditions, composites, breakdowns and failing sources."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest

from tests.indicators import enginekit as kit

pytestmark = pytest.mark.core


def test_territories_aggregate_from_counts_not_by_averaging_shares() -> None:
    """School 1: 100 writers, 10 «2» (10 %); school 2: 10 writers, 9 «2» (90 %). The
    municipality is 19 / 110 = 17.3 %, not the 50 % an average of the two shares would give."""
    wh = kit.store()
    kit.add(
        wh, "result", kit.marks(1, 2026, [2] * 10 + [4] * 90) + kit.marks(2, 2026, [2] * 9 + [3])
    )
    frames, _ = kit.run(wh, [2026], kit.SHARE2)
    share = frames["results.share2"]
    assert kit.row(share, "o", 1).value == pytest.approx(10.0)
    assert kit.row(share, "o", 2).value == pytest.approx(90.0)
    municipality = kit.row(share, "t", 10)
    assert (municipality.numerator, municipality.denominator) == (19.0, 110.0)
    assert municipality.value == pytest.approx(100 * 19 / 110)
    assert municipality.orgs == 2
    assert kit.row(share, "t", 20).value == pytest.approx(100 * 19 / 110)


def test_means_aggregate_from_sums_and_counts() -> None:
    wh = kit.store()
    kit.add(wh, "result", kit.scores(1, 2026, [60.0] * 90) + kit.scores(2, 2026, [90.0] * 10))
    frames, _ = kit.run(
        wh,
        [2026],
        {
            "code": "results.mean",
            "factor": 1,
            "unit": "балл",
            "numerator": "mean(result.test_score)",
        },
    )
    assert kit.row(frames["results.mean"], "t", 10).value == pytest.approx(63.0)  # not 75


def test_small_groups_are_hidden_but_counted_in_totals() -> None:
    wh = kit.store()
    kit.add(wh, "result", kit.marks(1, 2026, [2] * 5 + [4] * 15) + kit.marks(3, 2026, [2] * 7))
    share = kit.run(wh, [2026], kit.SHARE2)[0]["results.share2"]
    small = kit.row(share, "o", 3)
    assert bool(small.suppressed) and small.n == 7
    assert all(math.isnan(v) for v in (small.value, small.numerator, small.denominator))
    assert bool(kit.row(share, "t", 11).suppressed)  # its municipality is as small
    region = kit.row(share, "t", 20)
    assert not region.suppressed and region.value == pytest.approx(100 * 12 / 27)


def test_a_big_change_on_a_big_group_is_significant_and_on_twelve_pupils_it_is_not() -> None:
    wh = kit.store()
    kit.add(
        wh,
        "result",
        kit.marks(1, 2025, [2] * 300 + [4] * 700)
        + kit.marks(1, 2026, [2] * 200 + [4] * 800)
        + kit.marks(3, 2025, [2] * 4 + [4] * 8)
        + kit.marks(3, 2026, [2] * 2 + [4] * 10),
    )
    share = kit.run(wh, [2026], kit.SHARE2)[0]["results.share2"]
    big = kit.row(share, "o", 1)
    assert big.change == pytest.approx(-10.0)
    assert big.change_significant is True and big.p_value < 0.001
    small = kit.row(share, "o", 3)
    assert small.change == pytest.approx(100 * 2 / 12 - 100 * 4 / 12)
    assert small.change_significant is False and small.p_value > 0.3


def test_no_previous_year_means_not_testable() -> None:
    wh = kit.store()
    kit.add(wh, "result", kit.marks(1, 2026, [2] * 20 + [4] * 30))
    big = kit.row(kit.run(wh, [2026], kit.SHARE2)[0]["results.share2"], "o", 1)
    assert big.change_significant is None and math.isnan(big.previous_value)


def test_welch_test_for_means() -> None:
    wh = kit.store()
    kit.add(
        wh,
        "result",
        kit.scores(1, 2025, [50.0, 52.0, 48.0, 51.0, 49.0] * 10)
        + kit.scores(1, 2026, [60.0, 62.0, 58.0, 61.0, 59.0] * 10)
        + kit.scores(3, 2025, [40.0, 80.0, 60.0] * 4)
        + kit.scores(3, 2026, [45.0, 85.0, 65.0] * 4),
    )
    frames, _ = kit.run(
        wh,
        [2026],
        {
            "code": "results.mean",
            "factor": 1,
            "unit": "балл",
            "numerator": "mean(result.test_score)",
        },
    )
    assert kit.row(frames["results.mean"], "o", 1).change_significant is True
    noisy = kit.row(frames["results.mean"], "o", 3)
    assert noisy.change == pytest.approx(5.0) and noisy.change_significant is False


def test_orgs_share_counts_organizations_meeting_a_grouped_condition() -> None:
    """School 1 has two works with ≥ 30 % «2» among ≥ 10 writers, school 2 one such work (its
    second has only 8 writers), school 3 none."""
    wh = kit.store()
    kit.add(
        wh,
        "result",
        kit.marks(1, 2026, [2] * 4 + [4] * 6)
        + kit.marks(1, 2026, [2] * 3 + [4] * 7, grade=6)
        + kit.marks(2, 2026, [2] * 5 + [4] * 5)
        + kit.marks(2, 2026, [2] * 4 + [4] * 4, grade=6)
        + kit.marks(3, 2026, [4] * 12),
    )
    condition = (
        "count_groups(result by grade having count(result where mark = 2) / count(result) "
        '>= param("share") and count(result) >= param("privacy.min_group_size")) >= 2'
    )
    frames, _ = kit.run(
        wh, [2026], {"code": "low_results.x", "aggregation": "orgs_share", "condition": condition}
    )
    share = frames["low_results.x"]
    assert [kit.row(share, "o", i).value for i in (1, 2, 3)] == [100.0, 0.0, 0.0]
    assert kit.row(share, "t", 10).value == pytest.approx(50.0)
    assert kit.row(share, "t", 20).value == pytest.approx(100 / 3)
    assert kit.row(share, "o", 1).change_significant is None  # a yes/no is not tested


def test_breakdowns_keep_a_total_unless_told_otherwise() -> None:
    wh = kit.store()
    kit.add(
        wh, "result", kit.marks(1, 2026, [2] * 5 + [4] * 5) + kit.marks(1, 2026, [4] * 10, grade=6)
    )
    frames, _ = kit.run(
        wh,
        [2026],
        {**kit.SHARE2, "breakdown": ["grade"]},
        {**kit.SHARE2, "code": "results.only_parts", "breakdown": ["grade"], "total": False},
    )
    share = frames["results.share2"]
    assert kit.row(share, "o", 1).value == pytest.approx(25.0)
    assert kit.row(share, "o", 1, bkey="grade=5").value == pytest.approx(50.0)
    assert kit.row(share, "o", 1, bkey="grade=6").value == pytest.approx(0.0)
    assert set(frames["results.only_parts"].bkey) == {"grade=5", "grade=6"}


def test_composite_index_normalises_components_and_keeps_contributions() -> None:
    wh = kit.store()
    kit.add(
        wh, "result", kit.marks(1, 2026, [2] * 2 + [5] * 8) + kit.marks(2, 2026, [2] * 6 + [5] * 4)
    )
    frames, _ = kit.run(
        wh,
        [2026],
        kit.SHARE2,
        {
            "code": "results.top",
            "numerator": "count(result where mark = 5)",
            "denominator": "count(result)",
        },
        {
            "code": "results.index",
            "aggregation": "composite",
            "normalisation": "fixed",
            "components": [
                {"indicator": "results.share2", "weight": 1, "bounds": [0, 100]},
                {"indicator": "results.top", "weight": 3, "bounds": [0, 100]},
            ],
        },
    )
    school = kit.row(frames["results.index"], "o", 1)
    # share2 20 % → (1 − 0.2) = 0.8 (lower is better); top 80 % → 0.8: index 80.
    assert school.value == pytest.approx(80.0)
    parts = {c["indicator"]: c["contribution"] for c in school.detail["components"]}
    assert parts == {"results.share2": pytest.approx(20.0), "results.top": pytest.approx(60.0)}


def test_a_failing_external_source_spoils_only_its_indicators() -> None:
    def broken(prefix: str, name: str, years: object) -> pa.Table:
        raise RuntimeError("форма недоступна")

    wh = kit.store()
    kit.add(wh, "result", kit.marks(1, 2026, [2] * 10))
    frames, problems = kit.run(
        wh,
        [2026],
        kit.SHARE2,
        {"code": "results.ext", "numerator": "sum(ext.value_a)", "factor": 1},
        external=broken,
    )
    assert "results.share2" in frames and kit.row(frames["results.share2"], "o", 1).value == 100.0
    assert "форма недоступна" in problems["results.ext"]


def test_external_sources_are_read_together() -> None:
    def provider(prefix: str, name: str, years: object) -> pa.Table:
        value = {"a": 3.0, "b": 4.0}[name]
        return pa.table({"org_id": [1, 2], "year": [2026, 2026], "value": [value, value * 2]})

    wh = kit.store()
    frames, problems = kit.run(
        wh,
        [2026],
        {
            "code": "results.ext",
            "numerator": "sum(ext.a)",
            "denominator": "sum(ext.a) + sum(ext.b)",
        },
        external=provider,
    )
    assert not problems
    assert kit.row(frames["results.ext"], "t", 10).value == pytest.approx(100 * 9 / 21)


def test_a_breakdown_over_a_source_without_rows_gives_no_rows() -> None:
    wh = kit.store()
    kit.add(wh, "result", kit.marks(1, 2026, [2] * 12))
    frames, problems = kit.run(
        wh,
        [2026],
        {
            "code": "results.none",
            "numerator": "count(result where mark = 5)",
            "denominator": 'count(result where procedure = "ЕГЭ")',
            "breakdown": ["subject"],
        },
    )
    assert not problems
    assert frames["results.none"].empty
