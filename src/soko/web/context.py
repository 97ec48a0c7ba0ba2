"""Template context shared by every page: the caller's scope and the navigation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from soko.accounts.scope import Scope, scope_for_user


def request_scope(request: HttpRequest) -> Scope:
    """The scope of the request, computed once per request."""
    cached: Scope | None = getattr(request, "_soko_scope", None)
    if cached is None:
        cached = scope_for_user(getattr(request, "user", None))
        request._soko_scope = cached  # type: ignore[attr-defined]
    return cached


# The main menu of signed-in users, in order; entries whose area is not installed are skipped.
MENU = [
    ("web:dashboard", "Обзор"),
    ("web:org_list", "Организации"),
    ("indicators:catalog", "Показатели"),
    ("analyses:home", "Анализ"),
    ("risks:home", "Риски"),
    ("cycle:home", "Управление"),
    ("monitoring:home", "Мониторинги"),
    ("reports:home", "Отчёты"),
    ("imports:history", "Загрузки"),
    ("web:catalog", "Каталог процедур"),
    ("web:jobs", "Задачи"),
]
PUBLIC_MENU = [("web:public", "Открытые данные")]


def _resolvable(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    out = []
    for name, label in items:
        try:
            reverse(name)
        except NoReverseMatch:
            continue
        out.append((name, label))
    return out


def navigation(request: HttpRequest) -> dict[str, Any]:
    scope = request_scope(request)
    items = _resolvable(PUBLIC_MENU if scope.is_public else MENU)
    return {"scope": scope, "nav_items": items}
