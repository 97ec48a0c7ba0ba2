"""Reminders: e-mail and in-app notices before a deadline and when an item becomes overdue;
the authority's weekly digest; never the same notice twice."""

from __future__ import annotations

from datetime import date

import pytest

from soko.cycle.models import Notification
from soko.cycle.services import notifications_mark_read, remind, report_submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_emails(personas):
    for user, email in ((personas.authority, "uo@example.org"),
                        (personas.user_a, "a@example.org"),
                        (personas.user_b, "b@example.org"),
                        (personas.methodologist, "metod@example.org")):
        user.email = email
        user.save()
    return personas


def keys(user) -> list[str]:
    return sorted(Notification.objects.filter(user=user).values_list("key", flat=True))


def test_deadline_overdue_and_digest_are_sent_once(small_roadmap, with_emails, mailoutbox):
    p = with_emails
    february = small_roadmap.items.get(number="1.3").occurrences.get()
    march = small_roadmap.items.get(number="1.2").occurrences.get()
    # Monday 23 February 2026: February's seminar is due in 5 days (7-day parameter), the
    # methodical service's report in 6 days; the weekly digest goes to the authority
    report = remind(today=date(2026, 2, 23))
    assert keys(p.user_a) == [f"deadline:{february.pk}"]  # school A is named on 1.3
    assert keys(p.user_b) == []
    assert keys(p.methodologist) == [f"deadline:{march.pk}"]
    assert keys(p.authority) == [f"digest:{p.municipality.pk}:2026-W09"]
    assert (report.deadline, report.overdue, report.digests) == (2, 0, 1)
    assert report.emails == 3
    subjects = sorted(m.subject for m in mailoutbox)
    assert subjects == [
        "СОКО: Еженедельная сводка по дорожным картам (Тестовый округ)",
        "СОКО: Срок мероприятия через 5 дн. — 28.02.2026",
        "СОКО: Срок мероприятия через 6 дн. — 01.03.2026",
    ]
    digest = next(m for m in mailoutbox if "сводка" in m.subject)
    assert "Сроки в ближайшие 7 дней: 2." in digest.body and digest.to == ["uo@example.org"]
    # the same day again, and later in the same week: nothing new
    again = remind(today=date(2026, 2, 23))
    later = remind(today=date(2026, 2, 26))
    assert (again.deadline, again.digests, later.deadline, later.digests) == (0, 0, 0, 0)
    assert len(mailoutbox) == 3
    # 2 March: both are overdue — one overdue notice each; school B was never responsible
    overdue = remind(today=date(2026, 3, 2))
    assert overdue.overdue == 2 and overdue.digests == 1
    assert keys(p.user_a) == [f"deadline:{february.pk}", f"overdue:{february.pk}"]
    assert remind(today=date(2026, 3, 3)).overdue == 0
    assert Notification.objects.filter(kind="overdue").count() == 2


def test_a_school_that_reported_is_not_reminded(small_roadmap, with_emails, school_scope):
    quarter = small_roadmap.items.get(number="1.1").occurrences.order_by("due").first()
    assert quarter is not None
    report_submit(occurrence=quarter, scope=school_scope, text="Готово")
    remind(today=date(2026, 3, 28))  # the first quarter is due in 3 days, for every school
    assert Notification.objects.filter(user=with_emails.user_a, kind="deadline").count() == 0
    assert Notification.objects.filter(user=with_emails.user_b, kind="deadline").count() == 1


def test_notices_without_an_address_stay_in_the_app(small_roadmap, personas, mailoutbox):
    report = remind(today=date(2026, 2, 23))
    assert report.emails == 0 and mailoutbox == []
    assert Notification.objects.filter(user=personas.user_a, read_at__isnull=True).count() == 1
    assert notifications_mark_read(user=personas.user_a) == 1
    assert not Notification.objects.filter(user=personas.user_a, read_at__isnull=True).exists()


def test_a_failed_email_is_retried_next_run(small_roadmap, with_emails, mailoutbox, settings):
    settings.EMAIL_BACKEND = "tests.cycle.test_reminders.FailingBackend"
    first = remind(today=date(2026, 2, 23))
    assert first.emails == 0 and first.deadline == 2
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    second = remind(today=date(2026, 2, 23))
    assert second.deadline == 0 and second.emails == 3


class FailingBackend:
    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def send_messages(self, messages: object) -> int:
        raise ConnectionRefusedError("SMTP is down")


def test_the_bell_context_counts_unread_notices(small_roadmap, personas, rf):
    from django.contrib.auth.models import AnonymousUser

    from soko.cycle.context import notices

    remind(today=date(2026, 2, 23))
    request = rf.get("/")
    request.user = personas.user_a
    assert notices(request) == {"cycle_unread": 1}
    request.user = AnonymousUser()
    assert notices(request) == {"cycle_unread": 0}
