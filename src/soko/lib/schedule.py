"""Parser of Russian deadlines («Сроки») written in roadmap tables.

A roadmap («дорожная карта») gives every measure a deadline in free Russian: «ежегодно»,
«до 01.12.2021», «Февраль ежегодно», «ноябрь-декабрь 2020 года», «в течение учебного года»,
«по отдельному графику»… :func:`parse_schedule` turns such a text into a :class:`Schedule`, and
:meth:`Schedule.occurrences` expands it into concrete due dates inside a date window, so the
system can show what is due and what is late.

The parser is rule based and deliberately strict: the text is cut into known pieces («atoms»:
month names, dates, years, «ежегодно», «по отдельному графику», …); if any piece is not
understood, or the pieces contradict each other («Март 2021, 2021-2023»), the result keeps the
text verbatim with ``parsed=False`` and kind ``"unparsed"``. It never guesses.

Conventions (they are product decisions, shown to users through ``description``):

* A month occurrence runs from its first to its last day; «до DATE» has no start and ends on DATE;
  a plain date starts and ends on that day.
* «ежегодно» without a month means «once per **calendar** year»: the occurrence runs from
  1 January to 31 December, so the due date is 31 December.
* The school year («учебный год») runs from 1 September to 31 May of the next year.
  «по итогам учебного года» is the summer after it (1 June – 31 August);
  «в начале учебного года» is September; «к началу учебного года» is due on 1 September;
  «до 01 марта года, следующего за отчётным» is due on 1 March after each reporting year.
* «ежеквартально» gives the quarters (due 31.03, 30.06, 30.09, 31.12); «ежемесячно» gives every
  month; «до 25 числа каждого месяца» is due on the 25th of every month.
* «постоянно», «в течение года», «по мере необходимости» and external schedules
  («по отдельному графику», «в соответствии с графиком проведения ВПР») have no occurrences.
* ``context_year`` (the year the roadmap starts) fills in a missing year: «ноябрь» is November of
  that year, «Февраль ежегодно» repeats every February from that year on. Without it a month or
  date with no year repeats every year, because the year is unknown.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, date
from typing import Any, Final

__all__ = [
    "KINDS",
    "MonthSpan",
    "Occurrence",
    "PartialDate",
    "Schedule",
    "find_russian_date",
    "parse_schedule",
    "schedule_from_dict",
    "schedule_to_cli_json",
    "schedule_to_dict",
]

KINDS: Final[tuple[str, ...]] = (
    "date",
    "month",
    "months",
    "deadline",
    "yearly",
    "quarterly",
    "monthly",
    "school_year",
    "continuous",
    "period",
    "external",
    "as_needed",
    "unparsed",
)

#: Anchors of the ``school_year`` kind.
SCHOOL_ANCHORS: Final[tuple[str, ...]] = ("during", "end", "start", "by_start", "after_reporting")

#: Texts longer than this are not deadlines (a whole paragraph pasted into the cell).
MAX_TEXT_LENGTH: Final = 1000

#: Version of the dictionary layout produced by :func:`schedule_to_dict`.
DICT_VERSION: Final = 1

MONTHS_NOMINATIVE: Final[tuple[str, ...]] = (
    "",
    "январь",
    "февраль",
    "март",
    "апрель",
    "май",
    "июнь",
    "июль",
    "август",
    "сентябрь",
    "октябрь",
    "ноябрь",
    "декабрь",
)
MONTHS_GENITIVE: Final[tuple[str, ...]] = (
    "",
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)
MONTHS_PREPOSITIONAL: Final[tuple[str, ...]] = (
    "",
    "январе",
    "феврале",
    "марте",
    "апреле",
    "мае",
    "июне",
    "июле",
    "августе",
    "сентябре",
    "октябре",
    "ноябре",
    "декабре",
)
_ROMAN_QUARTERS: Final = ("", "I", "II", "III", "IV")

# ----------------------------------------------------------------------------------------------
# Data model
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartialDate:
    """A day of a month, with the year when the text names it."""

    day: int
    month: int
    year: int | None = None

    def resolve(self, year: int) -> date | None:
        """Return the date in ``year`` (the own year wins), or None if it does not exist.

        The day is clamped to the month's length, so «до конца февраля» (stored as day 31)
        becomes 28 or 29 February.
        """
        y = self.year if self.year is not None else year
        if not MINYEAR <= y <= MAXYEAR or not 1 <= self.month <= 12:
            return None
        return date(y, self.month, min(self.day, calendar.monthrange(y, self.month)[1]))


@dataclass(frozen=True)
class MonthSpan:
    """A month or a range of months («ноябрь-декабрь»); ``year`` is the year of the start month.

    A range whose end month precedes its start month («ноябрь – февраль») ends the next year.
    """

    start_month: int
    end_month: int
    year: int | None = None

    @property
    def crosses_year(self) -> bool:
        """True when the range ends in the calendar year after it starts."""
        return self.end_month < self.start_month

    @property
    def months(self) -> tuple[int, ...]:
        """The months covered, in order."""
        if self.crosses_year:
            return tuple(range(self.start_month, 13)) + tuple(range(1, self.end_month + 1))
        return tuple(range(self.start_month, self.end_month + 1))

    def bounds(self, year: int) -> Occurrence | None:
        """Return the occurrence of the span starting in ``year`` (own year wins)."""
        y = self.year if self.year is not None else year
        end_year = y + 1 if self.crosses_year else y
        if not (y >= MINYEAR and end_year <= MAXYEAR):
            return None
        return Occurrence(date(y, self.start_month, 1), _month_end(end_year, self.end_month))


@dataclass(frozen=True)
class Occurrence:
    """One due instance of a schedule: ``end`` is the due date, ``start`` when the period opens."""

    start: date | None
    end: date


@dataclass(frozen=True)
class Schedule:
    """A parsed deadline.

    Which fields are used depends on ``kind``:

    * ``date`` — ``dates`` (one or more days); ``deadline`` — ``dates`` (exactly one, «до …»);
    * ``month`` / ``months`` — ``month_spans`` (each with its year, or None when unknown);
    * ``yearly`` — ``month_spans`` or ``dates`` (``anchor="by"`` for «до 1 марта»), ``since``,
      ``year_from``/``year_to``, ``interval_years`` («один раз в два года»);
    * ``quarterly`` — ``quarters``, ``year`` (a single year) or ``year_from``/``year_to``;
    * ``monthly`` — ``day_of_month`` (None: the whole month), ``year_from``/``year_to``;
    * ``school_year`` — ``anchor`` (one of :data:`SCHOOL_ANCHORS`), ``year`` (first calendar
      year of one named school year), ``year_from``/``year_to``, ``dates`` for
      ``after_reporting``;
    * ``period`` — ``year_from``/``year_to``;
    * ``continuous``, ``external``, ``as_needed`` — ``note`` only; ``unparsed`` — nothing.

    ``note`` keeps, in the original wording, a qualifier that does not change the dates
    («по отдельному графику», «в соответствии с планом»). ``year_inferred`` says that the year
    came from ``context_year`` rather than from the text.
    """

    text: str
    kind: str
    parsed: bool
    description: str
    dates: tuple[PartialDate, ...] = ()
    month_spans: tuple[MonthSpan, ...] = ()
    quarters: tuple[int, ...] = ()
    year: int | None = None
    year_from: int | None = None
    year_to: int | None = None
    since: date | None = None
    interval_years: int = 1
    day_of_month: int | None = None
    anchor: str | None = None
    note: str | None = None
    year_inferred: bool = False

    @property
    def months(self) -> tuple[int, ...]:
        """All months named by the schedule, in the order written."""
        return tuple(m for span in self.month_spans for m in span.months)

    def occurrences(self, start: date, end: date) -> list[Occurrence]:
        """Return the occurrences whose due date (``end``) lies in ``[start, end]``, sorted.

        Kinds without dates (continuous, external, as needed, unparsed) return an empty list.
        """
        if end < start or not self.parsed:
            return []
        lo = max(MINYEAR, start.year - 1)
        hi = min(MAXYEAR - 1, end.year + 1)
        found = {occ for occ in self._candidates(lo, hi) if start <= occ.end <= end}
        return sorted(found, key=lambda o: (o.end, o.start or o.end))

    # -- expansion -----------------------------------------------------------------------------

    def _years(self, lo: int, hi: int) -> range:
        first = lo if self.year_from is None else max(lo, self.year_from)
        last = hi if self.year_to is None else min(hi, self.year_to)
        return range(max(first, MINYEAR), min(last, MAXYEAR - 1) + 1)

    def _candidates(self, lo: int, hi: int) -> Iterator[Occurrence]:
        kind = self.kind
        if kind in ("date", "deadline"):
            for pd in self.dates:
                for y in [pd.year] if pd.year is not None else range(lo, hi + 1):
                    d = pd.resolve(y)
                    if d is not None:
                        yield Occurrence(None if kind == "deadline" else d, d)
        elif kind in ("month", "months"):
            for span in self.month_spans:
                for y in [span.year] if span.year is not None else range(lo, hi + 1):
                    occ = span.bounds(y)
                    if occ is not None:
                        yield occ
        elif kind == "yearly":
            yield from self._yearly(lo, hi)
        elif kind == "quarterly":
            years = [self.year] if self.year is not None else self._years(lo, hi)
            for y in years:
                if not MINYEAR <= y <= MAXYEAR:
                    continue
                for q in self.quarters:
                    yield Occurrence(date(y, 3 * q - 2, 1), _month_end(y, 3 * q))
        elif kind == "monthly":
            for y in self._years(lo, hi):
                for m in range(1, 13):
                    if self.day_of_month is None:
                        yield Occurrence(date(y, m, 1), _month_end(y, m))
                    else:
                        last = calendar.monthrange(y, m)[1]
                        yield Occurrence(None, date(y, m, min(self.day_of_month, last)))
        elif kind == "school_year":
            yield from self._school(lo, hi)
        elif (
            kind == "period"
            and self.year_from is not None
            and self.year_to is not None
            and MINYEAR <= self.year_from <= self.year_to <= MAXYEAR
        ):
            yield Occurrence(date(self.year_from, 1, 1), date(self.year_to, 12, 31))

    def _yearly(self, lo: int, hi: int) -> Iterator[Occurrence]:
        base = self.since.year if self.since is not None else self.year_from
        for y in self._years(lo - 1, hi):
            if base is not None and (y - base) % self.interval_years:
                continue
            occs: list[Occurrence] = []
            if self.month_spans:
                occs = [o for o in (s.bounds(y) for s in self.month_spans) if o is not None]
            elif self.dates:
                for pd in self.dates:
                    d = pd.resolve(y)
                    if d is not None:
                        occs.append(Occurrence(None if self.anchor == "by" else d, d))
            else:
                occs = [Occurrence(date(y, 1, 1), date(y, 12, 31))]
            for occ in occs:
                if self.since is None or occ.end >= self.since:
                    yield occ

    def _school(self, lo: int, hi: int) -> Iterator[Occurrence]:
        years = [self.year] if self.year is not None else self._years(lo - 1, hi)
        for y in years:
            if not MINYEAR <= y < MAXYEAR:
                continue
            if self.anchor == "during":
                yield Occurrence(date(y, 9, 1), date(y + 1, 5, 31))
            elif self.anchor == "end":
                yield Occurrence(date(y + 1, 6, 1), date(y + 1, 8, 31))
            elif self.anchor == "start":
                yield Occurrence(date(y, 9, 1), date(y, 9, 30))
            elif self.anchor == "by_start":
                yield Occurrence(None, date(y, 9, 1))
            elif self.anchor == "after_reporting" and self.dates:
                d = self.dates[0].resolve(y + 1)
                if d is not None:
                    yield Occurrence(None, d)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


# ----------------------------------------------------------------------------------------------
# Lexicon
# ----------------------------------------------------------------------------------------------

_MONTH_WORDS: Final[dict[str, int]] = {}
for _m in range(1, 13):
    for _form in (MONTHS_NOMINATIVE[_m], MONTHS_GENITIVE[_m], MONTHS_PREPOSITIONAL[_m]):
        _MONTH_WORDS[_form] = _m
_MONTH_ABBREVIATIONS: Final[dict[str, int]] = {
    "янв.": 1,
    "февр.": 2,
    "фев.": 2,
    "апр.": 4,
    "авг.": 8,
    "сент.": 9,
    "сен.": 9,
    "окт.": 10,
    "нояб.": 11,
    "дек.": 12,
}


def _month_number(word: str) -> int:
    return _MONTH_WORDS.get(word) or _MONTH_ABBREVIATIONS[word]


_NB: Final = r"(?![а-яa-z0-9])"  # word end
_MONTH: Final = (
    "(?:"
    + "|".join(
        [re.escape(w) + _NB for w in sorted(_MONTH_WORDS, key=len, reverse=True)]
        + [re.escape(w) for w in _MONTH_ABBREVIATIONS]
    )
    + ")"
)
_MONTH_GEN: Final = "(?:" + "|".join(MONTHS_GENITIVE[1:]) + ")" + _NB
_Y: Final = r"(?:19|20)\d{2}(?!\d)"
_YW: Final = r"(?:\s*(?:г\.\s*г\.?|гг\.?|годы|годах|годов|году|года|год|г\.?)(?![а-я]))?"
_PREP: Final = r"(?:(?P<prep>с|со|до|не\s+позднее|к|в|во|на)\s+)?"
_TAIL: Final = r"[^()]*"  # a qualifier phrase runs to the end or to a parenthesis
_SEPARATORS: Final = re.compile(r"[\s,;.:()\[\]\-/\\*«»\"'!?]+")
_FILLERS: Final = re.compile(
    r"(?:и|а\s+также|а|также|далее|затем|обновление|срок(?:и)?(?:\s+исполнения)?|г\.)" + _NB
)


@dataclass(frozen=True)
class _Atom:
    name: str
    match: re.Match[str]
    raw: str  # the matched text in its original case

    def group(self, name: str) -> str | None:
        value = self.match.groupdict().get(name)
        return value if value else None

    @property
    def prep(self) -> str | None:
        p = self.group("prep")
        return re.sub(r"\s+", " ", p) if p else None


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


#: Atoms tried at every position, in this order (more specific first).
_ATOMS: Final[tuple[tuple[str, re.Pattern[str]], ...]] = (
    (
        "school_following",
        _rx(
            r"(?:до|не\s+позднее)\s+(?P<d>\d{1,2})\s+(?P<mon>" + _MONTH_GEN + r")\s+года,?\s+"
            r"следующего\s+за\s+отчетным(?:\s+годом)?"
        ),
    ),
    (
        "monthly_day",
        _rx(
            r"(?:ежемесячно,?\s+)?(?:до|не\s+позднее)\s+(?P<d>\d{1,2})(?:-?го)?\s+числа"
            r"(?:\s+каждого)?(?:\s+месяца)?(?:,?\s+следующего\s+за\s+отчетным(?:\s+месяцем)?)?"
            r"(?:\s+ежемесячно)?" + _NB
        ),
    ),
    (
        "end_of",
        _rx(
            r"(?:до|к)\s+(?:конца|окончания)\s+(?:(?P<mon>" + _MONTH_GEN + r")\s*)?"
            r"(?:(?P<y>" + _Y + r")" + _YW + r"|(?:текущего\s+|календарного\s+)?года" + _NB + ")"
        ),
    ),
    (
        "school_end",
        _rx(
            r"(?:по\s+итогам|по\s+окончании|по\s+завершении|в\s+конце)\s+(?:каждого\s+)?"
            r"(?:(?P<y1>" + _Y + r")\s*[-/]\s*(?P<y2>" + _Y + r")\s+)?учебного\s+года" + _NB
        ),
    ),
    (
        "school_start",
        _rx(r"(?P<how>в\s+начале|к\s+началу|до\s+начала)\s+(?:каждого\s+)?учебного\s+года" + _NB),
    ),
    (
        "school_during",
        _rx(
            r"(?:(?:в\s+течение|на\s+протяжении)\s+(?:всего\s+|каждого\s+)?)?"
            r"(?:(?P<y1>" + _Y + r")\s*[-/]\s*(?P<y2>" + _Y + r")\s+)?учебного\s+года" + _NB
            + r"|(?:в\s+)?(?P<y3>" + _Y + r")\s*[-/]\s*(?P<y4>" + _Y + r")\s+"
            r"учебн(?:ом|ый|ого)\s+год(?:у|а)?" + _NB
        ),
    ),
    (
        "as_needed",
        _rx(
            r"(?:по|в\s+случае|при)\s+(?:мере\s+)?необходимости" + _NB
            + r"|(?:по\s+мере|по\s+факту|по\s+запросу|по\s+требованию|по\s+результатам|"
            r"по\s+обращению|при\s+выявлении|в\s+случае)" + _NB + _TAIL
        ),
    ),
    (
        "external_event",
        _rx(
            r"(?:при|во\s+время|в\s+период|в\s+дни|в\s+ходе)\s+(?:подготовк[а-я]*\s+(?:к\s+)?)?"
            r"(?:проведени|подготовк|организаци)[а-я]*" + _TAIL
        ),
    ),
    (
        "external_plan",
        _rx(
            r"(?:в\s+)?(?:соответствии\s+со?|согласно|по)\s+(?:[а-яa-z0-9-]+\s+){0,4}?"
            r"(?:график|план|расписани|регламент|порядк|положени)[а-я-]*" + _TAIL
            + r"|в\s+(?:установленные\s+)?сроки" + _NB + _TAIL
        ),
    ),
    (
        "note",
        _rx(
            r"по\s+итогам\s+(?:отчетного\s+периода|обучения|календарного\s+года|года|полугодия|"
            r"четверти|триместра|квартала|месяца)" + _NB
        ),
    ),
    (
        "interval",
        _rx(
            r"(?:далее\s+)?(?:один|1)\s+раз\s+в\s+(?P<n>два|2|три|3|четыре|4|пять|5)\s+"
            r"(?:года|лет)" + _NB
        ),
    ),
    (
        "yearly",
        _rx(r"(?:ежегодн(?:о|ый|ая|ое)|каждый\s+год|(?:один\s+|1\s+)?раз\s+в\s+год(?:у)?)" + _NB),
    ),
    (
        "quarterly",
        _rx(
            r"(?:ежеквартальн(?:о|ый)|поквартально|каждый\s+квартал|"
            r"(?:один\s+|1\s+)?раз\s+в\s+квартал)" + _NB
        ),
    ),
    (
        "monthly",
        _rx(r"(?:ежемесячн(?:о|ый)|каждый\s+месяц|(?:один\s+|1\s+)?раз\s+в\s+месяц)" + _NB),
    ),
    (
        "period_in",
        _rx(
            r"(?:в\s+течение|на\s+протяжении|в|во)\s+(?P<y1>" + _Y + r")"
            r"(?:\s*-\s*(?P<y2>" + _Y + r"))?" + _YW
        ),
    ),
    (
        "continuous",
        _rx(
            r"(?:постоянно|систематически|регулярно|весь\s+период|в\s+постоянном\s+режиме|"
            r"на\s+постоянной\s+основе|"
            r"в\s+течение\s+(?:всего\s+)?(?:календарного\s+)?года|"
            r"в\s+течение\s+(?:всего\s+)?(?:периода|срока)(?:\s+реализации)?"
            r"(?:\s+(?:программы|плана|дорожной\s+карты|проекта))?|"
            r"на\s+протяжении\s+(?:всего\s+)?(?:периода|года))" + _NB
        ),
    ),
    (
        "half",
        _rx(
            _PREP + r"(?P<h>ii|i|1|2|перв(?:ое|ом|ого)|втор(?:ое|ом|ого))(?:-?е|-?м)?\s+"
            r"полугоди[а-я]*(?:\s+(?P<y>" + _Y + r")" + _YW + ")?"
        ),
    ),
    (
        "quarter",
        _rx(
            _PREP + r"(?P<q>iv|iii|ii|i|[1-4])(?:-?(?:й|го|м|ом))?\s+квартал[а-я]*"
            r"(?:\s+(?P<y>" + _Y + r")" + _YW + ")?"
        ),
    ),
    (
        "date_num",
        _rx(
            _PREP + r"(?P<d>\d{1,2})\.\s?(?P<m>\d{1,2})\.\s?(?P<y>\d{4}|\d{2})(?!\d)" + _YW
        ),
    ),
    ("date_dm", _rx(_PREP + r"(?P<d>\d{1,2})\.(?P<m>\d{2})(?![\d.])")),
    (
        "date_verbal",
        _rx(
            _PREP + r"(?P<d>\d{1,2})(?:-?го)?\s+(?P<mon>" + _MONTH_GEN + r")"
            r"(?:\s+(?P<y>" + _Y + r")" + _YW + ")?"
        ),
    ),
    (
        "month_range",
        _rx(
            r"(?:(?:с|со|в|во)\s+)?(?P<m1>" + _MONTH + r")(?:\s*(?P<y1>" + _Y + r")" + _YW + ")?"
            r"\s*(?:-|\s+по\s+)\s*(?P<m2>" + _MONTH + r")(?:\s*(?P<y2>" + _Y + r")" + _YW + ")?"
        ),
    ),
    ("month", _rx(_PREP + r"(?P<mon>" + _MONTH + r")(?:\s*(?P<y>" + _Y + r")" + _YW + ")?")),
    ("year_range", _rx(_PREP + r"(?P<y1>" + _Y + r")\s*[-/]\s*(?P<y2>" + _Y + r")" + _YW)),
    ("year", _rx(_PREP + r"(?P<y>" + _Y + r")" + _YW)),
)

_HTML_TAG: Final = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")
_DASHES: Final = re.compile(r"[‐‑‒–—―−]")
_SPACES: Final = re.compile(r"\s+")


def _clean(text: str) -> str:
    """Remove markup and unify spaces and dashes, keeping the case (used for notes)."""
    text = _HTML_TAG.sub(" ", text).replace("**", " ").replace("\u00a0", " ")
    text = _DASHES.sub("-", text)
    return _SPACES.sub(" ", text).strip()


def _tokenize(clean: str) -> list[_Atom] | None:
    """Cut the text into atoms; None if some part is not understood."""
    norm = clean.lower().replace("ё", "е")
    same_length = len(norm) == len(clean)
    atoms: list[_Atom] = []
    pos, n = 0, len(norm)
    while pos < n:
        sep = _SEPARATORS.match(norm, pos)
        if sep and sep.end() > pos:
            pos = sep.end()
            continue
        for name, rx in _ATOMS:
            m = rx.match(norm, pos)
            if m and m.end() > pos:
                raw = clean[m.start() : m.end()] if same_length else m.group(0)
                atoms.append(_Atom(name, m, raw.strip(" ,;.")))
                pos = m.end()
                break
        else:
            filler = _FILLERS.match(norm, pos)
            if filler and filler.end() > pos:
                pos = filler.end()
                continue
            return None
    return atoms


# ----------------------------------------------------------------------------------------------
# Assembly
# ----------------------------------------------------------------------------------------------


class _Unparsed(Exception):
    """Raised inside the assembly when the atoms do not make one consistent schedule."""


@dataclass
class _Span:
    start: int
    end: int
    year: int | None  # year of the start month
    end_year: int | None  # year written at the end month, checked for consistency
    prep: str | None


@dataclass
class _Draft:
    yearly: bool = False
    interval: int = 1
    quarterly_all: bool = False
    monthly: bool = False
    monthly_day: int | None = None
    continuous: bool = False


_WORD_NUMBERS: Final = {"два": 2, "три": 3, "четыре": 4, "пять": 5}


def _to_year(value: str | None) -> int | None:
    if value is None:
        return None
    y = int(value)
    return y + 2000 if y < 100 else y


def _roman_or_int(value: str) -> int:
    roman = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
    return roman[value] if value in roman else int(value)


def _valid_date(day: int, month: int, year: int | None) -> bool:
    if not 1 <= month <= 12 or day < 1:
        return False
    return day <= calendar.monthrange(year if year is not None else 2000, month)[1]


def parse_schedule(text: str, *, context_year: int | None = None) -> Schedule:
    """Parse a «Сроки» cell; return a :class:`Schedule` (``parsed=False`` when not understood).

    ``context_year`` is the year the roadmap starts; it fills in a year the text leaves out.
    Never raises on any string.
    """
    if context_year is not None and not MINYEAR + 1 <= context_year <= MAXYEAR - 1:
        context_year = None
    original = text if isinstance(text, str) else str(text)
    if len(original) > MAX_TEXT_LENGTH:
        return _unparsed(original)
    clean = _clean(original)
    atoms = _tokenize(clean)
    if not atoms:
        return _unparsed(original)
    try:
        return _assemble(original, atoms, context_year)
    except (_Unparsed, ValueError, OverflowError):
        return _unparsed(original)


def _unparsed(text: str) -> Schedule:
    return Schedule(text=text, kind="unparsed", parsed=False, description="срок не распознан")


def _assemble(original: str, atoms: list[_Atom], ctx: int | None) -> Schedule:
    draft = _Draft()
    school: list[_Atom] = []
    as_needed: list[_Atom] = []
    ext_plan: list[_Atom] = []
    ext_event: list[_Atom] = []
    notes: list[str] = []
    spans: list[_Span] = []
    dates: list[tuple[int, int, int | None, str | None]] = []
    quarters: list[tuple[int, int | None, str | None]] = []
    years: list[tuple[int, int, str | None, str]] = []  # (from, to, prep, atom name)
    end_of: list[tuple[int | None, int | None]] = []

    pending: list[_Span] = []  # yearless month spans waiting for a year written after them
    for atom in atoms:
        name = atom.name
        if name not in ("month", "month_range", "year"):
            pending = []
        if name in ("month", "month_range"):
            span = _span_from(atom)
            spans.append(span)
            if span.year is None and span.end_year is None:
                pending.append(span)
            else:
                for p in pending:
                    p.year = span.year if span.year is not None else span.end_year
                pending = []
        elif name == "year" and pending and atom.prep is None:
            y = _to_year(atom.group("y"))
            for p in pending:
                p.year = y
            pending = []
        elif name == "year":
            y = _to_year(atom.group("y"))
            assert y is not None
            years.append((y, y, atom.prep, name))
        elif name in ("year_range", "period_in"):
            y1 = _to_year(atom.group("y1"))
            y2 = _to_year(atom.group("y2")) or y1
            assert y1 is not None and y2 is not None
            if not 0 <= y2 - y1 <= 50:
                raise _Unparsed
            years.append((y1, y2, atom.prep if name == "year_range" else "в", name))
        elif name in ("date_num", "date_dm", "date_verbal"):
            day = int(atom.group("d") or 0)
            if name == "date_verbal":
                month = _month_number(atom.group("mon") or "")
            else:
                month = int(atom.group("m") or 0)
            y = _to_year(atom.group("y"))
            if not _valid_date(day, month, y):
                raise _Unparsed
            dates.append((day, month, y, atom.prep))
        elif name == "quarter":
            quarters.append(
                (_roman_or_int(atom.group("q") or ""), _to_year(atom.group("y")), atom.prep)
            )
        elif name == "half":
            h = atom.group("h") or ""
            first = h in ("i", "1") or h.startswith("перв")
            year = _to_year(atom.group("y"))
            spans.append(_Span(1 if first else 7, 6 if first else 12, year, None, None))
        elif name == "end_of":
            mon = atom.group("mon")
            end_of.append((_month_number(mon) if mon else None, _to_year(atom.group("y"))))
        elif name.startswith("school_"):
            school.append(atom)
        elif name == "as_needed":
            as_needed.append(atom)
        elif name == "external_event":
            ext_event.append(atom)
        elif name == "external_plan":
            ext_plan.append(atom)
        elif name == "note":
            notes.append(atom.raw)
        elif name == "interval":
            n = atom.group("n") or "1"
            draft.interval = _WORD_NUMBERS.get(n) or int(n)
            draft.yearly = True
        elif name == "yearly":
            draft.yearly = True
        elif name == "quarterly":
            draft.quarterly_all = True
        elif name == "monthly":
            draft.monthly = True
        elif name == "monthly_day":
            draft.monthly_day = int(atom.group("d") or 0)
            if not 1 <= draft.monthly_day <= 31:
                raise _Unparsed
        elif name == "continuous":
            draft.continuous = True

    for span in spans:
        _settle_span(span)

    has_dates = bool(spans or dates or quarters or end_of)
    base: dict[str, Any] = {"text": original}

    # 1. as needed: nothing else may be said
    if as_needed:
        if has_dates or years or school or draft.yearly or draft.monthly or draft.quarterly_all:
            raise _Unparsed
        raw = "; ".join(a.raw for a in as_needed)
        desc = "по мере необходимости"
        if raw.lower() not in ("по мере необходимости", "по необходимости", "при необходимости"):
            desc += f": {raw}"
        return Schedule(**base, kind="as_needed", parsed=True, description=desc, note=raw)

    plan_notes = [a.raw for a in ext_plan]
    event_notes = [a.raw for a in ext_event]

    # 2. relative to the school year
    if school:
        return _school_schedule(base, school[0] if len(school) == 1 else None, draft, has_dates,
                                years, [*notes, *plan_notes, *event_notes], ctx)

    # 3. external schedules
    recurring = (
        draft.yearly or draft.quarterly_all or draft.monthly or draft.monthly_day is not None
    )
    if (ext_event or ext_plan) and not has_dates and not years and not recurring:
        if draft.continuous and not ext_event:
            note = "; ".join([*notes, *plan_notes])
            return Schedule(**base, kind="continuous", parsed=True,
                            description=f"постоянно ({note})", note=note)
        note = "; ".join([*notes, *plan_notes, *event_notes])
        return Schedule(**base, kind="external", parsed=True,
                        description=f"по внешнему графику: {note}", note=note)
    all_notes = [*notes, *plan_notes, *event_notes]
    note_text = "; ".join(all_notes) or None

    if draft.continuous and (has_dates or years or recurring):
        raise _Unparsed

    # 4. monthly
    if draft.monthly or draft.monthly_day is not None:
        if has_dates or draft.yearly or draft.quarterly_all:
            raise _Unparsed
        y_from, y_to, inferred = _bounds(years, ctx)
        sched = Schedule(**base, kind="monthly", parsed=True, description="",
                         day_of_month=draft.monthly_day, year_from=y_from, year_to=y_to,
                         note=note_text, year_inferred=inferred)
        return _described(sched)

    # 5. quarterly
    if draft.quarterly_all or (quarters and not all(q[2] in ("с", "со") for q in quarters)):
        return _quarterly(base, draft, quarters, spans, dates, end_of, years, ctx, note_text)

    # 6. yearly
    if draft.yearly:
        return _yearly(base, draft, spans, dates, quarters, end_of, years, ctx, note_text)

    # 7. months (a yearless month range with a range of years repeats within those years)
    if spans:
        if dates or end_of or quarters:
            raise _Unparsed
        if years:
            if (len(years) == 1 and years[0][2] is None and years[0][3] == "year_range"
                    and all(s.year is None for s in spans)):
                sched = Schedule(**base, kind="yearly", parsed=True, description="",
                                 month_spans=tuple(MonthSpan(s.start, s.end) for s in spans),
                                 year_from=years[0][0], year_to=years[0][1], note=note_text)
                return _described(sched)
            raise _Unparsed
        if any(s.prep in ("с", "со", "до", "не позднее", "к") for s in spans):
            raise _Unparsed
        if len(spans) == 1 and (spans[0].start, spans[0].end) == (9, 5) and spans[0].year is None:
            sched = Schedule(**base, kind="school_year", parsed=True, description="",
                             anchor="during", note=note_text)
            return _described(sched)
        inferred = any(s.year is None for s in spans) and ctx is not None
        month_spans = tuple(
            MonthSpan(s.start, s.end, s.year if s.year is not None else ctx) for s in spans
        )
        kind = "month" if len(spans) == 1 and spans[0].start == spans[0].end else "months"
        sched = Schedule(**base, kind=kind, parsed=True, description="", month_spans=month_spans,
                         note=note_text, year_inferred=inferred)
        return _described(sched)

    # 8. dates and deadlines
    if dates or end_of:
        if years or quarters:
            raise _Unparsed
        by = ("до", "не позднее", "к")
        pds: list[tuple[int, int, int | None, str | None]]
        if end_of and not dates:
            if len(end_of) != 1:
                raise _Unparsed
            end_month, end_year = end_of[0]
            pds = [(31, end_month or 12, end_year, "до")]
        elif end_of:
            raise _Unparsed
        else:
            pds = dates
        preps = {d[3] in by for d in pds}
        if len(preps) != 1:
            raise _Unparsed
        is_deadline = preps.pop()
        if is_deadline and len(pds) != 1:
            raise _Unparsed
        inferred = any(d[2] is None for d in pds) and ctx is not None
        partial = tuple(PartialDate(d[0], d[1], d[2] if d[2] is not None else ctx) for d in pds)
        if any(not _valid_date(p.day, p.month, p.year) for p in partial) and not end_of:
            raise _Unparsed
        sched = Schedule(**base, kind="deadline" if is_deadline else "date", parsed=True,
                         description="", dates=partial, note=note_text, year_inferred=inferred)
        return _described(sched)

    # 9. a year or a range of years
    if years:
        if len(years) != 1 or years[0][2] not in (None, "в", "во", "на"):
            raise _Unparsed
        sched = Schedule(**base, kind="period", parsed=True, description="",
                         year_from=years[0][0], year_to=years[0][1], note=note_text)
        return _described(sched)

    # 10. continuous
    if draft.continuous:
        phrase = next(a.raw for a in atoms if a.name == "continuous").lower()
        head = "постоянно" if phrase == "постоянно" else f"постоянно ({phrase})"
        return Schedule(**base, kind="continuous", parsed=True,
                        description=_with_note(head, note_text), note=note_text)
    raise _Unparsed


def _span_from(atom: _Atom) -> _Span:
    if atom.name == "month":
        m = _month_number(atom.group("mon") or "")
        return _Span(m, m, _to_year(atom.group("y")), None, atom.prep)
    m1 = _month_number(atom.group("m1") or "")
    m2 = _month_number(atom.group("m2") or "")
    raw_prep = atom.match.group(0).split(maxsplit=1)[0]
    prep = raw_prep if raw_prep in ("с", "со") else None
    return _Span(m1, m2, _to_year(atom.group("y1")), _to_year(atom.group("y2")), prep)


def _settle_span(span: _Span) -> None:
    """Derive the start year from the end year and check that both agree."""
    if span.end_year is not None:
        start_year = span.end_year - 1 if span.end < span.start else span.end_year
        if span.year is not None and span.year != start_year:
            raise _Unparsed
        span.year = start_year


def _bounds(
    years: list[tuple[int, int, str | None, str]], ctx: int | None
) -> tuple[int | None, int | None, bool]:
    """Year bounds of a recurring schedule: an explicit range, «с YEAR», or the context year."""
    if not years:
        return ctx, None, ctx is not None
    if len(years) != 1:
        raise _Unparsed
    y1, y2, prep, name = years[0]
    if prep in ("с", "со") and name == "year":
        return y1, None, False
    if prep in (None, "в", "во", "на"):
        return y1, y2, False
    raise _Unparsed


def _school_schedule(
    base: dict[str, Any],
    atom: _Atom | None,
    draft: _Draft,
    has_dates: bool,
    years: list[tuple[int, int, str | None, str]],
    notes: list[str],
    ctx: int | None,
) -> Schedule:
    if atom is None or has_dates or draft.quarterly_all or draft.monthly or draft.continuous:
        raise _Unparsed
    if draft.monthly_day is not None or draft.interval != 1:
        raise _Unparsed
    anchor: str
    year: int | None = None
    dates: tuple[PartialDate, ...] = ()
    if atom.name == "school_following":
        anchor = "after_reporting"
        day = int(atom.group("d") or 0)
        month = _month_number(atom.group("mon") or "")
        if not _valid_date(day, month, None):
            raise _Unparsed
        dates = (PartialDate(day, month),)
    elif atom.name == "school_end":
        anchor = "end"
        year = _to_year(atom.group("y1"))
    elif atom.name == "school_start":
        how = atom.group("how") or ""
        anchor = "start" if how.startswith("в") else "by_start"
    else:
        anchor = "during"
        year = _to_year(atom.group("y1") or atom.group("y3"))
        y2 = _to_year(atom.group("y2") or atom.group("y4"))
        if year is not None and y2 != year + 1:
            raise _Unparsed
    y_from: int | None = None
    y_to: int | None = None
    if years:
        if year is not None or len(years) != 1 or years[0][2] not in (None, "в", "во"):
            raise _Unparsed
        y_from, y_to = years[0][0], years[0][1]
    inferred = year is None and y_from is None and ctx is not None
    if inferred:
        y_from = ctx
    sched = Schedule(**base, kind="school_year", parsed=True, description="", anchor=anchor,
                     year=year, year_from=y_from, year_to=y_to, dates=dates,
                     note="; ".join(notes) or None, year_inferred=inferred)
    return _described(sched)


def _quarterly(
    base: dict[str, Any],
    draft: _Draft,
    quarters: list[tuple[int, int | None, str | None]],
    spans: list[_Span],
    dates: list[tuple[int, int, int | None, str | None]],
    end_of: list[tuple[int | None, int | None]],
    years: list[tuple[int, int, str | None, str]],
    ctx: int | None,
    note: str | None,
) -> Schedule:
    if spans or dates or end_of:
        raise _Unparsed
    if draft.quarterly_all:
        if quarters:
            raise _Unparsed
        y_from, y_to, inferred = _bounds(years, ctx)
        return _described(Schedule(**base, kind="quarterly", parsed=True, description="",
                                   quarters=(1, 2, 3, 4), year_from=y_from, year_to=y_to,
                                   note=note, year_inferred=inferred))
    if any(q[2] not in (None, "в", "во") for q in quarters) or not all(
        1 <= q[0] <= 4 for q in quarters
    ):
        raise _Unparsed
    q_years = {q[1] for q in quarters}
    if len(q_years) != 1:
        raise _Unparsed
    year = q_years.pop()
    numbers = tuple(sorted({q[0] for q in quarters}))
    if draft.yearly:
        if year is not None:
            raise _Unparsed
        y_from, y_to, inferred = _bounds(years, ctx)
        return _described(Schedule(**base, kind="quarterly", parsed=True, description="",
                                   quarters=numbers, year_from=y_from, year_to=y_to, note=note,
                                   year_inferred=inferred))
    if years:
        raise _Unparsed
    inferred = year is None and ctx is not None
    return _described(Schedule(**base, kind="quarterly", parsed=True, description="",
                               quarters=numbers, year=year if year is not None else ctx,
                               note=note, year_inferred=inferred))


def _yearly(
    base: dict[str, Any],
    draft: _Draft,
    spans: list[_Span],
    dates: list[tuple[int, int, int | None, str | None]],
    quarters: list[tuple[int, int | None, str | None]],
    end_of: list[tuple[int | None, int | None]],
    years: list[tuple[int, int, str | None, str]],
    ctx: int | None,
    note: str | None,
) -> Schedule:
    if end_of or (spans and dates):
        raise _Unparsed
    starts: list[date] = []
    month_spans: list[MonthSpan] = []
    for s in spans:
        if s.prep in ("с", "со", "до", "не позднее", "к"):
            raise _Unparsed
        month_spans.append(MonthSpan(s.start, s.end))
        if s.year is not None:
            starts.append(date(s.year, s.start, 1))
    partial: list[PartialDate] = []
    preps = {d[3] in ("до", "не позднее", "к") for d in dates}
    if len(preps) > 1:
        raise _Unparsed
    for day, month, year, _prep in dates:
        partial.append(PartialDate(day, month))
        if year is not None:
            starts.append(date(year, month, day))
    for q, year, _prep in quarters:  # only «с I квартала 2021 г.» reaches here
        if year is None:
            raise _Unparsed
        starts.append(date(year, 3 * q - 2, 1))
    y_from: int | None = None
    y_to: int | None = None
    for y1, y2, prep, name in years:
        if prep in ("с", "со") and name == "year":
            starts.append(date(y1, 1, 1))
        elif prep in (None, "в", "во", "на") and y_from is None:
            y_from, y_to = y1, y2
        else:
            raise _Unparsed
    since = min(starts) if starts else None
    inferred = False
    if since is None and y_from is None and ctx is not None:
        y_from, inferred = ctx, True
    if draft.interval > 1 and since is None and y_from is None:
        raise _Unparsed
    sched = Schedule(**base, kind="yearly", parsed=True, description="",
                     month_spans=tuple(month_spans), dates=tuple(partial),
                     anchor="by" if partial and preps == {True} else None, since=since,
                     year_from=y_from, year_to=y_to, interval_years=draft.interval, note=note,
                     year_inferred=inferred)
    return _described(sched)


# ----------------------------------------------------------------------------------------------
# Descriptions (Russian, shown to users)
# ----------------------------------------------------------------------------------------------


def _years_phrase(y_from: int, y_to: int) -> str:
    return f"{y_from} г." if y_from == y_to else f"{y_from}–{y_to} гг."


def _date_phrase(pd: PartialDate) -> str:
    text = f"{pd.day} {MONTHS_GENITIVE[pd.month]}"
    return f"{text} {pd.year} г." if pd.year is not None else text


def _spans_nominative(spans: tuple[MonthSpan, ...]) -> str:
    def one(s: MonthSpan, with_year: bool) -> str:
        y = f" {s.year} г." if with_year and s.year is not None else ""
        if s.start_month == s.end_month:
            return MONTHS_NOMINATIVE[s.start_month] + y
        if s.crosses_year and with_year and s.year is not None:
            return (f"{MONTHS_NOMINATIVE[s.start_month]} {s.year} г. — "
                    f"{MONTHS_NOMINATIVE[s.end_month]} {s.year + 1} г.")
        return f"{MONTHS_NOMINATIVE[s.start_month]} — {MONTHS_NOMINATIVE[s.end_month]}{y}"

    span_years = {s.year for s in spans}
    if len(span_years) == 1 and not any(s.crosses_year for s in spans):
        (year,) = span_years
        text = ", ".join(one(s, False) for s in spans)
        return f"{text} {year} г." if year is not None else f"{text} (год не указан)"
    return ", ".join(one(s, True) for s in spans)


def _spans_prepositional(spans: tuple[MonthSpan, ...]) -> str:
    parts = [
        MONTHS_PREPOSITIONAL[s.start_month]
        if s.start_month == s.end_month
        else f"{MONTHS_PREPOSITIONAL[s.start_month]} — {MONTHS_PREPOSITIONAL[s.end_month]}"
        for s in spans
    ]
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " и " + parts[-1]


def _with_note(text: str, note: str | None) -> str:
    if not note:
        return text
    if text.endswith(")"):
        return f"{text[:-1]}; {note})"
    return f"{text} ({note})"


def _describe(s: Schedule) -> str:
    kind = s.kind
    if kind == "date":
        return _with_note(", ".join(_date_phrase(d) for d in s.dates), s.note)
    if kind == "deadline":
        return _with_note("до " + _date_phrase(s.dates[0]), s.note)
    if kind in ("month", "months"):
        return _with_note(_spans_nominative(s.month_spans), s.note)
    if kind == "yearly":
        head = "ежегодно" if s.interval_years == 1 else (
            f"раз в {s.interval_years} {'года' if s.interval_years < 5 else 'лет'}"
        )
        if s.month_spans:
            head += " в " + _spans_prepositional(s.month_spans)
        elif s.dates:
            dates = ", ".join(_date_phrase(d) for d in s.dates)
            head += (" до " if s.anchor == "by" else " ") + dates
        else:
            head += " (в течение календарного года)"
        if s.since is not None:
            if s.since.month == 1 and s.since.day == 1:
                head += f", начиная с {s.since.year} г."
            else:
                head += f", начиная с {MONTHS_GENITIVE[s.since.month]} {s.since.year} г."
        if s.year_from is not None and not s.year_inferred:
            head += ", " + _years_phrase(s.year_from, s.year_to if s.year_to else s.year_from)
        return _with_note(head, s.note)
    if kind == "quarterly":
        if s.quarters == (1, 2, 3, 4) and s.year is None:
            head = "ежеквартально (до 31.03, 30.06, 30.09, 31.12)"
        else:
            names = [_ROMAN_QUARTERS[q] for q in s.quarters]
            listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " и " + names[-1]
            word = "квартал" if len(names) == 1 else "кварталы"
            head = (f"{listed} {word} {s.year} г." if s.year is not None
                    else f"ежегодно, {listed} {word}")
        if s.year is None and s.year_from is not None and not s.year_inferred:
            head += ", " + _years_phrase(s.year_from, s.year_to or s.year_from)
        return _with_note(head, s.note)
    if kind == "monthly":
        head = "ежемесячно" if s.day_of_month is None else f"ежемесячно до {s.day_of_month} числа"
        if s.year_from is not None and s.year_to is not None and not s.year_inferred:
            head += ", " + _years_phrase(s.year_from, s.year_to)
        return _with_note(head, s.note)
    if kind == "school_year":
        return _with_note(_describe_school(s), s.note)
    if kind == "period" and s.year_from is not None and s.year_to is not None:
        return _with_note("в течение " + _years_phrase(s.year_from, s.year_to), s.note)
    if kind == "continuous":
        return _with_note("постоянно", s.note)
    return s.description


def _describe_school(s: Schedule) -> str:
    if s.anchor == "after_reporting" and s.dates:
        head = f"ежегодно до {_date_phrase(s.dates[0])} года, следующего за отчётным"
        if s.year_from is not None and s.year_to is not None:
            head += f" (отчётные годы: {_years_phrase(s.year_from, s.year_to)})"
        return head
    if s.anchor == "end":
        if s.year is not None:
            return f"по итогам {s.year}/{s.year + 1} учебного года (июнь — август {s.year + 1} г.)"
        return "по итогам учебного года (июнь — август)"
    if s.anchor == "start":
        return "в начале учебного года (сентябрь)"
    if s.anchor == "by_start":
        return "к началу учебного года (до 1 сентября)"
    if s.year is not None:
        return (f"в течение {s.year}/{s.year + 1} учебного года "
                f"(1 сентября {s.year} г. — 31 мая {s.year + 1} г.)")
    head = "в течение учебного года (1 сентября — 31 мая)"
    if s.year_from is not None and s.year_to is not None:
        head += ", " + _years_phrase(s.year_from, s.year_to)
    return head


def _described(s: Schedule) -> Schedule:
    return Schedule(**{**_fields(s), "description": _describe(s)})


def _fields(s: Schedule) -> dict[str, Any]:
    return {name: getattr(s, name) for name in Schedule.__dataclass_fields__}


# ----------------------------------------------------------------------------------------------
# Serialisation
# ----------------------------------------------------------------------------------------------


def schedule_to_dict(s: Schedule) -> dict[str, Any]:
    """Return a JSON-able dict with a stable layout (stored in the database, read back by
    :func:`schedule_from_dict`)."""
    return {
        "version": DICT_VERSION,
        "text": s.text,
        "kind": s.kind,
        "parsed": s.parsed,
        "description": s.description,
        "dates": [{"day": d.day, "month": d.month, "year": d.year} for d in s.dates],
        "month_spans": [
            {"start_month": m.start_month, "end_month": m.end_month, "year": m.year}
            for m in s.month_spans
        ],
        "quarters": list(s.quarters),
        "year": s.year,
        "year_from": s.year_from,
        "year_to": s.year_to,
        "since": s.since.isoformat() if s.since is not None else None,
        "interval_years": s.interval_years,
        "day_of_month": s.day_of_month,
        "anchor": s.anchor,
        "note": s.note,
        "year_inferred": s.year_inferred,
    }


def _opt_int(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key} must be an integer or null")
    return value


def schedule_from_dict(data: Mapping[str, Any]) -> Schedule:
    """Rebuild a :class:`Schedule` from :func:`schedule_to_dict` output.

    Raises ValueError when the dict is not of that layout.
    """
    if data.get("version") != DICT_VERSION:
        raise ValueError(f"unsupported schedule dict version: {data.get('version')!r}")
    kind = data.get("kind")
    if kind not in KINDS:
        raise ValueError(f"unknown schedule kind: {kind!r}")
    text, description = data.get("text"), data.get("description")
    if not isinstance(text, str) or not isinstance(description, str):
        raise ValueError("text and description must be strings")
    since_raw = data.get("since")
    note = data.get("note")
    anchor = data.get("anchor")
    if note is not None and not isinstance(note, str):
        raise ValueError("note must be a string or null")
    if anchor is not None and not isinstance(anchor, str):
        raise ValueError("anchor must be a string or null")
    interval = _opt_int(data, "interval_years")
    return Schedule(
        text=text,
        kind=str(kind),
        parsed=bool(data.get("parsed")),
        description=description,
        dates=tuple(
            PartialDate(int(d["day"]), int(d["month"]), _opt_int(d, "year"))
            for d in data.get("dates") or []
        ),
        month_spans=tuple(
            MonthSpan(int(m["start_month"]), int(m["end_month"]), _opt_int(m, "year"))
            for m in data.get("month_spans") or []
        ),
        quarters=tuple(int(q) for q in data.get("quarters") or []),
        year=_opt_int(data, "year"),
        year_from=_opt_int(data, "year_from"),
        year_to=_opt_int(data, "year_to"),
        since=date.fromisoformat(since_raw) if isinstance(since_raw, str) else None,
        interval_years=interval if interval is not None else 1,
        day_of_month=_opt_int(data, "day_of_month"),
        anchor=anchor,
        note=note,
        year_inferred=bool(data.get("year_inferred")),
    )


def schedule_to_cli_json(s: Schedule, start: date, end: date) -> dict[str, Any]:
    """Return the ``soko schedule parse`` output: kind, parsed, description and the
    occurrences in ``[start, end]`` with ISO dates (``start`` may be null)."""
    return {
        "kind": s.kind,
        "parsed": s.parsed,
        "description": s.description,
        "occurrences": [
            {"start": o.start.isoformat() if o.start is not None else None,
             "end": o.end.isoformat()}
            for o in s.occurrences(start, end)
        ],
    }


# ----------------------------------------------------------------------------------------------
# Dates inside running text (used by the roadmap parser for «приказ от … № …»)
# ----------------------------------------------------------------------------------------------

_NUMERIC_DATE: Final = re.compile(r"(?<!\d)(\d{1,2})\.\s?(\d{1,2})\.\s?((?:19|20)\d{2})(?!\d)")
_VERBAL_DATE: Final = re.compile(
    r"(?<!\d)(\d{1,2})\s+(" + "|".join(MONTHS_GENITIVE[1:]) + r")\s+((?:19|20)\d{2})(?!\d)",
    re.IGNORECASE,
)


def find_russian_date(text: str) -> tuple[date, int, int] | None:
    """Find the first date («26.11.2020», «24 июня 2022 года») in running text.

    Returns the date and the span (start, end) of the match, or None.
    """
    found: list[tuple[int, int, date]] = []
    for m in _NUMERIC_DATE.finditer(text):
        day, month, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if _valid_date(day, month, year):
            found.append((m.start(), m.end(), date(year, month, day)))
            break
    for m in _VERBAL_DATE.finditer(text):
        day, year = int(m.group(1)), int(m.group(3))
        month = MONTHS_GENITIVE.index(m.group(2).lower())
        if _valid_date(day, month, year):
            found.append((m.start(), m.end(), date(year, month, day)))
            break
    if not found:
        return None
    start, end, value = min(found)
    return value, start, end
