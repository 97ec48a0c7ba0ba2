"""An import recomputes the indicators that read what it touched; undo recomputes again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from soko.imports.services import import_file, import_undo
from soko.indicators.models import IndicatorRun, IndicatorValue
from tests.imports.builders import small_vpr

pytestmark = pytest.mark.django_db


def _share2(org: Any) -> IndicatorValue | None:
    return IndicatorValue.objects.filter(
        indicator__code="results.vpr_share2", organization=org, year=2026, breakdown_key=""
    ).first()


def test_an_import_recomputes_and_undo_recomputes_again(personas: Any, tmp_path: Path) -> None:
    path = small_vpr(tmp_path / "vpr.xlsx", org="sch990001", n=12)
    outcome = import_file(path)
    run = IndicatorRun.objects.first()
    assert run is not None and run.status == "done" and run.trigger == f"import:{outcome.batch_id}"
    assert 2026 in run.years
    value = _share2(personas.school_a)
    assert value is not None and value.n == 12
    # journal-only indicators were not part of this run: the batch touched results
    assert not IndicatorValue.objects.filter(run=run, indicator__code="results.journal_success")
    assert outcome.batch_id is not None
    import_undo(batch_id=outcome.batch_id)
    assert _share2(personas.school_a) is None
    assert IndicatorRun.objects.first().trigger == f"import:{outcome.batch_id}"


def test_the_recomputation_can_be_switched_off(
    personas: Any, tmp_path: Path, settings: Any
) -> None:
    settings.SOKO_INDICATORS_AFTER_IMPORT = False
    import_file(small_vpr(tmp_path / "vpr.xlsx", org="sch990001", n=12))
    assert not IndicatorRun.objects.exists()
