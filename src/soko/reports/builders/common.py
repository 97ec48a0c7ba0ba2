"""What every report builder shares: the document head, the anchored scope, the data date, the
methodology appendix from catalog parameters, and the small-group rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from django.utils import timezone

from soko.accounts.scope import Scope, _descendants
from soko.reports.builders import BuildContext
from soko.reports.document import Document, MethodNote, ReportRefused, format_value


def anchor_scope(ctx: BuildContext) -> Scope:
    """The caller's scope narrowed to the report's subject: one organization or a territory
    subtree. A municipal report never shows another municipality's schools, even from the CLI.
    """
    scope = ctx.scope
    if ctx.organization is not None:
        if not scope.allows_org(ctx.organization):
            raise ReportRefused("Эта организация недоступна пользователю, заказавшему отчёт.")
        return replace(scope, organization_id=ctx.organization.pk,
                       territory_ids=frozenset({ctx.organization.territory_id}))
    if ctx.territory is not None:
        subtree = _descendants(ctx.territory.pk)
        if scope.territory_ids is not None:
            subtree = subtree & scope.territory_ids
        return replace(scope, territory_ids=frozenset(subtree))
    return scope


def place(ctx: BuildContext) -> str:
    """«МОУ СОШ № 1 (Городской округ)» or the territory's name."""
    if ctx.organization is not None:
        territory = getattr(ctx.organization, "territory", None)
        return str(ctx.organization.short_name) + (f" ({territory.name})" if territory else "")
    if ctx.territory is not None:
        return str(ctx.territory.name)
    return "все территории"


def data_as_of() -> dt.datetime:
    """When the data behind reports last changed: the latest accepted import."""
    from soko.imports.models import ImportBatch

    latest = (
        ImportBatch.objects.exclude(status=ImportBatch.Status.UNDONE)
        .order_by("-created_at")
        .first()
    )
    return latest.created_at if latest else timezone.now()


def new_document(ctx: BuildContext, subtitle: str, sources: Iterable[str] = ()) -> Document:
    """A document with the head every report carries (title, place, year, data date)."""
    return Document(
        kind=ctx.kind,
        title=ctx.title,
        subtitle=subtitle,
        territory=place(ctx),
        year=ctx.year,
        data_as_of=data_as_of(),
        generated_at=timezone.localtime(),
        sources=list(dict.fromkeys(sources)),
    )


def method_notes(codes: Iterable[str], year: int | None = None) -> list[MethodNote]:
    """Catalog parameters (thresholds with their sources) for the methodology appendix.

    Unknown codes are skipped: an area may not ship a parameter in every installation.
    """
    from soko.catalog.models import Parameter

    notes: list[MethodNote] = []
    for code in dict.fromkeys(codes):
        qs = Parameter.objects.filter(code=code).select_related("source")
        if year is not None:
            qs = qs.filter(valid_from__lte=year)
        param = qs.order_by("-valid_from").first()
        if param is None:
            continue
        value = param.value
        items = value if isinstance(value, list) else [value]
        text = ", ".join(format_value(v) if isinstance(v, (int, float)) else str(v)
                         for v in items)
        notes.append(MethodNote(
            name=param.name,
            value=f"{text} {param.unit}".strip(),
            source=param.source.title,
            source_kind=param.source.get_kind_display(),
        ))
    return notes


def note(name: str, value: Any, source: str, source_kind: str) -> MethodNote:
    """A methodology line that is not a catalog parameter (a method, a rule of the area)."""
    return MethodNote(name=name, value=str(value), source=source, source_kind=source_kind)


def share(part: int, whole: int) -> float | None:
    """``part`` as a percentage of ``whole`` to one decimal; None when there is no whole."""
    return round(100.0 * part / whole, 1) if whole else None


def rounded(value: Any, digits: int = 1) -> float | None:
    """A number rounded for a table cell; None (shown «—») stays None."""
    return None if value is None else round(float(value), digits)


def min_group() -> int:
    from soko.catalog.selectors import min_group_size

    return int(min_group_size())


def suppress(value: Any, n: int | None, minimum: int) -> Any:
    """None (shown «—») when the group is smaller than the minimum size."""
    if n is None or n < minimum:
        return None
    return value


def refuse(reason: str) -> ReportRefused:
    """``raise refuse("Нет результатов ВПР за 2026 год …")``."""
    return ReportRefused(reason)
