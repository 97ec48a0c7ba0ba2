"""The Russian deadline parser: every form the roadmaps use, their occurrences, and its limits."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soko.lib.schedule import (
    KINDS,
    MonthSpan,
    Occurrence,
    PartialDate,
    find_russian_date,
    parse_schedule,
    schedule_from_dict,
    schedule_to_cli_json,
    schedule_to_dict,
)

pytestmark = pytest.mark.core

D = date


def occ(start: date | None, end: date) -> Occurrence:
    return Occurrence(start, end)


# ----------------------------------------------------------------------------------------------
# Every form named in the brief: kind, description and occurrences in a window
# ----------------------------------------------------------------------------------------------

FORMS = [
    # text, context_year, kind, description, window, occurrences
    ("15.03.2021", None, "date", "15 марта 2021 г.",
     (D(2021, 1, 1), D(2021, 12, 31)), [occ(D(2021, 3, 15), D(2021, 3, 15))]),
    ("1 декабря 2021 г.", None, "date", "1 декабря 2021 г.",
     (D(2021, 1, 1), D(2021, 12, 31)), [occ(D(2021, 12, 1), D(2021, 12, 1))]),
    ("октябрь 2020 года", None, "month", "октябрь 2020 г.",
     (D(2020, 1, 1), D(2021, 12, 31)), [occ(D(2020, 10, 1), D(2020, 10, 31))]),
    ("ноябрь 2020", None, "month", "ноябрь 2020 г.",
     (D(2020, 1, 1), D(2021, 12, 31)), [occ(D(2020, 11, 1), D(2020, 11, 30))]),
    ("ноябрь-декабрь 2020 года", None, "months", "ноябрь — декабрь 2020 г.",
     (D(2020, 1, 1), D(2021, 12, 31)), [occ(D(2020, 11, 1), D(2020, 12, 31))]),
    ("ноябрь –декабрь 2020 года", None, "months", "ноябрь — декабрь 2020 г.",
     (D(2020, 1, 1), D(2021, 12, 31)), [occ(D(2020, 11, 1), D(2020, 12, 31))]),
    ("Январь, март, май 2021", None, "months", "январь, март, май 2021 г.",
     (D(2020, 1, 1), D(2021, 12, 31)),
     [occ(D(2021, 1, 1), D(2021, 1, 31)), occ(D(2021, 3, 1), D(2021, 3, 31)),
      occ(D(2021, 5, 1), D(2021, 5, 31))]),
    ("июль - август 2015", None, "months", "июль — август 2015 г.",
     (D(2015, 1, 1), D(2015, 12, 31)), [occ(D(2015, 7, 1), D(2015, 8, 31))]),
    ("ноябрь 2012 – май 2013г.", None, "months", "ноябрь 2012 г. — май 2013 г.",
     (D(2012, 1, 1), D(2013, 12, 31)), [occ(D(2012, 11, 1), D(2013, 5, 31))]),
    ("до 01.12.2021", None, "deadline", "до 1 декабря 2021 г.",
     (D(2021, 1, 1), D(2021, 12, 31)), [occ(None, D(2021, 12, 1))]),
    ("до 1 декабря 2021 года", None, "deadline", "до 1 декабря 2021 г.",
     (D(2021, 1, 1), D(2021, 12, 31)), [occ(None, D(2021, 12, 1))]),
    ("до 25 ноября 2012г.", None, "deadline", "до 25 ноября 2012 г.",
     (D(2012, 1, 1), D(2012, 12, 31)), [occ(None, D(2012, 11, 25))]),
    ("Февраль ежегодно", 2021, "yearly", "ежегодно в феврале",
     (D(2020, 1, 1), D(2022, 12, 31)),
     [occ(D(2021, 2, 1), D(2021, 2, 28)), occ(D(2022, 2, 1), D(2022, 2, 28))]),
    ("ежегодно, май", None, "yearly", "ежегодно в мае",
     (D(2021, 1, 1), D(2022, 12, 31)),
     [occ(D(2021, 5, 1), D(2021, 5, 31)), occ(D(2022, 5, 1), D(2022, 5, 31))]),
    ("август 2020 г., ежегодно", None, "yearly", "ежегодно в августе, начиная с августа 2020 г.",
     (D(2019, 1, 1), D(2021, 12, 31)),
     [occ(D(2020, 8, 1), D(2020, 8, 31)), occ(D(2021, 8, 1), D(2021, 8, 31))]),
    ("ежегодно", None, "yearly", "ежегодно (в течение календарного года)",
     (D(2021, 1, 1), D(2022, 12, 31)),
     [occ(D(2021, 1, 1), D(2021, 12, 31)), occ(D(2022, 1, 1), D(2022, 12, 31))]),
    ("ежеквартально", None, "quarterly", "ежеквартально (до 31.03, 30.06, 30.09, 31.12)",
     (D(2021, 1, 1), D(2021, 12, 31)),
     [occ(D(2021, 1, 1), D(2021, 3, 31)), occ(D(2021, 4, 1), D(2021, 6, 30)),
      occ(D(2021, 7, 1), D(2021, 9, 30)), occ(D(2021, 10, 1), D(2021, 12, 31))]),
    ("III квартал 2020", None, "quarterly", "III квартал 2020 г.",
     (D(2020, 1, 1), D(2021, 12, 31)), [occ(D(2020, 7, 1), D(2020, 9, 30))]),
    ("ежемесячно", None, "monthly", "ежемесячно",
     (D(2021, 1, 1), D(2021, 2, 28)),
     [occ(D(2021, 1, 1), D(2021, 1, 31)), occ(D(2021, 2, 1), D(2021, 2, 28))]),
    ("до 25 числа каждого месяца", None, "monthly", "ежемесячно до 25 числа",
     (D(2021, 1, 1), D(2021, 3, 31)),
     [occ(None, D(2021, 1, 25)), occ(None, D(2021, 2, 25)), occ(None, D(2021, 3, 25))]),
    ("в течение учебного года", 2020, "school_year",
     "в течение учебного года (1 сентября — 31 мая)",
     (D(2020, 1, 1), D(2022, 6, 30)),
     [occ(D(2020, 9, 1), D(2021, 5, 31)), occ(D(2021, 9, 1), D(2022, 5, 31))]),
    ("по итогам учебного года", None, "school_year", "по итогам учебного года (июнь — август)",
     (D(2021, 1, 1), D(2021, 12, 31)), [occ(D(2021, 6, 1), D(2021, 8, 31))]),
    ("до 01 марта года, следующего за отчётным", None, "school_year",
     "ежегодно до 1 марта года, следующего за отчётным",
     (D(2021, 1, 1), D(2022, 12, 31)), [occ(None, D(2021, 3, 1)), occ(None, D(2022, 3, 1))]),
    ("сентябрь - май", None, "school_year", "в течение учебного года (1 сентября — 31 мая)",
     (D(2021, 1, 1), D(2021, 12, 31)), [occ(D(2020, 9, 1), D(2021, 5, 31))]),
    ("постоянно", None, "continuous", "постоянно", (D(2021, 1, 1), D(2021, 12, 31)), []),
    ("в течение года", None, "continuous", "постоянно (в течение года)",
     (D(2021, 1, 1), D(2021, 12, 31)), []),
    ("в течение 2021 года", None, "period", "в течение 2021 г.",
     (D(2021, 1, 1), D(2021, 12, 31)), [occ(D(2021, 1, 1), D(2021, 12, 31))]),
    ("2021-2023 гг.", None, "period", "в течение 2021–2023 гг.",
     (D(2021, 1, 1), D(2023, 12, 31)), [occ(D(2021, 1, 1), D(2023, 12, 31))]),
    ("по отдельному графику", None, "external", "по внешнему графику: по отдельному графику",
     (D(2021, 1, 1), D(2021, 12, 31)), []),
    ("в соответствии с графиком проведения ВПР", None, "external",
     "по внешнему графику: в соответствии с графиком проведения ВПР",
     (D(2021, 1, 1), D(2021, 12, 31)), []),
    ("в соответствии с графиком проведения в 2020-2021 учебном году", None, "external",
     "по внешнему графику: в соответствии с графиком проведения в 2020-2021 учебном году",
     (D(2020, 1, 1), D(2021, 12, 31)), []),
    ("по графику ФЦТ", None, "external", "по внешнему графику: по графику ФЦТ",
     (D(2021, 1, 1), D(2021, 12, 31)), []),
    ("согласно графику Рособрнадзора", None, "external",
     "по внешнему графику: согласно графику Рособрнадзора",
     (D(2021, 1, 1), D(2021, 12, 31)), []),
    ("по мере необходимости", None, "as_needed", "по мере необходимости",
     (D(2021, 1, 1), D(2021, 12, 31)), []),
]


@pytest.mark.parametrize(
    ("text", "context_year", "kind", "description", "window", "expected"),
    FORMS,
    ids=[f[0] for f in FORMS],
)
def test_brief_forms(text, context_year, kind, description, window, expected):
    s = parse_schedule(text, context_year=context_year)
    assert s.parsed
    assert s.kind == kind
    assert s.text == text
    assert s.description == description
    assert s.occurrences(*window) == expected


# ----------------------------------------------------------------------------------------------
# Every distinct «Сроки» text of the five seeds and the excerpt, with the kind it must get
# ----------------------------------------------------------------------------------------------

SEED_DEADLINES = {
    # seed 000
    "Ежегодно": "yearly",
    "2021-2022 годы": "period",
    "2021-2023 годы": "period",
    "В соответствии с планом комитета по образованию": "external",
    "В соответствии с графиком проведения": "external",
    "Ежегодно в соответствии с планом": "yearly",
    "Постоянно": "continuous",
    "Ежеквартально": "quarterly",
    "Май ежегодно": "yearly",
    "Февраль ежегодно": "yearly",
    "Март 2021, 2021-2023": "unparsed",  # a deadline and a period in one cell
    "Январь 2021": "month",
    "Январь 2020": "month",
    "Ежегодно по отдельному графику": "yearly",
    "В соответствии с планом комитета по образованию По запросу министерства образования "
    "Тульской области": "external",
    "": "unparsed",  # 000 item 2.2.2 has no deadline
    "Ежегодно июнь-июль": "yearly",
    "Ежегодно соответствии с планом": "yearly",
    "Ежегодно октябрь": "yearly",
    # seed 001
    "Ежегодно (в соответствии с федеральным и региональным графиками)": "yearly",
    "ежегодно": "yearly",
    "в соответствии с графиком проведения МСИ": "external",
    "По результатам участия": "as_needed",
    "в соответствии с графиком проведения НИКО": "external",
    "Ежегодно, в соответствии с графиком проведения ВПР": "yearly",
    "сентябрь ежегодно": "yearly",
    "ежегодно в соответствии с Планом мероприятий": "yearly",
    "ежегодно по итогам обучения": "yearly",
    "1 раз в 3 года для каждого ОУ": "unparsed",  # each school in turn: the year is unknown
    "постоянно": "continuous",
    "август ежегодно": "yearly",
    "2020-2022 г.г.": "period",
    "ежегодно по итогам отчетного периода": "yearly",
    "июнь 2020": "month",
    "до 1 августа 2020 г.": "deadline",
    "август 2020 г., ежегодно": "yearly",
    "сентябрь 2020 г., апрель 2021 г., ежегодно": "yearly",
    "октябрь 2020 г., ежегодно": "yearly",
    "октябрь-декабрь 2020 г., ежегодно": "yearly",
    "октябрь – декабрь 2020 г., ежегодно": "yearly",
    "декабрь 2020 г. обновление ежегодно": "yearly",
    "август 2021 г., ежегодно": "yearly",
    "октябрь 2021 г. ежегодно": "yearly",
    "2020-2022 гг.": "period",
    "ежегодно по итогам отчетного периода (до 01 марта года, следующего за отчетным) "
    "2020-2022 г": "school_year",
    "2020 г.": "period",
    "ежегодно, май": "yearly",
    "ежегодно, с 1 квартала 2021 г.": "yearly",
    "ежегодно, 1 квартал": "quarterly",
    "ежегодно, 2 квартал": "quarterly",
    "ежегодно, с 2021 г.": "yearly",
    "ежегодно, по плану работы": "yearly",
    "в течение всего периода": "continuous",
    "Ежегодно, август": "yearly",
    "Ежегодно по графику": "yearly",
    "В течение учебного года": "school_year",
    "Ежегодно, март": "yearly",
    "Ежегодно, март-июль": "yearly",
    "Ежегодно, май-июль": "yearly",
    "Ежегодно июль-август": "yearly",
    "2020": "period",
    "ежегодно, январь": "yearly",
    "ноябрь-декабрь ежегодно": "yearly",
    "март 2020 г.": "month",
    "апрель 2020г., ежегодно": "yearly",
    "январь-декабрь 2020 г.": "months",
    "февраль-декабрь., 2021-2022 гг.": "yearly",
    "Сентябрь,2020": "month",
    "Ежегодно, по итогам учебного года": "school_year",
    "В течение всего периода по плану мероприятий": "continuous",
    "Январь 2022, далее один раз в два года": "yearly",
    "В течение всего периода": "continuous",
    "Август 2021": "month",
    "Сентябрь 2021": "month",
    "Октябрь 2021": "month",
    "Ноябрь 2021": "month",
    "В течение года": "continuous",
    "В течение года по плану мероприятий": "continuous",
    "Февраль, апрель 2022 года": "months",
    "Март 2022 года": "month",
    "Май 2022": "month",
    "Февраль 2022 года": "month",
    "Апрель 2022": "month",
    # seed 002
    "ежеквартально": "quarterly",
    "По отдельному графику": "external",
    "август": "month",
    "в течение учебного года": "school_year",
    "в течение года": "continuous",
    "По мере необходимости": "as_needed",
    "по мере необходимости": "as_needed",
    "По факту выявления ОО, попавших в зону «риска»": "as_needed",
    "В соответствии с планами-графиками": "external",
    "один раз в год": "yearly",
    "до 01.12.2021": "deadline",
    # seed 003
    "июнь 2020 года": "month",
    "сентябрь 2020 года": "month",
    "октябрь 2020 года": "month",
    "октябрь-ноябрь 2020 года": "months",
    "ноябрь-декабрь, 2020 года": "months",
    "ноябрь 2020 года": "month",
    "ноябрь 2020": "month",
    "декабрь 2020 года": "month",
    "ноябрь –декабрь 2020 года": "months",
    "ноябрь - декабрь 2020 года": "months",
    "Январь, март, май 2021": "months",
    "апрель 2021 года": "month",
    "в соответствии с графиком проведения в 2020-2021 учебном году": "external",
    "июнь 2021 года": "month",
    "июль-август 2021 год": "months",
    # seed 004
    "июль-август": "months",
    "Август, ноябрь": "months",
    "октябрь": "month",
    "до 01 июля": "deadline",
    "Согласно графику": "external",
    "Регулярно, при подготовке к проведению оценочной процедуры": "external",
    "август 2021": "month",
    "по отдельному графику": "external",
    "Сентябрь": "month",
    "2022-2024 год": "period",
    "Ежегодно Сентябрь": "yearly",
    "апрель": "month",
    "По плану РМО": "external",
    "постоянно при проведении оценочных процедур": "external",
    "Ежегодно август- сентябрь": "yearly",
    "Ежегодно Ноябрь": "yearly",
    # excerpt 03 (the heading «I. Этап подготовки» carries a deadline of its own)
    "ноябрь 2012 – май 2013г.": "months",
}


@pytest.mark.parametrize(("text", "kind"), SEED_DEADLINES.items(), ids=list(SEED_DEADLINES))
def test_seed_deadline_kinds(text, kind):
    s = parse_schedule(text, context_year=2020)
    assert s.kind == kind
    assert s.parsed is (kind != "unparsed")


# ----------------------------------------------------------------------------------------------
# Details of the semantics
# ----------------------------------------------------------------------------------------------


def test_month_without_year_takes_the_context_year():
    s = parse_schedule("ноябрь", context_year=2020)
    assert s.month_spans == (MonthSpan(11, 11, 2020),)
    assert s.year_inferred
    assert s.occurrences(D(2019, 1, 1), D(2022, 12, 31)) == [occ(D(2020, 11, 1), D(2020, 11, 30))]


def test_month_without_any_year_repeats_every_year():
    s = parse_schedule("ноябрь")
    assert s.kind == "month"
    assert s.description == "ноябрь (год не указан)"
    assert [o.end for o in s.occurrences(D(2020, 1, 1), D(2021, 12, 31))] == [
        D(2020, 11, 30),
        D(2021, 11, 30),
    ]


def test_yearly_starts_in_the_context_year():
    s = parse_schedule("Февраль ежегодно", context_year=2021)
    assert s.year_from == 2021
    assert [o.start for o in s.occurrences(D(2019, 1, 1), D(2023, 12, 31))] == [
        D(2021, 2, 1),
        D(2022, 2, 1),
        D(2023, 2, 1),
    ]


def test_yearly_since_the_first_dated_month():
    s = parse_schedule("сентябрь 2020 г., апрель 2021 г., ежегодно")
    assert s.kind == "yearly"
    assert s.since == D(2020, 9, 1)
    assert s.months == (9, 4)
    got = s.occurrences(D(2020, 1, 1), D(2021, 12, 31))
    assert [o.start for o in got] == [D(2020, 9, 1), D(2021, 4, 1), D(2021, 9, 1)]


def test_every_other_year():
    s = parse_schedule("Январь 2022, далее один раз в два года")
    assert (s.kind, s.interval_years, s.since) == ("yearly", 2, D(2022, 1, 1))
    assert [o.end for o in s.occurrences(D(2020, 1, 1), D(2027, 12, 31))] == [
        D(2022, 1, 31),
        D(2024, 1, 31),
        D(2026, 1, 31),
    ]
    assert s.description == "раз в 2 года в январе, начиная с 2022 г."


def test_month_range_within_a_range_of_years_repeats_in_those_years():
    s = parse_schedule("февраль-декабрь., 2021-2022 гг.")
    assert (s.kind, s.year_from, s.year_to) == ("yearly", 2021, 2022)
    assert s.occurrences(D(2020, 1, 1), D(2024, 12, 31)) == [
        occ(D(2021, 2, 1), D(2021, 12, 31)),
        occ(D(2022, 2, 1), D(2022, 12, 31)),
    ]


def test_due_after_each_reporting_year():
    s = parse_schedule(
        "ежегодно по итогам отчетного периода (до 01 марта года, следующего за отчетным) "
        "2020-2022 г"
    )
    assert (s.kind, s.anchor, s.year_from, s.year_to) == (
        "school_year", "after_reporting", 2020, 2022,
    )
    assert s.occurrences(D(2019, 1, 1), D(2025, 12, 31)) == [
        occ(None, D(2021, 3, 1)),
        occ(None, D(2022, 3, 1)),
        occ(None, D(2023, 3, 1)),
    ]
    assert s.note == "по итогам отчетного периода"


def test_quarter_of_every_year():
    s = parse_schedule("ежегодно, 1 квартал", context_year=2021)
    assert (s.kind, s.quarters, s.year) == ("quarterly", (1,), None)
    assert s.description == "ежегодно, I квартал"
    assert s.occurrences(D(2021, 1, 1), D(2022, 12, 31)) == [
        occ(D(2021, 1, 1), D(2021, 3, 31)),
        occ(D(2022, 1, 1), D(2022, 3, 31)),
    ]


def test_yearly_from_a_quarter():
    s = parse_schedule("ежегодно, с 1 квартала 2021 г.")
    assert (s.kind, s.since) == ("yearly", D(2021, 1, 1))
    assert [o.end for o in s.occurrences(D(2019, 1, 1), D(2022, 12, 31))] == [
        D(2021, 12, 31),
        D(2022, 12, 31),
    ]


def test_yearly_with_a_qualifier_keeps_it_as_a_note():
    s = parse_schedule("Ежегодно\n\n(в соответствии с федеральным и региональным графиками)")
    assert s.kind == "yearly"
    assert s.note == "в соответствии с федеральным и региональным графиками"
    assert s.description == (
        "ежегодно (в течение календарного года; "
        "в соответствии с федеральным и региональным графиками)"
    )


def test_external_schedules_say_so_and_have_no_dates():
    for text in ("по отдельному графику", "В соответствии с планами-графиками",
                 "постоянно при проведении оценочных процедур"):
        s = parse_schedule(text)
        assert s.kind == "external"
        assert s.description.startswith("по внешнему графику")
        assert s.occurrences(D(2000, 1, 1), D(2100, 12, 31)) == []


def test_continuous_and_as_needed_have_no_dates():
    for text in ("постоянно", "в течение года", "В течение всего периода по плану мероприятий",
                 "По мере необходимости", "По факту выявления ОО, попавших в зону «риска»"):
        assert parse_schedule(text).occurrences(D(2000, 1, 1), D(2100, 12, 31)) == []


def test_deadline_without_year_takes_the_context_year():
    s = parse_schedule("до 01 июля", context_year=2022)
    assert (s.kind, s.dates) == ("deadline", (PartialDate(1, 7, 2022),))
    assert s.occurrences(D(2022, 1, 1), D(2024, 12, 31)) == [occ(None, D(2022, 7, 1))]


def test_school_year_named_explicitly():
    s = parse_schedule("в течение 2020-2021 учебного года")
    assert (s.kind, s.year) == ("school_year", 2020)
    assert s.occurrences(D(2019, 1, 1), D(2025, 1, 1)) == [occ(D(2020, 9, 1), D(2021, 5, 31))]


def test_other_forms():
    assert parse_schedule("I полугодие 2021").occurrences(D(2021, 1, 1), D(2021, 12, 31)) == [
        occ(D(2021, 1, 1), D(2021, 6, 30))
    ]
    assert parse_schedule("до конца 2021 года").occurrences(D(2021, 1, 1), D(2021, 12, 31)) == [
        occ(None, D(2021, 12, 31))
    ]
    assert parse_schedule("не позднее 1 сентября 2021 г.").kind == "deadline"
    assert parse_schedule("к началу учебного года").anchor == "by_start"
    assert parse_schedule("ежемесячно до 5 числа месяца, следующего за отчетным").day_of_month == 5


def test_month_end_in_leap_years_and_day_clamping():
    s = parse_schedule("до 25 числа каждого месяца")
    assert s.occurrences(D(2024, 2, 1), D(2024, 2, 29)) == [occ(None, D(2024, 2, 25))]
    feb = parse_schedule("февраль 2024")
    assert feb.occurrences(D(2024, 1, 1), D(2024, 12, 31)) == [occ(D(2024, 2, 1), D(2024, 2, 29))]


@pytest.mark.parametrize(
    "text",
    [
        "",
        ".",
        "Март 2021, 2021-2023",
        "1 раз в 3 года для каждого ОУ",
        "31.02.2021",
        "еженедельно",
        "по согласованию с директором",
        "2021-2090",
        "до мая",
        "ежегодно, по мере необходимости",
        "hello world",
    ],
)
def test_unparsed_is_kept_verbatim(text):
    s = parse_schedule(text)
    assert (s.kind, s.parsed, s.text) == ("unparsed", False, text)
    assert s.description == "срок не распознан"
    assert s.occurrences(D(1900, 1, 1), D(2100, 12, 31)) == []


def test_window_edges_are_inclusive_and_empty_when_reversed():
    s = parse_schedule("до 01.12.2021")
    assert s.occurrences(D(2021, 12, 1), D(2021, 12, 1)) == [occ(None, D(2021, 12, 1))]
    assert s.occurrences(D(2021, 12, 2), D(2021, 12, 31)) == []
    assert s.occurrences(D(2022, 1, 1), D(2021, 1, 1)) == []


def test_occurrences_at_the_ends_of_the_calendar():
    s = parse_schedule("ежемесячно")
    assert s.occurrences(D(1, 1, 1), D(1, 1, 31)) == [occ(D(1, 1, 1), D(1, 1, 31))]
    assert s.occurrences(D(9999, 12, 1), D(9999, 12, 31)) == []  # year 9999 is never expanded
    assert parse_schedule("ежегодно").occurrences(D(1, 1, 1), D(1, 12, 31)) == [
        occ(D(1, 1, 1), D(1, 12, 31))
    ]


def test_find_russian_date():
    assert find_russian_date("от 24 июня 2022 года № 512") == (D(2022, 6, 24), 3, 15)
    assert find_russian_date("от 03.12. 2020 № 368") == (D(2020, 12, 3), 3, 14)
    assert find_russian_date("без даты") is None


# ----------------------------------------------------------------------------------------------
# Serialisation
# ----------------------------------------------------------------------------------------------


def test_cli_json_has_exactly_the_agreed_shape():
    s = parse_schedule("ноябрь-декабрь 2020 года")
    out = schedule_to_cli_json(s, D(2020, 1, 1), D(2020, 12, 31))
    assert out == {
        "kind": "months",
        "parsed": True,
        "description": "ноябрь — декабрь 2020 г.",
        "occurrences": [{"start": "2020-11-01", "end": "2020-12-31"}],
    }
    deadline = schedule_to_cli_json(parse_schedule("до 01.12.2021"), D(2021, 1, 1), D(2021, 12, 31))
    assert deadline["occurrences"] == [{"start": None, "end": "2021-12-01"}]
    json.dumps(out, ensure_ascii=False)


def test_dict_is_stable_and_round_trips():
    s = parse_schedule("август 2020 г., ежегодно")
    data = schedule_to_dict(s)
    assert list(data) == [
        "version", "text", "kind", "parsed", "description", "dates", "month_spans", "quarters",
        "year", "year_from", "year_to", "since", "interval_years", "day_of_month", "anchor",
        "note", "year_inferred",
    ]
    assert data["since"] == "2020-08-01"
    assert schedule_from_dict(json.loads(json.dumps(data))) == s


@pytest.mark.parametrize(
    "bad",
    [{}, {"version": 99}, {"version": 1, "kind": "weekly", "text": "", "description": ""},
     {"version": 1, "kind": "month", "text": 5, "description": ""}],
)
def test_from_dict_rejects_foreign_layouts(bad):
    with pytest.raises(ValueError):
        schedule_from_dict(bad)


# ----------------------------------------------------------------------------------------------
# Properties
# ----------------------------------------------------------------------------------------------

PIECES = [
    "ежегодно", "ежеквартально", "ежемесячно", "постоянно", "в течение года", "январь",
    "май", "ноябрь", "декабрь", "ноябрь-декабрь", "сентябрь - май", "2020", "2021 года",
    "2020-2022 гг.", "до 01.12.2021", "до 1 марта", "15.03.2021", "III квартал", "1 квартал",
    "в течение учебного года", "по итогам учебного года", "по отдельному графику",
    "по мере необходимости", "с 2021 г.", "один раз в два года", "до 25 числа каждого месяца",
    "I полугодие", ",", "и", "(", ")", "далее", "до конца года", "xyz",
]
windows = st.tuples(
    st.dates(min_value=D(1990, 1, 1), max_value=D(2060, 12, 31)),
    st.integers(min_value=0, max_value=3000),
).map(lambda t: (t[0], date.fromordinal(min(t[0].toordinal() + t[1], D(2060, 12, 31).toordinal()))))


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_never_raises_on_any_text(text):
    s = parse_schedule(text)
    assert s.kind in KINDS
    assert s.text == text


@settings(max_examples=25, deadline=None)
@given(st.text(min_size=2000, max_size=5000), st.integers(min_value=-5, max_value=10000))
def test_never_raises_on_huge_text_or_odd_context(text, context_year):
    assert parse_schedule(text, context_year=context_year).kind in KINDS
    assert parse_schedule("ежегодно " * 500, context_year=context_year).kind in KINDS


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"[bcdfghjklmnpqrstvwxz]{2,10}( [bcdfghjklmnpqrstvwxz]{2,10}){0,4}",
                     fullmatch=True), windows)
def test_unknown_text_is_unparsed_without_occurrences(text, window):
    s = parse_schedule(text, context_year=2021)
    assert (s.kind, s.parsed, s.text) == ("unparsed", False, text)
    assert s.occurrences(*window) == []


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=4).map(" ".join),
       st.one_of(st.none(), st.integers(min_value=1990, max_value=2050)), windows)
def test_occurrences_are_inside_the_window_and_sorted(text, context_year, window):
    s = parse_schedule(text, context_year=context_year)
    got = s.occurrences(*window)
    start, end = window
    assert all(start <= o.end <= end for o in got)
    assert all(o.start is None or o.start <= o.end for o in got)
    assert got == sorted(got, key=lambda o: (o.end, o.start or o.end))
    assert len(got) == len(set(got))
    if not s.parsed:
        assert s.kind == "unparsed" and got == []
    assert schedule_from_dict(json.loads(json.dumps(schedule_to_dict(s)))) == s
