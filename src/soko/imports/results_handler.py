"""Import of participant results (ВПР, ОГЭ, ЕГЭ, the canonical long format)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

from soko.catalog.models import Assessment, Procedure, Source, Subject
from soko.catalog.selectors import conversion_of, scale_spec
from soko.catalog.services import (
    assessment_title,
    mark_scale_set,
    normalize_name,
    subject_lookup,
    tasks_replace,
)
from soko.imports.context import ImportContext, PlannedSlice
from soko.imports.models import ImportSlice
from soko.imports.orgs import OrgResolver
from soko.imports.parsing import results as rp
from soko.imports.staging import BlockInfo, BlockRules, Staging
from soko.lib.scales import infer_boundaries
from soko.warehouse.schema import RESULT, TASK_SCORE
from soko.warehouse.store import current_warehouse

RESULT_KINDS = {"vpr_results", "vpr_form", "oge_results", "ege_results", "canonical"}


@dataclass
class _BlockPlan:
    info: BlockInfo
    procedure: Procedure
    subject: Subject
    assessment: Assessment | None  # None: to be created from the file
    set_tasks: bool  # the file supplies the task list of an assessment that has none
    inferred: dict[int, float] | None  # boundaries inferred from the file
    max_primary: float | None


def results_unit_key(assessment_id: int, org_id: int) -> str:
    return f"results:{assessment_id}:{org_id}"


class ResultsHandler:
    writes_facts = True

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.title = {
            "vpr_results": "ВПР: индивидуальные результаты (ФИС ОКО)",
            "vpr_form": "ВПР: форма сбора результатов ОО",
            "oge_results": "ОГЭ / ГВЭ-9: протокол участников",
            "ege_results": "ЕГЭ / ГВЭ-11: протокол участников",
            "canonical": "Канонический формат (длинная таблица)",
        }[kind]
        self.staging: Staging | None = None
        self.blocks: dict[int, _BlockPlan] = {}
        self.orgs: OrgResolver | None = None

    # --- prepare ----------------------------------------------------------------------------
    def prepare(self, ctx: ImportContext) -> None:
        assert ctx.tmp_dir is not None
        wh = current_warehouse()
        shared = wh.con.con if wh is not None and wh.kind == "duckdb" else None
        self.staging = Staging(ctx.tmp_dir, con=shared)
        infos = self._stage(ctx)
        if ctx.problems or not infos:
            if not infos and not ctx.problems:
                ctx.problems.add("no_rows", "В файле нет ни одного участника.")
            return
        ctx.progress(0.35, "проверка по каталогу")
        lookup = subject_lookup()
        rules: dict[int, BlockRules] = {}
        for info in infos:
            plan = self._resolve_block(ctx, info, lookup)
            if plan is None:
                continue
            self.blocks[info.block] = plan
            rules[info.block] = self._rules(plan)
        if ctx.problems:
            return
        self.orgs = OrgResolver(ctx)
        summary = self.staging.org_summary()
        self.orgs.expect([(code, name, mun) for _, code, name, mun, _ in summary])
        allowed = None
        if ctx.scope.is_school:
            allowed = set(self.orgs.codes_of_scope())
        ctx.progress(0.45, "проверка строк")
        self.staging.validate(
            ctx.problems,
            rules,
            self.orgs.known_codes(),
            create_orgs=ctx.create_orgs,
            allowed_orgs=allowed,
        )
        if ctx.problems:
            return
        self._infer_scales(ctx)
        if ctx.problems:
            return
        self._plan(ctx, summary)

    def _stage(self, ctx: ImportContext) -> list[BlockInfo]:
        assert self.staging is not None
        ctx.progress(0.1, "чтение файла")
        if self.kind == "canonical":
            return self.staging.add_canonical(
                ctx.path, ctx.problems, memory_bytes=settings.SOKO.duckdb_memory_bytes
            )
        parsed: rp.ParsedResults
        if self.kind == "vpr_results":
            parsed = rp.parse_vpr_individual(ctx.sheets, file_name=ctx.file_name, year=ctx.year)
        elif self.kind == "vpr_form":
            parsed = rp.parse_vpr_form(
                ctx.sheets,
                file_name=ctx.file_name,
                org_code=ctx.options.get("org"),
                subject_name=ctx.options.get("subject"),
                grade=ctx.options.get("grade"),
                year=ctx.year,
            )
        else:
            procedure = (
                ctx.options.get("procedure")
                or rp.procedure_from_file_name(ctx.file_name)
                or ("ОГЭ" if self.kind == "oge_results" else "ЕГЭ")
            )
            parsed = rp.parse_gia_protocol(
                ctx.sheets,
                file_name=ctx.file_name,
                procedure=procedure,
                year=ctx.year,
                subject_name=ctx.options.get("subject"),
                mapping=ctx.mapping,
            )
        ctx.warnings.extend(parsed.warnings)
        ctx.problems.extend(parsed.problems.items, parsed.problems.total)
        if ctx.problems:
            return []
        return [self.staging.add_block(block) for block in parsed.blocks if len(block)]

    def _resolve_block(
        self, ctx: ImportContext, info: BlockInfo, lookup: dict[str, Subject]
    ) -> _BlockPlan | None:
        procedure = Procedure.objects.filter(code=info.procedure).first()
        if procedure is None:
            ctx.problems.add(
                "unknown_procedure",
                f"Неизвестная процедура «{info.procedure}».",
                sheet=info.sheet,
                column="procedure",
                value=info.procedure,
            )
            return None
        subject = lookup.get(normalize_name(info.subject_name))
        if subject is None:
            ctx.problems.add(
                "unknown_subject",
                "Предмет не найден в каталоге; проверьте написание или добавьте синоним.",
                sheet=info.sheet,
                row=1,
                value=info.subject_name,
            )
            return None
        if info.year is None:
            ctx.problems.add("year_missing", "Не удалось определить год работы.", sheet=info.sheet)
            return None
        assessment = (
            Assessment.objects.filter(
                procedure=procedure,
                subject=subject,
                grade=info.grade,
                year=info.year,
                variant_series="",
            )
            .select_related("scale__source", "conversion")
            .first()
        )
        declared = None
        file_max = sum(t.max_score for t in info.tasks)
        set_tasks = True
        if assessment is not None:
            catalog_tasks = list(assessment.tasks.order_by("position"))
            if catalog_tasks:
                set_tasks = False
                file_keys = [(t.number, float(t.max_score)) for t in info.tasks]
                cat_keys = [(t.number, float(t.max_score)) for t in catalog_tasks]
                if sorted(file_keys) != sorted(cat_keys):
                    ctx.problems.add(
                        "tasks_mismatch",
                        f"Задания файла не совпадают с работой каталога «{assessment.title}»: "
                        f"в файле {len(file_keys)} заданий ({_task_list(file_keys)}), "
                        f"в каталоге {len(cat_keys)} ({_task_list(cat_keys)}).",
                        sheet=info.sheet,
                        row=None,
                    )
                    return None
                if [k for k, _ in file_keys] != [k for k, _ in cat_keys]:
                    position = {t.number: t.position for t in catalog_tasks}
                    self._reorder_tasks(info, position)
            declared = assessment.max_primary
        if declared is not None and abs(declared - file_max) > 1e-9 and self.kind != "canonical":
            ctx.problems.add(
                "max_mismatch",
                f"Сумма максимальных баллов заданий ({file_max:g}) не равна максимальному "
                f"первичному баллу работы в каталоге ({declared:g}).",
                sheet=info.sheet,
            )
            return None
        return _BlockPlan(
            info=info,
            procedure=procedure,
            subject=subject,
            assessment=assessment,
            set_tasks=set_tasks,
            inferred=None,
            max_primary=declared if declared is not None else file_max,
        )

    def _reorder_tasks(self, info: BlockInfo, position: dict[str, int]) -> None:
        assert self.staging is not None
        mapping = {i + 1: position[t.number] for i, t in enumerate(info.tasks)}
        cases = " ".join(f"WHEN {a} THEN {b}" for a, b in mapping.items())
        con = self.staging.con
        if not self.staging.canonical:  # the canonical view follows st_block_task
            con.execute(
                f"UPDATE st_task SET task_pos = CASE task_pos {cases} END WHERE block = ?",
                [info.block],
            )
        con.execute(
            f"UPDATE st_block_task SET task_pos = CASE task_pos {cases} END WHERE block = ?",
            [info.block],
        )
        info.tasks = sorted(info.tasks, key=lambda t: position[t.number])

    def _rules(self, plan: _BlockPlan) -> BlockRules:
        assessment = plan.assessment
        spec = scale_spec(assessment) if assessment is not None else None
        note = ""
        if assessment is not None and spec is not None:
            scale = assessment.scale
            note = f"шкала «{assessment.get_scale_status_display()}», {scale.source.title}"
        conv = conversion_of(assessment) if assessment is not None else None
        label = assessment.title if assessment is not None else plan.info.title
        return BlockRules(
            assessment_label=label,
            max_primary=plan.max_primary,
            scale=spec,
            scale_note=note,
            conversion=dict(conv.table) if conv is not None and conv.complete else None,
            require_marks=self.kind == "vpr_results",
        )

    def _infer_scales(self, ctx: ImportContext) -> None:
        assert self.staging is not None
        for block, plan in self.blocks.items():
            has_scale = plan.assessment is not None and hasattr(plan.assessment, "scale")
            if has_scale or not plan.info.has_marks:
                continue
            primary, marks = self.staging.marks_and_primary(block)
            if primary.size == 0:
                continue
            inferred = infer_boundaries(primary, marks.astype(int))
            if inferred.conflicts:
                ctx.warnings.append(
                    f"{plan.info.title}: отметки не описываются одной шкалой без дополнительных "
                    f"условий ({len(inferred.conflicts)} сочетаний балла и отметки); границы "
                    "выведены по нижней границе каждой отметки и требуют проверки специалистом."
                )
            if len(inferred.boundaries) >= 1:
                plan.inferred = dict(inferred.boundaries)
                not_pinned = [m for m, (lo, hi) in inferred.gaps.items() if hi - lo > 1]
                if not_pinned:
                    ctx.warnings.append(
                        f"{plan.info.title}: граница отметок "
                        + ", ".join(f"«{m}»" for m in not_pinned)
                        + " определена неточно (в данных нет соседних баллов)."
                    )

    def _plan(self, ctx: ImportContext, summary: list[tuple[int, str, str, str, int]]) -> None:
        assert self.orgs is not None
        keys: dict[tuple[int, str], str] = {}
        for block, code, _name, _mun, _n in summary:
            plan = self.blocks[block]
            org_id = self.orgs.id_of(code)
            assessment_id = plan.assessment.pk if plan.assessment is not None else None
            if assessment_id and org_id:
                keys[(block, code)] = results_unit_key(assessment_id, org_id)
        active = active_slices(set(keys.values()))
        for block, code, name, _mun, n in summary:
            plan = self.blocks[block]
            org_id = self.orgs.id_of(code)
            assessment_id = plan.assessment.pk if plan.assessment is not None else None
            key = keys.get((block, code), "")
            replaced = active.get(key, []) if key else []
            title = plan.assessment.title if plan.assessment else _title(plan)
            ctx.plan.append(
                PlannedSlice(
                    unit_key=key,
                    kind=self.kind,
                    rows=n,
                    label=f"{title} — {self.orgs.label_of(code, name)}",
                    assessment_id=assessment_id,
                    organization_id=org_id,
                    year=plan.info.year,
                    replaces=[s.pk for s in replaced],
                    replaces_batches=sorted({s.batch_id for s in replaced}),
                    replaced_rows=sum(s.rows for s in replaced),
                    payload=(block, code),
                )
            )
        ctx.summary["assessments"] = [
            plan.assessment.title if plan.assessment else _title(plan)
            for plan in self.blocks.values()
        ]
        ctx.summary["new_assessments"] = [
            _title(plan) for plan in self.blocks.values() if plan.assessment is None
        ]
        ctx.summary["new_organizations"] = self.orgs.new_codes()

    # --- write ------------------------------------------------------------------------------
    def write_app(self, ctx: ImportContext, batch: Any) -> None:
        assert self.orgs is not None
        self.orgs.create_missing(batch)
        derived = Source.objects.get(code="derived")
        for plan in self.blocks.values():
            info = plan.info
            if plan.assessment is None:
                plan.assessment = Assessment.objects.create(
                    procedure=plan.procedure,
                    subject=plan.subject,
                    grade=info.grade,
                    year=int(info.year or 0),
                    title=_title(plan),
                    max_primary=int(plan.max_primary) if plan.max_primary else None,
                    scale_status=Assessment.ScaleStatus.UNSET,
                    source=derived,
                    note=f"Создано при загрузке файла «{ctx.file_name}» (загрузка №{batch.pk}).",
                )
            if plan.set_tasks:
                tasks_replace(
                    plan.assessment,
                    [
                        {"number": t.number, "max": t.max_score, "level": t.level}
                        for t in info.tasks
                    ],
                )
                if plan.assessment.max_primary is None and plan.max_primary:
                    plan.assessment.max_primary = int(plan.max_primary)
                    plan.assessment.save(update_fields=["max_primary", "updated_at"])
            if plan.inferred:
                mark_scale_set(
                    assessment=plan.assessment,
                    boundaries=plan.inferred,
                    status=Assessment.ScaleStatus.DERIVED,
                    source=derived,
                )
        for ps in ctx.plan:
            block, code = ps.payload
            plan = self.blocks[block]
            assert plan.assessment is not None
            ps.assessment_id = plan.assessment.pk
            ps.organization_id = self.orgs.id_of(code)
            ps.unit_key = results_unit_key(ps.assessment_id, int(ps.organization_id or 0))

    def write_facts(self, ctx: ImportContext, writer: Any, slice_ids: list[int]) -> int:
        assert self.staging is not None
        rows = []
        for ps, sid in zip(ctx.plan, slice_ids, strict=True):
            block, code = ps.payload
            rows.append(
                (
                    block,
                    code,
                    sid,
                    int(ps.assessment_id or 0),
                    int(ps.organization_id or 0),
                    int(ps.year or 0),
                )
            )
        self.staging.set_slices(rows)
        ctx.progress(0.7, "запись результатов участников")
        if self.staging.shared and hasattr(writer, "append_query"):
            n = writer.append_query(RESULT.name, self.staging.results_sql())
            ctx.progress(0.8, "запись баллов за задания")
            tasks = writer.append_query(TASK_SCORE.name, self.staging.task_scores_sql())
        else:
            n = writer.append(RESULT.name, self.staging.output_results())
            ctx.progress(0.8, "запись баллов за задания")
            tasks = writer.append(TASK_SCORE.name, self.staging.output_task_scores())
        ctx.summary["task_scores"] = tasks
        return int(n)

    def close(self) -> None:
        if self.staging is not None:
            self.staging.close()
            self.staging = None


def _title(plan: _BlockPlan) -> str:
    return assessment_title(plan.procedure, plan.subject, plan.info.grade, int(plan.info.year or 0))


def _task_list(keys: list[tuple[str, float]]) -> str:
    shown = ", ".join(f"{n} ({m:g}б)" for n, m in keys[:8])
    return shown + (" …" if len(keys) > 8 else "")


def active_slices(keys: set[str]) -> dict[str, list[ImportSlice]]:
    """Active slices with the given unit keys, grouped by key."""
    found: dict[str, list[ImportSlice]] = {}
    keys.discard("")
    for chunk in _chunks(sorted(keys), 500):
        for s in ImportSlice.objects.filter(state=ImportSlice.State.ACTIVE, unit_key__in=chunk):
            found.setdefault(s.unit_key, []).append(s)
    return found


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
