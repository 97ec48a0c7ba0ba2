"""Journal marks, olympiads, medals, observers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from soko.imports.parsing.facts import (
    looks_like_journal_marks,
    looks_like_medals,
    looks_like_observers,
    looks_like_olympiad,
    parse_journal_marks,
    parse_medals,
    parse_observers,
    parse_olympiad,
)
from soko.imports.parsing.tables import Sheet

pytestmark = pytest.mark.core

JOURNAL = ["Логин ОО", "Код обучающегося", "Класс", "Предмет", "Период", "Отметка"]
OLYMPIAD = ["Логин ОО", "Код обучающегося", "Этап", "Предмет", "Класс", "Статус", "Балл", "Год"]
MEDALS = ["Логин ОО", "Код обучающегося", "Медаль", "Год"]
OBSERVERS = ["Логин ОО", "Процедура", "Предмет", "Класс", "Дата", "Число наблюдателей",
             "Вид наблюдения", "Видеонаблюдение", "Год"]


def sheets(header: list[str], *rows: list[Any]) -> list[Sheet]:
    return [Sheet(name="", rows=[list(header), *[list(r) for r in rows]])]


def rules(parsed: Any) -> list[tuple[str, int | None, str]]:
    return [(p.rule, p.row, p.column) for p in parsed.problems.items]


# ------------------------------------------------------------------------------ journal marks


def test_journal_periods_and_year_from_name() -> None:
    periods = ["1 четверть", "2 четверть", "3 четверть", "4 четверть", "1 полугодие",
               "2 полугодие", "год", "годовая", "II четверть", "Год"]
    data = [["sch1", f"1000{i}", "5А", "РУ", p, 4] for i, p in enumerate(periods)]
    parsed = parse_journal_marks(sheets(JOURNAL, *data), file_name="journal_2025.csv")
    assert rules(parsed) == []
    assert [r.period for r in parsed.records] == ["t1", "t2", "t3", "t4", "h1", "h2", "year",
                                                  "year", "t2", "year"]
    record = parsed.records[0]
    assert (record.year, record.grade, record.class_label, record.subject, record.mark) == (
        2025, 5, "5А", "РУ", 4)
    assert record.org.code == "sch1"
    assert (record.where.row, record.where.sheet) == (2, "")


def test_journal_year_sources() -> None:
    data = ["sch1", "10001", "5А", "МА", "год", 5]
    assert rules(parse_journal_marks(sheets(JOURNAL, data), file_name="journal.csv")) == [
        ("year_missing", 1, "Год")]
    parsed = parse_journal_marks(sheets(JOURNAL, data), file_name="journal.csv", year=2024)
    assert [r.year for r in parsed.records] == [2024]
    parsed = parse_journal_marks(sheets([*JOURNAL, "Год"], [*data, 2023]), file_name="j.csv",
                                 year=2024)
    assert [r.year for r in parsed.records] == [2023]


@pytest.mark.parametrize(
    ("mark", "rule"),
    [(7, "mark_out_of_range"), (0, "mark_out_of_range"), ("4,5", "mark_out_of_range"),
     ("н/а", "not_a_number"), ("", "required")],
)
def test_journal_mark_validation(mark: Any, rule: str) -> None:
    parsed = parse_journal_marks(
        sheets(JOURNAL, ["sch1", "10001", "5А", "РУ", "1 четверть", 4],
               ["sch1", "10002", "5А", "РУ", "1 четверть", mark]),
        file_name="journal_2025.csv",
    )
    assert rules(parsed) == [(rule, 3, "Отметка")]
    assert len(parsed.records) == 1


def test_journal_subject_names_and_codes() -> None:
    data = [["sch1", "1", "9Б", "Математика", "год", 5], ["sch1", "1", "9Б", "ру", "год", 5]]
    parsed = parse_journal_marks(sheets(JOURNAL, *data), file_name="journal_2025.csv")
    assert [r.subject for r in parsed.records] == ["МА", "РУ"]
    parsed = parse_journal_marks(sheets(JOURNAL, *data), file_name="journal_2025.csv",
                                 subject_codes={"РУ"})
    assert rules(parsed) == [("unknown_subject", 2, "Предмет")]


def test_journal_synonyms_and_unknown_column() -> None:
    header = ["ОО", "Код участника", "Класс", "Предмет", "Период", "Оценка", "Комментарий"]
    parsed = parse_journal_marks(sheets(header, ["sch1", "7", "5А", "РУ", "год", 3, "—"]),
                                 file_name="journal_2025.csv")
    assert rules(parsed) == []
    assert parsed.warnings == ["неизвестный столбец «Комментарий» пропущен."]
    assert [(r.student_code, r.mark) for r in parsed.records] == [("7", 3)]


def test_journal_missing_column_and_mapping() -> None:
    header = ["Логин ОО", "Код обучающегося", "Предмет", "Период", "Балл"]
    data = ["sch1", "7", "РУ", "год", 3]
    parsed = parse_journal_marks(sheets(header, data), file_name="journal_2025.csv")
    assert rules(parsed) == [("missing_column", 1, "Отметка")]
    assert "«Отметка»" in parsed.problems.items[0].message
    parsed = parse_journal_marks(sheets(header, data), file_name="journal_2025.csv",
                                 mapping={"Балл": "Отметка"})
    assert rules(parsed) == []
    assert parsed.records[0].mark == 3
    assert parsed.records[0].class_label == "" and parsed.records[0].grade is None


# ------------------------------------------------------------------------------ olympiads


def test_olympiad_values() -> None:
    data = [
        ["sch1", "1", "школьный", "МА", 9, "участник", "12,5", 2025],
        ["sch1", "1", "муниципальный", "МА", "9", "призёр", 30, 2025],
        ["sch1", "1", "региональный", "МА", "9А", "призер", "", 2025],
        ["sch1", "1", "Заключительный", "МА", 9, "Победитель", 88, 2025],
    ]
    parsed = parse_olympiad(sheets(OLYMPIAD, *data), file_name="olympiad_2025.csv")
    assert rules(parsed) == []
    assert [(r.stage, r.status, r.score, r.grade) for r in parsed.records] == [
        ("school", "participant", 12.5, 9), ("municipal", "prize", 30.0, 9),
        ("regional", "prize", None, 9), ("final", "winner", 88.0, 9)]


def test_olympiad_problems() -> None:
    data = [
        ["sch1", "1", "школьный", "МА", 9, "лауреат", 10, 2025],
        ["sch1", "2", "окружной", "МА", 9, "участник", 10, 2025],
        ["sch1", "3", "школьный", "МА", 9, "участник", "много", 2025],
        ["sch1", "4", "школьный", "МА", 9, "участник", 10, 2025],
        ["sch1", "4", "школьный", "МА", 9, "участник", 11, 2025],
        ["sch1", "5", "школьный", "МА", 9, "участник", 10, ""],
    ]
    parsed = parse_olympiad(sheets(OLYMPIAD, *data), file_name="olympiad.csv")
    assert rules(parsed) == [
        ("unknown_value", 2, "Статус"), ("unknown_value", 3, "Этап"),
        ("not_a_number", 4, "Балл"), ("duplicate", 6, "Код обучающегося"),
        ("year_missing", 7, "Год"),
    ]
    message = parsed.problems.items[0].message
    assert "«участник», «призёр», «победитель»" in message
    assert parsed.problems.items[3].message.startswith("Повтор:")
    assert "строке 5" in parsed.problems.items[3].message


# ------------------------------------------------------------------------------ medals


def test_medals() -> None:
    data = [["sch1", "1", "I степени", 2025], ["sch1", "2", "II степени", 2025],
            ["sch1", "3", "золотая", 2025], ["sch1", "4", "Серебряная", 2025]]
    parsed = parse_medals(sheets(MEDALS, *data), file_name="medals.csv")
    assert rules(parsed) == []
    assert [r.medal for r in parsed.records] == ["I", "II", "I", "II"]
    bad = parse_medals(sheets(MEDALS, ["sch1", "1", "", 2025]), file_name="m.csv")
    assert rules(bad) == [("required", 2, "Медаль")]
    dup = parse_medals(sheets(MEDALS, ["sch1", "1", "I степени", 2025],
                              ["sch2", "1", "II степени", 2025]), file_name="m.csv")
    assert rules(dup) == [("duplicate", 3, "Код обучающегося")]


# ------------------------------------------------------------------------------ observers


def test_observers_values() -> None:
    data = [
        ["sch1", "ВПР", "РУ", 5, "15.04.2025", 2, "общественное", "да", 2025],
        ["sch1", "огэ", "МА", "9", "2025-05-20", 1, "независимое", "нет", 2025],
        ["sch2", "ЕГЭ", "", "", datetime(2025, 6, 1), 0, "онлайн", 1, 2025],
        ["sch2", "ВПР", "МА", 4, "", 1, "Онлайн", "", 2025],
    ]
    parsed = parse_observers(sheets(OBSERVERS, *data), file_name="observers_2025.csv")
    assert rules(parsed) == []
    assert [(r.procedure, r.subject, r.grade, r.event_date, r.observers, r.observer_kind, r.video)
            for r in parsed.records] == [
        ("ВПР", "РУ", 5, "2025-04-15", 2, "public", True),
        ("ОГЭ", "МА", 9, "2025-05-20", 1, "independent", False),
        ("ЕГЭ", "", None, "2025-06-01", 0, "online", True),
        ("ВПР", "МА", 4, None, 1, "online", None),
    ]


def test_observers_problems() -> None:
    data = [
        ["sch1", "ВПР", "РУ", 5, "31.02.2025", 2, "общественное", "да", 2025],
        ["sch1", "ВПР", "РУ", 5, "15.04.2025", -1, "общественное", "да", 2025],
        ["sch1", "ВПР", "РУ", 5, "15.04.2025", 1, "родительское", "да", 2025],
        ["sch1", "ВПР", "РУ", 5, "15.04.2025", 1, "общественное", "иногда", 2025],
        ["sch1", "КДР", "РУ", 5, "15.04.2025", 1, "общественное", "да", 2025],
    ]
    parsed = parse_observers(sheets(OBSERVERS, *data), file_name="observers.csv")
    assert rules(parsed) == [
        ("bad_date", 2, "Дата"), ("negative_value", 3, "Число наблюдателей"),
        ("unknown_value", 4, "Вид наблюдения"), ("unknown_value", 5, "Видеонаблюдение"),
        ("unknown_value", 6, "Процедура"),
    ]
    header = [h for h in OBSERVERS if h != "Год"]
    parsed = parse_observers(sheets(header, data[0][:-1]), file_name="observers.csv")
    assert rules(parsed) == [("year_missing", 1, "Год")]
    assert "observers_2025.csv" in parsed.problems.items[0].message


# ------------------------------------------------------------------------------ recognisers


def test_recognisers() -> None:
    samples = {
        "journal": sheets(JOURNAL), "olympiad": sheets(OLYMPIAD), "medals": sheets(MEDALS),
        "observers": sheets(OBSERVERS),
    }
    recognisers = {
        "journal": looks_like_journal_marks, "olympiad": looks_like_olympiad,
        "medals": looks_like_medals, "observers": looks_like_observers,
    }
    for name, sample in samples.items():
        assert [k for k, f in recognisers.items() if f(sample)] == [name]
