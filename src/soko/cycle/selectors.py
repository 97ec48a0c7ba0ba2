"""Reads of the management cycle, always through a :class:`~soko.accounts.scope.Scope`.

Visibility:

* the authority and methodologists see the roadmaps, recommendations, measures and decisions of
  their territories (a region covers its municipalities);
* a school user sees only the items its organization answers for — as one of the responsible
  actors, as «Образовательные организации» (every school of the territory), or as the owner of
  its own roadmap — the recommendations addressed to it once approved, and the measures and
  decisions that name it. Anything else is a 404.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from soko.accounts.scope import Scope
from soko.cycle.directions import CYCLE_STEPS, DIRECTIONS, direction_label
from soko.cycle.export import ExportItem, ExportRoadmap, ExportSection
from soko.cycle.models import (
    Actor,
    Comment,
    Decision,
    EffectivenessAnalysis,
    Evidence,
    ItemOccurrence,
    ItemResponsible,
    Measure,
    MukoAssessment,
    MukoEvidence,
    Notification,
    OccurrenceReport,
    Recommendation,
    Roadmap,
    RoadmapItem,
    RoadmapSection,
)
from soko.cycle.occurrences import (
    CLOSED,
    OVERDUE,
    STATUS_LABELS,
    item_status,
    occurrence_status,
)
from soko.registry.models import Organization, Territory

# ----------------------------------------------------------------------------------------------
# Access
# ----------------------------------------------------------------------------------------------


def territory_tree(territory_id: int) -> set[int]:
    """The territory and everything under it."""
    found = {territory_id}
    frontier = {territory_id}
    while frontier:
        frontier = set(
            Territory.objects.filter(parent_id__in=frontier).values_list("id", flat=True)
        ) - found
        found |= frontier
    return found


def territory_ancestors(territory_id: int) -> set[int]:
    """The territory and the territories above it."""
    found: set[int] = set()
    current: int | None = territory_id
    while current is not None and current not in found:
        found.add(current)
        current = Territory.objects.filter(pk=current).values_list("parent_id", flat=True).first()
    return found


def _school(scope: Scope) -> Organization:
    org = Organization.objects.filter(pk=scope.organization_id or 0).first()
    if org is None:
        raise Http404("Организация не найдена.")
    return org


def school_items_q(org: Organization, prefix: str = "") -> Q:
    """Items an organization answers for (``prefix``: path from the model to the item)."""
    p = f"{prefix}__" if prefix else ""
    ancestors = sorted(territory_ancestors(org.territory_id))
    return (
        Q(**{f"{p}actors__organization_id": org.pk})
        | Q(
            **{
                f"{p}actors__kind": Actor.Kind.ALL_SCHOOLS,
                f"{p}roadmap__territory_id__in": ancestors,
            }
        )
        | Q(**{f"{p}roadmap__organization_id": org.pk})
    )


def item_q(scope: Scope, prefix: str = "") -> Q:
    """A filter on roadmap items (or on models reaching an item through ``prefix``)."""
    p = f"{prefix}__" if prefix else ""
    if scope.is_public:
        return Q(**{f"{p}pk__in": []})
    if scope.is_school:
        return school_items_q(_school(scope), prefix)
    if scope.territory_ids is None:
        return Q()
    return Q(**{f"{p}roadmap__territory_id__in": sorted(scope.territory_ids)})


def roadmap_q(scope: Scope) -> Q:
    if scope.is_public:
        return Q(pk__in=[])
    if scope.is_school:
        org = _school(scope)
        ids = RoadmapItem.objects.filter(school_items_q(org)).values_list("roadmap_id", flat=True)
        return Q(organization_id=org.pk) | Q(pk__in=ids)
    if scope.territory_ids is None:
        return Q()
    return Q(territory_id__in=sorted(scope.territory_ids))


def territorial_q(scope: Scope) -> Q:
    """For models with ``territory`` and ``organizations`` (measures, decisions)."""
    if scope.is_public:
        return Q(pk__in=[])
    if scope.is_school:
        return Q(organizations__id=scope.organization_id or 0)
    if scope.territory_ids is None:
        return Q()
    return Q(territory_id__in=sorted(scope.territory_ids))


def recommendation_q(scope: Scope) -> Q:
    if scope.is_public:
        return Q(pk__in=[])
    if scope.is_school:
        return Q(organization_id=scope.organization_id or 0, status=Recommendation.Status.APPROVED)
    if scope.territory_ids is None:
        return Q()
    return Q(territory_id__in=sorted(scope.territory_ids))


def is_authority(scope: Scope) -> bool:
    """The authority of a territory: may edit roadmaps, accept reports, approve."""
    return scope.can_edit and not scope.is_school and not scope.is_public


def allows_territory(scope: Scope, territory_id: int) -> bool:
    if scope.is_public:
        return False
    return scope.territory_ids is None or territory_id in scope.territory_ids


# ----------------------------------------------------------------------------------------------
# Roadmaps and items
# ----------------------------------------------------------------------------------------------


def roadmap_list(scope: Scope) -> QuerySet[Roadmap]:
    return (
        Roadmap.objects.filter(roadmap_q(scope))
        .select_related("territory", "organization")
        .annotate(
            n_items=Count("items", distinct=True),
            n_overdue=Count("items", filter=Q(items__status=OVERDUE), distinct=True),
            n_done=Count("items", filter=Q(items__status="done"), distinct=True),
        )
        .order_by("-period_start", "title")
    )


def roadmap_get(scope: Scope, pk: int) -> Roadmap:
    found = Roadmap.objects.filter(roadmap_q(scope), pk=pk).select_related("territory").first()
    if found is None:
        raise Http404("Дорожная карта не найдена или недоступна.")
    return found


@dataclass
class SectionView:
    section: RoadmapSection | None
    items: list[RoadmapItem] = field(default_factory=list)


def roadmap_sections(scope: Scope, roadmap: Roadmap) -> list[SectionView]:
    """Sections in document order with the items the scope may see (empty sections of a school
    view are dropped)."""
    items = list(
        RoadmapItem.objects.filter(item_q(scope), roadmap=roadmap)
        .distinct()
        .prefetch_related(
            Prefetch("responsible", queryset=ItemResponsible.objects.select_related("actor")),
            "occurrences",
        )
        .order_by("position")
    )
    by_section: dict[int | None, list[RoadmapItem]] = defaultdict(list)
    for item in items:
        by_section[item.section_id].append(item)
    views = [SectionView(None, by_section.get(None, []))] if by_section.get(None) else []
    for section in roadmap.sections.order_by("position"):
        its = by_section.get(section.pk, [])
        if its or not scope.is_school:
            views.append(SectionView(section, its))
    return views


def item_get(scope: Scope, pk: int) -> RoadmapItem:
    found = (
        RoadmapItem.objects.filter(item_q(scope), pk=pk)
        .distinct()
        .select_related("roadmap__territory", "section")
        .first()
    )
    if found is None:
        raise Http404("Мероприятие не найдено или недоступно.")
    return found


def occurrence_get(scope: Scope, pk: int) -> ItemOccurrence:
    found = (
        ItemOccurrence.objects.filter(item_q(scope, "item"), pk=pk)
        .distinct()
        .select_related("item__roadmap")
        .first()
    )
    if found is None:
        raise Http404("Срок мероприятия не найден или недоступен.")
    return found


def report_get(scope: Scope, pk: int) -> OccurrenceReport:
    qs = OccurrenceReport.objects.filter(item_q(scope, "occurrence__item"), pk=pk)
    if scope.is_school:
        qs = qs.filter(organization_id=scope.organization_id or 0)
    found = qs.distinct().select_related("occurrence__item__roadmap", "organization").first()
    if found is None:
        raise Http404("Отчёт не найден или недоступен.")
    return found


def evidence_get(scope: Scope, pk: int) -> Evidence:
    qs = Evidence.objects.filter(item_q(scope, "item"), pk=pk)
    if scope.is_school:
        qs = qs.filter(Q(organization_id=scope.organization_id or 0) | Q(organization__isnull=True))
    found = qs.distinct().first()
    if found is None:
        raise Http404("Документ не найден или недоступен.")
    return found


def required_organizations(item: RoadmapItem) -> set[int]:
    """The organizations that must each report for an occurrence to be done by reports alone:
    the schools named as actors and, for «Образовательные организации», every active
    organization of the roadmap's territory."""
    ids: set[int] = set()
    for responsible in item.responsible.select_related("actor"):
        actor = responsible.actor
        if actor.kind == Actor.Kind.ORGANIZATION and actor.organization_id:
            ids.add(actor.organization_id)
        elif actor.kind == Actor.Kind.ALL_SCHOOLS:
            ids |= set(
                Organization.objects.filter(
                    territory_id__in=territory_tree(item.roadmap.territory_id), is_active=True
                ).values_list("pk", flat=True)
            )
    if item.roadmap.organization_id:
        ids.add(item.roadmap.organization_id)
    return ids


def item_details(scope: Scope, item: RoadmapItem, today: dt.date) -> dict[str, Any]:
    """Everything the item page shows: occurrences with reports, evidence, comments, history."""
    occurrences = list(item.occurrences.order_by("due"))
    reports = OccurrenceReport.objects.filter(occurrence__item=item).select_related(
        "organization", "submitted_by", "reviewed_by"
    )
    evidence = Evidence.objects.filter(item=item).select_related("organization", "uploaded_by")
    comments = Comment.objects.filter(item=item).select_related("author", "organization")
    if scope.is_school:
        reports = reports.filter(organization_id=scope.organization_id or 0)
        evidence = evidence.filter(
            Q(organization_id=scope.organization_id or 0) | Q(organization__isnull=True)
        )
        comments = comments.filter(
            Q(organization_id=scope.organization_id or 0) | Q(organization__isnull=True)
        )
    by_occurrence: dict[int, list[OccurrenceReport]] = defaultdict(list)
    for r in reports:
        by_occurrence[r.occurrence_id].append(r)
    required = len(required_organizations(item))
    accepted: dict[int, int] = defaultdict(int)
    for occurrence_id in OccurrenceReport.objects.filter(
        occurrence__item=item, state=OccurrenceReport.State.ACCEPTED, organization__isnull=False
    ).values_list("occurrence_id", flat=True):
        accepted[occurrence_id] += 1
    rows = [
        {
            "occurrence": o,
            "status": occurrence_status(o.status, o.due, today),
            "status_label": STATUS_LABELS[occurrence_status(o.status, o.due, today)],
            "reports": by_occurrence.get(o.pk, []),
            "accepted": accepted.get(o.pk, 0),
        }
        for o in occurrences
    ]
    return {
        "occurrences": rows,
        "required": required,
        "evidence": list(evidence),
        "comments": list(comments),
        "responsible": list(item.responsible.select_related("actor__organization")),
        "measures": list(item.measures.all()),
        "decisions": list(item.decisions.all()),
        "history": item_history(item) if not scope.is_school else [],
    }


@dataclass(frozen=True)
class HistoryEntry:
    when: dt.datetime
    who: str
    what: str
    changes: list[tuple[str, str, str]]


def _value(value: Any) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, dict):
        return str(value.get("description") or value)
    return str(value)


def item_history(item: RoadmapItem, limit: int = 100) -> list[HistoryEntry]:
    """Who changed the item and its occurrences, newest first."""
    entries: list[HistoryEntry] = []
    records: list[Any] = list(item.history.select_related("history_user")[:limit])
    records += list(
        ItemOccurrence.history.filter(item_id=item.pk).select_related("history_user")[:limit]
    )
    for record in records:
        changes: list[tuple[str, str, str]] = []
        prev = record.prev_record
        if record.history_type == "~" and prev is not None:
            for change in record.diff_against(prev).changes:
                if change.field in ("updated_at", "schedule_kind", "schedule_parsed"):
                    continue
                f = record.instance._meta.get_field(change.field)
                changes.append(
                    (str(getattr(f, "verbose_name", change.field)), _value(change.old),
                     _value(change.new))
                )
            if not changes:
                continue
        user = record.history_user
        label = "срок " + record.label if hasattr(record, "label") else "мероприятие"
        action = {"+": "создано", "~": "изменено", "-": "удалено"}.get(record.history_type, "")
        entries.append(
            HistoryEntry(
                when=record.history_date,
                who=(user.get_full_name() or user.username) if user else "система",
                what=f"{label}: {action}",
                changes=changes,
            )
        )
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries[:limit]


def roadmap_export_model(scope: Scope, roadmap: Roadmap, today: dt.date) -> ExportRoadmap:
    """The roadmap as the export writers take it (only the items the scope may see), with the
    effective status of every item."""
    sections: list[ExportSection] = []
    loose: tuple[ExportItem, ...] = ()
    for view in roadmap_sections(scope, roadmap):
        items = tuple(
            ExportItem(
                number=i.number,
                title=i.title,
                deadline=i.deadline_text,
                responsible=tuple(r.label for r in i.responsible.all()),
                indicator=i.indicator_text,
                status=STATUS_LABELS[_effective_item_status(i, today)],
            )
            for i in view.items
        )
        if view.section is None:
            loose = items
        else:
            sections.append(
                ExportSection(view.section.title, view.section.level, items,
                              unnumbered=not view.section.number)
            )
    owner = roadmap.owner or (roadmap.organization.short_name if roadmap.organization else "")
    approving = ""
    if roadmap.doc_number:
        kind = {"приказ": "приказом", "распоряжение": "распоряжением",
                "постановление": "постановлением", "протокол": "протоколом"}.get(
            roadmap.doc_kind, "приказом")
        date = f" от {roadmap.doc_date:%d.%m.%Y}" if roadmap.doc_date else ""
        approving = f"{kind}{' ' + roadmap.owner if roadmap.owner else ''}{date} № " \
                    f"{roadmap.doc_number}"
    return ExportRoadmap(
        title=roadmap.title,
        approving=approving,
        period=roadmap.period,
        direction=direction_label(roadmap.direction),
        owner=owner,
        loose_items=loose,
        sections=tuple(sections),
    )


def _effective_item_status(item: RoadmapItem, today: dt.date) -> str:
    """The item's status as of ``today`` (overdue the day after a deadline even before the
    daily refresh)."""
    statuses = [occurrence_status(o.status, o.due, today) for o in item.occurrences.all()]
    return item_status(statuses, cancelled=item.is_cancelled)


def effective_status(item: RoadmapItem, today: dt.date) -> str:
    return _effective_item_status(item, today)


def evidence_counts(scope: Scope, roadmap: Roadmap) -> dict[int, int]:
    """Item id → number of evidence documents the scope may see (for execution reports)."""
    qs = Evidence.objects.filter(item__roadmap=roadmap).filter(item_q(scope, "item"))
    if scope.is_school:
        qs = qs.filter(Q(organization_id=scope.organization_id or 0) | Q(organization__isnull=True))
    counts: dict[int, int] = defaultdict(int)
    for item_id in qs.distinct().values_list("item_id", "pk"):
        counts[item_id[0]] += 1
    return dict(counts)



# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueRow:
    occurrence: ItemOccurrence
    item: RoadmapItem
    status: str
    days_left: int | None
    own_report: OccurrenceReport | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def days_late(self) -> int:
        return -self.days_left if self.days_left is not None and self.days_left < 0 else 0


def _occurrences(scope: Scope) -> QuerySet[ItemOccurrence]:
    return (
        ItemOccurrence.objects.filter(item_q(scope, "item"))
        .filter(item__is_cancelled=False)
        .exclude(item__roadmap__status__in=[Roadmap.Status.DRAFT, Roadmap.Status.ARCHIVED])
        .select_related("item__roadmap")
        .distinct()
    )


def _rows(scope: Scope, qs: QuerySet[ItemOccurrence], today: dt.date) -> list[DueRow]:
    occurrences = list(qs)
    own: dict[int, OccurrenceReport] = {}
    if scope.is_school:
        for r in OccurrenceReport.objects.filter(
            occurrence__in=occurrences, organization_id=scope.organization_id or 0
        ):
            own[r.occurrence_id] = r
    rows = []
    for o in occurrences:
        status = occurrence_status(o.status, o.due, today)
        rows.append(
            DueRow(
                occurrence=o,
                item=o.item,
                status=status,
                days_left=(o.due - today).days if o.due is not None else None,
                own_report=own.get(o.pk),
            )
        )
    return rows


def due_soon(scope: Scope, today: dt.date, days: int) -> list[DueRow]:
    """Open occurrences due from today to ``today + days``, soonest first."""
    qs = (
        _occurrences(scope)
        .filter(due__gte=today, due__lte=today + dt.timedelta(days=days))
        .exclude(status__in=CLOSED)
        .order_by("due", "item__position")
    )
    return _rows(scope, qs, today)


def overdue(scope: Scope, today: dt.date) -> list[DueRow]:
    """Open occurrences past their due date, oldest first."""
    qs = (
        _occurrences(scope)
        .filter(due__lt=today)
        .exclude(status__in=CLOSED)
        .order_by("due", "item__position")
    )
    return _rows(scope, qs, today)


@dataclass
class CalendarDay:
    day: dt.date | None
    rows: list[DueRow] = field(default_factory=list)
    today: bool = False


def calendar_month(scope: Scope, year: int, month: int, today: dt.date) -> list[list[CalendarDay]]:
    """Weeks (Monday first) of a month with the occurrences due on each day."""
    first = dt.date(year, month, 1)
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    qs = _occurrences(scope).filter(due__gte=first, due__lte=last).order_by("due")
    by_day: dict[dt.date, list[DueRow]] = defaultdict(list)
    for row in _rows(scope, qs, today):
        assert row.occurrence.due is not None
        by_day[row.occurrence.due].append(row)
    weeks: list[list[CalendarDay]] = [
        [
            CalendarDay(d, by_day.get(d, []), d == today) if d.month == month
            else CalendarDay(None)
            for d in week
        ]
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    ]
    return weeks


# ----------------------------------------------------------------------------------------------
# Notifications
# ----------------------------------------------------------------------------------------------


def notifications(user: Any, *, unread_only: bool = False, limit: int = 100) -> list[Notification]:
    qs = Notification.objects.filter(user_id=getattr(user, "pk", None) or 0)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return list(qs[:limit])


def unread_count(user: Any) -> int:
    return Notification.objects.filter(user_id=getattr(user, "pk", None) or 0,
                                       read_at__isnull=True).count()


# ----------------------------------------------------------------------------------------------
# Recommendations, measures, decisions, effectiveness
# ----------------------------------------------------------------------------------------------


def recommendation_list(
    scope: Scope,
    *,
    status: str | None = None,
    direction: str | None = None,
    organization: Organization | None = None,
    include_obsolete: bool = True,
) -> QuerySet[Recommendation]:
    qs = Recommendation.objects.filter(recommendation_q(scope)).select_related(
        "organization", "territory"
    )
    if status:
        qs = qs.filter(status=status)
    if direction:
        qs = qs.filter(direction=direction)
    if organization is not None:
        qs = qs.filter(organization=organization)
    if not include_obsolete:
        qs = qs.filter(obsolete=False)
    return qs.annotate(n_measures=Count("measures", distinct=True)).order_by(
        "status", "-year", "direction", "title"
    )


def recommendation_get(scope: Scope, pk: int) -> Recommendation:
    found = Recommendation.objects.filter(recommendation_q(scope), pk=pk).first()
    if found is None:
        raise Http404("Рекомендация не найдена или недоступна.")
    return found


def measure_list(scope: Scope, *, direction: str | None = None) -> QuerySet[Measure]:
    qs = Measure.objects.filter(territorial_q(scope)).distinct()
    if direction:
        qs = qs.filter(direction=direction)
    return qs.prefetch_related("organizations").order_by("-start_date", "title")


def measure_get(scope: Scope, pk: int) -> Measure:
    found = Measure.objects.filter(territorial_q(scope), pk=pk).distinct().first()
    if found is None:
        raise Http404("Мера не найдена или недоступна.")
    return found


def decision_list(scope: Scope, *, direction: str | None = None) -> QuerySet[Decision]:
    qs = Decision.objects.filter(territorial_q(scope)).distinct()
    if direction:
        qs = qs.filter(direction=direction)
    return qs.order_by("-date", "number")


def decision_get(scope: Scope, pk: int) -> Decision:
    found = Decision.objects.filter(territorial_q(scope), pk=pk).distinct().first()
    if found is None:
        raise Http404("Решение не найдено или недоступно.")
    return found


def analysis_list(scope: Scope) -> QuerySet[EffectivenessAnalysis]:
    measures = Measure.objects.filter(territorial_q(scope)).values_list("pk", flat=True)
    return EffectivenessAnalysis.objects.filter(measure_id__in=measures).select_related("measure")


def analysis_get(scope: Scope, pk: int) -> EffectivenessAnalysis:
    found = analysis_list(scope).filter(pk=pk).first()
    if found is None:
        raise Http404("Анализ не найден или недоступен.")
    return found


# ----------------------------------------------------------------------------------------------
# МУКО
# ----------------------------------------------------------------------------------------------


def muko_territories(scope: Scope) -> QuerySet[Territory]:
    """Municipalities of the scope (the МУКО self-assessment is municipal)."""
    qs = Territory.objects.filter(kind=Territory.Kind.MUNICIPALITY)
    if scope.is_public or scope.is_school:
        return qs.none()
    if scope.territory_ids is not None:
        qs = qs.filter(pk__in=sorted(scope.territory_ids))
    return qs.order_by("name")


def muko_latest(scope: Scope, territory: Territory | None = None) -> MukoAssessment | None:
    qs = MukoAssessment.objects.filter(territory__in=muko_territories(scope))
    if territory is not None:
        qs = qs.filter(territory=territory)
    return qs.select_related("territory").order_by("-year", "-computed_at").first()


def muko_view(assessment: MukoAssessment) -> dict[str, Any]:
    """The stored matrix arranged for the page: rows = directions, columns = steps."""
    data = assessment.matrix or {}
    rows = [
        {
            **d,
            "label": direction_label(d["direction"]),
            "cells": [
                {"step": s.code, "name": s.name, **d["cells"].get(s.code, {})}
                for s in CYCLE_STEPS
            ],
        }
        for d in data.get("directions", [])
    ]
    manual = MukoEvidence.objects.filter(territory_id=assessment.territory_id)
    return {
        "assessment": assessment,
        "rows": rows,
        "steps": CYCLE_STEPS,
        "todo": data.get("todo", []),
        "source": data.get("source", {}),
        "manual": list(manual),
        "directions": DIRECTIONS,
    }


def organization_items(scope: Scope, org: Organization) -> QuerySet[RoadmapItem]:
    """Roadmap items the organization answers for, visible in the scope (for its passport)."""
    return (
        RoadmapItem.objects.filter(item_q(scope))
        .filter(school_items_q(org))
        .filter(is_cancelled=False)
        .distinct()
        .order_by("roadmap_id", "position")
    )
