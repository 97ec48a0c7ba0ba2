"""Occurrences of items inside a roadmap's window, their labels and statuses (pure rules)."""

from __future__ import annotations

from datetime import date

import pytest

from soko.cycle.occurrences import (
    CANCELLED,
    DONE,
    IN_PROGRESS,
    OVERDUE,
    PLANNED,
    item_status,
    occurrence_status,
    period_label,
    plan_occurrences,
    roadmap_window,
)
from soko.lib.schedule import parse_schedule

pytestmark = pytest.mark.core

WINDOW = roadmap_window((2021, 2023), date(2020, 12, 3), 2020)


def plan(text: str, approved: date | None = date(2020, 12, 3)):
    return plan_occurrences(parse_schedule(text, context_year=2021), WINDOW, approved)


def test_window_is_the_period_or_three_years_from_approval():
    assert (date(2021, 1, 1), date(2023, 12, 31)) == WINDOW
    assert roadmap_window(None, date(2022, 6, 24), 2000) == (date(2022, 1, 1), date(2024, 12, 31))
    assert roadmap_window(None, None, 2025) == (date(2025, 1, 1), date(2027, 12, 31))


def test_quarterly_gives_one_occurrence_per_quarter():
    found = plan("ежеквартально")
    assert len(found) == 12
    assert [o.label for o in found[:4]] == [
        "I квартал 2021", "II квартал 2021", "III квартал 2021", "IV квартал 2021",
    ]
    assert (found[0].start, found[0].due) == (date(2021, 1, 1), date(2021, 3, 31))


def test_yearly_month_and_monthly_day():
    feb = plan("Февраль ежегодно")
    assert [o.due for o in feb] == [date(2021, 2, 28), date(2022, 2, 28), date(2023, 2, 28)]
    assert feb[0].label == "февраль 2021"
    monthly = plan("до 25 числа каждого месяца")
    assert len(monthly) == 36
    assert (monthly[0].start, monthly[0].due, monthly[0].label) == (
        None, date(2021, 1, 25), "до 25.01.2021"
    )


def test_school_year_and_calendar_year_labels():
    during = plan("в течение учебного года")
    # the roadmap starts in 2021: school years from 2021/2022 on, due in the window
    assert [o.label for o in during] == ["2021/2022 учебный год", "2022/2023 учебный год"]
    yearly = plan("ежегодно")
    assert [o.label for o in yearly] == ["2021 год", "2022 год", "2023 год"]
    assert plan("2021-2023")[0].label == "2021–2023 гг."
    assert plan("ноябрь-декабрь 2021 года")[0].label == "ноябрь – декабрь 2021"


def test_explicit_dates_outside_the_window_are_kept():
    found = plan("до 01.12.2019")
    assert [(o.start, o.due, o.label) for o in found] == [(None, date(2019, 12, 1),
                                                           "до 01.12.2019")]


def test_no_date_kinds_and_unparsed_text_get_one_undated_occurrence():
    for text in ("постоянно", "по отдельному графику", "по мере необходимости"):
        (only,) = plan(text)
        assert only.due is None and only.start is None
    (unparsed,) = plan("1 раз в 3 года для каждого ОУ")
    assert (unparsed.due, unparsed.label) == (None, "срок не распознан")


def test_due_dates_before_approval_are_dropped():
    approved_late = plan("ежеквартально", approved=date(2021, 7, 8))
    assert approved_late[0].due == date(2021, 9, 30)


def test_period_label_generic_cases():
    assert period_label(date(2022, 3, 1), date(2022, 3, 1)) == "01.03.2022"
    assert period_label(date(2022, 11, 1), date(2023, 1, 31)) == "ноябрь 2022 – январь 2023"
    assert period_label(date(2022, 3, 5), date(2022, 4, 2)) == "05.03.2022 – 02.04.2022"


@pytest.mark.parametrize(
    ("current", "due", "expected"),
    [
        (PLANNED, date(2026, 1, 31), OVERDUE),
        (IN_PROGRESS, date(2026, 1, 31), OVERDUE),
        (PLANNED, date(2026, 2, 1), PLANNED),
        (OVERDUE, date(2026, 3, 1), PLANNED),
        (DONE, date(2020, 1, 1), DONE),
        (CANCELLED, date(2020, 1, 1), CANCELLED),
        (PLANNED, None, PLANNED),
    ],
)
def test_occurrence_status_on_1_february_2026(current, due, expected):
    assert occurrence_status(current, due, date(2026, 2, 1)) == expected


def test_item_status_from_occurrences():
    assert item_status([]) == PLANNED
    assert item_status([DONE, DONE]) == DONE
    assert item_status([DONE, CANCELLED]) == DONE
    assert item_status([CANCELLED]) == CANCELLED
    assert item_status([DONE, PLANNED]) == IN_PROGRESS
    assert item_status([DONE, OVERDUE, PLANNED]) == OVERDUE
    assert item_status([PLANNED, PLANNED]) == PLANNED
    assert item_status([PLANNED], cancelled=True) == CANCELLED
