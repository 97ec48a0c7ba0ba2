"""Roadmaps: import from documents, creation and editing; items, their occurrences and
statuses; reports of execution with evidence, acceptance, comments.

Statuses. Every occurrence stores its status. «Просрочено» is set by :func:`refresh_statuses`,
which the daily ``soko roadmap remind`` (cron) and the ``cycle.remind`` job run first; pages do
not wait for it — they show the effective status computed from the due date
(:func:`soko.cycle.occurrences.occurrence_status`), so an item is shown overdue the day after its
deadline even if the daily run has not happened yet. An item's status is derived from its
occurrences whenever one of them changes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from soko.accounts.scope import SYSTEM, Scope
from soko.core.errors import ApplicationError
from soko.cycle.directions import DIRECTION_CODES, SEVERAL, infer_direction
from soko.cycle.models import (
    ActKind,
    Actor,
    Comment,
    Evidence,
    ItemOccurrence,
    ItemResponsible,
    OccurrenceReport,
    Roadmap,
    RoadmapItem,
    RoadmapSection,
    RoadmapTarget,
)
from soko.cycle.occurrences import (
    CANCELLED,
    CLOSED,
    DONE,
    IN_PROGRESS,
    OVERDUE,
    PLANNED,
    item_status,
    occurrence_status,
    plan_occurrences,
    roadmap_window,
)
from soko.cycle.selectors import (
    allows_territory,
    is_authority,
    required_organizations,
    school_items_q,
    territory_tree,
)
from soko.cycle.services import files
from soko.lib.roadmap_tables import (
    ParsedRoadmap,
    RoadmapFormatError,
    normalize_responsible,
    parse_roadmap,
    split_responsible,
)
from soko.lib.schedule import parse_schedule, schedule_to_dict
from soko.registry.models import Organization, Territory


def local_today() -> dt.date:
    return timezone.localdate()


def _require_authority(scope: Scope, territory_id: int) -> None:
    if not is_authority(scope) or not allows_territory(scope, territory_id):
        raise ApplicationError(
            "Изменять дорожные карты может только орган управления образованием своей территории."
        )


# ----------------------------------------------------------------------------------------------
# Actors
# ----------------------------------------------------------------------------------------------

_CANONICAL_KINDS = {
    "Орган управления образованием": Actor.Kind.AUTHORITY,
    "Методический центр": Actor.Kind.METHOD_CENTER,
    "Образовательные организации": Actor.Kind.ALL_SCHOOLS,
}


def _name_key(text: str) -> str:
    text = text.lower().replace("ё", "е")
    text = re.sub(r"[«»\"“”„']", "", text)
    return re.sub(r"\s+", " ", text).strip()


def _match_organization(territory: Territory, name: str) -> Organization | None:
    key = _name_key(name)
    if not key:
        return None
    for org in Organization.objects.filter(territory_id__in=territory_tree(territory.pk)):
        if key in (_name_key(org.short_name), _name_key(org.name), org.code.lower()):
            return org
    return None


def actor_for(territory: Territory, label: str, cache: dict[str, Actor] | None = None) -> Actor:
    """The actor a responsible name means in a territory (created on first use)."""
    canonical = normalize_responsible(label)[:300]
    if cache is not None and canonical in cache:
        return cache[canonical]
    actor = Actor.objects.filter(territory=territory, name=canonical).first()
    if actor is None:
        kind = _CANONICAL_KINDS.get(canonical)
        org = None
        if kind is None:
            org = _match_organization(territory, canonical)
            kind = Actor.Kind.ORGANIZATION if org is not None else Actor.Kind.OTHER
        actor = Actor.objects.create(territory=territory, name=canonical, kind=kind,
                                     organization=org)
    if cache is not None:
        cache[canonical] = actor
    return actor


def actor_update(
    *, actor: Actor, scope: Scope, kind: str, organization: Organization | None
) -> Actor:
    """Say what an actor is: a school (linked), every school, the authority, the methodical
    service or another body. Its items follow immediately."""
    _require_authority(scope, actor.territory_id)
    if kind not in Actor.Kind.values:
        raise ApplicationError("Неизвестный вид исполнителя.")
    if kind == Actor.Kind.ORGANIZATION:
        if organization is None:
            raise ApplicationError("Укажите организацию, которой соответствует исполнитель.")
        if organization.territory_id not in territory_tree(actor.territory_id):
            raise ApplicationError("Организация не относится к территории исполнителя.")
    actor.kind = kind
    actor.organization = organization if kind == Actor.Kind.ORGANIZATION else None
    actor.save()
    return actor


def _set_responsible(item: RoadmapItem, text: str, cache: dict[str, Actor]) -> None:
    territory = item.roadmap.territory
    ItemResponsible.objects.filter(item=item).delete()
    seen: set[int] = set()
    rows = []
    for position, label in enumerate(split_responsible(text)):
        actor = actor_for(territory, label, cache)
        if actor.pk in seen:
            continue
        seen.add(actor.pk)
        rows.append(ItemResponsible(item=item, actor=actor, label=label[:300],
                                    position=position))
    ItemResponsible.objects.bulk_create(rows)


# ----------------------------------------------------------------------------------------------
# Occurrences and statuses
# ----------------------------------------------------------------------------------------------


def _window(roadmap: Roadmap) -> tuple[dt.date, dt.date]:
    created = roadmap.created_at.date() if roadmap.created_at else local_today()
    return roadmap_window(roadmap.period, roadmap.doc_date, created.year)


def _reparse(item: RoadmapItem) -> None:
    schedule = parse_schedule(item.deadline_text, context_year=item.roadmap.period_start)
    item.schedule = schedule_to_dict(schedule)
    item.schedule_kind = schedule.kind
    item.schedule_parsed = schedule.parsed


def sync_occurrences(item: RoadmapItem, today: dt.date | None = None) -> None:
    """Make the item's occurrences match its schedule inside the roadmap's window.

    Occurrences that keep their due date are kept (with their reports); new ones are added;
    ones that no longer fit are removed unless something was reported on them.
    """
    from soko.lib.schedule import schedule_from_dict

    day = today or local_today()
    roadmap = item.roadmap
    planned = plan_occurrences(schedule_from_dict(item.schedule), _window(roadmap),
                               roadmap.doc_date)
    existing = {o.due: o for o in item.occurrences.all()}
    wanted = {p.due: p for p in planned}
    for due, occurrence in existing.items():
        if due in wanted:
            continue
        has_work = (
            occurrence.reports.exists()
            or occurrence.evidence.exists()
            or occurrence.comments.exists()
            or occurrence.status == DONE
        )
        if has_work:
            if not occurrence.label.endswith("(срок изменён)"):
                occurrence.label = f"{occurrence.label} (срок изменён)"[:120]
                occurrence.save(update_fields=["label"])
        else:
            occurrence.delete()
    for due, plan in wanted.items():
        kept = existing.get(due)
        if kept is None:
            status = CANCELLED if item.is_cancelled else occurrence_status(PLANNED, due, day)
            ItemOccurrence.objects.create(
                item=item, start=plan.start, due=due, label=plan.label[:120], status=status
            )
        elif (kept.start, kept.label) != (plan.start, plan.label[:120]):
            kept.start = plan.start
            kept.label = plan.label[:120]
            kept.save(update_fields=["start", "label"])
    refresh_item(item, day)


def _create_items(items: list[RoadmapItem], cache: dict[str, Actor], day: dt.date) -> None:
    """Insert new items with their responsible actors and occurrences in a few statements."""
    from simple_history.utils import bulk_create_with_history

    from soko.lib.schedule import schedule_from_dict

    if not items:
        return
    bulk_create_with_history(items, RoadmapItem, batch_size=500)
    if any(i.pk is None for i in items):  # a backend that does not return ids
        saved = {i.position: i for i in RoadmapItem.objects.filter(roadmap=items[0].roadmap)}
        for item in items:
            item.pk = saved[item.position].pk
    responsible: list[ItemResponsible] = []
    occurrences: list[ItemOccurrence] = []
    statuses: dict[str, list[int]] = {}
    for item in items:
        roadmap = item.roadmap
        seen: set[int] = set()
        for position, label in enumerate(split_responsible(item.responsible_text)):
            actor = actor_for(roadmap.territory, label, cache)
            if actor.pk not in seen:
                seen.add(actor.pk)
                responsible.append(ItemResponsible(item=item, actor=actor, label=label[:300],
                                                   position=position))
        planned = plan_occurrences(schedule_from_dict(item.schedule), _window(roadmap),
                                   roadmap.doc_date)
        own = [
            ItemOccurrence(item=item, start=p.start, due=p.due, label=p.label[:120],
                           status=occurrence_status(PLANNED, p.due, day))
            for p in planned
        ]
        occurrences += own
        statuses.setdefault(item_status([o.status for o in own]), []).append(item.pk)
    ItemResponsible.objects.bulk_create(responsible, batch_size=500)
    bulk_create_with_history(occurrences, ItemOccurrence, batch_size=500)
    for status, ids in statuses.items():
        if status != PLANNED:
            RoadmapItem.objects.filter(pk__in=ids).update(status=status)


def create_occurrences(item: RoadmapItem, today: dt.date | None = None) -> None:
    """Plan the occurrences of a new item (no occurrences yet) in one insert and set the item's
    status."""
    from simple_history.utils import bulk_create_with_history

    from soko.lib.schedule import schedule_from_dict

    day = today or local_today()
    roadmap = item.roadmap
    planned = plan_occurrences(schedule_from_dict(item.schedule), _window(roadmap),
                               roadmap.doc_date)
    objects = [
        ItemOccurrence(
            item=item, start=p.start, due=p.due, label=p.label[:120],
            status=CANCELLED if item.is_cancelled else occurrence_status(PLANNED, p.due, day),
        )
        for p in planned
    ]
    bulk_create_with_history(objects, ItemOccurrence)
    status = item_status([o.status for o in objects], cancelled=item.is_cancelled)
    if status != item.status:
        RoadmapItem.objects.filter(pk=item.pk).update(status=status)
        item.status = status


def refresh_item(item: RoadmapItem, today: dt.date | None = None) -> str:
    """Bring the statuses of the item's occurrences up to date and derive the item's status."""
    day = today or local_today()
    statuses = []
    for occurrence in item.occurrences.all():
        status = occurrence_status(occurrence.status, occurrence.due, day)
        if item.is_cancelled and status not in CLOSED:
            status = CANCELLED
        if status != occurrence.status:
            occurrence.status = status
            occurrence.save(update_fields=["status"])
        statuses.append(status)
    new = item_status(statuses, cancelled=item.is_cancelled)
    if new != item.status:
        RoadmapItem.objects.filter(pk=item.pk).update(status=new)
        item.status = new
    return new


def refresh_statuses(today: dt.date | None = None) -> dict[str, int]:
    """The daily pass: open occurrences past their due date become overdue (and overdue ones
    whose due date moved forward become planned again); item statuses follow. Returns counts."""
    day = today or local_today()
    became_overdue = list(
        ItemOccurrence.objects.filter(due__lt=day)
        .exclude(status__in=[*CLOSED, OVERDUE])
        .values_list("item_id", flat=True)
    )
    ItemOccurrence.objects.filter(due__lt=day).exclude(status__in=[*CLOSED, OVERDUE]).update(
        status=OVERDUE
    )
    reopened = list(
        ItemOccurrence.objects.filter(status=OVERDUE)
        .filter(Q(due__gte=day) | Q(due__isnull=True))
        .values_list("item_id", flat=True)
    )
    ItemOccurrence.objects.filter(status=OVERDUE).filter(
        Q(due__gte=day) | Q(due__isnull=True)
    ).update(status=PLANNED)
    changed = 0
    for item in RoadmapItem.objects.filter(pk__in=set(became_overdue) | set(reopened)):
        before = item.status
        if refresh_item(item, day) != before:
            changed += 1
    return {"overdue": len(set(became_overdue)), "reopened": len(set(reopened)),
            "items_changed": changed}


# ----------------------------------------------------------------------------------------------
# Import
# ----------------------------------------------------------------------------------------------


@dataclass
class PreviewItem:
    number: str
    title: str
    deadline: str
    kind: str
    description: str
    parsed: bool
    responsible: list[str]
    responsible_canonical: list[str]
    indicator: str


@dataclass
class PreviewSection:
    title: str
    level: int
    direction: str
    items: list[PreviewItem] = field(default_factory=list)


@dataclass
class RoadmapPreview:
    """What a roadmap file contains, shown before it is saved."""

    file_name: str
    sha256: str
    title: str
    direction: str
    period: tuple[int, int] | None
    doc_kind: str
    doc_number: str
    doc_date: dt.date | None
    doc_text: str
    sections: list[PreviewSection]
    targets: list[dict[str, Any]]
    warnings: list[str]

    @property
    def items_total(self) -> int:
        return sum(len(s.items) for s in self.sections)

    @property
    def unparsed(self) -> list[PreviewItem]:
        return [i for s in self.sections for i in s.items if not i.parsed]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["doc_date"] = self.doc_date.isoformat() if self.doc_date else None
        data["items_total"] = self.items_total
        data["unparsed"] = len(self.unparsed)
        return data


def roadmap_parse(path: Path) -> ParsedRoadmap:
    """Read a roadmap file (.docx, .xlsx, .txt); Russian :class:`ApplicationError` when it
    cannot be read or holds no roadmap table."""
    try:
        parsed = parse_roadmap(path)
    except RoadmapFormatError as exc:
        raise ApplicationError(str(exc)) from exc
    if not parsed.sections:
        reasons = " ".join(parsed.warnings)
        raise ApplicationError(
            f"Файл «{path.name}»: дорожная карта не найдена. {reasons} Проверьте, что в документе "
            "есть таблица с графами «Мероприятие», «Сроки», «Ответственный»."
        )
    return parsed


def _section_directions(parsed: ParsedRoadmap, roadmap_direction: str) -> list[str]:
    """The effective direction of every parsed section: its own heading's, else its parent's,
    else the roadmap's."""
    out: list[str] = []
    for section in parsed.sections:
        own = infer_direction(section.title)
        if own is None:
            own = out[section.parent] if section.parent is not None else roadmap_direction
        out.append(own)
    return out


def _roadmap_direction(parsed: ParsedRoadmap) -> str:
    found = infer_direction(parsed.title)
    if found is not None:
        return found
    own = {d for s in parsed.sections if (d := infer_direction(s.title)) is not None}
    return own.pop() if len(own) == 1 else SEVERAL


def roadmap_preview(path: Path, *, name: str | None = None) -> RoadmapPreview:
    """Parse a file and describe what would be imported (nothing is written)."""
    return _preview(roadmap_parse(path), path, name)


def _preview(parsed: ParsedRoadmap, path: Path, name: str | None) -> RoadmapPreview:
    direction = _roadmap_direction(parsed)
    directions = _section_directions(parsed, direction)
    doc = parsed.approving_document
    sections = [
        PreviewSection(
            title=s.title,
            level=s.level,
            direction=directions[k],
            items=[
                PreviewItem(
                    number=i.number,
                    title=i.title,
                    deadline=i.deadline_text,
                    kind=i.schedule.kind,
                    description=i.schedule.description,
                    parsed=i.schedule.parsed,
                    responsible=list(i.responsible),
                    responsible_canonical=i.responsible_canonical,
                    indicator=i.indicator_text,
                )
                for i in s.items
            ],
        )
        for k, s in enumerate(parsed.sections)
    ]
    return RoadmapPreview(
        file_name=name or path.name,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        title=parsed.title or Path(name or path.name).stem,
        direction=direction,
        period=parsed.period,
        doc_kind=doc.kind if doc else "",
        doc_number=doc.number if doc else "",
        doc_date=doc.date if doc else None,
        doc_text=doc.text if doc else "",
        sections=sections,
        targets=[
            {"name": t.name, "unit": t.unit,
             "values": [{"period": v.period, "text": v.text, "value": v.value} for v in t.values]}
            for t in parsed.targets
        ],
        warnings=list(parsed.warnings),
    )


@dataclass(frozen=True)
class ImportResult:
    roadmap: Roadmap
    created: bool
    preview: RoadmapPreview


def roadmap_import(
    *,
    path: Path,
    territory: Territory,
    scope: Scope = SYSTEM,
    user: Any = None,
    name: str | None = None,
    title: str | None = None,
    direction: str | None = None,
    period: tuple[int, int] | None = None,
    doc_kind: str | None = None,
    doc_number: str | None = None,
    doc_date: dt.date | None = None,
    owner: str = "",
    organization: Organization | None = None,
    status: str = Roadmap.Status.ACTIVE,
    today: dt.date | None = None,
) -> ImportResult:
    """Import a roadmap file into a territory, all or nothing.

    The file is parsed (:func:`soko.lib.roadmap_tables.parse_roadmap`), archived verbatim, and
    its sections, items, responsible actors (normalised), target table and occurrences are
    created in one transaction. Values given as arguments override what was read from the
    document. The same file imported twice into the same territory returns the first roadmap
    (``created=False``). Deadlines the parser did not understand are kept as written and marked.
    """
    _require_authority(scope, territory.pk)
    parsed = roadmap_parse(path)
    preview = _preview(parsed, path, name)
    existing = Roadmap.objects.filter(territory=territory, source_sha256=preview.sha256).first()
    if existing is not None:
        return ImportResult(existing, False, preview)
    if direction is not None and direction not in (*DIRECTION_CODES, SEVERAL):
        raise ApplicationError(f"Неизвестное направление «{direction}».")
    if period is not None and period[0] > period[1]:
        raise ApplicationError("Начало периода дорожной карты позже его окончания.")
    stored = files.store_path(path, kind="roadmaps", name=name or path.name)
    kind = doc_kind if doc_kind is not None else preview.doc_kind
    if kind and kind not in ActKind.values:
        kind = ActKind.ORDER
    chosen_direction = direction or preview.direction
    chosen_period = period if period is not None else preview.period
    day = today or local_today()
    with transaction.atomic():
        roadmap = Roadmap.objects.create(
            title=(title or preview.title)[:5000],
            direction=chosen_direction,
            territory=territory,
            organization=organization,
            owner=owner[:300],
            period_start=chosen_period[0] if chosen_period else None,
            period_end=chosen_period[1] if chosen_period else None,
            doc_kind=kind,
            doc_number=(doc_number if doc_number is not None else preview.doc_number)[:60],
            doc_date=doc_date if doc_date is not None else preview.doc_date,
            doc_text=preview.doc_text[:500],
            status=status,
            source_name=stored.name,
            source_sha256=preview.sha256,
            source_path=stored.path,
            import_warnings=preview.warnings,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        directions = _section_directions(parsed, chosen_direction)
        cache: dict[str, Actor] = {}
        created: list[RoadmapSection] = []
        pending: list[RoadmapItem] = []
        position = 0
        for k, section in enumerate(parsed.sections):
            own = infer_direction(section.title)
            obj = RoadmapSection.objects.create(
                roadmap=roadmap,
                parent=created[section.parent] if section.parent is not None else None,
                position=k,
                number=section.number or "",
                name=section.name,
                level=section.level,
                direction=own or "",
                deadline_text=section.deadline_text[:300],
            )
            created.append(obj)
            for parsed_item in section.items:
                item = RoadmapItem(
                    roadmap=roadmap,
                    section=obj,
                    position=position,
                    number=parsed_item.number[:30],
                    title=parsed_item.title,
                    direction=directions[k],
                    deadline_text=parsed_item.deadline_text,
                    responsible_text=parsed_item.responsible_text,
                    indicator_text=parsed_item.indicator_text,
                    extra=dict(parsed_item.extra),
                )
                _reparse(item)
                pending.append(item)
                position += 1
        _create_items(pending, cache, day)
        for k, target in enumerate(parsed.targets):
            RoadmapTarget.objects.create(
                roadmap=roadmap,
                position=k,
                name=target.name,
                unit=target.unit[:60],
                values=[{"period": v.period, "text": v.text, "value": v.value}
                        for v in target.values],
            )
    return ImportResult(roadmap, True, preview)


# ----------------------------------------------------------------------------------------------
# Create and edit
# ----------------------------------------------------------------------------------------------


def _check_fields(direction: str, period: tuple[int | None, int | None]) -> None:
    if direction not in (*DIRECTION_CODES, SEVERAL):
        raise ApplicationError(f"Неизвестное направление «{direction}».")
    start, end = period
    if (start is None) != (end is None):
        raise ApplicationError("Укажите период дорожной карты полностью: с какого и по какой год.")
    if start is not None and end is not None and start > end:
        raise ApplicationError("Начало периода дорожной карты позже его окончания.")


def roadmap_create(
    *,
    scope: Scope,
    user: Any = None,
    territory: Territory,
    title: str,
    direction: str,
    period_start: int | None,
    period_end: int | None,
    doc_kind: str = "",
    doc_number: str = "",
    doc_date: dt.date | None = None,
    owner: str = "",
    status: str = Roadmap.Status.DRAFT,
    organization: Organization | None = None,
) -> Roadmap:
    """Create an empty roadmap (items are added on its page)."""
    _require_authority(scope, territory.pk)
    _check_fields(direction, (period_start, period_end))
    if not title.strip():
        raise ApplicationError("Укажите название дорожной карты.")
    return Roadmap.objects.create(
        title=title.strip(),
        direction=direction,
        territory=territory,
        organization=organization,
        owner=owner,
        period_start=period_start,
        period_end=period_end,
        doc_kind=doc_kind,
        doc_number=doc_number,
        doc_date=doc_date,
        status=status,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )


_ROADMAP_FIELDS = ("title", "direction", "period_start", "period_end", "doc_kind", "doc_number",
                   "doc_date", "owner", "status")


def roadmap_update(
    *, roadmap: Roadmap, scope: Scope, today: dt.date | None = None, **changes: Any
) -> Roadmap:
    """Change a roadmap's attributes; a new period or approval date re-plans every item."""
    _require_authority(scope, roadmap.territory_id)
    unknown = set(changes) - set(_ROADMAP_FIELDS)
    if unknown:
        raise ApplicationError(f"Неизвестные поля: {', '.join(sorted(unknown))}.")
    replan = any(
        k in changes and changes[k] != getattr(roadmap, k)
        for k in ("period_start", "period_end", "doc_date")
    )
    for key, value in changes.items():
        setattr(roadmap, key, value)
    _check_fields(roadmap.direction, (roadmap.period_start, roadmap.period_end))
    with transaction.atomic():
        roadmap.save()
        if replan:
            for item in roadmap.items.all():
                _reparse(item)
                item.save(update_fields=["schedule", "schedule_kind", "schedule_parsed"])
                sync_occurrences(item, today)
    return roadmap


def section_add(
    *,
    roadmap: Roadmap,
    scope: Scope,
    name: str,
    number: str = "",
    parent: RoadmapSection | None = None,
    direction: str = "",
) -> RoadmapSection:
    _require_authority(scope, roadmap.territory_id)
    if not name.strip():
        raise ApplicationError("Укажите название раздела.")
    if parent is not None and parent.roadmap_id != roadmap.pk:
        raise ApplicationError("Родительский раздел относится к другой дорожной карте.")
    last = roadmap.sections.order_by("-position").values_list("position", flat=True).first()
    return RoadmapSection.objects.create(
        roadmap=roadmap,
        parent=parent,
        position=(last or 0) + 1,
        number=number.strip(),
        name=name.strip(),
        level=(parent.level + 1) if parent is not None else 0,
        direction=direction if direction in DIRECTION_CODES else "",
    )


_ITEM_FIELDS = ("number", "title", "direction", "deadline_text", "responsible_text",
                "indicator_text", "indicator_code", "baseline", "baseline_year", "target",
                "target_year", "section", "is_cancelled")


def item_add(
    *,
    roadmap: Roadmap,
    scope: Scope,
    title: str,
    deadline_text: str,
    responsible_text: str = "",
    section: RoadmapSection | None = None,
    number: str = "",
    direction: str = "",
    indicator_text: str = "",
    today: dt.date | None = None,
) -> RoadmapItem:
    """Add an item; its deadline is parsed and its occurrences planned."""
    _require_authority(scope, roadmap.territory_id)
    if not title.strip():
        raise ApplicationError("Укажите содержание мероприятия.")
    if section is not None and section.roadmap_id != roadmap.pk:
        raise ApplicationError("Раздел относится к другой дорожной карте.")
    last = roadmap.items.order_by("-position").values_list("position", flat=True).first()
    position = (last + 1) if last is not None else 0
    if section is not None:
        section_last = (
            roadmap.items.filter(section=section).order_by("-position")
            .values_list("position", flat=True).first()
        )
        if section_last is not None:
            position = section_last + 1
    effective = direction or (section.direction if section is not None else "") or roadmap.direction
    with transaction.atomic():
        roadmap.items.filter(position__gte=position).update(position=F("position") + 1)
        item = RoadmapItem(
            roadmap=roadmap,
            section=section,
            position=position,
            number=number.strip(),
            title=title.strip(),
            direction=effective,
            deadline_text=deadline_text.strip(),
            responsible_text=responsible_text.strip(),
            indicator_text=indicator_text.strip(),
        )
        _reparse(item)
        item.save()
        _set_responsible(item, item.responsible_text, {})
        create_occurrences(item, today)
    return item


def item_update(
    *, item: RoadmapItem, scope: Scope, today: dt.date | None = None, **changes: Any
) -> RoadmapItem:
    """Edit an item. A new deadline is re-parsed and re-planned; new responsible text is split
    and normalised again; cancelling closes its open occurrences."""
    _require_authority(scope, item.roadmap.territory_id)
    unknown = set(changes) - set(_ITEM_FIELDS)
    if unknown:
        raise ApplicationError(f"Неизвестные поля: {', '.join(sorted(unknown))}.")
    if "title" in changes and not str(changes["title"]).strip():
        raise ApplicationError("Содержание мероприятия не может быть пустым.")
    if changes.get("direction") and changes["direction"] not in (*DIRECTION_CODES, SEVERAL):
        raise ApplicationError("Неизвестное направление.")
    section = changes.get("section")
    if section is not None and section.roadmap_id != item.roadmap_id:
        raise ApplicationError("Раздел относится к другой дорожной карте.")
    deadline_changed = (
        "deadline_text" in changes and changes["deadline_text"].strip() != item.deadline_text
    )
    responsible_changed = (
        "responsible_text" in changes
        and changes["responsible_text"].strip() != item.responsible_text
    )
    cancel_changed = "is_cancelled" in changes and changes["is_cancelled"] != item.is_cancelled
    for key, value in changes.items():
        setattr(item, key, value.strip() if isinstance(value, str) else value)
    with transaction.atomic():
        if deadline_changed:
            _reparse(item)
        item.save()
        if responsible_changed:
            _set_responsible(item, item.responsible_text, {})
        if deadline_changed:
            sync_occurrences(item, today)
        elif cancel_changed:
            if not item.is_cancelled:
                item.occurrences.filter(status=CANCELLED).update(status=PLANNED)
            refresh_item(item, today)
    return item


# ----------------------------------------------------------------------------------------------
# Execution: status, reports, evidence, comments
# ----------------------------------------------------------------------------------------------


def school_is_responsible(item: RoadmapItem, organization: Organization) -> bool:
    return RoadmapItem.objects.filter(school_items_q(organization), pk=item.pk).exists()


def occurrence_set_status(
    *,
    occurrence: ItemOccurrence,
    scope: Scope,
    status: str,
    note: str = "",
    today: dt.date | None = None,
) -> ItemOccurrence:
    """The authority sets an occurrence's status (done, in progress, cancelled, planned)."""
    item = occurrence.item
    _require_authority(scope, item.roadmap.territory_id)
    if status not in (PLANNED, IN_PROGRESS, DONE, CANCELLED):
        raise ApplicationError("Недопустимый статус: «просрочено» устанавливается по сроку.")
    day = today or local_today()
    occurrence.status = occurrence_status(status, occurrence.due, day)
    occurrence.completed_on = day if status == DONE else None
    if note.strip():
        occurrence.note = note.strip()
    occurrence.save()
    refresh_item(item, day)
    return occurrence


def _reporting_org(scope: Scope, item: RoadmapItem) -> Organization | None:
    """The organization a report is made for; None when the authority or the methodical service
    reports. Raises when the caller may not report on this item."""
    if scope.is_public:
        raise ApplicationError("Войдите в систему, чтобы отчитаться о выполнении.")
    if scope.is_school:
        org = Organization.objects.filter(pk=scope.organization_id or 0).first()
        if org is None or not school_is_responsible(item, org):
            raise ApplicationError("Ваша организация не указана ответственной за это мероприятие.")
        return org
    if not allows_territory(scope, item.roadmap.territory_id):
        raise ApplicationError("Мероприятие относится к другой территории.")
    return None


def evidence_add(
    *,
    item: RoadmapItem,
    scope: Scope,
    user: Any = None,
    title: str = "",
    url: str = "",
    upload: Any = None,
    occurrence: ItemOccurrence | None = None,
    report: OccurrenceReport | None = None,
) -> Evidence:
    """Attach a document (stored safely under the data directory) or a link to an item."""
    org = _reporting_org(scope, item)
    if occurrence is not None and occurrence.item_id != item.pk:
        raise ApplicationError("Срок относится к другому мероприятию.")
    if upload is None and not url.strip():
        raise ApplicationError("Приложите файл или укажите ссылку.")
    if url and not re.match(r"^https?://", url.strip()):
        raise ApplicationError("Ссылка должна начинаться с http:// или https://.")
    common: dict[str, Any] = {
        "item": item,
        "occurrence": occurrence,
        "report": report,
        "organization": org,
        "uploaded_by": user if getattr(user, "is_authenticated", False) else None,
    }
    if upload is not None:
        stored = files.store_upload(upload, kind="evidence")
        return Evidence.objects.create(
            kind=Evidence.Kind.FILE,
            title=(title.strip() or stored.name)[:300],
            file_path=stored.path,
            file_name=stored.name,
            sha256=stored.sha256,
            size=stored.size,
            **common,
        )
    return Evidence.objects.create(
        kind=Evidence.Kind.LINK, title=(title.strip() or url.strip())[:300], url=url.strip(),
        **common,
    )


def report_submit(
    *,
    occurrence: ItemOccurrence,
    scope: Scope,
    user: Any = None,
    text: str,
    links: Sequence[tuple[str, str]] = (),
    uploads: Iterable[Any] = (),
    today: dt.date | None = None,
) -> OccurrenceReport:
    """A responsible party reports an occurrence done, with evidence; the authority is notified.

    A school reports for itself (once per occurrence; a returned report is sent again); the
    authority and the methodical service report for the territory's own actors.
    """
    from soko.cycle.services.reminders import authority_users, notify

    item = occurrence.item
    org = _reporting_org(scope, item)
    if not text.strip():
        raise ApplicationError("Опишите, что сделано.")
    if occurrence.status in CLOSED:
        raise ApplicationError("Этот срок уже закрыт: мероприятие выполнено или отменено.")
    now = timezone.now()
    with transaction.atomic():
        report = None
        if org is not None:
            report = OccurrenceReport.objects.filter(occurrence=occurrence,
                                                     organization=org).first()
            if report is not None and report.state == OccurrenceReport.State.ACCEPTED:
                raise ApplicationError("Отчёт вашей организации по этому сроку уже принят.")
        if report is None:
            report = OccurrenceReport(occurrence=occurrence, organization=org)
        report.text = text.strip()
        report.state = OccurrenceReport.State.SUBMITTED
        report.submitted_by = user if getattr(user, "is_authenticated", False) else None
        report.submitted_at = now
        report.review_comment = ""
        report.save()
        for title, url in links:
            if url.strip():
                evidence_add(item=item, scope=scope, user=user, title=title, url=url,
                             occurrence=occurrence, report=report)
        for upload in uploads:
            evidence_add(item=item, scope=scope, user=user, upload=upload,
                         occurrence=occurrence, report=report)
        if occurrence.status == PLANNED:
            occurrence.status = IN_PROGRESS
            occurrence.save(update_fields=["status"])
        refresh_item(item, today)
    who = org.short_name if org is not None else "орган управления / методическая служба"
    for recipient in authority_users(item.roadmap.territory_id):
        if recipient.pk == getattr(user, "pk", None):
            continue
        notify(
            user=recipient,
            kind="report",
            key=f"report:{report.pk}:{now.isoformat()}",
            title=f"Отчёт о выполнении: {who}",
            text=f"{item}\nСрок: {occurrence.label}\n\n{report.text}",
            url=f"/cycle/items/{item.pk}/",
        )
    return report


def report_review(
    *,
    report: OccurrenceReport,
    scope: Scope,
    user: Any = None,
    accept: bool,
    comment: str = "",
    today: dt.date | None = None,
) -> OccurrenceReport:
    """The authority accepts a report or returns it with remarks.

    The occurrence becomes done when every organization that must report has an accepted report
    (or, for items of the authority and the methodical service, on the first accepted report).
    """
    from soko.cycle.services.reminders import notify

    occurrence = report.occurrence
    item = occurrence.item
    _require_authority(scope, item.roadmap.territory_id)
    if report.state != OccurrenceReport.State.SUBMITTED:
        raise ApplicationError("Отчёт уже рассмотрен.")
    if not accept and not comment.strip():
        raise ApplicationError("Укажите, что нужно доработать.")
    day = today or local_today()
    with transaction.atomic():
        report.state = (
            OccurrenceReport.State.ACCEPTED if accept else OccurrenceReport.State.RETURNED
        )
        report.reviewed_by = user if getattr(user, "is_authenticated", False) else None
        report.reviewed_at = timezone.now()
        report.review_comment = comment.strip()
        report.save()
        if accept:
            required = required_organizations(item)
            accepted = set(
                occurrence.reports.filter(state=OccurrenceReport.State.ACCEPTED)
                .exclude(organization__isnull=True)
                .values_list("organization_id", flat=True)
            )
            if not required or report.organization_id is None or required <= accepted:
                occurrence.status = DONE
                occurrence.completed_on = day
                occurrence.save(update_fields=["status", "completed_on"])
        refresh_item(item, day)
    if report.submitted_by_id is not None:
        verdict = "принят" if accept else "возвращён на доработку"
        notify(
            user=report.submitted_by,
            kind="review",
            key=f"review:{report.pk}:{report.reviewed_at.isoformat()}",
            title=f"Отчёт {verdict}: {str(item)[:120]}",
            text=f"Срок: {occurrence.label}\n{comment.strip()}".strip(),
            url=f"/cycle/items/{item.pk}/",
        )
    return report


def comment_add(
    *,
    item: RoadmapItem,
    scope: Scope,
    user: Any = None,
    text: str,
    occurrence: ItemOccurrence | None = None,
) -> Comment:
    org = _reporting_org(scope, item)
    if not text.strip():
        raise ApplicationError("Комментарий пуст.")
    return Comment.objects.create(
        item=item,
        occurrence=occurrence,
        author=user if getattr(user, "is_authenticated", False) else None,
        organization=org,
        text=text.strip(),
    )


def territory_of_scope(scope: Scope) -> Territory | None:
    """The municipality the scope works in (the one it sees when unambiguous)."""
    if scope.territory_ids is None:
        qs = Territory.objects.filter(kind=Territory.Kind.MUNICIPALITY).order_by("code")
        return qs.first() if qs.count() == 1 else None
    municipalities = Territory.objects.filter(
        pk__in=sorted(scope.territory_ids), kind=Territory.Kind.MUNICIPALITY
    ).order_by("code")
    if municipalities.count() == 1:
        return municipalities.first()
    regions = Territory.objects.filter(pk__in=sorted(scope.territory_ids),
                                       kind=Territory.Kind.REGION)
    if regions.count() == 1 and not municipalities.exists():
        return regions.first()
    return None


__all__ = [
    "ImportResult",
    "RoadmapPreview",
    "actor_for",
    "actor_update",
    "comment_add",
    "evidence_add",
    "item_add",
    "item_update",
    "occurrence_set_status",
    "refresh_item",
    "refresh_statuses",
    "report_review",
    "report_submit",
    "required_organizations",
    "roadmap_create",
    "roadmap_import",
    "roadmap_parse",
    "roadmap_preview",
    "roadmap_update",
    "section_add",
    "sync_occurrences",
    "territory_of_scope",
]
