"""A real browser opens the analysis pages: the charts draw and no script fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from soko.analyses.models import AssessmentAnalysis
from soko.imports.services import import_file

from .builders import ru4_2026

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_report_draws_its_charts(page, live_server, personas, tmp_path: Path) -> None:
    import_file(ru4_2026(tmp_path / "ru4.xlsx"))
    analysis = AssessmentAnalysis.objects.get()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "uo")
    page.fill("#id_password", "pass-12345")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/dashboard/")
    page.click("text=Анализ")
    page.click("[data-testid=analysis-list] >> text=Отчёт")
    page.wait_for_url(f"{live_server.url}/analyses/work/{analysis.pk}/")
    assert "Тестовый округ" in page.inner_text("[data-testid=report-unit]")
    for chart in ("marks-chart", "hist-chart", "tasks-chart"):
        page.wait_for_function(
            f"() => window.Chart && Chart.getChart(document.getElementById('{chart}'))"
        )
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    page.goto(f"{live_server.url}/analyses/comprehensive/")
    assert "Согласованность позиций" in page.content()
    assert errors == []
