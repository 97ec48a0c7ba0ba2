"""The Rosobrnadzor 30 % rule on a hand-built fixture: exactly 30 % counts, 29 % does not; two
procedures this year; the same procedure in the previous year; small works do not count."""

from __future__ import annotations

import pytest

from soko.risks.lowresults import RuleParams, rule_30pct

pytestmark = pytest.mark.core

RU4 = ("ВПР", "РУ", 4)
MA4 = ("ВПР", "МА", 4)
RU5 = ("ВПР", "РУ", 5)
P = RuleParams(share=0.30, min_procedures=2, consecutive_years=2, min_participants=10)


def test_exactly_thirty_percent_in_two_works_two_years_fires() -> None:
    counts = {
        (1, 2025): {RU4: (20, 6), MA4: (10, 3)},          # 30 % and 30 %
        (1, 2026): {RU4: (20, 6), MA4: (100, 30)},        # again, both exactly 30 %
    }
    res = rule_30pct(counts, P)
    assert res[(1, 2026)].fired
    assert res[(1, 2026)].failing == [MA4, RU4]
    assert res[(1, 2026)].repeated == [MA4, RU4]
    assert not res[(1, 2025)].fired  # no 2024 data: «два года подряд» cannot hold yet


def test_twenty_nine_percent_does_not_count() -> None:
    counts = {
        (2, 2025): {RU4: (100, 29), MA4: (100, 40)},
        (2, 2026): {RU4: (100, 29), MA4: (100, 40)},
    }
    res = rule_30pct(counts, P)[(2, 2026)]
    assert not res.fired
    assert res.failing == [MA4]  # only one procedure this year


def test_two_procedures_now_but_none_repeated() -> None:
    counts = {
        (3, 2025): {RU5: (30, 12)},
        (3, 2026): {RU4: (30, 12), MA4: (30, 12)},
    }
    assert not rule_30pct(counts, P)[(3, 2026)].fired


def test_repeated_in_one_work_is_enough() -> None:
    counts = {
        (4, 2025): {RU4: (30, 12), MA4: (30, 3)},
        (4, 2026): {RU4: (30, 12), MA4: (30, 12)},
    }
    res = rule_30pct(counts, P)[(4, 2026)]
    assert res.fired and res.repeated == [RU4]


def test_works_below_minimum_participants_do_not_count() -> None:
    counts = {
        (5, 2025): {RU4: (9, 9), MA4: (9, 9)},
        (5, 2026): {RU4: (9, 9), MA4: (40, 20)},
    }
    res = rule_30pct(counts, P)[(5, 2026)]
    assert not res.fired
    assert [w["counted"] for w in res.works] == [True, False]  # МА 40 counted, РУ 9 not


def test_three_consecutive_years_parameter() -> None:
    p3 = RuleParams(share=0.30, min_procedures=2, consecutive_years=3, min_participants=10)
    counts = {
        (6, 2024): {RU4: (20, 10)},
        (6, 2025): {RU4: (20, 10)},
        (6, 2026): {RU4: (20, 10), MA4: (20, 10)},
    }
    assert rule_30pct(counts, p3)[(6, 2026)].fired
    del counts[(6, 2024)]
    assert not rule_30pct(counts, p3)[(6, 2026)].fired
