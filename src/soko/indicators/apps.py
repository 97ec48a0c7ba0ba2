from __future__ import annotations

from typing import Any

from django.apps import AppConfig


def _after_catalog_load(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """The reference catalog was (re)loaded — by ``soko init`` or the test session — so the
    sources the indicator definitions cite exist: load the built-in definitions too."""
    if created and not kwargs.get("raw"):
        from soko.indicators.services import indicators_load_builtin

        indicators_load_builtin()


class IndicatorsConfig(AppConfig):
    name = "soko.indicators"
    label = "indicators"
    verbose_name = "Показатели и цели"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from soko.catalog.models import CatalogVersion
        from soko.imports.services import register_post_import_hook
        from soko.indicators import services, views
        from soko.web.sections import register_dashboard_section, register_org_section

        register_post_import_hook(services.after_import)
        register_org_section(views.org_section)
        register_dashboard_section(views.dashboard_section)
        post_save.connect(
            _after_catalog_load, sender=CatalogVersion, dispatch_uid="indicators-builtin-load"
        )
