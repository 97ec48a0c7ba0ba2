"""One JSON error shape for the API: ``{"message": "...", "extra": {...}}``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from soko.core.errors import ApplicationError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response({"message": exc.message, "extra": exc.extra}, status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Объект не найден или недоступен.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied("Недостаточно прав.")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    if isinstance(detail, dict) and "detail" in detail:
        response.data = {"message": str(detail["detail"]), "extra": {}}
    else:
        response.data = {"message": "Ошибка во входных данных.", "extra": {"fields": detail}}
    return response
