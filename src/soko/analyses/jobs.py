"""Background job of the analyses area: recompute the stored analyses."""

from __future__ import annotations

from typing import Any

from soko.core.jobs import ProgressFn, register


@register("analyses.compute", "Пересчёт анализа результатов")
def compute_job(params: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
    from soko.analyses.services import analyses_compute

    year = params.get("year")
    return analyses_compute(year=int(year) if year else None, progress=progress)
