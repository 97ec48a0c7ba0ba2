"""Targets: status from the values (achieved / not achieved / at risk / on track / no data),
the document that set them, the demo targets of seed 003."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from soko.accounts.scope import scope_for_user
from soko.core.errors import ApplicationError
from soko.indicators.models import Indicator, IndicatorValue, TargetStatus
from soko.indicators.services import (
    SEED_003_DOCUMENT,
    seed_demo_targets,
    target_set,
    target_status,
    targets_evaluate,
)


@pytest.mark.core
@pytest.mark.parametrize(
    ("year", "target", "polarity", "observed", "status", "projected"),
    [
        (2026, 10.0, "lower_better", {2026: 9.5}, "achieved", None),
        (2026, 10.0, "lower_better", {2026: 10.0}, "achieved", None),
        (2026, 10.0, "lower_better", {2026: 12.0}, "not_achieved", None),
        (2026, 60.0, "higher_better", {2026: 59.9}, "not_achieved", None),
        # falling by 4 points a year from 20: 2027 → 12, target 10 not reached: at risk
        (2027, 10.0, "lower_better", {2025: 20.0, 2026: 16.0}, "at_risk", 12.0),
        # falling by 4 points a year: 2028 → 8 ≤ 10 — on track
        (2028, 10.0, "lower_better", {2025: 20.0, 2026: 16.0}, "on_track", 8.0),
        # one value only: its own level is the projection
        (2027, 50.0, "higher_better", {2026: 55.0}, "on_track", 55.0),
        (2027, 60.0, "higher_better", {2026: 55.0}, "at_risk", 55.0),
        (2027, 60.0, "higher_better", {}, "no_data", None),
        # a past year without a value while later years have one
        (2025, 60.0, "higher_better", {2026: 70.0}, "no_data", None),
    ],
)
def test_target_status(
    year: int,
    target: float,
    polarity: str,
    observed: dict[int, float],
    status: str,
    projected: float | None,
) -> None:
    got, actual, proj, note = target_status(year, target, polarity, observed, trend_years=2)
    assert got == status
    assert proj == (None if projected is None else pytest.approx(projected))
    if status in ("achieved", "not_achieved"):
        assert actual == observed[year]
    assert note


def _value(ind: Indicator, territory: Any, year: int, value: float | None) -> None:
    IndicatorValue.objects.create(indicator=ind, territory=territory, year=year, value=value, n=100)


@pytest.mark.django_db
def test_a_target_keeps_its_document_and_is_evaluated(personas: Any) -> None:
    ind = Indicator.objects.get(code="results.vpr_share2")
    _value(ind, personas.municipality, 2025, 20.0)
    _value(ind, personas.municipality, 2026, 16.0)
    scope = scope_for_user(personas.authority)
    target = target_set(
        indicator=ind,
        year=2026,
        value=15.0,
        territory=personas.municipality,
        document_number="12-од",
        document_date=dt.date(2025, 9, 1),
        document_title="Приказ УО о целевых показателях",
        scope=scope,
    )
    assert target.status == TargetStatus.NOT_ACHIEVED and target.actual_value == 16.0
    future = target_set(
        indicator=ind, year=2027, value=15.0, territory=personas.municipality, scope=scope
    )
    assert future.status == TargetStatus.ON_TRACK and future.projected_value == pytest.approx(12.0)
    # a new value changes the status at the next evaluation
    IndicatorValue.objects.filter(indicator=ind, year=2026).update(value=14.0)
    assert targets_evaluate(indicator_ids=[ind.pk]) >= 1
    target.refresh_from_db()
    assert target.status == TargetStatus.ACHIEVED and target.document_number == "12-од"


@pytest.mark.django_db
def test_only_the_authority_sets_targets_within_its_territory(personas: Any) -> None:
    ind = Indicator.objects.get(code="results.vpr_share2")
    with pytest.raises(ApplicationError):
        target_set(
            indicator=ind,
            year=2026,
            value=1.0,
            organization=personas.school_a,
            scope=scope_for_user(personas.user_a),
        )
    with pytest.raises(ApplicationError):
        target_set(
            indicator=ind,
            year=2026,
            value=1.0,
            organization=personas.school_far,
            scope=scope_for_user(personas.authority),
        )
    with pytest.raises(ApplicationError):
        target_set(indicator=ind, year=2026, value=1.0, scope=scope_for_user(personas.authority))


@pytest.mark.django_db
def test_seed_003_target_goes_to_the_demo_municipality(personas: Any) -> None:
    shnor, _ = Indicator.objects.get_or_create(  # shipped by the risks area
        code="low_results.shnor_share",
        defaults={
            "name": "Доля ШНОР",
            "direction": "low_results",
            "aggregation": "orgs_share",
            "condition": "flags.low_results > 0",
            "polarity": "lower_better",
            "source": Indicator.objects.first().source,
        },
    )
    _value(shnor, personas.municipality, 2024, 8.0)
    _value(shnor, personas.municipality, 2025, 8.0)
    _value(shnor, personas.municipality, 2026, 4.0)
    share2 = Indicator.objects.get(code="results.vpr_share2")
    _value(share2, personas.municipality, 2024, 20.0)
    targets = seed_demo_targets()
    seed = sorted((t for t in targets if t.indicator_id == shnor.pk), key=lambda t: t.year)
    assert [(t.year, t.value) for t in seed] == [(2024, 16.0), (2025, 8.0), (2026, 0.0)]
    assert all(t.territory == personas.municipality for t in seed)
    assert all(
        t.document_number == "512"
        and t.document_date == dt.date(2020, 11, 26)
        and t.document_title == SEED_003_DOCUMENT
        for t in seed
    )
    assert [t.status for t in seed] == ["achieved", "achieved", "not_achieved"]
    others = [t for t in targets if t.indicator_id == share2.pk]
    assert sorted((t.year, t.value) for t in others) == [(2026, 18.0), (2027, 17.0)]
    assert all("не является реальным документом" in t.document_title for t in others)
