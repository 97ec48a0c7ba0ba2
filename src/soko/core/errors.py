"""One error shape for the whole application (HackSoft style).

Business code raises :class:`ApplicationError` (or a subclass) with a Russian message for the
user and optional structured ``extra``; the API, the web views and the CLI render it the same way.
"""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A domain error whose message is meant for the user (in Russian)."""

    status_code = 400

    def __init__(self, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class ValidationFailed(ApplicationError):
    """Input was rejected; ``extra["errors"]`` lists the problems."""


class Conflict(ApplicationError):
    status_code = 409


class Busy(ApplicationError):
    """A shared resource (the fact store) is held by another process."""

    status_code = 503
