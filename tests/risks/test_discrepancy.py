"""Re-check discrepancies computed by hand."""

from __future__ import annotations

import pytest

from soko.risks.discrepancy import CheckedWork, summarize, work_discrepancy

pytestmark = pytest.mark.core


def test_work_discrepancy_by_hand() -> None:
    w = work_discrepancy(CheckedWork([2, 1, 3, 0], [1, 1, 2, 0], 4, 3), tolerance=1)
    assert w.task_deltas == [-1, 0, -1, 0]
    assert (w.school_primary, w.commission_primary, w.delta_primary) == (6, 4, -2)
    assert w.mark_changed and not w.objective


def test_objective_within_tolerance_and_same_mark() -> None:
    w = work_discrepancy(CheckedWork([2, 1, 3, 0], [2, 1, 2, 0], 4, 4), tolerance=1)
    assert w.delta_primary == -1 and w.objective
    w2 = work_discrepancy(CheckedWork([2, 1, 3, 0], [2, 1, 3, 1], 3, 4), tolerance=1)
    assert not w2.objective  # +1 point but the mark moved from «3» to «4»


def test_summary_by_hand() -> None:
    works = [
        work_discrepancy(CheckedWork([2, 1], [1, 1], 4, 4), 1),  # Δ −1, objective
        work_discrepancy(CheckedWork([2, 1], [0, 0], 4, 2), 1),  # Δ −3, not
        work_discrepancy(CheckedWork([1, 0], [1, 0], 3, 3), 1),  # Δ 0, objective
    ]
    s = summarize(works, ["1", "2"])
    assert s["checked"] == 3 and s["objective"] == 2
    assert s["share_objective"] == pytest.approx(2 / 3)
    assert s["mean_delta"] == pytest.approx(-4 / 3)
    assert s["mean_abs_delta"] == pytest.approx(4 / 3)
    assert s["marks_changed"] == 1 and s["lowered"] == 2
    assert s["tasks"][0] == {"number": "1", "mean_delta": pytest.approx(-1.0), "works_changed": 2}
    assert s["tasks"][1]["mean_delta"] == pytest.approx(-1 / 3)
