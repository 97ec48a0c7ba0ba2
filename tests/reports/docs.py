"""Reading generated reports back in tests: text, tables and pictures of DOCX; cells of XLSX."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import docx
import openpyxl

from soko.reports.builders import BuildContext, kinds
from soko.reports.document import Document
from soko.reports.render import render_docx, render_xlsx
from soko.reports.services import BASE_TEMPLATE

PLACEHOLDER = re.compile(r"\{\{|\}\}|\{%|%\}")


def context(kind: str, *, year: int | None, scope: Any, organization: Any = None,
            territory: Any = None) -> BuildContext:
    spec = kinds()[kind]
    if organization is not None and territory is None:
        territory = organization.territory
    return BuildContext(kind=kind, year=year, organization=organization, territory=territory,
                        scope=scope, title=spec.title)


def build(kind: str, **kwargs: Any) -> Document:
    return kinds()[kind].builder(context(kind, **kwargs))


def docx_file(doc: Document, tmp_path: Path) -> Path:
    return render_docx(doc, BASE_TEMPLATE, tmp_path / f"{doc.kind}.docx")


def xlsx_file(doc: Document, tmp_path: Path) -> Path:
    return render_xlsx(doc, tmp_path / f"{doc.kind}.xlsx")


def docx_text(path: Path) -> str:
    """All paragraph and table text of the document, one line per paragraph / row."""
    d = docx.Document(str(path))
    lines = [p.text for p in d.paragraphs]
    for table in d.tables:
        lines.extend(" | ".join(c.text for c in row.cells) for row in table.rows)
    return "\n".join(lines)


def docx_tables(path: Path) -> list[list[list[str]]]:
    d = docx.Document(str(path))
    return [[[c.text for c in row.cells] for row in t.rows] for t in d.tables]


def docx_table(path: Path, title: str) -> list[list[str]]:
    """The table whose caption paragraph (the paragraph right before it) equals ``title``."""
    d = docx.Document(str(path))
    body = d.element.body
    previous_text = ""
    tables = iter(d.tables)
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            previous_text = "".join(t.text or "" for t in child.iter() if t.tag.endswith("}t"))
        elif tag == "tbl":
            table = next(tables)
            if previous_text.strip() == title:
                return [[c.text for c in row.cells] for row in table.rows]
    raise AssertionError(f"Таблица «{title}» не найдена")


def docx_pictures(path: Path) -> int:
    """Number of images embedded in the document body."""
    with zipfile.ZipFile(path) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    return xml.count("<pic:pic")


def assert_filled(path: Path) -> None:
    """No template field is left unfilled anywhere in the DOCX."""
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.endswith(".xml"):
                text = re.sub(r"<[^>]+>", "", z.read(name).decode("utf-8"))
                assert not PLACEHOLDER.search(text), f"незаполненное поле в {name}"


def xlsx_sheets(path: Path) -> dict[str, list[list[Any]]]:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def xlsx_table(path: Path, title: str) -> list[list[Any]]:
    """Rows (header first) of the sheet whose A1 is ``title``."""
    for rows in xlsx_sheets(path).values():
        if rows and rows[0] and rows[0][0] == title:
            body = rows[2:]
            return [r for r in body if any(v is not None for v in r)]
    raise AssertionError(f"Лист с таблицей «{title}» не найден")


def xlsx_chart_count(path: Path) -> int:
    with zipfile.ZipFile(path) as z:
        return sum(1 for n in z.namelist() if n.startswith("xl/charts/chart"))
