"""XLSX exports of the indicator tables (xlsxwriter, formatted: header style, number formats,
frozen header, filters, column widths, hidden small groups marked as such)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import xlsxwriter

SUPPRESSED = "скрыто (малая группа)"


@dataclass
class Column:
    title: str
    width: float = 14
    kind: str = "text"  # text | number | percent | int | date


@dataclass
class Sheet:
    name: str
    title: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[Any]]
    notes: Sequence[str] = field(default_factory=list)


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "remove_timezone": True})
    title_fmt = wb.add_format({"bold": True, "font_size": 13})
    note_fmt = wb.add_format({"italic": True, "font_color": "#5f6b7a", "text_wrap": False})
    header_fmt = wb.add_format(
        {"bold": True, "bg_color": "#e8f1f8", "border": 1, "text_wrap": True, "valign": "top"}
    )
    formats = {
        "text": wb.add_format({"border": 1, "valign": "top"}),
        "number": wb.add_format({"border": 1, "num_format": "0.0"}),
        "percent": wb.add_format({"border": 1, "num_format": "0.0"}),
        "int": wb.add_format({"border": 1, "num_format": "0"}),
        "date": wb.add_format({"border": 1, "num_format": "dd.mm.yyyy"}),
    }
    hidden_fmt = wb.add_format({"border": 1, "italic": True, "font_color": "#9aa3ad"})
    for sheet in sheets:
        ws = wb.add_worksheet(sheet.name[:31])
        ws.write(0, 0, sheet.title, title_fmt)
        row = 1
        for note in sheet.notes:
            ws.write(row, 0, note, note_fmt)
            row += 1
        row += 1
        header_row = row
        for col, column in enumerate(sheet.columns):
            ws.write(row, col, column.title, header_fmt)
            ws.set_column(col, col, column.width)
        for values in sheet.rows:
            row += 1
            for col, value in enumerate(values):
                column = sheet.columns[col]
                if value is None:
                    ws.write_blank(row, col, None, formats[column.kind])
                elif value == SUPPRESSED:
                    ws.write(row, col, value, hidden_fmt)
                elif column.kind in ("number", "percent", "int") and isinstance(value, int | float):
                    ws.write_number(row, col, float(value), formats[column.kind])
                elif column.kind == "date" and hasattr(value, "year"):
                    ws.write_datetime(row, col, value, formats["date"])
                else:
                    ws.write(row, col, str(value), formats["text"])
        ws.freeze_panes(header_row + 1, 0)
        if sheet.columns:
            ws.autofilter(header_row, 0, max(row, header_row), len(sheet.columns) - 1)
    wb.close()
    return buffer.getvalue()


def content_disposition(filename: str) -> str:
    ascii_name = "".join(
        c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in filename
    )
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
