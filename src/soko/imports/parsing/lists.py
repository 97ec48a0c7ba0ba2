"""Official lists: schools with signs of non-objective ВПР results (ФИОКО / Рособрнадзор).

Layout (the real Дагестан list ``bias.xlsx``): ``Год | Логин | Муниципалитет | ОО | 4 РУ | 4 МА |
5 РУ | 5 МА | Количество маркеров``. Every marker column is named «<grade> <subject>»; a cell with
1 means the school has that marker. One :class:`MarkerRecord` is produced per marked cell.

Documented normalisation (not a fix): an empty marker cell and 0 both mean «no marker» (the
2023 block of the real list leaves cells empty, 2024–2025 write 0). Rows that exactly repeat an
earlier row (the real 2024 block is duplicated) are dropped and counted in a warning; two
*different* rows for the same school and year are the problem ``duplicate``. A «Количество
маркеров» that differs from the number of marked cells is ``marker_count_mismatch``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence

from soko.imports.parsing.names import ColumnSpec, normalized_mapping, subject_code
from soko.imports.parsing.problems import ProblemList
from soko.imports.parsing.records import MarkerRecord, OrgRef, Parsed, Where
from soko.imports.parsing.registry_files import (
    HEADER_SEARCH_ROWS,
    Duplicates,
    ParserFunction,
    Recogniser,
    RowReader,
    YearSource,
    open_flat_tables,
    report_year_missing,
    sheet_label,
)
from soko.imports.parsing.tables import Sheet, cell_text, normalize_header, to_number

LIST_SOURCE = "ФИОКО"
PROCEDURE = "ВПР"

OBJECTIVITY_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("Год", ("Год ВПР", "Год проведения"), required=False),
    ColumnSpec("Логин", ("Логин ОО", "Код ОО", "Логин ФИС ОКО")),
    ColumnSpec("Муниципалитет", ("Муниципальное образование", "Территория", "АТЕ"),
               required=False),
    ColumnSpec("ОО", ("Название ОО", "Наименование ОО", "Образовательная организация"),
               required=False),
    ColumnSpec("Количество маркеров", ("Число маркеров", "Всего маркеров"), required=False),
)
_MARKER_RE = re.compile(r"^\s*(\d{1,2})\s*(?:кл\.?|класс)?\s*[,\-–]?\s*(\S.*?)\s*$", re.IGNORECASE)
_FIXED_KEYS = {k for spec in OBJECTIVITY_COLUMNS for k in spec.header_keys()}
_LOGIN_KEYS = OBJECTIVITY_COLUMNS[1].header_keys()


def marker_column(title: object) -> tuple[int, str] | None:
    """(grade, subject code) of a marker column title such as «4 РУ» or «5 кл. математика»."""
    text = cell_text(title)
    if normalize_header(text) in _FIXED_KEYS:
        return None
    match = _MARKER_RE.match(text)
    if match is None:
        return None
    grade = int(match.group(1))
    code = subject_code(match.group(2))
    if code is None or not 1 <= grade <= 11:
        return None
    return grade, code


def _marker_titles(
    sheets: Sequence[Sheet], mapping: Mapping[str, str] | None = None
) -> list[str]:
    """Marker column titles of the first header row that also has a login column."""
    override = normalized_mapping(mapping)
    titles: list[str] = []
    for sheet in sheets:
        for row in sheet.rows[:HEADER_SEARCH_ROWS]:
            found = [cell_text(c) for c in row if marker_column(c) is not None]
            keys = {normalize_header(c) for c in row}
            keys |= {normalize_header(override[k]) for k in keys if k in override}
            if found and keys & _LOGIN_KEYS:
                titles.extend(t for t in found if t not in titles)
                break
    return titles


def looks_like_objectivity_list(sheets: list[Sheet]) -> bool:
    """A header with a login column and marker columns such as «4 РУ»."""
    return bool(_marker_titles(sheets))


def parse_objectivity_list(
    sheets: list[Sheet],
    *,
    file_name: str,
    year: int | None = None,
    mapping: dict[str, str] | None = None,
) -> Parsed[MarkerRecord]:
    """The list of schools with signs of non-objective ВПР results → one record per marker."""
    parsed: Parsed[MarkerRecord] = Parsed("objectivity_list", problems=ProblemList(file_name))
    markers = _marker_titles(sheets, mapping)
    specs = (*OBJECTIVITY_COLUMNS, *(ColumnSpec(t, (), required=False) for t in markers))
    tables = open_flat_tables(sheets, specs, parsed,
                              kind_name="список ОО с признаками необъективности", mapping=mapping)
    if tables and not markers:
        table = tables[0]
        parsed.problems.add(
            "missing_column",
            "Нет ни одного столбца маркеров вида «4 РУ», «5 МА» (класс и предмет). "
            "Добавьте столбцы маркеров.",
            sheet=table.sheet.name,
            row=table.header_index + 1,
            column="4 РУ",
        )
        return parsed
    seen = Duplicates("эта ОО в этом году")
    for table in tables:
        years = YearSource(table.has("Год"), year, file_name)
        if years.missing_for_file():
            report_year_missing(parsed, table, "bias_2025.xlsx")
            continue
        present = [t for t in markers if table.has(t)]
        first_seen: dict[tuple[str, ...], int] = {}
        dropped: Counter[str] = Counter()
        example = ""
        empty_rows = 0
        for row in table.rows():
            full = tuple(cell_text(c) for c in row.cells)
            while full and full[-1] == "":
                full = full[:-1]
            if full in first_seen:
                dropped[row.text("Год") or "—"] += 1
                if not example:
                    example = f"строка {row.row} повторяет строку {first_seen[full]}"
                continue
            first_seen[full] = row.row
            login = row.required_text("Логин")
            row_year = years.of(row)
            marked: list[tuple[str, int, str]] = []
            for title in present:
                value = _marker_value(row, title)
                if value:
                    grade, code = marker_column(title) or (0, "")
                    marked.append((title, grade, code))
            if table.has("Количество маркеров") and row.text("Количество маркеров") != "":
                count = row.integer("Количество маркеров", minimum=0)
                if count is not None and count != len(marked):
                    row.problem(
                        "marker_count_mismatch",
                        f"В столбце «{table.title('Количество маркеров')}» указано {count}, "
                        f"а отмечено маркеров: {len(marked)}. Проверьте строку.",
                        "Количество маркеров",
                        row.text("Количество маркеров"),
                    )
            if login is not None and row_year is not None:
                seen.check(row, (login.lower(), row_year), "Логин", login)
            if row.failed or login is None or row_year is None:
                continue
            if not marked:
                empty_rows += 1
            org = OrgRef(code=login, name=row.text("ОО"), municipality=row.text("Муниципалитет"))
            for title, grade, code in marked:
                parsed.records.append(
                    MarkerRecord(
                        org=org,
                        year=row_year,
                        procedure=PROCEDURE,
                        grade=grade,
                        subject=code,
                        list_source=LIST_SOURCE,
                        where=Where(sheet=row.sheet, row=row.row, column=table.title(title)),
                    )
                )
        if dropped:
            by_year = ", ".join(f"{y}: {n}" for y, n in sorted(dropped.items()))
            parsed.warnings.append(
                f"{sheet_label(table.sheet)}пропущено {sum(dropped.values())} строк, полностью "
                f"повторяющих другие строки (по годам — {by_year}; например, {example})."
            )
        if empty_rows:
            parsed.warnings.append(
                f"{sheet_label(table.sheet)}{empty_rows} строк без единого маркера: "
                "такие ОО не попадут в список."
            )
    return parsed


def _marker_value(row: RowReader, title: str) -> bool:
    text = row.text(title)
    if text == "":
        return False
    try:
        value = to_number(row.raw(title))
    except ValueError:
        value = None
    if value == 1:
        return True
    if value == 0:
        return False
    row.problem(
        "unknown_value",
        f"В столбце маркера «{row.table.title(title)}» допустимы только 1 (есть маркер), "
        "0 или пустая ячейка (нет маркера).",
        title,
        text,
    )
    return False


PARSERS: dict[str, tuple[Recogniser, ParserFunction]] = {
    "objectivity_list": (looks_like_objectivity_list, parse_objectivity_list),
}
