"""Discrepancies between the school's marking and the commission's re-check (pure, no Django).

Per task Δ = commission − school; per work Δ primary and whether the mark changed; a work is
objectively assessed when |Δ primary| ≤ the tolerance and the mark is unchanged. Per school the
share of objectively assessed works and the mean Δ per task (which tasks the school over-marks).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CheckedWork:
    school_scores: Sequence[float | None]
    commission_scores: Sequence[float]
    school_mark: int | None
    commission_mark: int | None


@dataclass(frozen=True)
class WorkDiscrepancy:
    task_deltas: list[float | None]
    school_primary: float
    commission_primary: float
    delta_primary: float
    mark_changed: bool
    objective: bool


def work_discrepancy(work: CheckedWork, tolerance: float) -> WorkDiscrepancy:
    """Δ per task, Δ primary, mark change and the «objectively assessed» verdict of one work."""
    deltas: list[float | None] = []
    for s, c in zip(work.school_scores, work.commission_scores, strict=True):
        deltas.append(None if s is None else float(c) - float(s))
    school = float(sum(s for s in work.school_scores if s is not None))
    commission = float(sum(work.commission_scores))
    delta = commission - school
    changed = (
        work.school_mark is not None
        and work.commission_mark is not None
        and work.school_mark != work.commission_mark
    )
    objective = abs(delta) <= tolerance + 1e-9 and not changed
    return WorkDiscrepancy(deltas, school, commission, delta, changed, objective)


def summarize(
    works: Sequence[WorkDiscrepancy], task_numbers: Sequence[str]
) -> dict[str, Any]:
    """Totals of checked works: count, objectively assessed, share, mean and mean |Δ primary|,
    marks changed (lowered / raised by the commission), mean Δ per task."""
    n = len(works)
    if n == 0:
        return {"checked": 0, "objective": 0, "share_objective": None, "mean_delta": None,
                "mean_abs_delta": None, "marks_changed": 0, "tasks": []}
    objective = sum(1 for w in works if w.objective)
    tasks = []
    for t, number in enumerate(task_numbers):
        values = [w.task_deltas[t] for w in works
                  if t < len(w.task_deltas) and w.task_deltas[t] is not None]
        vals = [float(v) for v in values if v is not None]
        tasks.append({
            "number": number,
            "mean_delta": sum(vals) / len(vals) if vals else None,
            "works_changed": sum(1 for v in vals if abs(v) > 1e-9),
        })
    return {
        "checked": n,
        "objective": objective,
        "share_objective": objective / n,
        "mean_delta": sum(w.delta_primary for w in works) / n,
        "mean_abs_delta": sum(abs(w.delta_primary) for w in works) / n,
        "marks_changed": sum(1 for w in works if w.mark_changed),
        "lowered": sum(1 for w in works if w.delta_primary < 0),
        "raised": sum(1 for w in works if w.delta_primary > 0),
        "tasks": tasks,
    }
