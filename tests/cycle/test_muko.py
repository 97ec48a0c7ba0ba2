"""The МУКО matrix on a fixture with known content: every cell and the score computed by hand.

The fixture holds cycle objects (a roadmap, recommendations, a measure, a decision, an
effectiveness analysis, an executed occurrence), one real import of ВПР results and one piece
of manual evidence. What the other areas would hold (indicators, their values, flags,
deficits, monitoring forms, analyses) is given by stubbing those probes, so the expected
figures do not depend on the other areas' reference data.
"""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from soko.cycle import muko
from soko.cycle.models import MukoAssessment
from soko.cycle.services import (
    decision_save,
    effectiveness_compute,
    effectiveness_request,
    item_update,
    measure_save,
    muko_evidence_add,
    muko_recompute,
    occurrence_set_status,
    recommendation_create,
    recommendation_decide,
    selfassessment,
)
from soko.cycle.services.selfassessment import PROBES
from tests.imports.builders import small_vpr

pytestmark = pytest.mark.django_db
REAL_PROBES = dict(PROBES)  # before any test puts stubs in their place

STUBS = {
    "indicators": {"results": 3, "objectivity": 1},
    "indicator_targets": {},
    "indicator_values": {},
    "indicator_years": {},
    "monitoring_forms": {},
    "flags": {},
    "deficits": {},
    "assessment_analyses": {},
    "area_analyses": {},
}


@pytest.fixture
def other_areas(monkeypatch):
    for name, counts in STUBS.items():
        def fake(ctx, direction, counts=counts, name=name):
            return [muko.Evidence(f"{name} {k}", "", name) for k in range(counts.get(direction, 0))]
        monkeypatch.setitem(PROBES, name, fake)


@pytest.fixture
def content(personas, authority_scope, small_roadmap, tmp_path, other_areas):
    from soko.imports.services import import_file

    import_file(small_vpr(tmp_path / "vpr.xlsx"))  # ВПР results: collection for results/ШНОР
    item = small_roadmap.items.get(number="1.2")
    item_update(item=item, scope=authority_scope, indicator_code="results.completion",
                target=65.0, target_year=2026)
    with time_machine.travel(date(2026, 3, 2)):
        occurrence_set_status(occurrence=item.occurrences.get(), scope=authority_scope,
                              status="done")
    rec = recommendation_create(scope=authority_scope, territory=personas.municipality,
                                title="Дефициты по математике", text="…", direction="results",
                                addressee="municipality")
    recommendation_decide(rec=rec, scope=authority_scope, decision="approve")
    recommendation_create(scope=authority_scope, territory=personas.municipality,
                          title="Наблюдатели", text="…", direction="objectivity",
                          addressee="organization", organization=personas.school_b)
    from soko.registry.services import organization_create

    third = organization_create(code="sch990003", name="МБОУ «СОШ № 3»", short_name="СОШ № 3",
                                territory=personas.municipality, kind="school",
                                org_type="СОШ", settlement="urban")
    targeted = [personas.school_a, personas.school_b, third]
    measure = measure_save(scope=authority_scope, territory=personas.municipality,
                           title="Семинары по дефицитам", direction="results",
                           start_date=date(2024, 9, 1), organizations=targeted,
                           recommendations=[rec])
    decision_save(scope=authority_scope, territory=personas.municipality, kind="приказ",
                  number="7", date=date(2024, 8, 30), title="О семинарах", direction="results",
                  measures=[measure])
    # 3 targeted and 5 other schools (the comparison group need not be in the registry here)
    orgs = [o.pk for o in targeted] + [10_000 + k for k in range(5)]
    panel = {org: {2024: 50.0 + k, 2025: 52.0 + k + (3 if k < 3 else 0) + 0.1 * (k % 2)}
             for k, org in enumerate(orgs)}
    analysis = effectiveness_request(measure=measure, indicator_code="results.completion")
    assert effectiveness_compute(analysis, panel=panel).status == "ok"
    muko_evidence_add(scope=authority_scope, territory=personas.municipality,
                      direction="preschool", step="goals",
                      title="Программа развития дошкольного образования",
                      url="https://example.org/preschool-plan.pdf")
    return personas


def cells(matrix: dict, direction: str) -> dict[str, tuple[int, int]]:
    row = next(d for d in matrix["directions"] if d["direction"] == direction)
    return {step: (c["points"], c["max_points"]) for step, c in row["cells"].items()}


def test_matrix_cells_and_score_by_hand(content):
    (stored,) = muko_recompute(territory=content.municipality)
    m = stored.matrix
    assert cells(m, "results") == {
        "goals": (2, 2), "indicators": (2, 2), "methods": (1, 1), "monitoring": (0, 2),
        "analysis": (0, 1), "recommendations": (2, 2), "measures": (2, 2),
        "decisions": (2, 2), "effectiveness": (2, 2),
    }
    results = next(d for d in m["directions"] if d["direction"] == "results")
    assert (results["points"], results["max_points"], results["percent"]) == (13, 16, 81.2)
    assert results["level"] == "высокий"
    assert not results["complete_cycle"]
    assert results["missing_steps"] == ["monitoring", "analysis"]
    low = next(d for d in m["directions"] if d["direction"] == "low_results")
    assert (low["points"], low["level"]) == (1, "дефицитный")  # the ВПР import only
    objectivity = next(d for d in m["directions"] if d["direction"] == "objectivity")
    assert cells(m, "objectivity")["indicators"] == (1, 2)
    assert cells(m, "objectivity")["recommendations"] == (1, 2)  # a draft, not approved
    assert objectivity["points"] == 2
    assert cells(m, "preschool")["goals"] == (2, 2)  # manual evidence meets both criteria
    assert (m["points"], m["max_points"]) == (13 + 1 + 2 + 2, 144)
    assert (stored.points, stored.percent, stored.level) == (18, 12.5, "дефицитный")
    # evidence links of a cell
    goals = next(c for c in m["directions"][0]["cells"]["goals"]["criteria"]
                 if c["code"] == "goals.roadmap")
    assert goals["met"] and goals["evidence"][0]["url"].startswith("/cycle/roadmaps/")
    assert "приказ" in goals["evidence"][0]["title"]
    # the to-do list names the missing steps, per direction
    todo = [(t["direction"], t["criterion"]) for t in m["todo"]]
    assert ("results", "monitoring.values") in todo
    assert ("results", "goals.roadmap") not in todo
    assert len(todo) == 16 * 9 - sum(
        1 for d in m["directions"] for c in d["cells"].values() for x in c["criteria"]
        if x["met"]
    )
    assert m["source"]["code"] == "cycle-muko-system"
    assert m["source"]["kind"] == "system"


def test_matrix_is_stored_once_per_year(content):
    muko_recompute(territory=content.municipality)
    muko_recompute(territory=content.municipality)
    assert MukoAssessment.objects.filter(territory=content.municipality).count() == 1


def test_an_import_recomputes_the_municipality_it_touched(personas, tmp_path, other_areas):
    from soko.imports.services import import_file

    import_file(small_vpr(tmp_path / "vpr.xlsx"))  # results of sch990001 (Тестовый округ)
    computed = set(MukoAssessment.objects.values_list("territory__code", flat=True))
    assert computed == {"9901"}
    row = next(d for d in MukoAssessment.objects.get().matrix["directions"]
               if d["direction"] == "results")
    assert row["cells"]["methods"]["points"] == 1  # the import is the collection method


def test_a_probe_skipped_by_its_gate_would_have_found_nothing(content, monkeypatch):
    """With the real probes of every area on the fixture's content (its import ran the other
    areas' computations), the evidence is the same whether the gates skip probes or not, and
    the gates save most of the queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(selfassessment, "PROBES", REAL_PROBES)
    criteria = selfassessment.load_criteria()
    gated_probes = {name for name, fn in REAL_PROBES.items() if fn in selfassessment.GATES}
    assert len(gated_probes) >= 15
    for territory in (content.municipality, content.region):
        with CaptureQueriesContext(connection) as gated_queries:
            gated = selfassessment.collect_evidence(territory, criteria)
        with monkeypatch.context() as m:
            m.setattr(selfassessment, "GATES", {})
            with CaptureQueriesContext(connection) as all_queries:
                ungated = selfassessment.collect_evidence(territory, criteria)
        assert gated == ungated
        found = {name for (_direction, name), pieces in gated.items() if pieces}
        assert {"roadmap_items", "recommendations", "measures", "decisions", "imports",
                "effectiveness", "items_done"} <= found, found
        assert len(gated_queries) * 2 < len(all_queries)
