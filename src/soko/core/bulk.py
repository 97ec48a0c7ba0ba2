"""Writing many model rows at once without the ORM's per-object work.

``bulk_create`` prepares every value of every object through its field (about 20 µs a value):
for the tens of thousands of summaries a regional analysis writes that is most of the time of
the write. :func:`insert_rows` writes the same rows with ``executemany``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models
from django.db.models.fields import AutoFieldMixin

_PREPARED_BY_FIELD = (
    models.DateField,  # and DateTimeField
    models.TimeField,
    models.DecimalField,
    models.DurationField,
    models.UUIDField,
)


def insert_rows(model: type[models.Model], objects: Sequence[models.Model], *,
                batch_size: int = 10_000) -> int:
    """INSERT the objects as ``bulk_create`` would (every concrete field but an automatic
    primary key; ``auto_now`` fields set), with no signals and no ids set on the objects.
    Numbers, text, booleans and keys are passed as they are, JSON is serialised here, dates,
    decimals and the like are prepared by their field. Returns the number of rows."""
    if not objects:
        return 0
    fields = [f for f in model._meta.concrete_fields
              if not (f.primary_key and isinstance(f, AutoFieldMixin))]
    postgres = connection.vendor == "postgresql"
    quote = connection.ops.quote_name
    marks = ", ".join(
        "%s::jsonb" if postgres and isinstance(f, models.JSONField) else "%s" for f in fields
    )
    sql = (f"INSERT INTO {quote(model._meta.db_table)} "
           f"({', '.join(quote(str(f.column)) for f in fields)}) VALUES ({marks})")
    convert = [_converter(f) for f in fields]
    pairs = list(zip(fields, convert, strict=True))
    with connection.cursor() as cursor:
        for start in range(0, len(objects), batch_size):
            rows = [
                tuple(
                    value if fn is None or value is None else fn(value)
                    for field, fn in pairs
                    for value in (field.pre_save(obj, True),)
                )
                for obj in objects[start:start + batch_size]
            ]
            cursor.executemany(sql, rows)
    return len(objects)


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        return lambda value: json.dumps(value, cls=encoder)
    if isinstance(field, _PREPARED_BY_FIELD):
        return lambda value: field.get_db_prep_save(value, connection)
    if isinstance(field, models.CharField | models.TextField):
        return lambda value: value if type(value) is str else str(value)  # choices' enums
    return None
