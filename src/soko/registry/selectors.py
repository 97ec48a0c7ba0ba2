"""Reads of the registry, always through a :class:`~soko.accounts.scope.Scope`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from soko.accounts.scope import Scope
from soko.registry.models import (
    ClassGroup,
    Organization,
    OrganizationPeriod,
    SocialContext,
    Student,
    Teacher,
    TeachingAssignment,
    Territory,
)


def organization_list(
    scope: Scope,
    *,
    territory: str | None = None,
    kind: str | None = None,
    org_type: str | None = None,
    search: str | None = None,
) -> QuerySet[Organization]:
    """Organizations visible in the scope, filtered; ordered by short name."""
    qs = Organization.objects.filter(scope.org_q()).select_related("territory__parent")
    if territory:
        qs = qs.filter(Q(territory__code=territory) | Q(territory__parent__code=territory))
    if kind:
        qs = qs.filter(kind=kind)
    if org_type:
        qs = qs.filter(org_type=org_type)
    if search:
        qs = qs.filter(
            Q(short_name__icontains=search) | Q(name__icontains=search) | Q(code__iexact=search)
        )
    return qs.order_by("territory__name", "short_name")


def organization_get(scope: Scope, code: str) -> Organization:
    """The organization with this login if the scope may see it; 404 otherwise (no leak)."""
    org = (
        Organization.objects.filter(scope.org_q(), code=code)
        .select_related("territory__parent")
        .prefetch_related("in_depth_subjects")
        .first()
    )
    if org is None:
        raise Http404("Организация не найдена или недоступна.")
    return org


def organization_as_of(org: Organization, day: dt.date) -> OrganizationPeriod | None:
    """The attributes of an organization in force on ``day`` (None before it existed)."""
    return (
        org.periods.filter(valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .select_related("territory")
        .first()
    )


def territory_list(scope: Scope) -> QuerySet[Territory]:
    return Territory.objects.filter(scope.territory_q()).select_related("parent")


def territory_for_scope(scope: Scope) -> Territory | None:
    """The top territory of the scope (its own municipality / region), or the root."""
    qs = territory_list(scope)
    if scope.organization_id is not None:
        org = Organization.objects.filter(pk=scope.organization_id).select_related("territory")
        first = org.first()
        return first.territory if first else None
    ids = set(qs.values_list("id", flat=True))
    tops = [t for t in qs if t.parent_id is None or t.parent_id not in ids]
    return tops[0] if len(tops) == 1 else None


@dataclass(frozen=True)
class RegistrySummary:
    organizations: int
    by_kind: dict[str, int]
    by_type: dict[str, int]
    rural: int
    students: int
    teachers: int
    territories: int


def registry_summary(scope: Scope) -> RegistrySummary:
    """Counts for the dashboard of the scope's territory."""
    orgs = Organization.objects.filter(scope.org_q())
    by_kind = dict(orgs.values_list("kind").annotate(n=Count("id")).order_by())
    by_type = dict(orgs.values_list("org_type").annotate(n=Count("id")).order_by())
    return RegistrySummary(
        organizations=orgs.count(),
        by_kind={str(k): int(v) for k, v in by_kind.items()},
        by_type={str(k): int(v) for k, v in by_type.items()},
        rural=orgs.filter(settlement="rural").count(),
        students=Student.objects.filter(scope.org_q("organization")).count(),
        teachers=Teacher.objects.filter(scope.org_q("organization"), is_active=True).count(),
        territories=territory_list(scope).filter(kind=Territory.Kind.MUNICIPALITY).count(),
    )


def organization_details(org: Organization) -> dict[str, Any]:
    """What the organization page shows besides the attributes."""
    latest_year = (
        ClassGroup.objects.filter(organization=org).order_by("-year").values_list("year", flat=True)
    ).first()
    classes = (
        list(
            ClassGroup.objects.filter(organization=org, year=latest_year)
            .annotate(pupil_count=Count("pupils"))
            .order_by("grade", "label")
        )
        if latest_year
        else []
    )
    return {
        "periods": list(org.periods.select_related("territory").order_by("-valid_from")),
        "social_context": list(SocialContext.objects.filter(organization=org).order_by("-year")),
        "classes_year": latest_year,
        "classes": classes,
        "teachers": Teacher.objects.filter(organization=org, is_active=True).count(),
        "students": Student.objects.filter(organization=org).count(),
    }


@dataclass(frozen=True)
class AuditEntry:
    when: dt.datetime
    who: str
    what: str
    action: str
    changes: list[tuple[str, str, str]]  # (field, before, after)
    reason: str


_ACTIONS = {"+": "создание", "~": "изменение", "-": "удаление"}


def _entries(records: Any, label: str) -> list[AuditEntry]:
    out: list[AuditEntry] = []
    for record in records:
        changes: list[tuple[str, str, str]] = []
        prev = record.prev_record
        if record.history_type == "~" and prev is not None:
            delta = record.diff_against(prev)
            for change in delta.changes:
                field = record.instance._meta.get_field(change.field)
                name = str(getattr(field, "verbose_name", change.field))
                changes.append((name, _fmt(change.old), _fmt(change.new)))
            if not changes:
                continue
        user = record.history_user
        out.append(
            AuditEntry(
                when=record.history_date,
                who=(user.get_full_name() or user.username) if user else "система / загрузка",
                what=f"{label}: {record.instance}",
                action=_ACTIONS.get(record.history_type, record.history_type),
                changes=changes,
                reason=record.history_change_reason or "",
            )
        )
    return out


def _fmt(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


def organization_audit(org: Organization, limit: int = 500) -> list[AuditEntry]:
    """Who changed what and when for one organization and its dependent records, newest first."""
    entries: list[AuditEntry] = []
    entries += _entries(Organization.history.filter(id=org.pk).select_related("history_user"), "ОО")
    entries += _entries(
        OrganizationPeriod.history.filter(organization_id=org.pk).select_related("history_user"),
        "период атрибутов",
    )
    entries += _entries(
        SocialContext.history.filter(organization_id=org.pk).select_related("history_user"),
        "социальный контекст",
    )
    entries += _entries(
        Teacher.history.filter(organization_id=org.pk).select_related("history_user")[:limit],
        "педагог",
    )
    class_ids = list(ClassGroup.objects.filter(organization=org).values_list("id", flat=True))
    entries += _entries(
        ClassGroup.history.filter(organization_id=org.pk).select_related("history_user")[:limit],
        "класс",
    )
    entries += _entries(
        TeachingAssignment.history.filter(class_group_id__in=class_ids).select_related(
            "history_user"
        )[:limit],
        "преподавание",
    )
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries[:limit]


@dataclass(frozen=True)
class PublicTerritoryRow:
    territory: str
    region: str
    schools: int
    preschools: int
    additional: int
    rural_schools: int
    students: int | None  # None when below the minimum group size


def public_summary() -> list[PublicTerritoryRow]:
    """Published aggregates per municipality: no organization-level or pupil-level data.

    Pupil counts of a territory below the minimum group size are suppressed.
    """
    from soko.catalog.selectors import min_group_size

    threshold = min_group_size()
    rows = []
    for territory in Territory.objects.filter(kind=Territory.Kind.MUNICIPALITY).select_related(
        "parent"
    ):
        orgs = Organization.objects.filter(territory=territory, is_active=True)
        students = Student.objects.filter(organization__territory=territory).count()
        rows.append(
            PublicTerritoryRow(
                territory=territory.name,
                region=territory.parent.name if territory.parent else "",
                schools=orgs.filter(kind="school").count(),
                preschools=orgs.filter(kind="preschool").count(),
                additional=orgs.filter(kind="additional").count(),
                rural_schools=orgs.filter(kind="school", settlement="rural").count(),
                students=students if students >= threshold else None,
            )
        )
    return rows
