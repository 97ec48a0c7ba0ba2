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
    schools = 10 if settings.SOKO.database_engine == "sqlite" else 6
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
