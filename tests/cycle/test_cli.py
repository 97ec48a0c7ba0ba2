"""The command line: soko schedule parse (no database), soko roadmap import | list | due |
remind | export, soko muko."""

from __future__ import annotations

import json
from datetime import date

import pytest

from soko.cli import main
from tests.cycle.conftest import EXCERPTS, seed


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_schedule_parse_json_window(capsys):
    code, out, _ = run(capsys, "schedule", "parse", "Февраль ежегодно", "--from", "2025-01-01",
                       "--to", "2026-12-31", "--json")
    assert code == 0
    assert json.loads(out) == {
        "kind": "yearly",
        "parsed": True,
        "description": "ежегодно в феврале",
        "occurrences": [{"start": "2025-02-01", "end": "2025-02-28"},
                        {"start": "2026-02-01", "end": "2026-02-28"}],
    }


def test_schedule_parse_deadline_and_unknown_text(capsys):
    _, out, _ = run(capsys, "schedule", "parse", "до 01.12.2021", "--from", "2021-01-01",
                    "--to", "2021-12-31", "--json")
    assert json.loads(out)["occurrences"] == [{"start": None, "end": "2021-12-01"}]
    _, out, _ = run(capsys, "schedule", "parse", "когда-нибудь потом", "--json")
    data = json.loads(out)
    assert (data["kind"], data["parsed"], data["occurrences"]) == ("unparsed", False, [])
    code, out, _ = run(capsys, "schedule", "parse", "ежеквартально", "--from", "2026-01-01",
                       "--to", "2026-06-30")
    assert code == 0
    assert "Вид: quarterly" in out and "01.04.2026 – 30.06.2026" in out
    _, out, _ = run(capsys, "schedule", "parse", "ноябрь 2020 года, ежегодно", "--from",
                    "2020-01-01", "--to", "2020-12-31")
    assert "01.11.2020 – 30.11.2020" in out


def test_schedule_parse_needs_no_database(capsys, monkeypatch):
    def no_db(*args, **kwargs):
        raise AssertionError("the database was touched")

    monkeypatch.setattr("soko.cli._check_database", no_db)
    code, out, _ = run(capsys, "schedule", "parse", "постоянно", "--json")
    assert code == 0 and json.loads(out)["kind"] == "continuous"


@pytest.mark.django_db
def test_roadmap_import_lists_sections_items_and_schedules(capsys, personas):
    code, _, err = run(capsys, "roadmap", "import", str(seed("003")))
    assert code == 1 and "Муниципалитетов несколько; укажите --territory КОД" in err
    code, out, err = run(capsys, "roadmap", "import", str(seed("003")), "--territory", "9901",
                         "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["status"] == "imported" and data["territory"] == "Тестовый округ"
    assert data["approving_document"] == {"kind": "приказ", "number": "512",
                                          "date": "2020-11-26"}
    assert data["period"] == [2020, 2021] and data["items_total"] == 27
    (section,) = data["sections"]
    assert len(section["items"]) == 27
    first = section["items"][0]
    assert first["schedule"]["kind"] == "month" and first["schedule"]["parsed"]
    assert first["schedule"]["due"]
    assert first["responsible_canonical"]
    code, out, _ = run(capsys, "roadmap", "import", str(seed("003")), "--territory", "9901",
                       "--json")
    assert json.loads(out)["status"] == "unchanged"
    code, out, _ = run(capsys, "roadmap", "import", str(seed("000")), "--territory", "9901")
    assert code == 0
    assert "Загружено: План мероприятий (дорожная карта)" in out
    assert "срок: «Март 2021, 2021-2023» → срок не распознан  [срок не распознан" in out


@pytest.mark.django_db
def test_roadmap_import_refuses_a_document_without_a_table(capsys, personas):
    code, _, err = run(capsys, "roadmap", "import",
                       str(EXCERPTS / "06-rosobrnadzor-08-70-2021-municipal-monitoring.txt"),
                       "--territory", "9901")
    assert code == 1 and "дорожная карта не найдена" in err


@pytest.mark.django_db
def test_roadmap_list_due_remind_and_export(capsys, small_roadmap, tmp_path):
    _, out, _ = run(capsys, "roadmap", "list", "--json")
    (row,) = json.loads(out)
    assert (row["items"], row["period"], row["approving_document"]) == (4, [2026, 2026],
                                                                        "приказ № 5")
    _, out, _ = run(capsys, "roadmap", "due", "--days", "10", "--today", "2026-02-23",
                    "--json")
    data = json.loads(out)
    assert [(r["number"], r["end"], r["days_left"]) for r in data["due"]] == [
        ("1.3", "2026-02-28", 5), ("1.2", "2026-03-01", 6),
    ]
    assert data["overdue"] == []
    _, out, _ = run(capsys, "roadmap", "due", "--days", "0", "--today", "2026-04-01",
                    "--json")
    assert [r["number"] for r in json.loads(out)["overdue"]] == ["1.3", "1.2", "1.1"]
    _, out, _ = run(capsys, "roadmap", "remind", "--today", "2026-02-23", "--json")
    first = json.loads(out)
    assert first["deadline"] == 2 and first["digests"] == 1
    _, out, _ = run(capsys, "roadmap", "remind", "--today", "2026-02-23", "--json")
    assert json.loads(out)["deadline"] == 0  # idempotent
    target = tmp_path / "plan.docx"
    code, out, _ = run(capsys, "roadmap", "export", str(small_roadmap.pk), "-o", str(target))
    assert code == 0 and target.stat().st_size > 0
    from soko.lib.roadmap_tables import parse_roadmap

    back = parse_roadmap(target)
    assert [i.number for i in back.items] == ["1.1", "1.2", "1.3", "1.4"]


@pytest.mark.django_db
def test_muko_command(capsys, small_roadmap):
    code, out, _ = run(capsys, "muko", "--json")
    assert code == 0
    assert [m["territory"] for m in json.loads(out)] == ["9901", "9902"]
    code, out, _ = run(capsys, "muko", "--territory", "9901", "--json")
    (matrix,) = json.loads(out)
    assert matrix["territory"] == "9901" and matrix["year"] == date.today().year
    results = next(d for d in matrix["directions"] if d["direction"] == "results")
    assert results["cells"]["goals"]["criteria"][0]["met"]
    code, out, _ = run(capsys, "muko")
    assert "Тестовый округ" in out and "уровень" in out
