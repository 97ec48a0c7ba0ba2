"""Pages and exports of the analyses: what each user may see, small groups suppressed."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from soko.analyses.models import AssessmentAnalysis
from soko.core.models import Job
from soko.imports.services import import_file
from soko.registry.services import organization_create

from .builders import FAR, A, B, pupils, ru4_2026, workbook

pytestmark = pytest.mark.django_db

SMALL = "sch990003"


@pytest.fixture
def analysis(personas: Any, tmp_path: Path) -> AssessmentAnalysis:
    organization_create(
        code=SMALL, name="МБОУ «ООШ № 3»", short_name="ООШ № 3",
        territory=personas.municipality, kind="school", org_type="ООШ", settlement="rural",
    )
    import_file(ru4_2026(tmp_path / "ru4.xlsx"))
    import_file(workbook(tmp_path / "small.xlsx", pupils(SMALL, [12, 14, 9, 20, 17, 11]),
                         "ВПР 2026 Русский язык 4 класс"))
    return AssessmentAnalysis.objects.get(year=2026)


def login(client: Client, username: str) -> Client:
    assert client.login(username=username, password="pass-12345")
    return client


def cells(response: Any) -> set[str]:
    book = load_workbook(io.BytesIO(response.content))
    return {
        str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row
        if v is not None
    }


def test_anonymous_visitors_are_sent_to_login(client: Client, analysis: AssessmentAnalysis) -> None:
    for url in ("/analyses/", f"/analyses/work/{analysis.pk}/", "/analyses/deficits/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_authority_reads_its_municipality(client: Client, analysis: AssessmentAnalysis) -> None:
    login(client, "uo")
    home = client.get("/analyses/").content.decode()
    assert "Русский язык" in home and f"/analyses/work/{analysis.pk}/" in home
    page = client.get(f"/analyses/work/{analysis.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Тестовый округ" in body and "Статистика по отметкам" in body
    assert "hist-chart" in body and "chart.umd.min.js" in body
    assert client.get(f"/analyses/work/{analysis.pk}/?org={A}").status_code == 200
    assert client.get(f"/analyses/work/{analysis.pk}/?territory=99").status_code == 200
    assert client.get(f"/analyses/work/{analysis.pk}/?org={FAR}").status_code == 404
    assert client.get(f"/analyses/work/{analysis.pk}/?territory=9902").status_code == 404
    assert client.get(f"/analyses/work/{analysis.pk}/?level=region").status_code == 200


def test_a_small_group_is_never_shown_on_its_own(
    client: Client, analysis: AssessmentAnalysis
) -> None:
    login(client, "uo")
    body = client.get(f"/analyses/work/{analysis.pk}/?org={SMALL}").content.decode()
    assert 'data-testid="suppressed"' in body and "hist-chart" not in body
    municipality = client.get(f"/analyses/work/{analysis.pk}/").content.decode()
    assert "ООШ № 3" in municipality and "скрыто: малая группа" in municipality
    exported = cells(client.get(f"/analyses/work/{analysis.pk}/marks.xlsx"))
    assert SMALL in exported and "скрыто (малая группа)" in exported
    # the small school still counts in the municipality: 12 + 10 + 6 participants
    report = client.get(f"/analyses/work/{analysis.pk}/export/?territory=9901")
    rows = list(load_workbook(io.BytesIO(report.content))["Статистика по отметкам"].iter_rows(
        values_only=True))
    assert next(r for r in rows if r[2] == "9901")[4] == 28


def test_a_school_user_sees_its_own_school_and_the_aggregates(
    client: Client, analysis: AssessmentAnalysis
) -> None:
    login(client, "school_a")
    page = client.get(f"/analyses/work/{analysis.pk}/")
    assert page.status_code == 200
    assert "СОШ № 1" in page.content.decode()  # opens at its own organization
    base = f"/analyses/work/{analysis.pk}/"
    assert client.get(f"{base}?org={A}&class=4А").status_code == 200
    assert client.get(f"{base}?territory=9901").status_code == 200
    assert client.get(f"{base}?org={B}").status_code == 404
    assert client.get(f"{base}?org={B}&class=4А").status_code == 404
    assert client.get(f"{base}export/?org={B}").status_code == 404
    exported = cells(client.get(f"{base}marks.xlsx"))
    assert A in exported and "9901" in exported
    assert B not in exported and FAR not in exported and SMALL not in exported


def test_the_organization_page_has_an_analysis_section(
    client: Client, analysis: AssessmentAnalysis
) -> None:
    login(client, "school_a")
    body = client.get(f"/orgs/{A}/").content.decode()
    assert 'data-testid="org-analysis"' in body and "ВПР 2026 Русский язык 4 класс" in body
    assert f"/analyses/work/{analysis.pk}/?org={A}" in body


def test_comprehensive_and_deficit_pages_render_with_exports(
    client: Client, analysis: AssessmentAnalysis
) -> None:
    login(client, "metod")
    page = client.get("/analyses/comprehensive/")
    assert page.status_code == 200 and "Согласованность позиций" in page.content.decode()
    export = client.get("/analyses/comprehensive/export/?year=2026")
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "Когорты" in load_workbook(io.BytesIO(export.content)).sheetnames
    deficits = client.get("/analyses/deficits/")
    assert deficits.status_code == 200
    assert "Педагог (код)" not in deficits.content.decode()  # a methodologist: no teacher codes
    export = client.get("/analyses/deficits/export/?year=2026")
    assert "Педагог (код)" not in cells(export)


def test_only_the_authority_starts_a_recomputation(
    client: Client, analysis: AssessmentAnalysis
) -> None:
    login(client, "school_a")
    assert client.post("/analyses/compute/").status_code == 403
    client.logout()
    login(client, "uo")
    response = client.post("/analyses/compute/")
    assert response.status_code == 302
    assert Job.objects.filter(kind="analyses.compute").exists()


def test_filters_narrow_the_list_with_htmx(client: Client, analysis: AssessmentAnalysis) -> None:
    login(client, "uo")
    partial = client.get("/analyses/?procedure=ОГЭ", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "Нет проанализированных работ" in partial
