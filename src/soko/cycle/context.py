"""A template context processor for a notification bell in the navbar (optional: the
integrator adds ``soko.cycle.context.notices`` to TEMPLATES' context processors and the bell
to web/base.html)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def notices(request: HttpRequest) -> dict[str, Any]:
    """``cycle_unread``: the signed-in user's unread notices (0 for anonymous visitors)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"cycle_unread": 0}
    from soko.cycle.selectors import unread_count

    return {"cycle_unread": unread_count(user)}
