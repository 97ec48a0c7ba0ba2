"""Fixtures of the monitoring tests: the shipped forms and questionnaires on top of the
`personas` registry (schools A and B in one municipality, a far school in another)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from soko.accounts.scope import SYSTEM, scope_for_user
from soko.monitoring.formspec import FormSpec


@pytest.fixture
def forms(personas: Any) -> Any:
    """The shipped forms and questionnaires loaded; returns the personas."""
    from soko.monitoring.services import builtin_load

    builtin_load()
    return personas


def scope_of(user: Any) -> Any:
    return scope_for_user(user)


def valid_raw(spec: FormSpec, **overrides: Any) -> dict[str, Any]:
    """The smallest valid answers of a form (every rule holds), with overrides."""
    raw: dict[str, Any] = {}
    for f in spec.fields:
        if f.kind in {"integer", "number", "percent"}:
            raw[f.code] = str(int(f.min or 0))
        elif f.kind == "boolean":
            raw[f.code] = "нет"
        elif f.kind == "choice":
            raw[f.code] = f.options[0].code if f.required else ""
        elif f.kind == "multichoice":
            raw[f.code] = [f.options[0].code] if f.required else []
        elif f.kind == "table":
            raw[f.code] = []
        else:
            raw[f.code] = ""
    raw.update(overrides)
    return raw


def send(template_code: str, *, year: int = 2026, deadline: dt.date | None = None,
         orgs: list[Any] | None = None, review: bool = True, scope: Any = SYSTEM) -> Any:
    from soko.monitoring.selectors import template_get
    from soko.monitoring.services import campaign_create

    return campaign_create(
        scope=scope, template=template_get(template_code), year=year,
        deadline=deadline or dt.date(year, 12, 1), organizations=orgs, review_required=review,
    )


def submission_of(campaign: Any, org: Any) -> Any:
    return campaign.submissions.get(organization=org)
