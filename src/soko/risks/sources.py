"""Indicator sources of the risks area: ``flags.*`` and ``recheck.*``.

``flags.<kind>`` is the number of current, not dismissed flags of that kind per organization and
year, 0 for organizations that have a risk summary (results or social context) but no flag.
The other names are per-organization 0/1 values for «доля ОО …» indicators, and
``flags.assessed`` = 1 for every organization with a summary (the denominator).
``recheck.checked`` / ``recheck.objective`` count the re-checked works and those assessed
objectively, by the organization that wrote them and the year of the sample.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import pyarrow as pa

FLAG_NAMES: list[tuple[str, str]] = [
    ("objectivity", "Число флагов «признаки необъективности» (не отклонённых)"),
    ("low_results", "Число флагов «низкие результаты (ШНОР)» (не отклонённых)"),
    ("social", "Число флагов «неблагоприятные социальные условия (ШФНСУ)» (не отклонённых)"),
    ("has_objectivity", "ОО с признаками необъективности (1/0)"),
    ("has_objectivity_vpr", "ОО с признаками необъективности ВПР (1/0)"),
    ("has_low_results", "ОО с низкими результатами обучения — ШНОР (1/0)"),
    ("has_social", "ОО в неблагоприятных социальных условиях — ШФНСУ (1/0)"),
    ("resilient", "Резильентная ОО (1/0)"),
    ("priority", "ОО приоритетной поддержки: ШНОР и ШФНСУ (1/0)"),
    ("objectivity_persistent",
     "ОО, устойчиво (2 года подряд) имеющая признаки необъективности (1/0)"),
    ("assessed", "ОО, по которой рассчитаны риски (1)"),
]
RECHECK_NAMES: list[tuple[str, str]] = [
    ("checked", "Число перепроверенных работ"),
    ("objective", "Число объективно оценённых работ по итогам перепроверки"),
]


def _table(values: dict[tuple[int, int], float]) -> pa.Table:
    from soko.indicators.sources import SOURCE_SCHEMA

    keys = sorted(values)
    return pa.table(
        {
            "org_id": pa.array([k[0] for k in keys], pa.int64()),
            "year": pa.array([k[1] for k in keys], pa.int64()),
            "value": pa.array([float(values[k]) for k in keys], pa.float64()),
        },
        schema=SOURCE_SCHEMA,
    )


def flags_provider(name: str, years: Sequence[int]) -> pa.Table:
    """Values of ``flags.<name>`` per organization and year (see the module docstring)."""
    from soko.risks.models import Flag, FlagKind, FlagStatus, SchoolYearRisk

    if name not in dict(FLAG_NAMES):
        raise KeyError(name)
    summaries = SchoolYearRisk.objects.all()
    flags = Flag.objects.filter(current=True).exclude(status=FlagStatus.DISMISSED)
    if years:
        summaries = summaries.filter(year__in=list(years))
        flags = flags.filter(year__in=list(years))
    values: dict[tuple[int, int], float] = dict.fromkeys(
        summaries.values_list("organization_id", "year"), 0.0
    )
    if name == "assessed":
        return _table(dict.fromkeys(values, 1.0))
    if name in ("resilient", "priority"):
        for o, y in summaries.filter(quadrant=name).values_list("organization_id", "year"):
            values[(o, y)] = 1.0
        return _table(values)
    counts: dict[tuple[int, int], int] = defaultdict(int)
    if name in FlagKind.values:
        for o, y in flags.filter(kind=name).values_list("organization_id", "year"):
            counts[(o, y)] += 1
        for k, n in counts.items():
            values[k] = float(n)
        return _table(values)
    selected = flags
    if name == "has_objectivity_vpr":
        selected = flags.filter(kind=FlagKind.OBJECTIVITY, procedure="ВПР")
    elif name == "objectivity_persistent":
        selected = flags.filter(kind=FlagKind.OBJECTIVITY, persistent=True)
    else:
        selected = flags.filter(kind=name.removeprefix("has_"))
    for o, y in selected.values_list("organization_id", "year"):
        values[(o, y)] = 1.0
    return _table(values)


def recheck_provider(name: str, years: Sequence[int]) -> pa.Table:
    """``recheck.checked`` / ``recheck.objective`` per organization and sample year."""
    from soko.risks.models import RecheckWork

    if name not in dict(RECHECK_NAMES):
        raise KeyError(name)
    works = RecheckWork.objects.filter(commission_scores__isnull=False)
    if years:
        works = works.filter(sample__year__in=list(years))
    values: dict[tuple[int, int], float] = defaultdict(float)
    for o, y, objective in works.values_list("organization_id", "sample__year", "objective"):
        values[(o, y)] += 1.0 if name == "checked" or objective else 0.0
    return _table(dict(values))


def register() -> None:
    from soko.indicators.sources import register_source

    register_source("flags", "Флаги рисков (ШНОР, ШФНСУ, необъективность)", flags_provider,
                    lambda: list(FLAG_NAMES))
    register_source("recheck", "Перепроверка работ", recheck_provider,
                    lambda: list(RECHECK_NAMES))
