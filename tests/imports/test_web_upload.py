"""The upload page: check → preview → import → history → undo; errors shown and downloadable."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.test import Client
from openpyxl import load_workbook

from soko.imports.models import ImportBatch

from .builders import small_vpr, vpr_row, vpr_workbook

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def eager_jobs(settings) -> None:
    settings.SOKO_JOBS_EAGER = True


def upload(client: Client, path: Path) -> str:
    with path.open("rb") as fh:
        response = client.post("/imports/upload/", {"file": fh, "kind": "", "year": ""})
    assert response.status_code == 302, response.content
    return response["Location"]


def test_the_authority_checks_previews_and_imports_a_file(
    client: Client, personas, tmp_path: Path
) -> None:
    client.login(username="uo", password="pass-12345")
    check_url = upload(client, small_vpr(tmp_path / "vpr.xlsx"))
    page = client.get(check_url).content.decode()
    assert "Ошибок нет" in page and "ВПР 2026 Русский язык 4 класс" in page
    assert ImportBatch.objects.count() == 0
    confirm = client.post(check_url + "confirm/")
    run_page = client.get(confirm["Location"]).content.decode()
    assert "Загружено" in run_page
    batch = ImportBatch.objects.get()
    assert batch.uploaded_by == personas.authority and batch.rows_accepted == 12
    history = client.get("/imports/").content.decode()
    assert "vpr.xlsx" in history
    detail = client.get(f"/imports/{batch.pk}/").content.decode()
    assert "СОШ № 1" in detail
    assert client.get(f"/imports/{batch.pk}/file/").status_code == 200
    client.post(f"/imports/{batch.pk}/undo/")
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.UNDONE


def test_errors_are_listed_and_the_file_comes_back_highlighted(
    client: Client, personas, tmp_path: Path
) -> None:
    client.login(username="uo", password="pass-12345")
    rows = [vpr_row("sch990001", "1", [2, 1, 2, 9, 2, 1, 1, 2, 3, 3, 1, 3], primary=30, mark=5)]
    check_url = upload(client, vpr_workbook(tmp_path / "bad.xlsx", rows))
    page = client.get(check_url).content.decode()
    assert "Файл не принят" in page and "4 (3б)" in page
    assert "confirm" not in page.split("Файл не принят")[1].split("</table>")[0]
    download = client.get(check_url + "errors.xlsx")
    wb = load_workbook(io.BytesIO(download.content))
    assert wb.sheetnames[0] == "Ошибки"
    assert wb["Ошибки"]["F2"].value.startswith("Балл за задание 4")
    cell = wb["Индивидуальные результаты"]["J7"]  # task 4 of the first participant
    assert cell.fill.start_color.rgb.endswith("FFC7CE")
    assert client.post(check_url + "confirm/").status_code == 302
    assert ImportBatch.objects.count() == 0


def test_a_school_user_cannot_upload_for_another_school(
    client: Client, personas, tmp_path: Path
) -> None:
    client.login(username="school_a", password="pass-12345")
    page = client.get(upload(client, small_vpr(tmp_path / "b.xlsx", org="sch990002"))).content
    assert "только своей организации" in page.decode()
    assert ImportBatch.objects.count() == 0


def test_a_methodologist_cannot_upload(client: Client, personas) -> None:
    client.login(username="metod", password="pass-12345")
    assert client.get("/imports/upload/").status_code == 403
