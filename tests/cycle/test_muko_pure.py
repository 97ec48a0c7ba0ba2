"""МУКО scoring from evidence (pure), and the shipped criteria file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from soko.cycle.directions import DIRECTION_CODES, STEP_CODES
from soko.cycle.muko import (
    Criteria,
    CriteriaError,
    Evidence,
    criteria_from_dict,
    level_for,
    matrix_to_dict,
    score_matrix,
)

pytestmark = pytest.mark.core

PROBES = ["a", "b", "c"]
CUTOFFS = [(0.0, "дефицитный"), (50.0, "базовый"), (75.0, "высокий")]
SHIPPED = Path(__file__).resolve().parents[2] / "src/soko/cycle/data/muko_criteria.yaml"


def small_criteria() -> Criteria:
    """One 1-point criterion per step (probe «a» or manual), plus a 2-point criterion on
    «goals» needing two pieces of probe «b», only for results."""
    items = [{"code": f"{s}.base", "step": s, "points": 1, "probes": ["a", "manual"],
              "text": f"есть {s}", "todo": f"сделать {s}"} for s in STEP_CODES]
    items.append({"code": "goals.extra", "step": "goals", "points": 2, "probes": ["b"],
                  "min": 2, "directions": ["results"], "text": "две цели", "todo": "цели"})
    return criteria_from_dict({"criteria": items, "source": "cycle-muko-system"}, PROBES)


def e(title: str) -> Evidence:
    return Evidence(title, "/x/")


def test_scores_levels_and_todo_by_hand():
    criteria = small_criteria()
    evidence = {
        # results: probe a for 7 steps via "a"? No: probe a answers per direction, not per step,
        # so «a» present means every step's base criterion is met.
        ("results", "a"): [e("доказательство")],
        ("results", "b"): [e("цель 1")],  # one piece: goals.extra (min 2) not met
        ("objectivity", "manual:decisions"): [e("приказ № 5")],
        ("objectivity", "manual:goals"): [e("план")],
        ("objectivity", "b"): [e("x"), e("y")],  # «b» does not apply to objectivity
    }
    m = score_matrix(criteria, evidence, CUTOFFS)
    results = next(d for d in m.directions if d.direction == "results")
    # 9 base points met of max 9 + 2 (goals.extra) = 11 → 81.8 % → высокий
    assert (results.points, results.max_points) == (9, 11)
    assert results.percent == pytest.approx(900 / 11)
    assert results.level == "высокий"
    assert results.complete_cycle
    assert m.cells[("results", "goals")].points == 1
    assert m.cells[("results", "goals")].max_points == 3
    objectivity = next(d for d in m.directions if d.direction == "objectivity")
    assert (objectivity.points, objectivity.max_points) == (2, 9)
    assert objectivity.level == "дефицитный"
    assert not objectivity.complete_cycle
    assert set(objectivity.missing_steps) == set(STEP_CODES) - {"decisions", "goals"}
    assert m.cells[("objectivity", "decisions")].evidence[0].title == "приказ № 5"
    empty = next(d for d in m.directions if d.direction == "preschool")
    assert (empty.points, empty.max_points, empty.level) == (0, 9, "дефицитный")
    assert (m.points, m.max_points) == (11, 11 + 8 * 9)
    todo_results = [t for t in m.todo if t.direction == "results"]
    assert [(t.step, t.text) for t in todo_results] == [("goals", "цели")]
    assert len(m.todo) == 1 + (9 - 2) + 7 * 9


def test_partial_evidence_is_shown_but_not_scored():
    m = score_matrix(small_criteria(), {("results", "b"): [e("цель 1")]}, CUTOFFS)
    extra = next(r for r in m.cells[("results", "goals")].results
                 if r.criterion.code == "goals.extra")
    assert not extra.met and extra.points == 0
    assert [x.title for x in extra.evidence] == ["цель 1"]


def test_levels_are_inclusive_lower_bounds():
    assert level_for(49.99, CUTOFFS) == "дефицитный"
    assert level_for(50.0, CUTOFFS) == "базовый"
    assert level_for(75.0, CUTOFFS) == "высокий"
    assert level_for(100.0, CUTOFFS) == "высокий"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"step": "wishes"}, "неизвестный этап"),
        ({"points": 0}, "баллы"),
        ({"probes": ["zzz"]}, "неизвестные коды zzz"),
        ({"directions": ["mars"]}, "неизвестные коды mars"),
    ],
)
def test_bad_criteria_are_rejected_with_the_entry_named(change, message):
    items = [{"code": f"{s}.base", "step": s, "points": 1, "probes": ["a"]} for s in STEP_CODES]
    items[0] = {**items[0], **change}
    with pytest.raises(CriteriaError, match=message):
        criteria_from_dict({"criteria": items}, PROBES)


def test_every_cell_needs_a_criterion():
    items = [{"code": f"{s}.base", "step": s, "points": 1, "probes": ["a"]}
             for s in STEP_CODES[:-1]]
    with pytest.raises(CriteriaError, match="этап «effectiveness»"):
        criteria_from_dict({"criteria": items}, PROBES)


def test_shipped_criteria_are_valid_and_labelled_with_their_source():
    from soko.cycle.services.selfassessment import PROBES as REAL_PROBES

    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    criteria = criteria_from_dict(data, sorted(REAL_PROBES))
    assert criteria.source == "cycle-muko-system"
    assert "08-70" in criteria.source_note and "системные значения" in criteria.source_note
    assert criteria.probes <= set(REAL_PROBES)
    max_per_direction = {d: sum(c.points for c in criteria.criteria if c.applies_to(d))
                         for d in DIRECTION_CODES}
    assert set(max_per_direction.values()) == {16}
    assert criteria.probe_applies("deficits", "teachers")
    assert not criteria.probe_applies("deficits", "preschool")
    m = score_matrix(criteria, {}, CUTOFFS)
    data_out = matrix_to_dict(m)
    assert data_out["max_points"] == 16 * 9 and data_out["points"] == 0
    assert len(data_out["todo"]) == len(criteria.criteria) * 9
