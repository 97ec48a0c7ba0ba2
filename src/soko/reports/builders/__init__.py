"""Report builders: one function per report kind turns stored results into a Document.

A builder raises :class:`~soko.reports.document.ReportRefused` with the reason when the data it
needs are missing; it never computes from facts (it reads what the areas stored).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from soko.reports.document import Document

if TYPE_CHECKING:
    from soko.accounts.scope import Scope


@dataclass(frozen=True)
class BuildContext:
    kind: str
    year: int | None
    organization: Any | None  # registry.Organization
    territory: Any | None  # registry.Territory
    scope: Scope
    title: str


Builder = Callable[[BuildContext], Document]


@dataclass(frozen=True)
class KindSpec:
    kind: str
    title: str
    builder: Builder
    needs_org: bool = False  # passport: one organization
    org_optional: bool = False  # vpr: municipality or one organization
    needs_year: bool = True


_KINDS: dict[str, KindSpec] = {}


def register(kind: str, title: str, *, needs_org: bool = False, org_optional: bool = False,
             needs_year: bool = True) -> Callable[[Builder], Builder]:
    def wrap(fn: Builder) -> Builder:
        _KINDS[kind] = KindSpec(kind, title, fn, needs_org, org_optional, needs_year)
        return fn

    return wrap


BUILDER_MODULES = ("procedures", "risks", "cycle", "indicators", "public")


def kinds() -> dict[str, KindSpec]:
    """Every registered kind (importing the builder modules registers them)."""
    for name in BUILDER_MODULES:
        importlib.import_module(f"soko.reports.builders.{name}")
    return dict(_KINDS)
