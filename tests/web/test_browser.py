"""A real browser logs in as each role and opens the dashboard; the upload flow works."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.imports.builders import small_vpr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pass-12345")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/dashboard/")


@pytest.mark.parametrize(
    ("username", "role", "orgs"),
    [
        ("uo", "орган управления образованием", "2"),
        ("metod", "методист", "2"),
        ("school_a", "образовательная организация", "1"),
    ],
)
def test_each_role_logs_in_and_sees_its_dashboard(
    page, live_server, personas, username, role, orgs, tmp_path: Path
) -> None:
    login(page, live_server, username)
    assert "Обзор" in page.inner_text("[data-testid=dashboard-title]")
    assert role in page.inner_text("[data-testid=whoami]")
    assert page.inner_text("[data-testid=stat-orgs]") == orgs
    page.screenshot(path=str(tmp_path / f"dashboard-{username}.png"), full_page=True)
    page.click("text=Организации")
    rows = page.locator("[data-testid=org-table] tbody tr")
    assert rows.count() == int(orgs)


def test_the_public_sees_published_data_without_logging_in(page, live_server, personas) -> None:
    page.goto(f"{live_server.url}/")
    page.wait_for_url(f"{live_server.url}/public/")
    assert "Тестовый округ" in page.inner_text("[data-testid=public-table]")


def test_the_authority_uploads_a_file_through_the_page(
    page, live_server, personas, tmp_path: Path, settings
) -> None:
    settings.SOKO_JOBS_EAGER = True
    login(page, live_server, "uo")
    page.goto(f"{live_server.url}/imports/upload/")
    page.set_input_files("#id_file", str(small_vpr(tmp_path / "vpr.xlsx")))
    page.click("[data-testid=upload-submit]")
    page.wait_for_selector("[data-testid=check-ok]")
    assert page.inner_text("[data-testid=rows]") == "12"
    page.click("[data-testid=confirm]")
    page.wait_for_selector("[data-testid=imported]")
    page.goto(f"{live_server.url}/imports/")
    assert "vpr.xlsx" in page.inner_text("[data-testid=history-table]")
