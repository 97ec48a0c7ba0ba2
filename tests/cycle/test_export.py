"""Export to Word and Excel in the usual table form, and back: the same sections and items."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import docx
import pytest
from openpyxl import load_workbook

from soko.cycle.export import (
    HEADERS,
    ExportItem,
    ExportRoadmap,
    ExportSection,
    roadmap_docx,
    roadmap_xlsx,
)
from soko.lib.roadmap_tables import (
    ParsedRoadmap,
    parse_roadmap,
    parse_roadmap_docx,
    parse_roadmap_xlsx,
)

DATA = Path(__file__).resolve().parents[1] / "data"
DOCUMENTS = [
    *sorted((DATA / "seeds").glob("*.txt")),
    DATA / "roadmap-excerpts" / "03-krasnodar-gia9-plan-2012-2013.txt",
]


def as_export(r: ParsedRoadmap) -> ExportRoadmap:
    doc = r.approving_document
    approving = ""
    if doc is not None and doc.date is not None:
        approving = f"{doc.kind}ом от {doc.date:%d.%m.%Y} № {doc.number}".replace(
            "распоряжениеом", "распоряжением"
        )
    return ExportRoadmap(
        title=r.title,
        approving=approving,
        period=r.period,
        sections=tuple(
            ExportSection(
                s.title, s.level, unnumbered=s.number is None,
                items=tuple(ExportItem(i.number, i.title, i.deadline_text, tuple(i.responsible),
                                       i.indicator_text, "запланировано") for i in s.items),
            )
            for s in r.sections
        ),
    )


def shape(r: ParsedRoadmap) -> list[tuple[str, int, list[tuple[str, str, str, list[str], str]]]]:
    return [
        (s.title, s.level,
         [(i.number, i.title, i.deadline_text, i.responsible, i.indicator_text) for i in s.items])
        for s in r.sections
    ]


@pytest.mark.core
@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name[:12])
def test_export_parses_back_into_the_same_roadmap(path):
    original = parse_roadmap(path)
    exported = as_export(original)
    for back in (parse_roadmap_docx(roadmap_docx(exported)),
                 parse_roadmap_xlsx(roadmap_xlsx(exported))):
        assert shape(back) == shape(original)
        assert back.title == original.title
        assert back.period == original.period
        assert back.approving_document is not None or original.approving_document is None
        if original.approving_document is not None:
            assert back.approving_document is not None
            assert (back.approving_document.number, back.approving_document.date) == (
                original.approving_document.number, original.approving_document.date
            )
        assert [i.extra.get("Статус") for i in back.items] == ["запланировано"] * len(back.items)


@pytest.mark.core
def test_word_document_is_landscape_with_the_usual_columns_and_section_rows():
    roadmap = ExportRoadmap(
        title="Мероприятия по объективности",
        approving="приказом от 15.01.2026 № 7",
        period=(2026, 2026),
        direction="ОБ Объективность",
        owner="Управление образования",
        sections=(ExportSection("1. Организация", 0, (
            ExportItem("1.1", "Наблюдатели на ВПР", "март, апрель ежегодно",
                       ("УО", "Руководители ОО"), "Доля ОО с наблюдателями", "просрочено"),
        )),),
    )
    document = docx.Document(io.BytesIO(roadmap_docx(roadmap)))
    section = document.sections[0]
    assert (section.page_width or 0) > (section.page_height or 0)
    texts = [p.text for p in document.paragraphs]
    assert texts[:3] == ["УТВЕРЖДЕНА", "приказом от 15.01.2026 № 7", ""]
    assert "ДОРОЖНАЯ КАРТА" in texts  # a title that does not say what it is gets the heading
    (table,) = document.tables
    assert [c.text for c in table.rows[0].cells] == list(HEADERS)
    heading = table.rows[1].cells
    assert heading[0]._tc is heading[-1]._tc and heading[0].text == "1. Организация"
    assert table.rows[2].cells[3].text == "УО\nРуководители ОО"
    back = parse_roadmap_docx(roadmap_docx(roadmap))
    assert back.period == (2026, 2026)
    assert (back.approving_document.number, back.approving_document.date) == (  # type: ignore[union-attr]
        "7", date(2026, 1, 15))
    assert back.items[0].responsible == ["УО", "Руководители ОО"]


@pytest.mark.core
def test_excel_workbook_is_formatted():
    roadmap = ExportRoadmap(title="План мероприятий на 2026 год", sections=(
        ExportSection("Раздел", 0, (ExportItem("1", "Анализ", "май 2026", ("ИМЦ",), "",
                                               "выполнено"),), unnumbered=True),))
    sheet = load_workbook(io.BytesIO(roadmap_xlsx(roadmap))).active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    header_row = next(k for k, v in enumerate(values) if v[0] == HEADERS[0])
    assert values[header_row - 1][0] == "Раздел"  # an unnumbered top section is the caption
    assert values[header_row + 1][:6] == ["1", "Анализ", "май 2026", "ИМЦ", "", "выполнено"]
    status_cell = sheet.cell(row=header_row + 2, column=6)
    assert status_cell.fill.fgColor.rgb.endswith("D1E7DD")
    assert sheet.page_setup.orientation == "landscape"
