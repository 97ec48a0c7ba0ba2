"""Reminders: in-app notices and e-mail before deadlines, when an item becomes overdue, and a
weekly digest for the authority.

Sending is idempotent: every notice has a key (``deadline:<occurrence>``,
``overdue:<occurrence>``, ``digest:<territory>:<ISO week>``…) unique per user, so running the
reminder twice — or every hour from cron — never sends the same notice twice. E-mail goes
through Django's mail (``SOKO_EMAIL_URL`` configures SMTP); a notice whose e-mail failed is
retried on the next run.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from soko.accounts.models import Membership, Role
from soko.cycle.models import (
    Actor,
    ItemOccurrence,
    Notification,
    OccurrenceReport,
    Recommendation,
    Roadmap,
    RoadmapItem,
)
from soko.cycle.occurrences import CLOSED, OVERDUE
from soko.cycle.selectors import territory_ancestors, territory_tree
from soko.registry.models import Organization, Territory

log = logging.getLogger(__name__)

EMAIL_RETRY_DAYS = 7


def _param(code: str, default: Any) -> Any:
    from soko.catalog.selectors import ParameterMissing, parameter_value

    try:
        return parameter_value(code)
    except ParameterMissing:
        return default


def notify(
    *, user: Any, kind: str, key: str, title: str, text: str = "", url: str = ""
) -> Notification | None:
    """Create a notice for a user unless one with this key exists; returns it (None if it
    existed). The e-mail is sent by :func:`send_pending_email`."""
    if user is None or not getattr(user, "is_active", True):
        return None
    if Notification.objects.filter(user=user, key=key[:200]).exists():
        return None
    try:
        with transaction.atomic():
            return Notification.objects.create(
                user=user, kind=kind, key=key[:200], title=title[:300], text=text, url=url[:500]
            )
    except IntegrityError:  # a concurrent run created it
        return None


def send_pending_email(now: dt.datetime | None = None) -> int:
    """E-mail every recent notice not e-mailed yet to users who have an address. Returns the
    number sent; failures are logged and retried next time."""
    moment = now or timezone.now()
    pending = Notification.objects.filter(
        emailed_at__isnull=True,
        created_at__gte=moment - dt.timedelta(days=EMAIL_RETRY_DAYS),
    ).exclude(user__email="").select_related("user")
    sent = 0
    for notice in pending:
        body = notice.text
        if notice.url:
            body += f"\n\nОткрыть в СОКО: {notice.url}"
        body += "\n\n— СОКО, система оценки качества образования (письмо отправлено автоматически)"
        try:
            send_mail(f"СОКО: {notice.title}", body, None, [notice.user.email])
        except OSError as exc:
            log.warning("cycle: e-mail to %s failed: %s", notice.user.email, exc)
            continue
        Notification.objects.filter(pk=notice.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent


# ----------------------------------------------------------------------------------------------
# Who is responsible
# ----------------------------------------------------------------------------------------------


def _users(memberships: Any) -> list[Any]:
    user_model = get_user_model()
    ids = list(memberships.values_list("user_id", flat=True))
    return list(user_model.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def authority_users(territory_id: int) -> list[Any]:
    """Users of the authority of the territory (or of a territory above it)."""
    return _users(
        Membership.objects.filter(role=Role.AUTHORITY,
                                  territory_id__in=sorted(territory_ancestors(territory_id)))
    )


def responsible_users(item: RoadmapItem) -> list[tuple[Any, int | None]]:
    """(user, organization id or None) of everyone responsible for an item: school users of the
    organizations named (all schools for «Образовательные организации»), the authority for
    «Орган управления образованием», methodologists for «Методический центр». Actors that are
    not linked to users (other bodies) reach nobody directly; they appear in the digest."""
    territory_id = item.roadmap.territory_id
    org_ids: set[int] = set()
    roles: set[str] = set()
    for responsible in item.responsible.select_related("actor"):
        actor = responsible.actor
        if actor.kind == Actor.Kind.ORGANIZATION and actor.organization_id:
            org_ids.add(actor.organization_id)
        elif actor.kind == Actor.Kind.ALL_SCHOOLS:
            org_ids |= set(
                Organization.objects.filter(
                    territory_id__in=territory_tree(territory_id), is_active=True
                ).values_list("pk", flat=True)
            )
        elif actor.kind == Actor.Kind.AUTHORITY:
            roles.add(Role.AUTHORITY)
        elif actor.kind == Actor.Kind.METHOD_CENTER:
            roles.add(Role.METHODOLOGIST)
    if item.roadmap.organization_id:
        org_ids.add(item.roadmap.organization_id)
    user_model = get_user_model()
    school_members = Membership.objects.filter(role=Role.SCHOOL, organization_id__in=org_ids)
    found: list[tuple[Any, int | None]] = [
        (m.user, m.organization_id)
        for m in school_members.select_related("user")
        if m.user.is_active
    ]
    if roles:
        members = Membership.objects.filter(
            role__in=sorted(roles), territory_id__in=sorted(territory_ancestors(territory_id))
        ).values_list("user_id", flat=True)
        found.extend(
            (user, None) for user in user_model.objects.filter(pk__in=list(members),
                                                               is_active=True)
        )
    return found


def _reported(occurrence: ItemOccurrence) -> set[int | None]:
    """Organizations (None: the territory's own actors) whose report is sent or accepted."""
    return set(
        occurrence.reports.filter(
            state__in=[OccurrenceReport.State.SUBMITTED, OccurrenceReport.State.ACCEPTED]
        ).values_list("organization_id", flat=True)
    )


# ----------------------------------------------------------------------------------------------
# The reminder run
# ----------------------------------------------------------------------------------------------


@dataclass
class RemindReport:
    today: str
    statuses: dict[str, int] = field(default_factory=dict)
    deadline: int = 0
    overdue: int = 0
    digests: int = 0
    emails: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _open_occurrences() -> Any:
    return (
        ItemOccurrence.objects.exclude(status__in=CLOSED)
        .filter(item__is_cancelled=False)
        .exclude(item__roadmap__status__in=[Roadmap.Status.DRAFT, Roadmap.Status.ARCHIVED])
        .select_related("item__roadmap")
    )


def _remind_occurrence(occurrence: ItemOccurrence, kind: str, today: dt.date) -> int:
    item = occurrence.item
    assert occurrence.due is not None
    done = _reported(occurrence)
    count = 0
    if kind == "deadline":
        days = (occurrence.due - today).days
        when = "сегодня" if days == 0 else f"через {days} дн. — {occurrence.due:%d.%m.%Y}"
        title = f"Срок мероприятия {when}"
    else:
        title = f"Срок мероприятия пропущен ({occurrence.due:%d.%m.%Y})"
    text = (
        f"{item}\nДорожная карта: {item.roadmap}\nСрок: {occurrence.label}"
        f" (до {occurrence.due:%d.%m.%Y})\n\nОтчитайтесь о выполнении на странице мероприятия и "
        "приложите подтверждающие документы."
    )
    for user, org_id in responsible_users(item):
        if org_id in done:
            continue
        if notify(user=user, kind=kind, key=f"{kind}:{occurrence.pk}", title=title, text=text,
                  url=f"/cycle/items/{item.pk}/"):
            count += 1
    return count


def _digest_text(territory: Territory, today: dt.date) -> tuple[str, int]:
    ids = sorted(territory_tree(territory.pk))
    base = _open_occurrences().filter(item__roadmap__territory_id__in=ids)
    late = list(base.filter(status=OVERDUE).order_by("due")[:30])
    late_total = base.filter(status=OVERDUE).count()
    soon = list(
        base.filter(due__gte=today, due__lte=today + dt.timedelta(days=7)).order_by("due")[:30]
    )
    waiting = OccurrenceReport.objects.filter(
        state=OccurrenceReport.State.SUBMITTED,
        occurrence__item__roadmap__territory_id__in=ids,
    ).count()
    drafts = Recommendation.objects.filter(
        territory_id__in=ids, status=Recommendation.Status.DRAFT, obsolete=False
    ).count()
    lines = [f"Сводка по дорожным картам: {territory.name}, неделя с {today:%d.%m.%Y}.", ""]
    lines.append(f"Просрочено мероприятий: {late_total}.")
    for o in late:
        assert o.due is not None
        lines.append(f"  — до {o.due:%d.%m.%Y}: {str(o.item)[:150]}")
    if late_total > len(late):
        lines.append(f"  … и ещё {late_total - len(late)}")
    lines.append("")
    lines.append(f"Сроки в ближайшие 7 дней: {len(soon)}.")
    for o in soon:
        assert o.due is not None
        lines.append(f"  — {o.due:%d.%m.%Y}: {str(o.item)[:150]}")
    lines.append("")
    lines.append(f"Отчётов о выполнении ждут проверки: {waiting}.")
    lines.append(f"Проектов адресных рекомендаций ждут утверждения: {drafts}.")
    return "\n".join(lines), late_total + len(soon) + waiting + drafts


def remind(*, today: dt.date | None = None, email: bool = True) -> RemindReport:
    """Send what is due: refresh statuses, notify responsible users N days before a deadline
    (parameter ``cycle.reminders.days_before``) and when an occurrence becomes overdue, send the
    weekly digest to the authority, then e-mail the new notices. Idempotent."""
    from soko.cycle.services.roadmaps import local_today, refresh_statuses

    day = today or local_today()
    report = RemindReport(today=day.isoformat())
    report.statuses = refresh_statuses(day)
    days_before = int(_param("cycle.reminders.days_before", 7))
    soon = _open_occurrences().filter(due__gte=day, due__lte=day + dt.timedelta(days=days_before))
    for occurrence in soon:
        report.deadline += _remind_occurrence(occurrence, "deadline", day)
    for occurrence in _open_occurrences().filter(status=OVERDUE, due__lt=day):
        report.overdue += _remind_occurrence(occurrence, "overdue", day)
    weekday = int(_param("cycle.digest.weekday", 1))
    if day.isoweekday() >= weekday:
        iso = day.isocalendar()
        territory_ids = set(Roadmap.objects.values_list("territory_id", flat=True))
        for territory in Territory.objects.filter(pk__in=territory_ids).order_by("code"):
            text, _ = _digest_text(territory, day)
            for user in authority_users(territory.pk):
                if notify(
                    user=user,
                    kind="digest",
                    key=f"digest:{territory.pk}:{iso.year}-W{iso.week:02d}",
                    title=f"Еженедельная сводка по дорожным картам ({territory.name})",
                    text=text,
                    url="/cycle/",
                ):
                    report.digests += 1
    if email:
        report.emails = send_pending_email()
    return report


def notifications_mark_read(*, user: Any, ids: list[int] | None = None) -> int:
    """Mark the user's notices read (all when ``ids`` is None). Returns how many changed."""
    qs = Notification.objects.filter(user_id=getattr(user, "pk", None) or 0, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


def notify_school_users(
    *, organization_id: int, kind: str, key: str, title: str, text: str, url: str
) -> int:
    """Notify every school user of an organization (e.g. an approved recommendation)."""
    count = 0
    members = Membership.objects.filter(
        Q(role=Role.SCHOOL) & Q(organization_id=organization_id)
    ).select_related("user")
    for membership in members:
        if notify(user=membership.user, kind=kind, key=key, title=title, text=text, url=url):
            count += 1
    return count
