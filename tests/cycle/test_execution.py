"""Occurrences, overdue statuses with a frozen date, reports of execution with evidence,
acceptance by the authority, comments and history."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from soko.core.errors import ApplicationError
from soko.cycle import selectors
from soko.cycle.models import Evidence, ItemOccurrence, OccurrenceReport, RoadmapItem
from soko.cycle.services import (
    comment_add,
    evidence_add,
    item_update,
    occurrence_set_status,
    refresh_statuses,
    report_review,
    report_submit,
    roadmap_update,
)

pytestmark = pytest.mark.django_db


def item(roadmap: Any, number: str) -> RoadmapItem:
    found: RoadmapItem = roadmap.items.get(number=number)
    return found


def test_recurring_items_get_one_occurrence_per_period(small_roadmap):
    quarterly = item(small_roadmap, "1.1")
    assert [(o.label, o.due) for o in quarterly.occurrences.order_by("due")] == [
        ("I квартал 2026", date(2026, 3, 31)), ("II квартал 2026", date(2026, 6, 30)),
        ("III квартал 2026", date(2026, 9, 30)), ("IV квартал 2026", date(2026, 12, 31)),
    ]
    assert [o.due for o in item(small_roadmap, "1.3").occurrences.all()] == [date(2026, 2, 28)]
    assert [o.due for o in item(small_roadmap, "1.4").occurrences.all()] == [None]
    school = item(small_roadmap, "1.3").responsible.get()
    assert (school.label, school.actor.kind) == ("СОШ № 1", "organization")
    assert school.actor.organization is not None
    assert school.actor.organization.code == "sch990001"


def test_overdue_with_a_frozen_date(small_roadmap, authority_scope):
    with time_machine.travel(date(2026, 4, 2)):
        counts = refresh_statuses()
    assert counts["overdue"] == 3  # I квартал, 01.03 and February
    statuses = dict(small_roadmap.items.values_list("number", "status"))
    assert statuses == {"1.1": "overdue", "1.2": "overdue", "1.3": "overdue", "1.4": "planned"}
    rows = selectors.overdue(authority_scope, date(2026, 4, 2))
    assert [(r.item.number, r.days_late) for r in rows] == [("1.3", 33), ("1.2", 32),
                                                           ("1.1", 2)]
    soon = selectors.due_soon(authority_scope, date(2026, 6, 20), 14)
    assert [(r.item.number, r.occurrence.label) for r in soon] == [("1.1", "II квартал 2026")]
    # moving the deadline forward takes the item out of the overdue list
    with time_machine.travel(date(2026, 4, 2)):
        item_update(item=item(small_roadmap, "1.2"), scope=authority_scope,
                    deadline_text="до 01.05.2026")
    moved = item(small_roadmap, "1.2")
    assert [(o.due, o.status) for o in moved.occurrences.all()] == [(date(2026, 5, 1),
                                                                     "planned")]
    assert moved.status == "planned"


def test_pages_show_overdue_before_the_daily_refresh(small_roadmap, authority_scope):
    # stored statuses are still «planned», the effective one is computed from the due date
    assert not ItemOccurrence.objects.filter(status="overdue").exists()
    february = item(small_roadmap, "1.3")
    assert selectors.effective_status(february, date(2026, 3, 1)) == "overdue"
    assert selectors.effective_status(february, date(2026, 2, 1)) == "planned"


def test_a_school_reports_with_evidence_and_the_authority_accepts(
    small_roadmap, personas, school_scope, authority_scope
):
    february = item(small_roadmap, "1.3").occurrences.get()
    upload = SimpleUploadedFile("протокол семинара.pdf", b"%PDF-1.4 test", "application/pdf")
    with time_machine.travel(date(2026, 2, 20)):
        report = report_submit(occurrence=february, scope=school_scope, user=personas.user_a,
                               text="Семинар проведён 18.02.2026",
                               links=[("Новость на сайте", "https://school1.example/news/1")],
                               uploads=[upload])
    assert report.organization == personas.school_a
    assert report.state == OccurrenceReport.State.SUBMITTED
    february.refresh_from_db()
    assert february.status == "in_progress"
    files = Evidence.objects.filter(report=report).order_by("kind")
    assert [(e.kind, e.title) for e in files] == [("file", "протокол семинара.pdf"),
                                                 ("link", "Новость на сайте")]
    stored = files[0]
    assert stored.sha256 and stored.file_path.startswith("cycle/evidence/")
    # the authority was told
    assert personas.authority.cycle_notifications.filter(kind="report").count() == 1
    with time_machine.travel(date(2026, 2, 21)):
        report_review(report=report, scope=authority_scope, user=personas.authority,
                      accept=True)
    february.refresh_from_db()
    assert (february.status, february.completed_on) == ("done", date(2026, 2, 21))
    assert item(small_roadmap, "1.3").status == "done"
    assert personas.user_a.cycle_notifications.filter(kind="review").count() == 1


@time_machine.travel(date(2026, 3, 15))
def test_all_schools_must_report_before_done_unless_the_authority_closes(
    small_roadmap, personas, school_scope, authority_scope
):
    from soko.accounts.scope import scope_for_user

    first_quarter = item(small_roadmap, "1.1").occurrences.order_by("due").first()
    assert first_quarter is not None
    report_a = report_submit(occurrence=first_quarter, scope=school_scope, text="Сделано")
    report_review(report=report_a, scope=authority_scope, accept=True)
    first_quarter.refresh_from_db()
    assert first_quarter.status == "in_progress"  # school B has not reported yet
    report_b = report_submit(occurrence=first_quarter, scope=scope_for_user(personas.user_b),
                             text="Сделано и у нас")
    with pytest.raises(ApplicationError, match="что нужно доработать"):
        report_review(report=report_b, scope=authority_scope, accept=False)
    report_review(report=report_b, scope=authority_scope, accept=False, comment="Нет протокола")
    report_b.refresh_from_db()
    assert report_b.state == OccurrenceReport.State.RETURNED
    again = report_submit(occurrence=first_quarter, scope=scope_for_user(personas.user_b),
                          text="Протокол приложен")
    assert again.pk == report_b.pk and again.state == OccurrenceReport.State.SUBMITTED
    report_review(report=again, scope=authority_scope, accept=True)
    first_quarter.refresh_from_db()
    assert first_quarter.status == "done"
    # the authority may close an occurrence itself
    second = item(small_roadmap, "1.1").occurrences.order_by("due")[1]
    occurrence_set_status(occurrence=second, scope=authority_scope, status="done",
                          note="Закрыто по итогам совещания")
    second.refresh_from_db()
    assert (second.status, second.note) == ("done", "Закрыто по итогам совещания")


def test_who_may_report_what(small_roadmap, personas, authority_scope):
    from soko.accounts.scope import scope_for_user

    method_item = item(small_roadmap, "1.2").occurrences.get()
    # school B is not responsible for the methodical service's item
    with pytest.raises(ApplicationError, match="не указана ответственной"):
        report_submit(occurrence=method_item, scope=scope_for_user(personas.user_b),
                      text="?")
    # the methodologist reports for the methodical service
    report = report_submit(occurrence=method_item, scope=scope_for_user(personas.methodologist),
                           text="Справка подготовлена")
    assert report.organization is None
    report_review(report=report, scope=authority_scope, accept=True)
    method_item.refresh_from_db()
    assert method_item.status == "done"
    with pytest.raises(ApplicationError, match="уже закрыт"):
        report_submit(occurrence=method_item, scope=authority_scope, text="ещё раз")
    # only the authority accepts
    other = report_submit(occurrence=item(small_roadmap, "1.3").occurrences.get(),
                          scope=scope_for_user(personas.user_a), text="Готово")
    with pytest.raises(ApplicationError, match="орган управления"):
        report_review(report=other, scope=scope_for_user(personas.methodologist), accept=True)


def test_evidence_files_are_checked(small_roadmap, school_scope):
    target = item(small_roadmap, "1.3")
    with pytest.raises(ApplicationError, match="такой тип не принимается"):
        evidence_add(item=target, scope=school_scope,
                     upload=SimpleUploadedFile("virus.exe", b"MZ", "application/octet-stream"))
    with pytest.raises(ApplicationError, match="http"):
        evidence_add(item=target, scope=school_scope, url="ftp://example.org/x")


def test_comments_and_history(small_roadmap, personas, authority_scope, school_scope):
    target = item(small_roadmap, "1.1")
    comment_add(item=target, scope=school_scope, user=personas.user_a, text="Начали")
    item_update(item=target, scope=authority_scope, title="Мониторинг выполнения планов ОО")
    history = selectors.item_history(target)
    assert any(("мероприятие", "Мониторинг выполнения планов",
                "Мониторинг выполнения планов ОО") in h.changes for h in history)
    details = selectors.item_details(school_scope, target, date(2026, 1, 10))
    assert [c.text for c in details["comments"]] == ["Начали"]
    assert details["history"] == []  # the audit trail is for the authority


def test_a_new_period_replans_the_items(small_roadmap, authority_scope):
    roadmap_update(roadmap=small_roadmap, scope=authority_scope, period_start=2026,
                   period_end=2027)
    assert item(small_roadmap, "1.1").occurrences.count() == 8
    assert item(small_roadmap, "1.3").occurrences.count() == 2


def test_cancelling_an_item_cancels_its_open_occurrences(small_roadmap, authority_scope):
    target = item(small_roadmap, "1.1")
    item_update(item=target, scope=authority_scope, is_cancelled=True)
    assert set(target.occurrences.values_list("status", flat=True)) == {"cancelled"}
    assert item(small_roadmap, "1.1").status == "cancelled"
    item_update(item=target, scope=authority_scope, is_cancelled=False)
    assert "cancelled" not in set(target.occurrences.values_list("status", flat=True))
