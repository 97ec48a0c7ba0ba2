"""Item-response model: abilities → integer task scores.

Every task *j* has a maximum score ``m_j`` (1–24), a discrimination ``a_j`` and a difficulty
``b_j``. A pupil with ability θ solves each of the ``m_j`` score steps with probability
``p = 1 / (1 + exp(-1.7 a_j (θ - b_j)))`` and gets ``Binomial(m_j, p)`` points (a binomial
graded model). Everything is vectorised over pupils × tasks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]

#: Logistic scaling constant (normal-ogive approximation).
SCALE = 1.7


def probabilities(theta: Array, a: Array, b: Array, shift: Array | None = None) -> Array:
    """Return the step-success probabilities, shape (pupils, tasks).

    ``shift`` (pupils × tasks) is added to θ for individual tasks (anomalies, school × task
    effects).
    """
    z = theta[:, None] - b[None, :]
    if shift is not None:
        z = z + shift
    out: Array = 1.0 / (1.0 + np.exp(-SCALE * a[None, :] * z))
    return out


def draw_scores(
    rng: np.random.Generator,
    theta: Array,
    a: Array,
    b: Array,
    maxes: Array,
    shift: Array | None = None,
) -> Array:
    """Return random integer scores 0..max, shape (pupils, tasks), dtype int16."""
    p = probabilities(theta, a, b, shift)
    scores = np.empty(p.shape, dtype=np.int16)
    for m in np.unique(maxes):
        cols = np.flatnonzero(maxes == m)
        block = p[:, cols]
        if m <= 4:  # sum of Bernoulli steps: much faster than the general binomial sampler
            steps = rng.random((*block.shape, int(m))) < block[..., None]
            scores[:, cols] = steps.sum(axis=-1)
        else:
            scores[:, cols] = rng.binomial(int(m), block)
    return scores


def marks_from_boundaries(primary: Array, boundaries: tuple[int, int, int]) -> Array:
    """Return marks 2–5: «3» from ``boundaries[0]``, «4» from [1], «5» from [2]."""
    b3, b4, b5 = boundaries
    marks: Array = (
        2 + (primary >= b3).astype(np.int8) + (primary >= b4) + (primary >= b5)
    ).astype(np.int8)
    return marks


def raise_scores(rng: np.random.Generator, scores: Array, maxes: Array, need: Array) -> None:
    """Add ``need[i]`` points to row ``i`` of ``scores`` in place, on random tasks with room.

    Rows without enough room get as many points as fit.
    """
    need = need.astype(np.int64)
    for step in range(int(need.max(initial=0))):
        rows = np.flatnonzero(need > step)
        if rows.size == 0:
            break
        room = maxes[None, :] - scores[rows]
        key = rng.random(room.shape) * (room > 0)
        pick = key.argmax(axis=1)
        ok = key[np.arange(rows.size), pick] > 0
        scores[rows[ok], pick[ok]] += 1
