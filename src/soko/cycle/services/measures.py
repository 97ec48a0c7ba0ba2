"""Measures and management decisions, and the analysis of a measure's effectiveness."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from soko.accounts.scope import SYSTEM, Scope
from soko.core.errors import ApplicationError
from soko.cycle import effect
from soko.cycle.directions import DIRECTION_CODES, SEVERAL
from soko.cycle.models import (
    ActKind,
    Decision,
    EffectivenessAnalysis,
    Measure,
    Recommendation,
    RoadmapItem,
)
from soko.cycle.selectors import allows_territory, is_authority, territory_tree
from soko.cycle.services import files
from soko.cycle.sources import indicator_info, indicator_panel
from soko.registry.models import Organization, Territory


def _require(scope: Scope, territory_id: int) -> None:
    if not is_authority(scope) or not allows_territory(scope, territory_id):
        raise ApplicationError(
            "Меры и управленческие решения оформляет орган управления своей территории."
        )


def _check_links(
    territory: Territory,
    organizations: Iterable[Organization],
    items: Iterable[RoadmapItem],
    recommendations: Iterable[Recommendation],
) -> None:
    tree = territory_tree(territory.pk)
    if any(o.territory_id not in tree for o in organizations):
        raise ApplicationError("Среди выбранных ОО есть организации другой территории.")
    if any(i.roadmap.territory_id not in tree for i in items):
        raise ApplicationError("Среди выбранных мероприятий есть мероприятия другой территории.")
    if any(r.territory_id not in tree for r in recommendations):
        raise ApplicationError("Среди выбранных рекомендаций есть рекомендации другой территории.")


def _codes(values: Iterable[str]) -> list[str]:
    return sorted({v.strip() for v in values if v and v.strip()})


def measure_save(
    *,
    scope: Scope,
    user: Any = None,
    measure: Measure | None = None,
    territory: Territory,
    title: str,
    direction: str,
    description: str = "",
    status: str = Measure.Status.PLANNED,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    responsible: str = "",
    organizations: Iterable[Organization] = (),
    indicator_codes: Iterable[str] = (),
    items: Iterable[RoadmapItem] = (),
    recommendations: Iterable[Recommendation] = (),
) -> Measure:
    """Create or update a measure with its targeted organizations, indicators, roadmap items
    and the recommendations it answers."""
    _require(scope, territory.pk)
    if measure is not None and measure.territory_id != territory.pk:
        raise ApplicationError("Мера относится к другой территории.")
    if not title.strip():
        raise ApplicationError("Укажите название меры.")
    if direction not in (*DIRECTION_CODES, SEVERAL):
        raise ApplicationError("Неизвестное направление.")
    if status not in Measure.Status.values:
        raise ApplicationError("Неизвестное состояние меры.")
    if start_date and end_date and end_date < start_date:
        raise ApplicationError("Окончание меры раньше её начала.")
    orgs, its, recs = list(organizations), list(items), list(recommendations)
    _check_links(territory, orgs, its, recs)
    with transaction.atomic():
        obj = measure or Measure(territory=territory,
                                 created_by=user if getattr(user, "is_authenticated", False)
                                 else None)
        obj.title = title.strip()[:500]
        obj.description = description.strip()
        obj.direction = direction
        obj.status = status
        obj.start_date = start_date
        obj.end_date = end_date
        obj.responsible = responsible.strip()[:300]
        obj.indicator_codes = _codes(indicator_codes)
        obj.save()
        obj.organizations.set(orgs)
        obj.items.set(its)
        obj.recommendations.set(recs)
    return obj


def decision_save(
    *,
    scope: Scope,
    user: Any = None,
    decision: Decision | None = None,
    territory: Territory,
    kind: str,
    number: str,
    date: dt.date,
    title: str,
    direction: str,
    text: str = "",
    signed_by: str = "",
    organizations: Iterable[Organization] = (),
    indicator_codes: Iterable[str] = (),
    items: Iterable[RoadmapItem] = (),
    recommendations: Iterable[Recommendation] = (),
    measures: Iterable[Measure] = (),
    upload: Any = None,
) -> Decision:
    """Create or update a management decision (приказ: number, date, text, signed by) with
    its links; the signed document may be attached."""
    _require(scope, territory.pk)
    if decision is not None and decision.territory_id != territory.pk:
        raise ApplicationError("Решение относится к другой территории.")
    if kind not in ActKind.values:
        raise ApplicationError("Неизвестный вид акта.")
    if not number.strip() or not title.strip():
        raise ApplicationError("Укажите номер и заголовок акта.")
    if direction not in (*DIRECTION_CODES, SEVERAL):
        raise ApplicationError("Неизвестное направление.")
    orgs, its, recs, meas = list(organizations), list(items), list(recommendations), list(measures)
    _check_links(territory, orgs, its, recs)
    if any(m.territory_id not in territory_tree(territory.pk) for m in meas):
        raise ApplicationError("Среди выбранных мер есть меры другой территории.")
    with transaction.atomic():
        obj = decision or Decision(territory=territory,
                                   created_by=user if getattr(user, "is_authenticated", False)
                                   else None)
        obj.kind = kind
        obj.number = number.strip()[:60]
        obj.date = date
        obj.title = title.strip()[:500]
        obj.text = text.strip()
        obj.signed_by = signed_by.strip()[:200]
        obj.direction = direction
        obj.indicator_codes = _codes(indicator_codes)
        if upload is not None:
            stored = files.store_upload(upload, kind="decisions")
            obj.file_path, obj.file_name = stored.path, stored.name
        obj.save()
        obj.organizations.set(orgs)
        obj.items.set(its)
        obj.recommendations.set(recs)
        obj.measures.set(meas)
    return obj


# ----------------------------------------------------------------------------------------------
# Effectiveness
# ----------------------------------------------------------------------------------------------


def first_after_year(start: dt.date | None, fallback: int) -> int:
    """The first year whose results come after a measure began: assessment results of a year
    are spring results (ВПР, ОГЭ, ЕГЭ — from April), so a measure started before 1 April acts on
    that year's results, a later one from the next year on."""
    if start is None:
        return fallback
    return start.year if start < dt.date(start.year, 4, 1) else start.year + 1


def _param(code: str, default: Any) -> Any:
    from soko.catalog.selectors import ParameterMissing, parameter_value

    try:
        return parameter_value(code)
    except ParameterMissing:
        return default


def effectiveness_request(
    *,
    measure: Measure,
    indicator_code: str,
    scope: Scope = SYSTEM,
    user: Any = None,
    first_after: int | None = None,
) -> EffectivenessAnalysis:
    """Create (or re-open) the analysis of one indicator for a measure; compute it with
    :func:`effectiveness_compute` (directly or as the ``cycle.effectiveness`` job)."""
    _require(scope, measure.territory_id)
    code = indicator_code.strip()
    if not code:
        raise ApplicationError("Укажите показатель.")
    if not measure.organizations.exists():
        raise ApplicationError("У меры не указаны целевые ОО — сравнивать не с чем.")
    year = first_after or first_after_year(measure.start_date, timezone.localdate().year)
    analysis, _ = EffectivenessAnalysis.objects.update_or_create(
        measure=measure,
        indicator_code=code,
        defaults={
            "first_after_year": year,
            "status": EffectivenessAnalysis.Status.PENDING,
            "created_by": user if getattr(user, "is_authenticated", False) else None,
        },
    )
    if code not in measure.indicator_codes:
        measure.indicator_codes = sorted({*measure.indicator_codes, code})
        measure.save(update_fields=["indicator_codes", "updated_at"])
    return analysis


def _series(
    panel: dict[int, dict[int, float]], treated: set[int]
) -> dict[str, list[dict[str, Any]]]:
    years = sorted({y for values in panel.values() for y in values})
    out: dict[str, list[dict[str, Any]]] = {"treated": [], "control": []}
    for group, members in (("treated", True), ("control", False)):
        for year in years:
            values = [
                v[year] for org, v in panel.items() if (org in treated) == members and year in v
            ]
            if values:
                out[group].append(
                    {"year": year, "mean": sum(values) / len(values), "n": len(values)}
                )
    return out


def effectiveness_compute(
    analysis: EffectivenessAnalysis,
    *,
    panel: dict[int, dict[int, float]] | None = None,
) -> EffectivenessAnalysis:
    """Compute the difference in differences for the analysis and store the result with its
    wording. ``panel`` (organization → year → value) defaults to the indicator's values of the
    measure's territory (indicators area)."""
    measure = analysis.measure
    info = indicator_info(analysis.indicator_code)
    name = info.name if info else analysis.indicator_code
    unit = info.unit if info else ""
    polarity = info.polarity if info else "higher_better"
    data = panel if panel is not None else indicator_panel(
        analysis.indicator_code, territory_tree(measure.territory_id)
    )
    treated = set(measure.organizations.values_list("pk", flat=True))
    years = {y for values in data.values() for y in values}
    before, after = effect.split_years(years, analysis.first_after_year)
    min_orgs = int(_param("cycle.effect.min_orgs", 3))
    result = effect.diff_in_diff(
        data,
        treated,
        before,
        after,
        confidence=float(_param("cycle.effect.confidence", 0.95)),
        min_group=min_orgs,
        bootstrap_reps=int(_param("cycle.effect.bootstrap_reps", 2000)),
        seed=0,
    )
    analysis.indicator_name = name[:500]
    analysis.unit = unit[:40]
    analysis.polarity = polarity
    analysis.before_years = before
    analysis.after_years = after
    analysis.status = (
        EffectivenessAnalysis.Status.OK if result.status == effect.OK
        else EffectivenessAnalysis.Status.INSUFFICIENT
    )
    analysis.estimate = result.estimate
    analysis.ci_low = result.ci_low
    analysis.ci_high = result.ci_high
    analysis.verdict = effect.verdict(result, polarity)
    analysis.conclusion = effect.conclusion(
        result, indicator=name, unit=unit, polarity=polarity, min_group=min_orgs
    )
    if not before or not after:
        analysis.conclusion += (
            f" Значения показателя есть за годы: {', '.join(map(str, sorted(years))) or 'нет'}; "
            f"первый год «после» меры — {analysis.first_after_year}."
        )
    analysis.method = effect.METHOD
    analysis.result = result.to_dict()
    analysis.series = _series(data, treated)
    analysis.computed_at = timezone.now()
    analysis.save()
    return analysis


def effectiveness_recompute_all(territory_ids: Iterable[int] | None = None) -> int:
    """Recompute every stored analysis (after the indicator values changed)."""
    qs = EffectivenessAnalysis.objects.select_related("measure")
    if territory_ids is not None:
        qs = qs.filter(measure__territory_id__in=sorted(set(territory_ids)))
    count = 0
    for analysis in qs:
        effectiveness_compute(analysis)
        count += 1
    return count
