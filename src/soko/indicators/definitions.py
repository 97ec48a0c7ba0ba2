"""Indicator definitions: the YAML / editor format, its validation and the engine specification.

Pure module (no Django). A definition is the mapping documented in ``docs/indicators.md``
(the contract of ``docs/contributing.md`` plus optional keys). :func:`normalise` checks the
plain fields; :func:`build_spec` parses the formulas against a :class:`~.formula.Schema` and
returns an :class:`~.engine.IndicatorSpec`. Problems raise :class:`DefinitionError` naming the
field, in Russian.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from soko.indicators import formula as f
from soko.indicators.engine import FILTER_KEYS, CompositePart, IndicatorSpec
from soko.indicators.schema import BUILTIN_SOURCES

DIRECTIONS = (
    "results",
    "low_results",
    "talents",
    "career",
    "objectivity",
    "leaders",
    "teachers",
    "upbringing",
    "preschool",
)
POLARITIES = ("higher_better", "lower_better")
AGGREGATIONS = ("counts", "orgs_share", "composite")
TESTS = ("auto", "proportion", "mean", "none")
LEVELS = ("organization", "territory")
NORMALISATIONS = ("minmax", "fixed")
BREAKDOWN_COLUMNS = ("subject", "grade", "procedure", "level", "stage", "period")
CODE_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")

FIELD_TITLES = {
    "code": "код",
    "name": "название",
    "direction": "направление",
    "unit": "единица",
    "factor": "множитель",
    "polarity": "полярность",
    "aggregation": "агрегирование",
    "numerator": "числитель",
    "denominator": "знаменатель",
    "condition": "условие",
    "universe": "учитываемые организации",
    "n": "численность группы",
    "filters": "отбор",
    "breakdown": "разрезы",
    "total": "итог по всем разрезам",
    "levels": "уровни",
    "min_group": "минимальный размер группы",
    "test": "проверка значимости",
    "components": "компоненты",
    "normalisation": "нормирование",
    "scale": "шкала",
    "min_weight_share": "доля веса",
    "source": "источник",
    "methodology": "методика",
}


class DefinitionError(Exception):
    """A definition is wrong; ``field`` is the key, ``message`` Russian."""

    def __init__(
        self, field_name: str, message: str, formula_error: f.FormulaError | None = None
    ) -> None:
        self.field = field_name
        self.message = message
        self.formula_error = formula_error
        title = FIELD_TITLES.get(field_name, field_name)
        super().__init__(f"{title}: {message}")


@dataclass
class Definition:
    """A definition with plain, checked values (what is stored on the model)."""

    code: str
    name: str
    direction: str
    source: str
    short_name: str = ""
    unit: str = "%"
    factor: float = 100.0
    polarity: str = "higher_better"
    aggregation: str = "counts"
    numerator: str = ""
    denominator: str = ""
    condition: str = ""
    universe: str = ""
    n: str = ""
    filters: dict[str, Any] = field(default_factory=dict)
    breakdown: list[str] = field(default_factory=list)
    total: bool = True
    levels: list[str] = field(default_factory=list)
    min_group: int | None = None
    test: str = "auto"
    components: list[dict[str, Any]] = field(default_factory=list)
    normalisation: str = ""
    scale: float = 100.0
    min_weight_share: float = 0.5
    methodology: str = ""
    key: bool = False
    order: int = 1000

    def checksum(self) -> str:
        payload = json.dumps(asdict(self), ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()


def _text(raw: Mapping[str, Any], key: str, *, required: bool = False) -> str:
    value = raw.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str | int | float):
        raise DefinitionError(key, "ожидался текст")
    text = str(value).strip()
    if required and not text:
        raise DefinitionError(key, "не заполнено")
    return text


def _number(raw: Mapping[str, Any], key: str, default: float) -> float:
    value = raw.get(key, default)
    if value is None or value == "":
        return default
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise DefinitionError(key, "ожидалось число")
    try:
        return float(str(value).replace(",", "."))
    except ValueError:
        raise DefinitionError(key, f"«{value}» — не число") from None


def _choice(raw: Mapping[str, Any], key: str, choices: Sequence[str], default: str) -> str:
    value = _text(raw, key) or default
    if value not in choices:
        raise DefinitionError(key, f"«{value}» — допустимо: {', '.join(choices)}")
    return value


def _list(raw: Mapping[str, Any], key: str) -> list[Any]:
    value = raw.get(key)
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list | tuple):
        raise DefinitionError(key, "ожидался список")
    return list(value)


def normalise(raw: Mapping[str, Any]) -> Definition:
    """Check the plain fields of a definition (formulas are checked by :func:`build_spec`)."""
    known = {*FIELD_TITLES, "short_name", "key", "order"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise DefinitionError(unknown[0], "неизвестный ключ определения")
    code = _text(raw, "code", required=True)
    if len(code) > 120 or not CODE_RE.match(code):
        raise DefinitionError(
            "code",
            f"«{code}» — код пишется латиницей в нижнем регистре с точкой после направления, "
            "например results.vpr_share2",
        )
    aggregation = _choice(raw, "aggregation", AGGREGATIONS, "counts")
    filters = raw.get("filters") or {}
    if not isinstance(filters, Mapping):
        raise DefinitionError("filters", "ожидался словарь procedure/subject/grade/level/stage")
    clean_filters: dict[str, Any] = {}
    for key, value in filters.items():
        if key not in FILTER_KEYS:
            raise DefinitionError("filters", f"«{key}» — допустимы: {', '.join(FILTER_KEYS)}")
        values = value if isinstance(value, list | tuple) else [value]
        if not values or any(not isinstance(v, str | int) or isinstance(v, bool) for v in values):
            raise DefinitionError("filters", f"«{key}»: ожидались строки или целые числа")
        clean_filters[key] = list(values) if isinstance(value, list | tuple) else value
    breakdown = [str(b) for b in _list(raw, "breakdown")]
    for b in breakdown:
        if b not in BREAKDOWN_COLUMNS:
            raise DefinitionError(
                "breakdown", f"«{b}» — допустимые разрезы: {', '.join(BREAKDOWN_COLUMNS)}"
            )
    levels = [str(v) for v in _list(raw, "levels")]
    for level in levels:
        if level not in LEVELS:
            raise DefinitionError("levels", f"«{level}» — допустимо: organization, territory")
    min_group_raw = raw.get("min_group")
    min_group: int | None = None
    if min_group_raw not in (None, ""):
        value = _number(raw, "min_group", 0)
        if value < 0 or not float(value).is_integer():
            raise DefinitionError("min_group", "ожидалось целое неотрицательное число")
        min_group = int(value)
    components: list[dict[str, Any]] = []
    for i, item in enumerate(_list(raw, "components"), start=1):
        if not isinstance(item, Mapping) or not item.get("indicator"):
            raise DefinitionError("components", f"компонент {i}: нужен код показателя")
        weight = _number(item, "weight", 1.0)
        if weight <= 0:
            raise DefinitionError("components", f"компонент {i}: вес должен быть больше нуля")
        part: dict[str, Any] = {"indicator": str(item["indicator"]).strip(), "weight": weight}
        bounds = item.get("bounds")
        if bounds is not None:
            if (
                not isinstance(bounds, list | tuple)
                or len(bounds) != 2
                or not all(isinstance(b, int | float) for b in bounds)
                or bounds[0] >= bounds[1]
            ):
                raise DefinitionError("components", f"компонент {i}: границы [нижняя, верхняя]")
            part["bounds"] = [float(bounds[0]), float(bounds[1])]
        components.append(part)
    defn = Definition(
        code=code,
        name=_text(raw, "name", required=True),
        direction=_choice(raw, "direction", DIRECTIONS, ""),
        source=_text(raw, "source") or "system",
        short_name=_text(raw, "short_name"),
        unit=_text(raw, "unit") or ("индекс" if aggregation == "composite" else "%"),
        factor=_number(raw, "factor", 1.0 if aggregation == "composite" else 100.0),
        polarity=_choice(raw, "polarity", POLARITIES, "higher_better"),
        aggregation=aggregation,
        numerator=_text(raw, "numerator"),
        denominator=_text(raw, "denominator"),
        condition=_text(raw, "condition"),
        universe=_text(raw, "universe"),
        n=_text(raw, "n"),
        filters=clean_filters,
        breakdown=breakdown,
        total=bool(raw.get("total", True)),
        levels=levels,
        min_group=min_group,
        test=_choice(raw, "test", TESTS, "auto"),
        components=components,
        normalisation=_choice(raw, "normalisation", ("", *NORMALISATIONS), "")
        or ("minmax" if aggregation == "composite" else ""),
        scale=_number(raw, "scale", 100.0),
        min_weight_share=_number(raw, "min_weight_share", 0.5),
        methodology=_text(raw, "methodology"),
        key=bool(raw.get("key", False)),
        order=int(_number(raw, "order", 1000)),
    )
    if defn.factor <= 0:
        raise DefinitionError("factor", "множитель должен быть больше нуля")
    if not 0 <= defn.min_weight_share <= 1:
        raise DefinitionError("min_weight_share", "доля от 0 до 1")
    return defn


def _parse(text: str, schema: f.Schema, key: str, expect: str) -> f.Node:
    title = FIELD_TITLES.get(key, key)
    try:
        return f.parse(text, schema, expect=expect or None, what=title[0].upper() + title[1:])
    except f.FormulaError as exc:
        raise DefinitionError(key, exc.describe(), exc) from None


def rewrite_mean(numerator: f.Node, denominator: f.Node | None) -> tuple[f.Node, f.Node | None]:
    """``mean(x)`` as the whole numerator becomes ``sum(x) / count(x)`` so it aggregates from
    counts up the hierarchy."""
    if isinstance(numerator, f.Aggregate) and numerator.func == "mean" and denominator is None:
        total = f.Aggregate(
            numerator.pos, "sum", numerator.source, numerator.column, numerator.where
        )
        count = f.Aggregate(
            numerator.pos, "count", numerator.source, numerator.column, numerator.where
        )
        return total, count
    return numerator, denominator


def build_spec(
    defn: Definition,
    schema: f.Schema,
    *,
    default_min_group: int,
    indicators: Mapping[str, str] | None = None,
) -> IndicatorSpec:
    """Parse and check the formulas of a definition. ``indicators`` maps known indicator codes to
    their aggregation (to check the components of a composite index)."""
    levels = frozenset(defn.levels or LEVELS)
    if defn.aggregation == "composite":
        if not defn.components:
            raise DefinitionError("components", "у сводного индекса нет компонентов")
        for part in defn.components:
            code = part["indicator"]
            if indicators is not None:
                if code not in indicators:
                    raise DefinitionError("components", f"нет показателя «{code}»")
                if indicators[code] == "composite":
                    raise DefinitionError("components", f"«{code}» — сам сводный индекс")
            if defn.normalisation == "fixed" and "bounds" not in part:
                raise DefinitionError(
                    "components", f"«{code}»: при нормировании по границам нужны bounds"
                )
        return IndicatorSpec(
            code=defn.code,
            aggregation="composite",
            factor=defn.factor,
            levels=levels,
            min_group=defn.min_group or 0,
            test="none",
            polarity=defn.polarity,
            parts=tuple(
                CompositePart(p["indicator"], float(p["weight"]), _bounds(p))
                for p in defn.components
            ),
            normalisation=defn.normalisation or "minmax",
            scale=defn.scale,
            min_weight_share=defn.min_weight_share,
        )
    numerator: f.Node | None = None
    denominator: f.Node | None = None
    condition: f.Node | None = None
    universe: f.Node | None = None
    n_node: f.Node | None = None
    if defn.aggregation == "orgs_share":
        if not defn.condition:
            raise DefinitionError("condition", "для доли организаций нужно условие")
        condition = _parse(defn.condition, schema, "condition", f.BOOL)
        if defn.universe:
            universe = _parse(defn.universe, schema, "universe", f.BOOL)
        elif defn.denominator:
            # The contract lets an orgs_share carry a denominator: a condition is the universe
            # itself, a number means «organizations where it is positive».
            given = _parse(defn.denominator, schema, "denominator", "")
            if f.infer(given, defn.denominator) == f.NUMBER:
                given = f.Binary(given.pos, ">", given, f.Number(given.pos, 0.0))
            universe = given
        min_group = defn.min_group if defn.min_group is not None else 1
    else:
        if not defn.numerator:
            raise DefinitionError("numerator", "нужен числитель")
        parsed = _parse(defn.numerator, schema, "numerator", f.NUMBER)
        if defn.denominator:
            denominator = _parse(defn.denominator, schema, "denominator", f.NUMBER)
        numerator, denominator = rewrite_mean(parsed, denominator)
        for key, node in (("numerator", numerator), ("denominator", denominator)):
            if node is not None and not f.is_additive(node):
                raise DefinitionError(
                    key,
                    "значение должно складываться по организациям (из count, sum, "
                    "count_distinct, count_groups; среднее — mean(…) без знаменателя), "
                    "иначе итог территории получится усреднением",
                )
        if defn.condition or defn.universe:
            raise DefinitionError("condition", "условие задаётся только для доли организаций")
        min_group = defn.min_group if defn.min_group is not None else default_min_group
    if defn.n:
        n_node = _parse(defn.n, schema, "n", f.NUMBER)
        if not f.is_additive(n_node):
            raise DefinitionError("n", "численность должна складываться по организациям")
    spec = IndicatorSpec(
        code=defn.code,
        aggregation=defn.aggregation,
        factor=defn.factor,
        numerator=numerator,
        denominator=denominator,
        condition=condition,
        universe=universe,
        n=n_node,
        filters=dict(defn.filters),
        breakdown=tuple(defn.breakdown),
        total=defn.total or not defn.breakdown,
        levels=levels,
        min_group=min_group,
        test=defn.test,
        polarity=defn.polarity,
    )
    _check_breakdown(spec, schema)
    if defn.test == "mean" and _mean_sum(spec) is None:
        raise DefinitionError(
            "test", "t-критерий применим, когда показатель — среднее: mean(…) или sum(x)/count(x)"
        )
    return spec


def _bounds(part: Mapping[str, Any]) -> tuple[float, float] | None:
    bounds = part.get("bounds")
    if bounds is None:
        return None
    return float(bounds[0]), float(bounds[1])


def _mean_sum(spec: IndicatorSpec) -> f.Aggregate | None:
    from soko.indicators.engine import mean_pair

    return mean_pair(spec)


def _check_breakdown(spec: IndicatorSpec, schema: f.Schema) -> None:
    if not spec.breakdown:
        return
    for source in spec.sources():
        columns = schema.sources[source].columns if source in schema.sources else {}
        if "." in source and source not in schema.sources:
            columns = {}
        for b in spec.breakdown:
            if b not in columns:
                raise DefinitionError(
                    "breakdown", f"у источника «{source}» нет столбца «{b}» для разреза"
                )


def with_source_prefixes(schema: f.Schema, prefixes: Mapping[str, str]) -> f.Schema:
    return replace(schema, external=dict(prefixes))


def builtin_schema(prefixes: Mapping[str, str], params: f.ParamLookup | None = None) -> f.Schema:
    """The schema of every built-in source plus the registered external prefixes."""
    return f.Schema(sources=dict(BUILTIN_SOURCES), external=dict(prefixes), params=params)
