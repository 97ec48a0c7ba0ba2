"""Reading spreadsheets and CSV into rows of cells, whatever the format.

CSV: UTF-8 (with or without BOM) or cp1251, separated by «;», «,» or a TAB. XLSX/XLSM/XLS/ODS:
python-calamine, with merged cell ranges so multi-row headers can be flattened.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from soko.imports.parsing.problems import ImportRejected, Problem

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods", ".xlsb"}
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
ABSENT_MARKS = {"x", "х", "X", "Х"}
NOT_APPLICABLE = {"-", "—", "–"}
_NBSP = "\u00a0"


@dataclass
class Sheet:
    """A sheet as a list of rows (lists of cell values); row i is spreadsheet row i + 1."""

    name: str
    rows: list[list[Any]]
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def cell(self, row: int, col: int) -> Any:
        """0-based access that tolerates ragged rows."""
        if row >= len(self.rows):
            return None
        r = self.rows[row]
        return r[col] if col < len(r) else None

    def filled_merged(self) -> list[list[Any]]:
        """Rows where every cell of a merged range carries the range's top-left value."""
        width = self.width
        rows = [list(r) + [""] * (width - len(r)) for r in self.rows]
        for (r0, c0), (r1, c1) in self.merged:
            if r0 >= len(rows):
                continue
            value = rows[r0][c0] if c0 < len(rows[r0]) else ""
            for r in range(r0, min(r1, len(rows) - 1) + 1):
                for c in range(c0, min(c1, width - 1) + 1):
                    rows[r][c] = value
        return rows


def cell_text(value: Any) -> str:
    """A cell as trimmed text: floats that are integers lose «.0», NBSP becomes a space."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    return str(value).replace(_NBSP, " ").strip()


_NUMBER_RE = re.compile(r"^[-+]?\d+(?:[.,]\d+)?$")


def to_number(value: Any) -> float | None:
    """Parse a number written by people: «12», «12,5», «12.5 %», « 1 234 », «- 10,2».

    Returns None for an empty cell; raises ValueError for text that is not a number.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("boolean is not a number")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isnan(value):
            return None
        return float(value)
    text = str(value).replace(_NBSP, "").replace(" ", "").replace("%", "").strip()
    if text == "":
        return None
    text = re.sub(r"^([-+])\s*", r"\1", text)
    if not _NUMBER_RE.match(text):
        raise ValueError(f"not a number: {value!r}")
    return float(text.replace(",", "."))


def normalize_header(value: Any) -> str:
    """Lower-case, «ё»→«е», quotes and repeated spaces removed: for matching column names."""
    text = cell_text(value).lower().replace("ё", "е")
    text = re.sub(r"[«»\"'“”„]", "", text)
    text = re.sub(r"\s+", " ", text)
    return text.strip(" .:")


def _decode(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1251")


def detect_delimiter(sample: str) -> str:
    """«;» unless the header line clearly uses «,» or a TAB."""
    first = sample.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ";"


def read_csv_rows(path: Path) -> Sheet:
    raw = path.read_bytes()
    try:
        text = _decode(raw)
    except UnicodeDecodeError as exc:
        raise ImportRejected(
            [
                Problem(
                    "encoding",
                    "Не удалось определить кодировку: ожидается UTF-8 или cp1251.",
                    file=path.name,
                )
            ]
        ) from exc
    if "\x00" in text:
        raise ImportRejected(
            [Problem("not_a_table", "Файл не является текстовой таблицей CSV.", file=path.name)]
        )
    delimiter = detect_delimiter(text[:4096])
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        rows = [list(r) for r in reader]
    except csv.Error as exc:
        raise ImportRejected(
            [Problem("bad_csv", f"Ошибка разбора CSV: {exc}.", file=path.name)]
        ) from exc
    while rows and all(cell_text(c) == "" for c in rows[-1]):
        rows.pop()
    return Sheet(name="", rows=rows)


def read_spreadsheet(path: Path) -> list[Sheet]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise ImportRejected(
            [
                Problem(
                    "not_a_spreadsheet",
                    "Файл повреждён или не является электронной таблицей (xlsx, xls, ods).",
                    file=path.name,
                )
            ]
        ) from exc
    sheets: list[Sheet] = []
    for name in workbook.sheet_names:
        try:
            sheet = workbook.get_sheet_by_name(name)
            rows = sheet.to_python(skip_empty_area=False)
            merged = list(getattr(sheet, "merged_cell_ranges", None) or [])
        except Exception as exc:
            raise ImportRejected(
                [
                    Problem(
                        "unreadable_sheet", f"Лист не читается: {exc}.", file=path.name, sheet=name
                    )
                ]
            ) from exc
        while rows and all(cell_text(c) == "" for c in rows[-1]):
            rows.pop()
        sheets.append(Sheet(name=name, rows=[list(r) for r in rows], merged=merged))
    return sheets


def read_any(path: Path) -> list[Sheet]:
    """Read a CSV or a spreadsheet into sheets. Raises ImportRejected for unreadable files."""
    if not path.exists() or path.stat().st_size == 0:
        raise ImportRejected([Problem("empty_file", "Файл пуст.", file=path.name)])
    suffix = path.suffix.lower()
    head = path.read_bytes()[:8]
    if suffix in SPREADSHEET_SUFFIXES or head.startswith((b"PK", b"\xd0\xcf")):
        return read_spreadsheet(path)
    if suffix in CSV_SUFFIXES or suffix == "":
        return [read_csv_rows(path)]
    raise ImportRejected(
        [
            Problem(
                "unsupported_format",
                f"Формат «{suffix}» не поддерживается: загрузите CSV, XLSX, XLS или ODS.",
                file=path.name,
            )
        ]
    )


def find_header_row(
    rows: Sequence[Sequence[Any]], required: Sequence[str], limit: int = 40
) -> int | None:
    """Index of the first row containing all ``required`` normalised names, or None."""
    need = [normalize_header(r) for r in required]
    for i, row in enumerate(rows[:limit]):
        names = {normalize_header(c) for c in row}
        if all(n in names for n in need):
            return i
    return None


def iter_nonempty(rows: Sequence[Sequence[Any]], start: int) -> Iterator[tuple[int, Sequence[Any]]]:
    for i in range(start, len(rows)):
        row = rows[i]
        if any(cell_text(c) != "" for c in row):
            yield i, row
