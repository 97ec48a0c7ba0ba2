"""The ``form`` and ``survey`` sources of indicator formulas (see ``indicators/sources.py``).

``form.<name>`` — numbers of *accepted* monitoring forms per organization and reporting year
(:class:`~soko.monitoring.models.FormValue`): ``form.<field>`` for numbers and «да/нет» (1/0),
``form.<field>.<option>`` (1/0) for choices, ``form.<table>.rows`` / ``form.<table>.<column>``
for tables, ``form.submitted.<form>`` = 1 for every accepted form.

``survey.<name>`` — anonymous survey tallies per organization and survey year:
``survey.<question>.<option>`` (respondents who chose the option), ``survey.<question>.total``
(respondents who answered), ``survey.<questionnaire>.responses`` and
``survey.<questionnaire>.expected`` (the base of the response rate). Counts are summed over the
surveys of a year. Small groups are not suppressed here: the indicator engine applies the
indicator's minimum group size to what it displays.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import pyarrow as pa
from django.db.models import Sum

from soko.monitoring.models import (
    FormTemplate,
    FormValue,
    Questionnaire,
    SurveyOrganization,
    SurveyTally,
)
from soko.monitoring.surveyspec import TOTAL

SCHEMA = pa.schema([("org_id", pa.int64()), ("year", pa.int64()), ("value", pa.float64())])


def _table(rows: Sequence[tuple[int, int, float | None]]) -> pa.Table:
    return pa.table(
        {
            "org_id": pa.array([int(r[0]) for r in rows], pa.int64()),
            "year": pa.array([int(r[1]) for r in rows], pa.int64()),
            "value": pa.array([None if r[2] is None else float(r[2]) for r in rows],
                              pa.float64()),
        },
        schema=SCHEMA,
    )


def form_provider(name: str, years: Sequence[int]) -> pa.Table:
    """Values of ``form.<name>`` for the given years (all years when empty)."""
    qs = FormValue.objects.filter(name=name)
    if years:
        qs = qs.filter(year__in=list(years))
    rows = list(qs.order_by("organization_id", "year").values_list(
        "organization_id", "year", "value"))
    return _table(rows)


def form_names() -> list[tuple[str, str]]:
    """Every name the forms in use publish, with a Russian label (for the indicator editor)."""
    seen: dict[str, str] = {}
    for template in FormTemplate.objects.filter(retired=False).order_by("code", "-version"):
        for name, label in template.spec.source_names():
            seen.setdefault(name, label)
    return sorted(seen.items())


def survey_provider(name: str, years: Sequence[int]) -> pa.Table:
    """Values of ``survey.<name>`` per organization and year (summed over that year's surveys)."""
    head, _, tail = name.partition(".")
    participants = SurveyOrganization.objects.all()
    if years:
        participants = participants.filter(survey__year__in=list(years))
    if tail in {"responses", "expected"} and Questionnaire.objects.filter(code=head).exists():
        qs = participants.filter(survey__questionnaire__code=head)
        sums: dict[tuple[int, int], float | None] = {}
        for org_id, year, value in qs.values_list("organization_id", "survey__year", tail):
            key = (org_id, year)
            if value is None:
                sums.setdefault(key, None)
                continue
            sums[key] = (sums.get(key) or 0.0) + float(value)
        return _table(sorted((k[0], k[1], v) for k, v in sums.items()))
    option = tail or TOTAL
    rows = (
        SurveyTally.objects.filter(participant__in=participants, question=head, option=option)
        .values_list("participant__organization_id", "participant__survey__year")
        .annotate(total=Sum("count"))
        .order_by("participant__organization_id", "participant__survey__year")
    )
    merged: dict[tuple[int, int], float] = defaultdict(float)
    for org_id, year, total in rows:
        merged[(org_id, year)] += float(total or 0)
    return _table(sorted((k[0], k[1], v) for k, v in merged.items()))


def survey_names() -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for q in Questionnaire.objects.filter(retired=False).order_by("code", "-version"):
        for name, label in q.spec.source_names():
            seen.setdefault(name, label)
    return sorted(seen.items())


def register() -> None:
    """Make ``form.*`` and ``survey.*`` readable in indicator formulas."""
    from soko.indicators.sources import register_source

    register_source("form", "Формы мониторинга (принятые)", form_provider, form_names)
    register_source("survey", "Анкетирование (анонимные ответы)", survey_provider, survey_names)
