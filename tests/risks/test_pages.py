"""Pages, exports and scoping: a school sees only its own flags; methodologists read; the
authority reviews (with HTMX) and organises re-checks."""

from __future__ import annotations

import pytest
from django.test import Client

from soko.risks.models import Flag, FlagKind, flag_key
from soko.risks.services import risks_compute

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def login(client: Client, username: str) -> Client:
    assert client.login(username=username, password="pass-12345")
    return client


def b_flag(world) -> Flag:
    b = world.personas.school_b
    return Flag.objects.create(
        key=flag_key("objectivity", b.pk, 2026, "ВПР", "РУ", 4), kind=FlagKind.OBJECTIVITY,
        organization=b, year=2026, procedure="ВПР", subject="РУ", grade=4, codes=["M4"],
        evidence={
            "n": 40,
            "markers": {"M4": {"code": "M4", "fired": True, "evaluable": True, "statistic": 4.2,
                               "n": 40, "boundaries": [10, 16, 21], "at_boundaries": 20,
                               "below_boundaries": 2, "expected_below": 11.5,
                               "missing_share": 0.83, "z_min": 3.0, "missing_share_min": 0.5,
                               "histogram": [0] * 25}},
            "thresholds": {},
        },
    )


@pytest.fixture
def world(rule_world):
    risks_compute()
    rule_world.flag_b = b_flag(rule_world)
    return rule_world


def test_pages_render_for_the_authority(client: Client, world) -> None:
    login(client, "uo")
    for url in ("/risks/", "/risks/low-results/", "/risks/objectivity/", "/risks/flags/",
                "/risks/recheck/", f"/risks/flags/{world.flag_b.pk}/"):
        page = client.get(url)
        assert page.status_code == 200, url
    low = client.get("/risks/low-results/?year=2026").content.decode()
    assert "СОШ № 1" in low and "rule_30pct" in low and 'id="quadrant"' in low
    assert "профиль рисков не собран" in low
    flag = client.get(f"/risks/flags/{world.flag_b.pk}/").content.decode()
    assert "Скопление баллов у границ отметок" in flag and "недостаёт 83 %" in flag
    assert 'data-testid="review-form"' in flag


def test_low_results_flag_page_shows_rule_figures(client: Client, world) -> None:
    flag = Flag.objects.get(kind=FlagKind.LOW_RESULTS, organization__code="sch990001")
    body = login(client, "uo").get(f"/risks/flags/{flag.pk}/").content.decode()
    assert "Правило выполняется" in body
    assert "ВПР РУ 4 кл.: 3 из 10 (30 %)" in body
    assert "rosobrnadzor" in body or "Рособрнадзора" in body
    assert "Профиль рисков не собран" in body


def test_school_sees_only_its_own_flags(client: Client, world) -> None:
    login(client, "school_a")
    own = Flag.objects.get(kind=FlagKind.LOW_RESULTS, organization__code="sch990001")
    assert client.get(f"/risks/flags/{own.pk}/").status_code == 200
    assert client.get(f"/risks/flags/{world.flag_b.pk}/").status_code == 404
    listing = client.get("/risks/flags/").content.decode()
    assert "СОШ № 1" in listing and "Гимназия № 2" not in listing
    export = client.get("/risks/flags/?format=xlsx")
    assert export["Content-Type"] == XLSX
    assert b"sch990002" not in export.content
    assert "review-form" not in client.get(f"/risks/flags/{own.pk}/").content.decode()


def test_methodologist_reads_but_cannot_review(client: Client, world) -> None:
    login(client, "metod")
    assert client.get(f"/risks/flags/{world.flag_b.pk}/").status_code == 200
    r = client.post(f"/risks/flags/{world.flag_b.pk}/review/",
                    {"status": "confirmed", "comment": ""})
    assert r.status_code == 403
    world.flag_b.refresh_from_db()
    assert world.flag_b.status == "open"


def test_authority_reviews_with_htmx(client: Client, world) -> None:
    login(client, "uo")
    url = f"/risks/flags/{world.flag_b.pk}/review/"
    r = client.post(url, {"status": "dismissed", "comment": ""}, HTTP_HX_REQUEST="true")
    assert r.status_code == 400 and "причину" in r.content.decode()
    r = client.post(url, {"status": "dismissed", "comment": "Ошибка ввода"},
                    HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    body = r.content.decode()
    assert "Решение сохранено" in body and "Ошибка ввода" in body and "Ирина Управленцева" in body
    world.flag_b.refresh_from_db()
    assert world.flag_b.status == "dismissed"
    listing = client.get("/risks/objectivity/?year=2026").content.decode()
    assert "отклонён" in listing  # dismissed flags stay visible


def test_exports(client: Client, world) -> None:
    login(client, "uo")
    for url in ("/risks/low-results/?year=2026&format=xlsx",
                "/risks/objectivity/?year=2026&format=xlsx",
                "/risks/flags/?kind=low_results&format=xlsx"):
        r = client.get(url)
        assert r.status_code == 200 and r["Content-Type"] == XLSX, url
        assert r.content[:2] == b"PK"


def test_org_page_and_dashboard_sections(client: Client, world) -> None:
    login(client, "uo")
    org = client.get("/orgs/sch990001/").content.decode()
    assert 'data-testid="org-risks"' in org and "rule_30pct" in org
    dash = client.get("/dashboard/").content.decode()
    assert 'data-testid="dashboard-risks"' in dash


def test_recheck_pages(client: Client, world) -> None:
    from soko.catalog.models import Assessment

    a = Assessment.objects.get(procedure__code="ВПР", subject__code="РУ", grade=4, year=2026)
    login(client, "uo")
    r = client.post("/risks/recheck/", {"assessment": a.pk, "method": "random", "size": 3,
                                        "seed": 5, "risk_share": "0,5"})
    assert r.status_code == 302
    sample_url = r["Location"]
    pk = int(sample_url.rstrip("/").split("/")[-1])
    assert client.get(sample_url).status_code == 200
    entry = client.get(f"/risks/recheck/{pk}/entry/").content.decode()
    assert 'data-testid="entry-grid"' in entry
    from soko.risks.models import RecheckWork

    work = RecheckWork.objects.filter(sample_id=pk).first()
    r = client.post(f"/risks/recheck/works/{work.pk}/", {"score": [str(v) for v in
                    work.school_scores]}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "объективно" in r.content.decode()
    template = client.get(f"/risks/recheck/{pk}/template.xlsx")
    assert template["Content-Type"] == XLSX
    assert client.get(f"{sample_url}?format=xlsx")["Content-Type"] == XLSX
    login(client, "metod")
    assert client.get(f"/risks/recheck/{pk}/entry/").status_code == 403
    assert client.get(sample_url).status_code == 200
