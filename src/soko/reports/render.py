"""Renderers of a :class:`~soko.reports.document.Document`: DOCX inside a replaceable docxtpl
template, XLSX with real formatting and native charts, PDF through LibreOffice.

No Django import: the caller passes the template path and the output path.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import jinja2
import xlsxwriter
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.shared import Cm, Pt, RGBColor
from docxtpl import DocxTemplate

from soko.reports.document import (
    Bullets,
    Chart,
    Document,
    Paragraph,
    ReportRefused,
    Table,
    format_value,
)

HEADER_FILL = "DCE6F0"
REQUIRED_FIELD = "body"


class TemplateError(Exception):
    """A user template cannot be used (the message is Russian)."""


def template_fields(template: Path) -> set[str]:
    """The placeholders a DOCX template uses (``{{ name }}``, ``{{p name }}``)."""
    tpl = DocxTemplate(str(template))
    try:
        return set(tpl.get_undeclared_template_variables())
    except Exception as exc:
        raise TemplateError(f"Шаблон не читается: {exc}") from exc


def check_template(template: Path, available: set[str]) -> None:
    """Raise TemplateError when the template lacks the body or asks for unknown fields."""
    fields = template_fields(template)
    if REQUIRED_FIELD not in fields:
        raise TemplateError("В шаблоне нет поля {{p body }} — места для содержания отчёта.")
    unknown = sorted(fields - available)
    if unknown:
        raise TemplateError(
            "В шаблоне есть поля, которых нет у отчёта: " + ", ".join(unknown)
            + ". Доступные поля: " + ", ".join(sorted(available)) + "."
        )


def template_context(doc: Document) -> dict[str, Any]:
    """Values a template may use besides ``body``."""
    return {
        "title": doc.title,
        "subtitle": doc.subtitle,
        "territory": doc.territory,
        "year": doc.year if doc.year is not None else "",
        "data_as_of": doc.data_as_of.strftime("%d.%m.%Y %H:%M") if doc.data_as_of else "нет данных",
        "generated_at": doc.generated_at.strftime("%d.%m.%Y"),
        "sources": "; ".join(doc.sources),
        **doc.variables,
    }


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")  # imported text may carry them
_BORDERS = "".join(
    f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="9AA5B1"/>'
    for side in ("top", "left", "bottom", "right", "insideH", "insideV")
)


TABLE_WIDTH_DXA = 9350  # the text width of an A4 page with 2 cm margins, in twentieths of a point


def _column_widths(table: Table) -> list[int]:
    """Column widths (dxa): no word of a header is broken, the columns with long texts share
    what is left (up to ~40 characters a line). 8.5 pt text is ~100–120 dxa a character and a
    cell has ~230 dxa of margins."""
    minimum, preferred = [], []
    for j, name in enumerate(table.columns):
        lines = [line for i in range(len(table.rows))
                 for line in table.cell_text(i, j).split("\n")]
        head_word = max((len(w) for w in name.split()), default=1)
        longest = min(max((len(line) for line in lines), default=1), 40)
        minimum.append(max(head_word * 120, min(longest, 12) * 100) + 230)
        preferred.append(max(minimum[-1], longest * 100 + 230))
    if sum(preferred) <= TABLE_WIDTH_DXA:
        scale = TABLE_WIDTH_DXA / sum(preferred)
        return [round(w * scale) for w in preferred]
    if sum(minimum) >= TABLE_WIDTH_DXA:
        scale = TABLE_WIDTH_DXA / sum(minimum)
        return [round(w * scale) for w in minimum]
    room = TABLE_WIDTH_DXA - sum(minimum)
    extra = [p - m for p, m in zip(preferred, minimum, strict=True)]
    return [m + round(room * e / sum(extra)) for m, e in zip(minimum, extra, strict=True)]


def _cell_xml(text: str, *, width: int, fill: str = "", bold: bool = False,
              right: bool = False) -> str:
    """One table cell as WordprocessingML (8.5 pt; line breaks kept)."""
    shade = f'<w:shd w:val="clear" w:color="auto" w:fill="{fill}"/>' if fill else ""
    props = f'<w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{shade}</w:tcPr>'
    run_props = "<w:rPr>" + ("<w:b/>" if bold else "") + '<w:sz w:val="17"/></w:rPr>'
    lines = [xml_escape(_XML_INVALID.sub("", line)) for line in text.split("\n")]
    body = '<w:br/>'.join(f'<w:t xml:space="preserve">{line}</w:t>' for line in lines)
    para_props = '<w:pPr><w:spacing w:after="0"/><w:jc w:val="right"/></w:pPr>' if right \
        else '<w:pPr><w:spacing w:after="0"/></w:pPr>'
    return f"<w:tc>{props}<w:p>{para_props}<w:r>{run_props}{body}</w:r></w:p></w:tc>"


def _table_xml(table: Table) -> str:
    """The whole table in one string: thousands of cells through the python-docx object API
    cost seconds; this costs milliseconds and gives the same document."""
    widths = _column_widths(table)
    parts = [
        f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblStyle w:val="TableGrid"/>'
        f'<w:tblW w:w="{sum(widths)}" w:type="dxa"/><w:jc w:val="center"/>'
        f'<w:tblBorders>{_BORDERS}</w:tblBorders><w:tblLayout w:type="fixed"/>'
        '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" '
        'w:firstColumn="1" w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>',
        "".join(f'<w:gridCol w:w="{w}"/>' for w in widths),
        "</w:tblGrid><w:tr><w:trPr><w:tblHeader/></w:trPr>",
    ]
    parts.extend(_cell_xml(name, width=widths[j], fill=HEADER_FILL, bold=True)
                 for j, name in enumerate(table.columns))
    parts.append("</w:tr>")
    for i, row in enumerate(table.rows):
        parts.append("<w:tr><w:trPr><w:cantSplit/></w:trPr>")
        for j, value in enumerate(row):
            numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
            colour = table.highlight.get((i, j), "")
            parts.append(_cell_xml(table.cell_text(i, j), width=widths[j],
                                   fill=colour.lstrip("#"), right=numeric))
        parts.append("</w:tr>")
    parts.append("</w:tbl>")
    return "".join(parts)


def _docx_table(body: Any, table: Table) -> None:
    caption = body.add_paragraph()
    run = caption.add_run(table.title)
    run.bold = True
    caption.paragraph_format.keep_with_next = True
    body.subdocx.element.body._insert_tbl(parse_xml(_table_xml(table)))
    if table.note:
        note = body.add_paragraph(table.note)
        for r in note.runs:
            r.italic = True
            r.font.size = Pt(8)
    else:
        body.add_paragraph()


def render_docx(doc: Document, template: Path, target: Path) -> Path:
    """Fill ``template`` with the document; unknown or unfilled fields are an error."""
    tpl = DocxTemplate(str(template))
    body = tpl.new_subdoc()
    for section in doc.sections:
        body.add_heading(section.title, level=1)
        for block in section.blocks:
            if isinstance(block, Paragraph):
                p = body.add_paragraph(block.text)
                if block.style == "note":
                    for r in p.runs:
                        r.italic = True
                        r.font.color.rgb = RGBColor(0x5F, 0x6B, 0x7A)
            elif isinstance(block, Bullets):
                for item in block.items:
                    body.add_paragraph(item, style="List Bullet")
            elif isinstance(block, Table):
                _docx_table(body, block)
            elif isinstance(block, Chart):
                body.add_picture(io.BytesIO(block.png), width=Cm(block.width_cm))
                caption = body.add_paragraph(block.title)
                caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
                for r in caption.runs:
                    r.italic = True
                    r.font.size = Pt(8.5)
    body.add_heading("Приложение. Данные, методика и источники", level=1)
    body.add_paragraph(
        "Данные на " + template_context(doc)["data_as_of"] + ". Источники данных: "
        + ("; ".join(doc.sources) if doc.sources else "—") + "."
    )
    if doc.methodology:
        _docx_table(
            body,
            Table(
                "Пороговые значения и правила",
                ["Параметр", "Значение", "Источник", "Вид источника"],
                [[m.name, m.value, m.source, m.source_kind] for m in doc.methodology],
            ),
        )
    body.add_paragraph(
        "Группы численностью меньше минимального размера не показываются отдельно, но входят "
        "в итоги. Выводы отчёта — основание для анализа и управленческих решений, а не для "
        "оценки отдельных педагогов."
    )
    context = template_context(doc) | {"body": body}
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)  # noqa: S701
    try:
        tpl.render(context, env)
    except jinja2.UndefinedError as exc:
        raise ReportRefused(f"В шаблоне отчёта есть незаполняемое поле: {exc.message}.") from exc
    target.parent.mkdir(parents=True, exist_ok=True)
    tpl.save(str(target))
    return target


_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(title: str, used: set[str]) -> str:
    base = _SHEET_BAD.sub(" ", title).strip()[:28] or "Лист"
    name, n = base, 2
    while name.lower() in used:
        name = f"{base[:25]} {n}"
        n += 1
    used.add(name.lower())
    return name


def _xlsx_format(fmt: str) -> str:
    if fmt.endswith("%"):
        digits = fmt.count("0") - 1 if "." in fmt else 0
        return ("0." + "0" * digits if digits else "0") + '" %"'
    if "." in fmt:
        return "#,##0." + "0" * len(fmt.split(".")[1])
    return "#,##0"


def render_xlsx(doc: Document, target: Path) -> Path:
    """One sheet of information, one sheet per table, native charts for charts with data."""
    target.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(target))
    title_f = wb.add_format({"bold": True, "font_size": 14})
    bold = wb.add_format({"bold": True})
    head = wb.add_format({"bold": True, "bg_color": "#" + HEADER_FILL, "border": 1,
                          "text_wrap": True, "valign": "top"})
    text = wb.add_format({"border": 1, "valign": "top", "text_wrap": True})
    note_f = wb.add_format({"italic": True, "font_color": "#5f6b7a"})
    info = wb.add_worksheet("Сведения")
    info.set_column(0, 0, 28)
    info.set_column(1, 1, 90)
    info.write(0, 0, doc.title, title_f)
    rows = [
        ("Подзаголовок", doc.subtitle),
        ("Территория", doc.territory),
        ("Год", doc.year if doc.year is not None else ""),
        ("Данные на", template_context(doc)["data_as_of"]),
        ("Сформирован", doc.generated_at.strftime("%d.%m.%Y %H:%M")),
        ("Источники данных", "; ".join(doc.sources)),
    ]
    for i, (k, v) in enumerate(rows, start=2):
        info.write(i, 0, k, bold)
        info.write(i, 1, v)
    used = {"сведения"}
    for section in doc.sections:
        for block in section.blocks:
            if isinstance(block, Table):
                _xlsx_table(wb, block, section.title, used, head, text, note_f, title_f)
    charts = [c for c in doc.charts() if c.categories and c.series]
    if charts:
        sheet = wb.add_worksheet(_sheet_name("Диаграммы", used))
        row = 0
        for chart in charts:
            sheet.write(row, 0, chart.title, bold)
            sheet.write_row(row + 1, 0, ["", *chart.series.keys()], head)
            for i, category in enumerate(chart.categories):
                sheet.write(row + 2 + i, 0, category, text)
                for j, values in enumerate(chart.series.values()):
                    value = values[i] if i < len(values) else None
                    if value is None:
                        sheet.write_blank(row + 2 + i, j + 1, None, text)
                    else:
                        sheet.write_number(row + 2 + i, j + 1, float(value), text)
            native = wb.add_chart({"type": "line" if chart.kind == "line" else "column"})
            for j, name in enumerate(chart.series):
                native.add_series({
                    "name": name,
                    "categories": [sheet.name, row + 2, 0, row + 1 + len(chart.categories), 0],
                    "values": [sheet.name, row + 2, j + 1, row + 1 + len(chart.categories),
                               j + 1],
                })
            native.set_title({"name": chart.title, "name_font": {"size": 10}})
            native.set_size({"width": 640, "height": 300})
            sheet.insert_chart(row, len(chart.series) + 2, native)
            row += max(len(chart.categories) + 4, 17)
        sheet.set_column(0, 0, 30)
    method = wb.add_worksheet(_sheet_name("Методика", used))
    method.set_column(0, 0, 50)
    method.set_column(1, 1, 16)
    method.set_column(2, 2, 70)
    method.set_column(3, 3, 28)
    method.write_row(0, 0, ["Параметр", "Значение", "Источник", "Вид источника"], head)
    for i, m in enumerate(doc.methodology, start=1):
        method.write_row(i, 0, [m.name, m.value, m.source, m.source_kind], text)
    wb.close()
    return target


def _xlsx_table(wb: Any, table: Table, section: str, used: set[str], head: Any, text: Any,
                note_f: Any, title_f: Any) -> None:
    sheet = wb.add_worksheet(_sheet_name(table.title or section, used))
    sheet.write(0, 0, table.title, title_f)
    sheet.write_row(2, 0, table.columns, head)
    formats = {j: wb.add_format({"border": 1, "num_format": _xlsx_format(f)})
               for j, f in table.number_formats.items()}
    plain_number = wb.add_format({"border": 1, "num_format": "#,##0.##"})
    highlight_cache: dict[tuple[int, str], Any] = {}
    widths = [min(max(len(c), 8), 50) for c in table.columns]
    for i, row in enumerate(table.rows):
        for j, value in enumerate(row):
            colour = table.highlight.get((i, j))
            fmt = formats.get(j, plain_number if isinstance(value, (int, float)) else text)
            if colour:
                key = (j, colour)
                if key not in highlight_cache:
                    props = {"border": 1, "bg_color": colour}
                    if j in table.number_formats:
                        props["num_format"] = _xlsx_format(table.number_formats[j])
                    highlight_cache[key] = wb.add_format(props)
                fmt = highlight_cache[key]
            if value is None:
                sheet.write_blank(3 + i, j, None, fmt)
            elif isinstance(value, bool):
                sheet.write(3 + i, j, "да" if value else "нет", fmt)
            elif isinstance(value, (int, float)):
                number = float(value)
                if table.number_formats.get(j, "").endswith("%"):
                    number = float(value)  # percents are stored as 0–100
                sheet.write_number(3 + i, j, number, fmt)
            else:
                sheet.write(3 + i, j, _XML_INVALID.sub("", format_value(value)), fmt)
                widths[j] = min(max(widths[j], len(str(value))), 60)
    for j, w in enumerate(widths):
        sheet.set_column(j, j, w + 2)
    sheet.freeze_panes(3, 0)
    if table.rows:
        sheet.autofilter(2, 0, 2 + len(table.rows), len(table.columns) - 1)
    if table.note:
        sheet.write(4 + len(table.rows), 0, table.note, note_f)


def libreoffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(source: Path, target: Path, timeout: int = 180) -> Path:
    """Convert with LibreOffice headless (a private profile per call, so runs do not clash)."""
    binary = libreoffice()
    if binary is None:
        raise ReportRefused(
            "Для PDF нужен LibreOffice (пакет libreoffice-writer-nogui); он ставится командой "
            "установки из README."
        )
    with tempfile.TemporaryDirectory() as tmp:
        profile = Path(tmp) / "profile"
        out_dir = Path(tmp) / "out"
        env = {**os.environ, "HOME": tmp}
        result = subprocess.run(
            [binary, "--headless", "--norestore", "--nolockcheck",
             f"-env:UserInstallation=file://{profile}", "--convert-to", "pdf",
             "--outdir", str(out_dir), str(source)],
            capture_output=True, text=True, timeout=timeout, env=env, check=False,
        )
        produced = out_dir / (source.stem + ".pdf")
        if result.returncode != 0 or not produced.exists():
            raise ReportRefused(
                "LibreOffice не смог преобразовать отчёт в PDF: "
                + (result.stderr.strip().splitlines() or ["неизвестная ошибка"])[-1]
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(produced), target)
    return target
