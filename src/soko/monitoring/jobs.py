"""Background jobs of the monitoring area."""

from __future__ import annotations

from typing import Any

from soko.core.jobs import ProgressFn, register


def _recompute(params: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
    """Recompute everything that depends on data after forms were accepted or returned."""
    from soko.imports.services import run_post_import_hooks

    progress(0.05, "пересчёт показателей")
    run_post_import_hooks(None)
    progress(1.0, "готово")
    return {"recomputed": True}


def _talents(params: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
    from soko.monitoring.services import talents_refresh

    progress(0.05, "банк «Одарённые дети»: чтение результатов олимпиад")
    return talents_refresh(None)


def register_jobs() -> None:
    register("monitoring.recompute", "Пересчёт показателей после изменения форм мониторинга")(
        _recompute
    )
    register("monitoring.talents", "Обновление банка «Одарённые дети»")(_talents)
