"""Small hand-checkable result files for the analyses tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.imports.builders import RU4_MAX, ru4_mark, vpr_row, vpr_workbook

A, B, FAR = "sch990001", "sch990002", "sch990101"


def scores_for(total: int, maxes: Sequence[int] = RU4_MAX) -> list[int]:
    """Task scores that add up to ``total``, filling tasks in order up to their maximum."""
    out, left = [], total
    for m in maxes:
        take = min(m, left)
        out.append(take)
        left -= take
    assert left == 0, total
    return out


def pupils(
    org: str,
    totals: Sequence[int],
    *,
    journals: Sequence[Any] | None = None,
    cls: str = "4А",
    start: int = 1,
    absent: int = 0,
) -> list[list[Any]]:
    """Rows of the ФИС ОКО file: one pupil per total (scores filled in task order), then
    ``absent`` absent pupils."""
    rows = []
    for i, total in enumerate(totals):
        journal = journals[i] if journals is not None else ru4_mark(total)
        rows.append(vpr_row(org, f"{org[-3:]}{start + i:03d}", scores_for(total), journal, cls))
    for j in range(absent):
        rows.append(vpr_row(org, f"{org[-3:]}{900 + j:03d}", None, 4, cls))
    return rows


# School A: 12 present pupils (+1 absent) with marks 5,5,5,4,4,3,3,3,2,2,2,2 (scale 10/16/21).
A_TOTALS = [24, 22, 21, 18, 16, 15, 12, 10, 9, 8, 5, 3]
# Journal marks of A: lower (ВПР < журнал) for pupils 4, 9, 10, 11, 12 (gaps 1, 1, 2, 3, 2);
# equal for 1, 2, 3, 5, 7, 8; higher for 6 (3 vs журнал 2).
A_JOURNALS = [5, 5, 5, 5, 4, 2, 3, 3, 3, 4, 5, 4]
B_TOTALS = [20] * 5 + [11] * 5  # five «4», five «3»
FAR_TOTALS = [9] * 10  # all «2»


def ru4_2026(path: Path) -> Path:
    """ВПР 2026 Русский язык 4 класс for schools A and B (municipality 9901) and FAR (9902)."""
    rows = pupils(A, A_TOTALS, journals=A_JOURNALS, absent=1)
    rows += pupils(B, B_TOTALS)
    rows += pupils(FAR, FAR_TOTALS)
    return vpr_workbook(path, rows)


def workbook(path: Path, rows: Sequence[Sequence[Any]], title: str) -> Path:
    return vpr_workbook(path, rows, title=title)


__all__ = [
    "A_JOURNALS",
    "A_TOTALS",
    "B_TOTALS",
    "FAR",
    "FAR_TOTALS",
    "RU4_MAX",
    "A",
    "B",
    "pupils",
    "ru4_2026",
    "scores_for",
    "workbook",
]
