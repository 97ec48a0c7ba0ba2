"""The demonstration content of the cycle, and its МУКО matrix checked against what the
instance holds (each cell recounted independently from the cycle's own tables)."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.db.models import Q

from soko.cycle import muko
from soko.cycle.directions import DIRECTION_CODES
from soko.cycle.models import (
    Decision,
    EffectivenessAnalysis,
    ItemOccurrence,
    Measure,
    MukoAssessment,
    Recommendation,
    Roadmap,
    RoadmapItem,
)
from soko.cycle.services import seed_demo_cycle
from soko.cycle.services.selfassessment import PROBES

pytestmark = pytest.mark.django_db

OTHER_AREAS = ("indicators", "indicator_targets", "indicator_values", "indicator_years",
               "monitoring_forms", "flags", "deficits", "assessment_analyses", "area_analyses")


@pytest.fixture
def demo(personas, monkeypatch):
    for name in OTHER_AREAS:  # the other areas hold nothing in this fixture
        monkeypatch.setitem(PROBES, name, lambda ctx, direction: [])
    with time_machine.travel(date(2026, 11, 22)):
        summary = seed_demo_cycle()
    return personas, summary


def test_seed_demo_cycle_content(demo):
    _, summary = demo
    assert summary["territory"] == "Тестовый округ"
    assert [r["items"] for r in summary["roadmaps"]] == [38, 102, 51, 27, 41, 12]
    assert Roadmap.objects.filter(status="completed").count() == 5  # periods ended by 2024
    assert not ItemOccurrence.objects.filter(due__lt=date(2025, 1, 1)).exclude(
        status__in=["done", "cancelled"]).exists()
    current = Roadmap.objects.get(title__contains="2025–2027")
    quarterly = current.items.get(number="1.3")
    states = sorted(quarterly.occurrences.filter(reports__isnull=False)
                    .values_list("reports__state", flat=True))
    assert states.count("accepted") >= 1 and "submitted" in states
    assert current.items.get(number="4.3").schedule_kind == "unparsed"  # kept, not guessed
    assert (summary["measures"], summary["decisions"]) == (3, 2)
    assert summary["analyses"] == []  # no indicator values in this fixture: nothing to claim
    assert seed_demo_cycle()["reused"] is True


def test_demo_matrix_matches_what_the_instance_holds(demo):
    personas, _ = demo
    stored = MukoAssessment.objects.get(territory=personas.municipality)
    rows = {d["direction"]: d for d in stored.matrix["directions"]}
    active = ~Q(roadmap__status__in=["draft", "archived"])
    for direction in DIRECTION_CODES:
        cells = rows[direction]["cells"]

        def met(step: str, code: str, cells: dict = cells) -> bool:
            return bool(next(c["met"] for c in cells[step]["criteria"] if c["code"] == code))

        items = RoadmapItem.objects.filter(active, direction=direction, is_cancelled=False)
        approved = Roadmap.objects.exclude(doc_number="").exclude(
            status__in=["draft", "archived"]).filter(
            Q(direction=direction) | Q(items__direction=direction)).exists()
        assert met("goals", "goals.roadmap") == approved, direction
        assert met("measures", "measures.planned") == (
            items.exists() or Measure.objects.filter(direction=direction).exists()), direction
        assert met("measures", "measures.done") == ItemOccurrence.objects.filter(
            status="done", item__direction=direction).exists(), direction
        recs = Recommendation.objects.filter(direction=direction).exclude(status="rejected")
        assert met("recommendations", "recommendations.made") == recs.exists(), direction
        assert met("decisions", "decisions.taken") == Decision.objects.filter(
            direction=direction).exists(), direction
        assert met("effectiveness", "effectiveness.analysed") == EffectivenessAnalysis.objects \
            .filter(measure__direction=direction).exclude(status="pending").exists(), direction
        assert met("indicators", "indicators.defined") is False  # nothing from other areas
        points = sum(c["points"] for c in cells.values())
        assert rows[direction]["points"] == points
        assert rows[direction]["percent"] == round(100 * points / 16, 1)
    assert stored.matrix["source"]["code"] == "cycle-muko-system"
    # every direction has approved roadmaps (the seeds cover all nine) and executed items
    assert all(rows[d]["cells"]["goals"]["points"] >= 1 for d in DIRECTION_CODES)
    assert rows["low_results"]["cells"]["decisions"]["points"] == 2  # приказ 45-од ↔ мера
    assert muko.MANUAL == "manual"
