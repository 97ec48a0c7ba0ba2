"""A copy of a rejected file with the bad cells highlighted, for the user to fix and re-upload."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from soko.imports.parsing.tables import normalize_header, read_any

_BAD = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")
_HEAD = Font(bold=True)


def _column_index(rows: Sequence[Sequence[Any]], row: int, title: str) -> int | None:
    """Find the column titled ``title`` in a header row above ``row`` (1-based)."""
    want = normalize_header(title)
    for r in range(min(row - 1, len(rows)) - 1, -1, -1):
        for c, value in enumerate(rows[r]):
            if normalize_header(value) == want:
                return c + 1
    return None


def error_workbook(path: Path, problems: Sequence[dict[str, Any]]) -> bytes:
    """Return an xlsx: the file's cells with problem cells filled red and commented, plus a
    sheet «Ошибки» listing every problem."""
    by_sheet: dict[str, list[dict[str, Any]]] = {}
    for p in problems:
        by_sheet.setdefault(p.get("sheet") or "", []).append(p)
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        wb = load_workbook(path)
    else:
        wb = Workbook()
        assert wb.active is not None
        wb.remove(wb.active)
        for sheet in read_any(path):
            ws = wb.create_sheet(sheet.name or "Данные")
            for values in sheet.rows:
                ws.append(["" if v is None else v for v in values])
    sheet_rows = {ws.title: [[c.value for c in r] for r in ws.iter_rows()] for ws in wb.worksheets}
    for sheet_name, items in by_sheet.items():
        ws = wb[sheet_name] if sheet_name in wb.sheetnames else wb.worksheets[0]
        sheet_cells = sheet_rows[ws.title]
        for p in items:
            raw_row = p.get("row")
            if not raw_row:
                continue
            row = int(raw_row)
            title = str(p.get("column") or "")
            col = _column_index(sheet_cells, row, title) if title else None
            cells = [ws.cell(row=row, column=col)] if col else list(ws[row])
            for cell in cells:
                cell.fill = _BAD
            target = cells[0] if cells else ws.cell(row=row, column=1)
            target.comment = Comment(p.get("message", ""), "СОКО")
    report = wb.create_sheet("Ошибки", 0)
    report.append(["Лист", "Строка", "Столбец", "Значение", "Правило", "Что не так"])
    for cell in report[1]:
        cell.font = _HEAD
    for p in problems:
        report.append(
            [
                p.get("sheet", ""),
                p.get("row"),
                p.get("column", ""),
                p.get("value", ""),
                p.get("rule", ""),
                p.get("message", ""),
            ]
        )
    for i, width in enumerate((18, 8, 24, 18, 22, 90), start=1):
        report.column_dimensions[get_column_letter(i)].width = width
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
