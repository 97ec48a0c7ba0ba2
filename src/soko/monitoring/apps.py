from __future__ import annotations

from typing import Any

from django.apps import AppConfig


def _after_catalog_load(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """The reference catalog was (re)loaded — by ``soko init`` or the test session — so the
    sources the shipped forms cite exist: load the shipped forms and questionnaires too."""
    if created and not kwargs.get("raw"):
        from soko.monitoring.services import builtin_load

        builtin_load()


class MonitoringConfig(AppConfig):
    name = "soko.monitoring"
    label = "monitoring"
    verbose_name = "Мониторинги, анкеты и банк данных"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from soko.catalog.models import CatalogVersion
        from soko.imports.services import register_post_import_hook
        from soko.monitoring import jobs, sections, sources
        from soko.monitoring.services import on_data_changed

        sources.register()
        register_post_import_hook(on_data_changed)
        sections.register()
        jobs.register_jobs()
        post_save.connect(
            _after_catalog_load, sender=CatalogVersion, dispatch_uid="monitoring-builtin-load"
        )
