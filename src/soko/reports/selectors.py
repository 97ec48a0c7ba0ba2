"""Reads of generated reports, with the caller's scope."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from soko.accounts.scope import Scope
from soko.reports.models import Report, ReportTemplate


def report_list(scope: Scope) -> QuerySet[Report]:
    """Reports about what the scope may see: own organization, or the territories."""
    qs = Report.objects.select_related("organization", "territory", "created_by")
    if scope.is_public:
        return qs.none()
    if scope.organization_id is not None:
        return qs.filter(organization_id=scope.organization_id)
    if scope.territory_ids is None:
        return qs
    ids = sorted(scope.territory_ids)
    return qs.filter(Q(territory_id__in=ids) | Q(organization__territory_id__in=ids))


def templates() -> QuerySet[ReportTemplate]:
    return ReportTemplate.objects.filter(active=True)
