"""The risks section of the organization page and of the dashboard."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from soko.risks import selectors
from soko.risks.lowresults import QUADRANTS
from soko.web.context import request_scope
from soko.web.sections import Section


def org_section(request: HttpRequest, org: Any) -> Section | None:
    """The organization's flags (all kinds and years) and its yearly risk summary."""
    scope = request_scope(request)
    data = selectors.org_flags(scope, org)
    if data is None:
        return None
    return Section(
        title="Риски: ШНОР, ШФНСУ, признаки необъективности",
        template="risks/_org_section.html",
        context={**data, "quadrants": QUADRANTS},
        order=40,
    )


def dashboard_section(request: HttpRequest, scope: Any) -> Section | None:
    """Counts of the latest year: schools with flags of each kind, flags awaiting review."""
    scope = request_scope(request)
    if scope.is_public:
        return None
    rows = selectors.overview(scope)
    if not rows:
        return None
    row = rows[0]
    open_flags = sum(row["kinds"][k]["open"] for k in row["kinds"])
    return Section(
        title="Риски",
        template="risks/_dashboard_section.html",
        context={"row": row, "open": open_flags},
        order=40,
    )
