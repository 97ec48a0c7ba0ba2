"""The command line: soko indicators list / values / check, soko compute."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings

from soko.cli import main
from tests.indicators import fixture

pytestmark = pytest.mark.django_db


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_gives_code_name_direction_and_source(catalog: None, capsys: Any) -> None:
    code, out, _ = run(capsys, "indicators", "list", "--json")
    assert code == 0
    items = {i["code"]: i for i in json.loads(out)}
    share2 = items["results.vpr_share2"]
    assert share2["direction"] == "results" and share2["name"].startswith("Доля участников ВПР")
    assert share2["source"] == "seed-003-yurga-low-results"
    assert {i["direction"] for i in items.values()} <= {
        "results",
        "low_results",
        "talents",
        "career",
        "objectivity",
        "leaders",
        "teachers",
        "upbringing",
        "preschool",
    }
    code, out, _ = run(capsys, "indicators", "list", "--direction", "talents")
    assert code == 0 and "talents.vsosh_participants_school" in out and "results." not in out


def test_compute_then_values(personas: Any, capsys: Any) -> None:
    with fixture.fake_flags():
        fixture.build(personas)
        code, out, _ = run(capsys, "compute", "--year", "2026", "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["years"] == [2026] and summary["values"] > 100
    assert summary["engine"] == settings.SOKO.warehouse
    code, out, _ = run(
        capsys,
        "indicators",
        "values",
        "results.vpr_share2",
        "--year",
        "2026",
        "--org",
        "sch990001",
        "--json",
    )
    assert code == 0
    rows = json.loads(out)["values"]
    assert len(rows) == 1 and rows[0]["value"] == pytest.approx(100 * 7 / 22)
    code, out, _ = run(capsys, "indicators", "values", "results.vpr_share2", "--year", "2026")
    assert code == 0 and "[9901]" in out and "31.82" in out
    code, out, _ = run(
        capsys,
        "indicators",
        "values",
        "results.vpr_share2",
        "--breakdown",
        "*",
        "--org",
        "sch990001",
        "--json",
    )
    assert {r["breakdown"].get("subject") for r in json.loads(out)["values"]} == {None, "МА", "РУ"}


def test_values_of_an_unknown_indicator_is_an_error(catalog: None, capsys: Any) -> None:
    code, _, err = run(capsys, "indicators", "values", "results.nothing")
    assert code == 1 and "не найден" in err


def test_check_reports_the_column(catalog: None, capsys: Any) -> None:
    code, _, err = run(capsys, "indicators", "check", "count(result where mark = 2 and)")
    assert code == 1 and "Столбец 32" in err and "^" in err
    code, out, _ = run(capsys, "indicators", "check", "count(result where mark = 2)")
    assert code == 0 and "Формула верна" in out
