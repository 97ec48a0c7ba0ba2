"""``soko analyze``, ``soko flags list|review`` and ``soko recheck`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from soko.cli import main

pytestmark = pytest.mark.django_db


def run_json(capsys, argv: list[str]):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_analyze_then_flags_list(rule_world, capsys) -> None:
    out = run_json(capsys, ["analyze", "--json"])
    assert out["risks"]["years"] == [2025, 2026]
    assert out["risks"]["flags"]["low_results"] == 1
    assert "analyses" in out
    flags = run_json(capsys, ["flags", "list", "--kind", "low_results", "--json"])
    assert len(flags) == 1
    f = flags[0]
    assert (f["org_code"], f["year"], f["rules"], f["status"], f["persistent"]) == (
        "sch990001", 2026, ["rule_30pct"], "open", False
    )
    assert f["procedure"] is None and f["subject"] is None and f["grade"] is None
    works = f["values"]["rule_30pct"]["works"]
    assert {w["label"]: (w["n"], w["n2"]) for w in works} == {
        "ВПР МА 4 кл.": (10, 3), "ВПР РУ 4 кл.": (10, 3)
    }
    assert f["thresholds"]["low_results.rule_30pct.share"] == {
        "value": 0.3, "source": "rosobrnadzor-risk-indicator-1336"
    }
    objectivity = run_json(capsys, ["flags", "list", "--kind", "objectivity", "--year", "2026",
                                    "--json"])
    # СОШ № 3: every pupil «4» in the ВПР and «4» in the journal while the region has 76 % of
    # «4»+«5» — «suspicious agreement» (M3); the object names the work, markers and values
    assert {(o["org_code"], o["procedure"], o["subject"], o["grade"]) for o in objectivity} == {
        ("sch990003", "ВПР", "РУ", 4), ("sch990003", "ВПР", "МА", 4)
    }
    for o in objectivity:
        assert o["markers"] == ["M3"]
        m3 = o["values"]["M3"]
        assert (m3["share_equal"], m3["share_4_5"], m3["reasons"]) == (1.0, 1.0, ["equal"])
        assert m3["alpha"] == 1e-05 and m3["n"] == 12
    reviewed = run_json(capsys, ["flags", "review", "--id", str(f["id"]), "--status",
                                 "dismissed", "--comment", "проверено", "--user", "uo",
                                 "--json"])
    assert reviewed["status"] == "dismissed" and reviewed["review_comment"] == "проверено"


def test_recheck_commands(rule_world, capsys, tmp_path: Path) -> None:
    from soko.catalog.models import Assessment

    a = Assessment.objects.get(procedure__code="ВПР", subject__code="РУ", grade=4, year=2026)
    made = run_json(capsys, ["recheck", "sample", "--assessment", str(a.pk), "--size", "5",
                             "--method", "random", "--seed", "4", "--json"])
    assert made["works"] == 5 and made["by_reason"] == {"random": 5, "risk": 0}
    out = tmp_path / "t.xlsx"
    assert main(["recheck", "template", "--sample", str(made["sample"]), "--out", str(out)]) == 0
    capsys.readouterr()
    loaded = run_json(capsys, ["recheck", "load", "--sample", str(made["sample"]), str(out),
                               "--json"])
    assert loaded == {"saved": 0, "skipped": 5}
    listing = run_json(capsys, ["recheck", "list", "--json"])
    assert listing[0]["works"] == 5 and listing[0]["checked"] == 0
