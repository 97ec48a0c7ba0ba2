"""Sections this area adds to the organization page and the dashboard."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from soko.accounts.scope import Scope
from soko.web.sections import Section, register_dashboard_section, register_org_section


def org_forms_section(request: HttpRequest, org: Any) -> Section | None:
    """The organization's monitoring forms and their status (newest campaigns first)."""
    from soko.monitoring.selectors import submission_is_overdue, submission_list
    from soko.web.context import request_scope

    scope = request_scope(request)
    rows = list(submission_list(scope, organization=org)[:30])
    if not rows:
        return None
    today = timezone.localdate()
    return Section(
        "Формы мониторинга",
        "monitoring/_org_section.html",
        {"rows": [(s, submission_is_overdue(s, today)) for s in rows], "org": org},
        order=60,
    )


def dashboard_section(request: HttpRequest, scope: Scope) -> Section | None:
    """Open campaigns with completeness and overdue forms (or a school's own forms)."""
    from soko.monitoring.selectors import campaign_list, my_forms, overdue_submissions

    if scope.is_public:
        return None
    if scope.is_school:
        forms = [r for r in my_forms(scope) if r.submission.is_open_for_school
                 and r.submission.campaign.status == "open"]
        if not forms:
            return None
        return Section("Мои формы мониторинга", "monitoring/_dashboard_school.html",
                       {"rows": forms[:10]}, order=40)
    campaigns = campaign_list(scope, status="open")
    if not campaigns:
        return None
    overdue = overdue_submissions(scope)
    return Section(
        "Мониторинги: открытые кампании",
        "monitoring/_dashboard.html",
        {"campaigns": campaigns[:8], "overdue": overdue[:10], "overdue_total": len(overdue)},
        order=40,
    )


def register() -> None:
    register_org_section(org_forms_section)
    register_dashboard_section(dashboard_section)
