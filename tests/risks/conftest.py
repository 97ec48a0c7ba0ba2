"""Fixtures of the risks tests: small ВПР files imported through the real import path."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.imports.builders import RU4_MAX, ru4_mark, vpr_row, vpr_workbook


def scores_for(total: int, maxes: Sequence[int] = RU4_MAX) -> list[int]:
    """Task scores adding up to ``total`` (filled task by task)."""
    out = []
    left = total
    for m in maxes:
        take = min(m, left)
        out.append(take)
        left -= take
    assert left == 0
    return out


def vpr_file(path: Path, year: int, subject: str, rows: Sequence[list[Any]]) -> Path:
    return vpr_workbook(path, rows, title=f"ВПР {year} {subject} 4 класс")


def school_rows(org: str, start: int, n_two: int, n_other: int, *, other_total: int = 17,
                journal: int = 4) -> list[list[Any]]:
    """n_two pupils with 5 points («2») and n_other with ``other_total`` points."""
    rows = []
    for i in range(n_two):
        rows.append(vpr_row(org, str(start + i), scores_for(5), journal=journal))
    for i in range(n_other):
        rows.append(vpr_row(org, str(start + n_two + i), scores_for(other_total),
                            journal=journal))
    return rows


@dataclass
class RuleWorld:
    personas: Any
    school_c: Any
    files: list[Path]


@pytest.fixture
def rule_world(personas: Any, tmp_path: Path) -> RuleWorld:
    """Three schools, ВПР «Русский язык» and «Математика» 4 класс in 2025 and 2026.

    * sch990001 (A): 3 of 10 «2» (exactly 30 %) in both works, both years → rule fires in 2026;
    * sch990002 (B): 30 % in «Русский язык» both years, «Математика» 2026: 2 of 10 → no;
    * sch990101 (far): 5 of 9 «2» everywhere → works under 10 participants do not count;
    * sch990003 (C): no «2».
    """
    from soko.imports.services import import_file
    from soko.registry.services import organization_create

    c = organization_create(
        code="sch990003", name="МБОУ «СОШ № 3»", short_name="СОШ № 3",
        territory=personas.municipality, kind="school", org_type="СОШ", settlement="rural",
    )
    files = []
    for year in (2025, 2026):
        for subject in ("Русский язык", "Математика"):
            b_two = 2 if (year, subject) == (2026, "Математика") else 3
            rows = (
                school_rows("sch990001", 1000, 3, 7)
                + school_rows("sch990002", 2000, b_two, 10 - b_two)
                + school_rows("sch990101", 3000, 5, 4)
                + school_rows("sch990003", 4000, 0, 12, other_total=20)
            )
            path = vpr_file(tmp_path / f"vpr-{year}-{subject}.xlsx", year, subject, rows)
            import_file(path, run_hooks=False)
            files.append(path)
    return RuleWorld(personas, c, files)


def mark_of(total: int) -> int:
    return ru4_mark(total)
