"""Helpers shared by the cycle's views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils import timezone

from soko.accounts.scope import Scope
from soko.core.errors import ApplicationError
from soko.cycle import selectors
from soko.cycle.services import files
from soko.registry.models import Territory
from soko.web.context import request_scope

View = Callable[..., HttpResponse]


def scope_of(request: HttpRequest) -> Scope:
    return request_scope(request)


def today() -> Any:
    return timezone.localdate()


def authority_required(view: View) -> View:
    """Only the authority of a territory (roadmaps, acceptance, approval)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not selectors.is_authority(scope_of(request)):
            raise PermissionDenied("Действие доступно органу управления образованием.")
        return view(request, *args, **kwargs)

    return login_required(wrapped)


def territories_for(scope: Scope) -> QuerySet[Territory]:
    """Territories the scope may work in: its municipalities (or regions without any)."""
    qs = Territory.objects.all()
    if scope.territory_ids is not None:
        qs = qs.filter(pk__in=sorted(scope.territory_ids))
    municipalities = qs.filter(kind=Territory.Kind.MUNICIPALITY)
    return (municipalities if municipalities.exists() else qs).order_by("name")


def default_territory(scope: Scope) -> Territory | None:
    from soko.cycle.services.roadmaps import territory_of_scope

    return territory_of_scope(scope)


def error_text(exc: ApplicationError) -> str:
    return exc.message


def send_stored(relative: str, name: str) -> FileResponse:
    """A stored file as a download (the caller has checked the scope)."""
    try:
        path: Path = files.open_stored(relative)
    except ApplicationError as exc:
        raise Http404(exc.message) from exc
    response = FileResponse(path.open("rb"), as_attachment=True, filename=name)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


def int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
