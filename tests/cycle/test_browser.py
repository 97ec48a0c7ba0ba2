"""In a real browser: the authority imports a roadmap through the pages (with the preview) and
a school user reports an item done; the authority accepts the report."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cycle.conftest import seed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pass-12345")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/dashboard/")


def test_import_a_roadmap_and_report_an_item_done(page, live_server, personas,
                                                  tmp_path: Path) -> None:
    login(page, live_server, "uo")
    page.click("text=Управление")
    page.wait_for_selector("[data-testid=cycle-title]")
    page.click("[data-testid=import-roadmap]")
    page.set_input_files("#id_file", str(seed("003")))
    page.click("[data-testid=upload-roadmap]")
    page.wait_for_selector("[data-testid=preview-items]")
    assert page.inner_text("[data-testid=preview-items]") == "27"
    assert page.inner_text("[data-testid=preview-unparsed]") == "0"
    page.screenshot(path=str(tmp_path / "preview.png"), full_page=True)
    page.click("[data-testid=confirm-import]")
    page.wait_for_selector("[data-testid=roadmap-title]")
    assert "Юргинского городского округа" in page.inner_text("[data-testid=roadmap-title]")
    assert page.locator("[data-testid=item-row]").count() == 27
    page.screenshot(path=str(tmp_path / "roadmap.png"), full_page=True)
    roadmap_url = page.url
    page.click("form[action$='/logout/'] button")

    # the school answers for item 2 («МБУ ДПО «ИМЦ г. Юрги», ОО»)
    login(page, live_server, "school_a")
    page.goto(roadmap_url)
    from soko.cycle.models import RoadmapItem

    second = RoadmapItem.objects.get(number="2")
    page.locator(f"#item-{second.pk} a").first.click()
    page.wait_for_selector("[data-testid=item-title]")
    assert page.inner_text("[data-testid=item-title]").startswith("2. ")
    form = page.locator("[data-testid=report-form]").first
    form.locator("textarea[name=text]").fill("Проведено совещание, протокол на сайте школы")
    form.locator("input[name=link_url]").fill("https://school1.example.org/protocol.pdf")
    form.locator("[data-testid=submit-report]").click()
    page.wait_for_selector("[data-testid=report-state]")
    assert page.inner_text("[data-testid=report-state]") == "на проверке"
    item_url = page.url.split("#")[0]
    page.click("form[action$='/logout/'] button")

    login(page, live_server, "uo")
    page.goto(item_url)
    page.click("[data-testid=accept-report]")
    page.wait_for_selector("[data-testid=report-state]:has-text('принят')")
    page.screenshot(path=str(tmp_path / "item.png"), full_page=True)
    assert page.locator("[data-testid=report-state]").first.inner_text() == "принят"
