"""Every file of the bad corpus gets its exact expected error, and nothing is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings

from soko.catalog.models import Assessment
from soko.imports.models import ImportBatch, ImportSlice, RegistryChange
from soko.imports.parsing.problems import ImportRejected
from soko.imports.services import import_file
from soko.registry.models import ClassGroup, Organization, SocialContext, Student, Teacher
from soko.warehouse.schema import FACT_TABLES
from soko.warehouse.store import open_warehouse
from tests.conftest import DATA

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

BAD = DATA / "bad"
ENTRIES: list[dict[str, Any]] = yaml.safe_load((BAD / "manifest.yaml").read_text("utf-8"))


def state() -> dict[str, Any]:
    """Everything an import could change: application rows, fact rows, archived files."""
    with open_warehouse() as wh:
        facts = {name: int(wh.table(name).count().execute()) for name in FACT_TABLES}
    archived = sorted(p.name for p in Path(settings.SOKO.uploads_dir).rglob("*") if p.is_file())
    return {
        "batches": ImportBatch.objects.count(),
        "slices": ImportSlice.objects.count(),
        "changes": RegistryChange.objects.count(),
        "orgs": Organization.objects.count(),
        "assessments": Assessment.objects.count(),
        "teachers": Teacher.objects.count(),
        "classes": ClassGroup.objects.count(),
        "students": Student.objects.count(),
        "social": SocialContext.objects.count(),
        "facts": facts,
        "archive": archived,
    }


def test_the_corpus_is_large_enough() -> None:
    assert len(ENTRIES) >= 40
    assert len({e["file"] for e in ENTRIES}) == len(ENTRIES)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_each_bad_file_gets_its_error_and_changes_nothing(personas, entry: dict[str, Any]) -> None:
    before = state()
    with pytest.raises(ImportRejected) as err:
        import_file(
            BAD / entry["file"],
            kind=entry.get("kind") or None,
            year=entry.get("year"),
            options=entry.get("options") or {},
        )
    first = err.value.problems[0]
    assert first.rule == entry["rule"], first.text()
    assert first.row == entry.get("row"), first.text()
    if entry.get("column"):
        assert first.column == entry["column"], first.text()
    assert first.message and first.message[0].isupper()  # a Russian sentence
    assert state() == before
