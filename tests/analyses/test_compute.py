"""Recomputation: after imports and undo, idempotent, as a background job."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from soko.analyses.models import AssessmentAnalysis, ResultSummary, SchoolPosition
from soko.analyses.services import analyses_compute
from soko.core.jobs import job_enqueue, job_run
from soko.core.models import Job
from soko.imports.services import import_file, import_undo

from .builders import ru4_2026

pytestmark = pytest.mark.django_db


def test_undo_removes_the_analysis_of_the_data_it_removed(personas: Any, tmp_path: Path) -> None:
    outcome = import_file(ru4_2026(tmp_path / "ru4.xlsx"))
    assert AssessmentAnalysis.objects.filter(year=2026).count() == 1
    assert SchoolPosition.objects.filter(year=2026).count() == 3
    import_undo(batch_id=outcome.batch_id)
    assert not AssessmentAnalysis.objects.exists()
    assert not ResultSummary.objects.exists()
    assert not SchoolPosition.objects.exists()


def test_recomputing_gives_the_same_rows(personas: Any, tmp_path: Path) -> None:
    import_file(ru4_2026(tmp_path / "ru4.xlsx"))
    before = sorted(
        ResultSummary.objects.values_list("level", "participants", "mark_2", "primary_sum")
    )
    report = analyses_compute()
    assert report["years"]["2026"]["assessments"] == 1
    assert report["years"]["2026"]["summaries"] == len(before)
    after = sorted(
        ResultSummary.objects.values_list("level", "participants", "mark_2", "primary_sum")
    )
    assert after == before
    assert analyses_compute(year=2025)["years"] == {"2025": {
        "assessments": 0, "summaries": 0, "deficits": 0, "deficit_summaries": 0}}
    assert ResultSummary.objects.count() == len(before)  # other years untouched


def test_the_background_job_recomputes(personas: Any, tmp_path: Path) -> None:
    import_file(ru4_2026(tmp_path / "ru4.xlsx"))
    ResultSummary.objects.all().delete()
    job = job_run(job_enqueue(kind="analyses.compute", params={"year": 2026}))
    assert job.status == Job.Status.DONE, job.error
    assert job.result["years"]["2026"]["assessments"] == 1
    # 3 classes, 3 ОО, 2 municipalities, 1 region
    assert ResultSummary.objects.filter(year=2026).count() == 9
