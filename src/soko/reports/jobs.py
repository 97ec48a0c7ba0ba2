"""Background job of the reports area."""

from __future__ import annotations

from typing import Any

from soko.accounts.scope import SYSTEM, scope_for_user
from soko.core.jobs import ProgressFn, register


@register("report.generate", "Формирование отчёта")
def generate_job(params: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
    from soko.reports.models import Report
    from soko.reports.services import report_generate

    report = Report.objects.select_related("created_by").get(pk=int(params["report_id"]))
    scope = scope_for_user(report.created_by) if report.created_by else SYSTEM
    report = report_generate(report, scope=scope, progress=progress)
    return {"status": report.status, "message": report.message,
            "url": f"/reports/{report.pk}/download/" if report.status == "done" else ""}
