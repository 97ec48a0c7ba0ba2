from __future__ import annotations

from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "soko.imports"
    label = "imports"
    verbose_name = "Загрузка данных"

    def ready(self) -> None:
        from soko.imports import jobs  # noqa: F401  (registers the job kinds)
