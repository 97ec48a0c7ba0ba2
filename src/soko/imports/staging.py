"""Staging of participant results in a private DuckDB database, where every row-level rule is
checked with set-based SQL before anything is written to the instance.

Wide files (ФИС ОКО, protocols) are added block by block from Python; the canonical long format
is read by Arrow's or DuckDB's reader (see :meth:`Staging.add_canonical`), so a file of millions
of task scores never becomes Python objects. The same validation SQL runs for all of them.
Nothing here imports Django: the importer passes the facts it resolved (organization ids, task
positions of the catalog, scales) as small tables.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from soko.imports.parsing.canonical import (
    ARROW_BYTES_PER_CSV_BYTE,
    CanonicalUnreadable,
    read_canonical_csv,
    read_canonical_csv_in_parts,
    scan_records,
)
from soko.imports.parsing.participant_runs import participant_runs
from soko.imports.parsing.problems import ProblemList
from soko.imports.parsing.results import ResultsBlock, TaskSpec
from soko.lib.scales import MarkScale as ScaleSpec

CANONICAL_COLUMNS = (
    "procedure",
    "subject",
    "grade",
    "year",
    "org_code",
    "participant_code",
    "class_label",
    "variant",
    "task",
    "task_max",
    "task_level",
    "score",
    "primary_score",
    "mark",
    "journal_mark",
    "absent",
)
CANONICAL_OPTIONAL = ("test_score", "student_code", "sex", "org_name", "municipality")
CANONICAL_TYPES = {
    "grade": "INTEGER",
    "year": "INTEGER",
    "task_max": "DOUBLE",
    "score": "DOUBLE",
    "primary_score": "DOUBLE",
    "mark": "INTEGER",
    "journal_mark": "INTEGER",
    "test_score": "DOUBLE",
}
_WORK = "procedure, subject, grade, year"
_WORK_JOIN = (
    "{a}.procedure = {b}.procedure AND {a}.subject = {b}.subject AND {a}.year = {b}.year "
    "AND {a}.grade IS NOT DISTINCT FROM {b}.grade"
)
# a canonical row's ``absent`` cell (lower-cased) that means «did not write the work»
ABSENT_WORDS = ("1", "true", "да", "x", "х")
_ABSENT = (
    "lower(coalesce(absent, '')) IN (" + ", ".join(f"'{w}'" for w in ABSENT_WORDS) + ")"
)
_TYPE_WORDS = {"INTEGER": "целое число", "DOUBLE": "число (дробная часть через точку)",
               "VARCHAR": "текст"}
_PROBLEM_LIMIT = 200
_MIN_DUCKDB_MEMORY = 256 << 20
# A CSV too large to read at once is read in parts of this fraction of the memory setting;
# meanwhile Arrow holds about a quarter of it (measured on the generator's full-year file with
# 1GB: the reader's buffers and a part's columns ≈ 150 MB + 6 × the part, and the runs so far).
# Smaller parts take no longer to read (25 MB: 4.6 s for 713 MB, 100 MB: 5.0 s) and need less.
_PARTS_PER_MEMORY = 40
_OUTSIDE_WHILE_PARTS = 4
_MIN_PART_BYTES = 1 << 20


@dataclass
class BlockInfo:
    """What the importer needs to know about one work in the staged data."""

    block: int
    procedure: str
    subject_name: str
    grade: int | None
    year: int | None
    tasks: list[TaskSpec]
    sheet: str = ""
    title: str = ""
    columns: dict[str, str] = field(default_factory=dict)
    has_marks: bool = False
    has_test_scores: bool = False
    participants: int = 0


@dataclass
class BlockRules:
    """Catalog facts for validating one block (set by the importer)."""

    assessment_label: str
    max_primary: float | None
    scale: ScaleSpec | None
    scale_note: str = ""
    conversion: Mapping[int, float] | None = None
    require_marks: bool = False


def _nan_to_none(values: Sequence[float]) -> list[float | None]:
    return [None if (v is None or (isinstance(v, float) and math.isnan(v))) else v for v in values]


class Staging:
    """A DuckDB database holding one file's results while they are checked."""

    def __init__(
        self, tmp_dir: Path, memory_limit: str = "1GB", con: duckdb.DuckDBPyConnection | None = None
    ) -> None:
        """Use ``con`` (the embedded fact store's connection) when given: the staged data are
        temporary tables there and go to the fact tables without leaving DuckDB."""
        self.shared = con is not None
        self.con = con if con is not None else duckdb.connect(
            ":memory:",
            config={
                "temp_directory": str(tmp_dir),
                "memory_limit": memory_limit,
                "threads": 2,
                "preserve_insertion_order": True,
            },
        )
        self.blocks: dict[int, BlockInfo] = {}
        self.canonical = False
        # the canonical rows as Arrow columns, when Arrow read them
        self._long_table: pa.Table | None = None
        # participants are runs of consecutive rows; st_long and st_part carry ``run``
        self.by_runs = False
        # the parts of a large CSV were stored with their runs (st_runs, st_long.run)
        self._runs_staged = False
        self._registered: list[str] = []
        self._memory_limit: int | None = None  # DuckDB's limit before staging changed it
        self.con.execute(
            """
            CREATE TEMP TABLE st_result (
                block INTEGER, src_row INTEGER, org_code VARCHAR, org_name VARCHAR,
                municipality VARCHAR, participant_code VARCHAR, class_label VARCHAR,
                variant VARCHAR, sex VARCHAR, student_code VARCHAR, absent BOOLEAN,
                primary_score DOUBLE, mark DOUBLE, test_score DOUBLE, journal_mark DOUBLE)
            """
        )
        self.con.execute(
            "CREATE TEMP TABLE st_task (block INTEGER, src_row INTEGER, task_pos SMALLINT, "
            "score REAL, line INTEGER)"
        )
        self.con.execute(
            """CREATE TEMP TABLE st_block_task (block INTEGER, task_pos SMALLINT, number VARCHAR,
               max_score DOUBLE, column_label VARCHAR)"""
        )

    def _limit_memory(self, total: int, outside: int) -> None:
        """DuckDB may hold ``total`` bytes less what lies ``outside`` its accounting."""
        if self._memory_limit is None:
            self._memory_limit = total
        self.con.execute(f"SET memory_limit = '{max(total - outside, _MIN_DUCKDB_MEMORY)}B'")

    def close(self) -> None:
        for name in self._registered:
            self.con.unregister(name)
        self._registered.clear()
        if self._memory_limit is not None:
            self.con.execute(f"SET memory_limit = '{self._memory_limit}B'")
            self._memory_limit = None
        if not self.shared:
            self.con.close()
            return
        for kind, catalog in (("VIEW", "duckdb_views()"), ("TABLE", "duckdb_tables()")):
            names = self.con.execute(
                f"SELECT {kind.lower()}_name FROM {catalog} WHERE temporary "
                "AND starts_with(" + kind.lower() + "_name, 'st_')"
            ).fetchall()
            for (name,) in names:
                self.con.execute(f"DROP {kind} IF EXISTS temp.{name}")

    # --- loading --------------------------------------------------------------------------
    def add_block(self, block: ResultsBlock) -> BlockInfo:
        block_id = len(self.blocks) + 1
        n = len(block)
        marks = np.asarray(block.mark, dtype=float) if n else np.zeros(0)
        tests = np.asarray(block.test_score, dtype=float) if n else np.zeros(0)
        info = BlockInfo(
            block=block_id,
            procedure=block.procedure,
            subject_name=block.subject_name,
            grade=block.grade,
            year=block.year,
            tasks=list(block.tasks),
            sheet=block.sheet,
            title=block.title,
            columns=dict(block.columns),
            has_marks=bool(n and np.any(~np.isnan(marks))),
            has_test_scores=bool(n and np.any(~np.isnan(tests))),
            participants=n,
        )
        self.blocks[block_id] = info
        results = pa.table(
            {
                "block": pa.array([block_id] * n, pa.int32()),
                "src_row": pa.array(block.rows, pa.int32()),
                "org_code": pa.array(block.org_code, pa.string()),
                "org_name": pa.array(block.org_name, pa.string()),
                "municipality": pa.array(block.municipality, pa.string()),
                "participant_code": pa.array(block.participant_code, pa.string()),
                "class_label": pa.array(block.class_label, pa.string()),
                "variant": pa.array(block.variant, pa.string()),
                "sex": pa.array(block.sex, pa.string()),
                "student_code": pa.array(block.student_code, pa.string()),
                "absent": pa.array(block.absent, pa.bool_()),
                "primary_score": pa.array(_nan_to_none(block.primary), pa.float64()),
                "mark": pa.array(_nan_to_none(block.mark), pa.float64()),
                "test_score": pa.array(_nan_to_none(block.test_score), pa.float64()),
                "journal_mark": pa.array(_nan_to_none(block.journal_mark), pa.float64()),
            }
        )
        self._append("st_result", results)
        scores = block.scores()
        if scores.size:
            rows_idx, task_idx = np.nonzero(~np.isnan(scores))
            tasks = pa.table(
                {
                    "block": pa.array(np.full(rows_idx.size, block_id, dtype=np.int32)),
                    "src_row": pa.array(np.asarray(block.rows, dtype=np.int32)[rows_idx]),
                    "task_pos": pa.array((task_idx + 1).astype(np.int16)),
                    "score": pa.array(scores[rows_idx, task_idx].astype(np.float32)),
                    "line": pa.array(np.asarray(block.rows, dtype=np.int32)[rows_idx]),
                }
            )
            self._append("st_task", tasks)
        self._append(
            "st_block_task",
            pa.table(
                {
                    "block": pa.array([block_id] * len(block.tasks), pa.int32()),
                    "task_pos": pa.array(range(1, len(block.tasks) + 1), pa.int16()),
                    "number": pa.array([t.number for t in block.tasks], pa.string()),
                    "max_score": pa.array([t.max_score for t in block.tasks], pa.float64()),
                    "column_label": pa.array([t.column for t in block.tasks], pa.string()),
                }
            ),
        )
        return info

    def _append(self, table: str, data: pa.Table) -> None:
        self.con.register("_incoming", data)
        try:
            self.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _incoming")
        finally:
            self.con.unregister("_incoming")

    def add_canonical(
        self, path: Path, problems: ProblemList, *, memory_bytes: int = 10**9
    ) -> list[BlockInfo]:
        """Stage the canonical long format (one row per participant × task), CSV or Parquet.

        ``memory_bytes`` is what the import may hold in memory: the memory limit of the
        connection (``SOKO_DUCKDB_MEMORY``).

        A CSV whose columns fit in ``memory_bytes`` is read at once by Arrow's multi-threaded
        reader and queried where it lies; a larger one is read by the same reader in parts into
        a temporary table (which spills to disk); one that Arrow cannot read as declared goes
        through DuckDB's reader, which names every cell that does not convert. Parquet is
        scanned by DuckDB in place.
        Every staged row carries ``line``: its line in the CSV (the header is line 1) or its
        record number in the Parquet file. Then one aggregation per work × task checks the
        required cells, the maxima and the score ranges, and one per participant builds the
        results and checks that the participant's fields agree across rows. Returns the works.
        """
        parquet = path.suffix.lower() == ".parquet"
        header = self._parquet_header(path, problems) if parquet else self._csv_header(path)
        if problems:
            return []
        missing = [c for c in CANONICAL_COLUMNS if c not in header]
        if missing:
            problems.add(
                "missing_column",
                "В каноническом файле нет обязательных столбцов: " + ", ".join(missing) + ".",
                row=1,
            )
            return []
        types = {c: CANONICAL_TYPES.get(c, "VARCHAR") for c in header}
        if parquet:
            self._load_parquet(path, types, problems)
        elif path.stat().st_size * ARROW_BYTES_PER_CSV_BYTE <= memory_bytes:
            if (table := read_canonical_csv(path, header, types)) is not None:
                self.con.register("st_long", table)
                self._registered.append("st_long")
                self._long_table = table
                # the columns live outside DuckDB's accounting: what DuckDB may hold on top of
                # them shrinks by their size (it spills sooner), so the import stays in the limit
                self._limit_memory(memory_bytes, table.nbytes)
            else:
                self._load_csv_duckdb(path, header, types, problems)
        elif not self._load_csv_parts(path, header, types, memory_bytes):
            self._load_csv_duckdb(path, header, types, problems)
        if problems:
            return []
        task_specs = self._canonical_scan(problems)
        if problems:
            return []
        self.canonical = True
        self._canonical_participants(problems)
        if problems:
            return []
        infos = []
        for block, proc, subject, grade, year, n, n_marks, n_tests in self.con.execute(
            """
            SELECT b.block, b.procedure, b.subject, b.grade, b.year,
                   count(p.src_row), count(p.mark), count(p.test_score)
            FROM st_canon_blocks b LEFT JOIN st_part p USING (block)
            GROUP BY ALL ORDER BY b.block
            """
        ).fetchall():
            info = BlockInfo(
                block=int(block),
                procedure=str(proc),
                subject_name=str(subject),
                grade=int(grade) if grade is not None else None,
                year=int(year),
                tasks=task_specs[int(block)],
                title=f"{proc} {year} {subject}" + (f" {grade} класс" if grade else ""),
                columns={
                    "primary": "primary_score",
                    "mark": "mark",
                    "journal_mark": "journal_mark",
                    "participant_code": "participant_code",
                    "org_code": "org_code",
                    "test_score": "test_score",
                },
                has_marks=bool(n_marks),
                has_test_scores=bool(n_tests),
                participants=int(n),
            )
            self.blocks[int(block)] = info
            infos.append(info)
        return infos

    def _load_csv_parts(
        self, path: Path, header: list[str], types: Mapping[str, str], memory_bytes: int
    ) -> bool:
        """A CSV too large for Arrow's columns at once: read by Arrow part by part into a
        temporary table (which spills to disk), the participants' runs aggregated as the parts
        go (``st_runs``, kept as Arrow columns; a run is never cut between two parts: the rows
        of a part's last run wait for the next part). When the runs turn out as many as the rows
        (a shuffled file), the rest is stored without them and the hash aggregation decides.
        ``False``, with nothing left behind, when Arrow cannot read some line: then DuckDB's
        reader reads the file and names the bad cells."""
        part_bytes = max(memory_bytes // _PARTS_PER_MEMORY, _MIN_PART_BYTES)
        # Arrow's reader, a part's columns, the rows that wait and the runs so far live
        # outside DuckDB's accounting
        self._limit_memory(memory_bytes, memory_bytes // _OUTSIDE_WHILE_PARTS)
        runs_wanted, next_run, grouped_rows, waiting = True, 0, 0, None
        done: list[pa.Table] = []  # the runs of the parts so far
        stored = False  # whether st_long exists
        try:
            parts = read_canonical_csv_in_parts(path, header, types, part_bytes)
            for part in itertools.chain(parts, [None]):
                if part is None:  # the end of the file: the rows that waited are all there is
                    if waiting is None:
                        break
                    rows, waiting, last = waiting, None, True
                else:
                    rows = part if waiting is None else pa.concat_tables([waiting, part])
                    waiting, last = None, False
                # whether the rows are grouped by participant is judged on all parts so far
                found = (
                    participant_runs(rows, ABSENT_WORDS, grouped_only=False)
                    if runs_wanted else None
                )
                if found is not None:
                    runs, run = found
                    if not last:  # the last run may go on in the next part: it waits
                        n_done = rows.num_rows - int(runs["n_rows"][-1].as_py())
                        runs, run = runs.slice(0, runs.num_rows - 1), run.slice(0, n_done)
                        rows, waiting = rows.slice(0, n_done), rows.slice(n_done)
                    if (next_run + runs.num_rows) * 2 > grouped_rows + rows.num_rows:
                        found = None  # shuffled: as many runs as rows
                if found is None:
                    runs_wanted = False
                    if waiting is not None:
                        rows, waiting = pa.concat_tables([rows, waiting]), None
                    run = pa.nulls(rows.num_rows, pa.int32())
                else:
                    grouped_rows += rows.num_rows
                    shifted = pc.add(runs["run"], np.int32(next_run))
                    runs = runs.set_column(runs.schema.get_field_index("run"), "run", shifted)
                    run = pc.add(run, np.int32(next_run))
                    next_run += runs.num_rows
                    done.append(runs)
                if rows.num_rows:
                    self._store_part(rows.append_column("run", run), first=not stored)
                    stored = True
        except CanonicalUnreadable:
            self.con.execute("DROP TABLE IF EXISTS st_long")
            self._limit_memory(memory_bytes, 0)
            return False
        self._runs_staged = runs_wanted
        # what the parts' reading freed stays with Arrow's allocator unless given back
        pa.default_memory_pool().release_unused()
        if runs_wanted:  # the participants: a tenth of the rows, a few columns
            runs = pa.concat_tables(done)
            self.con.register("st_runs", runs)
            self._registered.append("st_runs")
            self._limit_memory(memory_bytes, runs.nbytes)
        else:
            self._limit_memory(memory_bytes, 0)
        return True

    def _store_part(self, data: pa.Table, *, first: bool) -> None:
        """Append ``data`` to the temporary ``st_long``, created by the first part."""
        self.con.register("_part", data)
        try:
            if first:
                self.con.execute("CREATE TEMP TABLE st_long AS SELECT * FROM _part")
            else:
                self.con.execute("INSERT INTO st_long SELECT * FROM _part")
        finally:
            self.con.unregister("_part")

    def _load_csv_duckdb(
        self, path: Path, header: list[str], types: Mapping[str, str], problems: ProblemList
    ) -> None:
        """DuckDB's reader: a temporary table in file order, every bad cell reported.

        The reader skips empty lines and reads a quoted line break as part of the cell, so
        the lines of the rows (and of the bad cells) come from where the file's records
        begin (:func:`scan_records`), not from the rows' positions."""
        records = scan_records(path)
        (keep_order,) = self.con.execute(
            "SELECT current_setting('preserve_insertion_order')"
        ).fetchone() or (True,)
        self.con.execute("SET preserve_insertion_order = true")  # rowid is the file order
        try:
            self.con.execute(
                f"""
                CREATE TEMP TABLE st_long_rows AS
                SELECT * FROM read_csv(?, header = true, columns = {_duck_struct(types)},
                                       delim = ',', quote = '"', escape = '"',
                                       store_rejects = true, rejects_table = 'st_rejects',
                                       rejects_scan = 'st_rejects_scan', rejects_limit = 1000)
                """,
                [str(path)],
            )
        finally:
            self.con.execute(f"SET preserve_insertion_order = {bool(keep_order)}")
        rejects = self.con.execute(
            "SELECT line_byte_position, column_name, error_type, csv_line FROM st_rejects "
            f"ORDER BY line, column_idx LIMIT {_PROBLEM_LIMIT}"
        ).fetchall()
        reject_lines = records.line_of(int(r[0]) for r in rejects)
        kept = None
        if rejects or not records.one_per_line:
            kept = records.kept_lines(
                int(p) for (p,) in self.con.execute(
                    "SELECT DISTINCT line_byte_position FROM st_rejects"
                ).fetchall()
            )
        (stored,) = self.con.execute("SELECT count(*) FROM st_long_rows").fetchall()[0]
        if kept is not None and len(kept) == stored:
            self.con.register("st_lines", pa.table({"line": kept}))
            self._registered.append("st_lines")
            self.con.execute(
                "CREATE TEMP VIEW st_long AS SELECT r.*, l.line "
                "FROM st_long_rows r POSITIONAL JOIN st_lines l"
            )
        else:  # one record per line (or a file the scan reads otherwise than DuckDB)
            self.con.execute(
                "CREATE TEMP VIEW st_long AS SELECT *, CAST(rowid + 2 AS INTEGER) AS line "
                "FROM st_long_rows"
            )
        for line, (_position, column, kind, cells) in zip(reject_lines, rejects, strict=True):
            value = str(cells).lstrip("\r\n")  # the reader may give the line break before it
            if str(kind) == "CAST":
                problems.add(
                    "not_a_number",
                    f"Значение столбца {column} не соответствует формату: ожидается "
                    f"{_TYPE_WORDS[types.get(str(column), 'VARCHAR')]}.",
                    row=int(line),
                    column=str(column),
                    value=_cell_of(value, header, str(column)),
                )
            else:
                problems.add(
                    "bad_row",
                    "Строка не соответствует заголовку (лишние или недостающие столбцы).",
                    row=int(line),
                    value=value[:200],
                )

    def _parquet_header(self, path: Path, problems: ProblemList) -> list[str]:
        try:
            return [
                str(name)
                for (name,) in self.con.execute(
                    "SELECT name FROM parquet_schema(?) WHERE num_children IS NULL "
                    "OR num_children = 0",
                    [str(path)],
                ).fetchall()
            ]
        except duckdb.Error:
            problems.add("not_parquet", "Файл не читается как Parquet.")
            return []

    def _load_parquet(self, path: Path, types: Mapping[str, str], problems: ProblemList) -> None:
        """A view over the Parquet file (scanned where it lies); cells that do not convert to
        the declared types are reported with their record numbers."""
        source = "read_parquet('" + str(path).replace("'", "''") + "', file_row_number = true)"
        for column, kind in types.items():
            if kind == "VARCHAR":
                continue
            for line, value in self.con.execute(
                f'SELECT file_row_number + 1, "{column}" FROM {source} '
                f'WHERE "{column}" IS NOT NULL AND TRY_CAST("{column}" AS {kind}) IS NULL '
                f"ORDER BY 1 LIMIT {_PROBLEM_LIMIT}"
            ).fetchall():
                problems.add(
                    "not_a_number",
                    f"Значение столбца {column} не соответствует формату: ожидается "
                    f"{_TYPE_WORDS[kind]}.",
                    row=int(line),
                    column=column,
                    value=str(value),
                )
        casts = ", ".join(f'CAST("{c}" AS {k}) AS "{c}"' for c, k in types.items())
        self.con.execute(
            f"CREATE TEMP VIEW st_long AS SELECT {casts}, "
            f"CAST(file_row_number + 1 AS INTEGER) AS line FROM {source}"
        )

    def _canonical_scan(self, problems: ProblemList) -> dict[int, list[TaskSpec]]:
        """One pass over the rows, grouped by work and task: required cells, the task's maximum
        (the first one seen; any other value is a problem), score ranges. Numbers the works
        (``st_canon_blocks``) and returns their task lists in order of first appearance."""
        required = {
            "org_code": "coalesce(org_code, '') = ''",
            "participant_code": "coalesce(participant_code, '') = ''",
            "task": "coalesce(task, '') = ''",
            "year": "year IS NULL",
            "task_max": "task_max IS NULL",
            "procedure": "coalesce(procedure, '') = ''",
            "subject": "coalesce(subject, '') = ''",
        }
        out_of_range = "score < 0 OR score > task_max + 1e-9"
        self.con.execute(
            f"""
            CREATE TEMP TABLE st_canon_scan AS
            SELECT {_WORK}, task, arg_min(task_max, line) AS mx, min(task_max) AS mn,
                   max(task_max) AS mxx, max(coalesce(task_level, '')) AS lvl,
                   min(line) AS first_line,
                   {", ".join(f"count_if({c}) AS req_{name}" for name, c in required.items())},
                   count_if({out_of_range}) AS out_of_range
            FROM st_long GROUP BY {_WORK}, task
            """
        )
        counts = self.con.execute(
            "SELECT "
            + ", ".join(f"coalesce(sum(req_{name}), 0)" for name in required)
            + ", coalesce(sum(out_of_range), 0) FROM st_canon_scan"
        ).fetchone()
        assert counts is not None
        for (column, condition), total in zip(required.items(), counts, strict=False):
            if not total:
                continue
            rows = self.con.execute(
                f"SELECT line FROM st_long WHERE {condition} ORDER BY line LIMIT {_PROBLEM_LIMIT}"
            ).fetchall()
            for (line,) in rows:
                problems.add("required", f"Не заполнен столбец {column}.", row=int(line),
                             column=column)
            problems.total += int(total) - len(rows)
        if problems:
            return {}
        self.con.execute(
            f"""
            CREATE TEMP TABLE st_canon_blocks AS
            SELECT row_number() OVER (ORDER BY {_WORK}) AS block, {_WORK}
            FROM (SELECT DISTINCT {_WORK} FROM st_canon_scan)
            """
        )
        self.con.execute(
            f"""
            CREATE TEMP TABLE st_canon_tasks AS
            SELECT b.block, row_number() OVER (PARTITION BY b.block ORDER BY t.first_line)
                       AS task_pos,
                   t.*
            FROM st_canon_scan t JOIN st_canon_blocks b ON {_WORK_JOIN.format(a='b', b='t')}
            """
        )
        specs: dict[int, list[TaskSpec]] = {}
        for block, task, mx, lvl in self.con.execute(
            "SELECT block, task, mx, lvl FROM st_canon_tasks ORDER BY block, task_pos"
        ).fetchall():
            specs.setdefault(int(block), []).append(
                TaskSpec(number=str(task), max_score=float(mx), level=str(lvl or ""),
                         column=f"task={task}")
            )
        if self.con.execute("SELECT count(*) FROM st_canon_tasks WHERE mn <> mxx").fetchone() != (
            0,
        ):
            for task, first_max, other, line in self.con.execute(
                f"""
                SELECT l.task, any_value(t.mx), any_value(l.task_max), min(l.line)
                FROM st_long l JOIN st_canon_tasks t
                  ON {_WORK_JOIN.format(a='t', b='l')} AND t.task = l.task
                WHERE t.mn <> t.mxx AND l.task_max <> t.mx
                GROUP BY t.block, l.task ORDER BY 4 LIMIT {_PROBLEM_LIMIT}
                """
            ).fetchall():
                problems.add(
                    "task_max_inconsistent",
                    f"У задания {task} в разных строках разный максимальный балл "
                    f"({first_max:g} и {other:g}).",
                    row=int(line), column="task_max", value=_fmt(other),
                )
            if problems:
                return {}
        if counts[-1]:
            for line, task, score, mx in self.con.execute(
                f"SELECT line, task, score, task_max FROM st_long WHERE {out_of_range} "
                f"ORDER BY line LIMIT {_PROBLEM_LIMIT}"
            ).fetchall():
                problems.add(
                    "score_above_max" if score > mx else "score_negative",
                    f"Балл за задание {task} вне допустимого диапазона 0–{mx:g}.",
                    row=int(line), column=f"task={task}", value=_fmt(score),
                )
        self.con.execute(
            """
            INSERT INTO st_block_task
            SELECT block, task_pos, task, mx, 'task=' || task FROM st_canon_tasks
            """
        )
        return specs

    def _participant_runs(self) -> bool:
        """When Arrow read the file and every participant's rows are consecutive, aggregate the
        participants over the runs of rows (``st_runs``) and give the rows their run number."""
        table = self._long_table
        if table is not None:
            found = participant_runs(table, ABSENT_WORDS)
            if found is None:
                return False
            runs, run = found
            self.con.register("st_runs", runs)
            self._registered.append("st_runs")
        elif not self._runs_staged:  # neither Arrow's whole table nor its parts
            return False
        split = self.con.execute(
            f"""
            SELECT 1 FROM st_runs GROUP BY {_WORK}, lower(org_code), participant_code
            HAVING count(*) > 1 LIMIT 1
            """
        ).fetchall()
        if split:  # some participant's rows are apart: the hash aggregation decides
            self.con.unregister("st_runs")  # and its aggregates need not stay in memory
            self._registered.remove("st_runs")
            return False
        if table is None:  # the parts' rows were stored with their run
            return True
        self.con.unregister("st_long")
        self.con.register("st_long", table.append_column("run", run))
        return True

    def _canonical_participants(self, problems: ProblemList) -> None:
        """One pass per participant: results, and fields that disagree between the rows."""
        optional = set(self.con.sql("SELECT * FROM st_long LIMIT 0").columns)
        self.by_runs = self._participant_runs()
        if self.by_runs:
            given = {c: (c if c in optional else "NULL") for c in CANONICAL_OPTIONAL}
            source = f"""
                SELECT {_WORK}, lower(org_code) AS org_code, participant_code, src_row, n_rows,
                       {given['org_name']} AS org_name, {given['municipality']} AS municipality,
                       class_label, variant, lower(left({given['sex']}, 1)) AS sex,
                       {given['student_code']} AS student_code, absent, disagree,
                       primary_score, total, mark, journal_mark,
                       {given['test_score']} AS test_score, run
                FROM st_runs
            """
        else:
            source = self._participants_sql(optional)
        self.con.execute(
            f"""
            CREATE TEMP TABLE st_part AS
            SELECT b.block, p.*
            FROM ({source}) p
            JOIN st_canon_blocks b ON {_WORK_JOIN.format(a='b', b='p')}
            """
        )
        self._check_participants(problems)

    def _participants_sql(self, optional: set[str]) -> str:
        """The hash aggregation of the rows by participant key."""
        opt = {c: (f"any_value({c})" if c in optional else "NULL") for c in CANONICAL_OPTIONAL}
        # a field disagrees when two values differ or some rows have it and some do not
        differs = " OR ".join(
            f"coalesce({c} <> {c}_max, false) OR {c}_n NOT IN (0, n_rows)"
            for c in ("primary_score", "mark", "journal_mark")
        )
        return f"""
            SELECT {_WORK}, org_code, participant_code, src_row, n_rows, org_name,
                   municipality, class_label, variant, sex, student_code, absent,
                   {differs} OR absent <> absent_all AS disagree,
                   primary_score, total, mark, journal_mark, test_score
            FROM (
                SELECT {_WORK}, lower(org_code) AS org_code, participant_code,
                       min(line) AS src_row, count(*) AS n_rows,
                       {opt['org_name']} AS org_name, {opt['municipality']} AS municipality,
                       any_value(class_label) AS class_label, any_value(variant) AS variant,
                       lower(left({opt['sex']}, 1)) AS sex, {opt['student_code']} AS student_code,
                       bool_or({_ABSENT}) AS absent, bool_and({_ABSENT}) AS absent_all,
                       min(primary_score) AS primary_score,
                       max(primary_score) AS primary_score_max,
                       count(primary_score) AS primary_score_n, sum(score) AS total,
                       min(mark) AS mark, max(mark) AS mark_max, count(mark) AS mark_n,
                       min(journal_mark) AS journal_mark, max(journal_mark) AS journal_mark_max,
                       count(journal_mark) AS journal_mark_n,
                       {opt['test_score']} AS test_score
                FROM st_long GROUP BY {_WORK}, lower(org_code), participant_code
            )
        """

    def _check_participants(self, problems: ProblemList) -> None:
        """Fields that disagree, missing or repeated task rows, primary ≠ sum; then results."""
        for code, org, line in self.con.execute(
            f"""
            SELECT participant_code, org_code, src_row FROM st_part WHERE disagree
            ORDER BY src_row LIMIT {_PROBLEM_LIMIT}
            """
        ).fetchall():
            problems.add(
                "participant_inconsistent",
                f"У участника {code} (ОО {org}) в разных строках разные первичный балл, отметка "
                "или признак отсутствия.",
                row=int(line),
            )
        # Each participant has one row per task of the work: more rows mean a repeated task,
        # fewer a missing one (absent participants too have a row per task, score empty).
        self.con.execute(
            """
            CREATE TEMP TABLE st_task_counts AS
            SELECT block, count(*) AS n FROM st_block_task GROUP BY block
            """
        )
        odd = self.con.execute(
            f"""
            SELECT p.block, p.org_code, p.participant_code, p.src_row, p.n_rows, c.n
            FROM st_part p JOIN st_task_counts c USING (block)
            WHERE p.n_rows <> c.n ORDER BY p.src_row LIMIT {_PROBLEM_LIMIT}
            """
        ).fetchall()
        for block, org, code, src_row, n_rows, n_tasks in odd:
            if n_rows < n_tasks:
                problems.add(
                    "missing_task_row",
                    f"У участника {code} (ОО {org}) строк {n_rows}, а заданий в работе "
                    f"{n_tasks}: для каждого задания нужна строка (балл пустой, если задание не "
                    "выполнялось).",
                    row=int(src_row),
                )
                continue
            for task, line in self.con.execute(
                f"""
                SELECT task, max(line) FROM st_long
                WHERE lower(org_code) = ? AND participant_code = ?
                  AND ({_WORK}) = (SELECT ({_WORK}) FROM st_canon_blocks WHERE block = ?)
                GROUP BY task HAVING count(*) > 1 ORDER BY 2
                """,
                [org, code, block],
            ).fetchall():
                problems.add(
                    "duplicate_task_row",
                    f"Задание {task} участника {code} (ОО {org}) встречается несколько раз.",
                    row=int(line), column="task",
                )
        for code, org, line, primary, total in self.con.execute(
            f"""
            SELECT participant_code, org_code, src_row, primary_score, total FROM st_part
            WHERE NOT absent AND primary_score IS NOT NULL AND total IS NOT NULL
              AND abs(primary_score - total) > 1e-6
            ORDER BY src_row LIMIT {_PROBLEM_LIMIT}
            """
        ).fetchall():
            problems.add(
                "primary_not_sum",
                f"Первичный балл участника {code} (ОО {org}) не равен сумме баллов за задания "
                f"({_fmt(total)}).",
                row=int(line), column="primary_score", value=_fmt(primary),
            )
        if problems:
            return
        self.con.execute(
            """
            INSERT INTO st_result
            SELECT block, src_row, org_code, org_name, municipality, participant_code,
                   class_label, variant, sex, student_code, absent, primary_score,
                   CAST(mark AS DOUBLE), test_score, CAST(journal_mark AS DOUBLE)
            FROM st_part
            """
        )
        # Task scores stay in the long table; this view gives them the shape of st_task for
        # conditional scale rules (range and sum checks were done above).
        self.con.execute("DROP TABLE st_task")
        self.con.execute(
            f"""
            CREATE TEMP VIEW st_task AS
            SELECT p.block, p.src_row, t.task_pos, CAST(l.score AS REAL) AS score, l.line
            FROM st_long l
            JOIN st_part p ON {self._participant_of_row('p', 'l')}
            JOIN st_canon_tasks t ON t.block = p.block AND t.task = l.task
            WHERE l.score IS NOT NULL
            """
        )

    def _participant_of_row(self, part: str, row: str) -> str:
        """The join condition of a participant table ``part`` and the long rows ``row``."""
        if self.by_runs:
            return f"{part}.run = {row}.run"
        return (
            f"{_WORK_JOIN.format(a=part, b=row)} AND {part}.org_code = lower({row}.org_code) "
            f"AND {part}.participant_code = {row}.participant_code"
        )

    def _csv_header(self, path: Path) -> list[str]:
        with path.open("rb") as fh:
            first = fh.readline().decode("utf-8-sig", errors="replace")
        return [c.strip().strip('"') for c in first.strip("\r\n").split(",")]

    # --- validation -----------------------------------------------------------------------
    def validate(
        self,
        problems: ProblemList,
        rules: Mapping[int, BlockRules],
        known_orgs: Mapping[str, int],
        *,
        create_orgs: bool,
        allowed_orgs: set[str] | None,
    ) -> None:
        """Run every row-level rule; add problems (file order) naming row, column and value."""
        self._register_orgs(known_orgs)
        sheet = {b: info.sheet for b, info in self.blocks.items()}

        def col(block: int, name: str, default: str) -> str:
            return self.blocks[block].columns.get(name, default)

        for block, row, label, score, mx, number in ([] if self.canonical else self.con.execute(
            f"""
            SELECT t.block, t.line, bt.column_label, t.score, bt.max_score, bt.number
            FROM st_task t JOIN st_block_task bt USING (block, task_pos)
            WHERE t.score < 0 OR t.score > bt.max_score + 1e-9
            ORDER BY t.block, t.line, t.task_pos LIMIT {_PROBLEM_LIMIT}
            """
        ).fetchall()):
            problems.add(
                "score_above_max" if score > mx else "score_negative",
                f"Балл за задание {number} вне допустимого диапазона 0–{mx:g}.",
                sheet=sheet[block],
                row=row,
                column=label,
                value=_fmt(score),
            )
        for block, row, primary, total in [] if self.canonical else self.con.execute(
            f"""
            SELECT r.block, r.src_row, r.primary_score, s.total
            FROM st_result r
            JOIN (SELECT block, src_row, sum(score) AS total FROM st_task GROUP BY 1, 2) s
              USING (block, src_row)
            WHERE NOT r.absent AND r.primary_score IS NOT NULL
              AND abs(r.primary_score - s.total) > 1e-6
            ORDER BY r.block, r.src_row LIMIT {_PROBLEM_LIMIT}
            """
        ).fetchall():
            problems.add(
                "primary_not_sum",
                f"Первичный балл не равен сумме баллов за задания ({_fmt(total)}).",
                sheet=sheet[block],
                row=row,
                column=col(block, "primary", "Первичный балл"),
                value=_fmt(primary),
            )
        for block, row, mark in self._rows(
            "mark IS NOT NULL AND (mark NOT IN (2, 3, 4, 5))", "mark"
        ):
            problems.add(
                "mark_out_of_range",
                "Отметка должна быть 2, 3, 4 или 5.",
                sheet=sheet[block],
                row=row,
                column=col(block, "mark", "Отметка"),
                value=_fmt(mark),
            )
        for block, row, mark in self._rows(
            "journal_mark IS NOT NULL AND (journal_mark NOT IN (1, 2, 3, 4, 5))", "journal_mark"
        ):
            problems.add(
                "mark_out_of_range",
                "Отметка по журналу должна быть от 1 до 5.",
                sheet=sheet[block],
                row=row,
                column=col(block, "journal_mark", "Отметка по журналу"),
                value=_fmt(mark),
            )
        for block, row, code in self.con.execute(
            f"""
            SELECT block, max(src_row), participant_code FROM st_result
            GROUP BY block, org_code, participant_code HAVING count(*) > 1
            ORDER BY 1, 2 LIMIT {_PROBLEM_LIMIT}
            """
        ).fetchall():
            problems.add(
                "duplicate_participant",
                "Код участника повторяется в одной организации и работе.",
                sheet=sheet[block],
                row=row,
                column=col(block, "participant_code", "Код участника"),
                value=code,
            )
        if not create_orgs:
            for block, row, code in self.con.execute(
                f"""
                SELECT block, min(src_row), org_code FROM st_result
                WHERE org_code NOT IN (SELECT code FROM st_org)
                GROUP BY block, org_code ORDER BY 1, 2 LIMIT {_PROBLEM_LIMIT}
                """
            ).fetchall():
                problems.add(
                    "unknown_organization",
                    "Организации с таким логином нет в реестре. Добавьте её в реестр или "
                    "загрузите файл с параметром --create-orgs.",
                    sheet=sheet[block],
                    row=row,
                    column=col(block, "org_code", "ОО"),
                    value=code,
                )
        if allowed_orgs is not None:
            self.con.register(
                "_allowed", pa.table({"code": pa.array(sorted(allowed_orgs), pa.string())})
            )
            for block, row, code in self.con.execute(
                f"""
                SELECT block, min(src_row), org_code FROM st_result
                WHERE org_code NOT IN (SELECT code FROM _allowed)
                GROUP BY block, org_code ORDER BY 1, 2 LIMIT {_PROBLEM_LIMIT}
                """
            ).fetchall():
                problems.add(
                    "foreign_organization",
                    "Пользователь ОО может загружать результаты только своей организации.",
                    sheet=sheet[block],
                    row=row,
                    column=col(block, "org_code", "ОО"),
                    value=code,
                )
            self.con.unregister("_allowed")
        for block, block_rules in rules.items():
            self._validate_block(block, block_rules, problems)

    def _rows(self, condition: str, column: str) -> list[tuple[Any, ...]]:
        return self.con.execute(
            f"SELECT block, src_row, {column} FROM st_result WHERE {condition} "
            f"ORDER BY block, src_row LIMIT {_PROBLEM_LIMIT}"
        ).fetchall()

    def _validate_block(self, block: int, rules: BlockRules, problems: ProblemList) -> None:
        sheet = self.blocks[block].sheet
        columns = self.blocks[block].columns
        if rules.max_primary is not None:
            for row, primary in self.con.execute(
                f"""SELECT src_row, primary_score FROM st_result WHERE block = ?
                    AND primary_score > ? ORDER BY src_row LIMIT {_PROBLEM_LIMIT}""",
                [block, rules.max_primary],
            ).fetchall():
                problems.add(
                    "primary_above_max",
                    f"Первичный балл больше максимального для работы «{rules.assessment_label}» "
                    f"({rules.max_primary:g}).",
                    sheet=sheet,
                    row=row,
                    column=columns.get("primary", "Первичный балл"),
                    value=_fmt(primary),
                )
        if rules.require_marks:
            for row, code in self.con.execute(
                f"""SELECT src_row, participant_code FROM st_result WHERE block = ?
                    AND NOT absent AND mark IS NULL ORDER BY src_row LIMIT {_PROBLEM_LIMIT}""",
                [block],
            ).fetchall():
                problems.add(
                    "mark_missing",
                    "Не указана отметка участника, выполнявшего работу.",
                    sheet=sheet,
                    row=row,
                    column=columns.get("mark", "Отметка"),
                    value=code,
                )
        if rules.scale is not None and self.blocks[block].has_marks:
            expected = self.expected_marks_sql(block, rules.scale)
            if expected is not None:
                for row, primary, mark, exp in self.con.execute(
                    f"""
                    SELECT r.src_row, r.primary_score, r.mark, e.expected
                    FROM st_result r JOIN ({expected}) e USING (block, src_row)
                    WHERE r.block = {block} AND NOT r.absent AND r.mark IS NOT NULL
                      AND r.primary_score IS NOT NULL AND r.mark <> e.expected
                    ORDER BY r.src_row LIMIT {_PROBLEM_LIMIT}
                    """
                ).fetchall():
                    problems.add(
                        "mark_inconsistent",
                        f"Отметка не соответствует шкале ({rules.scale_note}): при первичном "
                        f"балле {_fmt(primary)} положена «{int(exp)}».",
                        sheet=sheet,
                        row=row,
                        column=columns.get("mark", "Отметка"),
                        value=_fmt(mark),
                    )
        if rules.conversion and self.blocks[block].has_test_scores:
            conv = pa.table(
                {
                    "p": pa.array([float(k) for k in rules.conversion], pa.float64()),
                    "t": pa.array([float(v) for v in rules.conversion.values()], pa.float64()),
                }
            )
            self.con.register("_conv", conv)
            try:
                for row, primary, test, exp in self.con.execute(
                    f"""
                    SELECT r.src_row, r.primary_score, r.test_score, c.t
                    FROM st_result r JOIN _conv c ON c.p = r.primary_score
                    WHERE r.block = ? AND r.test_score IS NOT NULL AND r.test_score <> c.t
                    ORDER BY r.src_row LIMIT {_PROBLEM_LIMIT}
                    """,
                    [block],
                ).fetchall():
                    problems.add(
                        "test_score_inconsistent",
                        f"Тестовый балл не соответствует шкале перевода: при первичном балле "
                        f"{_fmt(primary)} положено {_fmt(exp)}.",
                        sheet=sheet,
                        row=row,
                        column=columns.get("test_score", "Тестовый балл"),
                        value=_fmt(test),
                    )
            finally:
                self.con.unregister("_conv")

    def expected_marks_sql(self, block: int, scale: ScaleSpec) -> str | None:
        """SQL giving (block, src_row, expected) for a block under a scale (with conditions).

        None when a condition refers to tasks that the work does not have.
        """
        numbers = {
            str(n): int(p)
            for p, n in self.con.execute(
                "SELECT task_pos, number FROM st_block_task WHERE block = ?", [block]
            ).fetchall()
        }
        cases = " ".join(
            f"WHEN r.primary_score >= {float(b)!r} THEN {int(m)}"
            for m, b in sorted(scale.boundaries.items(), reverse=True)
        )
        lowest = min(scale.boundaries) - 1
        expr = f"(CASE {cases} ELSE {lowest} END)"
        joins = []
        for i, cond in enumerate(sorted(scale.conditions, key=lambda c: -c.mark)):
            positions = [numbers.get(t) for t in cond.tasks]
            if any(p is None for p in positions):
                return None
            pos_list = ", ".join(str(p) for p in positions)
            joins.append(
                f"LEFT JOIN (SELECT block, src_row, sum(score) AS s FROM st_task "
                f"WHERE block = {block} AND task_pos IN ({pos_list}) GROUP BY 1, 2) c{i} "
                f"USING (block, src_row)"
            )
            expr = (
                f"(CASE WHEN {expr} >= {cond.mark} AND coalesce(c{i}.s, 0) < "
                f"{float(cond.min_points)!r} THEN {cond.otherwise} ELSE {expr} END)"
            )
        return (
            f"SELECT r.block, r.src_row, {expr} AS expected FROM st_result r "
            f"{' '.join(joins)} WHERE r.block = {block}"
        )

    def _register_orgs(self, known: Mapping[str, int]) -> None:
        self.con.execute("DROP TABLE IF EXISTS temp.st_org")
        table = pa.table(
            {
                "code": pa.array(list(known.keys()), pa.string()),
                "org_id": pa.array(list(known.values()), pa.int32()),
            }
        )
        self.con.register("_orgs", table)
        self.con.execute("CREATE TEMP TABLE st_org AS SELECT * FROM _orgs")
        self.con.unregister("_orgs")

    # --- reading back -----------------------------------------------------------------------
    def marks_and_primary(self, block: int) -> tuple[np.ndarray, np.ndarray]:
        data = self.con.execute(
            """SELECT primary_score, mark FROM st_result WHERE block = ? AND NOT absent
               AND primary_score IS NOT NULL AND mark IS NOT NULL""",
            [block],
        ).fetchnumpy()
        return np.asarray(data["primary_score"], dtype=float), np.asarray(data["mark"], dtype=float)

    def org_summary(self) -> list[tuple[int, str, str, str, int]]:
        """(block, org_code, org_name, municipality, participants) per block and organization."""
        return [
            (int(b), str(code), str(name or ""), str(mun or ""), int(n))
            for b, code, name, mun, n in self.con.execute(
                """SELECT block, org_code, any_value(org_name), any_value(municipality), count(*)
                   FROM st_result GROUP BY block, org_code ORDER BY block, org_code"""
            ).fetchall()
        ]

    def set_slices(self, slices: Sequence[tuple[int, str, int, int, int, int]]) -> None:
        """Register (block, org_code, slice_id, assessment_id, org_id, year) for the output."""
        table = pa.table(
            {
                "block": pa.array([s[0] for s in slices], pa.int32()),
                "org_code": pa.array([s[1] for s in slices], pa.string()),
                "slice_id": pa.array([s[2] for s in slices], pa.int64()),
                "assessment_id": pa.array([s[3] for s in slices], pa.int32()),
                "org_id": pa.array([s[4] for s in slices], pa.int32()),
                "year": pa.array([s[5] for s in slices], pa.int16()),
            }
        )
        self.con.execute("DROP TABLE IF EXISTS temp.st_slice")
        self.con.register("_slices", table)
        self.con.execute("CREATE TEMP TABLE st_slice AS SELECT * FROM _slices")
        self.con.unregister("_slices")
        self.con.execute(
            """
            CREATE OR REPLACE TEMP TABLE st_ids AS
            SELECT r.block, r.src_row, s.slice_id, s.assessment_id, s.org_id, s.year,
                   (s.slice_id << 32) + row_number() OVER (PARTITION BY s.slice_id
                                                           ORDER BY r.src_row) AS result_id
            FROM st_result r JOIN st_slice s USING (block, org_code)
            """
        )
        if self.canonical:
            # the participants' keys beside their ids: the long rows find their result by one
            # join (and their task position by another) when the task scores are written
            self.con.execute(
                f"""
                CREATE OR REPLACE TEMP TABLE st_part_ids AS
                SELECT p.block, p.procedure, p.subject, p.grade, p.year, p.org_code,
                       p.participant_code, {"p.run" if self.by_runs else "NULL AS run"},
                       i.slice_id, i.result_id, i.assessment_id, i.org_id
                FROM st_part p JOIN st_ids i USING (block, src_row)
                """
            )

    def block_grades(self) -> dict[int, int | None]:
        return {b: info.grade for b, info in self.blocks.items()}

    def results_sql(self) -> str:
        """The ``result`` fact rows (schema order) of the staged file."""
        grades = ", ".join(
            f"({b}, {g if g is not None else 'NULL'})" for b, g in self.block_grades().items()
        )
        return f"""
            SELECT i.slice_id, i.result_id, i.assessment_id, i.org_id, i.year,
                   CAST(g.grade AS SMALLINT) AS grade, r.participant_code, r.student_code,
                   r.class_label, r.variant, r.sex, r.absent, r.primary_score,
                   CAST(r.mark AS SMALLINT) AS mark, r.test_score,
                   CAST(r.journal_mark AS SMALLINT) AS journal_mark
            FROM st_result r JOIN st_ids i USING (block, src_row)
            JOIN (VALUES {grades}) g(block, grade) ON g.block = r.block
            """

    def task_scores_sql(self) -> str:
        """The ``task_score`` fact rows (schema order) of the staged file."""
        if self.canonical:
            return f"""
                SELECT i.slice_id, i.result_id, i.assessment_id, i.org_id,
                       CAST(t.task_pos AS SMALLINT) AS task_pos, CAST(l.score AS REAL) AS score
                FROM st_long l
                JOIN st_part_ids i ON {self._participant_of_row('i', 'l')}
                JOIN st_canon_tasks t ON t.block = i.block AND t.task = l.task
                WHERE l.score IS NOT NULL
                """
        return """
            SELECT i.slice_id, i.result_id, i.assessment_id, i.org_id,
                   CAST(t.task_pos AS SMALLINT) AS task_pos, CAST(t.score AS REAL) AS score
            FROM st_task t JOIN st_ids i USING (block, src_row)
            """

    def output_results(self, batch_rows: int = 250_000) -> Iterator[pa.RecordBatch]:
        yield from self.con.sql(self.results_sql()).to_arrow_reader(batch_rows)

    def output_task_scores(self, batch_rows: int = 1_000_000) -> Iterator[pa.RecordBatch]:
        yield from self.con.sql(self.task_scores_sql()).to_arrow_reader(batch_rows)

    def slice_rows(self) -> dict[int, int]:
        return {
            int(s): int(n)
            for s, n in self.con.execute(
                "SELECT slice_id, count(*) FROM st_ids GROUP BY 1"
            ).fetchall()
        }


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _cell_of(line: str, header: list[str], column: str) -> str:
    """The value of ``column`` in a raw CSV line (for the message), best effort."""
    parts = line.split(",")
    if column in header and header.index(column) < len(parts):
        return parts[header.index(column)].strip('"')
    return line[:100]


def _duck_struct(cols: Mapping[str, str]) -> str:
    inner = ", ".join(f"'{name}': '{kind}'" for name, kind in cols.items())
    return "{" + inner + "}"
