"""Pages, exports and the API of the indicators area, and that they obey the scope."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from django.test import Client

from soko.indicators.models import Indicator, IndicatorValue, Target

pytestmark = pytest.mark.django_db
PASSWORD = "pass-12345"


def login(client: Client, username: str) -> Client:
    assert client.login(username=username, password=PASSWORD)
    return client


@pytest.fixture
def values(personas: Any) -> dict[str, Any]:
    """Stored values of «ВПР, «2»» for 2025–2026: A 31.8 % (significant fall), B hidden (n 7),
    the far school 12 %, the municipality and the region."""
    ind = Indicator.objects.get(code="results.vpr_share2")

    def put(year: int, *, org: Any = None, territory: Any = None, **fields: Any) -> IndicatorValue:
        return IndicatorValue.objects.create(
            indicator=ind, year=year, organization=org, territory=territory, **fields
        )

    put(2025, org=personas.school_a, value=50.0, numerator=11, denominator=22, n=22)
    put(
        2026,
        org=personas.school_a,
        value=31.8,
        numerator=7,
        denominator=22,
        n=22,
        previous_value=50.0,
        change=-18.2,
        change_significant=True,
        p_value=0.01,
    )
    put(2026, org=personas.school_b, value=None, n=7, suppressed=True)
    put(2026, org=personas.school_far, value=12.0, numerator=3, denominator=25, n=25)
    put(
        2026,
        territory=personas.municipality,
        value=27.6,
        numerator=8,
        denominator=29,
        n=29,
        previous_value=30.0,
        change=-2.4,
        change_significant=False,
        p_value=0.6,
        detail={"orgs": 2},
    )
    put(2026, territory=personas.region, value=20.4, numerator=11, denominator=54, n=54)
    put(
        2026,
        org=personas.school_a,
        breakdown_key="subject=МА;grade=4",
        breakdown={"subject": "МА", "grade": 4},
        value=33.3,
        numerator=4,
        denominator=12,
        n=12,
    )
    return {"indicator": ind}


def test_catalog_lists_indicators_by_direction_in_russian(client: Client, values: Any) -> None:
    assert client.get("/indicators/").status_code == 302  # anonymous → login
    page = login(client, "uo").get("/indicators/").content.decode()
    for title in (
        "1.1 Система оценки качества подготовки обучающихся",
        "1.3 Выявление, поддержка и развитие способностей и талантов",
        "Объективность процедур оценки качества и олимпиад",
        "2.4 Качество дошкольного образования",
    ):
        assert title in page
    assert "Доля участников ВПР, получивших отметку «2»" in page
    assert "27,6 %" in page  # the municipality's latest value


def test_indicator_page_for_the_authority(client: Client, values: Any) -> None:
    page = login(client, "uo").get("/indicators/results.vpr_share2/?year=2026").content.decode()
    assert "СОШ № 1" in page and "Гимназия № 2" in page
    assert "СОШ № 7" not in page  # another municipality
    assert "31,8 %" in page and "скрыто" in page
    assert "Тестовый округ" in page and "Тестовая область" in page
    assert "▼" in page  # A: a significant fall (good for «lower is better»)
    assert page.count("▼") + page.count("▲") == 1  # the municipality's change is not significant
    assert "Как считается" in page and "count(result where not absent and mark = 2)" in page
    breakdown = (
        login(client, "uo")
        .get("/indicators/results.vpr_share2/?year=2026&b=subject%3DМА%3Bgrade%3D4")
        .content.decode()
    )
    assert "33,3 %" in breakdown and "4 класс" in breakdown


def test_a_school_user_sees_its_school_and_the_aggregates_only(client: Client, values: Any) -> None:
    login(client, "school_a")
    page = client.get("/indicators/results.vpr_share2/?year=2026").content.decode()
    assert "СОШ № 1" in page and "Гимназия № 2" not in page and "СОШ № 7" not in page
    assert "Тестовый округ" in page
    assert client.get("/indicators/orgs/sch990002/export/").status_code == 404
    assert client.get("/indicators/orgs/sch990001/export/").status_code == 200
    assert client.get("/indicators/new/").status_code == 403
    api = client.get("/indicators/api/v1/indicators/results.vpr_share2/values/?year=2026").json()
    assert {r["organization"] for r in api if r["organization"]} == {"sch990001"}
    assert {r["territory"] for r in api if r["territory"]} == {"9901", "99"}
    assert (
        client.get(
            "/indicators/api/v1/indicators/results.vpr_share2/values/?org=sch990002"
        ).status_code
        == 404
    )


def test_the_api_hides_small_groups_and_needs_a_user(client: Client, values: Any) -> None:
    assert client.get("/indicators/api/v1/indicators/results.vpr_share2/values/").status_code in (
        401,
        403,
    )
    listing = client.get("/indicators/api/v1/indicators/?direction=talents").json()
    assert listing and {i["direction"] for i in listing} == {"talents"}
    rows = (
        login(client, "uo")
        .get("/indicators/api/v1/indicators/results.vpr_share2/values/?year=2026")
        .json()
    )
    hidden = next(r for r in rows if r["organization"] == "sch990002")
    assert hidden["suppressed"] and hidden["value"] is None and hidden["numerator"] is None


def test_xlsx_export_of_the_indicator_page(client: Client, values: Any) -> None:
    response = login(client, "uo").get("/indicators/results.vpr_share2/?year=2026&format=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Организации", "Территории", "Динамика", "Целевые значения"]
    rows = [[c.value for c in r] for r in book["Организации"].iter_rows()]
    data = {r[0]: r for r in rows if r[0] in ("sch990001", "sch990002")}
    assert data["sch990001"][2] == pytest.approx(31.8)
    assert data["sch990002"][2] == "скрыто (малая группа)" and data["sch990002"][4] is None
    assert "sch990101" not in {r[0] for r in rows}
    assert book["Организации"].freeze_panes is not None


def test_catalog_and_organization_exports(client: Client, values: Any) -> None:
    login(client, "uo")
    catalog = openpyxl.load_workbook(io.BytesIO(client.get("/indicators/?format=xlsx").content))
    codes = {r[1].value for r in catalog["Показатели"].iter_rows()}
    assert "results.vpr_share2" in codes
    org = openpyxl.load_workbook(
        io.BytesIO(client.get("/indicators/orgs/sch990001/export/?year=2026").content)
    )
    cells = [[c.value for c in r] for r in org.active.iter_rows()]
    assert any(
        r[1] == "Доля участников ВПР, получивших отметку «2»" and r[3] == pytest.approx(31.8)
        for r in cells
    )


def test_organization_page_and_dashboard_sections(client: Client, values: Any) -> None:
    login(client, "uo")
    page = client.get("/orgs/sch990001/").content.decode()
    assert 'data-testid="org-indicators"' in page and "31,8 %" in page and "27,6 %" in page
    Indicator.objects.filter(code="results.vpr_share2").update(key=True)
    Target.objects.create(
        indicator=values["indicator"],
        year=2026,
        value=25.0,
        territory=values["indicator"].values.first().organization.territory,
        status="not_achieved",
        actual_value=27.6,
    )
    dashboard = client.get("/dashboard/").content.decode()
    assert 'data-testid="key-indicators"' in dashboard and "не достигнуто" in dashboard


def test_the_authority_creates_edits_and_retires_an_indicator(
    client: Client, personas: Any
) -> None:
    login(client, "uo")
    form = {
        "code": "results.my_share5",
        "name": "Моя доля «5»",
        "direction": "results",
        "aggregation": "counts",
        "unit": "%",
        "factor": "100",
        "polarity": "higher_better",
        "numerator": "count(result where mark = 5 and)",
        "denominator": "count(result)",
        "source": "system",
        "filter_procedure": "ВПР",
        "breakdown": ["subject"],
    }
    bad = client.post("/indicators/new/", form).content.decode()
    assert "Столбец 32" in bad and not Indicator.objects.filter(code="results.my_share5").exists()
    form["numerator"] = "count(result where mark = 5)"
    response = client.post("/indicators/new/", form)
    assert response.status_code == 302
    ind = Indicator.objects.get(code="results.my_share5")
    assert not ind.is_builtin and ind.filters == {"procedure": "ВПР"}
    assert ind.breakdown == ["subject"] and ind.created_by.username == "uo"
    client.post("/indicators/results.my_share5/edit/", {**form, "name": "Доля «5» по ВПР"})
    ind.refresh_from_db()
    assert ind.name == "Доля «5» по ВПР"
    client.post("/indicators/results.my_share5/retire/", {"retired": "1"})
    ind.refresh_from_db()
    assert ind.retired
    assert client.get("/indicators/results.vpr_share2/edit/")["Location"].endswith(
        "?copy=results.vpr_share2"
    )


def test_live_validation_points_at_the_error(client: Client, personas: Any) -> None:
    login(client, "uo")
    answer = client.post(
        "/indicators/validate/",
        {
            "code": "results.x",
            "name": "x",
            "direction": "results",
            "aggregation": "counts",
            "numerator": "count(reslt)",
            "source": "system",
        },
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert 'data-testid="verdict-error"' in answer and "неизвестный источник «reslt»" in answer
    assert "count(reslt)\n      ^" in answer
    ok = client.post(
        "/indicators/validate/",
        {
            "code": "results.x",
            "name": "x",
            "direction": "results",
            "aggregation": "counts",
            "numerator": "mean(result.test_score)",
            "source": "system",
        },
    ).content.decode()
    assert 'data-testid="verdict-ok"' in ok and "t-критерий Уэлча" in ok


def test_a_methodologist_reads_but_does_not_edit(client: Client, values: Any) -> None:
    login(client, "metod")
    assert client.get("/indicators/results.vpr_share2/").status_code == 200
    assert client.get("/indicators/new/").status_code == 403
    assert client.post("/indicators/compute/").status_code == 403


def test_targets_are_added_from_the_indicator_page(client: Client, values: Any) -> None:
    login(client, "uo")
    response = client.post(
        "/indicators/results.vpr_share2/targets/",
        {
            "year": "2026",
            "value": "30",
            "place": "t:9901",
            "document_number": "45",
            "document_date": "2026-01-15",
            "document_title": "Приказ УО № 45",
        },
    )
    assert response.status_code == 302
    target = Target.objects.get(indicator__code="results.vpr_share2", year=2026)
    assert target.status == "achieved" and target.actual_value == pytest.approx(27.6)
    page = client.get("/indicators/targets/").content.decode()
    assert "Приказ УО № 45" in page and "достигнуто" in page
    login(client, "school_a")
    assert (
        client.post(
            "/indicators/results.vpr_share2/targets/",
            {"year": "2026", "value": "1", "place": "o:sch990001"},
        ).status_code
        == 403
    )
