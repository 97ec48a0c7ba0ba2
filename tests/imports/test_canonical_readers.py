"""The canonical long format is staged by four readers — Arrow at once (a CSV that fits in
memory), Arrow part by part (a larger CSV), DuckDB (a CSV that Arrow cannot read as declared)
and DuckDB over Parquet — and its participants are aggregated either over runs of consecutive
rows (Arrow, when each participant's rows are together) or by a hash aggregation. Whatever the
way, the staged results, task scores and problems must be the same."""

from __future__ import annotations

import random
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from unittest import mock

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from soko.config import load_config
from soko.imports import staging as staging_module
from soko.imports.parsing import canonical
from soko.imports.parsing.problems import ProblemList
from soko.imports.staging import CANONICAL_TYPES, Staging

pytestmark = pytest.mark.core  # no database: staging runs in its own DuckDB

HEADER = ("procedure,subject,grade,year,org_code,participant_code,class_label,variant,task,"
          "task_max,task_level,score,primary_score,mark,journal_mark,absent,sex,student_code")
BIG = 1 << 40  # Arrow may read any file at once
PARTS = "parts"  # no file fits at once: Arrow reads it in parts of a few lines
NONE = 0  # Arrow may read none: DuckDB's reader
PART_BYTES = 300  # about three lines: participants' runs cross the parts' boundaries


def rows(shuffled: bool = True) -> list[str]:
    """Two works; one with an empty grade, task numbers «1.1» and «1.10», an absent participant,
    a quoted class, an upper-case login; rows shuffled (the format does not promise order) or
    as exports write them, each participant's rows together."""
    out = []
    vpr = [("1.1", 2), ("1.10", 1), ("2", 3)]
    for org in ("sch990001", "SCH990002"):
        for code, scores, mark in (("00101", [2, 1, 3], 5), ("00102", [0, 1, 1], 3),
                                   ("00103", [None] * 3, None)):
            absent = int(scores[0] is None)
            total = "" if absent else sum(s for s in scores if s is not None)
            for (task, mx), score in zip(vpr, scores, strict=True):
                out.append(
                    f'ВПР,МА,5,2026,{org},{code},"5А",2,{task},{mx},Б,'
                    f"{'' if score is None else score},{total},{'' if mark is None else mark},"
                    f"4,{absent},ж,{org}-{code}"
                )
    for code, scores in (("9001", [1, 0]), ("9002", [1, 1])):
        for task, score in zip(("1", "2"), scores, strict=True):
            out.append(f"ДР,ИН,,2026,sch990001,{code},,,{task},1,,{score},{sum(scores)},,,0,,")
    if shuffled:
        random.Random(3).shuffle(out)
    return out


def write(path: Path, lines: list[str], *, bom: bool = False, crlf: bool = False) -> Path:
    end = "\r\n" if crlf else "\n"
    text = end.join([HEADER, *lines]) + end
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def stage(
    path: Path, memory_bytes: int | str, *, by_runs: bool | None = None
) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    """Stage a file with the reader that ``memory_bytes`` chooses (``BIG``, ``PARTS`` or
    ``NONE``); return what it produced (results, task scores, works) and the problems.
    ``by_runs``: whether the participants must have been aggregated over runs of rows."""
    problems = ProblemList(path.name)
    staging = Staging(path.parent, con=None)
    try:
        with ExitStack() as patches:
            if memory_bytes == PARTS:  # 1GB, no file fits at once, parts of PART_BYTES
                for name, value in (("ARROW_BYTES_PER_CSV_BYTE", 10**12),
                                    ("_PARTS_PER_MEMORY", 10**9 // PART_BYTES),
                                    ("_MIN_PART_BYTES", 1)):
                    patches.enter_context(mock.patch.object(staging_module, name, value))
            elif memory_bytes == NONE:
                patches.enter_context(mock.patch.object(Staging, "_load_csv_parts",
                                                        return_value=False))
            infos = staging.add_canonical(
                path, problems, memory_bytes=10**9 if memory_bytes == PARTS else int(memory_bytes)
            )
        if by_runs is not None:
            assert staging.by_runs is by_runs
        found = [(p.rule, p.row, p.column, p.value, p.message) for p in problems.items]
        if problems:
            return {}, found
        slices = [
            (block, code, 100 + i, block, i + 1, 2026)
            for i, (block, code, *_rest) in enumerate(staging.org_summary())
        ]
        staging.set_slices(slices)
        staged = {
            "works": [(i.block, i.procedure, i.subject_name, i.grade, i.year, i.participants,
                       [(t.number, t.max_score, t.level) for t in i.tasks]) for i in infos],
            "results": sorted(staging.con.sql(staging.results_sql()).fetchall(), key=str),
            "tasks": sorted(staging.con.sql(staging.task_scores_sql()).fetchall()),
            "st_task": sorted(staging.con.sql("SELECT * FROM st_task").fetchall()),
        }
        return staged, found
    finally:
        staging.close()


@pytest.mark.parametrize("shuffled", [True, False], ids=["shuffled", "participant-runs"])
def test_arrow_and_duckdb_stage_a_file_identically(tmp_path: Path, shuffled: bool) -> None:
    path = write(tmp_path / "works.csv", rows(shuffled), bom=True, crlf=True)
    fast, fast_problems = stage(path, BIG, by_runs=not shuffled)
    parts, parts_problems = stage(path, PARTS, by_runs=not shuffled)
    slow, slow_problems = stage(path, NONE, by_runs=False)
    assert fast_problems == parts_problems == slow_problems == []
    assert fast == parts == slow
    works = fast["works"]
    assert [(w[1], w[2], w[3], w[5]) for w in works] == [("ВПР", "МА", 5, 6), ("ДР", "ИН", None, 2)]
    # task numbers stay text and keep the order of first appearance in the file
    assert {t[0] for t in works[0][6]} == {"1.1", "1.10", "2"}
    assert len(fast["tasks"]) == 4 * 3 + 2 * 2  # absent participants have no task scores
    # logins are matched case-insensitively; the absent participant has no primary score
    results = {(r[6], r[0]): r for r in fast["results"]}
    assert {code for code, _slice in results} == {"00101", "00102", "00103", "9001", "9002"}
    absent = [r for r in fast["results"] if r[6] == "00103"]
    assert all(r[11] is True and r[12] is None for r in absent)
    assert sorted(r[12] for r in fast["results"] if r[6] == "00101") == [6.0, 6.0]


def test_the_arrow_reader_numbers_lines_and_gives_up_on_what_it_cannot_read(
    tmp_path: Path,
) -> None:
    header = HEADER.split(",")
    types = {c: CANONICAL_TYPES.get(c, "VARCHAR") for c in header}
    good = write(tmp_path / "good.csv", rows()[:3])
    table = canonical.read_canonical_csv(good, header, types)
    assert table is not None and table["line"].to_pylist() == [2, 3, 4]
    assert table.schema.field("participant_code").type == pa.string()  # «00101» stays text
    lines = rows()[:3]
    for bad in (
        [*lines[:1], lines[1].replace(",Б,", ",Б,abc", 1), *lines[2:]],  # score «abc…»
        [*lines[:1], lines[1] + ",extra", *lines[2:]],  # one cell too many
        [lines[0], "", *lines[1:]],  # an empty line would shift the line numbers
    ):
        assert canonical.read_canonical_csv(write(tmp_path / "bad.csv", bad), header,
                                            types) is None


@pytest.mark.parametrize("part_bytes", [1, 97, 300, 1 << 20])
@pytest.mark.parametrize("trailing_newline", [True, False])
def test_the_parts_of_a_file_are_its_lines_in_order(
    tmp_path: Path, part_bytes: int, trailing_newline: bool
) -> None:
    header = HEADER.split(",")
    types = {c: CANONICAL_TYPES.get(c, "VARCHAR") for c in header}
    path = write(tmp_path / "works.csv", rows(), bom=True, crlf=True)
    if not trailing_newline:
        path.write_bytes(path.read_bytes().rstrip(b"\r\n"))
    whole = canonical.read_canonical_csv(path, header, types)
    assert whole is not None and whole.num_rows == 22
    parts = list(canonical.read_canonical_csv_in_parts(path, header, types, part_bytes))
    # parts are as many whole lines as fit; a line longer than a part is a part
    expected, size = 0, 0
    for line in path.read_bytes().splitlines(keepends=True):
        if size == 0 or size + len(line) > part_bytes:
            expected, size = expected + 1, 0
        size += len(line)
    assert len(parts) == expected
    assert (expected == 1) == (part_bytes > path.stat().st_size)
    assert pa.concat_tables(parts).equals(whole)  # the same rows, «line» counting on


def test_a_part_that_does_not_read_stops_the_parts(tmp_path: Path) -> None:
    header = HEADER.split(",")
    types = {c: CANONICAL_TYPES.get(c, "VARCHAR") for c in header}
    lines = rows()
    for bad in (
        [*lines[:15], "", *lines[15:]],  # an empty line in a later part
        [*lines[:15], lines[15] + ",extra", *lines[16:]],
    ):
        path = write(tmp_path / "bad.csv", bad)
        parts = canonical.read_canonical_csv_in_parts(path, header, types, 300)
        assert next(parts).num_rows > 0  # the first parts are good
        with pytest.raises(canonical.CanonicalUnreadable):
            list(parts)


def test_a_shared_connection_gets_its_memory_limit_back(tmp_path: Path) -> None:
    """Arrow's columns count against the memory setting while the file is staged."""
    path = write(tmp_path / "works.csv", rows() * 5000)  # ≈ 10 MB of columns
    con = duckdb.connect(config={"memory_limit": "1GB"})
    before = con.execute("SELECT current_setting('memory_limit')").fetchall()
    staging = Staging(tmp_path, con=con)
    problems = ProblemList(path.name)
    staging.add_canonical(path, problems, memory_bytes=10**9)
    assert problems.items[0].rule == "duplicate_task_row"  # rows repeated: read, then rejected
    during = con.execute("SELECT current_setting('memory_limit')").fetchall()
    staging.close()
    assert during != before
    assert con.execute("SELECT current_setting('memory_limit')").fetchall() == before
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchall() == [(0,)]


def _first(lines: list[str], needle: str) -> int:
    return next(i for i, line in enumerate(lines) if needle in line)


def _replace_in_first(needle: str, old: str, new: str) -> Any:
    def spoil(lines: list[str]) -> list[str]:
        k = _first(lines, needle)
        return [*lines[:k], lines[k].replace(old, new, 1), *lines[k + 1 :]]

    return spoil


SPOILERS = {
    "required": _replace_in_first(",sch990001,", ",sch990001,", ",,"),
    "out-of-range": _replace_in_first(",Б,", ",Б,", ",Б,9"),
    "duplicate-row": lambda ls: [*ls, ls[_first(ls, ",Б,")]],
    "missing-row": lambda ls: [ln for ln in ls if ',00102,"5А",2,2,' not in ln],
    "task-max": lambda ls: [ln.replace(",1.10,1,", ",1.10,2,") if ",00101," in ln else ln
                            for ln in ls],
    "participant": _replace_in_first(",1.1,2,Б,2,6,5,", ",6,5,", ",6,4,"),
    "sum": lambda ls: [ln.replace(",6,5,4,0,ж,sch990001-00101", ",7,5,4,0,ж,sch990001-00101")
                       for ln in ls],
    "cast": _replace_in_first(",2026,", ",2026,", ",2026.5,"),
    "absent-flag": _replace_in_first(",2,3,Б,3,6,5,4,0,", ",4,0,", ",4,1,"),
    "primary-empty": _replace_in_first(",1.10,1,Б,1,6,5,", ",1,6,5,", ",1,,5,"),
}


# spoilers found when the participants are aggregated (the others are found before)
PARTICIPANT_SPOILERS = {"missing-row", "participant", "sum", "absent-flag", "primary-empty"}


@pytest.mark.parametrize("shuffled", [True, False], ids=["shuffled", "participant-runs"])
@pytest.mark.parametrize("name", SPOILERS)
def test_both_csv_readers_report_the_same_problems(
    tmp_path: Path, name: str, shuffled: bool
) -> None:
    path = write(tmp_path / "spoiled.csv", SPOILERS[name](rows(shuffled)))
    runs = (not shuffled) if name in PARTICIPANT_SPOILERS else None
    _fast, fast_problems = stage(path, BIG, by_runs=runs)
    _parts, parts_problems = stage(path, PARTS, by_runs=runs)
    _slow, slow_problems = stage(path, NONE)
    assert fast_problems, "the spoiled file must be rejected"
    assert fast_problems == parts_problems == slow_problems
    assert all(row is not None and row >= 2 for _rule, row, *_ in fast_problems)


LATE_SPOILERS = {  # a bad cell or row after the empty lines and the line breaks in cells
    "late-cast": lambda ls: [*ls[:-1], ls[-1].replace(",2026,", ",2026.5,", 1)],
    "late-extra-cell": lambda ls: [*ls[:-1], ls[-1] + ",лишнее"],
}


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
@pytest.mark.parametrize("name", [*SPOILERS, *LATE_SPOILERS])
def test_problems_name_the_files_lines_past_empty_lines_and_breaks_in_cells(
    tmp_path: Path, name: str, crlf: bool
) -> None:
    """DuckDB's reader skips empty lines and keeps a quoted line break in its cell: the rows'
    lines are still the lines an editor shows, for the checks and for the reader's own
    rejects. Arrow cannot read such a file: every reader ends in DuckDB's."""
    records = {**SPOILERS, **LATE_SPOILERS}[name](rows(shuffled=False))
    _plain, plain_problems = stage(write(tmp_path / "plain.csv", records), NONE)
    assert plain_problems, "the spoiled file must be rejected"
    lines, line_of = [], {}
    for i, record in enumerate(records):
        if i in (0, 9):
            lines.append("")  # an empty line before records 0 and 9
        line_of[i + 2] = len(lines) + 2  # the header is line 1
        if ",SCH990002,00102," in record:  # this participant's class breaks across two lines
            record = record.replace('"5А"', '"5\nА"')
        lines.extend(record.split("\n"))
    broken = sum(",SCH990002,00102," in record for record in records)
    assert broken >= 2 and len(lines) == len(records) + 2 + broken
    messy = write(tmp_path / "messy.csv", lines, crlf=crlf)
    expected = [(rule, line_of[row], column, value, message)
                for rule, row, column, value, message in plain_problems]
    assert all(line > row for (_r, row, *_), (_s, line, *_) in
               zip(plain_problems, expected, strict=True))
    for reader in (BIG, PARTS, NONE) if name in LATE_SPOILERS else (NONE,):
        _staged, problems = stage(messy, reader)
        assert problems == expected


@pytest.mark.parametrize("scan_bytes", [1, 2, 5, 13, 1 << 20])
def test_the_records_of_a_file_by_any_part_size(tmp_path: Path, scan_bytes: int) -> None:
    path = tmp_path / "records.csv"
    path.write_bytes(b'a,b\r\n1,"x\r\ny"\r\n\r\n\n2,""""\n"\n"\n3,z')
    with mock.patch.object(canonical, "_SCAN_BYTES", scan_bytes):
        records = canonical.scan_records(path)
    assert records.starts.tolist() == [0, 5, 15, 17, 18, 25, 29]
    assert records.lines.tolist() == [1, 2, 4, 5, 6, 7, 9]
    assert records.empty.tolist() == [False, False, True, True, False, False, False]
    assert not records.one_per_line
    assert records.kept_lines([25]).tolist() == [2, 6, 9]  # record «"\n"» rejected
    assert records.line_of([0, 4, 5, 14, 18, 26, 30]).tolist() == [1, 1, 2, 2, 6, 7, 9]
    path.write_bytes(b"a,b\n1,2\n3,4\n")
    assert canonical.scan_records(path).one_per_line


def _as_parquet(csv: Path, target: Path, **types: pa.DataType) -> Path:
    names = HEADER.split(",")
    table = pacsv.read_csv(
        csv,
        convert_options=pacsv.ConvertOptions(
            column_types={n: types.get(n, pa.string()) for n in names}, null_values=[""],
            strings_can_be_null=True,
        ),
    )
    pq.write_table(table, target)
    return target


def test_parquet_stages_like_the_csv_with_record_numbers(tmp_path: Path) -> None:
    csv = write(tmp_path / "works.csv", rows())
    parquet = _as_parquet(csv, tmp_path / "works.parquet", grade=pa.int64(), year=pa.int16(),
                          score=pa.float32(), task_max=pa.int64(), mark=pa.int64())
    from_csv, _ = stage(csv, BIG)
    from_parquet, problems = stage(parquet, BIG)
    assert problems == []
    # the same facts; only «line» differs: record number in Parquet, file line in the CSV
    assert from_parquet["works"] == from_csv["works"]
    assert from_parquet["results"] == from_csv["results"]
    assert from_parquet["tasks"] == from_csv["tasks"]
    assert [(b, row + 1, pos, score, line + 1) for b, row, pos, score, line
            in from_parquet["st_task"]] == from_csv["st_task"]


def test_a_parquet_cell_that_does_not_convert_is_named(tmp_path: Path) -> None:
    lines = rows()
    k = _first(lines, ",Б,")
    lines[k] = lines[k].replace(",Б,", ",Б,два", 1)  # a score «два…» in record k + 1
    parquet = _as_parquet(write(tmp_path / "bad.csv", lines), tmp_path / "bad.parquet")
    _staged, problems = stage(parquet, BIG)
    assert [(rule, row, column) for rule, row, column, _v, _m in problems] == [
        ("not_a_number", k + 1, "score")]
    assert problems[0][3].startswith("два")
    (tmp_path / "fake.parquet").write_text(HEADER + "\n", encoding="utf-8")
    _staged, problems = stage(tmp_path / "fake.parquet", BIG)
    assert [p[0] for p in problems] == ["not_parquet"]


def test_the_memory_setting_in_bytes(tmp_path: Path) -> None:
    def memory(value: str) -> int:
        return load_config({"SOKO_DATA_DIR": str(tmp_path), "SOKO_DUCKDB_MEMORY": value}) \
            .duckdb_memory_bytes

    assert memory("1GB") == 10**9  # as DuckDB reads it
    assert memory("512mb") == 512 * 10**6
    assert memory("1.5GB") == 15 * 10**8


def test_a_participant_whose_rows_differ_in_login_case_is_still_one_participant(
    tmp_path: Path,
) -> None:
    """«SCH990002» and «sch990002» are one login: the runs split there, so the hash
    aggregation (case-insensitive) decides, and the result is the same as the DuckDB reader's."""
    lines = rows(shuffled=False)
    k = _first(lines, ",SCH990002,00101,")
    lines[k] = lines[k].replace(",SCH990002,", ",sch990002,")
    path = write(tmp_path / "works.csv", lines)
    fast, fast_problems = stage(path, BIG, by_runs=False)
    parts, parts_problems = stage(path, PARTS, by_runs=False)
    slow, slow_problems = stage(path, NONE)
    assert fast_problems == parts_problems == slow_problems == []
    assert fast == parts == slow
    assert len(fast["results"]) == 8


def test_a_file_whose_rows_stop_being_grouped_is_aggregated_by_hash(tmp_path: Path) -> None:
    """Read in parts, the first parts' rows are grouped by participant, the later ones are not:
    the runs are given up on the way and the result is the DuckDB reader's."""
    tail = [f"ДР,ФИ,,2026,sch990002,{code},,,{task},1,,1,2,,,0,,"
            for code in range(9101, 9109) for task in ("1", "2")]
    random.Random(5).shuffle(tail)
    path = write(tmp_path / "works.csv", [*rows(shuffled=False), *tail])
    parts, parts_problems = stage(path, PARTS, by_runs=False)
    slow, slow_problems = stage(path, NONE)
    assert parts_problems == slow_problems == []
    assert parts == slow
    assert len(parts["results"]) == 8 + 8
