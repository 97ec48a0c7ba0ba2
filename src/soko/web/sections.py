"""Extension points of the shell: areas add sections to the organization page and the
dashboard without the shell knowing them.

A section function receives the request and the object (organization, or the dashboard's scope)
and returns a :class:`Section` (or None to show nothing). Sections are rendered in ``order``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest


@dataclass(frozen=True)
class Section:
    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100


OrgSection = Callable[[HttpRequest, Any], Section | None]
DashboardSection = Callable[[HttpRequest, Any], Section | None]

_ORG: list[OrgSection] = []
_DASHBOARD: list[DashboardSection] = []


def register_org_section(fn: OrgSection) -> OrgSection:
    if fn not in _ORG:
        _ORG.append(fn)
    return fn


def register_dashboard_section(fn: DashboardSection) -> DashboardSection:
    if fn not in _DASHBOARD:
        _DASHBOARD.append(fn)
    return fn


def org_sections(request: HttpRequest, org: Any) -> list[Section]:
    found = [s for fn in _ORG if (s := fn(request, org)) is not None]
    return sorted(found, key=lambda s: s.order)


def dashboard_sections(request: HttpRequest, scope: Any) -> list[Section]:
    found = [s for fn in _DASHBOARD if (s := fn(request, scope)) is not None]
    return sorted(found, key=lambda s: s.order)
