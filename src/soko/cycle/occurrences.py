"""Occurrences of roadmap items and their statuses: pure rules, no Django.

A roadmap item has one deadline text, parsed by :func:`soko.lib.schedule.parse_schedule`. An item
that recurs («ежеквартально», «Февраль ежегодно») is done once per period, so it gets one
*occurrence* per period inside the roadmap's window: every due date that falls in the roadmap's
period and not before the date it was approved. Deadlines with no date («постоянно», «по
отдельному графику», «по мере необходимости») and texts the parser did not understand get one
occurrence with no due date: it is never overdue and never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from soko.lib.schedule import MONTHS_NOMINATIVE, Schedule

#: Statuses of items and occurrences (the contract names of docs/contributing.md).
PLANNED: Final = "planned"
IN_PROGRESS: Final = "in_progress"
DONE: Final = "done"
OVERDUE: Final = "overdue"
CANCELLED: Final = "cancelled"

STATUS_CHOICES: Final[list[tuple[str, str]]] = [
    (PLANNED, "запланировано"),
    (IN_PROGRESS, "выполняется"),
    (DONE, "выполнено"),
    (OVERDUE, "просрочено"),
    (CANCELLED, "отменено"),
]
STATUS_LABELS: Final[dict[str, str]] = dict(STATUS_CHOICES)
CLOSED: Final = frozenset({DONE, CANCELLED})

#: Deadline kinds that give no date.
NO_DATE_KINDS: Final = frozenset({"continuous", "external", "as_needed", "unparsed"})

#: More occurrences than this for one item means a mistake in the period (a monthly item over
#: decades); the expansion stops there.
MAX_OCCURRENCES: Final = 240

_WIDE: Final = (date(1900, 1, 1), date(2199, 12, 31))
_ROMAN: Final = ("", "I", "II", "III", "IV")


@dataclass(frozen=True)
class PlannedOccurrence:
    """One period of an item: ``due`` is the deadline (None: no date), ``start`` its opening."""

    start: date | None
    due: date | None
    label: str


def roadmap_window(
    period: tuple[int, int] | None, approved: date | None, fallback_year: int
) -> tuple[date, date]:
    """The dates a roadmap covers: its period (calendar years), else three years from the year
    it was approved (or ``fallback_year``)."""
    if period is not None:
        return date(period[0], 1, 1), date(period[1], 12, 31)
    first = approved.year if approved is not None else fallback_year
    return date(first, 1, 1), date(first + 2, 12, 31)


def _finite(schedule: Schedule) -> bool:
    """True when every occurrence has its own year (no «ежегодно»), so expanding it over a wide
    window is safe."""
    if schedule.kind in ("date", "deadline"):
        return all(d.year is not None for d in schedule.dates)
    if schedule.kind in ("month", "months"):
        return all(s.year is not None for s in schedule.month_spans)
    return schedule.kind == "period"


def plan_occurrences(
    schedule: Schedule, window: tuple[date, date], approved: date | None = None
) -> list[PlannedOccurrence]:
    """Return the occurrences of an item inside a roadmap window.

    Due dates must lie in ``window`` and not before ``approved``. A dated schedule with no date
    in the window keeps its own dates when they are explicit («до 01.12.2019» in a 2021–2023
    roadmap is still due on 01.12.2019); otherwise, and for deadlines without a date, the item
    gets one occurrence with no due date.
    """
    if not schedule.parsed or schedule.kind in NO_DATE_KINDS:
        return [PlannedOccurrence(None, None, no_date_label(schedule))]
    lo = window[0] if approved is None else max(window[0], approved)
    found = schedule.occurrences(lo, window[1])
    if not found and _finite(schedule):
        found = schedule.occurrences(*_WIDE)
    if not found:
        return [PlannedOccurrence(None, None, "нет срока в периоде дорожной карты")]
    return [
        PlannedOccurrence(o.start, o.end, period_label(o.start, o.end, schedule.kind))
        for o in found[:MAX_OCCURRENCES]
    ]


def no_date_label(schedule: Schedule) -> str:
    """Russian label of an occurrence without a date."""
    if not schedule.parsed:
        return "срок не распознан"
    return schedule.description


def _month_end(d: date) -> date:
    nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def period_label(start: date | None, due: date, kind: str = "") -> str:
    """A short Russian label of one occurrence («I квартал 2022», «ноябрь 2020», «до 01.12.2021»,
    «2021/2022 учебный год»)."""
    if start is None:
        return f"до {due:%d.%m.%Y}"
    if start == due:
        return f"{due:%d.%m.%Y}"
    if start.day == 1 and due == _month_end(due):
        if start == date(start.year, 1, 1) and due == date(due.year, 12, 31):
            return f"{start.year} год" if start.year == due.year else f"{start.year}–{due.year} гг."
        if (start.month, due.month) == (9, 5) and due.year == start.year + 1:
            return f"{start.year}/{due.year} учебный год"
        if (
            kind == "quarterly"
            and start.year == due.year
            and start.month % 3 == 1
            and due.month == start.month + 2
        ):
            return f"{_ROMAN[(start.month + 2) // 3]} квартал {start.year}"
        first = MONTHS_NOMINATIVE[start.month]
        last = MONTHS_NOMINATIVE[due.month]
        if (start.year, start.month) == (due.year, due.month):
            return f"{first} {start.year}"
        if start.year == due.year:
            return f"{first} – {last} {start.year}"
        return f"{first} {start.year} – {last} {due.year}"
    return f"{start:%d.%m.%Y} – {due:%d.%m.%Y}"


def occurrence_status(current: str, due: date | None, today: date) -> str:
    """The status an occurrence should have today: an open one past its due date is overdue;
    an overdue one whose due date was moved back into the future is planned again."""
    if current in CLOSED:
        return current
    if due is not None and due < today:
        return OVERDUE
    if current == OVERDUE:
        return PLANNED
    return current


def item_status(statuses: Iterable[str], *, cancelled: bool = False) -> str:
    """The status of an item from its occurrences: cancelled when the item is; done when every
    occurrence is closed and one is done; overdue when any is; in progress when some are done
    or running; planned otherwise."""
    if cancelled:
        return CANCELLED
    values = list(statuses)
    if not values:
        return PLANNED
    if all(v in CLOSED for v in values):
        return DONE if DONE in values else CANCELLED
    if OVERDUE in values:
        return OVERDUE
    if any(v in (DONE, IN_PROGRESS) for v in values):
        return IN_PROGRESS
    return PLANNED
