"""Sections the cycle adds to the dashboard and to the organization page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from soko.accounts.scope import Scope
from soko.cycle import selectors
from soko.cycle.models import Measure, Recommendation, RoadmapItem
from soko.cycle.occurrences import CLOSED
from soko.web.sections import Section


def cycle_dashboard_section(request: HttpRequest, scope: Scope) -> Section | None:
    """The user's notices and the deadlines of the scope."""
    if scope.is_public or not getattr(request.user, "is_authenticated", False):
        return None
    today = timezone.localdate()
    context = {
        "unread": selectors.unread_count(request.user),
        "notices": selectors.notifications(request.user, limit=5),
        "overdue": len(selectors.overdue(scope, today)),
        "soon": selectors.due_soon(scope, today, 14)[:5],
    }
    return Section("Управленческий цикл: уведомления и сроки", "cycle/_dashboard_section.html",
                   context, order=50)


def cycle_org_section(request: HttpRequest, org: Any) -> Section | None:
    """The items the organization answers for, its recommendations and the measures that
    target it."""
    from soko.web.context import request_scope

    scope = request_scope(request)
    if scope.is_public or not scope.allows_org(org):
        return None
    today = timezone.localdate()
    items = (
        RoadmapItem.objects.filter(selectors.school_items_q(org))
        .exclude(status__in=CLOSED)
        .filter(is_cancelled=False)
        .select_related("roadmap")
        .distinct()
        .order_by("status", "roadmap_id", "position")
    )
    recommendations = Recommendation.objects.filter(organization=org)
    if scope.is_school:
        recommendations = recommendations.filter(status=Recommendation.Status.APPROVED)
    else:
        recommendations = recommendations.exclude(status=Recommendation.Status.REJECTED)
    context = {
        "org": org,
        "items": list(items[:15]),
        "items_total": items.count(),
        "recommendations": list(recommendations.order_by("-year", "title")[:10]),
        "measures": list(Measure.objects.filter(organizations=org).order_by("-start_date")[:10]),
        "today": today,
    }
    if not (context["items"] or context["recommendations"] or context["measures"]):
        return None
    return Section("Дорожные карты, рекомендации и меры", "cycle/_org_section.html", context,
                   order=60)
