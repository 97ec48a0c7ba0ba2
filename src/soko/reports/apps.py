from __future__ import annotations

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "soko.reports"
    label = "reports"
    verbose_name = "Отчёты"

    def ready(self) -> None:
        from soko.reports import jobs  # noqa: F401  (registers the job kind)
