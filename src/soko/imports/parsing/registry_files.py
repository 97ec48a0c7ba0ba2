"""Registry files (docs/formats.md): organizations, teachers, classes, students, social context.

The first half of the module is the reader of *flat tables* — one header row, one record per
row — shared with :mod:`soko.imports.parsing.facts` and :mod:`soko.imports.parsing.lists`:
finding the header row by column synonyms, the user's ``mapping`` override, problems for missing
columns, warnings for unknown ones, and typed cell readers that report problems with the sheet,
the 1-based row, the column title as written in the file and the value.

Problem rules used by flat tables: ``empty_file``, ``header_not_found``, ``missing_column``,
``duplicate_column``, ``bad_mapping``, ``no_data``, ``required``, ``not_a_number``,
``not_an_integer``, ``out_of_range``, ``negative_value``, ``unknown_value``, ``unknown_subject``,
``bad_date``, ``bad_school_year``, ``bad_format``, ``year_missing``, ``duplicate``; registry
files add ``count_exceeds_total`` and ``class_grade_mismatch``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Protocol

from soko.imports.parsing.names import (
    KNOWN_SUBJECT_CODES,
    ColumnSpec,
    HeaderMatch,
    header_matches,
    match_header,
    split_codes,
    subject_code,
)
from soko.imports.parsing.problems import ProblemList
from soko.imports.parsing.records import (
    ClassRecord,
    OrganizationRecord,
    OrgRef,
    Parsed,
    SocialContextRecord,
    StudentRecord,
    TeacherRecord,
    Where,
)
from soko.imports.parsing.tables import Sheet, cell_text, to_number

HEADER_SEARCH_ROWS = 20
MIN_YEAR = 1990
MAX_YEAR = 2100

# --------------------------------------------------------------------------------------------
# Flat tables (shared with facts.py and lists.py)
# --------------------------------------------------------------------------------------------


def year_from_file_name(file_name: str) -> int | None:
    """The year in a file name: «journal_2025.csv» → 2025, «social_context_2024-2025.csv» → 2025.

    Two consecutive years (a school year) give the later one; other combinations give None.
    """
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", file_name.rsplit("/", 1)[-1])
    years = sorted({int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d\d)(?!\d)", stem)})
    if len(years) == 1:
        return years[0]
    if len(years) == 2 and years[1] == years[0] + 1:
        return years[1]
    return None


def sheet_label(sheet: Sheet) -> str:
    return f"лист «{sheet.name}»: " if sheet.name else ""


@dataclass
class FlatTable:
    """A sheet opened against a kind's columns: where the header is and which column is which."""

    sheet: Sheet
    header_index: int  # 0-based row of the header
    match: HeaderMatch
    problems: ProblemList

    def has(self, title: str) -> bool:
        return title in self.match.columns

    def title(self, title: str) -> str:
        """The column title as written in the file (the canonical title when absent)."""
        return self.match.titles.get(title, title)

    def rows(self) -> Iterator[RowReader]:
        for index in range(self.header_index + 1, len(self.sheet.rows)):
            cells = self.sheet.rows[index]
            if any((c.strip() != "") if type(c) is str else cell_text(c) != "" for c in cells):
                yield RowReader(self, index, cells)

    def data_row_count(self) -> int:
        return sum(1 for _ in self.rows())


class RowReader:
    """Typed access to the cells of one data row; every failure becomes a problem."""

    def __init__(self, table: FlatTable, index: int, cells: Sequence[Any]) -> None:
        self.table = table
        self.index = index
        self.cells = cells
        self.failed = False

    @property
    def row(self) -> int:
        return self.index + 1

    @property
    def sheet(self) -> str:
        return self.table.sheet.name

    def where(self, title: str = "") -> Where:
        column = self.table.title(title) if title else ""
        return Where(sheet=self.sheet, row=self.row, column=column)

    def raw(self, title: str) -> Any:
        col = self.table.match.columns.get(title)
        if col is None or col >= len(self.cells):
            return None
        return self.cells[col]

    def text(self, title: str) -> str:
        value = self.raw(title)
        if type(value) is str and "\u00a0" not in value:
            return value.strip()
        return cell_text(value)

    def problem(self, rule: str, message: str, title: str = "", value: Any = "") -> None:
        self.failed = True
        self.table.problems.add(
            rule,
            message,
            sheet=self.sheet,
            row=self.row,
            column=self.table.title(title) if title else "",
            value=value,
        )

    def required_text(self, title: str) -> str | None:
        text = self.text(title)
        if text == "":
            self.problem(
                "required",
                f"Не заполнена обязательная ячейка «{self.table.title(title)}». Заполните её.",
                title,
            )
            return None
        return text

    def number(
        self,
        title: str,
        *,
        required: bool = False,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> float | None:
        raw = self.raw(title)
        if type(raw) is str and raw.isascii() and raw.isdigit():
            value: float | None = float(raw)
        elif cell_text(raw) == "":
            if required:
                self.required_text(title)
            return None
        else:
            try:
                value = to_number(raw)
            except ValueError:
                self.problem(
                    "not_a_number",
                    f"В столбце «{self.table.title(title)}» должно быть число. "
                    "Исправьте значение.",
                    title,
                    cell_text(raw),
                )
                return None
        if value is None:
            return None
        if minimum is not None and value < minimum and minimum == 0:
            self.problem(
                "negative_value",
                f"Значение в столбце «{self.table.title(title)}» не может быть отрицательным. "
                "Исправьте значение.",
                title,
                cell_text(raw),
            )
            return None
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            bounds = _bounds_text(minimum, maximum)
            self.problem(
                "out_of_range",
                f"Значение в столбце «{self.table.title(title)}» должно быть {bounds}. "
                "Проверьте и исправьте значение.",
                title,
                cell_text(raw),
            )
            return None
        return value

    def integer(
        self,
        title: str,
        *,
        required: bool = False,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        raw = self.raw(title)
        value = self.number(title, required=required)
        if value is None:
            return None
        if not float(value).is_integer():
            self.problem(
                "not_an_integer",
                f"В столбце «{self.table.title(title)}» должно быть целое число. "
                "Исправьте значение.",
                title,
                cell_text(raw),
            )
            return None
        result = int(value)
        if minimum is not None and result < minimum and minimum == 0:
            self.problem(
                "negative_value",
                f"Значение в столбце «{self.table.title(title)}» не может быть отрицательным. "
                "Исправьте значение.",
                title,
                cell_text(raw),
            )
            return None
        if (minimum is not None and result < minimum) or (maximum is not None and result > maximum):
            self.problem(
                "out_of_range",
                f"Значение в столбце «{self.table.title(title)}» должно быть "
                f"{_bounds_text(minimum, maximum)}. Проверьте и исправьте значение.",
                title,
                cell_text(raw),
            )
            return None
        return result

    def choice(
        self,
        title: str,
        vocabulary: Mapping[str, str],
        *,
        required: bool = True,
        display: Sequence[str] | None = None,
    ) -> str | None:
        """A value from a vocabulary (keys normalised by :func:`value_key`).

        ``display`` lists the allowed values for the message (default: one key per code).
        """
        text = self.text(title)
        if text == "":
            if required:
                self.required_text(title)
            return None
        code = vocabulary.get(value_key(text))
        if code is None:
            shown = display if display is not None else _display_values(vocabulary)
            allowed = ", ".join(f"«{v}»" for v in shown)
            self.problem(
                "unknown_value",
                f"Недопустимое значение в столбце «{self.table.title(title)}». "
                f"Допустимые значения: {allowed}.",
                title,
                text,
            )
        return code

    def boolean(self, title: str, *, required: bool = False) -> bool | None:
        text = self.text(title)
        if text == "":
            if required:
                self.required_text(title)
            return None
        value = BOOLEAN_VALUES.get(value_key(text))
        if value is None:
            self.problem(
                "unknown_value",
                f"В столбце «{self.table.title(title)}» допустимы значения «да» / «нет» "
                "(или 1 / 0).",
                title,
                text,
            )
        return value

    def date_iso(self, title: str, *, required: bool = False) -> str | None:
        raw = self.raw(title)
        if cell_text(raw) == "":
            if required:
                self.required_text(title)
            return None
        parsed = parse_date(raw)
        if parsed is None:
            self.problem(
                "bad_date",
                f"Дата в столбце «{self.table.title(title)}» не распознана: запишите её как "
                "дд.мм.гггг (например, 15.04.2025) или гггг-мм-дд.",
                title,
                cell_text(raw),
            )
            return None
        return parsed.isoformat()

    def school_year(self, title: str) -> int | None:
        """«2024/2025» (or «2024-2025») → 2025, the calendar year the school year ends."""
        text = self.required_text(title)
        if text is None:
            return None
        match = re.fullmatch(r"((?:19|20)\d\d)\s*[/\-–]\s*((?:19|20)\d\d)", text)
        if match is None or int(match.group(2)) != int(match.group(1)) + 1:
            self.problem(
                "bad_school_year",
                f"Учебный год в столбце «{self.table.title(title)}» записывается как «2024/2025» "
                "(два соседних года через косую черту).",
                title,
                text,
            )
            return None
        return int(match.group(2))

    def subject(self, title: str, subject_codes: set[str] | frozenset[str] | None) -> str | None:
        """A subject code; names are accepted when they map to a code of the set."""
        text = self.required_text(title)
        if text is None:
            return None
        return self.check_subject(title, text, subject_codes)

    def check_subject(
        self, title: str, text: str, subject_codes: set[str] | frozenset[str] | None
    ) -> str | None:
        allowed = subject_codes if subject_codes is not None else KNOWN_SUBJECT_CODES
        upper = text.upper()
        code = upper if upper in allowed else _cached_subject_code(text)
        if code is None or code not in allowed:
            if subject_codes is None and code is None:
                # No catalog given: a subject outside the built-in list is kept as written.
                return text
            listed = ", ".join(sorted(allowed))
            self.problem(
                "unknown_subject",
                f"Неизвестный предмет в столбце «{self.table.title(title)}». "
                f"Укажите код предмета из справочника: {listed}.",
                title,
                text,
            )
            return None
        return code


@lru_cache(maxsize=1024)
def _cached_subject_code(text: str) -> str | None:
    return subject_code(text)


BOOLEAN_VALUES: dict[str, bool] = {
    "да": True,
    "нет": False,
    "1": True,
    "0": False,
    "true": True,
    "false": False,
}


@lru_cache(maxsize=4096)
def value_key(text: str) -> str:
    """Lower case, «ё» → «е», single spaces, no trailing period: for matching coded values."""
    t = cell_text(text).lower().replace("ё", "е")
    return re.sub(r"\s+", " ", t).strip(" .")


def _display_values(vocabulary: Mapping[str, str]) -> list[str]:
    seen: dict[str, str] = {}
    for key, code in vocabulary.items():
        seen.setdefault(code, key)
    return list(seen.values())


def _bounds_text(minimum: float | None, maximum: float | None) -> str:
    def fmt(v: float) -> str:
        return str(int(v)) if float(v).is_integer() else str(v).replace(".", ",")

    if minimum is not None and maximum is not None:
        return f"от {fmt(minimum)} до {fmt(maximum)}"
    if minimum is not None:
        return f"не меньше {fmt(minimum)}"
    if maximum is not None:
        return f"не больше {fmt(maximum)}"
    return "допустимым"


def parse_date(value: Any) -> date | None:
    """dd.mm.yyyy, yyyy-mm-dd or a spreadsheet date → date; None when not a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    for pattern, order in (
        (r"(\d{1,2})\.(\d{1,2})\.(\d{4})", "dmy"),
        (r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?", "ymd"),
    ):
        match = re.fullmatch(pattern, text)
        if match:
            a, b, c = (int(g) for g in match.groups())
            y, m, d = (c, b, a) if order == "dmy" else (a, b, c)
            try:
                return date(y, m, d)
            except ValueError:
                return None
    return None


def _best_header(sheet: Sheet, specs: Sequence[ColumnSpec], mapping: Mapping[str, str] | None
                 ) -> tuple[int, HeaderMatch]:
    best_index, best = 0, match_header([], specs, None)
    for index, row in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        found = match_header(row, specs, mapping)
        if found.matched > best.matched:
            best_index, best = index, found
    return best_index, best


def open_flat_tables(
    sheets: Sequence[Sheet],
    specs: Sequence[ColumnSpec],
    parsed: Parsed[Any],
    *,
    kind_name: str,
    mapping: Mapping[str, str] | None = None,
) -> list[FlatTable]:
    """Find the header of every sheet that holds a table of this kind.

    Problems: ``empty_file`` (no cells at all), ``header_not_found``, ``missing_column``,
    ``duplicate_column``, ``bad_mapping``, ``no_data`` (only a header). Warnings: unknown columns
    and sheets that are skipped.
    """
    problems = parsed.problems
    filled = [s for s in sheets if any(cell_text(c) != "" for r in s.rows for c in r)]
    if not filled:
        problems.add("empty_file", "Файл пуст: в нём нет ни одной заполненной ячейки.")
        return []
    candidates = [(s, *_best_header(s, specs, mapping)) for s in filled]
    accepted = [(s, i, m) for s, i, m in candidates if not m.missing and m.matched > 0]
    if not accepted:
        sheet, index, found = max(candidates, key=lambda c: c[2].matched)
        if found.matched == 0:
            expected = ", ".join(f"«{s.title}»" for s in specs if s.required)
            problems.add(
                "header_not_found",
                f"Не найдена строка заголовка ({kind_name}): ожидаются столбцы {expected}. "
                "Проверьте, что загружаете нужный файл, или укажите соответствие столбцов.",
                sheet=sheet.name,
            )
            return []
        for title in found.missing:
            problems.add(
                "missing_column",
                f"Нет обязательного столбца «{title}» ({kind_name}). Добавьте столбец с таким "
                "заголовком или укажите, какой столбец файла ему соответствует.",
                sheet=sheet.name,
                row=index + 1,
                column=title,
            )
        return []
    tables: list[FlatTable] = []
    for sheet, index, found in accepted:
        table = FlatTable(sheet, index, found, problems)
        for source, target in found.bad_mapping:
            problems.add(
                "bad_mapping",
                f"Соответствие столбцов «{source}» → «{target}» не применено: в файле нет "
                f"столбца «{source}» или «{target}» не является столбцом этого вида файла.",
                sheet=sheet.name,
                row=index + 1,
                column=source,
            )
        for col, written in found.repeated:
            problems.add(
                "duplicate_column",
                f"Столбец «{written}» встречается в заголовке дважды (столбец {col + 1}). "
                "Оставьте один.",
                sheet=sheet.name,
                row=index + 1,
                column=written,
            )
        for _col, written in found.unknown:
            parsed.warnings.append(f"{sheet_label(sheet)}неизвестный столбец «{written}» пропущен.")
        header = sheet.rows[index]
        width = sheet.width
        for col in range(width):
            if col < len(header) and cell_text(header[col]) != "":
                continue
            if any(col < len(r) and cell_text(r[col]) != "" for r in sheet.rows[index + 1 :]):
                parsed.warnings.append(
                    f"{sheet_label(sheet)}столбец без заголовка (№ {col + 1}) пропущен."
                )
        if table.data_row_count() == 0:
            problems.add(
                "no_data",
                "В файле нет строк с данными — только заголовок. Заполните таблицу.",
                sheet=sheet.name,
                row=index + 2,
            )
            continue
        tables.append(table)
    for sheet in filled:
        if all(sheet is not s for s, _, _ in accepted):
            parsed.warnings.append(
                f"Лист «{sheet.name}» пропущен: в нём нет таблицы ({kind_name})."
            )
    return tables


def looks_like_flat(sheets: Sequence[Sheet], specs: Sequence[ColumnSpec], signature: set[str]
                    ) -> bool:
    """True when some row of the first rows of a sheet has all ``signature`` columns."""
    for sheet in sheets:
        for row in sheet.rows[:HEADER_SEARCH_ROWS]:
            if signature <= header_matches(row, specs):
                return True
    return False


class YearSource:
    """The year of a row: the «Год» column, else the ``year`` argument, else the file name."""

    def __init__(self, table_has_year: bool, year: int | None, file_name: str) -> None:
        self.table_has_year = table_has_year
        self.fallback = year if year is not None else year_from_file_name(file_name)

    def missing_for_file(self) -> bool:
        return not self.table_has_year and self.fallback is None

    def of(self, row: RowReader, title: str = "Год") -> int | None:
        if self.table_has_year and row.text(title) != "":
            return row.integer(title, minimum=MIN_YEAR, maximum=MAX_YEAR)
        if self.fallback is not None:
            return self.fallback
        row.problem(
            "year_missing",
            "Не указан год: заполните столбец «Год» или укажите год при загрузке.",
            title,
        )
        return None


def report_year_missing(parsed: Parsed[Any], table: FlatTable, example: str) -> None:
    parsed.problems.add(
        "year_missing",
        "Не указан год: добавьте столбец «Год», укажите год при загрузке (--year) "
        f"или в имени файла (например, {example}).",
        sheet=table.sheet.name,
        row=table.header_index + 1,
        column="Год",
    )


class ReportsProblems(Protocol):
    """Anything with a 1-based row number that can report a problem at a column."""

    @property
    def row(self) -> int: ...

    def problem(self, rule: str, message: str, title: str = "", value: Any = "") -> None: ...


class Duplicates:
    """Remembers keys and reports the second occurrence of a key as ``duplicate``."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.first: dict[tuple[Any, ...], int] = {}

    def check(self, row: ReportsProblems, key: tuple[Any, ...], title: str, value: str) -> bool:
        if key in self.first:
            row.problem(
                "duplicate",
                f"Повтор: {self.what} уже есть в строке {self.first[key]}. "
                "Удалите лишнюю строку или исправьте данные.",
                title,
                value,
            )
            return False
        self.first[key] = row.row
        return True


ParserFunction = Callable[..., Parsed[Any]]
Recogniser = Callable[[list[Sheet]], bool]

# --------------------------------------------------------------------------------------------
# Vocabularies and columns of registry files
# --------------------------------------------------------------------------------------------

ORG_KINDS: dict[str, str] = {
    "школа": "school",
    "общеобразовательная организация": "school",
    "доо": "preschool",
    "детский сад": "preschool",
    "дошкольная образовательная организация": "preschool",
    "доп. образование": "additional",
    "дополнительное образование": "additional",
    "организация дополнительного образования": "additional",
}
ORG_KIND_DISPLAY: tuple[str, ...] = ("школа", "ДОО", "доп. образование")
#: The values of registry.OrgType, as written in files.
ORG_TYPES: tuple[str, ...] = (
    "СОШ",
    "СОШ с УИОП",
    "ООШ",
    "НОШ",
    "гимназия",
    "лицей",
    "кадетская школа",
    "вечерняя школа",
    "коррекционная школа",
    "школа-интернат",
    "центр образования",
    "ДОО",
    "УДО",
)
ORG_TYPE_VALUES: dict[str, str] = {value_key(t): t for t in ORG_TYPES}
SETTLEMENTS: dict[str, str] = {"городская": "urban", "сельская": "rural"}
TEACHER_CATEGORIES: dict[str, str] = {
    "без категории": "none",
    "соответствие": "conformity",
    "соответствие занимаемой должности": "conformity",
    "сзд": "conformity",
    "первая": "first",
    "высшая": "highest",
}
SEXES: dict[str, str] = {"м": "м", "ж": "ж", "муж": "м", "жен": "ж", "мужской": "м", "женский": "ж"}

LOGIN_SYNONYMS: tuple[str, ...] = ("Логин", "Логин ОО", "Код ОО", "ОО", "Логин ФИС ОКО")
STUDENT_SYNONYMS: tuple[str, ...] = ("Код обучающегося", "Код участника", "Код")

ORGANIZATION_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("Логин", ("Логин ОО", "Код ОО", "Логин ФИС ОКО")),
    ColumnSpec("Полное наименование", ("Полное наименование ОО", "Наименование ОО",
                                       "Название ОО", "Наименование")),
    ColumnSpec("Краткое наименование", ("Краткое наименование ОО", "Сокращённое наименование",
                                        "Краткое название"), required=False),
    ColumnSpec("Муниципалитет", ("Муниципальное образование", "Территория", "АТЕ")),
    ColumnSpec("Код муниципалитета", ("Код МО", "Код АТЕ", "Код территории"), required=False),
    ColumnSpec("Регион", ("Субъект РФ", "Субъект"), required=False),
    ColumnSpec("Код региона", ("Код субъекта",), required=False),
    ColumnSpec("Вид", ("Вид ОО", "Вид организации")),
    ColumnSpec("Тип", ("Тип ОО", "Тип организации")),
    ColumnSpec("Местность", ("Тип местности", "Городская/сельская"), required=False),
    ColumnSpec("Углублённое изучение", ("Предметы углублённого изучения", "УИОП"),
               required=False),
    ColumnSpec("Руководитель", ("ФИО руководителя", "Директор"), required=False),
    ColumnSpec("ИНН", (), required=False),
    ColumnSpec("ОГРН", (), required=False),
)
TEACHER_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("Логин ОО", ("Логин", "Код ОО", "ОО")),
    ColumnSpec("Код педагога", ("Код учителя", "Код")),
    ColumnSpec("Предметы", ("Предмет", "Преподаваемые предметы")),
    ColumnSpec("Категория", ("Квалификационная категория",)),
    ColumnSpec("Стаж", ("Педагогический стаж", "Стаж работы", "Стаж, лет"), required=False),
    ColumnSpec("Год рождения", ("Год рожд.",), required=False),
)
CLASS_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("Логин ОО", ("Логин", "Код ОО", "ОО")),
    ColumnSpec("Учебный год", ()),
    ColumnSpec("Параллель", ("Класс (параллель)",)),
    ColumnSpec("Класс", ()),
    ColumnSpec("Профиль", ("Профиль обучения",), required=False),
    ColumnSpec("Предмет", ()),
    ColumnSpec("Код педагога", ("Код учителя",), required=False),
)
STUDENT_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("Логин ОО", ("Логин", "Код ОО", "ОО")),
    ColumnSpec("Код обучающегося", ("Код участника", "Код")),
    ColumnSpec("Год рождения", ("Год рожд.",), required=False),
    ColumnSpec("Пол", ()),
    ColumnSpec("ОВЗ", ("С ОВЗ", "Обучающийся с ОВЗ")),
    ColumnSpec("Учебный год", ()),
    ColumnSpec("Класс", ()),
)
SOCIAL_COUNT_COLUMNS: dict[str, str] = {
    "Из малоимущих семей": "low_income",
    "Из неполных семей": "single_parent",
    "Оба родителя с высшим образованием": "parents_higher_ed",
    "Русский язык не родной": "non_native_russian",
    "С ОВЗ": "disabled",
    "На учёте КДН/ПДН": "kdn_pdn",
}
SOCIAL_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("Логин ОО", ("Логин", "Код ОО", "ОО")),
    ColumnSpec("Год", ("Год данных",), required=False),
    ColumnSpec("Численность обучающихся", ("Число обучающихся", "Всего обучающихся",
                                           "Контингент")),
    ColumnSpec("Из малоимущих семей", ("Малоимущие",), required=False),
    ColumnSpec("Из неполных семей", ("Неполные семьи",), required=False),
    ColumnSpec("Оба родителя с высшим образованием", ("Родители с высшим образованием",),
               required=False),
    ColumnSpec("Русский язык не родной", ("Неродной русский язык",), required=False),
    ColumnSpec("С ОВЗ", ("Обучающиеся с ОВЗ",), required=False),
    ColumnSpec("На учёте КДН/ПДН", ("На учете в КДН/ПДН", "Учёт КДН/ПДН"), required=False),
    ColumnSpec("Вакансии педагогов", ("Вакансии",), required=False),
    ColumnSpec("Вторая смена", ("Обучение во вторую смену",), required=False),
    ColumnSpec("Удалённость, км", ("Удалённость", "Удаленность от центра, км"),
               required=False),
)

ORGANIZATIONS_SIGNATURE = {"Логин", "Полное наименование"}
#: Besides the signature, an organizations file has at least two of these columns.
ORGANIZATIONS_ATTRIBUTES = {"Краткое наименование", "Вид", "Тип", "Местность",
                            "Код муниципалитета", "Код региона", "Руководитель", "ИНН", "ОГРН"}
TEACHERS_SIGNATURE = {"Код педагога", "Категория"}
CLASSES_SIGNATURE = {"Учебный год", "Параллель", "Класс", "Предмет"}
STUDENTS_SIGNATURE = {"Код обучающегося", "Пол", "Учебный год", "Класс"}
SOCIAL_SIGNATURE = {"Логин ОО", "Численность обучающихся"}

# --------------------------------------------------------------------------------------------
# Recognisers
# --------------------------------------------------------------------------------------------


def looks_like_organizations(sheets: list[Sheet]) -> bool:
    for sheet in sheets:
        for row in sheet.rows[:HEADER_SEARCH_ROWS]:
            found = header_matches(row, ORGANIZATION_COLUMNS)
            if found >= ORGANIZATIONS_SIGNATURE and len(found & ORGANIZATIONS_ATTRIBUTES) >= 2:
                return True
    return False


def looks_like_teachers(sheets: list[Sheet]) -> bool:
    return looks_like_flat(sheets, TEACHER_COLUMNS, TEACHERS_SIGNATURE)


def looks_like_classes(sheets: list[Sheet]) -> bool:
    return looks_like_flat(sheets, CLASS_COLUMNS, CLASSES_SIGNATURE) and not looks_like_flat(
        sheets, STUDENT_COLUMNS, STUDENTS_SIGNATURE
    )


def looks_like_students(sheets: list[Sheet]) -> bool:
    return looks_like_flat(sheets, STUDENT_COLUMNS, STUDENTS_SIGNATURE)


def looks_like_social_context(sheets: list[Sheet]) -> bool:
    return looks_like_flat(sheets, SOCIAL_COLUMNS, SOCIAL_SIGNATURE)


# --------------------------------------------------------------------------------------------
# Parsers
# --------------------------------------------------------------------------------------------


def _subject_set(subject_codes: set[str] | None) -> frozenset[str]:
    return frozenset(subject_codes) if subject_codes is not None else KNOWN_SUBJECT_CODES


def _subjects(
    row: RowReader, title: str, allowed: frozenset[str], *, required: bool
) -> tuple[str, ...]:
    text = row.text(title)
    if text == "":
        if required:
            row.required_text(title)
        return ()
    codes: list[str] = []
    for part in split_codes(text):
        code = row.check_subject(title, part, allowed)
        if code is not None and code not in codes:
            codes.append(code)
    return tuple(codes)


def parse_organizations(
    sheets: list[Sheet],
    *,
    file_name: str,
    year: int | None = None,
    mapping: dict[str, str] | None = None,
    subject_codes: set[str] | None = None,
) -> Parsed[OrganizationRecord]:
    """``organizations.csv``: one row per organization, unique ``Логин``."""
    parsed: Parsed[OrganizationRecord] = Parsed("organizations", problems=ProblemList(file_name))
    allowed = _subject_set(subject_codes)
    tables = open_flat_tables(sheets, ORGANIZATION_COLUMNS, parsed, kind_name="список ОО",
                              mapping=mapping)
    seen = Duplicates("организация с этим логином")
    for table in tables:
        if not table.has("Местность"):
            parsed.warnings.append(
                f"{sheet_label(table.sheet)}нет столбца «Местность»: "
                "тип местности ОО не будет заполнен."
            )
        for row in table.rows():
            login = row.required_text("Логин")
            name = row.required_text("Полное наименование")
            municipality = row.required_text("Муниципалитет")
            kind = row.choice("Вид", ORG_KINDS, display=ORG_KIND_DISPLAY)
            org_type = row.choice("Тип", ORG_TYPE_VALUES, display=ORG_TYPES)
            settlement = (
                row.choice("Местность", SETTLEMENTS) if table.has("Местность") else ""
            )
            in_depth = _subjects(row, "Углублённое изучение", allowed, required=False)
            inn = row.text("ИНН")
            if inn and not re.fullmatch(r"\d{10}|\d{12}", inn):
                row.problem("bad_format", "ИНН должен состоять из 10 или 12 цифр.", "ИНН", inn)
            ogrn = row.text("ОГРН")
            if ogrn and not re.fullmatch(r"\d{13}|\d{15}", ogrn):
                row.problem("bad_format", "ОГРН должен состоять из 13 или 15 цифр.", "ОГРН", ogrn)
            if login is not None:
                seen.check(row, (login.lower(),), "Логин", login)
            if row.failed or None in (login, name, municipality, kind, org_type, settlement):
                continue
            assert login is not None and name is not None and municipality is not None
            assert kind is not None and org_type is not None and settlement is not None
            parsed.records.append(
                OrganizationRecord(
                    org=OrgRef(
                        code=login,
                        name=name,
                        municipality=municipality,
                        inn=inn or None,
                        ogrn=ogrn or None,
                        region=row.text("Регион"),
                    ),
                    short_name=row.text("Краткое наименование"),
                    municipality_code=row.text("Код муниципалитета"),
                    region_code=row.text("Код региона"),
                    kind=kind,
                    org_type=org_type,
                    settlement=settlement,
                    in_depth_subjects=in_depth,
                    head_name=row.text("Руководитель"),
                    where=row.where(),
                )
            )
    return parsed


def parse_teachers(
    sheets: list[Sheet],
    *,
    file_name: str,
    year: int | None = None,
    mapping: dict[str, str] | None = None,
    subject_codes: set[str] | None = None,
) -> Parsed[TeacherRecord]:
    """``teachers.csv``: one row per teacher, unique (``Логин ОО``, ``Код педагога``)."""
    parsed: Parsed[TeacherRecord] = Parsed("teachers", problems=ProblemList(file_name))
    allowed = _subject_set(subject_codes)
    tables = open_flat_tables(sheets, TEACHER_COLUMNS, parsed, kind_name="список педагогов",
                              mapping=mapping)
    seen = Duplicates("педагог с этим кодом в этой ОО")
    for table in tables:
        for row in table.rows():
            org = row.required_text("Логин ОО")
            code = row.required_text("Код педагога")
            subjects = _subjects(row, "Предметы", allowed, required=True)
            category = row.choice("Категория", TEACHER_CATEGORIES)
            experience = row.integer("Стаж", minimum=0, maximum=70)
            birth_year = row.integer("Год рождения", minimum=1930, maximum=2010)
            if org is not None and code is not None:
                seen.check(row, (org.lower(), code), "Код педагога", code)
            if row.failed or org is None or code is None or category is None:
                continue
            parsed.records.append(
                TeacherRecord(
                    org_code=org,
                    code=code,
                    subjects=subjects,
                    category=category,
                    experience_years=experience,
                    birth_year=birth_year,
                    where=row.where(),
                )
            )
    return parsed


def parse_classes(
    sheets: list[Sheet],
    *,
    file_name: str,
    year: int | None = None,
    mapping: dict[str, str] | None = None,
    subject_codes: set[str] | None = None,
) -> Parsed[ClassRecord]:
    """``classes.csv``: one row per class × subject; ``Учебный год`` «2024/2025» → 2025.

    The year is taken from every row; the ``year`` argument is not used.
    """
    parsed: Parsed[ClassRecord] = Parsed("classes", problems=ProblemList(file_name))
    allowed = _subject_set(subject_codes)
    tables = open_flat_tables(sheets, CLASS_COLUMNS, parsed, kind_name="список классов",
                              mapping=mapping)
    seen = Duplicates("этот предмет в этом классе в этом учебном году")
    for table in tables:
        for row in table.rows():
            org = row.required_text("Логин ОО")
            school_year = row.school_year("Учебный год")
            grade = row.integer("Параллель", required=True, minimum=1, maximum=11)
            label = row.required_text("Класс")
            subject = row.subject("Предмет", allowed)
            if grade is not None and label is not None:
                lead = re.match(r"\d+", label)
                if lead is not None and int(lead.group()) != grade:
                    row.problem(
                        "class_grade_mismatch",
                        f"Класс «{label}» не относится к параллели {grade}. "
                        "Исправьте класс или параллель.",
                        "Класс",
                        label,
                    )
            if None not in (org, school_year, label, subject):
                seen.check(row, (str(org).lower(), school_year, label, subject), "Предмет",
                           str(subject))
            if row.failed or None in (org, school_year, grade, label, subject):
                continue
            assert org is not None and school_year is not None and grade is not None
            assert label is not None and subject is not None
            parsed.records.append(
                ClassRecord(
                    org_code=org,
                    year=school_year,
                    grade=grade,
                    label=label,
                    profile=row.text("Профиль"),
                    subject=subject,
                    teacher_code=row.text("Код педагога"),
                    where=row.where(),
                )
            )
    return parsed


def parse_students(
    sheets: list[Sheet],
    *,
    file_name: str,
    year: int | None = None,
    mapping: dict[str, str] | None = None,
) -> Parsed[StudentRecord]:
    """``students.csv``: one row per pupil per school year, unique (ОО, код, учебный год)."""
    parsed: Parsed[StudentRecord] = Parsed("students", problems=ProblemList(file_name))
    tables = open_flat_tables(sheets, STUDENT_COLUMNS, parsed, kind_name="список обучающихся",
                              mapping=mapping)
    seen = Duplicates("этот обучающийся в этом учебном году")
    for table in tables:
        for row in table.rows():
            org = row.required_text("Логин ОО")
            code = row.required_text("Код обучающегося")
            birth_year = row.integer("Год рождения", minimum=1990, maximum=2030)
            sex = row.choice("Пол", SEXES)
            disabled = row.boolean("ОВЗ", required=True)
            school_year = row.school_year("Учебный год")
            label = row.required_text("Класс")
            if None not in (org, code, school_year):
                seen.check(row, (str(org).lower(), code, school_year), "Код обучающегося",
                           str(code))
            if row.failed or None in (org, code, sex, disabled, school_year, label):
                continue
            assert org is not None and code is not None and sex is not None
            assert disabled is not None and school_year is not None and label is not None
            parsed.records.append(
                StudentRecord(
                    org_code=org,
                    code=code,
                    birth_year=birth_year,
                    sex=sex,
                    has_disability=disabled,
                    year=school_year,
                    class_label=label,
                    where=row.where(),
                )
            )
    return parsed


def parse_social_context(
    sheets: list[Sheet],
    *,
    file_name: str,
    year: int | None = None,
    mapping: dict[str, str] | None = None,
) -> Parsed[SocialContextRecord]:
    """``social_context_<year>.csv``: pupil counts per school; each count ≤ the total."""
    parsed: Parsed[SocialContextRecord] = Parsed("social_context", problems=ProblemList(file_name))
    tables = open_flat_tables(sheets, SOCIAL_COLUMNS, parsed,
                              kind_name="социальный контекст ОО", mapping=mapping)
    seen = Duplicates("данные этой ОО за этот год")
    for table in tables:
        years = YearSource(table.has("Год"), year, file_name)
        if years.missing_for_file():
            report_year_missing(parsed, table, "social_context_2025.csv")
            continue
        for row in table.rows():
            org = row.required_text("Логин ОО")
            row_year = years.of(row)
            total = row.integer("Численность обучающихся", required=True, minimum=0)
            counts: dict[str, int | None] = {}
            for title, field_name in SOCIAL_COUNT_COLUMNS.items():
                value = row.integer(title, minimum=0)
                if value is not None and total is not None and value > total:
                    row.problem(
                        "count_exceeds_total",
                        f"Число в столбце «{table.title(title)}» больше численности обучающихся "
                        f"({total}). Исправьте число.",
                        title,
                        row.text(title),
                    )
                counts[field_name] = value
            vacancies = row.integer("Вакансии педагогов", minimum=0)
            second_shift = row.boolean("Вторая смена")
            remoteness = row.number("Удалённость, км", minimum=0)
            if org is not None and row_year is not None:
                seen.check(row, (org.lower(), row_year), "Логин ОО", org)
            if row.failed or org is None or row_year is None or total is None:
                continue
            parsed.records.append(
                SocialContextRecord(
                    org_code=org,
                    year=row_year,
                    students_total=total,
                    low_income=counts["low_income"],
                    single_parent=counts["single_parent"],
                    parents_higher_ed=counts["parents_higher_ed"],
                    non_native_russian=counts["non_native_russian"],
                    disabled=counts["disabled"],
                    kdn_pdn=counts["kdn_pdn"],
                    staff_vacancies=vacancies,
                    second_shift=second_shift,
                    remoteness_km=remoteness,
                    where=row.where(),
                )
            )
    return parsed


PARSERS: dict[str, tuple[Recogniser, ParserFunction]] = {
    "organizations": (looks_like_organizations, parse_organizations),
    "teachers": (looks_like_teachers, parse_teachers),
    "classes": (looks_like_classes, parse_classes),
    "students": (looks_like_students, parse_students),
    "social_context": (looks_like_social_context, parse_social_context),
}
