"""Turn a seed's text (tables flattened one row per line, cells separated by TAB) into a real
.docx and .xlsx with the same paragraphs and tables, so the DOCX and XLSX readers of
``soko.lib.roadmap_tables`` are tested on the same content as the text reader.

The conversion is deliberately independent of the parser: a run of lines containing a TAB is a
table (blank lines inside it are dropped), every other line is a paragraph. A row whose only
text is in its first cell (a section heading) is written as one cell merged across the table,
as Word and Excel documents do.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import docx
from openpyxl import Workbook

DATA = Path(__file__).resolve().parents[1] / "data"
SEEDS = DATA / "seeds"
EXCERPTS = DATA / "roadmap-excerpts"


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Table:
    rows: tuple[tuple[str, ...], ...]

    @property
    def width(self) -> int:
        return max(len(r) for r in self.rows)


def seed_path(name: str) -> Path:
    """The copy of a seed in tests/data/seeds whose file name starts with ``name``."""
    (path,) = sorted(SEEDS.glob(f"{name}*.txt"))
    return path


def read_seed(name: str) -> str:
    return seed_path(name).read_text(encoding="utf-8")


def text_to_blocks(text: str) -> list[Paragraph | Table]:
    """Split TAB-flattened text into paragraphs and tables."""
    lines = text.split("\n")
    blocks: list[Paragraph | Table] = []
    i = 0
    while i < len(lines):
        if "\t" not in lines[i]:
            blocks.append(Paragraph(lines[i].strip()))
            i += 1
            continue
        rows: list[tuple[str, ...]] = []
        while i < len(lines):
            line = lines[i]
            if "\t" in line:
                rows.append(tuple(cell.strip() for cell in line.split("\t")))
                i += 1
                continue
            following = next((ln for ln in lines[i:] if ln.strip()), "")
            if line.strip() or "\t" not in following:
                break
            i += 1
        blocks.append(Table(tuple(rows)))
    return blocks


def _is_heading_row(row: tuple[str, ...]) -> bool:
    return bool(row and row[0]) and not any(row[1:])


def text_to_docx(text: str) -> bytes:
    """A Word document with the text's paragraphs and tables, in order."""
    document = docx.Document()
    for block in text_to_blocks(text):
        if isinstance(block, Paragraph):
            document.add_paragraph(block.text)
            continue
        width = block.width
        table = document.add_table(rows=0, cols=width)
        for row in block.rows:
            cells = table.add_row().cells
            if _is_heading_row(row) and width > 1:
                cells[0].merge(cells[width - 1]).text = row[0]
                continue
            for c, cell in enumerate(cells):
                cell.text = row[c] if c < len(row) else ""
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def text_to_xlsx(text: str) -> bytes:
    """An Excel workbook with one sheet: paragraphs in column A, tables framed by empty rows."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Дорожная карта"
    row_number = 1
    for block in text_to_blocks(text):
        if isinstance(block, Paragraph):
            if block.text:
                sheet.cell(row=row_number, column=1, value=block.text)
            row_number += 1
            continue
        row_number += 1  # an empty row before the table
        width = block.width
        for row in block.rows:
            for c, value in enumerate(row, start=1):
                if value:
                    sheet.cell(row=row_number, column=c, value=value)
            if _is_heading_row(row) and width > 1:
                sheet.merge_cells(
                    start_row=row_number, start_column=1, end_row=row_number, end_column=width
                )
            row_number += 1
        row_number += 1  # and after it
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
