from __future__ import annotations

from django.apps import AppConfig


class CycleConfig(AppConfig):
    name = "soko.cycle"
    label = "cycle"
    verbose_name = "Управленческий цикл"

    def ready(self) -> None:
        from soko.cycle import jobs  # noqa: F401  (registers the job kinds)
        from soko.cycle.sections import cycle_dashboard_section, cycle_org_section
        from soko.cycle.services import on_data_changed
        from soko.imports.services import register_post_import_hook
        from soko.web.sections import register_dashboard_section, register_org_section

        register_post_import_hook(on_data_changed)
        register_dashboard_section(cycle_dashboard_section)
        register_org_section(cycle_org_section)
