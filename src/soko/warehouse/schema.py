"""The fact tables: one definition, created on DuckDB (embedded) and on PostgreSQL.

Facts are stored at the finest grain received. Every row carries ``slice_id``: a slice is the
part of one import batch that belongs to one (kind, assessment, organization); replacing,
undoing and hiding half-written data all work on slices (see :mod:`soko.warehouse.store`).
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dt
import pyarrow as pa


@dataclass(frozen=True)
class FactTable:
    name: str
    columns: tuple[tuple[str, str], ...]
    description: str

    @property
    def ibis_schema(self) -> ibis.Schema:
        return ibis.schema({name: dt.dtype(kind) for name, kind in self.columns})

    @property
    def arrow_schema(self) -> pa.Schema:
        return self.ibis_schema.to_pyarrow()

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]


SLICE = FactTable(
    "fact_slice",
    (
        ("slice_id", "!int64"),
        ("batch_id", "!int64"),
        ("kind", "!string"),
        ("state", "!string"),
    ),
    "Состояние срезов загрузки: pending / active / superseded / undone.",
)

RESULT = FactTable(
    "result",
    (
        ("slice_id", "!int64"),
        ("result_id", "!int64"),
        ("assessment_id", "!int32"),
        ("org_id", "!int32"),
        ("year", "!int16"),
        ("grade", "int16"),
        ("participant_code", "!string"),
        ("student_code", "string"),
        ("class_label", "string"),
        ("variant", "string"),
        ("sex", "string"),
        ("absent", "!boolean"),
        ("primary_score", "float64"),
        ("mark", "int16"),
        ("test_score", "float64"),
        ("journal_mark", "int16"),
    ),
    "Результат участника по работе (одна строка на участника и работу).",
)

TASK_SCORE = FactTable(
    "task_score",
    (
        ("slice_id", "!int64"),
        ("result_id", "!int64"),
        ("assessment_id", "!int32"),
        ("org_id", "!int32"),
        ("task_pos", "!int16"),
        ("score", "!float32"),
    ),
    "Балл участника за задание (позиция задания в работе).",
)

AGGREGATE = FactTable(
    "aggregate_result",
    (
        ("slice_id", "!int64"),
        ("org_id", "!int32"),
        ("year", "!int16"),
        ("procedure", "!string"),
        ("subject", "!string"),
        ("grade", "int16"),
        ("metric", "!string"),
        ("numerator", "float64"),
        ("denominator", "float64"),
        ("value", "float64"),
    ),
    "Показатель ОО из сводной таблицы (когда нет результатов участников).",
)

JOURNAL_MARK = FactTable(
    "journal_mark",
    (
        ("slice_id", "!int64"),
        ("org_id", "!int32"),
        ("year", "!int16"),
        ("student_code", "!string"),
        ("class_label", "string"),
        ("grade", "int16"),
        ("subject", "!string"),
        ("period", "!string"),
        ("mark", "!int16"),
    ),
    "Отметка по журналу за период (четверть, полугодие, год).",
)

OLYMPIAD = FactTable(
    "olympiad_result",
    (
        ("slice_id", "!int64"),
        ("org_id", "!int32"),
        ("year", "!int16"),
        ("stage", "!string"),
        ("subject", "!string"),
        ("grade", "int16"),
        ("student_code", "!string"),
        ("status", "!string"),
        ("score", "float64"),
    ),
    "Участие в этапе ВсОШ: участник / призёр / победитель.",
)

MEDAL = FactTable(
    "medal",
    (
        ("slice_id", "!int64"),
        ("org_id", "!int32"),
        ("year", "!int16"),
        ("student_code", "!string"),
        ("medal", "!string"),
    ),
    "Медаль «За особые успехи в учении» выпускника.",
)

OBSERVER = FactTable(
    "observer_presence",
    (
        ("slice_id", "!int64"),
        ("org_id", "!int32"),
        ("year", "!int16"),
        ("procedure", "!string"),
        ("subject", "string"),
        ("grade", "int16"),
        ("event_date", "date"),
        ("observers", "!int32"),
        ("observer_kind", "!string"),
        ("video", "boolean"),
    ),
    "Присутствие наблюдателей на процедуре в ОО.",
)

OFFICIAL_MARKER = FactTable(
    "official_marker",
    (
        ("slice_id", "!int64"),
        ("org_id", "!int32"),
        ("year", "!int16"),
        ("procedure", "!string"),
        ("grade", "int16"),
        ("subject", "!string"),
        ("list_source", "!string"),
    ),
    "Официальный перечень ОО с признаками необъективности (ФИОКО / регион).",
)

FACT_TABLES: dict[str, FactTable] = {
    t.name: t
    for t in (
        SLICE,
        RESULT,
        TASK_SCORE,
        AGGREGATE,
        JOURNAL_MARK,
        OLYMPIAD,
        MEDAL,
        OBSERVER,
        OFFICIAL_MARKER,
    )
}
DATA_TABLES = [name for name in FACT_TABLES if name != SLICE.name]
