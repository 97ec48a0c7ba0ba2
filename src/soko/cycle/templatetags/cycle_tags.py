"""Template helpers of the cycle pages: status badges, direction labels, Russian numbers."""

from __future__ import annotations

from typing import Any

from django import template

from soko.cycle.directions import DIRECTION_BY_CODE, SEVERAL, STEP_BY_CODE, direction_label
from soko.cycle.effect import fmt
from soko.cycle.occurrences import STATUS_LABELS

register = template.Library()

_BADGES = {
    "planned": "text-bg-light border",
    "in_progress": "text-bg-warning",
    "done": "text-bg-success",
    "overdue": "text-bg-danger",
    "cancelled": "text-bg-secondary",
    "draft": "text-bg-light border",
    "approved": "text-bg-success",
    "rejected": "text-bg-secondary",
    "submitted": "text-bg-info",
    "accepted": "text-bg-success",
    "returned": "text-bg-warning",
    "ok": "text-bg-success",
    "insufficient": "text-bg-secondary",
    "pending": "text-bg-light border",
    "improved": "text-bg-success",
    "worsened": "text-bg-danger",
    "no_effect": "text-bg-light border",
}


@register.filter
def badge(code: str) -> str:
    """Bootstrap classes of a status badge."""
    return _BADGES.get(str(code), "text-bg-light border")


@register.filter
def status_label(code: str) -> str:
    return STATUS_LABELS.get(str(code), str(code))


@register.filter
def direction_short(code: str) -> str:
    if code == SEVERAL:
        return "несколько направлений"
    found = DIRECTION_BY_CODE.get(str(code))
    return found.short if found else "—"


@register.filter
def direction_name(code: str) -> str:
    return direction_label(str(code))


@register.filter
def step_name(code: str) -> str:
    found = STEP_BY_CODE.get(str(code))
    return f"{found.number}. {found.name}" if found else str(code)


@register.filter
def ru(value: Any, digits: int = 1) -> str:
    """A number with a decimal comma («12,5»)."""
    if value is None or value == "":
        return "—"
    try:
        return fmt(float(value), int(digits))
    except (TypeError, ValueError):
        return str(value)


@register.filter
def level_badge(level: str) -> str:
    return {"высокий": "text-bg-success", "базовый": "text-bg-warning",
            "дефицитный": "text-bg-danger"}.get(str(level), "text-bg-light border")


@register.filter
def get(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key)
    except AttributeError:
        return None
