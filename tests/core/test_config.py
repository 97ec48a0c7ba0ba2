"""Wrong settings end with one clear line, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from soko.config import ConfigError, load_config

pytestmark = pytest.mark.core


def test_it_defaults_to_an_embedded_instance_under_the_data_dir(tmp_path: Path) -> None:
    cfg = load_config({"SOKO_DATA_DIR": str(tmp_path / "inst")})
    assert cfg.database_engine == "sqlite"
    assert cfg.warehouse == "duckdb"
    assert cfg.database_url.endswith("inst/soko.sqlite3")
    assert (tmp_path / "inst" / "uploads").is_dir()
    assert (tmp_path / "inst" / "secret_key").read_text()


def test_it_moves_to_postgres_with_a_url(tmp_path: Path) -> None:
    cfg = load_config(
        {"SOKO_DATA_DIR": str(tmp_path), "SOKO_DATABASE_URL": "postgresql://u@h:5432/db"}
    )
    assert cfg.database_engine == "postgresql"
    assert cfg.warehouse == "postgres"


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"SOKO_DATABASE_URL": "mysql://u@h/db"}, "неизвестная схема «mysql»"),
        ({"SOKO_DATABASE_URL": "postgresql://u@h:5432/"}, "не указано имя базы"),
        ({"SOKO_DATABASE_URL": "just-a-path"}, "не указана схема"),
        ({"SOKO_WAREHOUSE": "spark"}, "SOKO_WAREHOUSE"),
        ({"SOKO_DEBUG": "maybe"}, "SOKO_DEBUG"),
    ],
)
def test_it_rejects_bad_values_with_one_line(
    tmp_path: Path, env: dict[str, str], fragment: str
) -> None:
    with pytest.raises(ConfigError) as err:
        load_config({"SOKO_DATA_DIR": str(tmp_path), **env})
    assert fragment in str(err.value)
    assert "\n" not in str(err.value)


def test_it_rejects_an_unwritable_data_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a dir")
    with pytest.raises(ConfigError) as err:
        load_config({"SOKO_DATA_DIR": str(blocker / "sub")})
    assert "недоступен для записи" in str(err.value)


def _soko(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("SOKO_")} | env
    return subprocess.run(
        [sys.executable, "-m", "soko", *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "env",
    [
        {"SOKO_DATABASE_URL": "oracle://x@y/z"},
        {"SOKO_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nothing"},
    ],
    ids=["unknown-scheme", "unreachable-server"],
)
def test_the_cli_prints_one_line_and_exits_2(tmp_path: Path, env: dict[str, str]) -> None:
    result = _soko({"SOKO_DATA_DIR": str(tmp_path), **env}, "orgs", "list")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_the_cli_reports_an_unwritable_data_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = _soko({"SOKO_DATA_DIR": str(blocker / "d")}, "orgs", "list")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "недоступен для записи" in result.stderr


def test_the_cli_asks_to_init_a_fresh_instance(tmp_path: Path) -> None:
    result = _soko({"SOKO_DATA_DIR": str(tmp_path)}, "orgs", "list")
    assert result.returncode == 1
    assert "soko init" in result.stderr
