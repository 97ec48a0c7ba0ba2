"""Re-checking of works («перепроверка», seeds 000, 002, 004): writes.

The authority picks a sample of works of one assessment (random, risk-based — schools with
objectivity flags — or both), the municipal commission enters its own per-task scores (in the
web grid or an XLSX template), and the discrepancies with the school's marking become evidence
on the school's objectivity flags and feed «доля объективно оценённых работ».
"""

from __future__ import annotations

import io
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from soko.accounts.scope import Scope
from soko.core.errors import ApplicationError, ValidationFailed
from soko.risks import gather
from soko.risks.discrepancy import CheckedWork, WorkDiscrepancy, summarize, work_discrepancy
from soko.risks.models import (
    Flag,
    FlagKind,
    FlagStatus,
    RecheckMethod,
    RecheckSample,
    RecheckWork,
)
from soko.warehouse.store import open_warehouse


def _require_authority(scope: Scope) -> None:
    if scope.is_public or scope.is_school or not scope.can_edit:
        raise ApplicationError(
            "Перепроверку организует орган управления образованием: недостаточно прав."
        )


def _tolerance(year: int) -> float:
    from soko.catalog.selectors import parameter_value

    return float(parameter_value("recheck.max_primary_delta", year))


def _round_robin(groups: Mapping[int, list[int]], k: int, rng: np.random.Generator) -> list[int]:
    """Take k items spreading them over the groups (schools): one per group in turn."""
    queues = {g: [int(i) for i in rng.permutation(items)] for g, items in groups.items()}
    order = [int(g) for g in rng.permutation(sorted(queues))]
    out: list[int] = []
    while len(out) < k and any(queues.values()):
        for g in order:
            if queues[g] and len(out) < k:
                out.append(queues[g].pop())
    return out


def recheck_sample_create(
    *,
    assessment_id: int,
    size: int,
    method: str,
    seed: int,
    scope: Scope,
    risk_share: float = 0.5,
    title: str = "",
    note: str = "",
    user: Any = None,
) -> RecheckSample:
    """Choose ``size`` works of an assessment for re-checking; returns the sample.

    ``random``: a simple random sample of all works of schools in scope; ``risk``: works of
    schools with current, not dismissed objectivity flags in that year, spread evenly over
    those schools; ``mixed``: ``risk_share`` of the sample by risk, the rest at random. The
    same seed gives the same sample.
    """
    from soko.catalog.models import Assessment
    from soko.registry.models import Organization

    _require_authority(scope)
    if method not in RecheckMethod.values:
        raise ApplicationError("Способ отбора: случайная выборка, по признакам риска или оба.")
    if size < 1:
        raise ApplicationError("Объём выборки должен быть не меньше одной работы.")
    if not 0.0 <= risk_share <= 1.0:
        raise ApplicationError("Доля работ из ОО с признаками — от 0 до 1.")
    assessment = (
        Assessment.objects.select_related("procedure", "subject").filter(pk=assessment_id).first()
    )
    if assessment is None:
        raise ApplicationError("Работа не найдена в каталоге.")
    infos = [a for a in gather.assessments(years=[assessment.year]) if a.id == assessment.pk]
    info = infos[0]
    org_ids = list(Organization.objects.filter(scope.org_q()).values_list("id", flat=True))
    with open_warehouse() as wh:
        rows = gather.work_rows(wh, info, org_ids)
    if rows.result_id.size == 0:
        raise ApplicationError(
            "По этой работе нет результатов участников в доступных ОО — выбирать нечего."
        )
    risky = set(
        Flag.objects.filter(
            kind=FlagKind.OBJECTIVITY, year=assessment.year, current=True,
            organization_id__in=org_ids,
        )
        .exclude(status=FlagStatus.DISMISSED)
        .values_list("organization_id", flat=True)
    )
    rng = np.random.default_rng(int(seed))
    idx_all = np.arange(rows.result_id.size)
    by_org: dict[int, list[int]] = defaultdict(list)
    for row in idx_all:
        if int(rows.org[row]) in risky:
            by_org[int(rows.org[row])].append(int(row))
    k_risk = size if method == RecheckMethod.RISK else (
        round(size * risk_share) if method == RecheckMethod.MIXED else 0
    )
    if method == RecheckMethod.RISK and not by_org:
        raise ApplicationError(
            "В этом году нет ОО с признаками необъективности: выберите случайную выборку."
        )
    chosen_risk = _round_robin(by_org, k_risk, rng) if k_risk else []
    taken = set(chosen_risk)
    rest = [int(i) for i in idx_all if int(i) not in taken]
    k_random = min(size - len(chosen_risk), len(rest))
    chosen_random = (
        [int(i) for i in rng.choice(rest, size=k_random, replace=False)] if k_random > 0 else []
    )
    picked = [(i, RecheckWork.Reason.RISK) for i in chosen_risk] + [
        (i, RecheckWork.Reason.RANDOM) for i in chosen_random
    ]
    with transaction.atomic():
        sample = RecheckSample.objects.create(
            title=title.strip() or f"Перепроверка: {assessment.title}",
            assessment=assessment,
            year=assessment.year,
            method=method,
            size=size,
            seed=int(seed),
            risk_share=risk_share,
            note=note,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        works = []
        for pos, (i, reason) in enumerate(
            sorted(picked, key=lambda p: (int(rows.org[p[0]]), rows.participant_code[p[0]])),
            start=1,
        ):
            scores = [None if not math.isfinite(v) else float(v) for v in rows.scores[i]]
            works.append(
                RecheckWork(
                    sample=sample,
                    organization_id=int(rows.org[i]),
                    result_id=int(rows.result_id[i]),
                    participant_code=rows.participant_code[i],
                    class_label=rows.class_label[i] or "",
                    reason=reason,
                    position=pos,
                    school_scores=scores,
                    school_primary=float(rows.primary[i]),
                    school_mark=rows.mark[i],
                )
            )
        RecheckWork.objects.bulk_create(works, batch_size=500)
    return sample


def _tasks_of(sample: RecheckSample) -> list[Any]:
    return list(sample.assessment.tasks.order_by("position"))


def _work_in_scope(work_id: int, scope: Scope) -> RecheckWork:
    work = (
        RecheckWork.objects.select_related("sample__assessment")
        .filter(scope.org_q("organization"), pk=work_id)
        .first()
    )
    if work is None:
        raise ApplicationError("Работа для перепроверки не найдена или недоступна.")
    return work


def _validate_scores(
    values: Sequence[Any], tasks: Sequence[Any]
) -> tuple[list[float] | None, list[tuple[str, str, str]]]:
    """Parse the commission's scores; returns (scores, problems as (task, value, message))."""
    problems: list[tuple[str, str, str]] = []
    if len(values) != len(tasks):
        problems.append(("", "", f"Нужно {len(tasks)} баллов — по одному на задание."))
        return None, problems
    out: list[float] = []
    for value, task in zip(values, tasks, strict=True):
        text = "" if value is None else str(value).strip().replace(",", ".")
        if text == "":
            problems.append((task.number, "", "Балл за задание не указан."))
            continue
        try:
            number = float(text)
        except ValueError:
            problems.append((task.number, str(value), "Балл должен быть числом."))
            continue
        if not math.isfinite(number) or number < 0 or number > float(task.max_score) + 1e-9:
            problems.append(
                (task.number, str(value), f"Балл должен быть от 0 до {task.max_score:g}.")
            )
            continue
        out.append(number)
    return (out if not problems else None), problems


def _apply(work: RecheckWork, scores: list[float], tasks: Sequence[Any], user: Any) -> None:
    from soko.catalog.selectors import scale_spec

    spec = scale_spec(work.sample.assessment)
    commission_mark: int | None = None
    if spec is not None:
        commission_mark = int(
            spec.mark_for(sum(scores), {t.number: s for t, s in zip(tasks, scores, strict=True)})
        )
    d = work_discrepancy(
        CheckedWork(work.school_scores, scores, work.school_mark, commission_mark),
        _tolerance(work.sample.year),
    )
    work.commission_scores = scores
    work.commission_primary = d.commission_primary
    work.commission_mark = commission_mark
    work.delta_primary = d.delta_primary
    work.mark_changed = d.mark_changed
    work.objective = d.objective
    work.entered_by = user if getattr(user, "is_authenticated", False) else None
    work.entered_at = timezone.now()


_FIELDS = [
    "commission_scores", "commission_primary", "commission_mark", "delta_primary",
    "mark_changed", "objective", "entered_by", "entered_at",
]


def recheck_enter_scores(
    *, work_id: int, scores: Sequence[Any], scope: Scope, user: Any = None
) -> RecheckWork:
    """Store the commission's per-task scores of one work and its discrepancies; returns it."""
    _require_authority(scope)
    work = _work_in_scope(work_id, scope)
    tasks = _tasks_of(work.sample)
    parsed, problems = _validate_scores(scores, tasks)
    if parsed is None:
        raise ValidationFailed(
            "Баллы комиссии не сохранены: "
            + "; ".join(f"задание {t}: {m}" if t else m for t, _, m in problems),
            {"errors": [{"task": t, "value": v, "message": m} for t, v, m in problems]},
        )
    with transaction.atomic():
        _apply(work, parsed, tasks, user)
        work.save(update_fields=_FIELDS)
    attach_evidence(organization_id=work.organization_id, year=work.sample.year)
    return work


# --- XLSX template ------------------------------------------------------------------------------

_HEADER_ID = "Код работы"


def recheck_template_xlsx(sample: RecheckSample, works: Iterable[RecheckWork]) -> bytes:
    """An XLSX the commission fills: one row per work, one column per task (blind: the
    school's scores are not shown). Scores already entered are prefilled."""
    import xlsxwriter

    tasks = _tasks_of(sample)
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("Перепроверка")
    bold = wb.add_format({"bold": True})
    head = wb.add_format({"bold": True, "bg_color": "#E8EEF6", "border": 1, "text_wrap": True})
    cell = wb.add_format({"border": 1})
    entry = wb.add_format({"border": 1, "bg_color": "#FFF8DC"})
    ws.write(0, 0, f"Перепроверка работ: {sample.title}", bold)
    ws.write(1, 0, f"Работа: {sample.assessment.title}. Выборка №{sample.pk}.")
    ws.write(2, 0, "Внесите баллы комиссии в жёлтые ячейки (от 0 до максимума задания); "
                   "строки без баллов не загружаются. Столбцы «Код работы» и заданий не менять.")
    header = [_HEADER_ID, "ОО (логин)", "Код участника", "Класс"] + [
        f"{t.number} ({t.max_score:g}б)" for t in tasks
    ]
    for j, h in enumerate(header):
        ws.write(4, j, h, head)
    row = 5
    for w in works:
        ws.write_number(row, 0, w.pk, cell)
        ws.write(row, 1, w.organization.code, cell)
        ws.write(row, 2, w.participant_code, cell)
        ws.write(row, 3, w.class_label, cell)
        for j in range(len(tasks)):
            value = w.commission_scores[j] if w.commission_scores else None
            if value is None:
                ws.write_blank(row, 4 + j, None, entry)
            else:
                ws.write_number(row, 4 + j, value, entry)
        row += 1
    ws.set_column(0, 0, 12)
    ws.set_column(1, 2, 16)
    ws.set_column(4, 4 + len(tasks), 8)
    ws.freeze_panes(5, 4)
    wb.close()
    return buf.getvalue()


_TASK_HEADER = re.compile(r"^\s*([0-9А-Яа-яA-Za-z.]+)\s*\(\s*\d+(?:[.,]\d+)?\s*б\s*\)\s*$")


def recheck_upload_xlsx(
    *, sample_id: int, path: Path | None = None, data: bytes | None = None, scope: Scope,
    user: Any = None
) -> dict[str, Any]:
    """Load the commission's scores from a filled template — all rows or none.

    Returns {"saved": n, "skipped": n}; a file with any problem raises
    :class:`ValidationFailed` listing row, column, value and what is wrong, and saves nothing.
    """
    import openpyxl

    _require_authority(scope)
    sample = RecheckSample.objects.select_related("assessment").filter(pk=sample_id).first()
    if sample is None:
        raise ApplicationError("Выборка не найдена.")
    tasks = _tasks_of(sample)
    source = io.BytesIO(data) if data is not None else path
    if source is None:
        raise ApplicationError("Не передан файл.")
    try:
        wb = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:
        raise ApplicationError(
            "Не удалось прочитать файл: загрузите заполненный шаблон XLSX."
        ) from exc
    ws = wb.worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    header_at = next(
        (i for i, r in enumerate(rows) if r and str(r[0] or "").strip() == _HEADER_ID), None
    )
    if header_at is None:
        raise ApplicationError(
            f"В файле нет строки заголовка со столбцом «{_HEADER_ID}»: используйте шаблон "
            "этой выборки."
        )
    header = [str(c or "").strip() for c in rows[header_at]]
    columns: dict[str, int] = {}
    for j, h in enumerate(header):
        m = _TASK_HEADER.match(h)
        if m:
            columns[m.group(1)] = j
    missing = [t.number for t in tasks if t.number not in columns]
    if missing:
        raise ApplicationError(
            "В шаблоне нет столбцов заданий: " + ", ".join(missing) + ". Скачайте шаблон заново."
        )
    allowed = {
        w.pk: w
        for w in RecheckWork.objects.filter(scope.org_q("organization"), sample=sample)
        .select_related("sample__assessment")
    }
    errors: list[dict[str, Any]] = []
    parsed: list[tuple[RecheckWork, list[float]]] = []
    skipped = 0
    for i in range(header_at + 1, len(rows)):
        r = rows[i]
        if not r or all(c is None or str(c).strip() == "" for c in r):
            continue
        line = i + 1
        raw_id = r[0]
        try:
            work_id = int(float(str(raw_id)))
        except (TypeError, ValueError):
            errors.append({"row": line, "column": _HEADER_ID, "value": raw_id,
                           "message": "Код работы должен быть числом из шаблона."})
            continue
        work = allowed.get(work_id)
        if work is None:
            errors.append({"row": line, "column": _HEADER_ID, "value": raw_id,
                           "message": "Такой работы нет в этой выборке (или она недоступна)."})
            continue
        values = [r[columns[t.number]] if columns[t.number] < len(r) else None for t in tasks]
        if all(v is None or str(v).strip() == "" for v in values):
            skipped += 1
            continue
        scores, problems = _validate_scores(values, tasks)
        for task, value, message in problems:
            col = header[columns[task]] if task in columns else ""
            errors.append({"row": line, "column": col, "value": value, "message": message})
        if scores is not None:
            parsed.append((work, scores))
    if errors:
        lines = [f"строка {e['row']}, столбец «{e['column']}»: {e['message']}" for e in errors[:20]]
        raise ValidationFailed(
            "Файл не загружен, баллы не сохранены. " + "; ".join(lines), {"errors": errors}
        )
    with transaction.atomic():
        for work, scores in parsed:
            _apply(work, scores, tasks, user)
            work.save(update_fields=_FIELDS)
    for org in {w.organization_id for w, _ in parsed}:
        attach_evidence(organization_id=org, year=sample.year)
    return {"saved": len(parsed), "skipped": skipped}


# --- evidence on flags ------------------------------------------------------------------------


def discrepancies(works: Iterable[RecheckWork]) -> list[WorkDiscrepancy]:
    out = []
    for w in works:
        if w.commission_scores is None:
            continue
        out.append(
            work_discrepancy(
                CheckedWork(w.school_scores, w.commission_scores, w.school_mark,
                            w.commission_mark),
                _tolerance(w.sample.year),
            )
        )
    return out


def recheck_summary(organization_id: int, year: int) -> dict[str, Any] | None:
    """What the re-checks of a school's works in a year found, per work (assessment)."""
    works = list(
        RecheckWork.objects.filter(
            organization_id=organization_id, sample__year=year, commission_scores__isnull=False
        ).select_related("sample__assessment__procedure", "sample__assessment__subject")
    )
    if not works:
        return None
    by_assessment: dict[int, list[RecheckWork]] = defaultdict(list)
    for w in works:
        by_assessment[w.sample.assessment_id].append(w)
    per_work = []
    for items in by_assessment.values():
        a = items[0].sample.assessment
        numbers = [t.number for t in a.tasks.order_by("position")]
        per_work.append({
            "procedure": a.procedure.code, "subject": a.subject.code, "grade": a.grade,
            "title": a.title, **summarize(discrepancies(items), numbers),
        })
    total = summarize(discrepancies(works), [])
    total.pop("tasks", None)
    return {"total": total, "works": per_work, "tolerance": _tolerance(year)}


def attach_evidence(*, organization_id: int, year: int) -> None:
    """Put the re-check results on the school's objectivity flags of that year."""
    summary = recheck_summary(organization_id, year)
    flags = list(Flag.objects.filter(kind=FlagKind.OBJECTIVITY, organization_id=organization_id,
                                     year=year))
    for f in flags:
        ev = dict(f.evidence)
        if summary is None:
            ev.pop("recheck", None)
        else:
            match = next(
                (w for w in summary["works"] if (w["procedure"], w["subject"], w["grade"])
                 == (f.procedure, f.subject, f.grade)),
                None,
            )
            ev["recheck"] = {"total": summary["total"], "work": match,
                             "tolerance": summary["tolerance"]}
        f.evidence = ev
    Flag.objects.bulk_update(flags, ["evidence"], batch_size=200)


def attach_all_evidence(*, years: Iterable[int]) -> None:
    pairs = set(
        RecheckWork.objects.filter(sample__year__in=list(years), commission_scores__isnull=False)
        .values_list("organization_id", "sample__year")
    )
    for org, year in sorted(pairs):
        attach_evidence(organization_id=org, year=year)
