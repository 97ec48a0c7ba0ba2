from __future__ import annotations

from django.apps import AppConfig


class AnalysesConfig(AppConfig):
    name = "soko.analyses"
    label = "analyses"
    verbose_name = "Анализ результатов"

    def ready(self) -> None:
        from soko.analyses import jobs  # noqa: F401  (registers the job kind)
        from soko.analyses.sections import org_analysis_section
        from soko.analyses.services import on_import
        from soko.imports.services import register_post_import_hook
        from soko.web.sections import register_org_section

        register_post_import_hook(on_import)
        register_org_section(org_analysis_section)
