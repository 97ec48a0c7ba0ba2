"""`soko init` on an empty database creates the tables straight from the models (fast path);
that is only right while the models equal the migrations and no migration moves data. These
tests hold both, and compare the fast-path schema with the one the migrations build."""

from __future__ import annotations

import inspect
import json

import pytest
from django.db import connection
from django.db.migrations.operations import RunPython, RunSQL

pytestmark = pytest.mark.django_db

SCHEMA = """
import json
import django
django.setup()
from django.db import connection
print(json.dumps(schema(connection)))
"""


def schema(conn) -> dict[str, dict[str, list]]:
    """Tables → sorted columns (name, nullability) and constraints (columns and kind)."""
    out: dict[str, dict[str, list]] = {}
    with conn.cursor() as cursor:
        for table in sorted(conn.introspection.table_names(cursor)):
            columns = sorted([c.name, bool(c.null_ok)]
                             for c in conn.introspection.get_table_description(cursor, table))
            constraints = sorted(
                [",".join(c["columns"] or []), bool(c["primary_key"]), bool(c["unique"]),
                 bool(c["foreign_key"]), bool(c["index"]), bool(c["check"])]
                for c in conn.introspection.get_constraints(cursor, table).values()
                if not c["check"] or c["columns"]  # SQLite reports anonymous checks unevenly
            )
            out[table] = {"columns": columns, "constraints": constraints}
    return out


def test_no_migration_of_soko_moves_data() -> None:
    """Django's own data migrations (auth 0011, contenttypes 0002) only rewrite rows that an
    empty database does not have; СОКО's must have none at all. (Read from the migration
    modules themselves: the test database is built with migrations disabled.)"""
    import importlib
    import pkgutil

    from django.apps import apps

    data_ops, seen = [], 0
    for config in apps.get_app_configs():
        if not config.name.startswith("soko."):
            continue
        try:
            package = importlib.import_module(f"{config.name}.migrations")
        except ModuleNotFoundError:
            continue
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{config.name}.migrations.{info.name}")
            seen += 1
            data_ops += [f"{config.label}.{info.name}" for op in module.Migration.operations
                         if isinstance(op, (RunPython, RunSQL))]
    assert seen >= 10
    assert data_ops == []


@pytest.mark.slow
def test_the_fast_path_builds_the_schema_the_migrations_build(new_instance) -> None:
    fresh = new_instance("fresh")
    fresh.soko("init", "--admin-password", "admin-12345")
    replayed = new_instance("replayed")
    replayed.soko("manage", "migrate")  # Django's own migrate: every migration replayed
    fast, migrated = (_schema_of(inst) for inst in (fresh, replayed))
    # only the application's tables: on PostgreSQL the fact store shares the database
    django_tables = {*connection.introspection.django_table_names(), "django_migrations"}
    fast = {t: v for t, v in fast.items() if t in django_tables}
    migrated = {t: v for t, v in migrated.items() if t in django_tables}
    assert len(migrated) > 100
    assert sorted(fast) == sorted(migrated)
    for table, shape in migrated.items():
        assert fast[table] == shape, table
    again = fresh.soko("manage", "migrate", "--check", check=False)
    assert again.returncode == 0, again.stdout + again.stderr
    changes = fresh.soko("manage", "makemigrations", "--check", "--dry-run", check=False)
    assert changes.returncode == 0 and "No changes detected" in changes.stdout, changes.stdout


def _schema_of(instance) -> dict:
    result = instance.python(inspect.getsource(schema) + SCHEMA)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])
