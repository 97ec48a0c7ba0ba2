"""Instance configuration read from the environment.

Everything has a default that works on a laptop: with no variables set the instance lives
under ``./var`` (SQLite for the application, DuckDB for facts). Every problem is reported as a
:class:`ConfigError` whose message is one Russian line naming the variable and what to do.
This module imports nothing from Django so the CLI can check settings before Django starts.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

SUPPORTED_SCHEMES = {
    "sqlite": "sqlite",
    "postgres": "postgresql",
    "postgresql": "postgresql",
    "pgsql": "postgresql",
}
WAREHOUSE_KINDS = ("duckdb", "postgres")


class ConfigError(Exception):
    """Wrong settings; the message is one line for the user."""


@dataclass(frozen=True)
class Config:
    data_dir: Path
    database_url: str
    database_engine: str  # "sqlite" or "postgresql"
    warehouse: str  # "duckdb" or "postgres"
    secret_key: str
    debug: bool
    allowed_hosts: tuple[str, ...]
    time_zone: str
    email_url: str | None
    default_from_email: str
    duckdb_memory: str

    @property
    def duckdb_memory_bytes(self) -> int:
        """The memory limit in bytes, read as DuckDB reads it (1GB = 10⁹ bytes)."""
        match = re.fullmatch(r"([\d.]+)([KMGT])B", self.duckdb_memory)
        assert match is not None  # checked by _memory
        return int(float(match[1]) * 1000 ** ("KMGT".index(match[2]) + 1))

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "soko.sqlite3"


def _env_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on", "да"}:
        return True
    if value in {"0", "false", "no", "off", "нет"}:
        return False
    raise ConfigError(f"{name}={raw!r}: ожидается true или false.")


def _memory(raw: str) -> str:
    """A DuckDB memory limit like «1GB» or «512MB»; the embedded store spills beyond it."""
    value = raw.strip().upper().replace(" ", "")
    if not re.fullmatch(r"\d+(\.\d+)?(KB|MB|GB|TB)", value):
        raise ConfigError(f"SOKO_DUCKDB_MEMORY={raw!r}: ожидается размер вроде 1GB или 512MB.")
    return value


def _prepare_data_dir(raw: str) -> Path:
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = Path.cwd() / path
    try:
        path.mkdir(parents=True, exist_ok=True)
        for sub in ("uploads", "reports", "tmp", "backups"):
            (path / sub).mkdir(exist_ok=True)
        probe = path / ".write-probe"
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise ConfigError(
            f"Каталог данных {path} недоступен для записи ({reason}). "
            "Укажите в SOKO_DATA_DIR каталог, в который можно писать."
        ) from exc
    return path


def _secret_key(env: Mapping[str, str], data_dir: Path) -> str:
    explicit = env.get("SOKO_SECRET_KEY")
    if explicit:
        return explicit
    key_file = data_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    key = secrets.token_urlsafe(50)
    key_file.write_text(key, encoding="utf-8")
    key_file.chmod(0o600)
    return key


def parse_database_url(url: str) -> str:
    """Return the engine name ("sqlite" or "postgresql") for a database URL.

    Raises ConfigError with a one-line Russian message for anything else.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0].lower()
    if not scheme:
        raise ConfigError(
            f"SOKO_DATABASE_URL={url!r}: не указана схема; "
            "пример: postgresql://пользователь@127.0.0.1:5432/база или sqlite:///путь/к/файлу."
        )
    engine = SUPPORTED_SCHEMES.get(scheme)
    if engine is None:
        raise ConfigError(
            f"SOKO_DATABASE_URL: неизвестная схема «{scheme}»; "
            "поддерживаются sqlite:/// и postgresql://."
        )
    if engine == "postgresql" and not parts.path.strip("/"):
        raise ConfigError("SOKO_DATABASE_URL: не указано имя базы данных PostgreSQL после «/».")
    return engine


def load_config(env: Mapping[str, str] | None = None) -> Config:
    """Read the configuration; raise ConfigError with a one-line message on bad values."""
    env = os.environ if env is None else env
    data_dir = _prepare_data_dir(env.get("SOKO_DATA_DIR") or "var")
    database_url = env.get("SOKO_DATABASE_URL") or f"sqlite:///{data_dir / 'soko.sqlite3'}"
    engine = parse_database_url(database_url)
    default_warehouse = "postgres" if engine == "postgresql" else "duckdb"
    warehouse = (env.get("SOKO_WAREHOUSE") or default_warehouse).strip().lower()
    if warehouse not in WAREHOUSE_KINDS:
        raise ConfigError(f"SOKO_WAREHOUSE={warehouse!r}: допустимы значения duckdb или postgres.")
    if warehouse == "postgres" and engine != "postgresql":
        raise ConfigError(
            "SOKO_WAREHOUSE=postgres требует SOKO_DATABASE_URL=postgresql://…: "
            "факты хранятся в той же базе PostgreSQL."
        )
    hosts = tuple(
        h.strip()
        for h in (env.get("SOKO_ALLOWED_HOSTS") or "localhost,127.0.0.1,[::1],testserver").split(
            ","
        )
        if h.strip()
    )
    return Config(
        data_dir=data_dir,
        database_url=database_url,
        database_engine=engine,
        warehouse=warehouse,
        secret_key=_secret_key(env, data_dir),
        debug=_env_bool(env, "SOKO_DEBUG", False),
        allowed_hosts=hosts,
        time_zone=env.get("SOKO_TIME_ZONE") or "Europe/Moscow",
        email_url=env.get("SOKO_EMAIL_URL") or None,
        default_from_email=env.get("SOKO_FROM_EMAIL") or "soko@localhost",
        duckdb_memory=_memory(env.get("SOKO_DUCKDB_MEMORY") or "1GB"),
    )
