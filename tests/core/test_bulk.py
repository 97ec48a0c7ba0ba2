"""``insert_rows`` writes what ``bulk_create`` writes, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from soko.analyses.models import Deficit, Level
from soko.catalog.models import Assessment
from soko.core.bulk import insert_rows
from soko.cycle.models import MukoAssessment

pytestmark = pytest.mark.django_db


def _stored(model: Any) -> list[dict[str, Any]]:
    return sorted(({k: v for k, v in row.items() if k != "id"}
                   for row in model.objects.values()), key=repr)


def test_insert_rows_writes_what_bulk_create_writes(personas: Any) -> None:
    assessment = Assessment.objects.first()
    assert assessment is not None

    def deficits() -> list[Deficit]:
        return [
            Deficit(year=2026, assessment=assessment, organization=personas.school_a,
                    class_label="4А", procedure="ВПР", subject="РУ", grade=4,
                    skill="Умение «находить» главное", skill_from_tasks=True,
                    task_numbers=["1.1", "2"], completion=0.25, reference_completion=0.6,
                    threshold=0.5, n=24, specific_gap=-0.1),
            Deficit(year=2026, assessment=assessment, organization=personas.school_b,
                    procedure="ВПР", subject="МА", grade=None, skill="Счёт", completion=0.4,
                    reference_completion=0.7, threshold=0.5, n=11),
        ]

    def matrices() -> list[MukoAssessment]:
        moment = dt.datetime(2026, 11, 23, 10, 30, tzinfo=dt.UTC)
        return [MukoAssessment(territory=personas.municipality, year=2026, points=7,
                               max_points=20, percent=35.0, level=Level.ORGANIZATION,
                               matrix={"directions": [{"код": "results", "n": None}]},
                               computed_at=moment)]

    for model, make in ((Deficit, deficits), (MukoAssessment, matrices)):
        model.objects.bulk_create(make())
        expected = _stored(model)
        model.objects.all().delete()
        assert insert_rows(model, make()) == len(expected)
        assert _stored(model) == expected
    assert insert_rows(Deficit, []) == 0
