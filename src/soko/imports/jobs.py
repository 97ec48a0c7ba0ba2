"""Background jobs of the import area: check a file, import it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model

from soko.accounts.scope import scope_for_user
from soko.core.jobs import ProgressFn, register


def _run(params: dict[str, Any], progress: ProgressFn, dry_run: bool) -> dict[str, Any]:
    from soko.imports.parsing.problems import ImportRejected
    from soko.imports.services import import_file

    user = get_user_model().objects.filter(pk=int(params.get("user_id") or 0)).first()
    try:
        outcome = import_file(
            Path(params["path"]),
            kind=params.get("kind") or None,
            year=params.get("year"),
            create_orgs=bool(params.get("create_orgs")),
            dry_run=dry_run,
            user=user,
            scope=scope_for_user(user),
            original_name=params["name"],
            options=params.get("options") or {},
            progress=progress,
        )
    except ImportRejected as exc:
        return {"status": "rejected", "errors": exc.extra["errors"], "total_errors": exc.total}
    return outcome.to_dict()


@register("import.check", "Проверка файла")
def check_job(params: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
    return _run(params, progress, dry_run=True)


@register("import.run", "Загрузка файла")
def import_job(params: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
    return _run(params, progress, dry_run=False)
