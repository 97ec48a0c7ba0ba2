"""Import of other facts: school aggregate tables, official objectivity lists, journal marks,
olympiad results, medals and observers. Parsing is pure (``imports.parsing``); here the
organizations are resolved, slices planned and the facts written to the fact store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from soko.imports.context import ImportContext, PlannedSlice
from soko.imports.orgs import OrgResolver
from soko.imports.parsing import aggregates, facts, lists
from soko.imports.parsing.records import (
    AggregateRecord,
    JournalMarkRecord,
    MarkerRecord,
    MedalRecord,
    ObserverRecord,
    OlympiadRecord,
    OrgRef,
    Parsed,
)
from soko.imports.results_handler import active_slices
from soko.warehouse.schema import (
    AGGREGATE,
    JOURNAL_MARK,
    MEDAL,
    OBSERVER,
    OFFICIAL_MARKER,
    OLYMPIAD,
    FactTable,
)

PARSERS = {**aggregates.PARSERS, **lists.PARSERS, **facts.PARSERS}

FACT_KINDS: dict[str, str] = {
    "aggregate_shares": "Сводная таблица по ОО: % «2» и % высоких результатов",
    "ege_by_school": "Региональная форма: результаты ЕГЭ по ОО",
    "ege_open_data": "Открытые данные: результаты ЕГЭ по ОО",
    "objectivity_list": "Перечень ОО с признаками необъективности (ФИОКО)",
    "journal_marks": "Отметки по журналу",
    "olympiad": "Результаты олимпиад (ВсОШ)",
    "medals": "Медали выпускников",
    "observers": "Общественное наблюдение на процедурах",
}
_STAGE_LABELS = {
    "school": "школьный",
    "municipal": "муниципальный",
    "regional": "региональный",
    "final": "заключительный",
}


@dataclass(frozen=True)
class _Spec:
    table: FactTable
    unit: Callable[[Any], str]  # the replacement unit inside an organization
    label: Callable[[Any], str]
    row: Callable[[Any], dict[str, Any]]


def _aggregate_row(r: AggregateRecord) -> dict[str, Any]:
    return {
        "year": r.year,
        "procedure": r.procedure,
        "subject": r.subject,
        "grade": r.grade,
        "metric": r.metric,
        "numerator": r.numerator,
        "denominator": r.denominator,
        "value": r.value,
    }


_AGGREGATE = _Spec(
    AGGREGATE,
    unit=lambda r: f"{r.procedure}:{r.year}",
    label=lambda r: f"{r.procedure} {r.year} (сводные показатели)",
    row=_aggregate_row,
)
SPECS: dict[str, _Spec] = {
    "aggregate_shares": _AGGREGATE,
    "ege_by_school": _AGGREGATE,
    "ege_open_data": _AGGREGATE,
    "objectivity_list": _Spec(
        OFFICIAL_MARKER,
        unit=lambda r: f"{r.list_source}:{r.year}",
        label=lambda r: f"Перечень {r.list_source} {r.year}",
        row=lambda r: {
            "year": r.year,
            "procedure": r.procedure,
            "grade": r.grade,
            "subject": r.subject,
            "list_source": r.list_source,
        },
    ),
    "journal_marks": _Spec(
        JOURNAL_MARK,
        unit=lambda r: f"{r.year}",
        label=lambda r: f"Отметки по журналу {r.year}",
        row=lambda r: {
            "year": r.year,
            "student_code": r.student_code,
            "class_label": r.class_label,
            "grade": r.grade,
            "subject": r.subject,
            "period": r.period,
            "mark": r.mark,
        },
    ),
    "olympiad": _Spec(
        OLYMPIAD,
        unit=lambda r: f"{r.stage}:{r.year}",
        label=lambda r: f"ВсОШ {r.year}, {_STAGE_LABELS.get(r.stage, r.stage)} этап",
        row=lambda r: {
            "year": r.year,
            "stage": r.stage,
            "subject": r.subject,
            "grade": r.grade,
            "student_code": r.student_code,
            "status": r.status,
            "score": r.score,
        },
    ),
    "medals": _Spec(
        MEDAL,
        unit=lambda r: f"{r.year}",
        label=lambda r: f"Медали {r.year}",
        row=lambda r: {"year": r.year, "student_code": r.student_code, "medal": r.medal},
    ),
    "observers": _Spec(
        OBSERVER,
        unit=lambda r: f"{r.procedure}:{r.year}",
        label=lambda r: f"Наблюдатели: {r.procedure} {r.year}",
        row=lambda r: {
            "year": r.year,
            "procedure": r.procedure,
            "subject": r.subject or None,
            "grade": r.grade,
            "event_date": dt.date.fromisoformat(r.event_date) if r.event_date else None,
            "observers": r.observers,
            "observer_kind": r.observer_kind,
            "video": r.video,
        },
    ),
}

FactRecord = (
    AggregateRecord
    | MarkerRecord
    | JournalMarkRecord
    | OlympiadRecord
    | MedalRecord
    | ObserverRecord
)


class FactsHandler:
    writes_facts = True

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.title = FACT_KINDS[kind]
        self.spec = SPECS[kind]
        self.records: list[Any] = []
        self.org_of: dict[OrgRef, int | None] = {}
        self.resolver: OrgResolver | None = None
        self.new_refs: list[OrgRef] = []

    def prepare(self, ctx: ImportContext) -> None:
        _, parse = PARSERS[self.kind]
        ctx.progress(0.2, "разбор файла")
        parsed: Parsed[Any] = parse(
            ctx.sheets, file_name=ctx.file_name, year=ctx.year, mapping=ctx.mapping
        )
        ctx.warnings.extend(parsed.warnings)
        ctx.problems.extend(parsed.problems.items, parsed.problems.total)
        if ctx.problems:
            return
        if not parsed.records:
            ctx.problems.add("no_rows", "В файле нет ни одной строки с данными.")
            return
        if parsed.totals:
            ctx.summary["file_totals"] = len(parsed.totals)
        self.records = parsed.records
        self.resolver = OrgResolver(ctx)
        refs = list({r.org: None for r in self.records})
        self.org_of = self.resolver.resolve_refs(refs)
        unknown = [ref for ref, pk in self.org_of.items() if pk is None]
        if unknown and not ctx.create_orgs:
            first_row: dict[OrgRef, Any] = {}
            for r in self.records:
                first_row.setdefault(r.org, r.where)
            for ref in unknown[:200]:
                where = first_row[ref]
                ctx.problems.add(
                    "unknown_organization",
                    "Организация не найдена в реестре (ни по логину, ни по ОГРН, ни по названию "
                    "в муниципалитете). Добавьте её в реестр или загрузите файл с параметром "
                    "--create-orgs.",
                    sheet=where.sheet,
                    row=where.row,
                    column="Логин ОО" if ref.code else "Образовательная организация",
                    value=ref.code or ref.name,
                )
            if len(unknown) > 200:
                ctx.problems.total += len(unknown) - 200
            return
        self.new_refs = unknown
        if ctx.scope.is_school:
            foreign = {ref for ref, pk in self.org_of.items() if pk != ctx.scope.organization_id}
            for r in self.records:
                if r.org in foreign:
                    ctx.problems.add(
                        "foreign_organization",
                        "Пользователь ОО может загружать данные только своей организации.",
                        sheet=r.where.sheet,
                        row=r.where.row,
                        column=r.where.column,
                        value=r.org.code or r.org.name,
                    )
                    return
        self._plan(ctx)

    def _plan(self, ctx: ImportContext) -> None:
        assert self.resolver is not None
        groups: dict[tuple[OrgRef, str], list[Any]] = {}
        for r in self.records:
            groups.setdefault((r.org, self.spec.unit(r)), []).append(r)
        keys = {
            g: f"{self.kind}:{unit}:{self.org_of[g[0]]}"
            for g in groups
            for unit in [g[1]]
            if self.org_of[g[0]] is not None
        }
        active = active_slices(set(keys.values()))
        for (ref, unit), rows in groups.items():
            org_id = self.org_of[ref]
            key = keys.get((ref, unit), "")
            replaced = active.get(key, [])
            org_label = (
                self.resolver.label_of(ref.code or "", ref.name)
                if ref.code
                else (ref.name or (ref.ogrn or ""))
            )
            ctx.plan.append(
                PlannedSlice(
                    unit_key=key,
                    kind=self.kind,
                    rows=len(rows),
                    label=f"{self.spec.label(rows[0])} — {org_label}",
                    organization_id=org_id,
                    year=getattr(rows[0], "year", None),
                    replaces=[s.pk for s in replaced],
                    replaces_batches=sorted({s.batch_id for s in replaced}),
                    replaced_rows=sum(s.rows for s in replaced),
                    payload=(ref, unit, rows),
                )
            )
        ctx.summary["new_organizations"] = sorted({ref.code or ref.name for ref in self.new_refs})

    def write_app(self, ctx: ImportContext, batch: Any) -> None:
        assert self.resolver is not None
        for ref in self.new_refs:
            self.org_of[ref] = self.resolver.create_from_ref(ref, batch)
        for ps in ctx.plan:
            ref, unit, _rows = ps.payload
            ps.organization_id = self.org_of[ref]
            ps.unit_key = f"{self.kind}:{unit}:{ps.organization_id}"

    def write_facts(self, ctx: ImportContext, writer: Any, slice_ids: list[int]) -> int:
        columns: dict[str, list[Any]] = {name: [] for name in self.spec.table.column_names}
        for ps, sid in zip(ctx.plan, slice_ids, strict=True):
            _ref, _unit, rows = ps.payload
            for r in rows:
                values = self.spec.row(r)
                values["slice_id"] = sid
                values["org_id"] = ps.organization_id
                for name in columns:
                    columns[name].append(values.get(name))
        table = pa.table(columns, schema=self.spec.table.arrow_schema)
        return int(writer.append(self.spec.table.name, table))

    def close(self) -> None:
        self.records = []


def looks_like(kind: str, sheets: Sequence[Any]) -> bool:
    recognise, _ = PARSERS[kind]
    return bool(recognise(list(sheets)))
