"""A neutral description of a report: sections of paragraphs, tables, charts and lists.

Builders (one per report kind) produce a :class:`Document` from stored results; renderers turn
it into DOCX (inside a replaceable template), XLSX and PDF. No Django import here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


class ReportRefused(Exception):
    """The report cannot be built; ``reason`` (Russian) says which data are missing."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Paragraph:
    text: str
    style: str = ""  # "", "note", "lead"


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Table:
    """A table; ``suppressed`` cells are shown as «—» with a footnote on small groups."""

    title: str
    columns: list[str]
    rows: list[list[Any]]
    number_formats: dict[int, str] = field(default_factory=dict)  # column → "0.0", "0 %"…
    note: str = ""
    highlight: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col) → colour

    def cell_text(self, row: int, col: int) -> str:
        return format_value(self.rows[row][col], self.number_formats.get(col, ""))


@dataclass
class Chart:
    """A chart rendered to PNG; ``data`` keeps the numbers (XLSX draws them natively)."""

    title: str
    png: bytes
    kind: str = "bar"  # bar, hist, line, scatter, stacked
    categories: list[str] = field(default_factory=list)
    series: dict[str, list[float | None]] = field(default_factory=dict)
    width_cm: float = 16.0


Block = Paragraph | Bullets | Table | Chart


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)

    def add(self, block: Block) -> Block:
        self.blocks.append(block)
        return block


@dataclass
class MethodNote:
    """One threshold or rule used by the report, with its source."""

    name: str
    value: str
    source: str
    source_kind: str


@dataclass
class Document:
    kind: str
    title: str
    subtitle: str
    territory: str
    year: int | None
    data_as_of: dt.datetime | None
    generated_at: dt.datetime
    sources: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    methodology: list[MethodNote] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)  # extra fields for templates

    def section(self, title: str) -> Section:
        found = Section(title)
        self.sections.append(found)
        return found

    def tables(self) -> list[Table]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Table)]

    def charts(self) -> list[Chart]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Chart)]


def plural(n: int, one: str, few: str, many: str) -> str:
    """The Russian form for ``n``: plural(21, "работа", "работы", "работ") → "работа"."""
    n10, n100 = abs(n) % 10, abs(n) % 100
    if n10 == 1 and n100 != 11:
        return one
    if 2 <= n10 <= 4 and not 12 <= n100 <= 14:
        return few
    return many


def counted(n: int, one: str, few: str, many: str) -> str:
    """«24 работы», «1 участник», «56 участников» (thousands separated)."""
    return f"{format_value(n)} {plural(n, one, few, many)}"


def format_value(value: Any, fmt: str = "") -> str:
    """Russian number formatting: decimal comma, thin thousands separator, «—» for None."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, int):
        return f"{value:,}".replace(",", "\u202f")
    if isinstance(value, float):
        if fmt.endswith("%"):
            digits = fmt.count("0") - 1 if "." in fmt else 0
            return f"{value:.{max(digits, 0)}f}".replace(".", ",") + " %"
        digits = len(fmt.split(".")[1]) if "." in fmt else (0 if value.is_integer() else 1)
        text = f"{value:,.{digits}f}"
        return text.replace(",", "\u202f").replace(".", ",")
    if isinstance(value, (dt.date, dt.datetime)):
        return value.strftime("%d.%m.%Y")
    return str(value)
