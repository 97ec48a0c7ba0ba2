"""School A cannot see or edit school B's submission (404 in pages, the API and services);
a methodologist reads but does not change; anonymous visitors are sent to log in."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client

from soko.monitoring import selectors, services
from tests.monitoring.conftest import scope_of, send, submission_of, valid_raw

pytestmark = pytest.mark.django_db


def login(client: Client, username: str) -> Client:
    assert client.login(username=username, password="pass-12345")
    return client


@pytest.fixture
def campaign(forms):
    return send("teachers", orgs=[forms.school_a, forms.school_b, forms.school_far])


def test_a_school_sees_only_its_own_form(client: Client, forms, campaign) -> None:
    own = submission_of(campaign, forms.school_a)
    other = submission_of(campaign, forms.school_b)
    login(client, "school_a")
    assert client.get(f"/monitoring/submissions/{own.pk}/").status_code == 200
    assert client.get(f"/monitoring/submissions/{other.pk}/").status_code == 404
    assert client.post(f"/monitoring/submissions/{other.pk}/",
                       {"action": "save", "tch_total": "1"}).status_code == 404
    assert client.post(f"/monitoring/submissions/{other.pk}/check/", {}).status_code == 404
    home = client.get("/monitoring/").content.decode()
    assert "СОШ № 1" not in home or "Гимназия № 2" not in home
    other.refresh_from_db()
    assert other.status == "assigned" and other.raw == {}


def test_services_refuse_another_schools_form(forms, campaign) -> None:
    other = submission_of(campaign, forms.school_b)
    with pytest.raises(Http404):
        services.submission_save(scope=scope_of(forms.user_a), submission=other, raw={})
    with pytest.raises(Http404):
        selectors.submission_get(scope_of(forms.user_a), other.pk)


def test_the_api_has_the_same_rule(client: Client, forms, campaign) -> None:
    own = submission_of(campaign, forms.school_a)
    other = submission_of(campaign, forms.school_b)
    login(client, "school_a")
    listing = client.get("/monitoring/api/v1/submissions/").json()
    assert [s["organization"] for s in listing] == ["sch990001"]
    assert client.get(f"/monitoring/api/v1/submissions/{other.pk}/").status_code == 404
    response = client.post(f"/monitoring/api/v1/submissions/{other.pk}/",
                           {"action": "save", "values": {"tch_total": 5}},
                           content_type="application/json")
    assert response.status_code == 404
    assert client.get(f"/monitoring/api/v1/submissions/{own.pk}/").status_code == 200
    campaigns = client.get("/monitoring/api/v1/campaigns/").json()
    assert campaigns[0]["organizations"] == 1  # only its own form counts


def test_a_municipal_authority_sees_its_municipality_only(client: Client, forms,
                                                           campaign) -> None:
    far = submission_of(campaign, forms.school_far)
    login(client, "uo")
    page = client.get(f"/monitoring/campaigns/{campaign.pk}/").content.decode()
    assert "sch990001" in page and "sch990002" in page and "sch990101" not in page
    assert client.get(f"/monitoring/submissions/{far.pk}/").status_code == 404
    with pytest.raises(Http404):
        services.submission_return(scope=scope_of(forms.authority), submission=far,
                                   comment="нет доступа")


def test_a_methodologist_reads_but_cannot_change(client: Client, forms, campaign) -> None:
    sub = submission_of(campaign, forms.school_a)
    services.submission_submit(scope=scope_of(forms.user_a), submission=sub,
                               raw=valid_raw(campaign.template.spec))
    login(client, "metod")
    page = client.get(f"/monitoring/submissions/{sub.pk}/").content.decode()
    assert "data-testid=\"filled\"" in page and "data-testid=\"submit\"" not in page
    assert client.post(f"/monitoring/submissions/{sub.pk}/accept/").status_code == 403
    assert client.post(f"/monitoring/submissions/{sub.pk}/return/",
                       {"comment": "x"}).status_code == 403
    with pytest.raises(PermissionDenied):
        services.submission_save(scope=scope_of(forms.methodologist), submission=sub, raw={})


def test_anonymous_visitors_see_nothing(client: Client, forms, campaign) -> None:
    sub = submission_of(campaign, forms.school_a)
    for url in ("/monitoring/", f"/monitoring/submissions/{sub.pk}/",
                f"/monitoring/campaigns/{campaign.pk}/", "/monitoring/talents/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.get("/monitoring/api/v1/submissions/").status_code in {401, 403}
