"""The МУКО self-assessment of a municipality: the direction × cycle-step matrix filled from what
exists in the system, stored in :class:`~soko.cycle.models.MukoAssessment` for the pages.

The criteria are data (``cycle/data/muko_criteria.yaml``); each names *probes*, and every probe
below answers, for one direction, «what evidence does the system hold?» with a list of
:class:`~soko.cycle.muko.Evidence` (a title and a link). :func:`soko.cycle.muko.score_matrix`
turns the evidence into points, levels and the to-do list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from soko.accounts.scope import Scope
from soko.core.errors import ApplicationError
from soko.cycle import muko
from soko.cycle.directions import DIRECTION_CODES, STEP_CODES, direction_label
from soko.cycle.models import (
    Decision,
    EffectivenessAnalysis,
    ItemOccurrence,
    Measure,
    MukoAssessment,
    MukoEvidence,
    Recommendation,
    Roadmap,
    RoadmapItem,
    RoadmapTarget,
)
from soko.cycle.occurrences import DONE
from soko.cycle.selectors import allows_territory, is_authority, territory_tree
from soko.cycle.services import files
from soko.cycle.sources import (
    assessment_analyses,
    deficit_count,
    direction_records,
    flag_kinds_present,
    flags_by_kind,
    indicator_values_summary,
    indicators_of_direction,
    monitoring_directions,
    monitoring_runs,
    record_directions,
    target_codes_present,
    targets_of,
)
from soko.registry.models import Territory

CRITERIA_FILE = Path(__file__).resolve().parents[1] / "data" / "muko_criteria.yaml"
LIMIT = 50  # evidence pieces kept per probe


@dataclass
class Context:
    territory: Territory
    ids: list[int]
    criteria: muko.Criteria
    cache: dict[str, Any] = field(default_factory=dict)
    #: what does not depend on the territory (indicators of a direction, the analyses of
    #: works), shared by the territories of one recomputation
    shared: dict[str, Any] = field(default_factory=dict)

    def indicators(self, direction: str) -> list[Any]:
        key = f"indicators:{direction}"
        if key not in self.shared:
            self.shared[key] = indicators_of_direction(direction)
        found: list[Any] = self.shared[key]
        return found

    def indicator_codes(self, direction: str) -> list[str]:
        return [i.code for i in self.indicators(direction)]

    def directions(self, key: str, load: Callable[[], Iterable[Any]]) -> set[str]:
        """The directions ``load`` names, read once per territory."""
        if key not in self.cache:
            self.cache[key] = {str(d) for d in load()}
        found: set[str] = self.cache[key]
        return found


Probe = Callable[[Context, str], list[muko.Evidence]]
#: the directions for which a probe can find anything at all (one query for all nine
#: directions): a superset, so the probe runs only where it may find evidence
Gate = Callable[[Context], Collection[str]]
PROBES: dict[str, Probe] = {}
GATES: dict[Probe, Gate] = {}  # by the probe itself: a probe put in its place has none


def probe(name: str, gate: Gate | None = None) -> Callable[[Probe], Probe]:
    def wrap(fn: Probe) -> Probe:
        PROBES[name] = fn
        if gate is not None:
            GATES[fn] = gate
        return fn

    return wrap


def _roadmap_directions(ctx: Context) -> set[str]:
    """Directions of the territories' roadmaps (any status) and of their items."""
    return ctx.directions("roadmaps", lambda: [
        *Roadmap.objects.filter(territory_id__in=ctx.ids)
        .values_list("direction", flat=True).distinct(),
        *RoadmapItem.objects.filter(roadmap__territory_id__in=ctx.ids)
        .values_list("direction", flat=True).distinct(),
    ])


def _directions_of(model: Any) -> Gate:
    """The gate of probes over a model with ``territory`` and ``direction``: the directions
    of the territories' records (any status)."""
    def gate(ctx: Context) -> set[str]:
        return ctx.directions(model.__name__, lambda: model.objects.filter(
            territory_id__in=ctx.ids).values_list("direction", flat=True).distinct())

    return gate


_recommendation_directions = _directions_of(Recommendation)
_measure_directions = _directions_of(Measure)  # the measures' effectiveness analyses too
_decision_directions = _directions_of(Decision)


def _import_directions(ctx: Context) -> set[str]:
    """Directions fed by a kind of import the territories' organizations have slices of."""
    from soko.imports.models import ImportSlice

    def load() -> list[str]:
        kinds = set(ImportSlice.objects.filter(organization__territory_id__in=ctx.ids)
                    .values_list("kind", flat=True).distinct())
        return [d for d, wanted in ctx.criteria.import_kinds.items() if kinds & set(wanted)]

    return ctx.directions("imports", load)


def _target_directions(ctx: Context) -> set[str]:
    """Directions with an indicator that has a target in the territories."""
    def load() -> list[str]:
        codes = target_codes_present(ctx.ids)
        return [d for d in DIRECTION_CODES if codes & set(ctx.indicator_codes(d))]

    return ctx.directions("targets", load)


def _flag_directions(ctx: Context) -> set[str]:
    def load() -> list[str]:
        kinds = flag_kinds_present(ctx.ids)
        return [d for d, wanted in ctx.criteria.flag_kinds.items() if kinds & set(wanted)]

    return ctx.directions("flags", load)


def _monitoring_directions(ctx: Context) -> set[str]:
    return ctx.directions("monitoring", lambda: monitoring_directions(ctx.ids))


def _record_directions(ctx: Context) -> set[str]:
    return ctx.directions("records", lambda: [*record_directions("analyses", ctx.ids),
                                              *record_directions("reports", ctx.ids)])


def _url(name: str, *args: Any) -> str:
    return reverse(f"cycle:{name}", args=args)


def _roadmaps_of(ctx: Context, direction: str) -> Any:
    covering = RoadmapItem.objects.filter(direction=direction).values_list("roadmap_id", flat=True)
    return (
        Roadmap.objects.filter(territory_id__in=ctx.ids)
        .filter(Q(direction=direction) | Q(pk__in=covering))
        .exclude(status__in=[Roadmap.Status.DRAFT, Roadmap.Status.ARCHIVED])
        .distinct()
    )


def _items_of(ctx: Context, direction: str) -> Any:
    return RoadmapItem.objects.filter(
        roadmap__territory_id__in=ctx.ids, direction=direction, is_cancelled=False
    ).exclude(roadmap__status__in=[Roadmap.Status.DRAFT, Roadmap.Status.ARCHIVED])


@probe("roadmap_approved", _roadmap_directions)
def _roadmap_approved(ctx: Context, direction: str) -> list[muko.Evidence]:
    qs = _roadmaps_of(ctx, direction).exclude(doc_number="")
    return [
        muko.Evidence(f"Дорожная карта «{r.title[:150]}» ({r.approving_text})",
                      _url("roadmap", r.pk), "roadmap_approved")
        for r in qs.order_by("-doc_date")[:LIMIT]
    ]


@probe("roadmap_items", _roadmap_directions)
def _roadmap_items(ctx: Context, direction: str) -> list[muko.Evidence]:
    return [
        muko.Evidence(f"Мероприятие: {str(i)[:150]}", _url("item", i.pk), "roadmap_items")
        for i in _items_of(ctx, direction).order_by("roadmap_id", "position")[:LIMIT]
    ]


@probe("roadmap_targets", _roadmap_directions)
def _roadmap_targets(ctx: Context, direction: str) -> list[muko.Evidence]:
    items = _items_of(ctx, direction).filter(
        Q(target__isnull=False) | ~Q(indicator_code="")
    )
    found = [
        muko.Evidence(f"Целевое значение в мероприятии: {str(i)[:140]}", _url("item", i.pk),
                      "roadmap_targets")
        for i in items[:LIMIT]
    ]
    roadmaps = _roadmaps_of(ctx, direction).filter(direction=direction)
    found.extend(
        muko.Evidence(f"Целевой показатель дорожной карты: {t.name[:140]}",
                      _url("roadmap", t.roadmap_id), "roadmap_targets")
        for t in RoadmapTarget.objects.filter(roadmap__in=roadmaps)[:LIMIT]
    )
    return found[:LIMIT]


@probe("indicator_targets", _target_directions)
def _indicator_targets(ctx: Context, direction: str) -> list[muko.Evidence]:
    rows = targets_of(ctx.indicator_codes(direction), ctx.ids)
    return [
        muko.Evidence(f"Цель по показателю «{getattr(t.indicator, 'name', '')}» на {t.year} г.",
                      "", "indicator_targets")
        for t in rows[:LIMIT]
    ]


@probe("indicators")
def _indicators(ctx: Context, direction: str) -> list[muko.Evidence]:
    return [
        muko.Evidence(f"Показатель «{i.name}» ({i.code})", "", "indicators")
        for i in ctx.indicators(direction)[:LIMIT]
    ]


@probe("imports", _import_directions)
def _imports(ctx: Context, direction: str) -> list[muko.Evidence]:
    from soko.imports.models import ImportBatch, ImportSlice

    kinds = list(ctx.criteria.import_kinds.get(direction, ()))
    if not kinds:
        return []
    batch_ids = ImportSlice.objects.filter(
        kind__in=kinds, organization__territory_id__in=ctx.ids
    ).values_list("batch_id", flat=True)
    qs = ImportBatch.objects.filter(
        pk__in=batch_ids,
        status__in=[ImportBatch.Status.ACTIVE, ImportBatch.Status.PARTLY_REPLACED],
    ).order_by("-created_at")
    # the kind's title only, not the whole summary (a regional file's is large)
    rows = qs.values_list("pk", "file_name", "kind", "summary__kind_title")[:LIMIT]
    return [
        muko.Evidence(f"Загрузка №{pk}: {file_name} ({title or kind})",
                      reverse("imports:history"), "imports")
        for pk, file_name, kind, title in rows
    ]


@probe("monitoring_forms", _monitoring_directions)
def _monitoring_forms(ctx: Context, direction: str) -> list[muko.Evidence]:
    return [muko.Evidence(t, _monitoring_url(), "monitoring_forms")
            for t in monitoring_runs(direction, ctx.ids)[:LIMIT]]


def _monitoring_url() -> str:
    from django.urls import NoReverseMatch

    try:
        return reverse("monitoring:home")
    except NoReverseMatch:
        return ""


def _value_pairs(ctx: Context, direction: str) -> list[tuple[str, int]]:
    """(indicator, year) pairs with values in the territories, of this direction's indicators
    (read once for the indicators of every direction)."""
    if "values" not in ctx.cache:
        every = sorted({c for d in DIRECTION_CODES for c in ctx.indicator_codes(d)})
        ctx.cache["values"] = indicator_values_summary(every, ctx.ids)
    codes = set(ctx.indicator_codes(direction))
    return [(code, year) for code, year in ctx.cache["values"] if code in codes]


@probe("indicator_values")
def _indicator_values(ctx: Context, direction: str) -> list[muko.Evidence]:
    pairs = _value_pairs(ctx, direction)
    years: dict[str, list[int]] = {}
    for code, year in pairs:
        years.setdefault(code, []).append(year)
    return [
        muko.Evidence(f"Значения показателя {code} за {', '.join(map(str, sorted(ys)))}", "",
                      "indicator_values")
        for code, ys in sorted(years.items())
    ][:LIMIT]


@probe("indicator_years")
def _indicator_years(ctx: Context, direction: str) -> list[muko.Evidence]:
    pairs = _value_pairs(ctx, direction)
    return [muko.Evidence(f"Значения показателей за {y} год", "", "indicator_years")
            for y in sorted({y for _, y in pairs})]


@probe("flags", _flag_directions)
def _flags(ctx: Context, direction: str) -> list[muko.Evidence]:
    kinds = ctx.criteria.flag_kinds.get(direction, ())
    url = _risks_url()
    return [
        muko.Evidence(
            f"Флаг риска «{f.kind}»: {f.organization.short_name}, {f.year}", url, "flags"
        )
        for f in flags_by_kind(kinds, ctx.ids)[:LIMIT]
    ]


def _risks_url() -> str:
    from django.urls import NoReverseMatch

    try:
        return reverse("risks:home")
    except NoReverseMatch:
        return ""


@probe("deficits")
def _deficits(ctx: Context, direction: str) -> list[muko.Evidence]:
    if "deficits" not in ctx.cache:
        ctx.cache["deficits"] = deficit_count(ctx.ids)
    count, years = ctx.cache["deficits"]
    if not count:
        return []
    return [muko.Evidence(f"Дефициты освоения умений: {count} (годы: "
                          f"{', '.join(map(str, years))})", "", "deficits")]


@probe("assessment_analyses")
def _assessment_analyses(ctx: Context, direction: str) -> list[muko.Evidence]:
    if "assessment_analyses" not in ctx.shared:
        ctx.shared["assessment_analyses"] = assessment_analyses()
    titles: list[str] = ctx.shared["assessment_analyses"]
    return [muko.Evidence(t, _analyses_url(), "assessment_analyses") for t in titles[:LIMIT]]


def _analyses_url() -> str:
    from django.urls import NoReverseMatch

    try:
        return reverse("analyses:home")
    except NoReverseMatch:
        return ""


@probe("area_analyses", _record_directions)
def _area_analyses(ctx: Context, direction: str) -> list[muko.Evidence]:
    titles = direction_records("analyses", direction, ctx.ids)
    titles += direction_records("reports", direction, ctx.ids)
    return [muko.Evidence(t, "", "area_analyses") for t in titles[:LIMIT]]


def _recommendations(ctx: Context, direction: str) -> Any:
    return Recommendation.objects.filter(territory_id__in=ctx.ids, direction=direction).exclude(
        status=Recommendation.Status.REJECTED
    )


@probe("recommendations", _recommendation_directions)
def _recommendations_probe(ctx: Context, direction: str) -> list[muko.Evidence]:
    return [
        muko.Evidence(f"Рекомендация: {r.title[:150]}", _url("recommendation", r.pk),
                      "recommendations")
        for r in _recommendations(ctx, direction)[:LIMIT]
    ]


@probe("recommendations_approved", _recommendation_directions)
def _recommendations_approved(ctx: Context, direction: str) -> list[muko.Evidence]:
    qs = _recommendations(ctx, direction).filter(status=Recommendation.Status.APPROVED)
    return [
        muko.Evidence(f"Утверждена рекомендация: {r.title[:140]}", _url("recommendation", r.pk),
                      "recommendations_approved")
        for r in qs[:LIMIT]
    ]


def _measures(ctx: Context, direction: str) -> Any:
    return Measure.objects.filter(territory_id__in=ctx.ids, direction=direction).exclude(
        status=Measure.Status.CANCELLED
    )


@probe("measures", _measure_directions)
def _measures_probe(ctx: Context, direction: str) -> list[muko.Evidence]:
    return [
        muko.Evidence(f"Мера: {m.title[:150]}", _url("measure", m.pk), "measures")
        for m in _measures(ctx, direction)[:LIMIT]
    ]


@probe("items_done", _roadmap_directions)
def _items_done(ctx: Context, direction: str) -> list[muko.Evidence]:
    qs = (
        ItemOccurrence.objects.filter(
            status=DONE, item__direction=direction, item__roadmap__territory_id__in=ctx.ids
        )
        .select_related("item")
        .order_by("-completed_on")
    )
    return [
        muko.Evidence(f"Выполнено ({o.label}): {str(o.item)[:130]}", _url("item", o.item_id),
                      "items_done")
        for o in qs[:LIMIT]
    ]


def _decisions(ctx: Context, direction: str) -> Any:
    return Decision.objects.filter(territory_id__in=ctx.ids, direction=direction)


@probe("decisions", _decision_directions)
def _decisions_probe(ctx: Context, direction: str) -> list[muko.Evidence]:
    return [
        muko.Evidence(f"{d} «{d.title[:120]}»", _url("decision", d.pk), "decisions")
        for d in _decisions(ctx, direction)[:LIMIT]
    ]


@probe("decisions_linked", _decision_directions)
def _decisions_linked(ctx: Context, direction: str) -> list[muko.Evidence]:
    qs = _decisions(ctx, direction).filter(
        Q(measures__isnull=False) | Q(items__isnull=False) | Q(recommendations__isnull=False)
    ).distinct()
    return [
        muko.Evidence(f"{d}: связано с мерами / мероприятиями / рекомендациями",
                      _url("decision", d.pk), "decisions_linked")
        for d in qs[:LIMIT]
    ]


def _analyses(ctx: Context, direction: str) -> Any:
    return EffectivenessAnalysis.objects.filter(
        measure__territory_id__in=ctx.ids, measure__direction=direction
    ).exclude(status=EffectivenessAnalysis.Status.PENDING).select_related("measure")


@probe("effectiveness", _measure_directions)
def _effectiveness(ctx: Context, direction: str) -> list[muko.Evidence]:
    return [
        muko.Evidence(f"Анализ эффективности: {a.measure.title[:100]} — "
                      f"{a.indicator_name or a.indicator_code}", _url("analysis", a.pk),
                      "effectiveness")
        for a in _analyses(ctx, direction)[:LIMIT]
    ]


@probe("effectiveness_conclusive", _measure_directions)
def _effectiveness_conclusive(ctx: Context, direction: str) -> list[muko.Evidence]:
    qs = _analyses(ctx, direction).filter(status=EffectivenessAnalysis.Status.OK)
    return [
        muko.Evidence(f"Оценка эффекта с интервалом: {a.measure.title[:100]}",
                      _url("analysis", a.pk), "effectiveness_conclusive")
        for a in qs[:LIMIT]
    ]


# ----------------------------------------------------------------------------------------------
# Evaluation
# ----------------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _criteria_cached(path: str, mtime: float) -> muko.Criteria:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return muko.criteria_from_dict(data, sorted(PROBES))


def load_criteria(path: Path = CRITERIA_FILE) -> muko.Criteria:
    """The МУКО criteria (validated; re-read when the file changes)."""
    return _criteria_cached(str(path), path.stat().st_mtime)


def level_cutoffs() -> list[tuple[float, str]]:
    from soko.catalog.selectors import ParameterMissing, parameter_value

    try:
        base = float(parameter_value("cycle.muko.level.base"))
        high = float(parameter_value("cycle.muko.level.high"))
    except ParameterMissing:
        base, high = 50.0, 75.0
    return [(0.0, "дефицитный"), (base, "базовый"), (high, "высокий")]


def collect_evidence(
    territory: Territory, criteria: muko.Criteria, shared: dict[str, Any] | None = None
) -> dict[tuple[str, str], list[muko.Evidence]]:
    """Run every probe the criteria use for every direction, plus the manual evidence. A probe
    with a gate runs only for the directions its gate names (nothing can be found for the
    others). ``shared``: what several territories evaluated together may share."""
    ctx = Context(territory, sorted(territory_tree(territory.pk)), criteria,
                  shared={} if shared is None else shared)
    evidence: dict[tuple[str, str], list[muko.Evidence]] = {}
    for name in sorted(criteria.probes):
        fn = PROBES[name]
        gate = GATES.get(fn)
        present = None if gate is None else gate(ctx)
        for direction in DIRECTION_CODES:
            if criteria.probe_applies(name, direction):
                found = present is None or direction in present
                evidence[(direction, name)] = fn(ctx, direction) if found else []
    for manual in MukoEvidence.objects.filter(territory_id__in=ctx.ids):
        key = (manual.direction, f"{muko.MANUAL}:{manual.step}")
        url = manual.url or (_url("muko_evidence_file", manual.pk) if manual.file_path else "")
        evidence.setdefault(key, []).append(
            muko.Evidence(f"Подтверждение: {manual.title}", url, muko.MANUAL)
        )
    return evidence


def muko_evaluate(territory: Territory) -> muko.Matrix:
    """The matrix of a territory as the system holds it now (nothing stored)."""
    criteria = load_criteria()
    return muko.score_matrix(criteria, collect_evidence(territory, criteria), level_cutoffs())


def muko_recompute(
    *,
    territory: Territory | None = None,
    territories: Sequence[Territory] | None = None,
    today: dt.date | None = None,
) -> list[MukoAssessment]:
    """Evaluate and store the matrix of a municipality, of several (``territories``), or of
    every municipality when neither is given."""
    from soko.catalog.models import Source

    year = (today or timezone.localdate()).year
    criteria = load_criteria()
    source = Source.objects.filter(code=criteria.source).first()
    if territory is not None:
        territories = [territory]
    elif territories is None:
        territories = list(
            Territory.objects.filter(kind=Territory.Kind.MUNICIPALITY).order_by("code")
        )
    stored = []
    shared: dict[str, Any] = {}
    for t in territories:
        matrix = muko.score_matrix(criteria, collect_evidence(t, criteria, shared),
                                   level_cutoffs())
        data = muko.matrix_to_dict(matrix)
        data["source"] = {
            "code": criteria.source,
            "title": source.title if source else criteria.source,
            "kind": source.kind if source else "system",
            "kind_label": source.get_kind_display() if source else "системное значение СОКО",
            "note": criteria.source_note,
        }
        data["criteria_version"] = criteria.version
        data["cutoffs"] = [{"from": b, "level": label} for b, label in level_cutoffs()]
        with transaction.atomic():
            obj, _ = MukoAssessment.objects.update_or_create(
                territory=t,
                year=year,
                defaults={
                    "points": matrix.points,
                    "max_points": matrix.max_points,
                    "percent": round(matrix.percent, 1),
                    "level": matrix.level,
                    "criteria_version": criteria.version,
                    "criteria_source": criteria.source,
                    "matrix": data,
                    "computed_at": timezone.now(),
                },
            )
        stored.append(obj)
    return stored


def muko_evidence_add(
    *,
    scope: Scope,
    user: Any = None,
    territory: Territory,
    direction: str,
    step: str,
    title: str,
    url: str = "",
    upload: Any = None,
) -> MukoEvidence:
    """The authority adds a link or a document as evidence of one cell; the matrix is
    recomputed."""
    if not is_authority(scope) or not allows_territory(scope, territory.pk):
        raise ApplicationError("Подтверждения МУКО добавляет орган управления своей территории.")
    if direction not in DIRECTION_CODES or step not in STEP_CODES:
        raise ApplicationError("Неизвестное направление или этап цикла.")
    if not title.strip():
        raise ApplicationError("Укажите, что подтверждает документ или ссылка.")
    if upload is None and not url.strip():
        raise ApplicationError("Приложите файл или укажите ссылку.")
    if url and not url.strip().startswith(("http://", "https://")):
        raise ApplicationError("Ссылка должна начинаться с http:// или https://.")
    stored = files.store_upload(upload, kind="muko") if upload is not None else None
    evidence = MukoEvidence.objects.create(
        territory=territory,
        direction=direction,
        step=step,
        title=title.strip()[:300],
        url=url.strip(),
        file_path=stored.path if stored else "",
        file_name=stored.name if stored else "",
        added_by=user if getattr(user, "is_authenticated", False) else None,
    )
    muko_recompute(territory=territory)
    return evidence


def muko_evidence_delete(*, scope: Scope, evidence: MukoEvidence) -> None:
    if not is_authority(scope) or not allows_territory(scope, evidence.territory_id):
        raise ApplicationError("Удалять подтверждения МУКО может орган управления.")
    territory = evidence.territory
    evidence.delete()
    muko_recompute(territory=territory)


def todo_text(todo: dict[str, Any]) -> str:
    return f"{direction_label(todo['direction'])} — {todo.get('step_name', '')}: {todo['text']}"
