"""Registry files, the flat-table reader, bad files, recognisers and robustness of all parsers."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from soko.imports.parsing import aggregates, facts, lists, registry_files
from soko.imports.parsing.problems import ImportRejected, Problem
from soko.imports.parsing.registry_files import (
    parse_classes,
    parse_date,
    parse_organizations,
    parse_social_context,
    parse_students,
    parse_teachers,
    year_from_file_name,
)
from soko.imports.parsing.tables import Sheet, read_any

pytestmark = pytest.mark.core

DATA = Path(__file__).resolve().parents[2] / "data"
BAD = DATA / "bad"
REAL = DATA / "realdata"

PARSERS: dict[str, Any] = {}
for _module in (aggregates, lists, facts, registry_files):
    PARSERS.update(_module.PARSERS)


def sheets(header: list[str], *rows: list[Any]) -> list[Sheet]:
    return [Sheet(name="", rows=[list(header), *[list(r) for r in rows]])]


def rules(parsed: Any) -> list[tuple[str, int | None, str]]:
    return [(p.rule, p.row, p.column) for p in parsed.problems.items]


# ------------------------------------------------------------------------------ formats.md

ORGANIZATIONS = ["Логин", "Полное наименование", "Краткое наименование", "Муниципалитет",
                 "Код муниципалитета", "Регион", "Код региона", "Вид", "Тип", "Местность",
                 "Углублённое изучение", "Руководитель", "ИНН"]
TEACHERS = ["Логин ОО", "Код педагога", "Предметы", "Категория", "Стаж", "Год рождения"]
CLASSES = ["Логин ОО", "Учебный год", "Параллель", "Класс", "Профиль", "Предмет", "Код педагога"]
STUDENTS = ["Логин ОО", "Код обучающегося", "Год рождения", "Пол", "ОВЗ", "Учебный год", "Класс"]
SOCIAL = ["Логин ОО", "Год", "Численность обучающихся", "Из малоимущих семей",
          "Из неполных семей", "Оба родителя с высшим образованием", "Русский язык не родной",
          "С ОВЗ", "На учёте КДН/ПДН", "Вакансии педагогов", "Вторая смена", "Удалённость, км"]

#: One sheet per file kind of docs/formats.md (header + a row), results included.
FORMAT_SAMPLES: dict[str, list[Sheet]] = {
    "organizations": sheets(ORGANIZATIONS, ["sch900001", "МБОУ «СОШ № 1»", "СОШ № 1", "Город",
                                            "90401", "Область", "90", "школа", "СОШ",
                                            "городская", "МА,ФИ", "Иванова А. П.",
                                            "9001000011"]),
    "teachers": sheets(TEACHERS, ["sch900001", "T1", "РУ,ЛИ", "высшая", 20, 1980]),
    "classes": sheets(CLASSES, ["sch900001", "2024/2025", 5, "5А", "", "РУ", "T1"]),
    "students": sheets(STUDENTS, ["sch900001", "10001", 2014, "м", "нет", "2024/2025", "5А"]),
    "social_context": sheets(SOCIAL, ["sch900001", 2025, 800, 90, 150, 200, 10, 20, 3, 1, "нет",
                                      0]),
    "journal_marks": sheets(["Логин ОО", "Код обучающегося", "Класс", "Предмет", "Период",
                             "Отметка"], ["sch900001", "10001", "5А", "РУ", "год", 5]),
    "olympiad": sheets(["Логин ОО", "Код обучающегося", "Этап", "Предмет", "Класс", "Статус",
                        "Балл", "Год"], ["sch900001", "10001", "школьный", "МА", 9, "призёр",
                                         30, 2025]),
    "medals": sheets(["Логин ОО", "Код обучающегося", "Медаль", "Год"],
                     ["sch900001", "10001", "I степени", 2025]),
    "observers": sheets(["Логин ОО", "Процедура", "Предмет", "Класс", "Дата",
                         "Число наблюдателей", "Вид наблюдения", "Видеонаблюдение", "Год"],
                        ["sch900001", "ВПР", "РУ", 5, "15.04.2025", 1, "общественное", "да",
                         2025]),
    "vpr_results": [Sheet(name="Индивидуальные результаты", rows=[
        ["ВПР 2025 Математика 5 класс"], ["Максимальный первичный балл", 20],
        ["Кол-во участников: 1"], [],
        ["", "", "", "", "", "", "Б", "Б", "П"],
        ["ОО", "Муниципалитет", "Название ОО", "Код участника", "Класс", "Вариант",
         "1 (2б)", "2 (1б)", "9.1 (1б)", "Первичный балл", "Отметка", "Отметка по журналу"],
        ["sch900001", "Город", "МБОУ «СОШ № 1»", "10001", "5А", 1, 2, 1, 0, 3, 2, 3],
    ])],
    "oge_results": sheets(["Код участника", "Код ОО", "Предмет", "Класс", "Ответы части 1",
                           "20 (2б)", "21 (2б)", "Первичный балл", "Отметка"],
                          ["10001", "sch900001", "МА", "9А", "++-+", 2, 1, 6, 3]),
    "ege_results": sheets(["Код участника", "Код ОО", "Предмет", "Класс", "Ответы части 1",
                           "13 (2б)", "Первичный балл", "Тестовый балл"],
                          ["10001", "sch900001", "МАП", "11А", "++-+", 2, 6, 40]),
}
REAL_FILES: dict[str, str | None] = {
    "dagestan-vpr-objectivity-markers/bias.xlsx": "objectivity_list",
    "moscow-ege-2016/data-9722-2016-10-31.csv": "ege_open_data",
    "zabaikalsky-eao-ege-by-school/zabaikalsky-krai-ege-2022-2024.xlsx": "ege_by_school",
    "zabaikalsky-eao-ege-by-school/evreyskaya-ao-ege-2022-2024.xlsx": "ege_by_school",
    "vpr-collection-form/base_form.xlsx": None,
    "moscow-gia9-2015/moscow-gia9-2015.xlsx": None,
    **{f"protvino-lyceum2-self-report/{p.name}": None
       for p in sorted((REAL / "protvino-lyceum2-self-report").glob("*.csv"))},
    **{f"exam-scales/{p.name}": None for p in sorted((REAL / "exam-scales").glob("*.csv"))},
}


@pytest.mark.parametrize("kind", sorted(FORMAT_SAMPLES))
def test_recognisers_on_format_samples(kind: str) -> None:
    detected = [k for k, (looks_like, _) in PARSERS.items() if looks_like(FORMAT_SAMPLES[kind])]
    assert detected == ([kind] if kind in PARSERS else [])


@pytest.mark.parametrize("name", sorted(REAL_FILES))
def test_recognisers_on_real_files(name: str) -> None:
    found = read_any(REAL / name)
    detected = [k for k, (looks_like, _) in PARSERS.items() if looks_like(found)]
    expected = REAL_FILES[name]
    assert detected == ([expected] if expected else [])


@pytest.mark.parametrize("kind", sorted(k for k in FORMAT_SAMPLES if k in PARSERS))
def test_format_samples_parse_cleanly(kind: str) -> None:
    parsed = PARSERS[kind][1](FORMAT_SAMPLES[kind], file_name=f"{kind}_2025.csv")
    assert rules(parsed) == []
    assert parsed.warnings == []
    assert len(parsed.records) == 1
    assert parsed.kind == kind


# ------------------------------------------------------------------------------ bad files


def manifest_entries() -> list[dict[str, Any]]:
    entries = yaml.safe_load((BAD / "manifest.yaml").read_text(encoding="utf-8")) or []
    return [e for e in entries if e["kind"] in PARSERS]


def first_problems(path: Path, kind: str) -> tuple[list[Problem], int]:
    try:
        found = read_any(path)
    except ImportRejected as exc:
        return exc.problems, exc.total
    parsed = PARSERS[kind][1](found, file_name=path.name)
    return parsed.problems.items, parsed.problems.total


def test_enough_bad_files() -> None:
    entries = manifest_entries()
    assert len(entries) >= 25
    assert len({e["file"] for e in entries}) == len(entries)
    assert {e["kind"] for e in entries} == set(PARSERS)


@pytest.mark.parametrize("entry", manifest_entries(), ids=lambda e: e["file"])
def test_bad_file(entry: dict[str, Any]) -> None:
    path = BAD / entry["file"]
    assert path.exists()
    problems, total = first_problems(path, entry["kind"])
    assert problems, "the defect must be reported"
    first = problems[0]
    assert (first.rule, first.row, first.column) == (entry["rule"], entry["row"], entry["column"])
    assert total == 1, [p.text() for p in problems]  # exactly one defect per file
    assert first.file == entry["file"]
    assert first.message and first.message[0].isupper()


# ------------------------------------------------------------------------------ helpers


def test_year_from_file_name() -> None:
    assert year_from_file_name("journal_2025.csv") == 2025
    assert year_from_file_name("social_context_2024-2025.csv") == 2025
    assert year_from_file_name("observers.csv") is None
    assert year_from_file_name("data-9722-2016-10-31.csv") == 2016
    assert year_from_file_name("a_2019_2023.csv") is None


def test_parse_date() -> None:
    assert parse_date("15.04.2025") == date(2025, 4, 15)
    assert parse_date("2025-04-15") == date(2025, 4, 15)
    assert parse_date("31.02.2025") is None
    assert parse_date("апрель") is None


# ------------------------------------------------------------------------------ registry files


def test_organizations() -> None:
    parsed = parse_organizations(FORMAT_SAMPLES["organizations"], file_name="organizations.csv")
    record = parsed.records[0]
    assert (record.org.code, record.org.name, record.org.municipality, record.org.inn,
            record.org.region) == ("sch900001", "МБОУ «СОШ № 1»", "Город", "9001000011",
                                   "Область")
    assert (record.kind, record.org_type, record.settlement) == ("school", "СОШ", "urban")
    assert record.in_depth_subjects == ("МА", "ФИ")
    assert (record.municipality_code, record.region_code, record.short_name) == (
        "90401", "90", "СОШ № 1")
    row = ["sch2", "Школа", "", "Город", "", "", "", "ДОО", "сош с уиоп", "сельская", "", "", "12"]
    parsed = parse_organizations(sheets(ORGANIZATIONS, row), file_name="o.csv")
    assert rules(parsed) == [("bad_format", 2, "ИНН")]
    row[12] = ""
    parsed = parse_organizations(sheets(ORGANIZATIONS, row), file_name="o.csv")
    assert [(r.kind, r.org_type, r.settlement) for r in parsed.records] == [
        ("preschool", "СОШ с УИОП", "rural")]
    parsed = parse_organizations(sheets(ORGANIZATIONS, row), file_name="o.csv",
                                 subject_codes={"РУ"})
    assert rules(parsed) == []
    unknown = parse_organizations(sheets(ORGANIZATIONS, [*row[:9], "пригород", *row[10:]]),
                                  file_name="o.csv")
    assert rules(unknown) == [("unknown_value", 2, "Местность")]
    assert "«городская», «сельская»" in unknown.problems.items[0].message


def test_organizations_without_settlement_column() -> None:
    header = [h for h in ORGANIZATIONS if h != "Местность"]
    row = ["sch2", "Школа", "", "Город", "", "", "", "школа", "лицей", "", "", ""]
    parsed = parse_organizations(sheets(header, row), file_name="o.csv")
    assert rules(parsed) == []
    assert parsed.records[0].settlement == ""
    assert parsed.warnings == ["нет столбца «Местность»: тип местности ОО не будет заполнен."]


def test_teachers() -> None:
    data: list[list[Any]] = [
        ["sch1", "T1", "РУ, ЛИ", "Высшая", 20, 1980],
        ["sch1", "T2", "МА", "без категории", "", ""],
        ["sch1", "T3", "ФИ", "соответствие занимаемой должности", 80, 1950],
    ]
    parsed = parse_teachers(sheets(TEACHERS, *data), file_name="teachers.csv")
    assert rules(parsed) == [("out_of_range", 4, "Стаж")]
    assert [(r.code, r.subjects, r.category, r.experience_years, r.birth_year)
            for r in parsed.records] == [("T1", ("РУ", "ЛИ"), "highest", 20, 1980),
                                         ("T2", ("МА",), "none", None, None)]
    parsed = parse_teachers(sheets(TEACHERS, data[0]), file_name="t.csv", subject_codes={"РУ"})
    assert rules(parsed) == [("unknown_subject", 2, "Предметы")]
    assert "РУ" in parsed.problems.items[0].message


def test_classes() -> None:
    data = [["sch1", "2024/2025", 10, "10Б", "физико-математический", "ФИ", "T3"],
            ["sch1", "2024-2025", 10, "10Б", "", "МА", ""],
            ["sch1", "2024/2026", 10, "10Б", "", "РУ", "T1"],
            ["sch1", "2024/2025", 12, "12А", "", "РУ", "T1"]]
    parsed = parse_classes(sheets(CLASSES, *data), file_name="classes.csv")
    assert rules(parsed) == [("bad_school_year", 4, "Учебный год"),
                             ("out_of_range", 5, "Параллель")]
    assert [(r.year, r.grade, r.label, r.profile, r.subject, r.teacher_code)
            for r in parsed.records] == [
        (2025, 10, "10Б", "физико-математический", "ФИ", "T3"),
        (2025, 10, "10Б", "", "МА", "")]


def test_students() -> None:
    data: list[list[Any]] = [
        ["sch1", "10001", 2014, "м", "нет", "2024/2025", "5А"],
        ["sch1", "10001", 2014, "м", "нет", "2025/2026", "6А"],
        ["sch1", "10002", "", "Ж", "да", "2024/2025", "5А"],
        ["sch1", "10003", 2014, "ж", "", "2024/2025", "5А"],
    ]
    parsed = parse_students(sheets(STUDENTS, *data), file_name="students.csv")
    assert rules(parsed) == [("required", 5, "ОВЗ")]
    assert [(r.code, r.year, r.sex, r.has_disability, r.birth_year) for r in parsed.records] == [
        ("10001", 2025, "м", False, 2014), ("10001", 2026, "м", False, 2014),
        ("10002", 2025, "ж", True, None)]


def test_social_context() -> None:
    row = ["sch1", "", 800, 90, 150, "", 10, 20, 3, 1, "да", "12,5"]
    parsed = parse_social_context(sheets(SOCIAL, row), file_name="social_context_2024.csv")
    assert rules(parsed) == []
    record = parsed.records[0]
    assert (record.year, record.students_total, record.low_income, record.parents_higher_ed,
            record.second_shift, record.remoteness_km) == (2024, 800, 90, None, True, 12.5)
    over = [*row[:6], 801, *row[7:]]
    parsed = parse_social_context(sheets(SOCIAL, over), file_name="social_context_2024.csv")
    assert rules(parsed) == [("count_exceeds_total", 2, "Русский язык не родной")]
    assert "800" in parsed.problems.items[0].message
    no_year = parse_social_context(sheets(SOCIAL, row), file_name="social.csv")
    assert rules(no_year) == [("year_missing", 2, "Год")]


def test_flat_table_edge_cases() -> None:
    assert rules(parse_teachers([Sheet(name="", rows=[])], file_name="t.csv")) == [
        ("empty_file", None, "")]
    parsed = parse_teachers(sheets(["Что-то", "Ещё"], ["a", "b"]), file_name="t.csv")
    assert [p.rule for p in parsed.problems.items] == ["header_not_found"]
    # A title block above the header, an empty row inside the data, a second unrelated sheet.
    book = [Sheet(name="Педагоги", rows=[["Список педагогов"], [], TEACHERS,
                                         ["sch1", "T1", "РУ", "первая", 3, 1990], [],
                                         ["sch1", "T2", "МА", "первая", 4, 1991]]),
            Sheet(name="Справка", rows=[["Составил: Иванов"]])]
    parsed = parse_teachers(book, file_name="t.xlsx")
    assert rules(parsed) == []
    assert [(r.code, r.where.sheet, r.where.row) for r in parsed.records] == [
        ("T1", "Педагоги", 4), ("T2", "Педагоги", 6)]
    assert parsed.warnings == ["Лист «Справка» пропущен: в нём нет таблицы (список педагогов)."]
    twice = parse_teachers(sheets([*TEACHERS, "Категория"], ["sch1", "T1", "РУ", "первая", 3,
                                                            1990, "высшая"]), file_name="t.csv")
    assert rules(twice) == [("duplicate_column", 1, "Категория")]
    mapped = parse_teachers(sheets(TEACHERS, ["sch1", "T1", "РУ", "первая", 3, 1990]),
                            file_name="t.csv", mapping={"Нет такого": "Стаж"})
    assert rules(mapped) == [("bad_mapping", 1, "Нет такого")]


# ------------------------------------------------------------------------------ robustness

_cells = st.one_of(
    st.none(), st.integers(-5, 3000), st.floats(allow_nan=True, allow_infinity=False),
    st.sampled_from(["", "X", "х", "-", "да", "нет", "2024/2025", "1 четверть", "призёр",
                     "ВПР МА 5 2019", "% 2", "Логин ОО", "Код обучающегося", "Итого",
                     "Муниципальное образование", "Образовательная организация (школа)",
                     "Русский язык", "приняло участие", "средний балл", "4 РУ", "Год"]),
    st.text(max_size=6),
)
_grids = st.lists(st.lists(_cells, max_size=7), max_size=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grid=_grids, header_kind=st.sampled_from(sorted(PARSERS)), kind=st.sampled_from(
    sorted(PARSERS)))
def test_parsers_never_crash(grid: list[list[Any]], header_kind: str, kind: str) -> None:
    """Any grid, with or without a real header of some kind on top, gives a Parsed."""
    top = FORMAT_SAMPLES.get(header_kind)
    rows = ([*top[0].rows[:1]] if top else []) + grid
    parsed = PARSERS[kind][1]([Sheet(name="2023", rows=rows)], file_name="x_2024.csv")
    assert parsed.kind == kind
    for problem in parsed.problems.items:
        assert problem.rule and problem.message
