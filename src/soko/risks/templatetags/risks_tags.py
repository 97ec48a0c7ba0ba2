"""Template filters of the risks pages: Russian number formatting and dictionary lookup."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

from soko.risks.describe import num as _num
from soko.risks.describe import pct as _pct
from soko.risks.markers import MARKER_TITLES

register = template.Library()


@register.filter
def num(value: Any, digits: int = 1) -> str:
    return _num(value, int(digits))


@register.filter
def pct(value: Any, digits: int = 1) -> str:
    return _pct(value, int(digits))


@register.filter
def get(mapping: Any, key: Any) -> Any:
    if isinstance(mapping, Mapping):
        return mapping.get(key, mapping.get(str(key)))
    return None


@register.filter
def marker_title(code: str) -> str:
    return MARKER_TITLES.get(code, code)


@register.filter
def plain(value: Any) -> str:
    """A parameter value for people: lists joined with commas, numbers with a decimal comma."""
    if isinstance(value, list | tuple):
        return ", ".join(plain(v) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {plain(v)}" for k, v in value.items())
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, int | float):
        return _num(value, 6)
    return str(value)
