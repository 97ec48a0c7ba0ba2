"""The same built-in indicators over the same facts give the same values on the embedded engine
(DuckDB) and on PostgreSQL.

In the PostgreSQL test run the facts of the fixture live in the test database and are compared
with an in-memory DuckDB copy; in the SQLite run they live in DuckDB and are copied into a
temporary PostgreSQL database on 127.0.0.1:5432 (when it answers; otherwise the DuckDB values
are still checked against a second DuckDB store, so the test never passes vacuously)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import ibis
import numpy as np
import pandas as pd
import pytest
from django.conf import settings

from soko.indicators.models import Indicator
from soko.indicators.services import indicators_frames
from soko.warehouse.schema import FACT_TABLES
from soko.warehouse.store import Warehouse, open_warehouse
from tests.indicators import fixture

pytestmark = pytest.mark.django_db

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
NUMBERS = ["numerator", "denominator", "value", "n", "previous_value", "change", "p_value"]


def copy_facts(source: Warehouse, target: Warehouse) -> int:
    target.ensure_schema()
    copied = 0
    with target.write() as writer:
        for name in FACT_TABLES:
            data = source.table(name).to_pyarrow()
            copied += writer.append(name, data)
    return copied


def pg_answers() -> bool:
    import psycopg

    try:
        with psycopg.connect(dbname="postgres", connect_timeout=3, **PG):
            return True
    except psycopg.OperationalError:
        return False


@contextlib.contextmanager
def temporary_pg() -> Iterator[Warehouse]:
    import psycopg

    name = f"soko_ind_conformance_{os.getpid()}"
    with psycopg.connect(dbname="postgres", autocommit=True, **PG) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    con = ibis.postgres.connect(database=name, **PG)
    wh = Warehouse("postgres", con, pg_params={"dbname": name, **PG})
    try:
        yield wh
    finally:
        wh.close()
        with psycopg.connect(dbname="postgres", autocommit=True, **PG) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextlib.contextmanager
def duckdb_copy(source: Warehouse) -> Iterator[Warehouse]:
    wh = Warehouse("duckdb", ibis.duckdb.connect())
    try:
        copy_facts(source, wh)
        yield wh
    finally:
        wh.close()


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    keep = frame[
        ["entity", "entity_id", "year", "bkey", *NUMBERS, "suppressed", "change_significant"]
    ].copy()
    keep["change_significant"] = keep["change_significant"].map(
        lambda v: None if v is None or v is pd.NA else bool(v)
    )
    return keep.sort_values(["entity", "entity_id", "year", "bkey"]).reset_index(drop=True)


def test_builtin_indicators_agree_on_duckdb_and_postgresql(personas: Any) -> None:
    codes = list(Indicator.objects.filter(retired=False).values_list("code", flat=True))
    with fixture.fake_flags():
        fixture.build(personas)
        with open_warehouse() as here:
            facts = int(here.facts("result").count().execute())
            assert facts > 100
            if settings.SOKO.warehouse == "postgres":
                pair = duckdb_copy(here)
                kinds = ("postgres", "duckdb")
            elif pg_answers():
                pair = temporary_pg()
                kinds = ("duckdb", "postgres")
            else:
                pair = duckdb_copy(here)
                kinds = ("duckdb", "duckdb")
            with pair as other:
                if other.kind == "postgres" and settings.SOKO.warehouse != "postgres":
                    copy_facts(here, other)
                first, first_problems = indicators_frames(warehouse=here, years=[2026], codes=codes)
                second, second_problems = indicators_frames(
                    warehouse=other, years=[2026], codes=codes
                )
    assert (here.kind, other.kind) == kinds
    assert first_problems == second_problems == {}
    assert set(first) == set(second)
    compared = 0
    for code in sorted(first):
        a, b = canonical(first[code]), canonical(second[code])
        assert len(a) == len(b), f"{code}: {len(a)} строк на {kinds[0]}, {len(b)} на {kinds[1]}"
        assert (
            a[["entity", "entity_id", "year", "bkey"]].values
            == b[["entity", "entity_id", "year", "bkey"]].values
        ).all(), code
        for column in NUMBERS:
            np.testing.assert_allclose(
                a[column].astype("float64"),
                b[column].astype("float64"),
                rtol=1e-9,
                atol=1e-9,
                equal_nan=True,
                err_msg=f"{code}: {column}",
            )
        assert list(a["suppressed"]) == list(b["suppressed"]), code
        assert list(a["change_significant"]) == list(b["change_significant"]), code
        compared += len(a)
    assert compared > 300
