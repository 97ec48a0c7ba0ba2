"""Builds the default DOCX template of reports (``data/templates/base.docx``).

Run ``python -m soko.reports.template_build`` after changing it. An authority replaces the
template with its own letterhead and wording through the reports page; a template must keep
``{{p body }}`` and may use the fields listed in :func:`soko.reports.render.template_context`.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

TARGET = Path(__file__).resolve().parent / "data" / "templates" / "base.docx"


def _page_number(paragraph: object) -> None:
    run = paragraph.add_run()  # type: ignore[attr-defined]
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)


def build(target: Path = TARGET) -> Path:
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.0))
    section.top_margin, section.bottom_margin = Cm(1.8), Cm(1.8)
    normal = doc.styles["Normal"]
    normal.font.name = "DejaVu Sans"
    normal.font.size = Pt(10)
    for name, size in (("Heading 1", 13), ("Title", 18)):
        style = doc.styles[name]
        style.font.name = "DejaVu Sans"
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor(0x1F, 0x5F, 0x8B)
    header = section.header.paragraphs[0]
    header.text = "{{ territory }}"
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for run in header.runs:
        run.font.size = Pt(8)
        run.font.color.rgb = RGBColor(0x6C, 0x75, 0x7D)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_number(footer)
    doc.add_paragraph("{{ title }}", style="Title")
    subtitle = doc.add_paragraph("{{ subtitle }}")
    for run in subtitle.runs:
        run.font.size = Pt(12)
    meta = doc.add_paragraph(
        "Данные на {{ data_as_of }}. Отчёт сформирован {{ generated_at }} системой СОКО."
    )
    for run in meta.runs:
        run.italic = True
        run.font.color.rgb = RGBColor(0x5F, 0x6B, 0x7A)
    doc.add_paragraph("{{p body }}")
    target.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(target))
    return target


if __name__ == "__main__":
    print(build())  # noqa: T201
