"""Background job of the risks area (the web «Пересчитать» button)."""

from __future__ import annotations

from typing import Any

from soko.core.jobs import ProgressFn, register


@register("risks.compute", "Расчёт рисков: ШНОР, ШФНСУ, признаки необъективности")
def risks_compute_job(params: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
    from soko.risks.services import risks_compute

    year = params.get("year")
    return risks_compute(year=int(year) if year else None, progress=progress)
