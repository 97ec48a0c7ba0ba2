"""Roadmaps back to Word and Excel in the usual table form. Pure, no Django.

The table is the one municipal roadmaps use — «№ п/п / Мероприятие / Сроки / Ответственный /
Показатель / Статус» — with every section as a full-width heading row, the approving act and the
title above it, on landscape pages. The layout is deliberately the one
:func:`soko.lib.roadmap_tables.parse_roadmap` reads, so an exported file imports back into the
same sections and items.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Final

HEADERS: Final = ("№ п/п", "Мероприятие", "Сроки", "Ответственный", "Показатель", "Статус")
_TITLE_WORDS: Final = (
    "план", "дорожная карта", "концепция", "перечень мероприятий", "комплекс мер", "программа",
)


@dataclass(frozen=True)
class ExportItem:
    number: str
    title: str
    deadline: str
    responsible: tuple[str, ...]
    indicator: str
    status: str  # Russian label


@dataclass(frozen=True)
class ExportSection:
    title: str  # with its number, «1.1. Система оценки…»
    level: int
    items: tuple[ExportItem, ...]
    unnumbered: bool = False  # a heading without its own number (a caption, an appendix)


@dataclass(frozen=True)
class ExportRoadmap:
    title: str
    approving: str = ""  # «приказом Управления образования от 03.12.2020 № 368-А»
    period: tuple[int, int] | None = None
    direction: str = ""
    owner: str = ""
    loose_items: tuple[ExportItem, ...] = ()  # items outside any section
    sections: tuple[ExportSection, ...] = field(default_factory=tuple)


def heading_lines(roadmap: ExportRoadmap) -> list[str]:
    """The lines above the table («УТВЕРЖДЕНА …», the title, the period); empty strings are
    blank lines."""
    lines: list[str] = []
    if roadmap.approving:
        lines += ["УТВЕРЖДЕНА", roadmap.approving, ""]
    title = roadmap.title.strip() or "Дорожная карта"
    if not title.lower().startswith(_TITLE_WORDS):
        lines.append("ДОРОЖНАЯ КАРТА")
    lines += [title, ""]
    if roadmap.period is not None:
        first, last = roadmap.period
        lines += [f"Дорожная карта реализуется в период с {first} по {last} год.", ""]
    if roadmap.direction:
        lines.append(f"Направление: {roadmap.direction}")
    if roadmap.owner:
        lines.append(f"Ответственный за дорожную карту: {roadmap.owner}")
    if roadmap.direction or roadmap.owner:
        lines.append("")
    return lines


Row = ExportItem | str  # an item, or the title of a section heading row


def table_blocks(roadmap: ExportRoadmap) -> list[tuple[str, list[Row]]]:
    """Split the roadmap into tables: (caption above the table, rows).

    A top-level section without a number («Приложение 3. Дорожная карта по направлению …»,
    «Система оценки качества подготовки обучающихся») is written as the caption of its own
    table, as such documents do; every other section is a full-width heading row.
    """
    blocks: list[tuple[str, list[Row]]] = [("", list(roadmap.loose_items))]
    for section in roadmap.sections:
        if section.level == 0 and section.unnumbered:
            if blocks[-1][1] or blocks[-1][0]:
                blocks.append((section.title, []))
            else:
                blocks[-1] = (section.title, [])
        else:
            blocks[-1][1].append(section.title)
        blocks[-1][1].extend(section.items)
    return blocks


def _item_cells(item: ExportItem) -> list[str]:
    return [
        item.number,
        item.title,
        item.deadline,
        "\n".join(item.responsible),
        item.indicator,
        item.status,
    ]


def roadmap_docx(roadmap: ExportRoadmap) -> bytes:
    """A .docx with the heading lines and one table, landscape A4."""
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt

    document = docx.Document()
    page = document.sections[0]
    page.orientation = WD_ORIENT.LANDSCAPE
    page.page_width, page.page_height = Cm(29.7), Cm(21.0)
    for margin in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(page, margin, Cm(1.5))
    style = document.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(11)
    for line in heading_lines(roadmap):
        paragraph = document.add_paragraph(line)
        if line and line == roadmap.title.strip():
            for run in paragraph.runs:
                run.bold = True
    widths = (Cm(1.6), Cm(9.5), Cm(3.6), Cm(4.6), Cm(4.5), Cm(2.8))
    for caption, rows in table_blocks(roadmap):
        if caption:
            document.add_paragraph("")
            for run in document.add_paragraph(caption).runs:
                run.bold = True
        table = document.add_table(rows=1, cols=len(HEADERS))
        table.style = "Table Grid"
        for cell, text, width in zip(table.rows[0].cells, HEADERS, widths, strict=True):
            cell.text = text
            cell.width = width
            for run in cell.paragraphs[0].runs:
                run.bold = True
        for row in rows:
            cells = table.add_row().cells
            if isinstance(row, str):
                merged = cells[0].merge(cells[-1])
                merged.text = row
                for run in merged.paragraphs[0].runs:
                    run.bold = True
                continue
            for cell, text, width in zip(cells, _item_cells(row), widths, strict=True):
                cell.text = text
                cell.width = width
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


_STATUS_COLORS: Final = {
    "выполнено": "#D1E7DD",
    "просрочено": "#F8D7DA",
    "выполняется": "#FFF3CD",
    "отменено": "#E2E3E5",
}


def roadmap_xlsx(roadmap: ExportRoadmap) -> bytes:
    """An .xlsx with the heading lines in column A, an empty row and the formatted table."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("Дорожная карта")
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    base = {"text_wrap": True, "valign": "top", "border": 1, "font_name": "Times New Roman",
            "font_size": 11}
    header = book.add_format({**base, "bold": True, "align": "center", "bg_color": "#DDE5F0"})
    cell = book.add_format(base)
    section_fmt = book.add_format({**base, "bold": True, "bg_color": "#F2F2F2"})
    title_fmt = book.add_format({"bold": True, "font_name": "Times New Roman", "font_size": 13})
    plain = book.add_format({"font_name": "Times New Roman", "font_size": 11})
    status_fmt = {
        label: book.add_format({**base, "bg_color": color})
        for label, color in _STATUS_COLORS.items()
    }
    for col, width in enumerate((8, 60, 22, 30, 30, 16)):
        sheet.set_column(col, col, width)
    row = 0
    for line in heading_lines(roadmap):
        if line:
            sheet.write_string(row, 0, line, title_fmt if line == roadmap.title.strip() else plain)
        row += 1
    if heading_lines(roadmap)[-1:] != [""]:
        row += 1  # an empty row before the table
    for k, (caption, rows) in enumerate(table_blocks(roadmap)):
        if k:
            row += 1  # an empty row ends the previous table
        if caption:
            sheet.write_string(row, 0, caption, title_fmt)
            row += 1
        for col, text in enumerate(HEADERS):
            sheet.write_string(row, col, text, header)
        if k == 0:
            sheet.repeat_rows(row)
            sheet.freeze_panes(row + 1, 0)
        row += 1
        for entry in rows:
            if isinstance(entry, str):
                sheet.merge_range(row, 0, row, len(HEADERS) - 1, entry, section_fmt)
            else:
                for col, text in enumerate(_item_cells(entry)):
                    fmt = status_fmt.get(text, cell) if col == len(HEADERS) - 1 else cell
                    sheet.write_string(row, col, text, fmt)
            row += 1
    book.close()
    return buffer.getvalue()
