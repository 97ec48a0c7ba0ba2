"""The analysis section of the organization page: its latest procedures at a glance."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from soko.web.sections import Section


def org_analysis_section(request: HttpRequest, org: Any) -> Section | None:
    """Latest works of the organization with shares of marks against the municipality; None
    when nothing has been analysed for it."""
    from soko.analyses.selectors import org_latest
    from soko.web.context import request_scope

    rows = org_latest(request_scope(request), org)
    if not rows:
        return None
    return Section(
        title="Анализ результатов оценочных процедур",
        template="analyses/_org_section.html",
        context={"rows": rows, "org": org},
        order=30,
    )
