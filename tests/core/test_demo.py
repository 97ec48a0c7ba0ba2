"""`soko demo` builds a ready instance from nothing through the real import path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.slow


def test_the_demo_builds_a_municipality_and_the_cli_reads_it(new_instance) -> None:
    # A smaller municipality than the default 25 schools keeps the two test runs within the CI
    # budget; the default run is timed by benchmarks/reports.py (it builds the demo first).
    schools = 8 if settings.SOKO.database_engine == "sqlite" else 6
    demo = new_instance("demo")
    report = json.loads(
        demo.soko("demo", "--schools", str(schools), "--seed", "1", "--no-serve", "--json",
                  timeout=900).stdout
    )
    assert report["schools"] == schools and report["files"] > 50 and report["rows"] > 10_000
    assert {u["username"] for u in report["users"]} == {"region", "uo", "metod", "school"}
    orgs = json.loads(demo.soko("orgs", "list", "--json").stdout)
    # the schools of the generator, and the kindergartens the monitoring forms are sent to
    assert len([o for o in orgs if o["kind"] == "school"]) == schools
    assert {o["kind"] for o in orgs} == {"school", "preschool"}
    assert all(o["territory"]["name"] and o["region"]["name"] for o in orgs)
    catalog = json.loads(demo.soko("catalog", "list", "--json").stdout)
    procedures = {a["procedure"] for a in catalog if a["tasks"] and a["scale"]}
    assert {"ВПР", "ОГЭ", "ЕГЭ"} <= procedures
    for work in catalog:
        if work["scale"]:
            assert work["scale"]["source"]["kind_label"]
    truth = json.loads(Path(report["truth_file"]).read_text(encoding="utf-8"))
    assert truth["planted"]["low_results"]
    again = json.loads(demo.soko("demo", "--schools", str(schools), "--seed", "1",
                                 "--no-serve", "--json").stdout)
    assert again["reused"] is True

    # Issue «Indicators»: after the demo every direction has computed indicators — except
    # preschool education, whose indicators come only from monitoring forms of kindergartens —
    # and the target of seed 003 (приказ № 512) is tracked with a status.
    computed = json.loads(demo.python(INDICATORS).stdout.strip().splitlines()[-1])
    assert set(computed["directions"]) >= set(computed["all_directions"]) - {"preschool"}
    assert {2024, 2025, 2026} <= set(computed["years"])
    assert [t[0] for t in computed["targets"]] == [2024, 2025, 2026]
    assert all(t[1] in {"achieved", "not_achieved"} and t[2] == "512"
               for t in computed["targets"]), computed["targets"]


INDICATORS = """
import json
import django
django.setup()
from soko.indicators.models import Direction, IndicatorValue, Target
values = IndicatorValue.objects.filter(value__isnull=False)
targets = Target.objects.filter(indicator__code="low_results.shnor_share").order_by("year")
print(json.dumps({
    "directions": sorted(set(values.values_list("indicator__direction", flat=True))),
    "all_directions": [d.value for d in Direction],
    "years": sorted(set(IndicatorValue.objects.values_list("year", flat=True))),
    "targets": [[t.year, t.status, t.document_number] for t in targets],
}))
"""
