"""Pages, the HTMX inline editing of items, exports and the API, with the scope of each role:
a school sees only the items its organization answers for (404 for the others)."""

from __future__ import annotations

import io
from datetime import date

import pytest
import time_machine
from django.urls import reverse

from soko.cycle.models import Recommendation, RoadmapItem
from soko.cycle.services import (
    decision_save,
    measure_save,
    muko_recompute,
    recommendation_create,
    roadmap_import,
)
from soko.lib.roadmap_tables import parse_roadmap_docx, parse_roadmap_xlsx
from tests.cycle.conftest import seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def authority(client, personas):
    client.force_login(personas.authority)
    return client


@pytest.fixture
def everything(personas, authority_scope, small_roadmap):
    rec = recommendation_create(scope=authority_scope, territory=personas.municipality,
                                title="Поддержка СОШ № 1", text="Текст", direction="results",
                                addressee="organization", organization=personas.school_a)
    other = recommendation_create(scope=authority_scope, territory=personas.municipality,
                                  title="Для гимназии", text="Текст", direction="results",
                                  addressee="organization", organization=personas.school_b)
    measure = measure_save(scope=authority_scope, territory=personas.municipality,
                           title="Мера для СОШ № 1", direction="results",
                           organizations=[personas.school_a], recommendations=[rec],
                           items=[small_roadmap.items.get(number="1.1")])
    decision = decision_save(scope=authority_scope, territory=personas.municipality,
                             kind="приказ", number="1", date=date(2026, 1, 5),
                             title="О мерах", direction="results", measures=[measure],
                             organizations=[personas.school_a])
    muko_recompute(territory=personas.municipality)
    return {"rec": rec, "other": other, "measure": measure, "decision": decision,
            "roadmap": small_roadmap}


def test_every_page_renders_for_the_authority(authority, everything):
    roadmap = everything["roadmap"]
    item = roadmap.items.get(number="1.1")
    urls = [
        reverse("cycle:home"), reverse("cycle:roadmaps"), reverse("cycle:roadmap_new"),
        reverse("cycle:roadmap_import"), reverse("cycle:roadmap", args=[roadmap.pk]),
        reverse("cycle:roadmap_edit", args=[roadmap.pk]),
        reverse("cycle:item_add", args=[roadmap.pk]), reverse("cycle:item", args=[item.pk]),
        reverse("cycle:calendar") + "?month=2026-03", reverse("cycle:due"),
        reverse("cycle:notifications"), reverse("cycle:actors"),
        reverse("cycle:recommendations"), reverse("cycle:recommendation_new"),
        reverse("cycle:recommendation", args=[everything["rec"].pk]),
        reverse("cycle:measures"), reverse("cycle:measure_new"),
        reverse("cycle:measure", args=[everything["measure"].pk]),
        reverse("cycle:measure_edit", args=[everything["measure"].pk]),
        reverse("cycle:decision_new"),
        reverse("cycle:decision", args=[everything["decision"].pk]),
        reverse("cycle:decision_edit", args=[everything["decision"].pk]),
        reverse("cycle:effectiveness"), reverse("cycle:muko"),
        reverse("web:dashboard"), reverse("web:org_detail", args=["sch990001"]),
    ]
    for url in urls:
        response = authority.get(url)
        assert response.status_code == 200, url
    page = authority.get(reverse("cycle:muko")).content.decode()
    assert 'data-testid="muko-matrix"' in page and "системное значение СОКО" in page
    org_page = authority.get(reverse("web:org_detail", args=["sch990001"])).content.decode()
    assert "Мера для СОШ № 1" in org_page and "Поддержка СОШ № 1" in org_page


def test_calendar_month_shows_the_due_items(authority, small_roadmap):
    page = authority.get(reverse("cycle:calendar") + "?month=2026-02").content.decode()
    assert "Февраль 2026" in page and "Школьный семинар" in page
    assert "Мониторинг выполнения планов" not in page  # due 31 March


def test_inline_editing_of_an_item_row(authority, small_roadmap):
    item = small_roadmap.items.get(number="1.2")
    url = reverse("cycle:item_edit", args=[item.pk])
    form = authority.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert f'id="item-{item.pk}"' in form and 'name="deadline_text"' in form
    with time_machine.travel(date(2026, 1, 15)):
        response = authority.post(url, {
            "number": "1.2", "title": "Аналитическая справка по ВПР и ОГЭ",
            "deadline_text": "ежеквартально", "responsible_text": "ИМЦ; Руководители ОО",
            "indicator_text": "", "section": "", "direction": "", "indicator_code": "",
        }, HTTP_HX_REQUEST="true")
    row = response.content.decode()
    assert response.status_code == 200 and "Аналитическая справка по ВПР и ОГЭ" in row
    assert "ежеквартально (до 31.03, 30.06, 30.09, 31.12)" in row
    item.refresh_from_db()
    assert item.occurrences.count() == 4
    assert sorted(item.actors.values_list("name", flat=True)) == [
        "Методический центр", "Образовательные организации"]


def test_exports_of_a_roadmap(authority, personas):
    roadmap = roadmap_import(path=seed("004"), territory=personas.municipality).roadmap
    docx_file = authority.get(reverse("cycle:roadmap_export", args=[roadmap.pk, "docx"]))
    xlsx_file = authority.get(reverse("cycle:roadmap_export", args=[roadmap.pk, "xlsx"]))
    expected = [(i.number, i.title) for i in roadmap.items.order_by("position")]
    for back in (parse_roadmap_docx(docx_file.content), parse_roadmap_xlsx(xlsx_file.content)):
        assert [(i.number, i.title) for i in back.items] == expected
        assert {i.extra["Статус"] for i in back.items} <= {"выполнено", "просрочено",
                                                           "запланировано", "выполняется"}
    assert authority.get(reverse("cycle:roadmap_export", args=[roadmap.pk, "pdf"])
                         ).status_code == 404


def test_school_user_sees_only_its_own(client, personas, everything):
    client.force_login(personas.user_a)
    roadmap = everything["roadmap"]
    page = client.get(reverse("cycle:roadmap", args=[roadmap.pk])).content.decode()
    # school A answers for 1.1 (all schools) and 1.3 (named), not for 1.2 or 1.4
    assert "Мониторинг выполнения планов" in page and "Школьный семинар" in page
    assert "Аналитическая справка" not in page and "Сопровождение сайта" not in page
    hidden = roadmap.items.get(number="1.2")
    assert client.get(reverse("cycle:item", args=[hidden.pk])).status_code == 404
    assert client.get(reverse("cycle:recommendation", args=[everything["rec"].pk])
                      ).status_code == 404  # not approved yet
    Recommendation.objects.filter(pk=everything["rec"].pk).update(status="approved")
    assert client.get(reverse("cycle:recommendation", args=[everything["rec"].pk])
                      ).status_code == 200
    Recommendation.objects.filter(pk=everything["other"].pk).update(status="approved")
    assert client.get(reverse("cycle:recommendation", args=[everything["other"].pk])
                      ).status_code == 404
    assert client.get(reverse("cycle:measure", args=[everything["measure"].pk])
                      ).status_code == 200
    assert client.get(reverse("cycle:muko")).status_code == 404
    assert client.get(reverse("cycle:roadmap_new")).status_code == 403
    client.force_login(personas.user_b)
    assert client.get(reverse("cycle:measure", args=[everything["measure"].pk])
                      ).status_code == 404
    assert client.get(reverse("cycle:item", args=[roadmap.items.get(number="1.3").pk])
                      ).status_code == 404  # named for school A only


def test_other_municipality_and_the_public(client, personas, everything):
    from soko.accounts.models import Role
    from soko.accounts.services import user_create

    neighbour = user_create(username="uo2", password="pass-12345", role=Role.AUTHORITY,
                            territory=personas.other_municipality)
    client.force_login(neighbour)
    roadmap = everything["roadmap"]
    assert client.get(reverse("cycle:roadmap", args=[roadmap.pk])).status_code == 404
    assert client.get(reverse("cycle:decision", args=[everything["decision"].pk])
                      ).status_code == 404
    client.logout()
    response = client.get(reverse("cycle:roadmaps"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_methodologist_reads_but_does_not_edit(client, personas, everything):
    client.force_login(personas.methodologist)
    roadmap = everything["roadmap"]
    assert client.get(reverse("cycle:roadmap", args=[roadmap.pk])).status_code == 200
    assert client.get(reverse("cycle:muko")).status_code == 200
    item = roadmap.items.get(number="1.1")
    assert client.get(reverse("cycle:item_edit", args=[item.pk])).status_code == 403
    assert client.post(reverse("cycle:recommendations_generate")).status_code == 403


def test_import_through_the_pages_with_a_preview(authority, personas):
    with seed("003").open("rb") as fh:
        response = authority.post(reverse("cycle:roadmap_import"),
                                  {"file": fh, "territory": personas.municipality.pk})
    assert response.status_code == 302
    preview_url = response["Location"]
    page = authority.get(preview_url).content.decode()
    assert 'data-testid="preview-items">27<' in page
    assert not RoadmapItem.objects.exists()  # nothing written before confirmation
    response = authority.post(preview_url, {
        "title": "План для ШНОР", "direction": "low_results", "period_start": 2020,
        "period_end": 2021, "doc_kind": "приказ", "doc_number": "512",
        "doc_date": "2020-11-26", "owner": "УО", "status": "active",
    })
    assert response.status_code == 302
    assert RoadmapItem.objects.count() == 27
    bad = io.BytesIO(b"just text without any table")
    bad.name = "notes.txt"
    response = authority.post(reverse("cycle:roadmap_import"),
                              {"file": bad, "territory": personas.municipality.pk})
    page = authority.get(response["Location"]).content.decode()
    assert 'data-testid="import-error"' in page and "дорожная карта не найдена" in page


def test_api_with_scoping(client, personas, everything):
    roadmap = everything["roadmap"]
    client.force_login(personas.user_a)
    items = client.get(reverse("cycle:api_items")).json()
    assert sorted(i["number"] for i in items) == ["1.1", "1.3"]
    detail = client.get(reverse("cycle:api_roadmap", args=[roadmap.pk])).json()
    assert [i["number"] for i in detail["items"]] == ["1.1", "1.3"]
    hidden = roadmap.items.get(number="1.2")
    assert client.get(reverse("cycle:api_item", args=[hidden.pk])).status_code == 404
    client.force_login(personas.authority)
    listed = client.get(reverse("cycle:api_roadmaps")).json()
    assert [r["items"] for r in listed] == [4]
    one = client.get(reverse("cycle:api_item", args=[hidden.pk])).json()
    assert one["schedule"]["kind"] == "deadline"
    assert one["occurrences"][0]["end"] == "2026-03-01"
    assert one["responsible"][0]["actor"] == "Методический центр"
    client.logout()
    assert client.get(reverse("cycle:api_roadmaps")).status_code in (401, 403)
