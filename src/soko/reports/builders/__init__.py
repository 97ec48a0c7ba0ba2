"""Report builders: one function per report kind turns stored results into a Document.

A builder raises :class:`~soko.reports.document.ReportRefused` with the reason when the data it
needs are missing; it never computes from facts (it reads what the areas stored).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from soko.reports.document import Document


@dataclass(frozen=True)
class BuildContext:
    kind: str
    year: int | None
    organization: Any | None  # registry.Organization
    territory: Any | None  # registry.Territory
    scope: Any  # accounts.scope.Scope
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


def kinds() -> dict[str, KindSpec]:
    from soko.reports.builders import (  # noqa: F401  (registers the builders)
        cycle,
        indicators,
        procedures,
        public,
        risks,
    )

    return dict(_KINDS)
