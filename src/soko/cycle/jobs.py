"""Background job kinds of the management cycle (run by the worker; the CLI calls the same
services in the foreground)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from soko.core.jobs import ProgressFn, register


@register("cycle.remind", "Напоминания о сроках мероприятий")
def remind_job(params: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
    from soko.cycle.services import remind

    progress(0.1, "обновление статусов и рассылка")
    raw = params.get("today")
    report = remind(today=dt.date.fromisoformat(raw) if raw else None)
    progress(1.0, "готово")
    return report.to_dict()


@register("cycle.recompute", "Пересчёт рекомендаций и самооценки МУКО")
def recompute_job(params: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
    from soko.cycle.services import cycle_recompute

    progress(0.1, "рекомендации, анализ эффективности, МУКО")
    result = cycle_recompute(None)
    progress(1.0, "готово")
    return result


@register("cycle.effectiveness", "Анализ эффективности меры")
def effectiveness_job(params: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
    from soko.cycle.models import EffectivenessAnalysis
    from soko.cycle.services import effectiveness_compute, muko_recompute

    progress(0.1, "расчёт разности разностей")
    analysis = EffectivenessAnalysis.objects.select_related("measure__territory").get(
        pk=int(params["analysis_id"])
    )
    analysis = effectiveness_compute(analysis)
    progress(0.8, "обновление матрицы МУКО")
    muko_recompute(territory=analysis.measure.territory)
    progress(1.0, "готово")
    return {"analysis_id": analysis.pk, "status": analysis.status, "verdict": analysis.verdict,
            "conclusion": analysis.conclusion}
