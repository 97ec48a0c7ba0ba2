from __future__ import annotations

from django.apps import AppConfig


class RisksConfig(AppConfig):
    name = "soko.risks"
    label = "risks"
    verbose_name = "Риски: ШНОР, ШФНСУ, необъективность"

    def ready(self) -> None:
        from soko.imports.services import register_post_import_hook
        from soko.risks import jobs, sources
        from soko.risks.sections import dashboard_section, org_section
        from soko.risks.services import post_import_hook
        from soko.web.sections import register_dashboard_section, register_org_section

        assert jobs.risks_compute_job is not None
        register_post_import_hook(post_import_hook)
        register_org_section(org_section)
        register_dashboard_section(dashboard_section)
        sources.register()
