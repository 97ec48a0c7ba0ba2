"""Small, hand-checkable result files for import tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import xlsxwriter

RU4_MAX = [2, 1, 2, 3, 2, 1, 1, 2, 3, 3, 1, 3]  # ВПР 2026 Русский язык 4 класс, max 24
RU4_LEVELS = ["Б"] * 8 + ["П"] * 4


def ru4_mark(primary: float) -> int:
    return 5 if primary >= 21 else 4 if primary >= 16 else 3 if primary >= 10 else 2


def vpr_row(
    org: str,
    code: str,
    scores: Sequence[Any] | None,
    journal: Any = 4,
    cls: str = "4А",
    mark: Any = None,
    primary: Any = None,
) -> list[Any]:
    """A participant row of the ФИС ОКО file; scores None = absent."""
    if scores is None:
        n = len(RU4_MAX)
        return [org, "Тестовый округ", "", code, cls, "", *(["X"] * n), "X", "X", journal]
    total = sum(s for s in scores if isinstance(s, (int, float)))
    return [
        org,
        "Тестовый округ",
        "",
        code,
        cls,
        1,
        *scores,
        total if primary is None else primary,
        ru4_mark(total) if mark is None else mark,
        journal,
    ]


def vpr_workbook(
    path: Path,
    rows: Sequence[Sequence[Any]],
    *,
    title: str = "ВПР 2026 Русский язык 4 класс",
    maxes: Sequence[int] = RU4_MAX,
    levels: Sequence[str] = RU4_LEVELS,
    headers: Sequence[str] | None = None,
) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Индивидуальные результаты")
    ws.write(0, 0, title)
    ws.write(1, 0, "Максимальный первичный балл")
    ws.write(1, 1, sum(maxes))
    ws.write(2, 0, f"Кол-во участников: {len(rows)}")
    tasks = [f"{i + 1} ({m}б)" for i, m in enumerate(maxes)]
    header = (
        list(headers)
        if headers is not None
        else [
            "ОО",
            "Муниципалитет",
            "Название ОО",
            "Код участника",
            "Класс",
            "Вариант",
            *tasks,
            "Первичный балл",
            "Отметка",
            "Отметка по журналу",
        ]
    )
    for j, level in enumerate(levels):
        ws.write(4, 6 + j, level)
    for j, h in enumerate(header):
        ws.write(5, j, h)
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if value is not None:
                ws.write(6 + i, j, value)
    wb.close()
    return path


def small_vpr(path: Path, org: str = "sch990001", n: int = 12, shift: int = 0) -> Path:
    """n participants of one school with scores derived from their index."""
    rows = []
    for i in range(n):
        scores = [min(m, (i + k + shift) % (m + 1)) for k, m in enumerate(RU4_MAX)]
        rows.append(vpr_row(org, f"{10001 + i}", scores, journal=3 + i % 3))
    return vpr_workbook(path, rows)
