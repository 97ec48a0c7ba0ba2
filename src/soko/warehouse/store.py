"""The fact store: DuckDB under ``./var`` by default, PostgreSQL when the instance runs on it.

All reads go through Ibis, so the same analysis code runs on either engine (and could run on
a distributed one). Writes go through :meth:`Warehouse.write`, a transaction that appends Arrow
data and updates slice states.

Consistency with the application database works on *slices* (one import batch × kind ×
assessment × organization). The application database is the source of truth for a slice's
state; the ``fact_slice`` table here mirrors it. An import first writes its facts with slice
state ``pending`` (invisible to readers), then commits the application records, then marks the
slices ``active``. A process killed in between leaves only pending rows, which
:func:`reconcile` removes; readers never see them.
"""

from __future__ import annotations

import abc
import contextlib
import io
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.csv as pacsv
from filelock import FileLock, Timeout

from soko.core.errors import Busy
from soko.warehouse.schema import DATA_TABLES, FACT_TABLES, SLICE, FactTable

ACTIVE = "active"
PENDING = "pending"
SUPERSEDED = "superseded"
UNDONE = "undone"
SLICE_STATES = (PENDING, ACTIVE, SUPERSEDED, UNDONE)

_SQL_TYPES = {
    "duckdb": {
        "int64": "BIGINT",
        "int32": "INTEGER",
        "int16": "SMALLINT",
        "string": "VARCHAR",
        "boolean": "BOOLEAN",
        "float64": "DOUBLE",
        "float32": "REAL",
        "date": "DATE",
    },
    "postgres": {
        "int64": "BIGINT",
        "int32": "INTEGER",
        "int16": "SMALLINT",
        "string": "TEXT",
        "boolean": "BOOLEAN",
        "float64": "DOUBLE PRECISION",
        "float32": "REAL",
        "date": "DATE",
    },
}
_PG_INDEXES = {
    "fact_slice": ["slice_id", "state"],
    "result": ["slice_id", "assessment_id", "org_id"],
    "task_score": ["slice_id", "assessment_id"],
    "aggregate_result": ["slice_id", "org_id"],
    "journal_mark": ["slice_id", "org_id"],
    "olympiad_result": ["slice_id", "org_id"],
    "medal": ["slice_id"],
    "observer_presence": ["slice_id"],
    "official_marker": ["slice_id"],
}


def create_table_sql(table: FactTable, dialect: str) -> str:
    """Return ``CREATE TABLE IF NOT EXISTS`` DDL for a fact table in the given dialect."""
    types = _SQL_TYPES[dialect]
    cols = []
    for name, kind in table.columns:
        not_null = kind.startswith("!")
        sql_type = types[kind.lstrip("!")]
        cols.append(f"{name} {sql_type}{' NOT NULL' if not_null else ''}")
    return f"CREATE TABLE IF NOT EXISTS {table.name} ({', '.join(cols)})"


class Warehouse:
    """An open fact store. Use :func:`open_warehouse` to get one."""

    def __init__(self, kind: str, con: Any, pg_params: Mapping[str, Any] | None = None) -> None:
        self.kind = kind
        self.con = con
        self._pg_params = dict(pg_params or {})

    # --- reading ---------------------------------------------------------------------------
    def table(self, name: str) -> ibis.Table:
        """All rows of a fact table, including pending and superseded slices."""
        return self.con.table(name)

    def facts(self, name: str) -> ibis.Table:
        """The visible rows of a fact table: those of active slices only."""
        data = self.con.table(name)
        active = self.con.table(SLICE.name)
        active = active.filter(active.state == ACTIVE).select("slice_id")
        return data.semi_join(active, "slice_id")

    def to_arrow(self, expr: ibis.Expr) -> pa.Table:
        return expr.to_pyarrow()

    def sql(self, query: str) -> pa.Table:
        """Run a read-only SQL query in the store's dialect and return Arrow."""
        if self.kind == "duckdb":
            return self.con.con.sql(query).to_arrow_table()
        with self.con.con.cursor() as cur:
            cur.execute(query)
            names = [d.name for d in cur.description or []]
            rows = cur.fetchall()
        return pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)})

    def count(self, name: str, visible_only: bool = True) -> int:
        t = self.facts(name) if visible_only else self.table(name)
        return int(t.count().execute())

    def slice_states(self) -> dict[int, str]:
        t = self.sql(f"SELECT slice_id, state FROM {SLICE.name}")
        return dict(
            zip(t.column("slice_id").to_pylist(), t.column("state").to_pylist(), strict=True)
        )

    # --- writing ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def write(self) -> Iterator[FactWriter]:
        """A write transaction; commits when the block ends, rolls back on an exception."""
        if self.kind == "duckdb":
            raw = self.con.con
            raw.begin()
            writer: FactWriter = _DuckWriter(raw)
            try:
                yield writer
            except BaseException:
                raw.rollback()
                raise
            raw.commit()
            return
        import psycopg

        with psycopg.connect(**self._pg_params, autocommit=False) as pg:
            writer = _PgWriter(pg)
            try:
                yield writer
            except BaseException:
                pg.rollback()
                raise
            pg.commit()

    def ensure_schema(self) -> None:
        dialect = "duckdb" if self.kind == "duckdb" else "postgres"
        with self.write() as w:
            for table in FACT_TABLES.values():
                w.execute(create_table_sql(table, dialect))
                if dialect == "postgres":
                    for col in _PG_INDEXES.get(table.name, []):
                        w.execute(
                            f"CREATE INDEX IF NOT EXISTS ix_{table.name}_{col} "
                            f"ON {table.name} ({col})"
                        )

    def reconcile(self, app_states: Mapping[int, str]) -> dict[str, int]:
        """Bring slice states in line with the application database.

        Slices unknown to the application (left by an interrupted import) are deleted with their
        facts; others get the application's state. Returns counts of what was done.
        """
        mine = self.slice_states()
        orphans = [sid for sid in mine if sid not in app_states]
        changed = {
            sid: state for sid, state in app_states.items() if sid in mine and mine[sid] != state
        }
        if orphans or changed:
            with self.write() as w:
                if orphans:
                    w.delete_slices(orphans)
                if changed:
                    w.set_states(changed)
        return {"orphans_removed": len(orphans), "states_fixed": len(changed)}

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.con.disconnect()


class FactWriter(abc.ABC):
    """Operations allowed inside :meth:`Warehouse.write`."""

    @abc.abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run one statement inside the transaction."""

    @abc.abstractmethod
    def append(self, name: str, data: pa.Table | Iterable[pa.RecordBatch]) -> int:
        """Append rows (columns named as in the schema) to a fact table; returns the count."""

    def add_slices(self, rows: Sequence[tuple[int, int, str]], state: str = PENDING) -> None:
        """Register slices ``(slice_id, batch_id, kind)`` in the given state."""
        if not rows:
            return
        table = pa.table(
            {
                "slice_id": pa.array([r[0] for r in rows], pa.int64()),
                "batch_id": pa.array([r[1] for r in rows], pa.int64()),
                "kind": pa.array([r[2] for r in rows], pa.string()),
                "state": pa.array([state] * len(rows), pa.string()),
            }
        )
        self.append(SLICE.name, table)

    def set_states(self, states: Mapping[int, str]) -> None:
        by_state: dict[str, list[int]] = {}
        for sid, state in states.items():
            if state not in SLICE_STATES:
                raise ValueError(f"unknown slice state {state!r}")
            by_state.setdefault(state, []).append(int(sid))
        for state, ids in by_state.items():
            for chunk in _chunks(ids, 5000):
                self.execute(
                    f"UPDATE {SLICE.name} SET state = '{state}' "
                    f"WHERE slice_id IN ({', '.join(str(i) for i in chunk)})"
                )

    def delete_slices(self, slice_ids: Sequence[int]) -> None:
        for chunk in _chunks([int(s) for s in slice_ids], 5000):
            ids = ", ".join(str(i) for i in chunk)
            for name in [*DATA_TABLES, SLICE.name]:
                self.execute(f"DELETE FROM {name} WHERE slice_id IN ({ids})")


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _as_batches(data: pa.Table | Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    if isinstance(data, pa.Table):
        yield from data.to_batches(max_chunksize=500_000)
    else:
        yield from data


class _DuckWriter(FactWriter):
    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def append_query(self, name: str, sql: str) -> int:
        """Append the rows of a query run on this same connection (no copy out of DuckDB)."""
        cols = ", ".join(FACT_TABLES[name].column_names)
        row = self.raw.execute(
            f"INSERT INTO {name} ({cols}) SELECT {cols} FROM ({sql})"
        ).fetchone()
        return int(row[0]) if row else 0

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.raw.execute(sql, list(params))

    def append(self, name: str, data: pa.Table | Iterable[pa.RecordBatch]) -> int:
        table = FACT_TABLES[name]
        cols = ", ".join(table.column_names)
        total = 0
        for batch in _as_batches(data):
            if batch.num_rows == 0:
                continue
            view = pa.Table.from_batches([batch]).select(table.column_names)
            self.raw.register("_soko_incoming", view)
            try:
                self.raw.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM _soko_incoming")
            finally:
                self.raw.unregister("_soko_incoming")
            total += batch.num_rows
        return total


class _PgWriter(FactWriter):
    def __init__(self, pg: Any) -> None:
        self.pg = pg

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self.pg.cursor() as cur:
            cur.execute(sql, list(params) if params else None)

    def append(self, name: str, data: pa.Table | Iterable[pa.RecordBatch]) -> int:
        table = FACT_TABLES[name]
        cols = ", ".join(table.column_names)
        total = 0
        options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
        with self.pg.cursor() as cur:
            for batch in _as_batches(data):
                if batch.num_rows == 0:
                    continue
                buf = io.BytesIO()
                pacsv.write_csv(
                    pa.Table.from_batches([batch]).select(table.column_names), buf, options
                )
                with cur.copy(f"COPY {name} ({cols}) FROM STDIN WITH (FORMAT csv)") as copy:
                    copy.write(buf.getvalue())
                total += batch.num_rows
        return total


# --- opening -----------------------------------------------------------------------------------

_local = threading.local()
_locks: dict[str, FileLock] = {}
_locks_guard = threading.Lock()


def _file_lock(path: Path) -> FileLock:
    with _locks_guard:
        lock = _locks.get(str(path))
        if lock is None:
            lock = FileLock(str(path) + ".lock", thread_local=False)
            _locks[str(path)] = lock
        return lock


def _pg_params() -> dict[str, Any]:
    from django.db import connections

    s = connections["default"].settings_dict
    params: dict[str, Any] = {"dbname": s["NAME"]}
    for key, target in (
        ("HOST", "host"),
        ("PORT", "port"),
        ("USER", "user"),
        ("PASSWORD", "password"),
    ):
        if s.get(key):
            params[target] = s[key]
    return params


def current_warehouse() -> Warehouse | None:
    """The fact store this thread has open (inside ``open_warehouse``), if any."""
    return getattr(_local, "warehouse", None)


@contextlib.contextmanager
def open_warehouse(timeout: float = 120.0) -> Iterator[Warehouse]:
    """Open the instance's fact store for the duration of the block.

    DuckDB has one writer per file, so the embedded store is guarded by a file lock shared by
    all processes of the instance; nested use in one thread reuses the open connection.
    """
    current = getattr(_local, "warehouse", None)
    if current is not None:
        yield current
        return
    from django.conf import settings

    cfg = settings.SOKO
    if cfg.warehouse == "duckdb":
        path = Path(getattr(settings, "SOKO_WAREHOUSE_PATH", cfg.warehouse_path))
        lock = _file_lock(path)
        try:
            lock.acquire(timeout=timeout)
        except Timeout as exc:
            raise Busy(
                "Хранилище фактов занято другим процессом СОКО (загрузка или расчёт). "
                "Дождитесь окончания и повторите."
            ) from exc
        try:
            con = ibis.duckdb.connect(
                str(path),
                threads=2,
                memory_limit=cfg.duckdb_memory,
                temp_directory=str(cfg.data_dir / "tmp"),
                preserve_insertion_order=False,
            )
            wh = Warehouse("duckdb", con)
            _local.warehouse = wh
            try:
                wh.ensure_schema()
                yield wh
            finally:
                _local.warehouse = None
                wh.close()
        finally:
            lock.release()
        return
    params = _pg_params()
    con = ibis.postgres.connect(
        host=params.get("host"),
        port=int(params.get("port") or 5432),
        user=params.get("user"),
        password=params.get("password"),
        database=params["dbname"],
    )
    wh = Warehouse("postgres", con, pg_params=params)
    _local.warehouse = wh
    try:
        wh.ensure_schema()
        yield wh
    finally:
        _local.warehouse = None
        wh.close()
