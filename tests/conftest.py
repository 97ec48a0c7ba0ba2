"""Shared fixtures. The instance data dir is a fresh temporary directory per test process, so
tests never touch ./var; the fact store is a fresh DuckDB file per test (or, on PostgreSQL,
the test database's fact tables, emptied after each test)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["tests.browser"]

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"


@pytest.fixture(autouse=True)
def _fresh_warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[None]:
    """Give every test that touches the database its own empty fact store."""
    if "django_db_setup" not in request.fixturenames and not any(
        m.name == "django_db" for m in request.node.iter_markers()
    ):
        yield
        return
    from django.conf import settings

    settings.SOKO_WAREHOUSE_PATH = tmp_path / "warehouse.duckdb"
    try:
        yield
    finally:
        del settings.SOKO_WAREHOUSE_PATH
        if settings.SOKO.warehouse == "postgres":
            _truncate_pg_facts()


def _truncate_pg_facts() -> None:
    from django.db import connection

    from soko.warehouse.schema import FACT_TABLES

    with connection.cursor() as cur:
        cur.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
            "AND tablename = ANY(%s)",
            [list(FACT_TABLES)],
        )
        names = [r[0] for r in cur.fetchall()]
    if names:
        import psycopg

        from soko.warehouse.store import _pg_params

        with psycopg.connect(**_pg_params(), autocommit=True) as pg:
            pg.execute(f"TRUNCATE {', '.join(names)}")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    """Load the reference catalog once into the test database (tests roll back on top)."""
    from soko.catalog.services import catalog_load_reference

    with django_db_blocker.unblock():
        catalog_load_reference()


@pytest.fixture
def catalog(db: Any) -> None:
    """The shipped reference catalog (sources, subjects, procedures, scales, parameters)."""
    from soko.catalog.services import catalog_load_reference

    catalog_load_reference()


@dataclass
class Personas:
    region: Any
    municipality: Any
    other_municipality: Any
    school_a: Any
    school_b: Any
    school_far: Any
    authority: Any
    methodologist: Any
    user_a: Any
    user_b: Any
    password: str = "pass-12345"


@pytest.fixture
def personas(catalog: None) -> Personas:
    """An УО user, a methodologist and two school users (schools A and B in one
    municipality) plus a school of another municipality."""
    from soko.accounts.models import Role
    from soko.accounts.services import user_create
    from soko.registry.services import organization_create, territory_upsert

    region = territory_upsert(code="99", name="Тестовая область", kind="region")
    mun = territory_upsert(code="9901", name="Тестовый округ", kind="municipality", parent=region)
    other = territory_upsert(code="9902", name="Соседний район", kind="municipality", parent=region)

    def school(code: str, name: str, territory: Any, org_type: str = "СОШ") -> Any:
        return organization_create(
            code=code,
            name=f"МБОУ «{name}»",
            short_name=name,
            territory=territory,
            kind="school",
            org_type=org_type,
            settlement="urban",
        )

    a = school("sch990001", "СОШ № 1", mun)
    b = school("sch990002", "Гимназия № 2", mun, "гимназия")
    far = school("sch990101", "СОШ № 7", other)
    pw = "pass-12345"
    return Personas(
        region=region,
        municipality=mun,
        other_municipality=other,
        school_a=a,
        school_b=b,
        school_far=far,
        authority=user_create(
            username="uo",
            password=pw,
            role=Role.AUTHORITY,
            territory=mun,
            full_name="Ирина Управленцева",
        ),
        methodologist=user_create(
            username="metod", password=pw, role=Role.METHODOLOGIST, territory=mun
        ),
        user_a=user_create(username="school_a", password=pw, role=Role.SCHOOL, organization=a),
        user_b=user_create(username="school_b", password=pw, role=Role.SCHOOL, organization=b),
    )


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Instance:
    """A separate СОКО instance for tests that run the `soko` command in a subprocess: its own
    data dir and, when the suite runs on PostgreSQL, its own empty database."""

    data_dir: Path
    database_url: str | None

    def env(self) -> dict[str, str]:
        import os

        env = {k: v for k, v in os.environ.items() if not k.startswith("SOKO_")}
        env["SOKO_DATA_DIR"] = str(self.data_dir)
        env["DJANGO_SETTINGS_MODULE"] = "soko.settings"
        if self.database_url:
            env["SOKO_DATABASE_URL"] = self.database_url
        return env

    def soko(self, *args: str, check: bool = True, timeout: int = 600) -> Any:
        import subprocess
        import sys

        result = subprocess.run([sys.executable, "-m", "soko", *args], capture_output=True,
                                text=True, env=self.env(), timeout=timeout, check=False)
        if check:
            assert result.returncode == 0, result.stderr[-3000:]
        return result

    def python(self, code: str, *args: str) -> Any:
        import subprocess
        import sys

        return subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                              text=True, env=self.env(), timeout=600, check=False)


@pytest.fixture(scope="session")
def new_instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A factory of fresh instances (see :class:`Instance`); databases are dropped after."""
    import uuid

    from django.conf import settings

    created: list[str] = []
    admin: dict[str, Any] = {}
    if settings.SOKO.database_engine == "postgresql":
        from soko.warehouse.store import _pg_params

        admin = {k: v for k, v in _pg_params().items() if k != "dbname"} | {"dbname": "postgres"}

    def make(name: str = "inst") -> Instance:
        data_dir = tmp_path_factory.mktemp(name)
        url = None
        if admin:
            import psycopg

            db = f"soko_sub_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(**admin, autocommit=True) as pg:
                pg.execute(f'CREATE DATABASE "{db}"')
            created.append(db)
            user = admin.get("user") or "postgres"
            host = admin.get("host") or "127.0.0.1"
            port = admin.get("port") or 5432
            url = f"postgresql://{user}@{host}:{port}/{db}"
        return Instance(data_dir, url)

    yield make
    if created:
        import psycopg

        with psycopg.connect(**admin, autocommit=True) as pg:
            for db in created:
                pg.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Slow test files first: with ``--dist loadfile`` the two workers then finish together
    instead of one waiting while the other runs a demo build at the very end."""
    items.sort(key=lambda item: 0 if item.get_closest_marker("slow") else 1)
