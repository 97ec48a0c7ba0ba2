"""Template filters of the analyses pages (formatting only)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()

STATUS_CLASSES = {
    "sufficient": "text-bg-success",
    "zone": "text-bg-warning",
    "insufficient": "text-bg-danger",
}


@register.filter
def pct(value: Any, digits: int = 1) -> str:
    """A share 0–1 as a percent with a comma («12,3»); «—» when unknown."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.{digits}f}".replace(".", ",")


@register.filter
def num(value: Any, digits: int = 1) -> str:
    """A number with a decimal comma; «—» when unknown."""
    if value is None or value == "":
        return "—"
    return f"{float(value):.{digits}f}".replace(".", ",")


@register.filter
def signed(value: Any, digits: int = 2) -> str:
    """A position in SD with its sign («+0,53»)."""
    if value is None or value == "":
        return "—"
    return f"{float(value):+.{digits}f}".replace(".", ",")


@register.filter
def status_class(status: Any) -> str:
    """Bootstrap badge class of a mastery class."""
    return STATUS_CLASSES.get(str(status or ""), "text-bg-light border")


@register.filter
def get(mapping: Any, key: Any) -> Any:
    """``mapping[key]`` for dictionaries in templates (None when missing)."""
    if isinstance(mapping, dict):
        return mapping.get(key, mapping.get(str(key)))
    return None
