"""Small template helpers of the monitoring pages."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()

STATUS_CLASS = {
    "assigned": "text-bg-secondary",
    "draft": "text-bg-info",
    "submitted": "text-bg-primary",
    "returned": "text-bg-warning",
    "accepted": "text-bg-success",
}


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """``mapping[key]`` or None (dicts of answers and errors keyed by field code)."""
    if mapping is None:
        return None
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def status_class(status: str) -> str:
    return STATUS_CLASS.get(status, "text-bg-light")


@register.filter
def pct(share: float | None, digits: int = 1) -> str:
    """A share 0–1 as «12,5 %»; an em dash when unknown."""
    if share is None:
        return "—"
    return f"{share * 100:.{int(digits)}f}".replace(".", ",") + " %"


@register.filter
def width(share: float | None) -> int:
    """A share as a bar width in percent (0–100)."""
    if share is None:
        return 0
    return max(0, min(100, round(share * 100)))


@register.filter
def contains(values: Any, item: Any) -> bool:
    if not values:
        return False
    if isinstance(values, str):
        return bool(values == item)
    return bool(item in values)


@register.filter
def as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    return [value]
