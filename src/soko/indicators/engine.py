"""The indicator engine: formulas → grouped aggregates → values for organizations and territories.

Pure module (no Django): the caller gives the fact store (an object with ``facts(name)`` returning
an Ibis table and a ``kind``), the catalog dimensions and the registry and external sources as
Arrow tables (:class:`Inputs`), the territory hierarchy and the indicator specifications.

How a computation runs (Zulip-style: many named statistics, few scans):

1. **Plan.** Every aggregate of every formula becomes one or more *components* — additive
   pieces at the grain (organization, year, breakdown): ``count``, ``sum``, ``count_distinct``,
   ``min``/``max``, and ``sumsq`` for the variance of means. ``mean(x)`` is ``sum(x)/count(x)``.
   Components over the same source and grouping share one *bucket*.
2. **Scan.** Each bucket is one ``GROUP BY`` query with a ``FILTER (WHERE …)`` aggregate per
   component, compiled by Ibis for DuckDB or PostgreSQL (facts) or run on an in-memory DuckDB
   over Arrow (registry and external sources).
3. **Evaluate per organization.** Numerator and denominator formulas are evaluated on the
   components of each organization (``count_groups`` first evaluates its ``having`` condition
   on the finer groups). ``orgs_share`` indicators evaluate a condition per organization.
4. **Aggregate up from counts.** A territory's numerator and denominator are the sums of its
   organizations' numerators and denominators (over organizations where the value is defined);
   shares are never averaged.
5. **Dynamics.** Each value is compared with the previous year: a two-proportion z-test for
   shares of counts, Welch's t-test for means (from sums of squares), nothing otherwise.
6. **Privacy.** Groups under the minimum size keep only ``n``: value, counts and dynamics are
   removed (they still count in totals).
7. **Composite indices** normalise their components (min–max over the year's organizations or
   fixed bounds, inverted for «lower is better») and weight them; each component's
   contribution is kept.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa
from scipy import special, stats

from soko.indicators import formula as f
from soko.indicators.schema import BUILTIN_SOURCES, EDU_LEVELS, RESULT, STRING, STUDENTS

ORG = "o"
TERRITORY = "t"
EXTERNAL = "external"  # the union of every external source (see SourceTables._external)
KEY_COLUMNS = ("org_id", "year")
FILTER_KEYS = ("procedure", "subject", "grade", "level", "stage")
STEM_EXAMS = ("МАП", "ФИ", "ХИ", "БИ", "ИН")
GRADUATE_INPUTS = frozenset(
    {
        "procedure",
        "absent",
        "student_code",
        "subject",
        "test_score",
        "min_score",
        "mark",
        "min_mark",
    }
)


# --- specifications ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompositePart:
    indicator: str
    weight: float
    bounds: tuple[float, float] | None = None


@dataclass(frozen=True)
class IndicatorSpec:
    """A validated indicator definition with parsed formulas (see :mod:`.definitions`)."""

    code: str
    aggregation: str = "counts"  # counts | orgs_share | composite
    factor: float = 1.0
    numerator: f.Node | None = None
    denominator: f.Node | None = None
    condition: f.Node | None = None
    universe: f.Node | None = None
    n: f.Node | None = None
    filters: Mapping[str, Any] = field(default_factory=dict)
    breakdown: tuple[str, ...] = ()
    total: bool = True  # with a breakdown: also compute the whole group
    levels: frozenset[str] = frozenset({"organization", "territory"})
    min_group: int = 10
    test: str = "auto"  # auto | proportion | mean | none
    polarity: str = "higher_better"
    parts: tuple[CompositePart, ...] = ()
    normalisation: str = "minmax"
    scale: float = 100.0
    min_weight_share: float = 0.5

    def formulas(self) -> list[f.Node]:
        return [
            n
            for n in (self.numerator, self.denominator, self.condition, self.universe, self.n)
            if n is not None
        ]

    def sources(self) -> set[str]:
        return f.referenced_sources(*self.formulas())


class FactStore(Protocol):
    kind: str

    def facts(self, name: str) -> ir.Table: ...


@dataclass
class Inputs:
    """Everything the engine reads besides the fact store.

    ``assessments``: assessment_id, procedure, procedure_kind, subject, a_grade, max_primary,
    min_score, min_mark, basic_max, advanced_max. ``tasks``: assessment_id, task_pos,
    task_number, task_level, task_max. ``procedures``: code, kind. ``registry(name, years)``
    returns the Arrow table of a registry source; ``external(prefix, name, years)`` that of an
    external source (columns org_id, year, value).
    """

    assessments: pa.Table
    tasks: pa.Table
    procedures: pa.Table
    registry: Callable[[str, Sequence[int]], pa.Table]
    external: Callable[[str, str, Sequence[int]], pa.Table]
    alpha: Callable[[int], float] = lambda year: 0.05


@dataclass
class Hierarchy:
    """Organization → territory and territory → parent; every org counts in all ancestors."""

    org_territory: Mapping[int, int]
    territory_parent: Mapping[int, int | None]

    def ancestors(self, territory_id: int) -> list[int]:
        chain: list[int] = []
        current: int | None = territory_id
        while current is not None and current not in chain:
            chain.append(current)
            current = self.territory_parent.get(current)
        return chain


@dataclass
class EngineResult:
    frames: dict[str, pd.DataFrame]
    timings: dict[str, float]
    queries: int
    problems: dict[str, str]


OUTPUT_COLUMNS = (
    "entity",
    "entity_id",
    "year",
    "bkey",
    "numerator",
    "denominator",
    "value",
    "n",
    "suppressed",
    "previous_value",
    "change",
    "change_significant",
    "p_value",
    "orgs",
    "detail",
)


class EngineError(Exception):
    """An indicator cannot be computed (message in Russian)."""


# --- sources as Ibis tables ----------------------------------------------------------------------


def _level_expr(grade: ir.IntegerValue) -> ir.StringValue:
    return ibis.cases(
        (grade.isnull(), ibis.null("string")),
        (grade <= 4, EDU_LEVELS[0]),
        (grade <= 9, EDU_LEVELS[1]),
        else_=EDU_LEVELS[2],
    )


def _work_expr(procedure: Any, subject: Any, grade: Any) -> ir.StringValue:
    return (
        ibis.coalesce(procedure, "")
        + "|"
        + ibis.coalesce(subject, "")
        + "|"
        + ibis.coalesce(grade.cast("string"), "")
    )


class SourceTables:
    """Builds (and caches) the Ibis table of every formula source for a set of years."""

    def __init__(
        self,
        store: FactStore,
        inputs: Inputs,
        years: Sequence[int],
        needed: Mapping[str, set[str]],
        external: Sequence[str] = (),
        uses: Mapping[str, int] | None = None,
    ) -> None:
        self.store = store
        self.uses = dict(uses or {})
        self._cached: list[Any] = []
        self.inputs = inputs
        self.years = sorted(set(years))
        self.needed = needed
        self.external = sorted(set(external))
        self.errors: dict[str, str] = {}
        self._cache: dict[str, ir.Table] = {}
        self.local = ibis.duckdb.connect()
        self._assessments = ibis.memtable(inputs.assessments)
        self._procedures = ibis.memtable(inputs.procedures)

    def close(self) -> None:
        for cached in self._cached:
            with contextlib.suppress(Exception):
                cached.release()
        self.local.disconnect()

    def table(self, name: str) -> ir.Table:
        if name not in self._cache:
            self._cache[name] = self._maybe_cache(name, self._build(name))
        return self._cache[name]

    def _maybe_cache(self, name: str, t: ir.Table) -> ir.Table:
        """A fact source read by several queries (or with costly joins) is materialised once as a
        temporary table of the columns the formulas need."""
        if self.is_local(name):
            return t
        uses = self.uses.get(name, 0) + (
            1 if name == "result" and self.uses.get("graduates") else 0
        )
        lazy = name == "result" and bool(self.needed.get("result", set()) & RESULT.lazy)
        if uses < 2 and not lazy:
            return t
        wanted = set(self.needed.get(name, set())) | set(KEY_COLUMNS)
        if name == "result" and self.uses.get("graduates"):
            wanted |= GRADUATE_INPUTS
        columns = [c for c in t.columns if c in wanted]
        cached = t.select(*columns).cache()
        self._cached.append(cached)
        return cached

    def is_local(self, name: str) -> bool:
        schema = BUILTIN_SOURCES.get(name)
        return schema is None or schema.kind == "registry"

    def _years_filter(self, t: ir.Table) -> ir.Table:
        return t.filter(t.year.isin(self.years))

    def _build(self, name: str) -> ir.Table:
        builder = getattr(self, f"_src_{name}", None)
        if builder is not None:
            built: ir.Table = builder()
            return built
        if name in ("students", "teachers", "orgs", "social"):
            return self._registry(name)
        if name == EXTERNAL:
            return self._external()
        raise EngineError(f"неизвестный источник данных «{name}»")

    def _external(self) -> ir.Table:
        """Every external source (``form.x``, ``flags.y``…) in one long table with the source
        name in column ``source``, so all of them are aggregated by a single query."""
        parts = []
        for name in self.external:
            prefix, rest = name.split(".", 1)
            try:
                data = _external_frame(self.inputs.external(prefix, rest, self.years))
            except Exception as exc:  # noqa: BLE001 - a failing provider spoils its sources only
                self.errors[name] = (
                    f"источник «{name}» не прочитан: {exc.__class__.__name__}: {exc}"[:500]
                )
                continue
            label = pa.array([name] * data.num_rows, pa.string())
            parts.append(data.append_column("source", label))
        schema = pa.schema(
            [
                ("org_id", pa.int64()),
                ("year", pa.int64()),
                ("value", pa.float64()),
                ("source", pa.string()),
            ]
        )
        table = pa.concat_tables(parts) if parts else schema.empty_table()
        return self._local_table(EXTERNAL, table.cast(schema))

    def _local_table(self, name: str, data: pa.Table) -> ir.Table:
        safe = "src_" + "".join(c if c.isalnum() else "_" for c in name)
        return self.local.create_table(safe, data, overwrite=True)

    def _registry(self, name: str) -> ir.Table:
        data = self.inputs.registry(name, self.years)
        t = self._local_table(name, data)
        if name == "students":
            t = t.mutate(level=_level_expr(t.grade))
        return t

    # facts
    def _src_result(self) -> ir.Table:
        r = self._years_filter(self.store.facts("result"))
        d = self._assessments
        j = r.left_join(d, r.assessment_id == d.assessment_id)
        grade = ibis.coalesce(j.grade, j.a_grade)
        t = j.select(
            "org_id",
            "year",
            "assessment_id",
            "result_id",
            "procedure",
            "procedure_kind",
            "subject",
            "participant_code",
            "student_code",
            "class_label",
            "sex",
            "absent",
            "primary_score",
            "max_primary",
            "mark",
            "test_score",
            "journal_mark",
            "min_score",
            "min_mark",
            "basic_max",
            "advanced_max",
            grade=grade,
        )
        t = t.mutate(
            level=_level_expr(t.grade),
            percent=t.primary_score / t.max_primary.nullif(0),
            person=ibis.coalesce(
                t.student_code, t.assessment_id.cast("string") + ":" + t.participant_code
            ),
            work=_work_expr(t.procedure, t.subject, t.grade),
        )
        lazy = self.needed.get("result", set()) & {"basic_percent", "advanced_percent"}
        if lazy:
            # A second chained semi-join compiles to «LEFT SEMI JOIN» on PostgreSQL (Ibis 12),
            # so task scores are narrowed by the assessments of the years instead.
            ts = self.store.facts("task_score")
            ts = ts.filter(ts.assessment_id.isin(self._assessment_ids()))
            tasks = ibis.memtable(self.inputs.tasks)
            tj = ts.join(
                tasks,
                [ts.assessment_id == tasks.assessment_id, ts.task_pos == tasks.task_pos],
            )
            per = tj.group_by("result_id").aggregate(
                basic_score=tj.score.cast("float64").sum(where=tj.task_level == "Б"),
                advanced_score=tj.score.cast("float64").sum(where=tj.task_level.isin(["П", "В"])),
            )
            t = t.left_join(per, t.result_id == per.result_id)
            t = t.mutate(
                basic_percent=ibis.coalesce(t.basic_score, 0.0) / t.basic_max.nullif(0),
                advanced_percent=ibis.coalesce(t.advanced_score, 0.0) / t.advanced_max.nullif(0),
            )
        return t

    def _assessment_ids(self) -> list[int]:
        years = self.inputs.assessments.column("a_year").to_pylist()
        ids = self.inputs.assessments.column("assessment_id").to_pylist()
        return [int(i) for i, y in zip(ids, years, strict=True) if y in self.years] or [-1]

    def _src_task_score(self) -> ir.Table:
        ts = self.store.facts("task_score")
        d = self._assessments.filter(self._assessments.a_year.isin(self.years))
        tasks = ibis.memtable(self.inputs.tasks)
        j = ts.join(d, ts.assessment_id == d.assessment_id)
        j = j.join(tasks, [j.assessment_id == tasks.assessment_id, j.task_pos == tasks.task_pos])
        t = j.select(
            "org_id",
            "procedure",
            "subject",
            "task_number",
            "task_level",
            "task_max",
            "score",
            year=j.a_year,
            grade=j.a_grade,
        )
        return t.mutate(
            level=_level_expr(t.grade),
            percent=t.score.cast("float64") / t.task_max.nullif(0),
        )

    def _with_procedure_kind(self, t: ir.Table) -> ir.Table:
        p = self._procedures
        j = t.left_join(p, t.procedure == p.code)
        return j.drop("code")

    def _src_aggregate(self) -> ir.Table:
        t = self._years_filter(self.store.facts("aggregate_result"))
        return t.mutate(level=_level_expr(t.grade))

    def _src_journal(self) -> ir.Table:
        t = self._years_filter(self.store.facts("journal_mark"))
        return t.mutate(level=_level_expr(t.grade))

    def _src_olympiad(self) -> ir.Table:
        t = self._years_filter(self.store.facts("olympiad_result"))
        return t.mutate(level=_level_expr(t.grade))

    def _src_medal(self) -> ir.Table:
        return self._years_filter(self.store.facts("medal"))

    def _src_observer(self) -> ir.Table:
        t = self._with_procedure_kind(self._years_filter(self.store.facts("observer_presence")))
        return t.mutate(
            procedure_kind=t.kind, work=_work_expr(t.procedure, t.subject, t.grade)
        ).drop("kind")

    def _src_official_marker(self) -> ir.Table:
        return self._years_filter(self.store.facts("official_marker"))

    def _src_graduates(self) -> ir.Table:
        r = self.table("result")
        r = r.filter(
            (r.procedure == "ЕГЭ") & ~r.absent & r.student_code.notnull() & (r.student_code != "")
        )
        below = ibis.coalesce(r.test_score < r.min_score, False) | ibis.coalesce(
            r.mark < r.min_mark, False
        )
        ru_ok = (r.subject == "РУ") & ibis.coalesce(r.test_score >= r.min_score, False)
        math_ok = ((r.subject == "МАП") & ibis.coalesce(r.test_score >= r.min_score, False)) | (
            (r.subject == "МАБ") & ibis.coalesce(r.mark >= r.min_mark, False)
        )
        g = r.group_by(["org_id", "year", "student_code"]).aggregate(
            exams=r.count(),
            ru_score=r.test_score.max(where=r.subject == "РУ"),
            ru_ok=ibis.ifelse(ru_ok, 1, 0).max(),
            math_ok=ibis.ifelse(math_ok, 1, 0).max(),
            failed=ibis.ifelse(below, 1, 0).max(),
            stem=ibis.ifelse(r.subject.isin(list(STEM_EXAMS)), 1, 0).max(),
            max_score=r.test_score.max(),
        )
        m = self._years_filter(self.store.facts("medal"))
        m = m.group_by(["org_id", "year", "student_code"]).aggregate(medal=m.medal.min())
        j = g.left_join(
            m,
            [g.org_id == m.org_id, g.year == m.year, g.student_code == m.student_code],
        )
        return j.select(
            "org_id",
            "year",
            "student_code",
            "exams",
            "ru_score",
            "max_score",
            "medal",
            ru_passed=j.ru_ok == 1,
            math_passed=j.math_ok == 1,
            certificate=(j.ru_ok == 1) & (j.math_ok == 1),
            failed_any=j.failed == 1,
            stem_exam=j.stem == 1,
            has_medal=j.medal.notnull(),
        )


def _external_frame(data: pa.Table) -> pa.Table:
    wanted = pa.schema([("org_id", pa.int64()), ("year", pa.int64()), ("value", pa.float64())])
    if data.num_rows == 0:
        return wanted.empty_table()
    cols = {}
    for fld in wanted:
        cols[fld.name] = data.column(fld.name).cast(fld.type)
    return pa.table(cols, schema=wanted)


# --- compiling row expressions to Ibis -----------------------------------------------------------


def compile_row(node: f.Node, t: ir.Table) -> Any:
    """Compile a row-context expression (``where`` of an aggregate) for the table ``t``."""
    if isinstance(node, f.Column):
        return t[node.name]
    if isinstance(node, f.Number):
        value = node.value
        return ibis.literal(int(value) if float(value).is_integer() else float(value))
    if isinstance(node, f.String):
        return ibis.literal(node.value)
    if isinstance(node, f.Boolean):
        return ibis.literal(node.value)
    if isinstance(node, f.Null):
        return ibis.null()
    if isinstance(node, f.Param):
        return ibis.literal(node.value)
    if isinstance(node, f.Unary):
        inner = compile_row(node.operand, t)
        return ~inner if node.op == "not" else -inner
    if isinstance(node, f.Binary):
        if node.op in ("=", "!=") and isinstance(node.right, f.Null):
            inner = compile_row(node.left, t)
            return inner.isnull() if node.op == "=" else inner.notnull()
        left = compile_row(node.left, t)
        right = compile_row(node.right, t)
        op = node.op
        if op == "and":
            return left & right
        if op == "or":
            return left | right
        if op == "+":
            return left + right
        if op == "-":
            return left - right
        if op == "*":
            return left * right
        if op == "/":
            return left / right.nullif(0)
        if op == "=":
            return left == right
        if op == "!=":
            return left != right
        if op == "<":
            return left < right
        if op == "<=":
            return left <= right
        if op == ">":
            return left > right
        if op == ">=":
            return left >= right
    if isinstance(node, f.InList):
        operand = compile_row(node.operand, t)
        values = [_literal_value(i) for i in node.items]
        return operand.notin(values) if node.negated else operand.isin(values)
    if isinstance(node, f.IsNull):
        operand = compile_row(node.operand, t)
        return operand.notnull() if node.negated else operand.isnull()
    if isinstance(node, f.Call):
        args = [compile_row(a, t) for a in node.args]
        if node.name == "abs":
            return args[0].abs()
        if node.name == "coalesce":
            return ibis.coalesce(*args)
        if node.name == "if":
            return ibis.ifelse(args[0], args[1], args[2])
    raise EngineError(f"выражение не поддерживается в условии строки: {f.to_text(node)}")


def _literal_value(node: f.Node) -> Any:
    if isinstance(node, f.Number):
        return int(node.value) if float(node.value).is_integer() else float(node.value)
    if isinstance(node, f.String | f.Boolean):
        return node.value
    return None


def _and(nodes: Iterable[f.Node | None]) -> f.Node | None:
    result: f.Node | None = None
    for node in nodes:
        if node is None:
            continue
        result = node if result is None else f.Binary(node.pos, "and", result, node)
    return result


def filter_node(filters: Mapping[str, Any], source: str) -> f.Node | None:
    """The indicator-level filters that apply to a source (those whose column it has)."""
    schema = BUILTIN_SOURCES.get(source)
    if schema is None:
        return None
    parts: list[f.Node] = []
    for key in FILTER_KEYS:
        if key not in filters or key not in schema.columns:
            continue
        raw = filters[key]
        values = raw if isinstance(raw, list | tuple) else [raw]
        items: list[f.Node] = [
            f.Number(0, float(v)) if isinstance(v, int | float) else f.String(0, str(v))
            for v in values
        ]
        col = f.Column(0, key, schema.columns[key].type)
        parts.append(f.InList(0, col, tuple(items), False))
    return _and(parts)


# --- planning ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Component:
    """An additive aggregate at (org_id, year, *keys) over one source."""

    source: str
    keys: tuple[str, ...]
    func: str  # count | count_col | sum | sumsq | min | max | nunique
    column: str | None
    where: f.Node | None

    @property
    def signature(self) -> tuple[Any, ...]:
        where = f.to_text(self.where) if self.where is not None else ""
        return (self.source, self.keys, self.func, self.column, where)


@dataclass
class GroupsJob:
    """``count_groups``: the having condition evaluated on finer groups, counted per key."""

    agg: f.Aggregate
    outer_keys: tuple[str, ...]
    inner_keys: tuple[str, ...]
    where: f.Node | None
    filters: f.Node | None
    name: str
    presence: Component


class Plan:
    def __init__(self) -> None:
        self.components: dict[tuple[Any, ...], str] = {}
        self.by_bucket: dict[tuple[str, tuple[str, ...]], list[tuple[str, Component]]] = (
            defaultdict(list)
        )
        self.groups: dict[tuple[Any, ...], GroupsJob] = {}

    frozen = False

    def add(self, comp: Component) -> str:
        sig = comp.signature
        if sig not in self.components:
            if self.frozen:
                raise EngineError(f"компонент не был запланирован: {sig}")
            name = f"c{len(self.components)}"
            self.components[sig] = name
            self.by_bucket[(comp.source, comp.keys)].append((name, comp))
        return self.components[sig]

    def needed_columns(self) -> dict[str, set[str]]:
        found: dict[str, set[str]] = defaultdict(set)
        for (source, keys), comps in self.by_bucket.items():
            found[source].update(keys)
            for _, comp in comps:
                if comp.column:
                    found[source].add(comp.column)
                found[source].update(f.referenced_columns(comp.where))
        return found


def keysets(spec: IndicatorSpec) -> list[tuple[str, ...]]:
    """Groupings computed for an indicator: the whole group and, with a breakdown, its parts."""
    sets: list[tuple[str, ...]] = []
    if spec.total or not spec.breakdown:
        sets.append(())
    if spec.breakdown:
        sets.append(tuple(spec.breakdown))
    return sets


def _source_where(source: str, where: f.Node | None) -> tuple[str, f.Node | None]:
    """Route an external source to the union table with a condition on its name."""
    if "." not in source:
        return source, where
    name = f.Binary(0, "=", f.Column(0, "source", STRING), f.String(0, source))
    return EXTERNAL, _and([name, where])


def _sumsq_component(pair: f.Aggregate, spec: IndicatorSpec, keys: tuple[str, ...]) -> Component:
    source, where = _source_where(pair.source, _agg_where(pair, spec))
    return Component(source, keys, "sumsq", pair.column, where)


def _agg_where(agg: f.Aggregate, spec: IndicatorSpec) -> f.Node | None:
    return _and([agg.where, filter_node(spec.filters, agg.source)])


def plan_aggregate(
    plan: Plan, agg: f.Aggregate, spec: IndicatorSpec, keys: tuple[str, ...]
) -> dict[str, str]:
    """Register the components of one aggregate; returns role → component name."""
    src, where = _source_where(agg.source, _agg_where(agg, spec))
    if agg.func == "count":
        if agg.column is not None:
            return {"count": plan.add(Component(src, keys, "count_col", agg.column, where))}
        return {"count": plan.add(Component(src, keys, "count", None, where))}
    if agg.func == "sum":
        return {"sum": plan.add(Component(src, keys, "sum", agg.column, where))}
    if agg.func == "mean":
        return {
            "sum": plan.add(Component(src, keys, "sum", agg.column, where)),
            "count": plan.add(Component(src, keys, "count_col", agg.column, where)),
        }
    if agg.func in ("min", "max"):
        return {agg.func: plan.add(Component(src, keys, agg.func, agg.column, where))}
    if agg.func == "count_distinct":
        return {"count": plan.add(Component(src, keys, "nunique", agg.column, where))}
    if agg.func == "count_groups":
        inner_keys = tuple(dict.fromkeys([*keys, *agg.by]))
        sig = ("groups", f.to_text(agg), keys, f.to_text(where) if where else "")
        job = plan.groups.get(sig)
        if job is None:
            presence = Component(src, inner_keys, "count", None, where)
            plan.add(presence)
            job = GroupsJob(
                agg,
                keys,
                inner_keys,
                agg.where,
                filter_node(spec.filters, src),
                f"g{len(plan.groups)}",
                presence,
            )
            plan.groups[sig] = job
            assert agg.having is not None
            for inner in f.aggregates(agg.having):
                inner_spec_where = _and([inner.where, where])
                patched = f.Aggregate(
                    inner.pos, inner.func, inner.source, inner.column, inner_spec_where
                )
                plan_aggregate(plan, patched, IndicatorSpec(code="-"), inner_keys)
        return {"groups": job.name}
    raise EngineError(f"неизвестная агрегирующая функция {agg.func}")


# --- group-level evaluation (numpy) --------------------------------------------------------------


class Frame:
    """Component columns of one grain, with the keys as index; fills and evaluates formulas."""

    def __init__(
        self, data: pd.DataFrame, plan: Plan, spec: IndicatorSpec, keys: tuple[str, ...]
    ) -> None:
        self.data = data
        self.plan = plan
        self.spec = spec
        self.keys = keys
        self.size = len(data)

    def column(self, name: str, fill: float | None) -> np.ndarray:
        if name not in self.data.columns:
            return np.full(self.size, np.nan if fill is None else fill, dtype="float64")
        values = self.data[name].to_numpy(dtype="float64", na_value=np.nan)
        if fill is not None:
            values = np.where(np.isnan(values), fill, values)
        result: np.ndarray = values
        return result

    def aggregate(self, agg: f.Aggregate) -> np.ndarray:
        roles = plan_aggregate(self.plan, agg, self.spec, self.keys)
        if agg.func == "mean":
            total = self.column(roles["sum"], 0.0)
            count = self.column(roles["count"], 0.0)
            return _divide(total, count)
        if agg.func in ("min", "max"):
            return self.column(roles[agg.func], None)
        if agg.func == "count_groups":
            return self.column(roles["groups"], 0.0)
        role = "sum" if agg.func == "sum" else "count"
        return self.column(roles[role], 0.0)

    def eval(self, node: f.Node) -> np.ndarray:
        return evaluate(node, self)


def _divide(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(b != 0, a / np.where(b == 0, 1.0, b), np.nan)
    return np.where(np.isnan(a) | np.isnan(b), np.nan, out)


def _bool(values: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(values), np.nan, (values != 0).astype("float64"))


def evaluate(node: f.Node, frame: Frame) -> np.ndarray:
    """Evaluate a group-level formula (see :func:`_evaluate`)."""
    result: np.ndarray = np.asarray(_evaluate(node, frame), dtype="float64")
    return result


def _evaluate(node: f.Node, frame: Frame) -> Any:
    """Evaluate a group-level formula; numbers as float arrays, conditions as 1.0/0.0, null as
    NaN (three-valued logic for and/or/not)."""
    size = frame.size
    if isinstance(node, f.Aggregate):
        return frame.aggregate(node)
    if isinstance(node, f.Number):
        return np.full(size, float(node.value))
    if isinstance(node, f.Boolean):
        return np.full(size, 1.0 if node.value else 0.0)
    if isinstance(node, f.Null):
        return np.full(size, np.nan)
    if isinstance(node, f.Param):
        value = node.value
        if isinstance(value, bool):
            return np.full(size, 1.0 if value else 0.0)
        if isinstance(value, int | float):
            return np.full(size, float(value))
        raise EngineError(f"параметр «{node.code}» не является числом")
    if isinstance(node, f.Unary):
        inner = evaluate(node.operand, frame)
        if node.op == "-":
            return -inner
        return np.where(np.isnan(inner), np.nan, 1.0 - _bool(inner))
    if isinstance(node, f.Binary):
        if node.op in ("=", "!=") and isinstance(node.right, f.Null):
            inner = evaluate(node.left, frame)
            isnull = np.isnan(inner).astype("float64")
            return isnull if node.op == "=" else 1.0 - isnull
        a = evaluate(node.left, frame)
        b = evaluate(node.right, frame)
        if node.op == "and":
            a, b = _bool(a), _bool(b)
            out = np.where(
                (a == 0) | (b == 0), 0.0, np.where(np.isnan(a) | np.isnan(b), np.nan, 1.0)
            )
            return out
        if node.op == "or":
            a, b = _bool(a), _bool(b)
            out = np.where(
                (a == 1) | (b == 1), 1.0, np.where(np.isnan(a) | np.isnan(b), np.nan, 0.0)
            )
            return out
        if node.op == "+":
            return a + b
        if node.op == "-":
            return a - b
        if node.op == "*":
            return a * b
        if node.op == "/":
            return _divide(a, b)
        with np.errstate(invalid="ignore"):
            ops: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
                "=": np.equal,
                "!=": np.not_equal,
                "<": np.less,
                "<=": np.less_equal,
                ">": np.greater,
                ">=": np.greater_equal,
            }
            raw = ops[node.op](a, b).astype("float64")
        return np.where(np.isnan(a) | np.isnan(b), np.nan, raw)
    if isinstance(node, f.InList):
        value = evaluate(node.operand, frame)
        items = np.array([float(_literal_value(i) or 0) for i in node.items])
        hit = np.isin(value, items).astype("float64")
        if node.negated:
            hit = 1.0 - hit
        return np.where(np.isnan(value), np.nan, hit)
    if isinstance(node, f.IsNull):
        isnull = np.isnan(evaluate(node.operand, frame)).astype("float64")
        return 1.0 - isnull if node.negated else isnull
    if isinstance(node, f.Call):
        args = [evaluate(a, frame) for a in node.args]
        if node.name == "abs":
            return np.abs(args[0])
        if node.name == "coalesce":
            out = args[0].copy()
            for other in args[1:]:
                out = np.where(np.isnan(out), other, out)
            return out
        if node.name == "if":
            cond = _bool(args[0])
            return np.where(np.isnan(cond), np.nan, np.where(cond == 1, args[1], args[2]))
    raise EngineError(f"выражение не вычисляется на уровне организации: {f.to_text(node)}")


# --- the engine ----------------------------------------------------------------------------------


class Engine:
    def __init__(
        self,
        store: FactStore,
        inputs: Inputs,
        hierarchy: Hierarchy,
        *,
        progress: Callable[[float, str], None] | None = None,
    ) -> None:
        self.store = store
        self.inputs = inputs
        self.hierarchy = hierarchy
        self.say = progress or (lambda fr, msg: None)
        self.timings: dict[str, float] = {}
        self.queries = 0
        self.source_errors: dict[str, str] = {}

    def _tick(self, name: str, started: float) -> float:
        now = time.monotonic()
        self.timings[name] = round(self.timings.get(name, 0.0) + now - started, 3)
        return now

    def compute(self, specs: Sequence[IndicatorSpec], years: Sequence[int]) -> EngineResult:
        """Compute the indicators for ``years`` (the previous years are read for dynamics)."""
        started = time.monotonic()
        store_years = sorted(set(years))
        read_years = sorted(set(store_years) | {y - 1 for y in store_years})
        base = [s for s in specs if s.aggregation != "composite"]
        composites = [s for s in specs if s.aggregation == "composite"]
        plan = Plan()
        external: set[str] = set()
        for spec in base:
            external |= {src for src in spec.sources() if "." in src}
            for keys in keysets(spec):
                for node in spec.formulas():
                    for agg in f.aggregates(node):
                        plan_aggregate(plan, agg, spec, keys)
                pair = mean_pair(spec)
                if pair is not None and resolve_test(spec) == "mean":
                    plan.add(_sumsq_component(pair, spec, keys))
        plan.frozen = True
        t = self._tick("plan", started)
        uses: dict[str, int] = defaultdict(int)
        for source, _keys in plan.by_bucket:
            uses[source] += 1
        tables = SourceTables(
            self.store, self.inputs, read_years, plan.needed_columns(), sorted(external), uses
        )
        try:
            buckets = self._scan(plan, tables)
        finally:
            tables.close()
        self.source_errors.update(tables.errors)
        t = self._tick("scan", t)
        self.say(0.7, "расчёт значений по организациям и территориям")
        problems: dict[str, str] = {}
        parts: list[dict[str, np.ndarray]] = []
        computed: list[IndicatorSpec] = []
        for spec in base:
            failed = sorted(spec.sources() & set(self.source_errors))
            if failed:
                problems[spec.code] = self.source_errors[failed[0]]
                continue
            try:
                parts.extend(
                    self._org_rows(spec, keys, plan, buckets, read_years) for keys in keysets(spec)
                )
            except EngineError as exc:
                problems[spec.code] = str(exc)
                continue
            computed.append(spec)
        t = self._tick("evaluate", t)
        frames = self._assemble(parts, computed, store_years)
        t = self._tick("assemble", t)
        for spec in composites:
            try:
                frames[spec.code] = self._composite(spec, frames, specs, store_years)
            except EngineError as exc:
                problems[spec.code] = str(exc)
        self._tick("composites", t)
        self.timings["total"] = round(time.monotonic() - started, 3)
        return EngineResult(frames, dict(self.timings), self.queries, problems)

    # scanning ------------------------------------------------------------------------------------
    def _scan(self, plan: Plan, tables: SourceTables) -> dict[Any, pd.DataFrame]:
        out: dict[Any, pd.DataFrame] = {}
        total = max(1, len(plan.by_bucket))
        for i, ((source, keys), comps) in enumerate(sorted(plan.by_bucket.items())):
            self.say(0.05 + 0.6 * i / total, f"чтение источника «{source}»")
            group = [*KEY_COLUMNS, *keys]
            try:
                t = tables.table(source)
                metrics = {name: _component_expr(comp, t) for name, comp in comps}
                expr = t.group_by(group).aggregate(**metrics)
                if tables.is_local(source):
                    arrow = tables.local.to_pyarrow(expr)
                else:
                    arrow = expr.to_pyarrow()
            except Exception as exc:  # noqa: BLE001 - one failing source must not stop the others
                self.source_errors[source] = (
                    f"источник «{source}» не прочитан: {exc.__class__.__name__}: {exc}"[:500]
                )
                continue
            self.queries += 1
            frame = arrow.to_pandas()
            frame["org_id"] = frame["org_id"].astype("int64")
            frame["year"] = frame["year"].astype("int64")
            out[(source, keys)] = frame.set_index(group)
        for job in plan.groups.values():
            if (_bucket_source(job.agg.source), job.inner_keys) in out:
                out[("__groups__", job.outer_keys, job.name)] = self._groups(job, plan, out)
        return out

    def _groups(
        self, job: GroupsJob, plan: Plan, buckets: Mapping[Any, pd.DataFrame]
    ) -> pd.DataFrame:
        inner = buckets[(_bucket_source(job.agg.source), job.inner_keys)]
        spec = IndicatorSpec(code="-")
        frame = Frame(inner, plan, spec, job.inner_keys)
        where = _and([job.where, job.filters])
        presence = frame.column(plan.components[job.presence.signature], 0.0)
        assert job.agg.having is not None
        ok = _bool(frame.eval(_patch_where(job.agg.having, where)))
        hit = np.where((presence > 0) & (ok == 1), 1.0, 0.0)
        outer_levels = [*KEY_COLUMNS, *job.outer_keys]
        series = pd.Series(hit, index=inner.index, name=job.name)
        return series.groupby(level=outer_levels).sum().to_frame()

    # organization rows ------------------------------------------------------------------------
    def _frame_for(
        self,
        spec: IndicatorSpec,
        keys: tuple[str, ...],
        plan: Plan,
        buckets: Mapping[Any, pd.DataFrame],
    ) -> pd.DataFrame:
        wanted: list[pd.DataFrame] = []
        seen: set[Any] = set()
        for node in spec.formulas():
            for agg in f.aggregates(node):
                if agg.func == "count_groups":
                    where = _agg_where(agg, spec)
                    sig = ("groups", f.to_text(agg), keys, f.to_text(where) if where else "")
                    bkey: Any = ("__groups__", keys, plan.groups[sig].name)
                else:
                    bkey = (_bucket_source(agg.source), keys)
                if bkey not in seen and bkey in buckets:
                    seen.add(bkey)
                    wanted.append(buckets[bkey])
        if not wanted:
            return pd.DataFrame(index=pd.MultiIndex.from_tuples([], names=[*KEY_COLUMNS, *keys]))
        if len(wanted) == 1:
            return wanted[0]
        frame = pd.concat(wanted, axis=1, join="outer")
        return frame.loc[:, ~frame.columns.duplicated()]

    def _org_rows(
        self,
        spec: IndicatorSpec,
        keys: tuple[str, ...],
        plan: Plan,
        buckets: Mapping[Any, pd.DataFrame],
        read_years: Sequence[int],
    ) -> dict[str, np.ndarray]:
        """Numerator, denominator, n and sum of squares of every organization (one grouping),
        as columns to be concatenated with those of the other indicators."""
        data = self._frame_for(spec, keys, plan, buckets)
        frame = Frame(data, plan, spec, keys)
        size = frame.size
        if spec.aggregation == "orgs_share":
            assert spec.condition is not None
            cond = _bool(frame.eval(spec.condition))
            universe = (
                _bool(frame.eval(spec.universe))
                if spec.universe is not None
                else np.where(np.isnan(cond), 0.0, 1.0)
            )
            keep = (universe == 1) & ~np.isnan(cond)
            num = np.where(cond == 1, 1.0, 0.0)
            den = np.ones(size)
            n = np.ones(size)
            sumsq = np.full(size, np.nan)
        else:
            assert spec.numerator is not None
            num = frame.eval(spec.numerator)
            if spec.denominator is not None:
                den = frame.eval(spec.denominator)
                keep = ~np.isnan(num) & ~np.isnan(den) & (den != 0)
            else:
                den = np.full(size, np.nan)
                keep = ~np.isnan(num)
            n = (
                frame.eval(spec.n)
                if spec.n is not None
                else (den if spec.denominator is not None else num)
            )
            sumsq = self._sumsq(spec, frame, keys)
        index = data.index
        years = index.get_level_values("year").to_numpy()
        keep = keep & np.isin(years, np.asarray(read_years))
        count = int(keep.sum())
        return {
            "code": np.full(count, spec.code, dtype=object),
            "org_id": index.get_level_values("org_id").to_numpy()[keep].astype("int64"),
            "year": years[keep].astype("int64"),
            "bkey": _bkeys(index, keys)[keep],
            "numerator": num[keep],
            "denominator": den[keep],
            "n": n[keep],
            "sumsq": sumsq[keep],
        }

    def _sumsq(self, spec: IndicatorSpec, frame: Frame, keys: tuple[str, ...]) -> np.ndarray:
        pair = mean_pair(spec)
        if pair is None:
            return np.full(frame.size, np.nan)
        name = frame.plan.components.get(_sumsq_component(pair, spec, keys).signature)
        if name is None:
            return np.full(frame.size, np.nan)
        return frame.column(name, 0.0)

    # all indicators at once --------------------------------------------------------------------
    def _assemble(
        self,
        parts: list[dict[str, np.ndarray]],
        specs: Sequence[IndicatorSpec],
        store_years: Sequence[int],
    ) -> dict[str, pd.DataFrame]:
        """Territory totals from counts, values, dynamics with tests, levels and suppression for
        every indicator in a few vectorised steps."""
        if not specs:
            return {}
        columns = ["code", "org_id", "year", "bkey", "numerator", "denominator", "n", "sumsq"]
        if parts:
            orgs = pd.DataFrame({c: np.concatenate([p[c] for p in parts]) for c in columns})
        else:
            orgs = pd.DataFrame(columns=columns)
        meta = pd.DataFrame(
            {
                "code": [s.code for s in specs],
                "factor": [float(s.factor) for s in specs],
                "has_den": [
                    s.aggregation == "orgs_share" or s.denominator is not None for s in specs
                ],
                "test": [resolve_test(s) for s in specs],
                "min_group": [int(s.min_group) for s in specs],
                "share": [s.aggregation == "orgs_share" for s in specs],
                "org_level": ["organization" in s.levels for s in specs],
                "terr_level": ["territory" in s.levels for s in specs],
            }
        ).set_index("code")
        link = self._links(orgs["org_id"].unique())
        territory = orgs.merge(link, on="org_id")
        group = ["code", "entity_id", "year", "bkey"]
        grouped = territory.groupby(group, sort=False)
        totals = grouped[["numerator", "denominator", "n", "sumsq"]].sum(min_count=1)
        totals["orgs"] = grouped["org_id"].nunique()
        totals = totals.reset_index()
        totals["entity"] = TERRITORY
        org_rows = orgs.rename(columns={"org_id": "entity_id"})
        org_rows["entity"] = ORG
        org_rows["orgs"] = np.nan
        rows = pd.concat([org_rows, totals], ignore_index=True)
        m = meta.reindex(rows["code"])
        factor = m["factor"].to_numpy("float64")
        has_den = m["has_den"].to_numpy(bool)
        num = rows["numerator"].to_numpy("float64")
        den = rows["denominator"].to_numpy("float64")
        rows["value"] = factor * np.where(has_den, _divide(num, den), num)
        rows.loc[~has_den, "denominator"] = np.nan
        rows["n"] = np.clip(np.round(rows["n"].fillna(0).to_numpy("float64")), 0, None).astype(
            "int64"
        )
        rows["entity_id"] = rows["entity_id"].astype("int64")
        rows["year"] = rows["year"].astype("int64")
        keys = ["code", "entity", "entity_id", "bkey", "year"]
        prev = rows[[*keys, "value", "numerator", "denominator", "n", "sumsq"]].copy()
        prev["year"] = prev["year"] + 1
        rows = rows[rows["year"].isin(store_years)]
        merged = rows.merge(prev, on=keys, how="left", suffixes=("", "_prev"))
        m = meta.reindex(merged["code"])
        is_org = merged["entity"].to_numpy() == ORG
        share = m["share"].to_numpy(bool)
        tests = m["test"].to_numpy(object)
        significant, p_values = _significance(merged, tests, self.inputs.alpha)
        org_share = share & is_org
        significant = np.where(org_share, np.array(None, dtype=object), significant)
        p_values = np.where(org_share, np.nan, p_values)
        merged["previous_value"] = merged["value_prev"]
        merged["change"] = merged["value"] - merged["value_prev"]
        min_group = m["min_group"].to_numpy("int64")
        small = (merged["n"].to_numpy() < min_group) & ~org_share
        prev_small = (merged["n_prev"].fillna(0).to_numpy() < min_group) & ~org_share
        hide_prev = small | prev_small
        merged["suppressed"] = small
        merged.loc[hide_prev, ["previous_value", "change"]] = np.nan
        p_values = np.where(hide_prev, np.nan, p_values)
        significant = np.where(hide_prev, np.array(None, dtype=object), significant)
        merged["change_significant"] = significant
        merged["p_value"] = p_values
        merged.loc[small, ["numerator", "denominator", "value"]] = np.nan
        keep = np.where(is_org, m["org_level"].to_numpy(bool), m["terr_level"].to_numpy(bool))
        merged = merged[keep]
        merged["detail"] = None
        out = merged.loc[:, ["code", *OUTPUT_COLUMNS]]
        frames = {
            str(code): frame.drop(columns="code").reset_index(drop=True)
            for code, frame in out.groupby("code", sort=False)
        }
        for spec in specs:
            if spec.code not in frames:
                frames[spec.code] = _empty_output()
        return frames

    def _links(self, org_ids: Iterable[Any]) -> pd.DataFrame:
        pairs: list[tuple[int, int]] = []
        for org_id in org_ids:
            territory = self.hierarchy.org_territory.get(int(org_id))
            if territory is not None:
                pairs.extend((int(org_id), t) for t in self.hierarchy.ancestors(territory))
        return pd.DataFrame(pairs, columns=["org_id", "entity_id"]).astype("int64")

    # composites ------------------------------------------------------------------------------
    def _composite(
        self,
        spec: IndicatorSpec,
        frames: Mapping[str, pd.DataFrame],
        specs: Sequence[IndicatorSpec],
        store_years: Sequence[int],
    ) -> pd.DataFrame:
        by_code = {s.code: s for s in specs}
        parts = [p for p in spec.parts if p.indicator in frames]
        if not parts:
            raise EngineError("ни один компонент индекса не рассчитан")
        total_weight = sum(p.weight for p in spec.parts)
        pieces: list[pd.DataFrame] = []
        for part in parts:
            fr = frames[part.indicator]
            fr = fr[(fr["bkey"] == "") & fr["value"].notna()][
                ["entity", "entity_id", "year", "value"]
            ].copy()
            polarity = (
                by_code[part.indicator].polarity if part.indicator in by_code else ("higher_better")
            )
            if spec.normalisation == "fixed" and part.bounds is not None:
                fr["lo"], fr["hi"] = part.bounds
            else:
                orgs = fr[fr["entity"] == ORG]
                bounds = orgs.groupby("year")["value"].agg(["min", "max"])
                fr = fr.merge(bounds, left_on="year", right_index=True, how="left")
                fr = fr.rename(columns={"min": "lo", "max": "hi"})
            span = (fr["hi"] - fr["lo"]).to_numpy("float64")
            raw = fr["value"].to_numpy("float64") - fr["lo"].to_numpy("float64")
            with np.errstate(divide="ignore", invalid="ignore"):
                norm = np.where(span > 0, raw / np.where(span > 0, span, 1.0), 0.5)
            norm = np.clip(np.nan_to_num(norm, nan=0.5), 0.0, 1.0)
            if polarity == "lower_better":
                norm = 1.0 - norm
            fr["norm"] = norm
            fr["part"] = part.indicator
            fr["weight"] = part.weight
            pieces.append(fr)
        allp = pd.concat(pieces, ignore_index=True)
        allp = allp.sort_values(["entity", "entity_id", "year", "part"], kind="stable")
        allp["wn"] = allp["norm"] * allp["weight"]
        group = ["entity", "entity_id", "year"]
        agg = allp.groupby(group, sort=False).agg(
            weight=("weight", "sum"), wn=("wn", "sum"), n=("part", "size")
        )
        agg = agg[(total_weight > 0) & (agg["weight"] / total_weight >= spec.min_weight_share)]
        if agg.empty:
            return _empty_output()
        agg["value"] = agg["wn"] / agg["weight"] * spec.scale
        used = agg["weight"].to_dict()
        scores = agg["value"].to_dict()
        # Details: one pass over the sorted rows (each group's components are contiguous).
        details: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
        cols = [
            allp[c].tolist()
            for c in ("entity", "entity_id", "year", "part", "weight", "value", "norm")
        ]
        for ent, eid, yr, part_code, weight, value, norm in zip(*cols, strict=True):
            key = (ent, eid, yr)
            if key not in used:
                continue
            details[key].append(
                {
                    "indicator": part_code,
                    "weight": float(weight),
                    "value": float(value),
                    "normalised": round(float(norm), 4),
                    "contribution": round(float(norm * weight / used[key] * spec.scale), 3),
                }
            )
        all_parts = [p.indicator for p in spec.parts]
        rows = []
        for key, comps in details.items():
            present = {c["indicator"] for c in comps}
            rows.append(
                {
                    "entity": key[0],
                    "entity_id": int(key[1]),
                    "year": int(key[2]),
                    "value": float(scores[key]),
                    "n": len(comps),
                    "detail": {
                        "components": comps,
                        "missing": [c for c in all_parts if c not in present],
                        "weight_used": float(used[key]),
                        "weight_total": total_weight,
                    },
                }
            )
        out = pd.DataFrame(rows, columns=["entity", "entity_id", "year", "value", "n", "detail"])
        if out.empty:
            return _empty_output()
        prev = out[["entity", "entity_id", "year", "value"]].copy()
        prev["year"] += 1
        out = out.merge(
            prev, on=["entity", "entity_id", "year"], how="left", suffixes=("", "_prev")
        )
        out = out[out["year"].isin(store_years)].reset_index(drop=True)
        out["bkey"] = ""
        out["numerator"] = np.nan
        out["denominator"] = np.nan
        out["suppressed"] = False
        out["previous_value"] = out["value_prev"]
        out["change"] = out["value"] - out["value_prev"]
        out["change_significant"] = None
        out["p_value"] = np.nan
        out["orgs"] = np.nan
        if "organization" not in spec.levels:
            out = out[out["entity"] != ORG]
        if "territory" not in spec.levels:
            out = out[out["entity"] != TERRITORY]
        return out.loc[:, list(OUTPUT_COLUMNS)].reset_index(drop=True)


def _empty_output() -> pd.DataFrame:
    return pd.DataFrame(columns=list(OUTPUT_COLUMNS))


def _bucket_source(source: str) -> str:
    return EXTERNAL if "." in source else source


def _bkeys(index: pd.Index, keys: Sequence[str]) -> np.ndarray:
    """``subject=МА;grade=5`` for every row of a grouped index ("" without a breakdown)."""
    size = len(index)
    if not keys or size == 0:
        return np.full(size, "", dtype=object)
    out: pd.Series | None = None
    for key in keys:
        values = pd.Series(index.get_level_values(key))
        if pd.api.types.is_numeric_dtype(values):
            text = values.map(_plain_text).astype(object)
        else:
            text = values.astype(object).where(values.notna(), "").astype(str)
        piece = key + "=" + text
        out = piece if out is None else out + ";" + piece
    assert out is not None
    result: np.ndarray = out.to_numpy(dtype=object)
    return result


def _plain_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def parse_bkey(key: str) -> dict[str, Any]:
    """The breakdown of a key as a dict (integers for numeric parts)."""
    if not key:
        return {}
    found: dict[str, Any] = {}
    for item in key.split(";"):
        name, _, value = item.partition("=")
        found[name] = int(value) if value.lstrip("-").isdigit() else (value or None)
    return found


def _patch_where(node: f.Node, where: f.Node | None) -> f.Node:
    """Add the outer ``where`` of count_groups to every aggregate of its having condition."""
    if where is None:
        return node
    if isinstance(node, f.Aggregate):
        return f.Aggregate(
            node.pos,
            node.func,
            node.source,
            node.column,
            _and([node.where, where]),
            node.by,
            node.having,
        )
    if isinstance(node, f.Unary):
        return f.Unary(node.pos, node.op, _patch_where(node.operand, where))
    if isinstance(node, f.Binary):
        return f.Binary(
            node.pos, node.op, _patch_where(node.left, where), _patch_where(node.right, where)
        )
    if isinstance(node, f.Call):
        return f.Call(node.pos, node.name, tuple(_patch_where(a, where) for a in node.args))
    if isinstance(node, f.InList):
        return f.InList(node.pos, _patch_where(node.operand, where), node.items, node.negated)
    if isinstance(node, f.IsNull):
        return f.IsNull(node.pos, _patch_where(node.operand, where), node.negated)
    return node


def _component_expr(comp: Component, t: ir.Table) -> Any:
    where = compile_row(comp.where, t) if comp.where is not None else None
    if comp.func == "count":
        return t.count(where=where)
    assert comp.column is not None
    col = t[comp.column]
    if comp.func == "count_col":
        return col.count(where=where)
    if comp.func == "nunique":
        return col.nunique(where=where)
    if comp.func == "sum":
        return col.cast("float64").sum(where=where)
    if comp.func == "sumsq":
        value = col.cast("float64")
        return (value * value).sum(where=where)
    if comp.func == "min":
        return col.cast("float64").min(where=where)
    if comp.func == "max":
        return col.cast("float64").max(where=where)
    raise EngineError(f"неизвестный компонент {comp.func}")


def mean_pair(spec: IndicatorSpec) -> f.Aggregate | None:
    """The ``sum`` aggregate when the indicator is a mean (``sum(x)/count(x)`` with the same
    condition), else None."""
    num, den = spec.numerator, spec.denominator
    if not (isinstance(num, f.Aggregate) and isinstance(den, f.Aggregate)):
        return None
    if num.func != "sum" or den.func != "count" or num.source != den.source:
        return None
    same_where = (f.to_text(num.where) if num.where else "") == (
        f.to_text(den.where) if den.where else ""
    )
    if same_where and den.column in (None, num.column):
        return num
    return None


def resolve_test(spec: IndicatorSpec) -> str:
    """Which significance test applies: proportion, mean or none."""
    if spec.test in ("proportion", "mean", "none"):
        return spec.test
    if spec.aggregation == "orgs_share":
        return "proportion"
    if spec.aggregation == "composite":
        return "none"
    if mean_pair(spec) is not None:
        return "mean"
    if (
        spec.numerator is not None
        and spec.denominator is not None
        and f.counts_only(spec.numerator)
        and f.counts_only(spec.denominator)
    ):
        return "proportion"
    return "none"


def _significance(
    merged: pd.DataFrame, tests: np.ndarray, alpha: Callable[[int], float]
) -> tuple[np.ndarray, np.ndarray]:
    """Per row: two-proportion z-test (tests == "proportion") or Welch's t-test from sums and
    sums of squares ("mean") against the previous year; None where not testable."""
    size = len(merged)
    significant = np.array([None] * size, dtype=object)
    p_values = np.full(size, np.nan)
    if size == 0:
        return significant, p_values
    years = merged["year"].to_numpy()
    by_year = {int(y): alpha(int(y)) for y in np.unique(years)}
    alphas = np.array([by_year[int(y)] for y in years], dtype="float64")
    x1 = merged["numerator"].to_numpy("float64")
    n1 = merged["denominator"].to_numpy("float64")
    x0 = merged["numerator_prev"].to_numpy("float64")
    n0 = merged["denominator_prev"].to_numpy("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        # proportions
        ok = (
            (tests == "proportion")
            & ~np.isnan(x1)
            & ~np.isnan(n1)
            & ~np.isnan(x0)
            & ~np.isnan(n0)
            & (n1 > 0)
            & (n0 > 0)
            & (x1 >= 0)
            & (x0 >= 0)
            & (x1 <= n1)
            & (x0 <= n0)
        )
        pooled = (x1 + x0) / (n1 + n0)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
        z = np.where(se > 0, (x1 / n1 - x0 / n0) / np.where(se > 0, se, 1.0), 0.0)
        p_prop = np.where(se > 0, 2.0 * special.ndtr(-np.abs(np.nan_to_num(z))), 1.0)
        # means (numerator = sum, denominator = count)
        q1 = merged["sumsq"].to_numpy("float64")
        q0 = merged["sumsq_prev"].to_numpy("float64")
        m1, m0 = x1 / n1, x0 / n0
        v1 = np.maximum((q1 - x1 * x1 / n1) / (n1 - 1), 0.0)
        v0 = np.maximum((q0 - x0 * x0 / n0) / (n0 - 1), 0.0)
        a1, a0 = v1 / n1, v0 / n0
        se_m = np.sqrt(a1 + a0)
        df = (a1 + a0) ** 2 / (a1 * a1 / (n1 - 1) + a0 * a0 / (n0 - 1))
        ok_m = (
            (tests == "mean")
            & ~np.isnan(x1)
            & ~np.isnan(x0)
            & ~np.isnan(q1)
            & ~np.isnan(q0)
            & (n1 >= 2)
            & (n0 >= 2)
            & (se_m > 0)
            & np.isfinite(df)
        )
        t_stat = np.where(ok_m, (m1 - m0) / np.where(ok_m, se_m, 1.0), 0.0)
        p_mean = 2.0 * stats.t.sf(np.abs(t_stat), np.where(ok_m, df, 1.0))
    p = np.where(ok, p_prop, np.where(ok_m, p_mean, np.nan))
    valid = ok | ok_m
    significant[valid] = p[valid] < alphas[valid]
    p_values[valid] = p[valid]
    return significant, p_values


def students_schema_columns() -> list[str]:
    """Columns the registry must provide for ``students`` (used by the Django side)."""
    return [c for c in STUDENTS.columns if c != "level"]
