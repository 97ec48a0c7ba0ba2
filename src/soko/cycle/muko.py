"""МУКО self-assessment: a direction × cycle-step matrix scored from evidence. Pure, no Django.

The criteria are data (``cycle/data/muko_criteria.yaml``): for every step of the management
cycle a list of criteria, each worth some points and met when one of its *probes* found enough
evidence. A probe is a named question the system can answer for a direction from what it holds
(«an approved roadmap of this direction», «indicators of this direction», «imports of the kinds
this direction lives on», «effectiveness analyses of its measures»…); the Django side collects
the evidence per (direction, probe), this module only scores it.

Scores: a cell's points are the points of its met criteria; a direction's score is the sum of
its cells' points as a percentage of the maximum; the level comes from configurable cut-offs
(ours — the official ФИОКО scoring was not retrieved, methodology.md §4.4). A direction runs the
full cycle when every one of the nine steps has points. Every unmet criterion becomes a to-do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from soko.cycle.directions import DIRECTION_BY_CODE, DIRECTION_CODES, STEP_BY_CODE, STEP_CODES

#: The probe that reads evidence added by hand for one cell.
MANUAL: Final = "manual"


@dataclass(frozen=True)
class Criterion:
    code: str
    step: str
    text: str  # what is checked, Russian
    todo: str  # what to do when it is not met, Russian
    points: int
    probes: tuple[str, ...]
    min_count: int = 1
    directions: frozenset[str] | None = None  # None: every direction

    def applies_to(self, direction: str) -> bool:
        return self.directions is None or direction in self.directions


@dataclass(frozen=True)
class Criteria:
    version: str
    source: str  # a Source code (sources.yaml)
    source_note: str  # Russian: where the structure and the points come from
    criteria: tuple[Criterion, ...]
    import_kinds: dict[str, tuple[str, ...]]  # direction → import kinds that feed it
    flag_kinds: dict[str, tuple[str, ...]]  # direction → risk flag kinds analysed for it
    #: probe → the only directions it gives evidence for (teachers' deficits speak of results
    #: and teachers, not of preschool education)
    probe_directions: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def probe_applies(self, probe: str, direction: str) -> bool:
        allowed = self.probe_directions.get(probe)
        return allowed is None or direction in allowed

    def for_cell(self, direction: str, step: str) -> list[Criterion]:
        return [c for c in self.criteria if c.step == step and c.applies_to(direction)]

    @property
    def probes(self) -> set[str]:
        return {p for c in self.criteria for p in c.probes if p != MANUAL}


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence: what it is and where to see it."""

    title: str
    url: str = ""
    probe: str = ""


@dataclass(frozen=True)
class CriterionResult:
    criterion: Criterion
    met: bool
    points: int
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Cell:
    direction: str
    step: str
    points: int
    max_points: int
    results: tuple[CriterionResult, ...]

    @property
    def percent(self) -> float:
        return 100.0 * self.points / self.max_points if self.max_points else 0.0

    @property
    def evidence(self) -> list[Evidence]:
        seen: dict[tuple[str, str], Evidence] = {}
        for r in self.results:
            for e in r.evidence:
                seen.setdefault((e.title, e.url), e)
        return list(seen.values())


@dataclass(frozen=True)
class Todo:
    direction: str
    step: str
    criterion: str
    text: str


@dataclass(frozen=True)
class DirectionScore:
    direction: str
    points: int
    max_points: int
    level: str
    complete_cycle: bool
    missing_steps: tuple[str, ...]

    @property
    def percent(self) -> float:
        return 100.0 * self.points / self.max_points if self.max_points else 0.0


@dataclass(frozen=True)
class Matrix:
    cells: dict[tuple[str, str], Cell]
    directions: tuple[DirectionScore, ...]
    todo: tuple[Todo, ...]
    points: int
    max_points: int
    level: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def percent(self) -> float:
        return 100.0 * self.points / self.max_points if self.max_points else 0.0


class CriteriaError(ValueError):
    """The criteria file is not valid; the message names the entry."""


def _codes(value: Any, allowed: Sequence[str], where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CriteriaError(f"{where}: ожидается список кодов")
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise CriteriaError(f"{where}: неизвестные коды {', '.join(unknown)}")
    return tuple(value)


def criteria_from_dict(data: Mapping[str, Any], known_probes: Sequence[str]) -> Criteria:
    """Validate and build the criteria from the YAML structure.

    Raises :class:`CriteriaError` naming the bad entry (unknown step, direction or probe,
    non-positive points).
    """
    items = data.get("criteria")
    if not isinstance(items, list) or not items:
        raise CriteriaError("нет списка criteria")
    probes_allowed = [*known_probes, MANUAL]
    built: list[Criterion] = []
    seen: set[str] = set()
    for k, raw in enumerate(items, start=1):
        if not isinstance(raw, Mapping):
            raise CriteriaError(f"критерий №{k}: ожидается словарь")
        code = str(raw.get("code") or "")
        where = f"критерий «{code or k}»"
        if not code or code in seen:
            raise CriteriaError(f"{where}: код пуст или повторяется")
        seen.add(code)
        step = str(raw.get("step") or "")
        if step not in STEP_CODES:
            raise CriteriaError(f"{where}: неизвестный этап цикла «{step}»")
        points = raw.get("points", 1)
        if not isinstance(points, int) or isinstance(points, bool) or points <= 0:
            raise CriteriaError(f"{where}: баллы должны быть целым положительным числом")
        min_count = raw.get("min", 1)
        if not isinstance(min_count, int) or isinstance(min_count, bool) or min_count <= 0:
            raise CriteriaError(f"{where}: min должен быть целым положительным числом")
        directions = raw.get("directions")
        built.append(
            Criterion(
                code=code,
                step=step,
                text=str(raw.get("text") or "").strip(),
                todo=str(raw.get("todo") or raw.get("text") or "").strip(),
                points=points,
                probes=_codes(raw.get("probes"), probes_allowed, where),
                min_count=min_count,
                directions=(
                    frozenset(_codes(directions, DIRECTION_CODES, where))
                    if directions is not None
                    else None
                ),
            )
        )
    for direction in DIRECTION_CODES:
        for step in STEP_CODES:
            if not any(c.step == step and c.applies_to(direction) for c in built):
                raise CriteriaError(
                    f"нет ни одного критерия для направления «{direction}», этап «{step}»"
                )

    def mapping(name: str) -> dict[str, tuple[str, ...]]:
        raw = data.get(name) or {}
        if not isinstance(raw, Mapping):
            raise CriteriaError(f"{name}: ожидается словарь направление → список")
        out: dict[str, tuple[str, ...]] = {}
        for direction, kinds in raw.items():
            if direction not in DIRECTION_CODES:
                raise CriteriaError(f"{name}: неизвестное направление «{direction}»")
            if not isinstance(kinds, list):
                raise CriteriaError(f"{name}.{direction}: ожидается список")
            out[str(direction)] = tuple(str(x) for x in kinds)
        return out

    return Criteria(
        version=str(data.get("version") or "1"),
        source=str(data.get("source") or "system"),
        source_note=str(data.get("source_note") or "").strip(),
        criteria=tuple(built),
        import_kinds=mapping("import_kinds"),
        flag_kinds=mapping("flag_kinds"),
        probe_directions=_probe_directions(data.get("probe_directions"), known_probes),
    )


def _probe_directions(raw: Any, known_probes: Sequence[str]) -> dict[str, tuple[str, ...]]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise CriteriaError("probe_directions: ожидается словарь проба → список направлений")
    out: dict[str, tuple[str, ...]] = {}
    for probe, directions in raw.items():
        if probe not in known_probes:
            raise CriteriaError(f"probe_directions: неизвестная проба «{probe}»")
        out[str(probe)] = _codes(directions, DIRECTION_CODES, f"probe_directions.{probe}")
    return out


def level_for(percent: float, cutoffs: Sequence[tuple[float, str]]) -> str:
    """The level of a score: the label of the highest cut-off not above ``percent``.

    ``cutoffs`` are (lower bound in %, label), e.g. ((0, «дефицитный»), (50, «базовый»),
    (75, «высокий»)).
    """
    chosen = ""
    for bound, label in sorted(cutoffs):
        if percent + 1e-9 >= bound:
            chosen = label
    return chosen


def score_matrix(
    criteria: Criteria,
    evidence: Mapping[tuple[str, str], Sequence[Evidence]],
    cutoffs: Sequence[tuple[float, str]],
    directions: Sequence[str] = DIRECTION_CODES,
) -> Matrix:
    """Score every cell from the evidence found per (direction, probe).

    Manual evidence of a cell is looked up under (direction, ``"manual:<step>"``). A criterion
    is met when one of its probes has at least ``min_count`` pieces of evidence.
    """
    cells: dict[tuple[str, str], Cell] = {}
    scores: list[DirectionScore] = []
    todo: list[Todo] = []
    for direction in directions:
        d_points = d_max = 0
        missing: list[str] = []
        for step in STEP_CODES:
            results: list[CriterionResult] = []
            for criterion in criteria.for_cell(direction, step):
                found: tuple[Evidence, ...] = ()
                met = False
                for probe in criterion.probes:
                    key = (direction, f"{MANUAL}:{step}" if probe == MANUAL else probe)
                    pieces = tuple(evidence.get(key, ()))
                    if len(pieces) >= criterion.min_count:
                        met = True
                        found = pieces
                        break
                    if not found and pieces:
                        found = pieces  # shown as partial evidence
                results.append(
                    CriterionResult(criterion, met, criterion.points if met else 0, found)
                )
                if not met:
                    todo.append(Todo(direction, step, criterion.code, criterion.todo))
            cell = Cell(
                direction=direction,
                step=step,
                points=sum(r.points for r in results),
                max_points=sum(r.criterion.points for r in results),
                results=tuple(results),
            )
            cells[(direction, step)] = cell
            d_points += cell.points
            d_max += cell.max_points
            if cell.points == 0:
                missing.append(step)
        percent = 100.0 * d_points / d_max if d_max else 0.0
        scores.append(
            DirectionScore(
                direction=direction,
                points=d_points,
                max_points=d_max,
                level=level_for(percent, cutoffs),
                complete_cycle=not missing,
                missing_steps=tuple(missing),
            )
        )
    points = sum(s.points for s in scores)
    max_points = sum(s.max_points for s in scores)
    total = 100.0 * points / max_points if max_points else 0.0
    return Matrix(
        cells=cells,
        directions=tuple(scores),
        todo=tuple(todo),
        points=points,
        max_points=max_points,
        level=level_for(total, cutoffs),
    )


def matrix_to_dict(matrix: Matrix) -> dict[str, Any]:
    """A JSON-able form of the matrix (stored and printed by ``soko muko --json``)."""
    return {
        "points": matrix.points,
        "max_points": matrix.max_points,
        "percent": round(matrix.percent, 1),
        "level": matrix.level,
        "directions": [
            {
                "direction": s.direction,
                "name": DIRECTION_BY_CODE[s.direction].name,
                "points": s.points,
                "max_points": s.max_points,
                "percent": round(s.percent, 1),
                "level": s.level,
                "complete_cycle": s.complete_cycle,
                "missing_steps": list(s.missing_steps),
                "cells": {
                    step: {
                        "points": matrix.cells[(s.direction, step)].points,
                        "max_points": matrix.cells[(s.direction, step)].max_points,
                        "criteria": [
                            {
                                "code": r.criterion.code,
                                "text": r.criterion.text,
                                "met": r.met,
                                "points": r.points,
                                "max_points": r.criterion.points,
                                "evidence": [
                                    {"title": e.title, "url": e.url, "probe": e.probe}
                                    for e in r.evidence
                                ],
                            }
                            for r in matrix.cells[(s.direction, step)].results
                        ],
                    }
                    for step in STEP_CODES
                },
            }
            for s in matrix.directions
        ],
        "todo": [
            {
                "direction": t.direction,
                "step": t.step,
                "step_name": STEP_BY_CODE[t.step].name,
                "criterion": t.criterion,
                "text": t.text,
            }
            for t in matrix.todo
        ],
    }
