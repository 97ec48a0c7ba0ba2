"""School-level aggregate tables → :class:`AggregateRecord` and :class:`TotalRecord`.

Three layouts (file kinds):

``aggregate_shares``
    The appendix of seed 003: ``Территория | Название ОО | Логин ОО`` then, per procedure ×
    subject × (grade) × year, a pair of columns «% 2» / «% Выс. рез-тов» under a two-row header
    («ВПР МА 5 2019» merged over the pair). «-» or an empty cell = no data (no record).
    Metrics ``share_2`` and ``share_high``: ``value`` is the percent, numerator and denominator
    are None (the file has no counts). Grade from «ВПР МА 5»; None when the header has no grade
    (ОГЭ, ЕГЭ).

``ege_by_school``
    Regional ЕГЭ forms (Забайкальский край, ЕАО): one sheet per year. Results sheets have
    5 columns per subject (приняло участие → ``participants``; не преодолен min порог →
    ``below_min``; высокобалльники 80–99 → ``high_80_99``; получили 100 баллов →
    ``score_100``; средний балл → ``mean_score``, or ``mean_mark`` for «Математика базовая»
    whose mean is a 5-point mark). Registration sheets (the 2024 «заявления» sheets) have one
    count per subject → ``registered``. «Всего выпускников …» → ``graduates`` (results) or
    ``registered`` with subject "" (registrations). Procedure ЕГЭ, grade 11.
    Total («ВСЕГО по региону», «Итого по … краю») and municipality subtotal rows become
    :class:`TotalRecord`; a school row with an empty municipality cell belongs to the municipality
    of the last subtotal (filled down).

``ege_open_data``
    Moscow open data «Результаты ЕГЭ» (data.mos.ru, ``data-9722-*.csv``): ``graduates`` =
    PASSED_NUMBER_FULL, ``total_220_plus`` = PASSES_OVER_220 and ``total_160_plus`` =
    PASSER_UNDER_160 (numerators over graduates). Despite its name PASSER_UNDER_160 counts
    graduates with **at least** 160 points over three subjects (it is ≥ PASSES_OVER_220 and
    ≤ PASSED_NUMBER_FULL in every row; the publisher's later exports call it PASSES_OVER_160);
    the parser checks 220+ ≤ 160+ ≤ graduates in every row (problem ``inconsistent_counts``).
    Subject "" (three subjects together), procedure ЕГЭ, grade 11, region «г. Москва».

Value semantics of every :class:`AggregateRecord`: ``value`` is the metric in its own unit
(persons for counts, percent for shares, points or a mark for means). Counts that are parts of a
group also carry ``numerator`` = the count and ``denominator`` = the group (participants or
graduates); a mean carries ``denominator`` = participants so means aggregate by weights.
Counts that *are* the group (participants, graduates, registered) have numerator and denominator
None.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from soko.imports.parsing.names import (
    SUBJECT_NAMES,
    ColumnSpec,
    match_header,
    subject_code,
)
from soko.imports.parsing.problems import ProblemList
from soko.imports.parsing.records import AggregateRecord, OrgRef, Parsed, TotalRecord, Where
from soko.imports.parsing.registry_files import (
    HEADER_SEARCH_ROWS,
    Duplicates,
    ParserFunction,
    Recogniser,
    looks_like_flat,
    open_flat_tables,
    sheet_label,
)
from soko.imports.parsing.tables import (
    NOT_APPLICABLE,
    Sheet,
    cell_text,
    normalize_header,
    to_number,
)

EGE = "ЕГЭ"
EGE_GRADE = 11
MOSCOW_REGION = "г. Москва"
MEAN_TOLERANCE = 0.05
FORMULA_MIN_ROWS = 5
COUNT_METRICS = frozenset(
    {"participants", "below_min", "high_80_99", "score_100", "graduates", "registered",
     "total_160_plus", "total_220_plus"}
)
MEAN_METRICS = frozenset({"mean_score", "mean_mark"})

_TOTAL_RE = re.compile(r"^\s*(всего|итого)\b", re.IGNORECASE)
_REGION_WORDS = ("регион", "кра", "област", "республик", "автономн", "субъект", "москв",
                 "санкт-петербург", "севастопол")
_YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")


def _is_total(text: str) -> bool:
    return bool(_TOTAL_RE.match(text))


def _total_level(text: str) -> str:
    low = text.lower()
    return "region" if any(w in low for w in _REGION_WORDS) else "municipality"


def _label(code: str) -> str:
    return SUBJECT_NAMES.get(code, code) if code else "все предметы"


# --------------------------------------------------------------------------------------------
# aggregate_shares — the appendix of seed 003
# --------------------------------------------------------------------------------------------

#: Procedures that may head a group of share columns.
SHARE_PROCEDURES: tuple[str, ...] = ("ВПР", "ОГЭ", "ЕГЭ", "ГВЭ-9", "ГВЭ-11", "ГВЭ", "НИКО",
                                     "РОП", "МОП")
_GROUP_RE = re.compile(
    r"^(" + "|".join(re.escape(p) for p in SHARE_PROCEDURES) + r")\s+(\S+?)"
    r"(?:\s+(\d{1,2}))?\s+((?:19|20)\d\d)$",
    re.IGNORECASE,
)
#: Metric headers (lower case, without spaces, dots and quotes) → metric.
SHARE_METRICS: dict[str, str] = {
    "%2": "share_2",
    "доля2": "share_2",
    "%двоек": "share_2",
    "%отметок2": "share_2",
    "%выс-рез-тов": "share_high",
    "%высрез-тов": "share_high",
    "%высрезультатов": "share_high",
    "%высокихрезультатов": "share_high",
    "%высокихрез-тов": "share_high",
    "долявысокихрезультатов": "share_high",
}
SHARE_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("Логин ОО", ("Логин", "Код ОО", "ОО", "Логин ФИС ОКО")),
    ColumnSpec("Название ОО", ("Наименование ОО", "Образовательная организация",
                               "Полное наименование"), required=False),
    ColumnSpec("Территория", ("Муниципалитет", "Муниципальное образование", "АТЕ"),
               required=False),
)


def _clean_metric(text: str) -> str:
    """«" % 2"» → «% 2»: the metric header without surrounding quotes and spaces."""
    return re.sub(r"^[\s\"'«»“”„]+|[\s\"'«»“”„]+$", "", text)


def _metric_key(text: Any) -> str:
    return re.sub(r"[\s.«»\"'“”„]", "", cell_text(text).lower().replace("ё", "е"))


@dataclass(frozen=True)
class _Group:
    procedure: str
    subject: str
    grade: int | None
    year: int
    text: str


def parse_group(text: Any) -> _Group | None:
    """«ВПР МА 5 2019» → (ВПР, МА, 5, 2019); «ОГЭ РУ 2018» → (ОГЭ, РУ, None, 2018)."""
    written = re.sub(r"\s+", " ", cell_text(text)).strip()
    match = _GROUP_RE.match(written)
    if match is None:
        return None
    procedure = next(p for p in SHARE_PROCEDURES if p.lower() == match.group(1).lower())
    code = subject_code(match.group(2))
    if code is None:
        return None
    grade = int(match.group(3)) if match.group(3) else None
    return _Group(procedure, code, grade, int(match.group(4)), written)


def _filled_head(sheet: Sheet, rows: int = HEADER_SEARCH_ROWS + 12) -> list[list[Any]]:
    """The first rows with merged cells filled, padded to the width of the whole sheet.

    Header search must not copy a 200 000-row sheet, so only the head is filled.
    """
    width = sheet.width
    head = Sheet(name=sheet.name, rows=sheet.rows[:rows], merged=sheet.merged).filled_merged()
    return [row + [""] * (width - len(row)) for row in head]


def _shares_header(sheet: Sheet) -> int | None:
    filled = _filled_head(sheet)
    for index, row in enumerate(filled[:HEADER_SEARCH_ROWS]):
        if index + 1 >= len(filled):
            break
        has_group = any(parse_group(c) is not None for c in row)
        has_metric = any(_metric_key(c) in SHARE_METRICS for c in filled[index + 1])
        if has_group and has_metric:
            return index
    return None


def looks_like_aggregate_shares(sheets: list[Sheet]) -> bool:
    return any(_shares_header(s) is not None for s in sheets)


def parse_aggregate_shares(
    sheets: list[Sheet],
    *,
    file_name: str,
    year: int | None = None,
    mapping: dict[str, str] | None = None,
) -> Parsed[AggregateRecord]:
    """Per-school «% 2» / «% высоких результатов» by procedure, subject, grade and year.

    The year of every value comes from its column group («ВПР МА 5 2019»); ``year`` is not used.
    """
    parsed: Parsed[AggregateRecord] = Parsed("aggregate_shares", problems=ProblemList(file_name))
    problems = parsed.problems
    found = [(s, _shares_header(s)) for s in sheets]
    usable = [(s, h) for s, h in found if h is not None]
    if not usable:
        problems.add(
            "header_not_found",
            "Не найден заголовок таблицы показателей: ожидается строка с группами столбцов вида "
            "«ВПР МА 5 2019» и под ней строка «% 2» / «% Выс. рез-тов».",
            sheet=sheets[0].name if sheets else "",
        )
        return parsed
    for sheet, _ in found:
        if all(sheet is not s for s, _ in usable) and any(
            cell_text(c) for r in sheet.rows for c in r
        ):
            parsed.warnings.append(f"Лист «{sheet.name}» пропущен: в нём нет таблицы показателей.")
    for sheet, header in usable:
        _parse_shares_sheet(sheet, header, parsed, mapping)
    return parsed


def _parse_shares_sheet(
    sheet: Sheet, header: int, parsed: Parsed[AggregateRecord], mapping: dict[str, str] | None
) -> None:
    problems = parsed.problems
    filled = _filled_head(sheet, header + 2)
    top, sub = filled[header], filled[header + 1]
    fixed = match_header(top, SHARE_COLUMNS, mapping)
    for title in fixed.missing:
        problems.add(
            "missing_column",
            f"Нет обязательного столбца «{title}». Добавьте его или укажите соответствие "
            "столбцов.",
            sheet=sheet.name,
            row=header + 1,
            column=title,
        )
    if fixed.missing:
        return
    fixed_cols = set(fixed.columns.values())
    columns: list[tuple[int, _Group, str, str]] = []  # (col, group, metric, title)
    current: _Group | None = None
    current_col = -1
    for col in range(sheet.width):
        if col in fixed_cols:
            current = None
            continue
        group_text = cell_text(top[col])
        metric_text = cell_text(sub[col])
        group = parse_group(group_text) if group_text else None
        if group_text and group is None:
            parsed.warnings.append(
                f"{sheet_label(sheet)}неизвестный столбец «{group_text}» пропущен "
                "(ожидается вид «ВПР МА 5 2019»)."
            )
            current = None
            continue
        if group is not None:
            if current is None or group.text != current.text or col != current_col + 1:
                current = group
        elif current is None or col != current_col + 1:
            if metric_text:
                parsed.warnings.append(
                    f"{sheet_label(sheet)}столбец «{metric_text}» (№ {col + 1}) без группы "
                    "пропущен."
                )
            continue
        current_col = col
        metric = SHARE_METRICS.get(_metric_key(metric_text))
        if metric is None:
            if metric_text or any(
                col < len(r) and cell_text(r[col]) for r in sheet.rows[header + 2 :]
            ):
                parsed.warnings.append(
                    f"{sheet_label(sheet)}неизвестный показатель «{metric_text}» в группе "
                    f"«{current.text}» пропущен."
                )
            continue
        columns.append((col, current, metric, f"{current.text} — {_clean_metric(metric_text)}"))
    login_col = fixed.columns["Логин ОО"]
    name_col = fixed.columns.get("Название ОО")
    area_col = fixed.columns.get("Территория")
    seen = Duplicates("строка этой ОО")
    data_rows = 0
    for index in range(header + 2, len(sheet.rows)):
        cells = sheet.rows[index]
        if not any(cell_text(c) for c in cells):
            continue
        data_rows += 1
        row_no = index + 1

        def text(col: int | None, cells: Sequence[Any] = cells) -> str:
            return cell_text(cells[col]) if col is not None and col < len(cells) else ""

        login, name, area = text(login_col), text(name_col), text(area_col)
        total_text = name if _is_total(name) else area if _is_total(area) else ""
        if not login and not total_text:
            problems.add(
                "required",
                f"Не заполнен логин ОО (столбец «{fixed.titles['Логин ОО']}»). Заполните его.",
                sheet=sheet.name,
                row=row_no,
                column=fixed.titles["Логин ОО"],
            )
            continue
        if login:
            located = _Located(problems, sheet.name, row_no, fixed.titles["Логин ОО"])
            if not seen.check(located, (login.lower(),), "Логин ОО", login):
                continue
        org = OrgRef(code=login or None, name=name, municipality=area)
        for col, group, metric, title in columns:
            raw = cells[col] if col < len(cells) else None
            written = cell_text(raw)
            if written == "" or written in NOT_APPLICABLE:
                continue
            try:
                value = to_number(raw)
            except ValueError:
                problems.add(
                    "not_a_number",
                    "Здесь должен быть процент (число от 0 до 100) или «-», если данных нет.",
                    sheet=sheet.name, row=row_no, column=title, value=written,
                )
                continue
            if value is None:
                continue
            if not 0 <= value <= 100:
                problems.add(
                    "out_of_range",
                    "Процент должен быть от 0 до 100. Исправьте значение.",
                    sheet=sheet.name, row=row_no, column=title, value=written,
                )
                continue
            where = Where(sheet=sheet.name, row=row_no, column=title)
            if total_text and not login:
                parsed.totals.append(
                    TotalRecord(
                        level=_total_level(total_text), name=area or total_text, year=group.year,
                        procedure=group.procedure, subject=group.subject, metric=metric,
                        value=value, where=where,
                    )
                )
            else:
                parsed.records.append(
                    AggregateRecord(
                        org=org, year=group.year, procedure=group.procedure,
                        subject=group.subject, grade=group.grade, metric=metric,
                        numerator=None, denominator=None, value=value, where=where,
                    )
                )
    if data_rows == 0:
        problems.add(
            "no_data",
            "В таблице нет строк с данными — только заголовок. Заполните таблицу.",
            sheet=sheet.name,
            row=header + 3,
        )


class _Located:
    """A row position that can report problems (what :class:`Duplicates` needs)."""

    def __init__(self, problems: ProblemList, sheet: str, row: int, column: str) -> None:
        self.problems = problems
        self.sheet = sheet
        self.row = row
        self.column = column
        self.failed = False

    def problem(self, rule: str, message: str, title: str = "", value: Any = "") -> None:
        self.failed = True
        self.problems.add(rule, message, sheet=self.sheet, row=self.row, column=self.column,
                          value=value)


# --------------------------------------------------------------------------------------------
# ege_by_school — regional ЕГЭ forms (Забайкальский край, ЕАО)
# --------------------------------------------------------------------------------------------

FORM_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("Муниципальное образование", ("Муниципалитет", "Территория",
                                             "Муниципальный район (городской округ)", "МО")),
    ColumnSpec("Образовательная организация (школа)", ("Образовательная организация", "Школа",
                                                       "Наименование ОО", "Название ОО")),
    ColumnSpec("Профиль (при наличии)", ("Профиль",), required=False),
)
#: Metric header patterns of a results block (searched in the normalised header text).
FORM_METRIC_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"^приня(ло|ли|вших) участие|^участник", "participants"),
    (r"не преодол|ниже min|ниже минимальн", "below_min"),
    (r"высокобалльник|80\s*-\s*99", "high_80_99"),
    (r"100 балл", "score_100"),
    (r"средн(ий|ее)( тестовый)? балл", "mean_score"),
)
_GRADUATES_RE = re.compile(r"^всего выпускников")
#: Values of the profile column that mean «no profile».
NO_PROFILE = frozenset({"x", "х", "-", "—", "нет"})
#: Subjects whose results are on the 5-point scale (mean is a mark; no 80–99 / 100 points).
MARK_SUBJECTS = frozenset({"МАБ"})
_NOT_FOR_MARKS = frozenset({"high_80_99", "score_100"})
_METRIC_TITLES = {
    "participants": "приняло участие",
    "below_min": "не преодолен min порог",
    "high_80_99": "высокобалльники (80-99 баллов)",
    "score_100": "получили 100 баллов",
    "mean_score": "средний балл",
    "mean_mark": "средний балл (отметка)",
    "registered": "подали заявление",
    "graduates": "всего выпускников",
}


def _form_metric(text: str) -> str | None:
    key = normalize_header(text)
    for pattern, metric in FORM_METRIC_PATTERNS:
        if re.search(pattern, key):
            return metric
    return None


def _is_number_row(cells: Sequence[Any]) -> bool:
    """The ЕАО row of column numbers «1 2 3 … 9 5 6 7 8 9 …»."""
    values = [c for c in cells if cell_text(c) != ""]
    if len(values) < 3:
        return False
    for value in values:
        try:
            number = to_number(value)
        except ValueError:
            return False
        if number is None or not float(number).is_integer() or not 0 < number < 1000:
            return False
    return True


@dataclass
class _FormColumn:
    col: int
    subject: str
    metric: str
    title: str
    header_row: int  # 1-based row of the metric (or subject) header


@dataclass
class _FormLayout:
    header: int
    data_start: int
    mun_col: int
    school_col: int
    profile_col: int | None
    graduates_col: int | None
    columns: list[_FormColumn]
    results: bool
    titles: dict[str, str]
    header_texts: list[str]


def _form_header(sheet: Sheet, mapping: dict[str, str] | None) -> int | None:
    filled = _filled_head(sheet)
    for index, row in enumerate(filled[: HEADER_SEARCH_ROWS + 10]):
        found = match_header(row, FORM_COLUMNS, mapping)
        if not found.missing:
            return index
    return None


def looks_like_ege_by_school(sheets: list[Sheet]) -> bool:
    """Municipality and school columns with subject columns beside them (and no login)."""
    for sheet in sheets:
        header = _form_header(sheet, None)
        if header is None:
            continue
        filled = _filled_head(sheet)
        below = filled[header : header + 4]
        if any(subject_code(c) is not None for row in below for c in row) and not (
            looks_like_aggregate_shares([sheet])
        ):
            return True
    return False


def _layout(
    sheet: Sheet, header: int, parsed: Parsed[AggregateRecord], mapping: dict[str, str] | None
) -> _FormLayout:
    """Find where the header ends and what every column holds (subject × metric)."""
    problems = parsed.problems
    filled = _filled_head(sheet, header + 12)
    fixed = match_header(filled[header], FORM_COLUMNS, mapping)
    mun_col = fixed.columns["Муниципальное образование"]
    school_col = fixed.columns["Образовательная организация (школа)"]
    profile_col = fixed.columns.get("Профиль (при наличии)")
    header_cells = {col: normalize_header(filled[header][col]) for col in (mun_col, school_col)}
    data_start = len(sheet.rows)
    header_rows = [header]
    for index in range(header + 1, min(len(sheet.rows), header + 8)):
        raw = sheet.rows[index]
        if _is_number_row(raw):
            continue
        fixed_texts = {
            col: cell_text(raw[col]) if col < len(raw) else "" for col in (mun_col, school_col)
        }
        if any(t and normalize_header(t) != header_cells[c] for c, t in fixed_texts.items()):
            data_start = index
            break
        header_rows.append(index)
    graduates_col = None
    for col in range(sheet.width):
        if _GRADUATES_RE.match(normalize_header(filled[header][col])):
            graduates_col = col
            break
    fixed_cols = {c for c in (mun_col, school_col, graduates_col, profile_col) if c is not None}
    columns: list[_FormColumn] = []
    unknown_texts: list[str] = []
    reported: set[tuple[int, str]] = set()
    for col in range(sheet.width):
        if col in fixed_cols:
            continue
        texts = [(r, cell_text(filled[r][col])) for r in header_rows]
        subject = next((subject_code(t) for _, t in texts if subject_code(t) is not None), None)
        metric_at = next(((r, _form_metric(t)) for r, t in texts if _form_metric(t)), None)
        if subject is not None:
            if metric_at is not None:
                metric = metric_at[1] or ""
                if subject in MARK_SUBJECTS and metric == "mean_score":
                    metric = "mean_mark"
            else:
                metric = ""
            subject_text = next(t for _, t in texts if subject_code(t) == subject)
            columns.append(_FormColumn(col, subject, metric,
                                       f"{_flat(subject_text)} — "
                                       f"{_METRIC_TITLES.get(metric, 'число')}",
                                       (metric_at[0] if metric_at else header_rows[-1]) + 1))
        elif metric_at is not None:
            above = [(r, t) for r, t in texts if r < metric_at[0] and t]
            subject_row, subject_text = above[-1] if above else (metric_at[0], "")
            if (subject_row, subject_text) in reported:
                continue  # one problem per subject block, not per column
            reported.add((subject_row, subject_text))
            problems.add(
                "unknown_subject",
                "Неизвестный предмет в заголовке таблицы. Исправьте название предмета "
                f"(известные: {', '.join(SUBJECT_NAMES.values())}).",
                sheet=sheet.name,
                row=subject_row + 1,
                column=_flat(subject_text),
                value=_flat(subject_text),
            )
        else:
            last = next((t for _, t in reversed(texts) if t), "")
            if last:
                unknown_texts.append(last)
    results = any(c.metric for c in columns)
    for column in columns:
        if not column.metric and results:
            parsed.warnings.append(
                f"{sheet_label(sheet)}столбец «{column.title}» без показателя пропущен."
            )
    columns = [c for c in columns if c.metric or not results]
    seen_unknown: set[str] = set()
    for text in unknown_texts:
        if text not in seen_unknown and normalize_header(text) not in {"из них", "в том числе"}:
            seen_unknown.add(text)
            parsed.warnings.append(
                f"{sheet_label(sheet)}неизвестный столбец «{_flat(text)}» пропущен."
            )
    header_texts = [
        cell_text(c) for r in sheet.rows[:header] for c in r if cell_text(c)
    ]
    return _FormLayout(
        header=header,
        data_start=data_start,
        mun_col=mun_col,
        school_col=school_col,
        profile_col=profile_col,
        graduates_col=graduates_col,
        columns=columns,
        results=results,
        titles=dict(fixed.titles),
        header_texts=header_texts,
    )


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _region_of(title_texts: Sequence[str]) -> str:
    for text in title_texts:
        low = text.lower()
        if low.startswith("информация"):
            continue
        cleaned = re.sub(r"(?i)субъект российской федерации", " ", text)
        cleaned = re.sub(r"[_\s]+", " ", cleaned).strip(" :")
        if cleaned and any(w in cleaned.lower() for w in _REGION_WORDS):
            return cleaned
    return ""


def _sheet_year(
    sheet: Sheet, layout: _FormLayout, year: int | None, parsed: Parsed[AggregateRecord]
) -> int | None:
    title = next((t for t in layout.header_texts if t.lower().startswith("информация")), "")
    graduates_header = (
        cell_text(sheet.rows[layout.header][layout.graduates_col])
        if layout.graduates_col is not None and layout.graduates_col < len(
            sheet.rows[layout.header]
        )
        else ""
    )
    stated = [(where, int(y)) for where, text in (("в названии таблицы", title),
                                                  ("в заголовке столбца «Всего выпускников…»",
                                                   graduates_header))
              for y in _YEAR_RE.findall(text)]
    name_year = int(sheet.name.strip()) if re.fullmatch(r"\s*(19|20)\d\d\s*", sheet.name) else None
    if name_year is not None:
        for where, y in stated:
            if y != name_year:
                parsed.warnings.append(
                    f"Лист «{sheet.name}»: {where} указан {y} год, а лист называется "
                    f"«{sheet.name.strip()}» — взят год из названия листа ({name_year})."
                )
        if year is not None and year != name_year:
            parsed.warnings.append(
                f"Лист «{sheet.name}»: при загрузке указан {year} год, но лист называется "
                f"«{sheet.name.strip()}» — взят год из названия листа ({name_year})."
            )
        return name_year
    if year is not None:
        return year
    years = {y for _, y in stated}
    if len(years) == 1:
        return years.pop()
    parsed.problems.add(
        "year_missing",
        "Не удалось определить год: назовите лист годом (например, «2023») или укажите год при "
        "загрузке.",
        sheet=sheet.name,
        row=layout.header + 1,
    )
    return None


def parse_ege_by_school(
    sheets: list[Sheet],
    *,
    file_name: str,
    year: int | None = None,
    mapping: dict[str, str] | None = None,
) -> Parsed[AggregateRecord]:
    """Regional ЕГЭ form by school: results sheets and registration sheets."""
    parsed: Parsed[AggregateRecord] = Parsed("ege_by_school", problems=ProblemList(file_name))
    found = 0
    for sheet in sheets:
        header = _form_header(sheet, mapping)
        if header is None:
            if any(cell_text(c) for r in sheet.rows for c in r):
                parsed.warnings.append(
                    f"Лист «{sheet.name}» пропущен: нет столбцов «Муниципальное образование» и "
                    "«Образовательная организация (школа)»."
                )
            continue
        found += 1
        _parse_form_sheet(sheet, _layout(sheet, header, parsed, mapping), year, parsed)
    if found == 0:
        parsed.problems.add(
            "missing_column",
            "Не найдены столбцы «Муниципальное образование» и «Образовательная организация "
            "(школа)». Проверьте, что загружаете форму результатов ЕГЭ по школам, или укажите "
            "соответствие столбцов.",
            sheet=sheets[0].name if sheets else "",
            column="Образовательная организация (школа)",
        )
    else:
        parsed.warnings.extend(check_totals(parsed.records, parsed.totals))
    return parsed


class _Cells:
    """Numeric access to one row of a form with problems for text and fractional counts."""

    def __init__(self, sheet: Sheet, index: int, problems: ProblemList) -> None:
        self.sheet = sheet
        self.cells = sheet.rows[index]
        self.row = index + 1
        self.problems = problems
        self.failed = False

    def text(self, col: int | None) -> str:
        if col is None or col >= len(self.cells):
            return ""
        return cell_text(self.cells[col])

    def number(self, col: int, title: str) -> float | None:
        raw = self.cells[col] if col < len(self.cells) else None
        try:
            return to_number(raw)
        except ValueError:
            self.fail("not_a_number", "Здесь должно быть число (или пустая ячейка). "
                      "Исправьте значение.", title, cell_text(raw))
            return None

    def count(self, col: int | None, title: str) -> int | None:
        """A count; None for an empty cell or an error (reported)."""
        if col is None:
            return None
        value = self.number(col, title)
        if value is None:
            return None
        if not float(value).is_integer() or value < 0:
            self.fail("not_an_integer", "Число человек должно быть целым и неотрицательным. "
                      "Исправьте значение.", title, cell_text(self.cells[col]))
            return None
        return int(value)

    def fail(self, rule: str, message: str, title: str, value: Any) -> None:
        self.failed = True
        self.problems.add(rule, message, sheet=self.sheet.name, row=self.row, column=title,
                          value=value)


def _parse_form_sheet(
    sheet: Sheet, layout: _FormLayout, year: int | None, parsed: Parsed[AggregateRecord]
) -> None:
    problems = parsed.problems
    sheet_year = _sheet_year(sheet, layout, year, parsed)
    region = _region_of(layout.header_texts)
    if not region:
        parsed.warnings.append(f"Лист «{sheet.name}»: в шапке не указан субъект РФ.")
    title_text = " ".join(layout.header_texts).lower()
    graduates_title = (
        cell_text(sheet.rows[layout.header][layout.graduates_col])
        if layout.graduates_col is not None and layout.graduates_col < len(
            sheet.rows[layout.header]
        )
        else ""
    )
    registrations = not layout.results and (
        "заявлени" in title_text or "заявлени" in graduates_title.lower()
    )
    if registrations and "принявш" in graduates_title.lower():
        parsed.warnings.append(
            f"Лист «{sheet.name}»: в заголовке столбца «Всего выпускников…» написано «принявших "
            "участие», а в названии таблицы — о заявлениях: числа прочитаны как поданные "
            "заявления."
        )
    count_metric = "registered" if registrations else "participants"
    whole_metric = "graduates" if layout.results else count_metric
    if sheet_year is None:
        return
    by_subject: dict[str, dict[str, _FormColumn]] = defaultdict(dict)
    for column in layout.columns:
        metric = column.metric or count_metric
        by_subject[column.subject][metric] = column
    graduates_label = f"{_flat(graduates_title) or 'Всего выпускников'}"
    current_mun = ""
    school_rows = 0
    over_graduates: list[str] = []
    missing_means: list[str] = []
    sums_seen: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    seen: dict[tuple[str, str], int] = {}
    for index in range(layout.data_start, len(sheet.rows)):
        cells = _Cells(sheet, index, problems)
        if not any(cell_text(c) for c in cells.cells):
            continue
        if _is_number_row(cells.cells):
            continue
        mun = cells.text(layout.mun_col)
        school_raw = (
            cells.cells[layout.school_col] if layout.school_col < len(cells.cells) else None
        )
        school = cell_text(school_raw)
        school_is_number = isinstance(school_raw, (int, float)) and school != ""
        if _is_total(mun) or _is_total(school):
            label = mun if _is_total(mun) else school
            level = _total_level(label)
            if school_is_number:
                parsed.warnings.append(
                    f"Лист «{sheet.name}», строка {cells.row}: в строке итога «{_flat(label)}» в "
                    f"столбце «{layout.titles['Образовательная организация (школа)']}» стоит "
                    f"число {school} — пропущено."
                )
            name = region if level == "region" and region else _flat(label)
            _form_totals(cells, layout, by_subject, sheet_year, level, name, whole_metric,
                         parsed)
            continue
        if mun and (school == "" or school_is_number):
            current_mun = mun
            _form_totals(cells, layout, by_subject, sheet_year, "municipality", mun, whole_metric,
                         parsed)
            continue
        if mun:
            current_mun = mun
        school_rows += 1
        if not current_mun:
            cells.fail("required", "Не указано муниципальное образование школы. Заполните его "
                       "(или строку-подытог муниципалитета над школами).",
                       layout.titles["Муниципальное образование"], "")
            continue
        key = (current_mun, school)
        if key in seen:
            cells.fail("duplicate", f"Эта школа уже есть в строке {seen[key]}. Удалите лишнюю "
                       "строку.", layout.titles["Образовательная организация (школа)"], school)
            continue
        seen[key] = cells.row
        profile = cells.text(layout.profile_col)
        if profile.lower() in NO_PROFILE:
            profile = ""
        sink = _Sink(OrgRef(name=school, municipality=current_mun, region=region), sheet_year,
                     profile, sheet.name, cells.row)
        if layout.graduates_col is not None:
            graduates = cells.count(layout.graduates_col, graduates_label)
            if graduates is not None or cells.text(layout.graduates_col) == "":
                sink.add("", whole_metric, float(graduates or 0), None, None, graduates_label)
        else:
            graduates = None
        for subject, metrics in by_subject.items():
            _school_subject(cells, subject, metrics, count_metric, graduates, sink,
                            over_graduates, missing_means)
            _track_sums(cells, subject, metrics, sums_seen)
        parsed.records.extend(sink.records)
    for (subject, metric), (equal, nonzero) in sums_seen.items():
        if nonzero >= FORMULA_MIN_ROWS and equal == nonzero:
            column = by_subject[subject][metric]
            problems.add(
                "formula_column",
                "Во всех заполненных строках этот столбец равен сумме предыдущих столбцов блока "
                f"предмета ({nonzero} строк) — похоже, в нём формула суммы вместо данных. "
                "Исправьте столбец.",
                sheet=sheet.name,
                row=column.header_row,
                column=column.title,
            )
    if over_graduates:
        parsed.warnings.append(
            f"Лист «{sheet.name}»: в {len(over_graduates)} строках участников по предмету больше, "
            f"чем выпускников, принявших участие в ЕГЭ (например, {over_graduates[0]}). "
            "Проверьте файл."
        )
    if missing_means:
        parsed.warnings.append(
            f"Лист «{sheet.name}»: есть участники, но не указан средний балл "
            f"({len(missing_means)}; например, {missing_means[0]}) — средний балл не загружен."
        )
    if school_rows == 0:
        problems.add("no_data", "На листе нет строк школ. Заполните таблицу.", sheet=sheet.name,
                     row=layout.data_start + 1)


@dataclass
class _Sink:
    """Collects the records of one school row; a cell with a problem adds no record."""

    org: OrgRef
    year: int
    profile: str
    sheet: str
    row: int
    records: list[AggregateRecord] = field(default_factory=list)

    def add(self, subject: str, metric: str, value: float | None, numerator: float | None,
            denominator: float | None, title: str) -> None:
        self.records.append(AggregateRecord(
            org=self.org, year=self.year, procedure=EGE, subject=subject, grade=EGE_GRADE,
            metric=metric, numerator=numerator, denominator=denominator, value=value,
            where=Where(sheet=self.sheet, row=self.row, column=title), profile=self.profile,
        ))


def _school_subject(
    cells: _Cells,
    subject: str,
    metrics: dict[str, _FormColumn],
    count_metric: str,
    graduates: int | None,
    sink: _Sink,
    over_graduates: list[str],
    missing_means: list[str],
) -> None:
    base = metrics.get(count_metric) or metrics.get("participants")
    if base is None:
        return
    participants = cells.count(base.col, base.title)
    if participants is None and cells.text(base.col) != "":
        return
    people = participants or 0
    sink.add(subject, base.metric or count_metric, float(people), None, None, base.title)
    if graduates is not None and people > graduates:
        over_graduates.append(f"строка {cells.row}: {_label(subject)} {people} > {graduates}")
    for metric in ("below_min", "high_80_99", "score_100"):
        column = metrics.get(metric)
        if column is None:
            continue
        value = cells.count(column.col, column.title)
        if subject in MARK_SUBJECTS and metric in _NOT_FOR_MARKS:
            if value:
                cells.fail("not_applicable", "Для базовой математики (отметка по 5-балльной "
                           "шкале) высокобалльников и 100 баллов не бывает. Очистите ячейку.",
                           column.title, cells.text(column.col))
            continue
        if value is not None and value > people:
            cells.fail("count_exceeds_participants",
                       f"Число больше числа участников по предмету ({people}). Исправьте "
                       "значение.", column.title, cells.text(column.col))
            continue
        if people > 0:
            sink.add(subject, metric, float(value or 0), float(value or 0), float(people),
                     column.title)
    for metric in ("mean_score", "mean_mark"):
        column = metrics.get(metric)
        if column is None:
            continue
        mean = cells.number(column.col, column.title)
        if people == 0:
            if mean:
                cells.fail("mean_without_participants", "Указан средний балл, но нет участников "
                           "по предмету. Исправьте число участников или средний балл.",
                           column.title, cells.text(column.col))
            continue
        if mean is None:
            if cells.text(column.col) == "":
                missing_means.append(f"строка {cells.row}: {_label(subject)}")
                sink.add(subject, metric, None, None, float(people), column.title)
            continue
        low, high = (2.0, 5.0) if metric == "mean_mark" else (0.0, 100.0)
        if not low <= mean <= high:
            cells.fail("out_of_range", f"Средний балл должен быть от {low:g} до {high:g}. "
                       "Исправьте значение.", column.title, cells.text(column.col))
            continue
        sink.add(subject, metric, mean, None, float(people), column.title)


def _track_sums(
    cells: _Cells,
    subject: str,
    metrics: dict[str, _FormColumn],
    sums_seen: dict[tuple[str, str], list[int]],
) -> None:
    """Count rows where a part column equals participants plus the parts before it.

    The real Забайкальский 2023 sheet has «Химия — получили 100 баллов» = приняло участие +
    не преодолен + высокобалльники in every row: a SUM formula pasted over the data.
    """
    base = metrics.get("participants")
    if base is None:
        return
    running = _quiet_number(cells, base.col)
    for metric in ("below_min", "high_80_99", "score_100"):
        column = metrics.get(metric)
        if column is None:
            continue
        value = _quiet_number(cells, column.col)
        if value:
            stats = sums_seen[(subject, metric)]
            stats[1] += 1
            if running and value == running:
                stats[0] += 1
        running += value


def _quiet_number(cells: _Cells, col: int) -> float:
    raw = cells.cells[col] if col < len(cells.cells) else None
    try:
        return to_number(raw) or 0.0
    except ValueError:
        return 0.0


def _form_totals(
    cells: _Cells,
    layout: _FormLayout,
    by_subject: dict[str, dict[str, _FormColumn]],
    year: int,
    level: str,
    name: str,
    whole_metric: str,
    parsed: Parsed[AggregateRecord],
) -> None:
    def total(subject: str, metric: str, value: float | None, title: str) -> None:
        parsed.totals.append(TotalRecord(
            level=level, name=name, year=year, procedure=EGE, subject=subject, metric=metric,
            value=value, where=Where(sheet=cells.sheet.name, row=cells.row, column=title),
        ))

    if layout.graduates_col is not None:
        title = _flat(cell_text(cells.sheet.rows[layout.header][layout.graduates_col]))
        total("", whole_metric, cells.number(layout.graduates_col, title), title)
    for subject, metrics in by_subject.items():
        for metric, column in metrics.items():
            value = cells.number(column.col, column.title)
            if subject in MARK_SUBJECTS and metric in _NOT_FOR_MARKS and not value:
                continue
            total(subject, metric, value, column.title)


def check_totals(
    records: Sequence[AggregateRecord], totals: Sequence[TotalRecord]
) -> list[str]:
    """Compare total and subtotal rows with the school rows (Russian warnings).

    Counts must be equal (an empty total cell counts as 0); a mean must equal the
    participant-weighted mean of the schools within :data:`MEAN_TOLERANCE`.
    """
    sums: dict[tuple[str, int, str, str, str], float] = defaultdict(float)
    weights: dict[tuple[str, int, str, str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for record in records:
        for area in ("", record.org.municipality):
            key = (record.where.sheet, record.year, area, record.subject, record.metric)
            if record.metric in COUNT_METRICS:
                sums[key] += record.value or 0
            elif record.metric in MEAN_METRICS and record.value is not None:
                weight = record.denominator or 0
                weights[key][0] += weight
                weights[key][1] += weight * record.value
    warnings: list[str] = []
    for total in totals:
        area = "" if total.level == "region" else total.name
        key = (total.where.sheet, total.year, area, total.subject, total.metric)
        label = (f"Лист «{total.where.sheet}», строка {total.where.row} («{total.name}»): "
                 f"{_label(total.subject)}, {_METRIC_TITLES.get(total.metric, total.metric)}")
        if total.metric in COUNT_METRICS:
            expected = sums.get(key, 0.0)
            if (total.value or 0) != expected:
                warnings.append(f"{label}: в файле {_fmt(total.value)}, сумма по школам "
                                f"{_fmt(expected)}.")
        elif total.metric in MEAN_METRICS:
            weight, weighted = weights.get(key, [0.0, 0.0])
            mean = weighted / weight if weight else None
            if mean is None:
                if total.value:
                    warnings.append(f"{label}: в файле {_fmt(total.value)}, а у школ нет "
                                    "участников.")
            elif total.value is None or abs(total.value - mean) > MEAN_TOLERANCE:
                warnings.append(f"{label}: в файле {_fmt(total.value)}, средний по школам "
                                f"(взвешенный по участникам) {_fmt(mean)}.")
    return warnings


def _fmt(value: float | None) -> str:
    if value is None:
        return "пусто"
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".replace(".", ",")


# --------------------------------------------------------------------------------------------
# ege_open_data — Moscow «Результаты ЕГЭ» (data.mos.ru)
# --------------------------------------------------------------------------------------------

OPEN_DATA_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("EDU_NAME", ("Полное наименование образовательной организации",
                            "Наименование образовательной организации")),
    ColumnSpec("OGRN", ("ОГРН",)),
    ColumnSpec("AdmArea", ("Административный округ",)),
    ColumnSpec("District", ("Район",), required=False, ignored=True),
    ColumnSpec("PASSED_NUMBER_FULL", ("Количество выпускников, сдававших ЕГЭ",)),
    ColumnSpec("PASSES_OVER_220", ("Количество выпускников, набравших 220 баллов и более",)),
    ColumnSpec("PASSER_UNDER_160", ("PASSES_OVER_160",
                                    "Количество выпускников, набравших 160 баллов и более")),
    ColumnSpec("YEAR", ("Учебный год",)),
    ColumnSpec("signature_date", (), required=False, ignored=True),
    ColumnSpec("system_object_id", (), required=False, ignored=True),
    ColumnSpec("global_id", (), required=False, ignored=True),
    ColumnSpec("ID", (), required=False, ignored=True),
    ColumnSpec("LINK", (), required=False, ignored=True),
)
OPEN_DATA_SIGNATURE = {"EDU_NAME", "PASSED_NUMBER_FULL", "PASSES_OVER_220"}


def looks_like_ege_open_data(sheets: list[Sheet]) -> bool:
    return looks_like_flat(sheets, OPEN_DATA_COLUMNS, OPEN_DATA_SIGNATURE)


def _school_year_end(text: str) -> int | None:
    """«2015-2016» / «2015/2016» → 2016; «2016» → 2016."""
    match = re.fullmatch(r"((?:19|20)\d\d)\s*[-/–]\s*((?:19|20)\d\d)", text)
    if match and int(match.group(2)) == int(match.group(1)) + 1:
        return int(match.group(2))
    match = re.fullmatch(r"(?:19|20)\d\d", text)
    return int(text) if match else None


def parse_ege_open_data(
    sheets: list[Sheet],
    *,
    file_name: str,
    year: int | None = None,
    mapping: dict[str, str] | None = None,
) -> Parsed[AggregateRecord]:
    """Moscow open data «Результаты ЕГЭ»: graduates, 160+ and 220+ over three subjects."""
    parsed: Parsed[AggregateRecord] = Parsed("ege_open_data", problems=ProblemList(file_name))
    tables = open_flat_tables(sheets, OPEN_DATA_COLUMNS, parsed,
                              kind_name="открытые данные «Результаты ЕГЭ»", mapping=mapping)
    seen = Duplicates("школа с этим ОГРН в этом году")
    for table in tables:
        for row in table.rows():
            name = row.required_text("EDU_NAME")
            ogrn = row.required_text("OGRN")
            area = row.required_text("AdmArea")
            graduates = row.integer("PASSED_NUMBER_FULL", required=True, minimum=0)
            over_220 = row.integer("PASSES_OVER_220", required=True, minimum=0)
            over_160 = row.integer("PASSER_UNDER_160", required=True, minimum=0)
            year_text = row.text("YEAR")
            row_year = _school_year_end(year_text) if year_text else year
            if row_year is None:
                if year_text:
                    row.problem("bad_school_year", "Учебный год записывается как «2015-2016».",
                                "YEAR", year_text)
                else:
                    row.problem("year_missing", "Не указан учебный год: заполните столбец "
                                "YEAR или укажите год при загрузке.", "YEAR")
            if ogrn is not None and not re.fullmatch(r"\d{13}", ogrn):
                row.problem("bad_format", "ОГРН должен состоять из 13 цифр.", "OGRN", ogrn)
            if None not in (graduates, over_220, over_160):
                assert graduates is not None and over_220 is not None and over_160 is not None
                if over_220 > over_160:
                    row.problem(
                        "inconsistent_counts",
                        f"Набравших 220+ баллов ({over_220}) больше, чем набравших 160+ "
                        f"({over_160}): должно быть 220+ ≤ 160+ ≤ всего выпускников.",
                        "PASSES_OVER_220", row.text("PASSES_OVER_220"),
                    )
                elif over_160 > graduates:
                    row.problem(
                        "inconsistent_counts",
                        f"Набравших 160+ баллов ({over_160}) больше, чем выпускников "
                        f"({graduates}): должно быть 220+ ≤ 160+ ≤ всего выпускников.",
                        "PASSER_UNDER_160", row.text("PASSER_UNDER_160"),
                    )
            if ogrn is not None and row_year is not None:
                seen.check(row, (ogrn, row_year), "OGRN", ogrn)
            if row.failed or None in (name, ogrn, area, graduates, over_220, over_160, row_year):
                continue
            assert name is not None and ogrn is not None and area is not None
            assert graduates is not None and over_220 is not None and over_160 is not None
            assert row_year is not None
            org = OrgRef(ogrn=ogrn, name=name, municipality=area, region=MOSCOW_REGION)
            for metric, value, title in (
                ("graduates", graduates, "PASSED_NUMBER_FULL"),
                ("total_220_plus", over_220, "PASSES_OVER_220"),
                ("total_160_plus", over_160, "PASSER_UNDER_160"),
            ):
                part = metric != "graduates"
                parsed.records.append(AggregateRecord(
                    org=org, year=row_year, procedure=EGE, subject="", grade=EGE_GRADE,
                    metric=metric, numerator=float(value) if part else None,
                    denominator=float(graduates) if part else None, value=float(value),
                    where=row.where(title),
                ))
    return parsed


PARSERS: dict[str, tuple[Recogniser, ParserFunction]] = {
    "aggregate_shares": (looks_like_aggregate_shares, parse_aggregate_shares),
    "ege_by_school": (looks_like_ege_by_school, parse_ege_by_school),
    "ege_open_data": (looks_like_ege_open_data, parse_ege_open_data),
}

__all__ = [
    "PARSERS",
    "check_totals",
    "looks_like_aggregate_shares",
    "looks_like_ege_by_school",
    "looks_like_ege_open_data",
    "parse_aggregate_shares",
    "parse_ege_by_school",
    "parse_ege_open_data",
    "parse_group",
]
