"""An in-memory fact store and minimal inputs for engine tests without a database."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa

from soko.indicators import formula as f
from soko.indicators.definitions import build_spec, normalise
from soko.indicators.engine import Engine, Hierarchy, IndicatorSpec, Inputs
from soko.warehouse.schema import FACT_TABLES
from soko.warehouse.store import ACTIVE, Warehouse

# Schools 1, 2 in municipality 10, school 3 in municipality 11; both in region 20.
HIERARCHY = Hierarchy({1: 10, 2: 10, 3: 11}, {10: 20, 11: 20, 20: None})
PARAMS = {"privacy.min_group_size": 10, "share": 0.3}
SCHEMA = f.Schema(external={"ext": "Внешний источник"}, params=lambda c: PARAMS[c])
_ids = itertools.count(1)

ASSESSMENTS = pa.table(
    {
        "assessment_id": pa.array([1, 2], pa.int32()),
        "procedure": ["ВПР", "ЕГЭ"],
        "procedure_kind": ["diagnostic", "exam"],
        "subject": ["МА", "РУ"],
        "a_grade": pa.array([5, 11], pa.int16()),
        "a_year": pa.array([2026, 2026], pa.int16()),
        "max_primary": [20.0, 50.0],
        "min_score": [None, 24.0],
        "min_mark": [3.0, None],
        "basic_max": pa.array([None, None], pa.float64()),
        "advanced_max": pa.array([None, None], pa.float64()),
    }
)
TASKS = pa.table(
    {
        "assessment_id": pa.array([], pa.int32()),
        "task_pos": pa.array([], pa.int16()),
        "task_number": pa.array([], pa.string()),
        "task_level": pa.array([], pa.string()),
        "task_max": pa.array([], pa.float64()),
    }
)
PROCEDURES = pa.table({"code": ["ВПР", "ЕГЭ"], "kind": ["diagnostic", "exam"]})


def store() -> Warehouse:
    wh = Warehouse("duckdb", ibis.duckdb.connect())
    wh.ensure_schema()
    return wh


def add(wh: Warehouse, table: str, rows: list[dict[str, Any]]) -> None:
    spec = FACT_TABLES[table]
    sid = next(_ids)
    full = [
        {"slice_id": sid, **{c: r.get(c) for c in spec.column_names if c != "slice_id"}}
        for r in rows
    ]
    with wh.write() as w:
        w.add_slices([(sid, sid, "test")], state=ACTIVE)
        w.append(table, pa.Table.from_pylist(full, schema=spec.arrow_schema))


def marks(
    org: int, year: int, values: Sequence[int], assessment: int = 1, grade: int = 5
) -> list[dict[str, Any]]:
    return [
        {
            "result_id": next(_ids),
            "assessment_id": assessment,
            "org_id": org,
            "year": year,
            "grade": grade,
            "participant_code": str(next(_ids)),
            "absent": False,
            "mark": m,
            "primary_score": float(m * 4),
        }
        for m in values
    ]


def scores(org: int, year: int, values: Sequence[float]) -> list[dict[str, Any]]:
    return [
        {
            "result_id": next(_ids),
            "assessment_id": 2,
            "org_id": org,
            "year": year,
            "grade": 11,
            "participant_code": str(next(_ids)),
            "absent": False,
            "test_score": v,
        }
        for v in values
    ]


def inputs(external: Callable[[str, str, Sequence[int]], pa.Table] | None = None) -> Inputs:
    def no_registry(name: str, years: Sequence[int]) -> pa.Table:
        raise LookupError(name)

    def no_external(prefix: str, name: str, years: Sequence[int]) -> pa.Table:
        raise LookupError(f"{prefix}.{name}")

    return Inputs(ASSESSMENTS, TASKS, PROCEDURES, no_registry, external or no_external)


def specs(*definitions: dict[str, Any]) -> list[IndicatorSpec]:
    return [
        build_spec(
            normalise({"name": "x", "direction": "results", **d}),
            SCHEMA,
            default_min_group=10,
            indicators={d["code"]: d.get("aggregation", "counts") for d in definitions},
        )
        for d in definitions
    ]


def run(
    wh: Warehouse,
    years: Sequence[int],
    *definitions: dict[str, Any],
    external: Callable[..., pa.Table] | None = None,
) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    result = Engine(wh, inputs(external), HIERARCHY).compute(specs(*definitions), years)
    return result.frames, result.problems


def row(frame: pd.DataFrame, entity: str, entity_id: int, year: int = 2026, bkey: str = "") -> Any:
    found = frame[
        (frame.entity == entity)
        & (frame.entity_id == entity_id)
        & (frame.year == year)
        & (frame.bkey == bkey)
    ]
    assert len(found) == 1, f"{entity}{entity_id} {year} {bkey!r}: {len(found)} rows"
    return found.iloc[0]


SHARE2 = {
    "code": "results.share2",
    "numerator": "count(result where mark = 2)",
    "denominator": "count(result where mark is not null)",
    "polarity": "lower_better",
}
