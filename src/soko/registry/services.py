"""Writes to the registry. Every change goes through here so history is kept the same way."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from soko.catalog.models import Subject
from soko.core.errors import ValidationFailed
from soko.registry.models import (
    Organization,
    OrganizationPeriod,
    SocialContext,
    Territory,
)

PERIOD_FIELDS = (
    "name",
    "short_name",
    "kind",
    "org_type",
    "territory",
    "settlement",
    "head_name",
)


def territory_upsert(
    *, code: str, name: str, kind: str, parent: Territory | None = None
) -> Territory:
    """Create or update a territory by code. Returns it."""
    territory, created = Territory.objects.get_or_create(
        code=code, defaults={"name": name, "kind": kind, "parent": parent}
    )
    if not created and (territory.name, territory.kind, territory.parent_id) != (
        name,
        kind,
        parent.pk if parent else None,
    ):
        territory.name, territory.kind, territory.parent = name, kind, parent
        territory.full_clean()
        territory.save()
    return territory


def _today() -> dt.date:
    return timezone.localdate()


@transaction.atomic
def organization_create(
    *,
    code: str,
    name: str,
    short_name: str,
    territory: Territory,
    kind: str,
    org_type: str,
    settlement: str,
    in_depth_subjects: Iterable[Subject] = (),
    head_name: str = "",
    inn: str = "",
    ogrn: str = "",
    valid_from: dt.date | None = None,
) -> Organization:
    """Create an organization with its first attribute period. Returns it."""
    if Organization.objects.filter(code=code).exists():
        raise ValidationFailed(f"ОО с логином «{code}» уже есть в реестре.")
    subjects = list(in_depth_subjects)
    org = Organization(
        code=code,
        name=name,
        short_name=short_name,
        territory=territory,
        kind=kind,
        org_type=org_type,
        settlement=settlement,
        head_name=head_name,
        inn=inn,
        ogrn=ogrn,
    )
    org.full_clean(exclude=["in_depth_subjects"])
    org.save()
    if subjects:
        org.in_depth_subjects.set(subjects)
    OrganizationPeriod.objects.create(
        organization=org,
        valid_from=valid_from or dt.date(2000, 1, 1),
        name=name,
        short_name=short_name,
        kind=kind,
        org_type=org_type,
        territory=territory,
        settlement=settlement,
        in_depth_subject_codes=sorted(s.code for s in subjects),
        head_name=head_name,
        reason="внесение в реестр",
    )
    return org


@transaction.atomic
def organization_change(
    *,
    organization: Organization,
    effective: dt.date,
    changes: Mapping[str, Any],
    reason: str = "",
) -> OrganizationPeriod:
    """Record a change of attributes taking effect on ``effective`` (e.g. a change of type).

    The period in force on that day is closed the day before and a new one opens; later periods
    are kept. If the change is in force today, the organization's current columns follow it.
    Returns the new period.
    """
    allowed = {*PERIOD_FIELDS, "in_depth_subjects"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed(f"Эти атрибуты не меняются по датам: {', '.join(sorted(unknown))}.")
    periods = list(organization.periods.order_by("valid_from"))
    current = next((p for p in periods if p.covers(effective)), None)
    if current is None:
        raise ValidationFailed(
            f"На {effective:%d.%m.%Y} у ОО «{organization.short_name}» нет действующих сведений."
        )
    subjects: list[Subject] | None = None
    if "in_depth_subjects" in changes:
        subjects = list(changes["in_depth_subjects"])
    values = {f: getattr(current, f) for f in PERIOD_FIELDS}
    values.update({k: v for k, v in changes.items() if k in PERIOD_FIELDS})
    codes = (
        sorted(s.code for s in subjects)
        if subjects is not None
        else list(current.in_depth_subject_codes)
    )
    if current.valid_from == effective:
        for field, value in values.items():
            setattr(current, field, value)
        current.in_depth_subject_codes = codes
        current.reason = reason or current.reason
        current.save()
        new_period = current
    else:
        next_end = current.valid_to
        current.valid_to = effective - dt.timedelta(days=1)
        current.save(update_fields=["valid_to"])
        new_period = OrganizationPeriod.objects.create(
            organization=organization,
            valid_from=effective,
            valid_to=next_end,
            in_depth_subject_codes=codes,
            reason=reason,
            **values,
        )
    if new_period.covers(_today()):
        for field, value in values.items():
            setattr(organization, field, value)
        organization.full_clean(exclude=["in_depth_subjects"])
        organization.save()
        if subjects is not None:
            organization.in_depth_subjects.set(subjects)
    return new_period


def social_context_set(
    *, organization: Organization, year: int, values: Mapping[str, Any], source_note: str = ""
) -> SocialContext:
    """Create or replace the social context of an organization for a year. Returns it."""
    students_total = values.get("students_total")
    if not students_total or int(students_total) <= 0:
        raise ValidationFailed("Численность обучающихся должна быть положительной.")
    for field in SocialContext.SHARE_FIELDS:
        count = values.get(field)
        if count is not None and int(count) > int(students_total):
            label = getattr(SocialContext._meta.get_field(field), "verbose_name", field)
            raise ValidationFailed(
                f"{label}: {count} больше численности обучающихся ({students_total})."
            )
    obj, _ = SocialContext.objects.update_or_create(
        organization=organization,
        year=year,
        defaults={**values, "source_note": source_note},
    )
    return obj
