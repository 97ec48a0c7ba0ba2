"""A school user sees its own school only; the public sees no pupil-level data."""

from __future__ import annotations

import pytest
from django.test import Client

from soko.registry.models import Student

pytestmark = pytest.mark.django_db


def login(client: Client, username: str) -> Client:
    assert client.login(username=username, password="pass-12345")
    return client


def test_it_shows_the_authority_its_municipality_only(client: Client, personas) -> None:
    page = login(client, "uo").get("/orgs/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "sch990001" in body and "sch990002" in body
    assert "sch990101" not in body  # another municipality


def test_a_school_user_sees_its_school_only(client: Client, personas) -> None:
    login(client, "school_a")
    assert client.get("/orgs/sch990001/").status_code == 200
    assert client.get("/orgs/sch990002/").status_code == 404
    assert client.get("/orgs/sch990002/audit/").status_code == 404
    listing = client.get("/orgs/").content.decode()
    assert "sch990001" in listing and "sch990002" not in listing


def test_a_school_user_cannot_edit_the_registry(client: Client, personas) -> None:
    login(client, "school_a")
    assert client.get("/orgs/sch990001/edit/").status_code == 403


def test_a_methodologist_reads_but_does_not_edit(client: Client, personas) -> None:
    login(client, "metod")
    assert client.get("/orgs/sch990002/").status_code == 200
    assert client.get("/orgs/sch990002/edit/").status_code == 403


def test_anonymous_visitors_are_sent_to_login_for_organization_pages(
    client: Client, personas
) -> None:
    response = client.get("/orgs/sch990001/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_public_page_has_aggregates_without_pupil_data(client: Client, personas) -> None:
    for i in range(12):
        Student.objects.create(code=f"S{i:03d}", organization=personas.school_a)
    page = client.get("/public/").content.decode()
    assert "Тестовый округ" in page
    assert "12" in page
    assert "S001" not in page and "sch990001" not in page
    # the neighbouring municipality has no pupils: suppressed as a small group
    assert "скрыто" in page


def test_pages_render_for_the_authority(client: Client, personas) -> None:
    login(client, "uo")
    for url in (
        "/dashboard/",
        "/orgs/",
        "/orgs/sch990001/",
        "/orgs/sch990001/audit/",
        "/orgs/sch990001/edit/",
        "/catalog/",
        "/jobs/",
    ):
        assert client.get(url).status_code == 200, url
