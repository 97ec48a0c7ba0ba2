"""The official list of schools with signs of non-objective ВПР results (Дагестан)."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from soko.imports.parsing.lists import (
    looks_like_objectivity_list,
    marker_column,
    parse_objectivity_list,
)
from soko.imports.parsing.names import normalize_org_name
from soko.imports.parsing.records import MarkerRecord, Parsed
from soko.imports.parsing.tables import Sheet, read_any

pytestmark = pytest.mark.core

BIAS = (Path(__file__).resolve().parents[2] / "data" / "realdata"
        / "dagestan-vpr-objectivity-markers" / "bias.xlsx")
HEADER = ["Год", "Логин", "Муниципалитет", "ОО", "4 РУ", "4 МА", "5 РУ", "5 МА",
          "Количество маркеров"]


@pytest.fixture(scope="module")
def bias() -> Parsed[MarkerRecord]:
    return parse_objectivity_list(read_any(BIAS), file_name=BIAS.name)


def test_recognised() -> None:
    assert looks_like_objectivity_list(read_any(BIAS))


def test_no_problems_and_duplicates_dropped(bias: Parsed[MarkerRecord]) -> None:
    assert not bias.problems
    assert len(bias.warnings) == 1
    assert "пропущено 148 строк, полностью повторяющих другие строки" in bias.warnings[0]
    assert "2024: 148" in bias.warnings[0]


def test_schools_per_year(bias: Parsed[MarkerRecord]) -> None:
    schools: dict[int, set[str]] = defaultdict(set)
    for record in bias.records:
        assert record.org.code is not None
        schools[record.year].add(record.org.code)
    # 599 data rows: 159 (2023) + 296 (2024, every row twice) + 144 (2025).
    assert {y: len(s) for y, s in schools.items()} == {2023: 159, 2024: 148, 2025: 144}
    rows = {(r.year, r.where.row) for r in bias.records}
    assert Counter(y for y, _ in rows) == {2023: 159, 2024: 148, 2025: 144}
    years_of: dict[str, set[int]] = defaultdict(set)
    for year, codes in schools.items():
        for code in codes:
            years_of[code].add(year)
    assert len(years_of) == 341
    assert sum(1 for y in years_of.values() if len(y) >= 2) == 93
    assert sum(1 for y in years_of.values() if len(y) == 3) == 17


def test_marker_counts(bias: Parsed[MarkerRecord]) -> None:
    assert Counter(r.year for r in bias.records) == {2023: 227, 2024: 194, 2025: 207}
    assert Counter((r.year, r.grade, r.subject) for r in bias.records) == {
        (2023, 4, "РУ"): 59, (2023, 4, "МА"): 60, (2023, 5, "РУ"): 54, (2023, 5, "МА"): 54,
        (2024, 4, "РУ"): 62, (2024, 4, "МА"): 62, (2024, 5, "РУ"): 32, (2024, 5, "МА"): 38,
        (2025, 4, "РУ"): 53, (2025, 4, "МА"): 67, (2025, 5, "РУ"): 41, (2025, 5, "МА"): 46,
    }
    assert {(r.procedure, r.list_source) for r in bias.records} == {("ВПР", "ФИОКО")}
    first = bias.records[0]
    assert first.org.code == "edu053001"
    assert first.org.municipality == "Агульский муниципальный район"
    assert (first.where.row, first.where.column, first.grade, first.subject) == (2, "5 РУ", 5, "РУ")
    # Official names keep their typos; matching goes through normalize_org_name.
    assert "обшеобразовательная" in first.org.name
    assert normalize_org_name(first.org.name) == "мкоу тпигская сош"
    assert len({r.org.municipality for r in bias.records}) == 53


def test_marker_column() -> None:
    assert marker_column("4 РУ") == (4, "РУ")
    assert marker_column("5 МА") == (5, "МА")
    assert marker_column("6 кл. математика") == (6, "МА")
    assert marker_column("Год") is None
    assert marker_column("Количество маркеров") is None
    assert marker_column("4 ЯЯ") is None


def _sheet(*rows: list[object]) -> list[Sheet]:
    return [Sheet(name="Лист1", rows=[HEADER, *[list(r) for r in rows]])]


def test_blank_and_zero_mean_no_marker() -> None:
    parsed = parse_objectivity_list(
        _sheet([2023, "edu050001", "Район", "Школа", None, "", 1.0, 0, 1],
               [2024, "edu050001", "Район", "Школа", 0, 1, 0, 0, 1]),
        file_name="list.xlsx",
    )
    assert not parsed.problems
    assert [(r.year, r.grade, r.subject) for r in parsed.records] == [(2023, 5, "РУ"),
                                                                       (2024, 4, "МА")]


def test_non_exact_duplicate_is_a_problem() -> None:
    parsed = parse_objectivity_list(
        _sheet([2024, "edu050001", "Район", "Школа", 1, 0, 0, 0, 1],
               [2024, "edu050001", "Район", "Школа", 0, 1, 0, 0, 1]),
        file_name="list.xlsx",
    )
    assert [(p.rule, p.row, p.column) for p in parsed.problems.items] == [("duplicate", 3, "Логин")]


def test_year_from_argument_without_year_column() -> None:
    rows: list[list[Any]] = [[h for h in HEADER if h != "Год"],
                             ["edu050001", "Район", "Школа", 1, 0, 0, 0, 1]]
    sheets = [Sheet(name="Лист1", rows=rows)]
    parsed = parse_objectivity_list(sheets, file_name="list.xlsx")
    assert [p.rule for p in parsed.problems.items] == ["year_missing"]
    parsed = parse_objectivity_list(sheets, file_name="list.xlsx", year=2025)
    assert not parsed.problems and [r.year for r in parsed.records] == [2025]
    parsed = parse_objectivity_list(sheets, file_name="bias_2024.xlsx")
    assert [r.year for r in parsed.records] == [2024]


def test_mapping_override() -> None:
    rows: list[list[Any]] = [["Год", "Идентификатор", "ОО", "4 РУ"],
                             [2025, "edu050009", "Школа", 1]]
    sheets = [Sheet(name="Лист1", rows=rows)]
    parsed = parse_objectivity_list(sheets, file_name="x.xlsx")
    assert [(p.rule, p.column) for p in parsed.problems.items] == [("missing_column", "Логин")]
    parsed = parse_objectivity_list(sheets, file_name="x.xlsx", mapping={"Идентификатор": "Логин"})
    assert not parsed.problems
    assert [r.org.code for r in parsed.records] == ["edu050009"]
