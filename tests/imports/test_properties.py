"""Property tests: random, truncated or mutated files never raise anything but the import error,
and a rejected file changes nothing."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from soko.imports.models import ImportBatch
from soko.imports.parsing.problems import ImportRejected
from soko.imports.services import all_kinds, import_file

from .builders import small_vpr

pytestmark = pytest.mark.django_db

KINDS = st.sampled_from([None, *all_kinds()])
SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
PROTOCOL = (
    "Код участника;Код ОО;Предмет;Класс;Ответы части 1;20 (2б);21 (2б);Первичный балл;Отметка\n"
    "990000001;sch990001;МА;9А;+++-+++;2;1;9;3\n"
    "990000002;sch990001;МА;9А;++++-++;2;2;10;3\n"
)
JOURNAL = (
    "Логин ОО;Код обучающегося;Класс;Предмет;Период;Отметка\n"
    "sch990001;990000001;5А;РУ;год;4\n"
    "sch990001;990000002;5А;МА;3 четверть;5\n"
)


def attempt(path: Path, kind: str | None) -> None:
    """Import must either succeed or raise ImportRejected; on rejection nothing is written."""
    before = ImportBatch.objects.count()
    try:
        import_file(path, kind=kind, year=2026, run_hooks=False)
    except ImportRejected as exc:
        assert exc.problems and all(p.message for p in exc.problems)
        assert ImportBatch.objects.count() == before


@SETTINGS
@given(cut=st.floats(0.0, 1.0), kind=KINDS)
def test_truncated_workbooks(personas, tmp_path_factory, cut: float, kind: str | None) -> None:
    folder = tmp_path_factory.mktemp("cut")
    data = small_vpr(folder / "whole.xlsx").read_bytes()
    path = folder / "cut.xlsx"
    path.write_bytes(data[: int(len(data) * cut)])
    attempt(path, kind)


@SETTINGS
@given(cut=st.integers(0, len(PROTOCOL.encode())), kind=KINDS,
       text=st.sampled_from([PROTOCOL, JOURNAL]), encoding=st.sampled_from(["utf-8", "cp1251"]))
def test_truncated_csv(personas, tmp_path_factory, cut: int, kind: str | None, text: str,
                       encoding: str) -> None:
    path = tmp_path_factory.mktemp("csv") / "ОГЭ_2026_МА.csv"
    path.write_bytes(text.encode(encoding)[:cut])
    attempt(path, kind)


@SETTINGS
@given(
    rows=st.lists(st.lists(st.text(max_size=12), min_size=1, max_size=8), min_size=0,
                  max_size=8),
    kind=KINDS,
    sep=st.sampled_from([";", ",", "\t"]),
)
def test_random_tables(personas, tmp_path_factory, rows: list[list[str]], kind: str | None,
                       sep: str) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=sep).writerows(rows)
    path = tmp_path_factory.mktemp("rnd") / "random.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    attempt(path, kind)


@SETTINGS
@given(blob=st.binary(max_size=2000), suffix=st.sampled_from([".csv", ".xlsx", ".ods", ".txt"]),
       kind=KINDS)
def test_random_bytes(personas, tmp_path_factory, blob: bytes, suffix: str,
                      kind: str | None) -> None:
    path = tmp_path_factory.mktemp("bin") / f"blob{suffix}"
    path.write_bytes(blob)
    attempt(path, kind)


@SETTINGS
@given(
    row=st.integers(1, 20),
    col=st.integers(1, 22),
    value=st.one_of(
        st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=10),
        st.integers(-100, 100),
        st.floats(allow_nan=False, allow_infinity=False, width=32),
    ),
)
def test_mutated_cells(personas, tmp_path_factory, row: int, col: int, value: object) -> None:
    folder = tmp_path_factory.mktemp("mut")
    path = small_vpr(folder / "vpr.xlsx", n=6)
    book = load_workbook(path)
    book.active.cell(row=row, column=col).value = value  # type: ignore[union-attr]
    book.save(path)
    attempt(path, "vpr_results")
