"""The API obeys the same scoping as the pages and documents itself."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from soko.accounts.services import api_token_for

pytestmark = pytest.mark.django_db


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_for(user)}")
    return client


def test_it_lists_the_callers_organizations(personas) -> None:
    rows = token_client(personas.authority).get("/api/v1/organizations/").json()
    assert {r["code"] for r in rows} == {"sch990001", "sch990002"}
    assert rows[0]["territory"]["name"] == "Тестовый округ"


def test_a_school_token_cannot_read_another_school(personas) -> None:
    client = token_client(personas.user_a)
    assert client.get("/api/v1/organizations/sch990001/").status_code == 200
    other = client.get("/api/v1/organizations/sch990002/")
    assert other.status_code == 404
    assert other.json()["message"]
    assert [r["code"] for r in client.get("/api/v1/organizations/").json()] == ["sch990001"]


def test_anonymous_callers_get_401_for_organizations(personas) -> None:
    response = APIClient().get("/api/v1/organizations/")
    assert response.status_code in {401, 403}
    assert "message" in response.json()


def test_it_issues_tokens_for_a_password(personas) -> None:
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "uo", "password": "pass-12345"}, format="json"
    )
    assert response.status_code == 200 and response.json()["token"]


def test_the_catalog_lists_thresholds_with_sources(catalog) -> None:
    rows = APIClient().get("/api/v1/catalog/assessments/", {"procedure": "ОГЭ"}).json()
    math = next(r for r in rows if r["subject"] == "МА" and r["year"] == 2026)
    assert math["scale"]["boundaries"] == {"3": 8.0, "4": 15.0, "5": 22.0}
    assert math["scale"]["source"]["kind"] == "secondary"
    params = APIClient().get("/api/v1/catalog/parameters/").json()
    assert all(p["source"]["title"] for p in params)


def test_the_openapi_schema_describes_the_endpoints(db) -> None:
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert "/api/v1/organizations/" in schema["paths"]
    assert "/api/v1/catalog/assessments/" in schema["paths"]
