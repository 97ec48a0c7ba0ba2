"""Imported official lists (ФИОКО) are compared with the system's own markers."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter

from soko.risks.models import Flag, OfficialComparison
from soko.risks.services import risks_compute

pytestmark = pytest.mark.django_db


def official_list(path: Path, rows: list[list[object]]) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("2026")
    for j, h in enumerate(["Год", "Логин", "Муниципалитет", "ОО", "4 РУ", "4 МА",
                           "Количество маркеров"]):
        ws.write(0, j, h)
    for i, row in enumerate(rows, start=1):
        for j, v in enumerate(row):
            ws.write(i, j, v)
    wb.close()
    return path


def test_agreement_with_the_official_list(rule_world, tmp_path: Path) -> None:
    from soko.imports.services import import_file

    import_file(
        official_list(tmp_path / "bias.xlsx", [
            [2026, "sch990003", "Тестовый округ", "СОШ № 3", 1, 0, 1],
            [2026, "sch990001", "Тестовый округ", "СОШ № 1", 0, 1, 1],
        ]),
        kind="objectivity_list",
        run_hooks=False,
    )
    risks_compute()
    ours = {(f.organization.code, f.subject) for f in
            Flag.objects.filter(kind="objectivity", year=2026).select_related("organization")}
    assert ours == {("sch990003", "РУ"), ("sch990003", "МА")}
    rows = {(c.organization.code, c.subject): c.agreement
            for c in OfficialComparison.objects.filter(year=2026).select_related("organization")}
    assert rows == {
        ("sch990003", "РУ"): "both",
        ("sch990003", "МА"): "ours",
        ("sch990001", "МА"): "official",
    }
    ru = Flag.objects.get(kind="objectivity", year=2026, organization__code="sch990003",
                          subject="РУ")
    assert ru.evidence["official_list"] == {"listed": True, "source": "ФИОКО"}
    ma = Flag.objects.get(kind="objectivity", year=2026, organization__code="sch990003",
                          subject="МА")
    assert ma.evidence["official_list"] == {"listed": False, "source": None}
