"""Reads of the indicators area, always through a :class:`~soko.accounts.scope.Scope`.

Organization-level values are visible to the organizations of the scope only (a school sees
its own); territory values are aggregates and are visible for the scope's territories and
their ancestors (anonymous visitors see territory aggregates only). Values of small groups are
stored without figures (``suppressed``), so nothing here can leak them.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from soko.accounts.scope import Scope
from soko.catalog.selectors import source_dict
from soko.indicators.models import (
    Direction,
    Indicator,
    IndicatorRun,
    IndicatorValue,
    Polarity,
    Target,
    TargetStatus,
)
from soko.registry.models import Organization, Territory

STATUS_CLASSES = {
    TargetStatus.ACHIEVED: "success",
    TargetStatus.NOT_ACHIEVED: "danger",
    TargetStatus.AT_RISK: "warning",
    TargetStatus.ON_TRACK: "info",
    TargetStatus.NO_DATA: "secondary",
}


def visible_territory_ids(scope: Scope) -> set[int] | None:
    """Territories whose aggregates the scope may see (None = all)."""
    if scope.territory_ids is None or scope.is_public:
        return None
    ids = set(scope.territory_ids)
    parents = dict(Territory.objects.values_list("pk", "parent_id"))
    for tid in list(ids):
        current = parents.get(tid)
        while current is not None and current not in ids:
            ids.add(current)
            current = parents.get(current)
    return ids


def _value_scope_q(scope: Scope) -> Q:
    territories = visible_territory_ids(scope)
    territory_q = Q(territory__isnull=False)
    if territories is not None:
        territory_q &= Q(territory_id__in=sorted(territories))
    if scope.is_public:
        return territory_q
    return territory_q | (Q(organization__isnull=False) & scope.org_q("organization"))


def indicator_list(
    *, direction: str | None = None, include_retired: bool = False, search: str | None = None
) -> QuerySet[Indicator]:
    qs = Indicator.objects.select_related("source")
    if not include_retired:
        qs = qs.filter(retired=False)
    if direction:
        qs = qs.filter(direction=direction)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(code__icontains=search))
    return qs.order_by("direction", "order", "code")


def indicator_get(code: str) -> Indicator:
    found = Indicator.objects.select_related("source").filter(code=code).first()
    if found is None:
        raise Http404("Показатель не найден.")
    return found


def indicator_values(
    scope: Scope,
    code: str,
    *,
    year: int | None = None,
    organization: Organization | None = None,
    territory: Territory | None = None,
    breakdown_key: str | None = "",
    level: str | None = None,
) -> QuerySet[IndicatorValue]:
    """Stored values of an indicator visible in the scope. ``breakdown_key`` "" = the whole
    group, None = every breakdown; ``level`` "organization" / "territory" narrows rows."""
    qs = IndicatorValue.objects.filter(indicator__code=code).filter(_value_scope_q(scope))
    if year is not None:
        qs = qs.filter(year=year)
    if organization is not None:
        if not scope.allows_org(organization):
            raise Http404("Организация не найдена или недоступна.")
        qs = qs.filter(organization=organization)
    if territory is not None:
        qs = qs.filter(territory=territory)
    if breakdown_key is not None:
        qs = qs.filter(breakdown_key=breakdown_key)
    if level == "organization":
        qs = qs.filter(organization__isnull=False)
    elif level == "territory":
        qs = qs.filter(territory__isnull=False)
    return qs.select_related("organization", "territory", "indicator").order_by(
        "year", "territory__kind", "organization__short_name", "breakdown_key"
    )


def targets(scope: Scope, *, code: str | None = None, year: int | None = None) -> QuerySet[Target]:
    """Targets visible in the scope (own organizations, visible territories)."""
    territories = visible_territory_ids(scope)
    territory_q = Q(territory__isnull=False)
    if territories is not None:
        territory_q &= Q(territory_id__in=sorted(territories))
    q = (
        territory_q
        if scope.is_public
        else territory_q | (Q(organization__isnull=False) & scope.org_q("organization"))
    )
    qs = Target.objects.filter(q).select_related("indicator", "organization", "territory")
    if code:
        qs = qs.filter(indicator__code=code)
    if year is not None:
        qs = qs.filter(year=year)
    return qs.order_by("indicator__direction", "indicator__order", "year")


def last_run() -> IndicatorRun | None:
    return IndicatorRun.objects.first()


def value_years(code: str | None = None) -> list[int]:
    qs = IndicatorValue.objects.all()
    if code:
        qs = qs.filter(indicator__code=code)
    return sorted(set(qs.values_list("year", flat=True).distinct()), reverse=True)


# --- page data -----------------------------------------------------------------------------------


@dataclass
class DirectionGroup:
    code: str
    title: str
    indicators: list[Indicator] = field(default_factory=list)


def catalog_by_direction(
    *, include_retired: bool = False, search: str | None = None
) -> list[DirectionGroup]:
    groups: OrderedDict[str, DirectionGroup] = OrderedDict(
        (code, DirectionGroup(code, str(title))) for code, title in Direction.choices
    )
    for ind in indicator_list(include_retired=include_retired, search=search):
        groups[ind.direction].indicators.append(ind)
    return list(groups.values())


def latest_territory_values(
    scope: Scope, territory: Territory | None, indicators: Iterable[Indicator]
) -> dict[int, IndicatorValue]:
    """The latest whole-group value of each indicator for a territory."""
    if territory is None:
        return {}
    ids = [i.pk for i in indicators]
    found: dict[int, IndicatorValue] = {}
    qs = (
        IndicatorValue.objects.filter(indicator_id__in=ids, territory=territory, breakdown_key="")
        .filter(_value_scope_q(scope))
        .order_by("indicator_id", "-year")
    )
    for value in qs:
        found.setdefault(value.indicator_id, value)
    return found


def breakdown_options(indicator: Indicator, year: int | None) -> list[tuple[str, str]]:
    """(key, Russian label) of the breakdown groups stored for an indicator and year."""
    qs = IndicatorValue.objects.filter(indicator=indicator).exclude(breakdown_key="")
    if year is not None:
        qs = qs.filter(year=year)
    keys = sorted(set(qs.values_list("breakdown_key", flat=True).distinct()))
    return [(k, breakdown_label(k)) for k in keys]


_BREAKDOWN_NAMES = {
    "subject": "предмет",
    "grade": "класс",
    "procedure": "процедура",
    "level": "уровень",
    "stage": "этап",
    "period": "период",
}


def breakdown_label(key: str) -> str:
    if not key:
        return "все"
    parts = []
    for item in key.split(";"):
        name, _, value = item.partition("=")
        if name == "grade" and value:
            parts.append(f"{value} класс")
        else:
            parts.append(f"{_BREAKDOWN_NAMES.get(name, name)} {value or '—'}")
    return ", ".join(parts)


def arrow(value: IndicatorValue, polarity: str) -> dict[str, str] | None:
    """The dynamics arrow of a value: only for statistically significant changes."""
    if value.change_significant is not True or value.change is None:
        return None
    up = value.change > 0
    good = up == (polarity == Polarity.HIGHER_BETTER)
    return {
        "symbol": "▲" if up else "▼",
        "css": "text-success" if good else "text-danger",
        "title": f"значимое изменение (p = {value.p_value:.3f})"
        if value.p_value is not None
        else "значимое изменение",
    }


@dataclass
class OrgRow:
    indicator: Indicator
    value: IndicatorValue | None
    territory_value: IndicatorValue | None
    arrow: dict[str, str] | None


def org_indicator_rows(
    scope: Scope, org: Organization, *, year: int | None = None
) -> dict[str, Any]:
    """The organization's whole-group values of the latest year (or ``year``) next to its
    municipality's, grouped by direction."""
    if not scope.allows_org(org):
        raise Http404("Организация не найдена или недоступна.")
    values = IndicatorValue.objects.filter(
        organization=org, breakdown_key="", indicator__retired=False
    ).select_related("indicator")
    years = sorted(set(values.values_list("year", flat=True)), reverse=True)
    chosen = year if year in years else (years[0] if years else None)
    rows: dict[str, list[OrgRow]] = defaultdict(list)
    if chosen is None:
        return {"year": None, "years": years, "groups": [], "territory": org.territory}
    territory_values = {
        v.indicator_id: v
        for v in IndicatorValue.objects.filter(
            territory=org.territory, breakdown_key="", year=chosen
        )
    }
    for value in values.filter(year=chosen).order_by("indicator__direction", "indicator__order"):
        ind = value.indicator
        rows[ind.direction].append(
            OrgRow(ind, value, territory_values.get(ind.pk), arrow(value, ind.polarity))
        )
    titles = dict(Direction.choices)
    groups = [(titles[d], rows[d]) for d, _ in Direction.choices if rows.get(d)]
    return {"year": chosen, "years": years, "groups": groups, "territory": org.territory}


def dashboard_data(
    scope: Scope, territory: Territory | None, org: Organization | None
) -> dict[str, Any]:
    """Key indicators of the scope's territory (or school) with their targets."""
    keys = list(indicator_list().filter(key=True))
    rows = []
    for ind in keys:
        qs = IndicatorValue.objects.filter(indicator=ind, breakdown_key="")
        if org is not None:
            qs = qs.filter(organization=org)
        elif territory is not None:
            qs = qs.filter(territory=territory)
        else:
            continue
        latest = qs.filter(_value_scope_q(scope)).order_by("-year").first()
        rows.append(
            {
                "indicator": ind,
                "value": latest,
                "arrow": arrow(latest, ind.polarity) if latest else None,
            }
        )
    target_qs = targets(scope)
    if org is not None:
        target_qs = target_qs.filter(Q(organization=org) | Q(territory=org.territory))
    elif territory is not None:
        target_qs = target_qs.filter(territory=territory)
    return {"rows": rows, "targets": list(target_qs[:20]), "territory": territory, "org": org}


def indicator_summary(ind: Indicator) -> dict[str, Any]:
    """What the indicator page says about the definition."""
    return {
        "source": source_dict(ind.source),
        "direction_title": dict(Direction.choices).get(ind.direction, ind.direction),
    }


def status_css(status: str) -> str:
    return STATUS_CLASSES.get(TargetStatus(status), "secondary") if status else "secondary"


def subject_values(
    scope: Scope,
    *,
    years: Iterable[int],
    organization: Organization | None = None,
    territory: Territory | None = None,
) -> QuerySet[IndicatorValue]:
    """Whole-group values of every active indicator for one organization or one territory in
    ``years`` (for reports), visible in the scope; suppressed rows are included without
    figures."""
    qs = IndicatorValue.objects.filter(
        year__in=list(years), breakdown_key="", indicator__retired=False
    ).filter(_value_scope_q(scope))
    if organization is not None:
        qs = qs.filter(organization=organization)
    elif territory is not None:
        qs = qs.filter(territory=territory, organization__isnull=True)
    else:
        return qs.none()
    return qs.select_related("indicator").order_by(
        "indicator__direction", "indicator__order", "year"
    )
