"""Writes of the indicators area: loading built-in definitions, the editor, computation, targets.

* :func:`indicators_load_builtin` reads ``data/indicators.yaml`` of every installed area
  (versioned by checksum, like the catalog);
* :func:`indicator_create` / :func:`indicator_update` / :func:`indicator_retire` — the editor;
* :func:`indicators_compute` — runs the engine and replaces the stored values atomically;
* :func:`target_set`, :func:`targets_evaluate`, :func:`seed_demo_targets` — targets and status;
* :func:`after_import` — the post-import hook: recomputes the years and sources a batch touched.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from soko.accounts.scope import SYSTEM, Scope
from soko.catalog.models import Source
from soko.catalog.selectors import ParameterMissing, parameter_value
from soko.core.errors import ApplicationError, ValidationFailed
from soko.core.jobs import ProgressFn, register
from soko.indicators import formula as fm
from soko.indicators import sources as external_sources
from soko.indicators.definitions import (
    Definition,
    DefinitionError,
    build_spec,
    builtin_schema,
    normalise,
)
from soko.indicators.engine import ORG, Engine, IndicatorSpec, parse_bkey
from soko.indicators.inputs import build_hierarchy, build_inputs, registry_years
from soko.indicators.models import (
    Aggregation,
    Indicator,
    IndicatorCatalogVersion,
    IndicatorRun,
    IndicatorValue,
    Polarity,
    Target,
    TargetStatus,
)
from soko.indicators.schema import SOURCES_OF_IMPORT_KIND
from soko.registry.models import Organization, Territory

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
DEFINITION_FILE = "indicators.yaml"


# --- schema and definitions ----------------------------------------------------------------------


def formula_schema(year: int | None = None) -> fm.Schema:
    """Sources, registered external prefixes and the parameters in force for ``year``."""

    def lookup(code: str) -> Any:
        try:
            return parameter_value(code, year)
        except ParameterMissing:
            raise KeyError(code) from None

    prefixes = {prefix: spec.title for prefix, spec in external_sources.sources().items()}
    return builtin_schema(prefixes, params=lookup)


def default_min_group(year: int | None = None) -> int:
    try:
        return int(parameter_value("privacy.min_group_size", year))
    except ParameterMissing:
        return 10


def definition_of(ind: Indicator) -> Definition:
    """The definition stored on an indicator."""
    return Definition(
        code=ind.code,
        name=ind.name,
        direction=ind.direction,
        source=ind.source.code if ind.source_id else "system",
        short_name=ind.short_name,
        unit=ind.unit,
        factor=ind.factor,
        polarity=ind.polarity,
        aggregation=ind.aggregation,
        numerator=ind.numerator,
        denominator=ind.denominator,
        condition=ind.condition,
        universe=ind.universe,
        n=ind.n_formula,
        filters=dict(ind.filters or {}),
        breakdown=list(ind.breakdown or []),
        total=ind.total,
        levels=list(ind.levels or []),
        min_group=ind.min_group,
        test=ind.test,
        components=list(ind.components or []),
        normalisation=ind.normalisation,
        scale=ind.scale,
        min_weight_share=ind.min_weight_share,
        methodology=ind.methodology,
        key=ind.key,
        order=ind.order,
    )


def _aggregations() -> dict[str, str]:
    return dict(Indicator.objects.values_list("code", "aggregation"))


def indicator_spec(ind: Indicator, *, year: int | None = None) -> IndicatorSpec:
    """The engine specification of a stored indicator; raises :class:`DefinitionError`."""
    return build_spec(
        definition_of(ind),
        formula_schema(year),
        default_min_group=default_min_group(year),
        indicators=_aggregations(),
    )


def _apply(ind: Indicator, defn: Definition, source: Source) -> None:
    ind.name = defn.name
    ind.short_name = defn.short_name
    ind.direction = defn.direction
    ind.unit = defn.unit
    ind.factor = defn.factor
    ind.polarity = defn.polarity
    ind.aggregation = defn.aggregation
    ind.numerator = defn.numerator
    ind.denominator = defn.denominator
    ind.condition = defn.condition
    ind.universe = defn.universe
    ind.n_formula = defn.n
    ind.filters = defn.filters
    ind.breakdown = defn.breakdown
    ind.total = defn.total
    ind.levels = defn.levels
    ind.min_group = defn.min_group
    ind.test = defn.test
    ind.components = defn.components
    ind.normalisation = defn.normalisation
    ind.scale = defn.scale
    ind.min_weight_share = defn.min_weight_share
    ind.methodology = defn.methodology
    ind.key = defn.key
    ind.order = defn.order
    ind.source = source
    ind.definition_hash = defn.checksum()


# --- built-in catalog ----------------------------------------------------------------------------


def definition_files() -> list[tuple[str, Path]]:
    """``(area label, path)`` of every installed area's ``data/indicators.yaml``, in
    ``INSTALLED_APPS`` order."""
    found = []
    for config in apps.get_app_configs():
        if not config.name.startswith("soko."):
            continue
        path = Path(config.path) / "data" / DEFINITION_FILE
        if path.exists():
            found.append((config.label, path))
    return found


def builtin_checksum() -> str:
    digest = hashlib.sha256()
    for label, path in definition_files():
        digest.update(label.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _read_definitions() -> tuple[list[tuple[str, dict[str, Any]]], list[str]]:
    items: list[tuple[str, dict[str, Any]]] = []
    errors: list[str] = []
    for label, path in definition_files():
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        except yaml.YAMLError as exc:
            errors.append(f"{label}/data/{DEFINITION_FILE}: не читается как YAML: {exc}")
            continue
        if not isinstance(data, list):
            errors.append(f"{label}/data/{DEFINITION_FILE}: ожидался список определений")
            continue
        for i, raw in enumerate(data, start=1):
            if not isinstance(raw, dict):
                errors.append(f"{label}/data/{DEFINITION_FILE}: элемент {i} — не словарь")
                continue
            items.append((label, raw))
    return items, errors


@transaction.atomic
def indicators_load_builtin(*, force: bool = False) -> dict[str, Any]:
    """Load (or refresh) the built-in indicators of every area. Idempotent; skips when no
    definition file changed. A definition that cannot be computed now (e.g. its data source is
    not installed) is kept with ``problem`` set. Returns counts."""
    checksum = builtin_checksum()
    latest = IndicatorCatalogVersion.objects.first()
    if latest is not None and latest.checksum == checksum and not force:
        return {"skipped": True}
    system = Source.objects.filter(code="system").first()
    if system is None:
        return {"skipped": True, "reason": "справочники не загружены (нет источника system)"}
    items, errors = _read_definitions()
    sources = {s.code: s for s in Source.objects.all()}
    schema = formula_schema()
    min_group = default_min_group()
    known = {str(raw.get("code", "")): str(raw.get("aggregation") or "counts") for _, raw in items}
    known.update(
        dict(Indicator.objects.filter(is_builtin=False).values_list("code", "aggregation"))
    )
    existing = {i.code: i for i in Indicator.objects.select_related("source")}
    seen: dict[str, str] = {}
    counts = {"created": 0, "updated": 0, "unchanged": 0, "problems": 0, "retired": 0}
    for order, (label, raw) in enumerate(items):
        code = str(raw.get("code", "")).strip()
        if code in seen:
            errors.append(
                f"{label}: показатель «{code}» уже определён в области «{seen[code]}»; "
                "оставлено первое определение"
            )
            continue
        try:
            defn = normalise(raw)
        except DefinitionError as exc:
            errors.append(f"{label}: «{code or '?'}»: {exc}")
            continue
        seen[code] = label
        if "order" not in raw:
            defn.order = order
        problem = ""
        source = sources.get(defn.source)
        if source is None:
            problem = f"Источник «{defn.source}» не найден в справочнике источников."
            source = system
        try:
            build_spec(defn, schema, default_min_group=min_group, indicators=known)
        except DefinitionError as exc:
            problem = str(exc)
        current = existing.get(code)
        if current is not None and not current.is_builtin:
            errors.append(
                f"{label}: код «{code}» занят показателем, созданным пользователем; "
                "встроенное определение не загружено"
            )
            continue
        if current is None:
            current = Indicator(code=code, is_builtin=True, area=label)
            counts["created"] += 1
        elif current.definition_hash == defn.checksum() and current.problem == problem:
            counts["unchanged"] += 1
            continue
        else:
            counts["updated"] += 1
        _apply(current, defn, source)
        current.area = label
        current.problem = problem
        current.save()
        if problem:
            counts["problems"] += 1
    for code, ind in existing.items():
        if ind.is_builtin and code not in seen and not ind.retired:
            ind.retired = True
            ind.problem = "Показатель исключён из поставляемого каталога."
            ind.save(update_fields=["retired", "problem", "updated_at"])
            counts["retired"] += 1
    IndicatorCatalogVersion.objects.create(checksum=checksum, counts={**counts, "errors": errors})
    for message in errors:
        log.warning("indicator definitions: %s", message)
    return {"skipped": False, **counts, "errors": errors}


# --- the editor ----------------------------------------------------------------------------------


def _require_editor(scope: Scope) -> None:
    if not scope.can_edit or scope.is_school or scope.is_public:
        raise ApplicationError("Показатели создаёт и изменяет орган управления образованием.")


def indicator_validate(data: Mapping[str, Any]) -> tuple[Definition, IndicatorSpec]:
    """Check a definition from the editor. Raises :class:`ValidationFailed` whose
    ``extra["errors"]`` maps fields to Russian messages (with the error column for formulas)."""
    try:
        defn = normalise(data)
        if not Source.objects.filter(code=defn.source).exists():
            raise DefinitionError("source", f"источник «{defn.source}» не найден")
        spec = build_spec(
            defn,
            formula_schema(),
            default_min_group=default_min_group(),
            indicators=_aggregations(),
        )
    except DefinitionError as exc:
        extra: dict[str, Any] = {"errors": {exc.field: exc.message}}
        if exc.formula_error is not None:
            extra["caret"] = {exc.field: exc.formula_error.caret()}
            extra["column"] = {exc.field: exc.formula_error.column}
        raise ValidationFailed(str(exc), extra) from None
    return defn, spec


@transaction.atomic
def indicator_create(
    *, data: Mapping[str, Any], user: Any = None, scope: Scope = SYSTEM
) -> Indicator:
    """Create a custom indicator (the editor). Returns it."""
    _require_editor(scope)
    defn, _ = indicator_validate(data)
    if Indicator.objects.filter(code=defn.code).exists():
        raise ValidationFailed(
            f"Показатель с кодом «{defn.code}» уже есть.",
            {"errors": {"code": "код уже занят"}},
        )
    ind = Indicator(code=defn.code, is_builtin=False, area="")
    _apply(ind, defn, Source.objects.get(code=defn.source))
    ind.created_by = user if getattr(user, "is_authenticated", False) else None
    ind.save()
    return ind


@transaction.atomic
def indicator_update(
    *, indicator: Indicator, data: Mapping[str, Any], user: Any = None, scope: Scope = SYSTEM
) -> Indicator:
    """Change a custom indicator; built-in ones are versioned data (copy them to change)."""
    _require_editor(scope)
    if indicator.is_builtin:
        raise ApplicationError(
            "Встроенный показатель меняется только с новой версией каталога; создайте копию."
        )
    payload = {**data, "code": indicator.code}
    defn, _ = indicator_validate(payload)
    _apply(indicator, defn, Source.objects.get(code=defn.source))
    indicator.problem = ""
    indicator.save()
    return indicator


@transaction.atomic
def indicator_retire(
    *, indicator: Indicator, retired: bool = True, scope: Scope = SYSTEM
) -> Indicator:
    """Retire (or bring back) an indicator: it is no longer computed or offered; its values and
    targets stay for history."""
    _require_editor(scope)
    indicator.retired = retired
    indicator.save(update_fields=["retired", "updated_at"])
    return indicator


def indicator_copy_data(indicator: Indicator) -> dict[str, Any]:
    """The editor's starting point for a copy of an indicator (code suffixed ``_copy``)."""
    defn = definition_of(indicator)
    data = dict(defn.__dict__)
    data["code"] = f"{indicator.code}_copy"
    data["name"] = f"{indicator.name} (копия)"
    return data


# --- computation ---------------------------------------------------------------------------------


def _data_years() -> set[int]:
    from soko.imports.models import ImportSlice

    years = set(
        ImportSlice.objects.filter(state=ImportSlice.State.ACTIVE)
        .exclude(year=None)
        .values_list("year", flat=True)
        .distinct()
    )
    return {int(y) for y in years if y is not None} | registry_years()


def _select(codes: Iterable[str] | None, sources: Iterable[str] | None) -> list[Indicator]:
    qs = Indicator.objects.filter(retired=False).select_related("source")
    chosen = list(qs)
    if codes is not None:
        wanted = set(codes)
        chosen = [i for i in chosen if i.code in wanted]
    return chosen if sources is None else _touching(chosen, set(sources))


def _touching(indicators: list[Indicator], sources: set[str]) -> list[Indicator]:
    """Indicators that read one of ``sources`` and the composites built from them."""
    schema = formula_schema()
    picked: set[str] = set()
    for ind in indicators:
        if ind.aggregation == Aggregation.COMPOSITE:
            continue
        texts = [ind.numerator, ind.denominator, ind.condition, ind.universe, ind.n_formula]
        used: set[str] = set()
        for text in texts:
            if not text:
                continue
            try:
                used |= fm.referenced_sources(fm.parse(text, schema))
            except fm.FormulaError:
                continue
        if used & sources or {u.split(".")[0] for u in used} & sources:
            picked.add(ind.code)
    for ind in indicators:
        if ind.aggregation == Aggregation.COMPOSITE and any(
            p.get("indicator") in picked for p in ind.components
        ):
            picked.add(ind.code)
    return [i for i in indicators if i.code in picked]


def _signature(spec: IndicatorSpec) -> tuple[tuple[str, str], ...]:
    found = set()
    for node in spec.formulas():
        for n in fm.walk(node):
            if isinstance(n, fm.Param):
                found.add((n.code, repr(n.value)))
    return tuple(sorted(found))


def _specs_by_year(
    indicators: Sequence[Indicator], years: Sequence[int]
) -> tuple[list[tuple[list[int], list[IndicatorSpec]]], dict[str, str]]:
    """Specifications grouped by years that share the same parameter values (one engine run per
    group; usually a single group)."""
    problems: dict[str, str] = {}
    groups: dict[tuple[Any, ...], tuple[list[int], list[IndicatorSpec]]] = {}
    aggregations = _aggregations()
    for year in years:
        schema = formula_schema(year)
        min_group = default_min_group(year)
        specs: list[IndicatorSpec] = []
        for ind in indicators:
            try:
                specs.append(
                    build_spec(
                        definition_of(ind),
                        schema,
                        default_min_group=min_group,
                        indicators=aggregations,
                    )
                )
            except DefinitionError as exc:
                problems[ind.code] = str(exc)
        key = tuple((s.code, s.min_group, _signature(s)) for s in specs)
        if key not in groups:
            groups[key] = ([], specs)
        groups[key][0].append(year)
    return list(groups.values()), problems


@contextlib.contextmanager
def _warehouse(given: Any) -> Iterator[Any]:
    if given is not None:
        yield given
        return
    from soko.warehouse.store import open_warehouse

    with open_warehouse() as wh:
        yield wh


def _noop(fraction: float, message: str = "") -> None:
    return None


def indicators_compute(
    *,
    year: int | None = None,
    years: Iterable[int] | None = None,
    codes: Iterable[str] | None = None,
    sources: Iterable[str] | None = None,
    progress: Progress | None = None,
    warehouse: Any = None,
    trigger: str = "manual",
) -> dict[str, Any]:
    """Compute the indicators and replace their stored values for the computed years.

    ``year`` / ``years`` limit the years (default: every year with data); ``codes`` limits the
    indicators; ``sources`` keeps only indicators reading those sources (post-import).
    ``warehouse`` lets the caller pass an open fact store (DuckDB or PostgreSQL). Returns a
    summary: run id, years, counts, timings and problems.
    """
    say = progress or _noop
    started = time.monotonic()
    indicators_load_builtin()
    chosen = _select(codes, sources)
    wanted = sorted({*(years or []), *([year] if year is not None else [])})
    all_years = sorted(wanted or _data_years())
    run = IndicatorRun.objects.create(trigger=trigger[:40], years=all_years)
    summary: dict[str, Any] = {
        "run": run.pk,
        "years": all_years,
        "indicators": 0,
        "values": 0,
        "problems": {},
    }
    if not chosen or not all_years:
        _finish_run(run, summary, started, {}, "")
        return summary
    try:
        say(0.02, "подготовка определений показателей")
        frames, problems, timings, engine_kind = _run_engine(warehouse, chosen, all_years, say)
        say(0.92, "сохранение значений")
        t0 = time.monotonic()
        by_code = {i.code: i for i in chosen}
        rows = _store(run, by_code, frames, all_years, problems)
        timings["store"] = round(time.monotonic() - t0, 3)
        summary.update(
            indicators=len(frames),
            values=rows,
            problems=problems,
            engine=engine_kind,
            timings=timings,
        )
        t0 = time.monotonic()
        summary["targets"] = targets_evaluate(indicator_ids=[i.pk for i in chosen])
        timings["targets"] = round(time.monotonic() - t0, 3)
        _finish_run(run, summary, started, timings, "")
    except Exception as exc:
        IndicatorRun.objects.filter(pk=run.pk).update(
            status=IndicatorRun.Status.FAILED,
            finished_at=timezone.now(),
            seconds=round(time.monotonic() - started, 2),
            message=f"{exc.__class__.__name__}: {exc}"[:2000],
        )
        raise
    say(1.0, "готово")
    return summary


def _run_engine(
    warehouse: Any, chosen: Sequence[Indicator], years: Sequence[int], say: Progress
) -> tuple[dict[str, list[pd.DataFrame]], dict[str, str], dict[str, float], str]:
    """Run the engine for the chosen indicators (one run per group of years sharing parameter
    values). Returns frames by code, problems, timings and the fact store kind."""
    groups, problems = _specs_by_year(chosen, years)
    hierarchy = build_hierarchy()
    frames: dict[str, list[pd.DataFrame]] = defaultdict(list)
    timings: dict[str, float] = {}
    with _warehouse(warehouse) as wh:
        kind = str(getattr(wh, "kind", ""))
        for group_years, specs in groups:
            read_years = sorted(set(group_years) | {y - 1 for y in group_years})
            engine = Engine(wh, build_inputs(read_years), hierarchy, progress=say)
            result = engine.compute(specs, group_years)
            for code, frame in result.frames.items():
                frames[code].append(frame)
            problems.update(result.problems)
            for k, v in result.timings.items():
                timings[k] = round(timings.get(k, 0.0) + v, 3)
    return frames, problems, timings, kind


def indicators_frames(
    *, warehouse: Any, years: Iterable[int], codes: Iterable[str] | None = None
) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Compute without storing: the engine's frames by code on a given fact store (used by the
    engine conformance test and the benchmark)."""
    frames, problems, _, _ = _run_engine(warehouse, _select(codes, None), sorted(set(years)), _noop)
    return {code: pd.concat(parts, ignore_index=True) for code, parts in frames.items()}, problems


def _finish_run(
    run: IndicatorRun, summary: dict[str, Any], started: float, timings: dict[str, float], msg: str
) -> None:
    seconds = round(time.monotonic() - started, 2)
    summary["seconds"] = seconds
    IndicatorRun.objects.filter(pk=run.pk).update(
        status=IndicatorRun.Status.DONE,
        finished_at=timezone.now(),
        indicators=int(summary.get("indicators", 0)),
        rows=int(summary.get("values", 0)),
        seconds=seconds,
        timings=timings,
        engine=str(summary.get("engine", "")),
        message=msg
        or "; ".join(f"{k}: {v}" for k, v in sorted(summary.get("problems", {}).items()))[:4000],
    )


def _clean(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float | np.floating):
        return None if math.isnan(float(value)) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


_VALUE_COLUMNS = (
    "indicator_id",
    "year",
    "organization_id",
    "territory_id",
    "breakdown_key",
    "breakdown",
    "numerator",
    "denominator",
    "value",
    "n",
    "suppressed",
    "previous_value",
    "change",
    "change_significant",
    "p_value",
    "detail",
    "run_id",
)


def _float_list(values: Any) -> list[float | None]:
    return [
        None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
        for v in values.tolist()
    ]


def _value_rows(
    frame: pd.DataFrame, run: IndicatorRun, org_ids: set[int], terr_ids: set[int]
) -> Iterator[tuple[Any, ...]]:
    """Rows of ``indicators_indicatorvalue`` from the frames of all indicators (with column
    ``indicator_id``), converted column by column."""
    indicator = [int(v) for v in frame["indicator_id"].tolist()]
    entity = frame["entity"].tolist()
    entity_id = [int(v) for v in frame["entity_id"].tolist()]
    years = [int(v) for v in frame["year"].tolist()]
    bkeys = [str(v)[:200] for v in frame["bkey"].tolist()]
    num = _float_list(frame["numerator"].astype("float64"))
    den = _float_list(frame["denominator"].astype("float64"))
    value = _float_list(frame["value"].astype("float64"))
    n = [int(v) for v in frame["n"].tolist()]
    suppressed = [bool(v) for v in frame["suppressed"].tolist()]
    prev = _float_list(frame["previous_value"].astype("float64"))
    change = _float_list(frame["change"].astype("float64"))
    significant = frame["change_significant"].tolist()
    p_value = _float_list(frame["p_value"].astype("float64"))
    orgs = _float_list(frame["orgs"].astype("float64"))
    detail = frame["detail"].tolist()
    breakdowns: dict[str, str] = {}
    counted: dict[int, str] = {}
    for i in range(len(frame)):
        is_org = entity[i] == ORG
        eid = entity_id[i]
        if (is_org and eid not in org_ids) or (not is_org and eid not in terr_ids):
            continue
        bkey = bkeys[i]
        if bkey not in breakdowns:
            breakdowns[bkey] = json.dumps(parse_bkey(bkey), ensure_ascii=False)
        if isinstance(detail[i], dict):
            extra = json.dumps(_clean(detail[i]), ensure_ascii=False)
        elif (count := orgs[i]) is not None:
            k = int(count)
            if k not in counted:
                counted[k] = json.dumps({"orgs": k})
            extra = counted[k]
        else:
            extra = "{}"
        sig = significant[i]
        yield (
            indicator[i],
            years[i],
            eid if is_org else None,
            None if is_org else eid,
            bkey,
            breakdowns[bkey],
            num[i],
            den[i],
            value[i],
            n[i],
            suppressed[i],
            prev[i],
            change[i],
            None if sig is None or sig is pd.NA else bool(sig),
            p_value[i],
            extra,
            run.pk,
        )


@transaction.atomic
def _store(
    run: IndicatorRun,
    by_code: Mapping[str, Indicator],
    frames: Mapping[str, list[pd.DataFrame]],
    years: Sequence[int],
    problems: Mapping[str, str],
) -> int:
    """Replace the values of the computed indicators for ``years`` in one transaction.

    Rows are written with ``executemany`` (the ORM's per-object overhead dominates at hundreds
    of thousands of values)."""
    org_ids = set(Organization.objects.values_list("pk", flat=True))
    territory_ids = set(Territory.objects.values_list("pk", flat=True))
    computed = [by_code[c].pk for c in frames if c in by_code]
    IndicatorValue.objects.filter(indicator_id__in=computed, year__in=list(years))._raw_delete(
        using="default"
    )
    table = IndicatorValue._meta.db_table
    json_columns = {"breakdown", "detail"}
    postgres = connection.vendor == "postgresql"
    marks = ", ".join(
        "%s::jsonb" if postgres and c in json_columns else "%s" for c in _VALUE_COLUMNS
    )
    sql = f"INSERT INTO {table} ({', '.join(_VALUE_COLUMNS)}) VALUES ({marks})"
    pieces = [
        frame.assign(indicator_id=by_code[code].pk)
        for code, parts in frames.items()
        for frame in parts
        if not frame.empty
    ]
    total = 0
    if pieces:
        rows = list(_value_rows(pd.concat(pieces, ignore_index=True), run, org_ids, territory_ids))
        with connection.cursor() as cursor:
            for start in range(0, len(rows), 10000):
                cursor.executemany(sql, rows[start : start + 10000])
        total = len(rows)
    for ind in by_code.values():
        problem = problems.get(ind.code, "")
        if ind.problem != problem:
            ind.problem = problem
            ind.save(update_fields=["problem", "updated_at"])
    return total


# --- post-import hook and background job ---------------------------------------------------------


def after_import(batch: Any) -> None:
    """Recompute what an import (or undo) touched: its years (and the next year, whose dynamics
    depend on them) and the indicators reading its kind of data; ``None`` — everything.

    A failure is logged and recorded as a failed run; the import itself stays committed.
    Setting ``SOKO_INDICATORS_AFTER_IMPORT = False`` turns the recomputation off (e.g. in test
    suites of other areas); ``soko compute`` then brings the values up to date.
    """
    from django.conf import settings

    if not getattr(settings, "SOKO_INDICATORS_AFTER_IMPORT", True):
        return
    years: set[int] | None = None
    sources: tuple[str, ...] | None = None
    trigger = "demo" if batch is None else f"import:{batch.pk}"
    if batch is not None:
        sources = SOURCES_OF_IMPORT_KIND.get(str(batch.kind))
        found = {int(y) for y in batch.slices.exclude(year=None).values_list("year", flat=True)}
        if batch.year:
            found.add(int(batch.year))
        if found:
            years = found | {y + 1 for y in found}
            known = _data_years()
            years = {y for y in years if y in known or y in found}
    try:
        indicators_compute(years=years, sources=sources, trigger=trigger)
    except Exception:
        log.exception("indicator recomputation after import failed")


@register("indicators.compute", "Расчёт показателей")
def compute_job(params: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
    year = params.get("year")
    codes = params.get("codes")
    return indicators_compute(
        year=int(year) if year else None,
        codes=codes or None,
        progress=progress,
        trigger="web",
    )


# --- targets -------------------------------------------------------------------------------------


def _meets(value: float, target: float, polarity: str) -> bool:
    if polarity == Polarity.LOWER_BETTER:
        return value <= target + 1e-9
    return value >= target - 1e-9


def target_status(
    target_year: int,
    target_value: float,
    polarity: str,
    observed: Mapping[int, float],
    trend_years: int = 2,
) -> tuple[str, float | None, float | None, str]:
    """Status of a target from the observed values by year.

    * a value for the target year exists: «достигнуто» / «не достигнуто»;
    * the target year is ahead of the data: the trend of the last ``trend_years`` values is
      extended to the target year — «в пределах траектории» when the projection meets the
      target, otherwise «под угрозой» (one value only: its own level is the projection);
    * nothing observed: «нет данных».

    Returns (status, actual value, projected value, note in Russian).
    """
    if target_year in observed:
        value = observed[target_year]
        status = (
            TargetStatus.ACHIEVED
            if _meets(value, target_value, polarity)
            else (TargetStatus.NOT_ACHIEVED)
        )
        return str(status), value, None, f"Значение {target_year} г.: {value:.1f}"
    before = sorted(y for y in observed if y < target_year)
    if not before:
        return str(TargetStatus.NO_DATA), None, None, "Значений за годы до цели нет."
    if any(y > target_year for y in observed) and target_year not in observed:
        return (
            str(TargetStatus.NO_DATA),
            None,
            None,
            f"За {target_year} г. значение не рассчитано.",
        )
    recent = before[-max(1, trend_years) :]
    last_year = recent[-1]
    last = observed[last_year]
    slope = 0.0
    if len(recent) >= 2:
        slope = (last - observed[recent[0]]) / (last_year - recent[0])
    projected = last + slope * (target_year - last_year)
    if _meets(projected, target_value, polarity):
        note = (
            f"Последнее значение ({last_year} г.) {last:.1f}; при сохранении динамики "
            f"к {target_year} г. — {projected:.1f}."
        )
        return str(TargetStatus.ON_TRACK), None, projected, note
    note = (
        f"Последнее значение ({last_year} г.) {last:.1f}; при сохранении динамики к "
        f"{target_year} г. — {projected:.1f}, цель {target_value:.1f} не будет достигнута."
    )
    return str(TargetStatus.AT_RISK), None, projected, note


def targets_evaluate(*, indicator_ids: Iterable[int] | None = None) -> int:
    """Re-evaluate the status of targets from the stored values. Returns how many changed."""
    try:
        trend_years = int(parameter_value("indicators.targets.trend_years"))
    except ParameterMissing:
        trend_years = 2
    qs = Target.objects.select_related("indicator")
    if indicator_ids is not None:
        qs = qs.filter(indicator_id__in=list(indicator_ids))
    changed = 0
    now = timezone.now()
    for target in qs:
        values = IndicatorValue.objects.filter(
            indicator_id=target.indicator_id,
            breakdown_key=target.breakdown_key,
            value__isnull=False,
        )
        if target.organization_id is not None:
            values = values.filter(organization_id=target.organization_id)
        else:
            values = values.filter(organization__isnull=True, territory=target.territory)
        observed = {
            int(y): float(v) for y, v in values.values_list("year", "value") if v is not None
        }
        status, actual, projected, note = target_status(
            target.year, target.value, target.indicator.polarity, observed, trend_years
        )
        if (target.status, target.actual_value, target.projected_value, target.status_note) != (
            status,
            actual,
            projected,
            note,
        ):
            changed += 1
        Target.objects.filter(pk=target.pk).update(
            status=status,
            actual_value=actual,
            projected_value=projected,
            status_note=note[:500],
            evaluated_at=now,
        )
    return changed


def _check_target_scope(scope: Scope, organization: Any, territory: Any) -> None:
    if not scope.can_edit or scope.is_public or scope.is_school:
        raise ApplicationError("Целевые значения устанавливает орган управления образованием.")
    if organization is not None and not scope.allows_org(organization):
        raise ApplicationError("Организация вне ваших прав.")
    if (
        territory is not None
        and scope.territory_ids is not None
        and (territory.pk not in scope.territory_ids)
    ):
        raise ApplicationError("Территория вне ваших прав.")


@transaction.atomic
def target_set(
    *,
    indicator: Indicator,
    year: int,
    value: float,
    organization: Organization | None = None,
    territory: Territory | None = None,
    breakdown_key: str = "",
    document_number: str = "",
    document_date: dt.date | None = None,
    document_title: str = "",
    note: str = "",
    user: Any = None,
    scope: Scope = SYSTEM,
) -> Target:
    """Set (or replace) the target of an indicator for an organization or a territory in a
    year, with the document that set it; evaluates its status. Returns the target."""
    if (organization is None) == (territory is None):
        raise ApplicationError("Укажите либо организацию, либо территорию.")
    _check_target_scope(scope, organization, territory)
    if not math.isfinite(value):
        raise ApplicationError("Целевое значение должно быть числом.")
    target, _ = Target.objects.update_or_create(
        indicator=indicator,
        year=year,
        organization=organization,
        territory=territory,
        breakdown_key=breakdown_key,
        defaults={
            "value": float(value),
            "document_number": document_number,
            "document_date": document_date,
            "document_title": document_title,
            "note": note,
            "created_by": user if getattr(user, "is_authenticated", False) else None,
        },
    )
    targets_evaluate(indicator_ids=[indicator.pk])
    target.refresh_from_db()
    return target


@transaction.atomic
def target_delete(*, target: Target, scope: Scope = SYSTEM) -> None:
    _check_target_scope(scope, target.organization, target.territory)
    target.delete()


SEED_003_DOCUMENT = (
    "Приказ Управления образованием Администрации города Юрги от 26.11.2020 № 512 «Об "
    "утверждении Плана мероприятий («дорожная карта») по повышению качества общего образования "
    "в общеобразовательных организациях Юргинского городского округа, имеющих низкие "
    "образовательные результаты обучающихся, на 2020-2021 годы», раздел 3 «Целевые показатели»"
)
DEMO_DOCUMENT = "Демонстрационный пример целевых значений (не является реальным документом)"


def seed_demo_targets() -> list[Target]:
    """Targets of the demonstration instance, called by ``soko demo`` after computing.

    * Seed 003: «Снижение доли школ с низкими результатами обучения … до 16 % → 8 % → 0 %»
      (2020/2021, 2021/2022, 2022/2023; приказ № 512 от 26.11.2020) is given to the demo
      municipality for the demo years 2024–2026 on ``low_results.shnor_share``.
    * A few targets on result indicators, relative to the municipality's 2024 values and
      labelled as a demonstration example (no real document is claimed).
    """
    municipality = (
        Territory.objects.filter(kind=Territory.Kind.MUNICIPALITY).order_by("code").first()
    )
    if municipality is None:
        return []
    created: list[Target] = []
    shnor = Indicator.objects.filter(code="low_results.shnor_share").first()
    if shnor is not None:
        for year, value in ((2024, 16.0), (2025, 8.0), (2026, 0.0)):
            created.append(
                target_set(
                    indicator=shnor,
                    year=year,
                    value=value,
                    territory=municipality,
                    document_number="512",
                    document_date=dt.date(2020, 11, 26),
                    document_title=SEED_003_DOCUMENT,
                    note=(
                        "Значения дорожной карты 2020/2021 — 16 %, 2021/2022 — 8 %, 2022/2023 — "
                        "0 % перенесены на демонстрационные годы 2024–2026."
                    ),
                )
            )
    relative = (
        ("results.vpr_share2", 2026, -2.0),
        ("results.vpr_quality", 2026, 3.0),
        ("results.oge_share2", 2025, -1.0),
        ("results.ege_below_min", 2026, -1.0),
        ("results.vpr_share2", 2027, -3.0),
    )
    for code, year, delta in relative:
        ind = Indicator.objects.filter(code=code).first()
        if ind is None:
            continue
        base = (
            IndicatorValue.objects.filter(
                indicator=ind, territory=municipality, year=2024, breakdown_key=""
            )
            .values_list("value", flat=True)
            .first()
        )
        if base is None:
            continue
        created.append(
            target_set(
                indicator=ind,
                year=year,
                value=round(max(0.0, min(100.0, float(base) + delta)), 1),
                territory=municipality,
                document_title=DEMO_DOCUMENT,
                note=(
                    f"Демонстрационная цель: значение 2024 г. ({float(base):.1f}) "
                    f"{'+' if delta > 0 else '−'} {abs(delta):g}."
                ),
            )
        )
    return created
