"""Facts about pupils and procedures (docs/formats.md): journal marks, olympiads, medals, observers.

Russian values are mapped to codes by the vocabularies below; anything else is the problem
``unknown_value`` listing the allowed values. The year of a row comes from the «Год» column,
else the ``year`` argument, else a year in the file name (``journal_2025.csv``); with none of
them the file gets ``year_missing``.

Rules: ``required``, ``not_a_number``, ``not_an_integer``, ``mark_out_of_range``,
``out_of_range``, ``negative_value``, ``unknown_value``, ``unknown_subject`` (only when a set of
subject codes is given), ``bad_date``, ``year_missing``, ``duplicate`` plus the header rules of
:func:`soko.imports.parsing.registry_files.open_flat_tables`.
"""

from __future__ import annotations

import re
from functools import lru_cache

from soko.imports.parsing.names import ColumnSpec
from soko.imports.parsing.problems import ProblemList
from soko.imports.parsing.records import (
    JournalMarkRecord,
    MedalRecord,
    ObserverRecord,
    OlympiadRecord,
    OrgRef,
    Parsed,
)
from soko.imports.parsing.registry_files import (
    Duplicates,
    ParserFunction,
    Recogniser,
    RowReader,
    YearSource,
    looks_like_flat,
    open_flat_tables,
    report_year_missing,
)
from soko.imports.parsing.tables import Sheet

# --------------------------------------------------------------------------------------------
# Vocabularies (keys normalised by registry_files.value_key: lower case, «ё» → «е»)
# --------------------------------------------------------------------------------------------

PERIODS: dict[str, str] = {
    "1 четверть": "t1",
    "2 четверть": "t2",
    "3 четверть": "t3",
    "4 четверть": "t4",
    "i четверть": "t1",
    "ii четверть": "t2",
    "iii четверть": "t3",
    "iv четверть": "t4",
    "1-я четверть": "t1",
    "2-я четверть": "t2",
    "3-я четверть": "t3",
    "4-я четверть": "t4",
    "1 полугодие": "h1",
    "2 полугодие": "h2",
    "i полугодие": "h1",
    "ii полугодие": "h2",
    "1-е полугодие": "h1",
    "2-е полугодие": "h2",
    "год": "year",
    "годовая": "year",
    "за год": "year",
    "годовая отметка": "year",
}
PERIOD_DISPLAY = ("1 четверть", "2 четверть", "3 четверть", "4 четверть", "1 полугодие",
                  "2 полугодие", "год")
STAGES: dict[str, str] = {
    "школьный": "school",
    "муниципальный": "municipal",
    "региональный": "regional",
    "заключительный": "final",
}
STATUSES: dict[str, str] = {
    "участник": "participant",
    "призер": "prize",
    "победитель": "winner",
}
STATUS_DISPLAY = ("участник", "призёр", "победитель")
MEDALS: dict[str, str] = {
    "i степени": "I",
    "ii степени": "II",
    "1 степени": "I",
    "2 степени": "II",
    "золотая": "I",
    "серебряная": "II",
    "медаль за особые успехи в учении i степени": "I",
    "медаль за особые успехи в учении ii степени": "II",
    "за особые успехи в учении i степени": "I",
    "за особые успехи в учении ii степени": "II",
}
MEDAL_DISPLAY = ("I степени", "II степени", "золотая", "серебряная")
OBSERVER_KINDS: dict[str, str] = {
    "общественное": "public",
    "независимое": "independent",
    "онлайн": "online",
    "онлайн-наблюдение": "online",
}
OBSERVER_KIND_DISPLAY = ("общественное", "независимое", "онлайн")
#: Procedure codes as in soko/catalog/data/procedures.yaml (upper-cased keys → code).
PROCEDURES: dict[str, str] = {
    code.lower(): code
    for code in (
        "ВПР", "ОГЭ", "ГВЭ-9", "ЕГЭ", "ГВЭ-11", "НИКО", "РОП", "МОП", "ФГ", "PISA", "TIMSS",
        "PIRLS", "ВсОШ-Ш", "ВсОШ-М", "ВсОШ-Р", "ВсОШ-З", "СОЧ", "СОБ",
    )
}

# --------------------------------------------------------------------------------------------
# Columns
# --------------------------------------------------------------------------------------------

_LOGIN = ColumnSpec("Логин ОО", ("Логин", "Код ОО", "ОО"))
_STUDENT = ColumnSpec("Код обучающегося", ("Код участника", "Код"))
_YEAR = ColumnSpec("Год", (), required=False)

JOURNAL_COLUMNS: tuple[ColumnSpec, ...] = (
    _LOGIN,
    _STUDENT,
    ColumnSpec("Класс", (), required=False),
    ColumnSpec("Предмет", ()),
    ColumnSpec("Период", ("Учебный период", "Четверть/полугодие")),
    ColumnSpec("Отметка", ("Оценка",)),
    _YEAR,
)
OLYMPIAD_COLUMNS: tuple[ColumnSpec, ...] = (
    _LOGIN,
    _STUDENT,
    ColumnSpec("Этап", ("Этап олимпиады",)),
    ColumnSpec("Предмет", ()),
    ColumnSpec("Класс", ("Класс участия",), required=False),
    ColumnSpec("Статус", ("Статус участника", "Результат")),
    ColumnSpec("Балл", ("Баллы", "Набранный балл"), required=False),
    _YEAR,
)
MEDAL_COLUMNS: tuple[ColumnSpec, ...] = (
    _LOGIN,
    _STUDENT,
    ColumnSpec("Медаль", ("Степень медали",)),
    _YEAR,
)
OBSERVER_COLUMNS: tuple[ColumnSpec, ...] = (
    _LOGIN,
    ColumnSpec("Процедура", ("Оценочная процедура",)),
    ColumnSpec("Предмет", (), required=False),
    ColumnSpec("Класс", (), required=False),
    ColumnSpec("Дата", ("Дата проведения",), required=False),
    ColumnSpec("Число наблюдателей", ("Количество наблюдателей",)),
    ColumnSpec("Вид наблюдения", ()),
    ColumnSpec("Видеонаблюдение", (), required=False),
    _YEAR,
)

JOURNAL_SIGNATURE = {"Код обучающегося", "Период", "Отметка"}
OLYMPIAD_SIGNATURE = {"Этап", "Статус"}
MEDAL_SIGNATURE = {"Медаль", "Код обучающегося"}
OBSERVER_SIGNATURE = {"Процедура", "Число наблюдателей"}


def looks_like_journal_marks(sheets: list[Sheet]) -> bool:
    return looks_like_flat(sheets, JOURNAL_COLUMNS, JOURNAL_SIGNATURE)


def looks_like_olympiad(sheets: list[Sheet]) -> bool:
    return looks_like_flat(sheets, OLYMPIAD_COLUMNS, OLYMPIAD_SIGNATURE)


def looks_like_medals(sheets: list[Sheet]) -> bool:
    return looks_like_flat(sheets, MEDAL_COLUMNS, MEDAL_SIGNATURE)


def looks_like_observers(sheets: list[Sheet]) -> bool:
    return looks_like_flat(sheets, OBSERVER_COLUMNS, OBSERVER_SIGNATURE)


@lru_cache(maxsize=1024)
def _grade_of(label: str) -> int | None:
    match = re.match(r"\s*(\d{1,2})(?!\d)", label)
    return int(match.group(1)) if match else None


def _grade(row: RowReader, title: str) -> int | None:
    """A grade from «9» or «9А»; text without a leading grade is ``not_a_number``."""
    text = row.text(title)
    if text == "":
        return None
    grade = _grade_of(text)
    if grade is None or not 1 <= grade <= 11:
        row.problem(
            "not_a_number" if grade is None else "out_of_range",
            f"В столбце «{row.table.title(title)}» должен быть класс от 1 до 11 "
            "(например, 9 или 9А).",
            title,
            text,
        )
        return None
    return grade


def parse_journal_marks(
    sheets: list[Sheet],
    *,
    file_name: str,
    year: int | None = None,
    mapping: dict[str, str] | None = None,
    subject_codes: set[str] | None = None,
) -> Parsed[JournalMarkRecord]:
    """Journal marks: one row per pupil × subject × period, mark 1–5."""
    parsed: Parsed[JournalMarkRecord] = Parsed("journal_marks", problems=ProblemList(file_name))
    tables = open_flat_tables(sheets, JOURNAL_COLUMNS, parsed, kind_name="отметки из журнала",
                              mapping=mapping)
    seen = Duplicates("отметка этого обучающегося по этому предмету за этот период")
    for table in tables:
        years = YearSource(table.has("Год"), year, file_name)
        if years.missing_for_file():
            report_year_missing(parsed, table, "journal_2025.csv")
            continue
        for row in table.rows():
            org = row.required_text("Логин ОО")
            student = row.required_text("Код обучающегося")
            label = row.text("Класс")
            subject = row.subject("Предмет", subject_codes)
            period = row.choice("Период", PERIODS, display=PERIOD_DISPLAY)
            mark = _mark(row)
            row_year = years.of(row)
            if None not in (org, student, subject, period, row_year):
                seen.check(row, (str(org).lower(), student, subject, period, row_year),
                           "Код обучающегося", str(student))
            if row.failed or None in (org, student, subject, period, mark, row_year):
                continue
            assert org is not None and student is not None and subject is not None
            assert period is not None and mark is not None and row_year is not None
            parsed.records.append(
                JournalMarkRecord(
                    org=OrgRef(code=org),
                    year=row_year,
                    student_code=student,
                    class_label=label,
                    grade=_grade_of(label),
                    subject=subject,
                    period=period,
                    mark=mark,
                    where=row.where(),
                )
            )
    return parsed


def _mark(row: RowReader) -> int | None:
    value = row.number("Отметка", required=True)
    if value is None:
        return None
    if not float(value).is_integer() or not 1 <= value <= 5:
        row.problem(
            "mark_out_of_range",
            "Отметка должна быть целым числом от 1 до 5. Исправьте отметку.",
            "Отметка",
            row.text("Отметка"),
        )
        return None
    return int(value)


def parse_olympiad(
    sheets: list[Sheet],
    *,
    file_name: str,
    year: int | None = None,
    mapping: dict[str, str] | None = None,
    subject_codes: set[str] | None = None,
) -> Parsed[OlympiadRecord]:
    """Olympiad results (ВсОШ): one row per pupil × stage × subject."""
    parsed: Parsed[OlympiadRecord] = Parsed("olympiad", problems=ProblemList(file_name))
    tables = open_flat_tables(sheets, OLYMPIAD_COLUMNS, parsed, kind_name="результаты олимпиад",
                              mapping=mapping)
    seen = Duplicates("результат этого обучающегося на этом этапе по этому предмету")
    for table in tables:
        years = YearSource(table.has("Год"), year, file_name)
        if years.missing_for_file():
            report_year_missing(parsed, table, "olympiad_2025.csv")
            continue
        for row in table.rows():
            org = row.required_text("Логин ОО")
            student = row.required_text("Код обучающегося")
            stage = row.choice("Этап", STAGES)
            subject = row.subject("Предмет", subject_codes)
            grade = _grade(row, "Класс")
            status = row.choice("Статус", STATUSES, display=STATUS_DISPLAY)
            score = row.number("Балл", minimum=0)
            row_year = years.of(row)
            if None not in (org, student, stage, subject, row_year):
                seen.check(row, (str(org).lower(), student, stage, subject, row_year),
                           "Код обучающегося", str(student))
            if row.failed or None in (org, student, stage, subject, status, row_year):
                continue
            assert org is not None and student is not None and stage is not None
            assert subject is not None and status is not None and row_year is not None
            parsed.records.append(
                OlympiadRecord(
                    org=OrgRef(code=org),
                    year=row_year,
                    stage=stage,
                    subject=subject,
                    grade=grade,
                    student_code=student,
                    status=status,
                    score=score,
                    where=row.where(),
                )
            )
    return parsed


def parse_medals(
    sheets: list[Sheet],
    *,
    file_name: str,
    year: int | None = None,
    mapping: dict[str, str] | None = None,
) -> Parsed[MedalRecord]:
    """Medals «За особые успехи в учении»: one row per graduate; unique (pupil, year)."""
    parsed: Parsed[MedalRecord] = Parsed("medals", problems=ProblemList(file_name))
    tables = open_flat_tables(sheets, MEDAL_COLUMNS, parsed, kind_name="медали", mapping=mapping)
    seen = Duplicates("медаль этого обучающегося за этот год")
    for table in tables:
        years = YearSource(table.has("Год"), year, file_name)
        if years.missing_for_file():
            report_year_missing(parsed, table, "medals_2025.csv")
            continue
        for row in table.rows():
            org = row.required_text("Логин ОО")
            student = row.required_text("Код обучающегося")
            medal = row.choice("Медаль", MEDALS, display=MEDAL_DISPLAY)
            row_year = years.of(row)
            if student is not None and row_year is not None:
                seen.check(row, (student, row_year), "Код обучающегося", student)
            if row.failed or None in (org, student, medal, row_year):
                continue
            assert org is not None and student is not None
            assert medal is not None and row_year is not None
            parsed.records.append(
                MedalRecord(
                    org=OrgRef(code=org),
                    year=row_year,
                    student_code=student,
                    medal=medal,
                    where=row.where(),
                )
            )
    return parsed


def parse_observers(
    sheets: list[Sheet],
    *,
    file_name: str,
    year: int | None = None,
    mapping: dict[str, str] | None = None,
    subject_codes: set[str] | None = None,
) -> Parsed[ObserverRecord]:
    """Observers at procedures: one row per school × procedure (× subject × grade × date)."""
    parsed: Parsed[ObserverRecord] = Parsed("observers", problems=ProblemList(file_name))
    tables = open_flat_tables(sheets, OBSERVER_COLUMNS, parsed,
                              kind_name="общественное наблюдение", mapping=mapping)
    for table in tables:
        years = YearSource(table.has("Год"), year, file_name)
        if years.missing_for_file():
            report_year_missing(parsed, table, "observers_2025.csv")
            continue
        for row in table.rows():
            org = row.required_text("Логин ОО")
            procedure = row.choice("Процедура", PROCEDURES, display=tuple(PROCEDURES.values()))
            subject_text = row.text("Предмет")
            subject = (
                row.check_subject("Предмет", subject_text, subject_codes) if subject_text else ""
            )
            grade = _grade(row, "Класс")
            event_date = row.date_iso("Дата")
            observers = row.integer("Число наблюдателей", required=True, minimum=0)
            kind = row.choice("Вид наблюдения", OBSERVER_KINDS, display=OBSERVER_KIND_DISPLAY)
            video = row.boolean("Видеонаблюдение")
            row_year = years.of(row)
            if row.failed or None in (org, procedure, subject, observers, kind, row_year):
                continue
            assert org is not None and procedure is not None and subject is not None
            assert observers is not None and kind is not None and row_year is not None
            parsed.records.append(
                ObserverRecord(
                    org=OrgRef(code=org),
                    year=row_year,
                    procedure=procedure,
                    subject=subject,
                    grade=grade,
                    event_date=event_date,
                    observers=observers,
                    observer_kind=kind,
                    video=video,
                    where=row.where(),
                )
            )
    return parsed


PARSERS: dict[str, tuple[Recogniser, ParserFunction]] = {
    "journal_marks": (looks_like_journal_marks, parse_journal_marks),
    "olympiad": (looks_like_olympiad, parse_olympiad),
    "medals": (looks_like_medals, parse_medals),
    "observers": (looks_like_observers, parse_observers),
}
