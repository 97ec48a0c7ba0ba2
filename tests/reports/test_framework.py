"""The reports framework: a document renders to DOCX (inside a replaceable template), XLSX and
PDF with every number, chart and appendix; refusals are recorded with their reason; templates
are checked before use; the pages, the background job and the CLI obey the scope."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from django.test import Client

from soko.accounts.scope import SYSTEM
from soko.cli import main
from soko.reports import builders
from soko.reports.builders import BuildContext, kinds
from soko.reports.builders.common import anchor_scope, new_document, note
from soko.reports.charts import grouped_bars
from soko.reports.document import (
    Chart,
    Document,
    Paragraph,
    ReportRefused,
    Table,
    counted,
    format_value,
)
from soko.reports.models import Report, ReportTemplate
from soko.reports.render import render_xlsx
from soko.reports.services import BASE_TEMPLATE, report_generate, report_request

from .docs import (
    assert_filled,
    docx_pictures,
    docx_table,
    docx_text,
    xlsx_chart_count,
    xlsx_table,
)

pytestmark = pytest.mark.django_db

ALL_KINDS = {"vpr", "gia9", "gia11", "complex", "low-results", "objectivity", "passport",
             "indicators", "roadmap", "effectiveness", "public"}


def sample(ctx: BuildContext) -> Document:
    """A small document with known numbers: two schools' shares of «2» and a chart of them."""
    doc = new_document(ctx, "Проверочный отчёт", ["ФИС ОКО: ВПР 2026 (проверка)"])
    section = doc.section("Результаты")
    section.add(Paragraph("Доля «2» выше в СОШ № 2."))
    section.add(Table("Доля отметок «2»", ["ОО", "Участников", "Доля «2», %"],
                      [["СОШ № 1", 40, 12.5], ["СОШ № 2\x0b", 3, None]],
                      number_formats={2: "0.0%"}, note="— группа меньше 5 участников"))
    png = grouped_bars("Доля «2», %", ["СОШ № 1", "СОШ № 2"], {"2026": [12.5, 0.0]},
                       percent=True)
    section.add(Chart("Доля «2» по ОО", png, categories=["СОШ № 1", "СОШ № 2"],
                      series={"2026": [12.5, 0.0]}))
    doc.methodology.append(note("Минимальный размер группы", "5 участников",
                                "Системное значение СОКО", "системное значение СОКО"))
    return doc


@pytest.fixture
def sample_kind(monkeypatch) -> str:
    monkeypatch.setitem(builders._KINDS, "sample",
                        builders.KindSpec("sample", "Проверочный отчёт", sample))
    return "sample"


def test_the_eleven_kinds_of_the_issue_are_registered() -> None:
    assert set(kinds()) == ALL_KINDS
    assert kinds()["passport"].needs_org
    assert kinds()["vpr"].org_optional


def test_russian_number_formatting() -> None:
    assert format_value(12345) == "12\u202f345"
    assert format_value(12.5, "0.0%") == "12,5 %"
    assert format_value(3.14159, "0.00") == "3,14"
    assert format_value(None) == "—"
    assert format_value(dt.date(2026, 5, 4)) == "04.05.2026"
    forms = ("работа", "работы", "работ")
    assert [counted(n, *forms) for n in (1, 2, 5, 11, 21, 24, 112)] == [
        "1 работа", "2 работы", "5 работ", "11 работ", "21 работа", "24 работы", "112 работ"]


def test_docx_and_xlsx_carry_every_number_chart_and_the_appendix(personas, sample_kind,
                                                                 tmp_path: Path) -> None:
    report = report_request(kind=sample_kind, year=2026, org_code=None, fmt="docx", user=None,
                            scope=SYSTEM)
    report = report_generate(report, scope=SYSTEM)
    assert report.status == "done", report.message
    path = Path(report.path)
    assert_filled(path)
    rows = docx_table(path, "Доля отметок «2»")
    assert rows == [["ОО", "Участников", "Доля «2», %"], ["СОШ № 1", "40", "12,5 %"],
                    ["СОШ № 2", "3", "—"]]
    assert docx_pictures(path) == 1
    text = docx_text(path)
    assert "Приложение. Данные, методика и источники" in text
    assert "ФИС ОКО: ВПР 2026 (проверка)" in text
    assert "Минимальный размер группы | 5 участников | Системное значение СОКО" in text
    assert report.summary == {"tables": 1, "charts": 1, "sections": ["Результаты"]}
    assert report.territory == personas.region

    xlsx = report_request(kind=sample_kind, year=2026, org_code=None, fmt="xlsx", user=None,
                          scope=SYSTEM)
    xlsx = report_generate(xlsx, scope=SYSTEM)
    table = xlsx_table(Path(xlsx.path), "Доля отметок «2»")
    assert table[0] == ["ОО", "Участников", "Доля «2», %"]
    assert table[1] == ["СОШ № 1", 40, 12.5]
    assert table[2][:2] == ["СОШ № 2", 3] and table[2][2] is None
    assert xlsx_chart_count(Path(xlsx.path)) == 1


def test_a_refusal_is_recorded_with_its_reason(personas, monkeypatch) -> None:
    def refusing(ctx: BuildContext) -> Document:
        raise ReportRefused("Нет результатов ВПР за 2026 год: загрузите файлы ФИС ОКО.")

    monkeypatch.setitem(builders._KINDS, "refusing",
                        builders.KindSpec("refusing", "Отказ", refusing))
    report = report_request(kind="refusing", year=2026, org_code=None, fmt="docx", user=None,
                            scope=SYSTEM)
    report = report_generate(report, scope=SYSTEM)
    assert report.status == "refused"
    assert report.message.startswith("Нет результатов ВПР за 2026 год")
    assert report.path == ""


def test_request_validation_speaks_russian(personas) -> None:
    from soko.core.errors import ApplicationError

    with pytest.raises(ApplicationError, match="Неизвестный вид отчёта «nope»"):
        report_request(kind="nope", year=2026, org_code=None, fmt="docx", user=None, scope=SYSTEM)
    with pytest.raises(ApplicationError, match="Формат «odt» не поддерживается"):
        report_request(kind="vpr", year=2026, org_code=None, fmt="odt", user=None, scope=SYSTEM)
    with pytest.raises(ApplicationError, match="укажите организацию"):
        report_request(kind="passport", year=2026, org_code=None, fmt="docx", user=None,
                       scope=SYSTEM)
    with pytest.raises(ApplicationError, match="«sch000000» не найдена"):
        report_request(kind="passport", year=2026, org_code="sch000000", fmt="docx", user=None,
                       scope=SYSTEM)
    with pytest.raises(ApplicationError, match="Укажите год"):
        report_request(kind="vpr", year=None, org_code=None, fmt="docx", user=None, scope=SYSTEM)
    assert not Report.objects.exists()


def test_the_anchor_scope_keeps_a_municipal_report_inside_its_municipality(personas) -> None:
    ctx = BuildContext(kind="vpr", year=2026, organization=None, territory=personas.municipality,
                       scope=SYSTEM, title="ВПР")
    scope = anchor_scope(ctx)
    assert scope.territory_ids == frozenset({personas.municipality.pk})
    org_ctx = BuildContext(kind="passport", year=2026, organization=personas.school_a,
                           territory=personas.municipality, scope=SYSTEM, title="Паспорт")
    assert anchor_scope(org_ctx).organization_id == personas.school_a.pk


def _template(fields: str) -> bytes:
    d = docx.Document(str(BASE_TEMPLATE))
    d.add_paragraph("БЛАНК: Управление образования города N")
    d.add_paragraph(fields)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def test_a_users_template_is_checked_then_used(personas, sample_kind) -> None:
    from soko.core.errors import ApplicationError
    from soko.reports.services import template_upload

    with pytest.raises(ApplicationError, match="поля, которых нет у отчёта: director"):
        template_upload(kind="", name="плохой.docx", content=_template("{{ director }}"),
                        user=None)
    assert not ReportTemplate.objects.exists()
    bare = docx.Document()
    bare.add_paragraph("{{ title }}")
    buffer = io.BytesIO()
    bare.save(buffer)
    with pytest.raises(ApplicationError, match="нет поля"):
        template_upload(kind="", name="без тела.docx", content=buffer.getvalue(), user=None)
    assert not ReportTemplate.objects.exists()

    template_upload(kind="", name="бланк.docx", content=_template("Данные на {{ data_as_of }}"),
                    user=None)
    report = report_generate(
        report_request(kind=sample_kind, year=2026, org_code=None, fmt="docx", user=None,
                       scope=SYSTEM),
        scope=SYSTEM,
    )
    text = docx_text(Path(report.path))
    assert "БЛАНК: Управление образования города N" in text
    assert "Данные на " in text and "{{" not in text
    assert_filled(Path(report.path))


def test_cli_lists_kinds_and_explains_a_refusal(personas, capsys, tmp_path: Path) -> None:
    import json

    assert main(["report", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert set(listed["kinds"]) == ALL_KINDS
    code = main(["report", "vpr", "--year", "2031", "--out", str(tmp_path / "vpr.docx")])
    err = capsys.readouterr().err
    assert code != 0
    assert "Отчёт не сформирован" in err and "2031" in err
    assert not (tmp_path / "vpr.docx").exists()


def test_pages_order_follow_and_download_within_scope(personas, sample_kind, settings) -> None:
    settings.SOKO_JOBS_EAGER = True
    authority = Client()
    authority.login(username="uo", password=personas.password)
    page = authority.get("/reports/")
    assert page.status_code == 200
    assert "Сформировать отчёт" in page.content.decode()
    response = authority.post("/reports/", {"kind": sample_kind, "year": 2026, "org": "",
                                            "fmt": "xlsx"})
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.status == "done", report.message
    assert report.territory == personas.municipality
    detail = authority.get(response["Location"]).content.decode()
    assert "Отчёт готов" in detail
    download = authority.get(f"/reports/{report.pk}/download/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content)[:2] == b"PK"

    school = Client()
    school.login(username="school_a", password=personas.password)
    assert school.get(f"/reports/{report.pk}/").status_code == 404
    refused = school.post("/reports/", {"kind": "objectivity", "year": 2026, "org": "",
                                        "fmt": "docx"})
    assert "формирует орган управления образованием" in refused.content.decode()
    assert Report.objects.count() == 1


def test_pdf_through_libreoffice(personas, sample_kind, tmp_path: Path) -> None:
    assert shutil.which("soffice"), "LibreOffice is missing: `make setup` installs it"
    report = report_generate(
        report_request(kind=sample_kind, year=2026, org_code=None, fmt="pdf", user=None,
                       scope=SYSTEM),
        scope=SYSTEM,
    )
    assert report.status == "done", report.message
    path = Path(report.path)
    assert path.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Доля отметок «2»" in text and "12,5 %" in text


def test_xlsx_of_a_document_without_charts_has_no_chart_sheet(tmp_path: Path) -> None:
    doc = Document(kind="x", title="Т", subtitle="", territory="", year=2026, data_as_of=None,
                   generated_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    doc.section("Раздел").add(Table("Таблица", ["А"], [[1]]))
    path = render_xlsx(doc, tmp_path / "x.xlsx")
    assert xlsx_chart_count(path) == 0
    assert xlsx_table(path, "Таблица") == [["А"], [1]]

