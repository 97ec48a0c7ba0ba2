"""Formatting of indicator values in templates (Russian decimal comma, units, suppression)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


def _number(value: float, digits: int) -> str:
    text = f"{value:,.{digits}f}".replace(",", " ").replace(".", ",")
    return text


@register.filter
def ival(value: Any, unit: str = "") -> str:
    """A value with its unit: 12,3 %, 4,15 балла; «—» for no value."""
    if value is None:
        return "—"
    number = float(value)
    digits = 2 if unit in ("балл", "индекс") else 0 if unit in ("чел.", "ед.") else 1
    text = _number(number, digits)
    if unit == "%":
        return f"{text} %"
    return text


@register.filter
def ichange(value: Any, unit: str = "") -> str:
    """A change with its sign: +1,2 п. п. for shares."""
    if value is None:
        return ""
    number = float(value)
    digits = 2 if unit in ("балл", "индекс") else 0 if unit in ("чел.", "ед.") else 1
    sign = "+" if number > 0 else "−" if number < 0 else "±"
    text = _number(abs(number), digits)
    return f"{sign}{text} п. п." if unit == "%" else f"{sign}{text}"


@register.filter
def dget(mapping: Any, key: Any) -> Any:
    if isinstance(mapping, dict):
        return mapping.get(key)
    return None


@register.filter
def sortval(value: Any) -> str:
    """A machine-readable number for client-side sorting ("" when empty)."""
    return "" if value is None else f"{float(value):.6f}"
