"""Services for the instance as a whole: initialise, reconcile the fact store, back up, restore."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from soko import __version__
from soko.core.errors import ApplicationError

BACKUP_FORMAT = 1
_DUMP_EXCLUDE = [
    "contenttypes",
    "auth.permission",
    "sessions",
    "admin.logentry",
]


def pending_migrations() -> int:
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def _create_fresh_schema() -> bool:
    """On an empty database, create every table straight from the models and record all
    migrations as applied — what replaying the migrations would build, without replaying them
    (Django re-renders the project state after each operation: ~15 s for СОКО's 190 models).

    Only for an empty database: an existing one is always migrated normally. Safe because no
    migration of СОКО holds data operations (RunPython / RunSQL) and the models never differ
    from the migrations (tests/core/test_migrations.py checks both). Returns False when the
    database is not empty.
    """
    from django.apps import apps
    from django.core.management.sql import emit_post_migrate_signal
    from django.db import router
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.recorder import MigrationRecorder

    if connection.introspection.table_names():
        return False
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    models: dict[str, Any] = {}  # by table: a model may be registered under two names
    for config in apps.get_app_configs():
        for model in router.get_migratable_models(config, connection.alias,
                                                  include_auto_created=False):
            if model._meta.can_migrate(connection):
                models.setdefault(model._meta.db_table, model)
    recorder = MigrationRecorder(connection)
    # one schema editor: atomic where the database rolls DDL back (both SQLite and PostgreSQL)
    with connection.schema_editor() as editor:
        editor.create_model(recorder.Migration)
        for model in models.values():
            editor.create_model(model)
    recorder.Migration.objects.using(connection.alias).bulk_create(
        [recorder.Migration(app=app_label, name=name) for app_label, name in
         sorted(loader.graph.nodes)]
    )
    emit_post_migrate_signal(0, False, connection.alias, apps=apps, plan=[])
    return True


def require_initialised() -> None:
    """Raise a clear error when the database has not been created yet."""
    if pending_migrations():
        raise ApplicationError(
            "База данных экземпляра не создана или устарела: выполните «soko init»."
        )


def warehouse_reconcile() -> dict[str, int]:
    """Drop facts of interrupted imports and align slice states with the application DB."""
    from soko.imports.models import ImportSlice
    from soko.warehouse.store import open_warehouse

    states = dict(ImportSlice.objects.values_list("id", "state"))
    with open_warehouse() as wh:
        return wh.reconcile({int(k): str(v) for k, v in states.items()})


@dataclass
class InitReport:
    migrated: int
    catalog: dict[str, int]
    catalog_skipped: bool
    admin_username: str
    admin_password: str | None
    reconcile: dict[str, int] = field(default_factory=dict)


def instance_init(
    *, admin_username: str = "admin", admin_password: str | None = None, quiet: bool = True
) -> InitReport:
    """Create or migrate the database, load reference data, create the administrator,
    prepare the fact store. Idempotent. Returns what was done."""
    from soko.accounts.services import admin_ensure
    from soko.catalog.services import catalog_load_reference

    todo = pending_migrations()
    if not _create_fresh_schema():
        call_command("migrate", interactive=False, verbosity=0 if quiet else 1)
    catalog = catalog_load_reference()
    _, password = admin_ensure(username=admin_username, password=admin_password)
    reconcile = warehouse_reconcile()
    return InitReport(
        migrated=todo,
        catalog=catalog.counts,
        catalog_skipped=catalog.skipped,
        admin_username=admin_username,
        admin_password=password,
        reconcile=reconcile,
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_tree(src: Path, dst: Path) -> int:
    if not src.exists():
        return 0
    count = 0
    for path in src.rglob("*"):
        if path.is_file():
            target = dst / path.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            count += 1
    return count


def instance_backup(
    target: Path, progress: Callable[[float, str], None] | None = None
) -> dict[str, Any]:
    """Write the whole instance (application data, facts, archived uploads, reports) to a
    ``.tar.gz`` file. Returns the manifest."""
    from soko.warehouse.schema import FACT_TABLES
    from soko.warehouse.store import open_warehouse

    require_initialised()
    say = progress or (lambda f, m: None)
    cfg = settings.SOKO
    with tempfile.TemporaryDirectory(dir=cfg.data_dir / "tmp") as tmp_name:
        tmp = Path(tmp_name)
        say(0.05, "выгрузка базы приложения")
        app_file = tmp / "app.jsonl.gz"
        with gzip.open(app_file, "wt", encoding="utf-8") as fh:
            call_command(
                "dumpdata",
                format="jsonl",
                exclude=_DUMP_EXCLUDE,
                natural_foreign=True,
                stdout=fh,
                verbosity=0,
            )
        say(0.4, "выгрузка хранилища фактов")
        facts_dir = tmp / "facts"
        facts_dir.mkdir()
        counts: dict[str, int] = {}
        with open_warehouse() as wh:
            for name in FACT_TABLES:
                table = wh.table(name)
                counts[name] = int(table.count().execute())
                table.to_parquet(facts_dir / f"{name}.parquet")
        say(0.7, "архив загруженных файлов")
        files = {
            "uploads": _copy_tree(cfg.uploads_dir, tmp / "uploads"),
            "reports": _copy_tree(cfg.reports_dir, tmp / "reports"),
        }
        checksums = {
            p.relative_to(tmp).as_posix(): _sha256(p) for p in sorted(tmp.rglob("*")) if p.is_file()
        }
        manifest = {
            "format": BACKUP_FORMAT,
            "soko_version": __version__,
            "created_at": timezone.now().isoformat(),
            "database_engine": cfg.database_engine,
            "warehouse": cfg.warehouse,
            "fact_rows": counts,
            "files": files,
            "checksums": checksums,
        }
        (tmp / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        say(0.85, "упаковка")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            for path in sorted(tmp.iterdir()):
                tar.add(path, arcname=path.name)
        partial.replace(target)
    say(1.0, "готово")
    return dict(manifest)


def _instance_is_empty() -> bool:
    from soko.catalog.models import Assessment
    from soko.registry.models import Organization

    if (
        pending_migrations()
        and "registry_organization" not in connection.introspection.table_names()
    ):
        return True
    return not Organization.objects.exists() and not Assessment.objects.exists()


def instance_restore(
    source: Path, progress: Callable[[float, str], None] | None = None
) -> dict[str, Any]:
    """Bring back an instance from a backup into an empty data directory / database.

    Checks every file's SHA-256 against the manifest before touching anything. Returns the
    manifest of the backup.
    """
    import pyarrow.parquet as pq

    from soko.warehouse.schema import FACT_TABLES
    from soko.warehouse.store import open_warehouse

    say = progress or (lambda f, m: None)
    cfg = settings.SOKO
    if not source.is_file():
        raise ApplicationError(f"Файл резервной копии не найден: {source}")
    with tempfile.TemporaryDirectory(dir=cfg.data_dir / "tmp") as tmp_name:
        tmp = Path(tmp_name)
        say(0.05, "распаковка")
        try:
            with tarfile.open(source, "r:gz") as tar:
                tar.extractall(tmp, filter="data")
            manifest = json.loads((tmp / "manifest.json").read_text(encoding="utf-8"))
        except (tarfile.TarError, OSError, EOFError, ValueError, KeyError, zlib.error) as exc:
            raise ApplicationError(
                f"Файл {source.name} не является резервной копией СОКО или повреждён ({exc})."
            ) from exc
        if manifest.get("format") != BACKUP_FORMAT:
            raise ApplicationError(
                f"Неподдерживаемый формат резервной копии: {manifest.get('format')}."
            )
        for rel, expected in manifest["checksums"].items():
            path = tmp / rel
            if not path.is_file() or _sha256(path) != expected:
                raise ApplicationError(
                    f"Резервная копия повреждена: не совпадает контрольная сумма файла {rel}."
                )
        if not _instance_is_empty():
            raise ApplicationError(
                "Экземпляр не пуст: восстановление возможно только в пустой каталог данных "
                "(задайте новый SOKO_DATA_DIR) или в пустую базу данных."
            )
        say(0.15, "создание базы")
        call_command("migrate", interactive=False, verbosity=0)
        from soko.catalog.models import CatalogVersion

        CatalogVersion.objects.all().delete()
        say(0.3, "загрузка данных приложения")
        call_command("loaddata", str(tmp / "app.jsonl.gz"), verbosity=0)
        say(0.6, "загрузка хранилища фактов")
        with open_warehouse() as wh, wh.write() as w:
            for name in FACT_TABLES:
                path = tmp / "facts" / f"{name}.parquet"
                if path.exists():
                    w.append(name, pq.read_table(path))
        say(0.85, "файлы")
        _copy_tree(tmp / "uploads", cfg.uploads_dir)
        _copy_tree(tmp / "reports", cfg.reports_dir)
    say(1.0, "готово")
    return dict(manifest)
