"""Reads of the catalog: assessments with tasks and scales, parameters in force."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from soko.catalog.models import (
    Assessment,
    MinScore,
    Parameter,
    ScaleReference,
    Source,
    Task,
)
from soko.lib.scales import Conversion
from soko.lib.scales import MarkScale as ScaleSpec


class ParameterMissing(LookupError):
    pass


def parameter_get(code: str, year: int | None = None) -> Parameter:
    """The version of a parameter in force for ``year`` (the latest when year is None)."""
    qs = Parameter.objects.filter(code=code).select_related("source")
    if year is not None:
        qs = qs.filter(valid_from__lte=year)
    found = qs.order_by("-valid_from").first()
    if found is None:
        raise ParameterMissing(code)
    return found


def parameter_value(code: str, year: int | None = None) -> Any:
    return parameter_get(code, year).value


def min_group_size() -> int:
    return int(parameter_value("privacy.min_group_size"))


def assessment_list(
    *, procedure: str | None = None, year: int | None = None
) -> QuerySet[Assessment]:
    qs = Assessment.objects.select_related(
        "procedure", "subject", "source", "scale__source", "conversion__source"
    ).prefetch_related(Prefetch("tasks", queryset=Task.objects.order_by("position")))
    if procedure:
        qs = qs.filter(procedure__code=procedure)
    if year:
        qs = qs.filter(year=year)
    return qs


def scale_spec(assessment: Assessment) -> ScaleSpec | None:
    """The mark scale of an assessment as a computable object, or None when it is not set."""
    scale = getattr(assessment, "scale", None)
    if scale is None:
        return None
    return ScaleSpec.from_dict(
        {
            "boundaries": scale.boundaries,
            "max_score": assessment.max_primary,
            "conditions": scale.conditions,
        }
    )


def conversion_of(assessment: Assessment) -> Conversion | None:
    conv = getattr(assessment, "conversion", None)
    if conv is None:
        return None
    return Conversion({int(k): float(v) for k, v in conv.table.items()}, complete=conv.complete)


def source_dict(source: Source | None) -> dict[str, Any] | None:
    if source is None:
        return None
    return {
        "code": source.code,
        "title": source.title,
        "kind": source.kind,
        "kind_label": source.get_kind_display(),
        "official": source.is_official,
        "document_number": source.document_number,
        "document_date": source.document_date.isoformat() if source.document_date else None,
        "url": source.url,
    }


def assessment_dict(a: Assessment) -> dict[str, Any]:
    """A JSON-able description of an assessment with tasks, scale and every threshold's source."""
    scale = getattr(a, "scale", None)
    conv = getattr(a, "conversion", None)
    return {
        "id": a.pk,
        "title": a.title,
        "procedure": a.procedure.code,
        "subject": a.subject.code,
        "subject_name": a.subject.name,
        "grade": a.grade,
        "year": a.year,
        "variant_series": a.variant_series,
        "max_primary": a.max_primary,
        "scale_status": a.scale_status,
        "scale_status_label": a.get_scale_status_display(),
        "source": source_dict(a.source),
        "tasks": [
            {
                "position": t.position,
                "number": t.number,
                "max_score": t.max_score,
                "level": t.level,
                "skill": t.skill,
                "part": t.part,
            }
            for t in a.tasks.all()
        ],
        "scale": None
        if scale is None
        else {
            "boundaries": scale.boundaries,
            "conditions": scale.conditions,
            "conditions_text": scale.conditions_text,
            "source": source_dict(scale.source),
        },
        "conversion": None
        if conv is None
        else {"table": conv.table, "complete": conv.complete, "source": source_dict(conv.source)},
    }


def min_scores_list() -> QuerySet[MinScore]:
    return MinScore.objects.select_related("procedure", "subject", "source")


def scale_references_list() -> QuerySet[ScaleReference]:
    return ScaleReference.objects.select_related("procedure", "subject", "source")


def parameters_current() -> list[Parameter]:
    """The latest version of every parameter."""
    seen: dict[str, Parameter] = {}
    for p in Parameter.objects.select_related("source").order_by("code", "-valid_from"):
        seen.setdefault(p.code, p)
    return list(seen.values())
