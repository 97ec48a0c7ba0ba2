"""Mark scales and score conversions (pure; no Django).

A :class:`MarkScale` turns a primary score (and, for conditional rules, the scores of some
tasks) into a mark 2–5. Boundaries give the lowest primary score of each mark; conditions model
the ОГЭ rules such as ««3», «4» и «5» — только если не менее 2 баллов за геометрию» or ««5»: не
менее 9 баллов по ГК1–ГК4, иначе «4»». A :class:`Conversion` maps ЕГЭ primary scores to test
scores by table lookup. :func:`infer_boundaries` recovers boundaries from observed
(primary, mark) pairs of an imported file, reporting pairs that no single scale explains.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

MARKS = (2, 3, 4, 5)
_BAND_RE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*[-–—]\s*(\d+(?:[.,]\d+)?)\s*$")


def parse_band(text: str) -> tuple[float, float]:
    """Parse a band like ``"8-14"`` into ``(8.0, 14.0)``; raise ValueError otherwise."""
    match = _BAND_RE.match(text or "")
    if not match:
        raise ValueError(f"not a score band: {text!r}")
    low, high = (float(g.replace(",", ".")) for g in match.groups())
    if low > high:
        raise ValueError(f"band {text!r} is reversed")
    return low, high


@dataclass(frozen=True)
class Condition:
    """A rule that caps a mark unless some tasks earn at least ``min_points``.

    Applies to pupils whose mark (before this rule) is ``mark`` or higher: if the points on
    ``tasks`` (task numbers) sum to less than ``min_points``, the mark becomes ``otherwise``.
    """

    mark: int
    tasks: tuple[str, ...]
    min_points: float
    otherwise: int
    text: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "mark": self.mark,
            "tasks": list(self.tasks),
            "min": self.min_points,
            "otherwise": self.otherwise,
            "text": self.text,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Condition:
        return cls(
            mark=int(data["mark"]),
            tasks=tuple(str(t) for t in data.get("tasks", [])),
            min_points=float(data["min"]),
            otherwise=int(data["otherwise"]),
            text=str(data.get("text", "")),
        )


@dataclass(frozen=True)
class MarkScale:
    """Boundaries ``{3: 8, 4: 15, 5: 22}`` (lowest primary score of each mark) plus conditions."""

    boundaries: Mapping[int, float]
    max_score: float | None = None
    conditions: tuple[Condition, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        values = [self.boundaries[m] for m in sorted(self.boundaries)]
        if values != sorted(values) or len(set(values)) != len(values):
            raise ValueError(f"boundaries must increase with the mark: {dict(self.boundaries)}")

    @classmethod
    def from_bands(
        cls,
        bands: Mapping[int, str],
        max_score: float | None = None,
        conditions: Sequence[Condition] = (),
    ) -> MarkScale:
        """Build from text bands ``{2: "0-7", 3: "8-14", 4: "15-21", 5: "22-31"}``."""
        parsed = {mark: parse_band(text) for mark, text in bands.items()}
        ordered = sorted(parsed)
        for lower, upper in itertools.pairwise(ordered):
            if parsed[upper][0] != parsed[lower][1] + 1:
                raise ValueError(f"bands of «{lower}» and «{upper}» are not contiguous")
        boundaries = {mark: parsed[mark][0] for mark in ordered if mark != min(ordered)}
        top = parsed[max(ordered)][1]
        return cls(boundaries=boundaries, max_score=max_score or top, conditions=tuple(conditions))

    def bands(self) -> dict[int, tuple[float, float | None]]:
        """Return mark → (lowest, highest) primary score; the top band ends at max_score."""
        marks = sorted(self.boundaries)
        result: dict[int, tuple[float, float | None]] = {}
        lowest_mark = min(marks) - 1
        result[lowest_mark] = (0.0, self.boundaries[marks[0]] - 1)
        for i, mark in enumerate(marks):
            upper = self.boundaries[marks[i + 1]] - 1 if i + 1 < len(marks) else self.max_score
            result[mark] = (float(self.boundaries[mark]), upper)
        return result

    def mark_for(self, primary: float, task_points: Mapping[str, float] | None = None) -> int:
        """Mark for one pupil. ``task_points`` (task number → points) feeds the conditions."""
        marks = self.marks_for(
            np.array([primary], dtype=float),
            {k: np.array([v], dtype=float) for k, v in (task_points or {}).items()},
        )
        return int(marks[0])

    def marks_for(
        self,
        primary: npt.NDArray[np.floating[Any]],
        task_points: Mapping[str, npt.NDArray[np.floating[Any]]] | None = None,
    ) -> npt.NDArray[np.int16]:
        """Vectorised marks. Conditions whose tasks are missing from ``task_points`` raise."""
        marks = np.full(primary.shape, min(self.boundaries) - 1, dtype=np.int16)
        for mark in sorted(self.boundaries):
            marks[primary >= self.boundaries[mark]] = mark
        if self.conditions:
            points = task_points or {}
            for cond in sorted(self.conditions, key=lambda c: -c.mark):
                missing = [t for t in cond.tasks if t not in points]
                if missing:
                    raise KeyError(f"condition needs tasks {missing}")
                total = np.zeros(primary.shape, dtype=float)
                for task in cond.tasks:
                    total += np.nan_to_num(points[task])
                capped = (marks >= cond.mark) & (total < cond.min_points)
                marks[capped] = cond.otherwise
        return marks

    def to_dict(self) -> dict[str, Any]:
        return {
            "boundaries": {str(k): v for k, v in sorted(self.boundaries.items())},
            "max_score": self.max_score,
            "conditions": [c.to_dict() for c in self.conditions],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MarkScale:
        return cls(
            boundaries={int(k): float(v) for k, v in data["boundaries"].items()},
            max_score=data.get("max_score"),
            conditions=tuple(Condition.from_dict(c) for c in data.get("conditions", [])),
        )


@dataclass(frozen=True)
class Conversion:
    """ЕГЭ primary → test score table. ``complete`` is False for a partial table."""

    table: Mapping[int, float]
    complete: bool = True

    def test_score(self, primary: float) -> float | None:
        """Test score for a primary score, or None when the table does not cover it."""
        if primary != int(primary):
            return None
        return self.table.get(int(primary))

    def test_scores(self, primary: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.float64]:
        lookup = np.full(int(max(self.table)) + 1, np.nan)
        for p, t in self.table.items():
            lookup[p] = t
        out = np.full(primary.shape, np.nan)
        ok = (primary >= 0) & (primary <= len(lookup) - 1) & (primary == np.round(primary))
        out[ok] = lookup[primary[ok].astype(int)]
        return out

    def is_monotone(self) -> bool:
        keys = sorted(self.table)
        values = [self.table[k] for k in keys]
        return all(b >= a for a, b in itertools.pairwise(values))


@dataclass(frozen=True)
class InferredScale:
    """Boundaries recovered from data, with the evidence behind each one."""

    boundaries: dict[int, float]
    gaps: dict[int, tuple[float, float]]  # mark → (highest score seen below, lowest seen at/above)
    conflicts: list[tuple[float, int]]  # (primary, mark) pairs that contradict monotonicity
    observed_marks: list[int]

    @property
    def exact(self) -> bool:
        """True when every boundary is pinned (adjacent scores observed on both sides)."""
        return all(high - low <= 1 for low, high in self.gaps.values())


def infer_boundaries(
    primary: npt.NDArray[np.floating[Any]], marks: npt.NDArray[np.integer[Any]]
) -> InferredScale:
    """Infer the lowest primary score of each mark from observed pairs.

    For each mark m above the lowest seen, the boundary is the smallest primary score that got
    m or more. Pairs where a higher score got a lower mark than some lower score (possible only
    through conditional rules or errors) are returned as conflicts, not silently fixed.
    """
    ok = ~np.isnan(primary) & (marks > 0)
    p = primary[ok]
    m = marks[ok].astype(int)
    observed = sorted({int(x) for x in np.unique(m)})
    boundaries: dict[int, float] = {}
    gaps: dict[int, tuple[float, float]] = {}
    conflicts: list[tuple[float, int]] = []
    if not observed:
        return InferredScale({}, {}, [], [])
    for mark in observed[1:]:
        at_or_above = p[m >= mark]
        below = p[m < mark]
        low_at = float(at_or_above.min())
        high_below = float(below.max()) if below.size else -1.0
        boundaries[mark] = low_at
        gaps[mark] = (high_below, low_at)
        if high_below >= low_at:
            bad = (m < mark) & (p >= low_at)
            conflicts.extend((float(a), int(b)) for a, b in zip(p[bad], m[bad], strict=True))
    unique_conflicts = sorted(set(conflicts))
    return InferredScale(boundaries, gaps, unique_conflicts, observed)
