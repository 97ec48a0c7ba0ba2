"""The ``soko`` command: one sub-command for every job the web interface does.

Each area registers its sub-commands from its own ``cli`` module. Settings are checked before
Django starts, so a wrong setting ends with one line on stderr and exit status 2, not a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from soko.config import ConfigError, load_config

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CONFIG = 2

Handler = Callable[[argparse.Namespace], int]


class CommandError(Exception):
    """A user-facing failure of a command: one Russian message, a non-zero exit status."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def add_command(
    sub: argparse._SubParsersAction,
    name: str,
    handler: Handler,
    help_text: str,
    *,
    needs_db: bool = True,
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text, description=help_text)
    parser.set_defaults(handler=handler, needs_db=needs_db)
    return parser


def build_parser() -> argparse.ArgumentParser:
    from soko.cli import commands

    parser = argparse.ArgumentParser(
        prog="soko",
        description=(
            "СОКО — система оценки качества образования. Справка по команде: soko КОМАНДА -h"
        ),
    )
    sub = parser.add_subparsers(dest="command", metavar="КОМАНДА")
    commands.register(sub)
    return parser


def _describe_db(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        return url
    host = parts.hostname or "localhost"
    port = parts.port or 5432
    return f"{parts.scheme}://{host}:{port}{parts.path}"


def _check_database(database_url: str) -> None:
    from django.db import OperationalError, connection

    try:
        connection.ensure_connection()
    except OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise CommandError(
            f"Не удалось подключиться к базе данных {_describe_db(database_url)}: {first}",
            EXIT_CONFIG,
        ) from exc


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``soko`` console script. Returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_OK
    try:
        config = load_config()
    except ConfigError as exc:
        sys.stderr.write(f"Ошибка настройки: {exc}\n")
        return EXIT_CONFIG
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soko.settings")
    try:
        import django

        django.setup()
        if getattr(args, "needs_db", True):
            _check_database(config.database_url)
        return handler(args)
    except CommandError as exc:
        sys.stderr.write(f"{exc.message}\n")
        return exc.code
    except KeyboardInterrupt:
        sys.stderr.write("\nПрервано.\n")
        return 130
    except Exception as exc:
        from soko.core.errors import ApplicationError

        if isinstance(exc, ApplicationError):
            sys.stderr.write(f"{exc.message}\n")
            return EXIT_ERROR
        raise
