"""A small simulated region for marker tests: pupils answer tasks by a simple IRT model, and
the school aggregates are built exactly as :mod:`soko.risks.gather` builds them."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from soko.risks.markers import WorkAggregates, WorkSpec

TASK_MAX = np.array([1, 1, 1, 2, 1, 1, 2, 1, 2, 2, 1, 2], dtype=float)
LEVELS = ("Б",) * 7 + ("П",) * 4 + ("В",)
DIFFICULTY = np.array([-1.5, -1.2, -1.0, -0.8, -0.6, -0.4, -0.2, 0.6, 0.9, 1.2, 1.5, 2.0])
BOUNDS = (6.0, 10.0, 14.0)


def spec() -> WorkSpec:
    return WorkSpec(
        assessment_id=1, procedure="ВПР", subject="МА", grade=5, year=2025,
        max_primary=float(TASK_MAX.sum()), boundaries=BOUNDS,
        task_numbers=tuple(str(i + 1) for i in range(TASK_MAX.size)), task_max=TASK_MAX,
        levels=LEVELS,
    )


def mark_of(primary: np.ndarray) -> np.ndarray:
    return np.select([primary >= BOUNDS[2], primary >= BOUNDS[1], primary >= BOUNDS[0]],
                     [5, 4, 3], default=2)


@dataclass
class Pupils:
    org: np.ndarray
    cls: list[str]
    scores: np.ndarray
    journal: np.ndarray
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def primary(self) -> np.ndarray:
        return self.scores.sum(axis=1)

    @property
    def mark(self) -> np.ndarray:
        return mark_of(self.primary)


def simulate(
    effects: list[float], sizes: list[int], seed: int = 1, journal_shift: dict[int, float] | None
    = None,
) -> Pupils:
    rng = np.random.default_rng(seed)
    org, cls, rows, journal = [], [], [], []
    for s, (effect, n) in enumerate(zip(effects, sizes, strict=True)):
        theta = rng.normal(effect, 1.0, n)
        # each point of a task earned with probability logistic(θ − b)
        sc = np.zeros((n, TASK_MAX.size))
        for j, m in enumerate(TASK_MAX):
            p = 1 / (1 + np.exp(-(theta - DIFFICULTY[j])))
            sc[:, j] = rng.binomial(int(m), p)
        org.extend([s] * n)
        cls.extend([f"{5}{'АБ'[i % 2]}" for i in range(n)])
        rows.append(sc)
        j_theta = theta + rng.normal(0, 0.5, n) + (journal_shift or {}).get(s, 0.0)
        journal.append(np.clip(np.round(3.6 + 0.9 * j_theta), 2, 5))
    return Pupils(np.array(org), cls, np.vstack(rows), np.concatenate(journal))


def aggregates(p: Pupils, n_schools: int) -> WorkAggregates:
    m = TASK_MAX.sum()
    primary, mark = p.primary, p.mark
    pct = primary / m
    jm = p.journal.astype(int)
    rows = range(n_schools)

    def per(values: np.ndarray) -> np.ndarray:
        return np.bincount(p.org, weights=values, minlength=n_schools)

    marks = np.column_stack([per((mark == k).astype(float)) for k in (2, 3, 4, 5)])
    hist = np.zeros((n_schools, int(m) + 1))
    np.add.at(hist, (p.org, primary.astype(int)), 1)
    task_sum = np.zeros((n_schools, TASK_MAX.size))
    np.add.at(task_sum, p.org, p.scores)
    task_cnt = np.zeros((n_schools, TASK_MAX.size))
    np.add.at(task_cnt, p.org, np.ones_like(p.scores))
    jm_pairs = np.zeros((n_schools, 4))
    jm_lower = np.zeros((n_schools, 4))
    jm_higher = np.zeros((n_schools, 4))
    np.add.at(jm_pairs, (p.org, jm - 2), 1)
    np.add.at(jm_lower, (p.org, jm - 2), (mark < jm).astype(float))
    np.add.at(jm_higher, (p.org, jm - 2), (mark > jm).astype(float))
    return WorkAggregates(
        org=np.array(list(rows), dtype=np.int64),
        n=np.bincount(p.org, minlength=n_schools).astype(np.int64),
        sum_pct=per(pct), sum_pct2=per(pct * pct), marks=marks.astype(np.int64),
        pairs=np.bincount(p.org, minlength=n_schools).astype(np.int64),
        lower=per((mark < jm).astype(float)).astype(np.int64),
        equal=per((mark == jm).astype(float)).astype(np.int64),
        higher=per((mark > jm).astype(float)).astype(np.int64),
        gap2=per((np.abs(mark - jm) >= 2).astype(float)).astype(np.int64),
        task_sum=task_sum, task_cnt=task_cnt, hist=hist,
        jm_pairs=jm_pairs, jm_lower=jm_lower, jm_higher=jm_higher,
    )
