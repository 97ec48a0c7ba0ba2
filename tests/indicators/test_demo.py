"""After ``soko demo`` (a few schools through the real import path), every direction has
computed indicators — except preschool education, whose indicators come only from the
monitoring forms of the monitoring area — and the target of seed 003 has a status."""

from __future__ import annotations

import pytest

from soko.indicators.models import Direction, IndicatorValue, TargetStatus
from soko.indicators.services import seed_demo_targets

pytestmark = [pytest.mark.django_db(transaction=False), pytest.mark.slow]

FROM_FORMS_ONLY = {"preschool"}


def test_demo_computes_every_direction_and_tracks_the_seed_003_target() -> None:
    from soko.demo.services import demo_build

    report = demo_build(schools=6, seed=3)
    assert report.files > 10
    directions = set(
        IndicatorValue.objects.filter(value__isnull=False)
        .values_list("indicator__direction", flat=True)
        .distinct()
    )
    assert directions >= {d.value for d in Direction} - FROM_FORMS_ONLY, sorted(directions)
    years = set(IndicatorValue.objects.values_list("year", flat=True).distinct())
    assert {2024, 2025, 2026} <= years
    targets = [t for t in seed_demo_targets() if t.indicator.code == "low_results.shnor_share"]
    assert [t.year for t in sorted(targets, key=lambda t: t.year)] == [2024, 2025, 2026]
    assert all(t.status in {TargetStatus.ACHIEVED, TargetStatus.NOT_ACHIEVED} for t in targets)
    assert all(t.document_number == "512" for t in targets)
