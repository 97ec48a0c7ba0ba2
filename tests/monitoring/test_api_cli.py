"""The API and the CLI of monitoring forms."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from soko.cli import main
from tests.monitoring.conftest import send, submission_of, valid_raw

pytestmark = pytest.mark.django_db


def test_api_fill_and_submit_then_the_authority_accepts(client: Client, forms) -> None:
    campaign = send("teachers", orgs=[forms.school_a])
    sub = submission_of(campaign, forms.school_a)
    assert client.login(username="school_a", password="pass-12345")
    url = f"/monitoring/api/v1/submissions/{sub.pk}/"
    bad = client.post(url, {"action": "submit", "values": {"tch_total": 5, "tch_young": 9}},
                      content_type="application/json")
    assert bad.status_code == 400
    assert bad.json()["extra"]["errors"]["tch_young"][0].startswith("Значение поля")
    values = valid_raw(campaign.template.spec, tch_total=12)
    ok = client.post(url, {"action": "submit", "values": values}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["status"] == "submitted"
    assert client.post(f"{url}accept/").status_code == 403
    client.logout()
    assert client.login(username="uo", password="pass-12345")
    accepted = client.post(f"{url}accept/").json()
    assert accepted["status"] == "accepted" and accepted["values"]["tch_total"] == 12
    detail = client.get(f"/monitoring/api/v1/campaigns/{campaign.pk}/").json()
    assert detail["by_status"] == {"accepted": 1} and detail["percent"] == 100
    created = client.post("/monitoring/api/v1/campaigns/",
                          {"form": "career", "year": 2026, "territory": "9901"},
                          content_type="application/json")
    assert created.status_code == 201 and created.json()["organizations"] == 2
    forms_list = client.get("/monitoring/api/v1/forms/").json()
    assert {f["code"] for f in forms_list} >= {"career", "risk_profile", "preschool"}


def test_cli_forms_and_campaigns(forms, capsys) -> None:
    assert main(["forms", "load", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["forms"] == 9
    assert main(["forms", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {r["code"]: r["direction"] for r in listed}["risk_profile"] == "low_results"
    assert main(["campaign", "create", "leaders", "--year", "2026", "--deadline", "15.12.2026",
                 "--territory", "9901", "--json"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["organizations"] == 2 and created["deadline"] == "2026-12-15"
    assert main(["campaign", "status", str(created["id"]), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert sorted(s["organization"] for s in status["submissions"]) == ["sch990001", "sch990002"]
    assert status["by_status"] == {"assigned": 2}
    assert main(["campaign", "create", "leaders", "--year", "2026", "--territory", "9901"]) == 1
    assert "уже отправлена" in capsys.readouterr().err
    assert main(["campaign", "create", "nope", "--year", "2026"]) == 1
    assert "Форма «nope» не найдена" in capsys.readouterr().err
