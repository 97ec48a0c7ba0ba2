"""On a demo municipality: the authority orders the ВПР report as PDF in a real browser and
downloads it; then one PDF of every kind is rendered to images, none of them blank."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

from soko.accounts.scope import scope_for_user
from soko.reports.builders import kinds
from soko.reports.models import Report
from soko.reports.services import report_generate, report_request

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

YEAR = 2026


def _ink(png: Path) -> float:
    """Share of pixels that are not (nearly) white."""
    image = Image.open(png).convert("L")
    return sum(image.histogram()[:235]) / (image.width * image.height)


def _pages(pdf: Path, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(out / "p")], check=True,
                   capture_output=True)
    return sorted(out.glob("p*.png"))


@pytest.fixture
def demo_instance():
    from soko.demo.services import demo_build

    marker = Path(settings.SOKO.data_dir) / "demo.json"
    marker.unlink(missing_ok=True)  # the data dir outlives the flushed database of a test
    report = demo_build(schools=6, seed=5)
    yield report
    marker.unlink(missing_ok=True)


def test_reports_of_every_kind_render_to_non_blank_pdfs(page, live_server, demo_instance,
                                                         settings, tmp_path: Path) -> None:
    from django.contrib.auth import get_user_model

    from soko.registry.models import Organization

    settings.SOKO_JOBS_EAGER = True
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "uo")
    page.fill("#id_password", "demo-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/dashboard/")
    page.goto(f"{live_server.url}/reports/")
    page.select_option("#id_kind", "vpr")
    page.fill("#id_year", str(YEAR))
    page.select_option("#id_fmt", "pdf")
    # the job runs eagerly inside this request: the ВПР report and its PDF take a while
    page.click("[data-testid=report-submit]", timeout=180_000)
    page.wait_for_selector("[data-testid=report-status][data-status=done]", timeout=120_000)
    with page.expect_download() as download:
        page.click("[data-testid=download]")
    pdf = tmp_path / "vpr.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert errors == []

    user = get_user_model().objects.get(username="uo")
    scope = scope_for_user(user)
    school = Organization.objects.filter(scope.org_q(), kind="school").order_by("code").first()
    assert school is not None
    pdfs = {"vpr": pdf}
    docx_dir = tmp_path / "docx"
    docx_dir.mkdir()
    for kind in sorted(set(kinds()) - {"vpr"}):
        report = report_request(kind=kind, year=YEAR,
                                org_code=school.code if kind == "passport" else None,
                                fmt="docx", user=user, scope=scope)
        report = report_generate(report, scope=scope)
        assert report.status == Report.Status.DONE, f"{kind}: {report.message}"
        shutil.copyfile(report.path, docx_dir / f"{kind}.docx")
        pdfs[kind] = tmp_path / "pdf" / f"{kind}.pdf"
    # the same LibreOffice conversion as report_generate(fmt="pdf"), in one call for speed
    subprocess.run(["soffice", "--headless", "--norestore",
                    f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--convert-to",
                    "pdf", "--outdir", str(tmp_path / "pdf"),
                    *sorted(str(p) for p in docx_dir.glob("*.docx"))],
                   check=True, capture_output=True, timeout=600, env={**os.environ,
                                                                       "HOME": str(tmp_path)})
    for kind, path in pdfs.items():
        pages = _pages(path, tmp_path / kind)
        assert pages, kind
        inks = [_ink(p) for p in pages]
        assert inks[0] > 0.01, f"{kind}: первая страница пуста"
        assert max(inks) > 0.03, f"{kind}: на страницах почти нет содержимого"
