"""Reports on assessment procedures: the ВПР analytical report (municipality or one
organization) and the analyses of ГИА-9 (ОГЭ, ГВЭ-9) and ГИА-11 (ЕГЭ, ГВЭ-11).

Everything is read from the stored procedure analyses (``soko.analyses.selectors``) and, for
the ЕГЭ 100-point results, from the stored indicator values; nothing is recomputed here. The
ВПР report draws one chart per work plus one summary chart, so its cost grows linearly and
slowly with the number of works.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import matplotlib
from django.http import Http404
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from soko.reports import charts
from soko.reports.builders import BuildContext, register
from soko.reports.builders.common import (
    anchor_scope,
    method_notes,
    min_group,
    new_document,
    note,
    place,
    refuse,
    rounded,
    suppress,
)
from soko.reports.document import (
    Bullets,
    Chart,
    Document,
    MethodNote,
    Paragraph,
    Section,
    Table,
    counted,
)

VPR = ("ВПР",)
GIA9 = ("ОГЭ", "ГВЭ-9")
GIA11 = ("ЕГЭ", "ГВЭ-11")
MARKS = (2, 3, 4, 5)
PCT = "0.0"
STATUS_FILL = {"sufficient": "#d5f5e3", "zone": "#fdebd0", "insufficient": "#f5b7b1"}
SUPPRESSED_NOTE = (
    "«—»: группа меньше {n} участников, её результаты не показываются отдельно "
    "(учтены в итогах)."
)
VPR_PARAMS = (
    "privacy.min_group_size",
    "analyses.group.min_n",
    "vpr.mastery.basic",
    "vpr.mastery.basic_lower",
    "vpr.mastery.advanced",
    "vpr.mastery.advanced_lower",
    "analyses.skill.systemic_share",
    "vpr.journal_gap",
    "vpr.histogram.min_n",
    "vpr.histogram.informative_n",
    "vpr.share2_dynamics.negative_pp",
)
SYSTEM_KIND = "методика СОКО"


# --- shared helpers ---------------------------------------------------------------------------


def _pct(share: float | None) -> float | None:
    """A share 0–1 as a percent rounded to 0.1 (None stays None)."""
    return None if share is None else round(share * 100.0, 1)



def _year(ctx: BuildContext) -> int:
    if ctx.year is None:
        raise refuse("Укажите год отчёта (--year).")
    return int(ctx.year)


def _unit_args(ctx: BuildContext) -> dict[str, str]:
    """The unit of the procedure analysis the report is about (organization or territory)."""
    if ctx.organization is not None:
        return {"org": str(ctx.organization.code)}
    if ctx.territory is not None:
        return {"territory": str(ctx.territory.code)}
    raise refuse("Не определена территория отчёта: укажите организацию (--org) или войдите как "
                 "специалист муниципалитета.")


def _work_name(analysis: Any) -> str:
    """«Русский язык, 4 кл.» (with the procedure for ГИА: «ОГЭ: Математика»)."""
    subject = analysis.assessment.subject.name
    if analysis.procedure == "ВПР":
        return f"{subject}, {analysis.grade} кл." if analysis.grade else subject
    return f"{analysis.procedure}: {subject}"


def _sources(analyses: Sequence[Any], scope: Any, label: str) -> list[str]:
    """Data sources: the accepted import batches behind the works, newest first."""
    from soko.imports.models import ImportBatch, ImportSlice
    from soko.imports.selectors import batch_list

    ids = [a.assessment_id for a in analyses]
    batches = list(
        batch_list(scope)
        .filter(slices__assessment_id__in=ids, slices__state=ImportSlice.State.ACTIVE)
        .exclude(status=ImportBatch.Status.UNDONE)
        .distinct()
    )
    if not batches:
        return [f"{label}: результаты, сохранённые в СОКО (сведения о загрузках недоступны)"]
    if len(batches) <= 3:
        out = [f"{label}, импорт № {b.pk} от {b.created_at.strftime('%d.%m.%Y')} "
               f"({b.file_name})" for b in batches]
    else:
        numbers = sorted(b.pk for b in batches)
        latest = max(b.created_at for b in batches)
        out = [f"{label}: {len(batches)} загрузок (импорт № {numbers[0]}–{numbers[-1]}), "
               f"последняя от {latest.strftime('%d.%m.%Y')}"]
    computed = max((a.computed_at for a in analyses if a.computed_at), default=None)
    if computed is not None:
        out.append(f"Анализ результатов СОКО, рассчитан {computed.strftime('%d.%m.%Y %H:%M')}")
    return out


def _scale_notes(analyses: Iterable[Any]) -> list[MethodNote]:
    """Scales of marks (boundaries with their source) of the works, one line per work."""
    notes = []
    for a in analyses:
        if not a.boundaries:
            continue
        bounds = "; ".join(f"«{m}» — от {float(v):g}" for m, v in sorted(a.boundaries.items()))
        status = dict(type(a.assessment).ScaleStatus.choices).get(a.scale_status, a.scale_status)
        notes.append(note(f"Шкала перевода баллов в отметки: {_work_name(a)} ({a.year})", bounds,
                          a.scale_source or "—", str(status or "—")))
    return notes


def _param_text(value: Any, unit: str) -> str:
    """«60 %» for a share, «10 чел.» otherwise (Russian decimal comma)."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if unit == "доля" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{float(value) * 100:g} %".replace(".", ",")
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{text.replace('.', ',')} {unit}".strip()


def _threshold_notes(analyses: Iterable[Any], codes: Iterable[str]) -> list[MethodNote]:
    """Thresholds as they were applied by the analysis (snapshot stored with it)."""
    seen: dict[str, MethodNote] = {}
    for a in analyses:
        for code in codes:
            snap = a.thresholds.get(code)
            if not isinstance(snap, dict) or code in seen:
                continue
            seen[code] = note(str(snap.get("name", code)),
                              _param_text(snap.get("value"), str(snap.get("unit", ""))),
                              str(snap.get("source", "—")),
                              str(snap.get("source_kind_label", "—")))
    return list(seen.values())


def _methodology(analyses: Sequence[Any], codes: Sequence[str], year: int) -> list[MethodNote]:
    notes = _threshold_notes(analyses, codes)
    have = {n.name for n in notes}
    notes += [n for n in method_notes(codes, year) if n.name not in have]
    return notes + _scale_notes(analyses)


def _diff_text(value: float | None, reference: float | None, where: str,
               unit: str = "п. п.") -> str:
    """«на 1,2 п. п. выше, чем в регионе (8,7 %)» / «на уровне региона»."""
    if value is None or reference is None:
        return ""
    diff = round(value - reference, 1)
    if diff == 0:
        return f"на уровне показателя {where}"
    word = "выше" if diff > 0 else "ниже"
    return f"на {_ru(abs(diff))} {unit} {word}, чем {where}"


def _ru(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{value:.{digits}f}".replace(".", ",").replace("-", "−")


# --- ВПР chart --------------------------------------------------------------------------------


def _mark_histogram(title: str, scores: Sequence[int], percents: Sequence[float],
                    marks: Sequence[int | None], boundaries: dict[int, float],
                    reference: Sequence[float] | None, reference_label: str) -> bytes:
    """Primary-score distribution coloured by the mark each score earns, the reference line
    and the mark boundaries.

    Drawn on a bare :class:`Figure` with fixed margins (no pyplot, no layout solver): the
    municipal report draws one per work, so each must cost little.
    """
    with matplotlib.rc_context({"figure.constrained_layout.use": False}):
        fig = Figure(figsize=(6.8, 2.9), dpi=charts.DPI)
    fig.subplots_adjust(left=0.08, right=0.84, bottom=0.16, top=0.89)
    ax = fig.add_subplot()
    colours = [charts.MARK_COLOURS.get(m or 0, charts.ACCENT) for m in marks]
    ax.bar(list(scores), list(percents), color=colours, width=0.85)
    present = set(marks)
    handles: list[Any] = [Patch(color=charts.MARK_COLOURS[m], label=f"«{m}»")
                          for m in MARKS if m in present]
    if reference is not None:
        (line,) = ax.plot(list(scores), list(reference), color="#34495e", linewidth=1.3,
                          label=reference_label)
        handles.append(line)
    top = max([*percents, *(reference or [])], default=0.0)
    ax.set_ylim(0, max(top * 1.15, 1.0))
    ax.set_xlim(-0.7, max(len(scores) - 0.3, 1.0))
    for bound in sorted(boundaries.values()):
        ax.axvline(bound - 0.5, color="#6c757d", linestyle="--", linewidth=0.8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=12))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f} %"))
    ax.set_xlabel("первичный балл")
    ax.set_title(title, loc="left")
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=charts.DPI, pil_kwargs={"compress_level": 3})
    return buffer.getvalue()


# --- ВПР --------------------------------------------------------------------------------------


def _marks_row(row: dict[str, Any]) -> list[Any]:
    return [
        f"{row['name']} ({row['level_label']})",
        row["participants"],
        *[_pct(row.get(f"share_{m}")) for m in MARKS],
        _pct(row.get("share_45")),
        rounded(row.get("mean_primary"), 2),
        _pct(row.get("percent")),
    ]


MARK_COLUMNS = ["Единица", "Участников", "% «2»", "% «3»", "% «4»", "% «5»",
                "% «4» и «5»", "Ср. перв. балл", "% от макс."]
MARK_FORMATS = {2: PCT, 3: PCT, 4: PCT, 5: PCT, 6: PCT, 7: "0.00", 8: PCT}


def _task_label(task: dict[str, Any]) -> str:
    """«5 (Б, 2 б.)»: the task number with its level and maximum score."""
    level = task.get("level") or "—"
    top = task.get("max")
    top_text = f"{float(top):g}" if top is not None else "—"
    return f"{task['number']} ({level}, {top_text} б.)"


def _people(n: int) -> str:
    return counted(n, "участник", "участника", "участников")


def _vpr_work(doc: Document, data: dict[str, Any], analysis: Any, minimum: int,
              municipal: bool) -> dict[str, Any]:
    """One section per work; returns the figures the overall conclusions need."""
    name = _work_name(analysis)
    unit = data["unit"]
    units = data["units"]
    section = doc.section(f"ВПР {analysis.year}: {name}")
    summary: dict[str, Any] = {"name": name, "unit": unit, "reference": None,
                               "insufficient": [], "systemic": [], "negative": False,
                               "gap": None, "lower": None}
    if data["suppressed"]:
        section.add(Paragraph(
            f"Работу писали {_people(unit['participants'])} — меньше {data['min_group']}: "
            "результаты не показываются отдельно (они учтены в итогах муниципалитета и региона).",
            "note"))
        return summary
    visible = [r for r in units if not r["suppressed"]]
    reference = visible[-1] if len(visible) > 1 else None
    summary["reference"] = reference
    a = data["analysis"]
    section.add(Paragraph(
        f"{unit['level_label'].capitalize()} «{unit['name']}»: работу писали "
        f"{_people(unit['participants'])}"
        + (f" из {unit['organizations']} ОО" if unit["level"] not in ("organization", "class")
           else "")
        + (f", не писали {unit['absent']}" if unit["absent"] else "")
        + f". Максимальный первичный балл — {a['max_primary'] or '—'}."
    ))
    # 1. marks statistics
    section.add(Table(
        f"{name}: статистика по отметкам, %",
        MARK_COLUMNS,
        [_marks_row(r) for r in units],
        number_formats=MARK_FORMATS,
        note=SUPPRESSED_NOTE.format(n=data["min_group"])
        if any(r["suppressed"] for r in units) else "",
    ))
    # 2. histogram
    hist = data.get("histogram") or {}
    series = hist.get("series") or []
    if series and hist.get("scores"):
        own = series[0]
        ref = series[-1] if len(series) > 1 else None
        bounds = {int(k): float(v) for k, v in (hist.get("boundaries") or {}).items()}
        title = f"{name}: распределение первичных баллов, % участников"
        ref_label = {"region": "регион", "municipality": "муниципалитет",
                     "organization": "ОО"}.get(ref["level"], "сравнение") if ref else ""
        png = _mark_histogram(f"{name}: распределение первичных баллов", hist["scores"],
                              own["percents"], hist["marks"], bounds,
                              ref["percents"] if ref else None, ref_label)
        chart_series: dict[str, list[float | None]] = {own["name"]: list(own["percents"])}
        if ref is not None:
            chart_series[ref["name"]] = list(ref["percents"])
        section.add(Chart(title, png, kind="hist",
                          categories=[str(s) for s in hist["scores"]], series=chart_series))
        bounds_text = "; ".join(f"«{m}» — от {v:g}" for m, v in sorted(bounds.items()))
        section.add(Paragraph(
            f"Границы отметок: {bounds_text or 'не заданы'} ({a['scale_status_label']}). "
            f"Гистограмма {hist['reliability_label']} ({_people(unit['participants'])}; "
            f"информативна от {hist['informative_n']}, ориентировочна от {hist['min_n']}). "
            "Пики распределения на границах отметок — возможный признак необъективности, "
            "требующий дополнительного анализа.", "note"))
    # 3–4. task completion against the references, mastery, and completion by mark groups
    tasks = data.get("tasks") or []
    groups = data.get("groups") or {}
    if tasks:
        with_groups = bool(groups.get("available"))
        group_rows = {r["number"]: r["values"] for r in groups.get("rows", [])}
        columns = ["Задание (уровень, макс. балл)",
                   *[f"{r['name']}, %" for r in visible], "Освоение (пороги ФИОКО)"]
        if with_groups:
            columns += [f"Группа «{m}» ({n} чел.), %"
                        for m, n in zip(groups["marks"], groups["sizes"], strict=True)]
        status_col = 1 + len(visible)
        rows: list[list[Any]] = []
        highlight: dict[tuple[int, int], str] = {}
        for i, t in enumerate(tasks):
            row = [_task_label(t), *t["completion_pct"], t["status_label"]]
            if with_groups:
                row += list(group_rows.get(t["number"], [None] * len(groups["marks"])))
            rows.append(row)
            fill = STATUS_FILL.get(t["status"] or "")
            if fill:
                highlight[(i, status_col)] = fill
        formats = dict.fromkeys(range(1, status_col), PCT)
        formats.update(dict.fromkeys(range(status_col + 1, len(columns)), PCT))
        section.add(Table(
            f"{name}: выполнение заданий, %", columns, rows, number_formats=formats,
            highlight=highlight,
            note=(f"Группы «2»–«5» — участники с этой отметкой за работу; «—»: в группе меньше "
                  f"{groups['group_min']} участников, анализ группы неинформативен.")
            if with_groups else "",
        ))
        summary["insufficient"] = [t["number"] for t in tasks if t["status"] == "insufficient"]
        summary["zone"] = [t["number"] for t in tasks if t["status"] == "zone"]
        mastery = data.get("mastery") or {}
        counts = mastery.get("counts") or {}
        basic, adv = counts.get("basic", {}), counts.get("advanced", {})
        summary["systemic"] = list(mastery.get("systemic") or [])
        section.add(Paragraph(
            "Освоение заданий по порогам ФИОКО. Базовый уровень: достаточный — "
            f"{basic.get('sufficient', 0)}, зона неопределённости — {basic.get('zone', 0)}, "
            f"недостаточный — {basic.get('insufficient', 0)}. Повышенный и высокий уровни: "
            f"достаточный — {adv.get('sufficient', 0)}, зона неопределённости — "
            f"{adv.get('zone', 0)}, недостаточный — {adv.get('insufficient', 0)}."
            + (f" Системный дефицит: {'; '.join(summary['systemic'])}."
               if summary["systemic"] else "")))
    # 5. skills
    skills = data.get("skills") or []
    if skills and not all(s["from_tasks"] for s in skills):
        section.add(Table(
            f"{name}: достижение планируемых результатов, %",
            ["Умение / КЭС", "Задания", *[f"{r['name']}, %" for r in visible], "Порог, %",
             "Освоение"],
            [[s["title"] + (" (системный дефицит)" if s["systemic"] else ""),
              ", ".join(s["tasks"]), *s["completion_pct"], s["threshold_pct"],
              s["status_label"]] for s in skills],
            number_formats=dict.fromkeys(range(2, 3 + len(visible)), PCT),
        ))
    elif tasks:
        section.add(Paragraph(
            "Проверяемые умения (планируемые результаты) для этой работы в каталоге не указаны: "
            "освоение показано по заданиям в таблице выше.", "note"))
    # 6. journal
    journal = data.get("journal") or {}
    if journal.get("available") and journal.get("columns"):
        cols = journal["columns"]
        gap_n = journal["gap_threshold"]
        j_rows = []
        for c in cols:
            lower, equal, higher, total = c["rows"]
            j_rows.append([c["name"], total["count"], lower["count"], rounded(lower["pct"]),
                           equal["count"], rounded(equal["pct"]), higher["count"],
                           rounded(higher["pct"]), c["gap"], rounded(c["gap_pct"])])
        section.add(Table(
            f"{name}: отметки за работу и отметки по журналу",
            ["Единица", "Пар отметок", "Понизили, чел.", "Понизили, %", "Подтвердили, чел.",
             "Подтвердили, %", "Повысили, чел.", "Повысили, %",
             f"Расхождение на {gap_n}+ балла, чел.", f"Расхождение на {gap_n}+ балла, %"],
            j_rows,
            number_formats={3: PCT, 5: PCT, 7: PCT, 9: PCT},
            note="Понизили — отметка за работу ниже отметки по журналу, повысили — выше.",
        ))
        first = cols[0]
        summary["lower"] = first["rows"][0]["pct"]
        summary["higher"] = first["rows"][2]["pct"]
        summary["gap"] = first["gap"]
        summary["gap_threshold"] = journal["gap_threshold"]
    # 7. dynamics
    dyn = data.get("dynamics") or {}
    if dyn.get("available"):
        points = " → ".join(f"{p['year']}: {_ru(p['share_2_pct'])} %" for p in dyn["points"])
        summary["negative"] = bool(dyn.get("negative"))
        section.add(Paragraph(
            f"Динамика доли «2»: {points}; изменение {_ru(dyn.get('change_pp'))} п. п. — "
            + ("отрицательная динамика" if dyn.get("negative") else "отрицательной динамики нет")
            + f" (порог: рост на {dyn.get('threshold_pp')} п. п.)."))
    elif dyn.get("suppressed"):
        section.add(Paragraph("Динамика доли «2» не показывается: в одном из лет группа меньше "
                              "минимального размера.", "note"))
    # 8. organizations (municipal report) or classes (organization report)
    children = data.get("children") or []
    summary["children"] = children
    summary["grade"] = analysis.grade
    summary["subject"] = analysis.assessment.subject.name
    if children and unit["level"] == "organization":
        section.add(Table(
            f"{name}: результаты по классам, %",
            ["Единица", "Участников", "% «2»", "% «4» и «5»", "Ср. перв. балл", "% от макс."],
            [[c["name"], c["participants"], _pct(c.get("share_2")), _pct(c.get("share_45")),
              rounded(c.get("mean_primary"), 2), _pct(c.get("percent"))] for c in children],
            number_formats={2: PCT, 3: PCT, 4: "0.00", 5: PCT},
            note=SUPPRESSED_NOTE.format(n=minimum)
            if any(c["suppressed"] for c in children) else "",
        ))
    _vpr_work_conclusions(section, summary, municipal)
    return summary


def _vpr_work_conclusions(section: Section, s: dict[str, Any], municipal: bool) -> None:
    unit, ref = s["unit"], s["reference"]
    facts: list[str] = []
    if unit.get("share_2") is not None:
        line = f"Доля отметок «2» — {_ru(_pct(unit['share_2']))} %"
        if ref is not None:
            line += ", " + _diff_text(_pct(unit["share_2"]), _pct(ref.get("share_2")),
                                      f"{_ref_where(ref)} ({_ru(_pct(ref['share_2']))} %)")
        facts.append(line + ".")
    if unit.get("share_45") is not None:
        line = f"Доля отметок «4» и «5» — {_ru(_pct(unit['share_45']))} %"
        if ref is not None and ref.get("share_45") is not None:
            line += ", " + _diff_text(_pct(unit["share_45"]), _pct(ref["share_45"]),
                                      f"{_ref_where(ref)} ({_ru(_pct(ref['share_45']))} %)")
        facts.append(line + ".")
    if s["insufficient"]:
        facts.append("Недостаточный уровень освоения (ниже нижней границы порога ФИОКО): "
                     f"задания № {', '.join(s['insufficient'])}.")
    if s.get("zone"):
        facts.append(f"В зоне неопределённости: задания № {', '.join(s['zone'])}.")
    if s["gap"]:
        facts.append(f"Отметку по журналу понизили {_ru(s['lower'])} % участников, повысили "
                     f"{_ru(s.get('higher'))} %; расхождение на "
                     f"{s['gap_threshold']} и более балла — у {s['gap']} чел.")
    if s["negative"]:
        facts.append("Доля «2» растёт: отрицательная динамика за последние годы.")
    children = s.get("children") or []
    if municipal and children and ref is not None and ref.get("share_2") is not None:
        above = [c["name"] for c in children
                 if not c["suppressed"] and c.get("share_2") is not None
                 and c["share_2"] > ref["share_2"]]
        if above:
            facts.append(f"Доля «2» выше, чем {_ref_where(ref)}: " + ", ".join(above) + ".")
    recs: list[str] = []
    if s["insufficient"] or s["systemic"]:
        topic = "; ".join(s["systemic"]) if s["systemic"] else \
            f"задания № {', '.join(s['insufficient'])}"
        recs.append(f"Включить в план методической работы (РМО, ШМО) разбор проверяемых умений: "
                    f"{topic}; предусмотреть их отработку на уроках и в тематических "
                    "диагностиках.")
    if unit.get("share_2") is not None and ref is not None and ref.get("share_2") is not None \
            and unit["share_2"] > ref["share_2"]:
        recs.append("Составить индивидуальные образовательные маршруты для обучающихся, "
                    "получивших «2», и провести повторную диагностику.")
    if s["gap"]:
        recs.append("Проанализировать объективность текущего оценивания: сопоставить отметки "
                    "по журналу с результатами работы в классах с расхождением на "
                    f"{s['gap_threshold']} и более балла.")
    if s["negative"]:
        recs.append("Выяснить причины роста доли «2» и предусмотреть меры в дорожной карте.")
    if facts:
        section.add(Paragraph("Выводы", "lead"))
        section.add(Bullets(facts))
    if recs:
        section.add(Paragraph("Рекомендации", "lead"))
        section.add(Bullets(recs))


def _ref_where(ref: dict[str, Any]) -> str:
    """«в регионе» / «в муниципалитете» for the comparison phrase."""
    return {"region": "в регионе", "municipality": "в муниципалитете",
            "organization": "в ОО"}.get(ref.get("level", ""), f"в «{ref.get('name', '')}»")


@register("vpr", "Аналитический отчёт по результатам ВПР", org_optional=True)
def vpr_report(ctx: BuildContext) -> Document:
    """All sections of the procedure analysis of every ВПР work of the year for the
    municipality (or one organization), with one summary chart and one chart per work."""
    from soko.analyses.selectors import Filters, analysis_list, report_data

    year = _year(ctx)
    scope = anchor_scope(ctx)
    args = _unit_args(ctx)
    analyses = list(
        analysis_list(scope, Filters(procedure="ВПР", year=year))
        .select_related("assessment__subject")
        .order_by("grade", "assessment__subject__order", "subject")
    )
    if not analyses:
        raise refuse(
            f"Нет рассчитанных результатов ВПР {year} года для «{place(ctx)}». Загрузите файлы "
            "ФИС ОКО «Индивидуальные результаты» (soko import ФАЙЛ) и выполните "
            f"«soko analysis compute --year {year}»."
        )
    minimum = min_group()
    municipal = ctx.organization is None
    collected: list[tuple[Any, dict[str, Any]]] = []
    for a in analyses:
        try:
            collected.append((a, report_data(scope, a.pk, **args)))
        except Http404:
            continue
    if not collected:
        raise refuse(f"Для «{place(ctx)}» нет результатов ВПР {year} года: выполните "
                     f"«soko analysis compute --year {year}».")
    doc = new_document(ctx, f"ВПР {year}: {counted(len(collected), 'работа', 'работы', 'работ')}",
                       _sources([a for a, _ in collected], scope, f"ФИС ОКО: ВПР {year}"))
    _vpr_overview(doc, collected, year)
    summaries = [_vpr_work(doc, data, a, minimum, municipal) for a, data in collected]
    if municipal:
        _vpr_org_matrices(doc, summaries, year, minimum)
    _vpr_conclusions(doc, summaries, municipal)
    doc.methodology = [
        *_methodology([a for a, _ in collected], VPR_PARAMS, year),
        note("Освоение задания", "достаточный — выполнение не ниже порога; зона "
             "неопределённости — между нижней границей и порогом; недостаточный — ниже нижней "
             "границы", "ФИОКО, методические рекомендации по анализу ВПР", "методика ФИОКО"),
        note("Выполнение задания", "сумма баллов участников за задание / (число участников × "
             "максимальный балл); доли не усредняются по ОО", "методика СОКО", SYSTEM_KIND),
    ]
    return doc


def _vpr_overview(doc: Document, collected: list[tuple[Any, dict[str, Any]]], year: int) -> None:
    section = doc.section("Общие сведения")
    unit0 = collected[0][1]["unit"]
    rows: list[list[Any]] = []
    names: list[str] = []
    shares: dict[int, list[float]] = {m: [] for m in MARKS}
    total = 0
    for a, data in collected:
        u = data["unit"]
        total += u["participants"]
        rows.append([_work_name(a), u["participants"], *[_pct(u.get(f"share_{m}")) for m in MARKS],
                     _pct(u.get("share_45")), rounded(u.get("mean_primary"), 2),
                     _pct(u.get("percent"))])
        if not u["suppressed"] and u.get("share_2") is not None:
            names.append(_work_name(a))
            for m in MARKS:
                shares[m].append(_pct(u[f"share_{m}"]) or 0.0)
    section.add(Paragraph(
        f"В {year} году проанализировано ВПР: "
        f"{counted(len(collected), 'работа', 'работы', 'работ')}; единица анализа — "
        f"{unit0['level_label']} «{unit0['name']}», всего "
        f"{counted(total, 'результат', 'результата', 'результатов')} участников. "
        "Сравнение — с муниципалитетом и регионом по тем же работам."))
    section.add(Table(
        f"Результаты ВПР {year} по работам, %",
        ["Работа", "Участников", "% «2»", "% «3»", "% «4»", "% «5»", "% «4» и «5»",
         "Ср. перв. балл", "% от макс."],
        rows,
        number_formats={2: PCT, 3: PCT, 4: PCT, 5: PCT, 6: PCT, 7: "0.00", 8: PCT},
        note=SUPPRESSED_NOTE.format(n=collected[0][1]["min_group"])
        if any(r[2] is None for r in rows) else "",
    ))
    if names:
        title = f"Распределение отметок ВПР {year} по работам, %"
        typed: dict[int, Sequence[float]] = dict(shares.items())
        section.add(Chart(title, charts.stacked_marks(title, names, typed), kind="stacked",
                          categories=names,
                          series={f"«{m}»": list(shares[m]) for m in MARKS}))


def _vpr_org_matrices(doc: Document, summaries: list[dict[str, Any]], year: int,
                      minimum: int) -> None:
    """One table per grade: organizations (rows) × works of the grade (the share of «2» and
    of «4» and «5»), compact enough for the municipal report of hundreds of cells."""
    by_grade: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for s in summaries:
        if s.get("children"):
            by_grade[int(s.get("grade") or 0)].append(s)
    if not by_grade:
        return
    section = doc.section("Результаты организаций по работам")
    section.add(Paragraph(
        "Доли отметок по каждой организации (для региона — по муниципалитетам и организациям) "
        "в сравнении работ одной параллели. Организации, где доля «2» выше показателя "
        "сравнения, выделены цветом."))
    for grade in sorted(by_grade):
        works = by_grade[grade]
        names = sorted({c["name"] for s in works for c in s["children"]})
        index = {n: i for i, n in enumerate(names)}
        rows: list[list[Any]] = [[n] + [None] * (2 * len(works)) for n in names]
        highlight: dict[tuple[int, int], str] = {}
        hidden = False
        for j, s in enumerate(works):
            ref = s["reference"]
            for c in s["children"]:
                i = index[c["name"]]
                hidden = hidden or c["suppressed"]
                rows[i][1 + 2 * j] = _pct(c.get("share_2"))
                rows[i][2 + 2 * j] = _pct(c.get("share_45"))
                if (ref is not None and c.get("share_2") is not None
                        and ref.get("share_2") is not None and c["share_2"] > ref["share_2"]):
                    highlight[(i, 1 + 2 * j)] = STATUS_FILL["insufficient"]
        columns = ["Единица"]
        for s in works:
            columns += [f"{s['subject']}: % «2»", f"{s['subject']}: % «4» и «5»"]
        what = ("муниципалитетов" if all(c["level"] == "municipality"
                                          for s in works for c in s["children"])
                else "организаций")
        title = (f"ВПР {year}, {grade} класс: результаты {what}, %" if grade
                 else f"ВПР {year}: результаты {what}, %")
        section.add(Table(
            title, columns, rows,
            number_formats=dict.fromkeys(range(1, len(columns)), PCT),
            highlight=highlight,
            note=("Цветом выделена доля «2» выше показателя сравнения. "
                  + (SUPPRESSED_NOTE.format(n=minimum) if hidden else "")).strip(),
        ))


def _vpr_conclusions(doc: Document, summaries: list[dict[str, Any]], municipal: bool) -> None:
    section = doc.section("Выводы и рекомендации")
    shown = [s for s in summaries if s["unit"].get("share_2") is not None]
    above = [s for s in shown if s["reference"] is not None
             and s["reference"].get("share_2") is not None
             and s["unit"]["share_2"] > s["reference"]["share_2"]]
    facts: list[str] = []
    if shown:
        worst = max(shown, key=lambda s: s["unit"]["share_2"])
        best = max(shown, key=lambda s: s["unit"].get("share_45") or 0.0)
        facts.append(f"Наибольшая доля «2» — {worst['name']} ({_ru(_pct(worst['unit']['share_2']))}"
                     f" %); наибольшая доля «4» и «5» — {best['name']} "
                     f"({_ru(_pct(best['unit'].get('share_45')))} %).")
    if above:
        facts.append(f"Доля «2» выше, чем в сравнении, в {len(above)} из {len(shown)} работ: "
                     + ", ".join(s["name"] for s in above) + ".")
    elif shown:
        facts.append("Ни в одной работе доля «2» не превышает показатель сравнения.")
    weak = [s for s in summaries if s["insufficient"]]
    if weak:
        facts.append("Задания с недостаточным уровнем освоения есть в работах: "
                     + "; ".join(f"{s['name']} (№ {', '.join(s['insufficient'])})" for s in weak)
                     + ".")
    systemic = [s for s in summaries if s["systemic"]]
    if systemic:
        facts.append("Системные дефициты: " + "; ".join(
            f"{s['name']} — {', '.join(s['systemic'])}" for s in systemic) + ".")
    gaps = [s for s in summaries if s["gap"]]
    if gaps:
        largest = sorted(gaps, key=lambda s: -int(s["gap"]))[:3]
        facts.append(
            f"Расхождения отметок за работу и по журналу на {gaps[0]['gap_threshold']} и более "
            f"балла — в {len(gaps)} из {len(summaries)} работ, всего "
            f"{sum(int(s['gap']) for s in gaps)} чел.; больше всего: "
            + ", ".join(f"{s['name']} ({s['gap']} чел.)" for s in largest) + ".")
    negative = [s["name"] for s in summaries if s["negative"]]
    if negative:
        facts.append("Отрицательная динамика доли «2»: " + ", ".join(negative) + ".")
    hidden = [s["name"] for s in summaries if s["unit"]["suppressed"]]
    if hidden:
        facts.append("Не показаны из-за малого числа участников: " + ", ".join(hidden) + ".")
    section.add(Paragraph("Выводы", "lead"))
    section.add(Bullets(facts or ["Данных для выводов недостаточно."]))
    recs: list[str] = []
    if weak or systemic:
        recs.append("Методическим объединениям спланировать адресную работу по умениям с "
                    "недостаточным освоением (см. разделы по работам) и включить их в "
                    "тематические диагностики следующего учебного года.")
    if above:
        recs.append(("Включить ОО с долей «2» выше регионального уровня в адресную методическую "
                     "поддержку и мониторинг" if municipal else
                     "Организовать работу с обучающимися группы риска по работам с долей «2» "
                     "выше муниципального уровня")
                    + " с повторной диагностикой в первом полугодии.")
    if gaps:
        recs.append("Проверить объективность текущего оценивания там, где отметки по журналу "
                    f"расходятся с результатами ВПР на {gaps[0]['gap_threshold']} и более "
                    "балла.")
    if negative:
        recs.append("По работам с отрицательной динамикой доли «2» определить причины и "
                    "предусмотреть меры в дорожной карте.")
    if not recs:
        recs.append("Сохранить принятые подходы к подготовке; продолжить мониторинг результатов "
                    "в следующем году.")
    section.add(Paragraph("Рекомендации", "lead"))
    section.add(Bullets(recs))


# --- ГИА --------------------------------------------------------------------------------------


def _gia_rows(ctx: BuildContext, procedures: Sequence[str], label: str,
              year: int) -> tuple[Any, list[Any], list[Any]]:
    """(scope, analyses, summaries of organizations, municipalities and region)."""
    from soko.analyses.models import Level
    from soko.analyses.selectors import Filters, analysis_list, summaries_visible

    scope = anchor_scope(ctx)
    _unit_args(ctx)
    analyses = list(
        analysis_list(scope, Filters(year=year)).filter(procedure__in=list(procedures))
        .select_related("assessment__subject")
        .order_by("procedure", "assessment__subject__order", "subject")
    )
    if not analyses:
        raise refuse(
            f"Нет рассчитанных результатов {label} ({', '.join(procedures)}) {year} года для "
            f"«{place(ctx)}». Загрузите протоколы РЦОИ (soko import ФАЙЛ) и выполните "
            f"«soko analysis compute --year {year}»."
        )
    summaries = list(
        summaries_visible(scope)
        .filter(analysis__in=analyses,
                level__in=[Level.ORGANIZATION, Level.MUNICIPALITY, Level.REGION])
        .select_related("organization", "territory")
    )
    return scope, analyses, summaries


def _gia_index(ctx: BuildContext, summaries: list[Any]) -> tuple[
    dict[int, Any], dict[int, Any], dict[int, dict[int, Any]], str, str
]:
    """Per analysis: the unit's row, the comparison row (municipality for an organization,
    region for a municipality) and the organization rows; the unit and reference names."""
    from soko.analyses.models import Level

    unit: dict[int, Any] = {}
    ref: dict[int, Any] = {}
    orgs: dict[int, dict[int, Any]] = defaultdict(dict)
    unit_org: int | None = None
    unit_territory: int | None = None
    if ctx.organization is not None:
        unit_org = ctx.organization.pk
        ref_territory = ctx.organization.territory_id
        ref_name = "муниципалитет"
    else:
        territory = ctx.territory
        assert territory is not None  # _unit_args refused otherwise
        unit_territory = territory.pk
        ref_territory = territory.parent_id
        ref_name = "регион" if territory.parent_id else ""
    for s in summaries:
        if s.level == Level.ORGANIZATION:
            orgs[s.analysis_id][s.organization_id] = s
            if unit_org is not None and s.organization_id == unit_org:
                unit[s.analysis_id] = s
        elif unit_territory is not None and s.territory_id == unit_territory:
            unit[s.analysis_id] = s
        elif ref_territory is not None and s.territory_id == ref_territory:
            ref[s.analysis_id] = s
    return unit, ref, orgs, place(ctx), ref_name


def _share(count: int, n: int) -> float | None:
    return round(count / n * 100.0, 1) if n else None


def _marks_shares(s: Any, minimum: int) -> list[float | None]:
    n = s.marked
    return [suppress(_share(getattr(s, f"mark_{m}"), n), s.participants, minimum) for m in MARKS]


def _matrix(title: str, analyses: list[Any], orgs: dict[int, dict[int, Any]],
            value: Any, minimum: int, fmt: str, note_text: str) -> Table | None:
    """Organizations × works table of one figure (suppressed under the minimum)."""
    org_objs: dict[int, Any] = {}
    for per in orgs.values():
        for oid, s in per.items():
            org_objs[oid] = s.organization
    if len(org_objs) < 1:
        return None
    ordered = sorted(org_objs.values(), key=lambda o: (o.short_name, o.code))
    cols = [a for a in analyses if orgs.get(a.pk)]
    rows = []
    hidden = False
    for o in ordered:
        cells: list[Any] = [o.short_name]
        for a in cols:
            s = orgs[a.pk].get(o.pk)
            if s is None:
                cells.append(None)
                continue
            v = suppress(value(s), s.participants, minimum)
            hidden = hidden or (v is None and s.participants < minimum)
            cells.append(v)
        rows.append(cells)
    return Table(title, ["ОО", *[_work_name(a) for a in cols]], rows,
                 number_formats=dict.fromkeys(range(1, len(cols) + 1), fmt),
                 note=note_text + (" " + SUPPRESSED_NOTE.format(n=minimum) if hidden else ""))


def _hbars(title: str, categories: Sequence[str], series: dict[str, list[float | None]],
           percent: bool) -> bytes:
    """Horizontal grouped bars (subjects down the side, so long names never overlap), the
    value at the end of each bar and the legend under the plot."""
    n, k = len(categories), max(len(series), 1)
    fig = Figure(figsize=(6.8, 0.26 * n * k + 1.3), dpi=charts.DPI, layout="constrained")
    ax = fig.add_subplot()
    height = 0.8 / k
    top = max([v for vs in series.values() for v in vs if v is not None] or [1.0])
    for i, (name, values) in enumerate(series.items()):
        ys = [j - 0.4 + height * (i + 0.5) for j in range(n)]
        xs = [v if v is not None else 0.0 for v in values]
        ax.barh(ys, xs, height=height * 0.92, label=name,
                color=charts.LEVEL_COLOURS[i % len(charts.LEVEL_COLOURS)])
        for y, v in zip(ys, values, strict=True):
            if v is not None:
                ax.text(v + top * 0.01, y, _ru(v), va="center", fontsize=7, color="#333333")
    ax.set_yticks(range(n))
    ax.set_yticklabels([charts._wrap(c, 30) for c in categories])
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.12)
    ax.grid(axis="y", visible=False)
    if percent:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f} %"))
    ax.set_title(title, loc="left")
    if k > 1:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.06), ncol=k, fontsize=8)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=charts.DPI)
    return buffer.getvalue()


def _gia_bars(title: str, names: list[str], series: dict[str, list[float | None]],
              percent: bool) -> Chart:
    short = [n.split(": ", 1)[1] if n.startswith(("ОГЭ: ", "ЕГЭ: ")) else n for n in names]
    png = _hbars(title, short, series, percent)
    return Chart(title, png, kind="bar", categories=short, series=series)


@register("gia9", "Анализ результатов ГИА-9")
def gia9_report(ctx: BuildContext) -> Document:
    """ОГЭ and ГВЭ-9 of the year: marks by subject against the comparison territory, the
    organizations' shares of «2» and of «4» and «5», conclusions and recommendations."""
    year = _year(ctx)
    scope, analyses, summaries = _gia_rows(ctx, GIA9, "ГИА-9", year)
    minimum = min_group()
    unit, ref, orgs, unit_name, ref_name = _gia_index(ctx, summaries)
    ref_where = {"регион": "в регионе", "муниципалитет": "в муниципалитете"}.get(ref_name, "")
    doc = new_document(ctx, f"ГИА-9 {year}: ОГЭ и ГВЭ-9",
                       _sources(analyses, scope, f"РЦОИ: ГИА-9 {year}"))
    section = doc.section("Результаты по предметам")
    rows: list[list[Any]] = []
    names: list[str] = []
    own2: list[float | None] = []
    ref2: list[float | None] = []
    own45: list[float | None] = []
    ref45: list[float | None] = []
    facts: list[str] = []
    for a in analyses:
        s = unit.get(a.pk)
        if s is None:
            continue
        r = ref.get(a.pk)
        shares = _marks_shares(s, minimum)
        quality = suppress(_share(s.mark_4 + s.mark_5, s.marked), s.participants, minimum)
        r_shares = _marks_shares(r, minimum) if r is not None else [None] * 4
        r_quality = (round((r.mark_4 + r.mark_5) / r.marked * 100.0, 1)
                     if r is not None and r.marked and r.participants >= minimum else None)
        mean = suppress(rounded(s.mean_primary, 2), s.participants, minimum)
        rows.append([_work_name(a), s.participants, suppress(s.mark_2, s.participants, minimum),
                     *shares, quality, mean, r_shares[0], r_quality])
        if shares[0] is not None:
            names.append(_work_name(a))
            own2.append(shares[0])
            ref2.append(r_shares[0])
            own45.append(quality)
            ref45.append(r_quality)
            if r_shares[0] is not None and shares[0] > r_shares[0]:
                facts.append(f"{_work_name(a)}: доля «2» {_ru(shares[0])} % — "
                             + _diff_text(shares[0], r_shares[0],
                                          f"{ref_where} ({_ru(r_shares[0])} %)")
                             + ".")
    if not rows:
        raise refuse(f"Для «{unit_name}» нет результатов ГИА-9 {year} года.")
    ref_col = ref_name or "сравнение"
    section.add(Paragraph(
        f"Единица анализа — «{unit_name}»; сравнение — {ref_col}. Учтены участники, "
        "выполнявшие работу; доли считаются от участников с отметкой."))
    section.add(Table(
        f"Результаты ГИА-9 {year} по предметам",
        ["Предмет", "Участников", "«2», чел.", "% «2»", "% «3»", "% «4»", "% «5»",
         "% «4» и «5»", "Ср. перв. балл", f"% «2» ({ref_col})", f"% «4» и «5» ({ref_col})"],
        rows,
        number_formats={3: PCT, 4: PCT, 5: PCT, 6: PCT, 7: PCT, 8: "0.00", 9: PCT, 10: PCT},
        note=SUPPRESSED_NOTE.format(n=minimum) if any(r[3] is None for r in rows) else "",
    ))
    if names:
        series = {unit_name: own2}
        if ref_name:
            series[ref_name.capitalize()] = ref2
        section.add(_gia_bars(f"ГИА-9 {year}: доля отметок «2» по предметам, %", names, series,
                              True))
        series45 = {unit_name: own45}
        if ref_name:
            series45[ref_name.capitalize()] = ref45
        section.add(_gia_bars(f"ГИА-9 {year}: доля отметок «4» и «5» по предметам, %", names,
                              series45, True))
    if ctx.organization is None:
        org_section = doc.section("Результаты по организациям")
        for t in (
            _matrix(f"ГИА-9 {year}: доля отметок «2» по организациям, %", analyses, orgs,
                    lambda s: _share(s.mark_2, s.marked), minimum, PCT, ""),
            _matrix(f"ГИА-9 {year}: доля отметок «4» и «5» по организациям, %", analyses, orgs,
                    lambda s: _share(s.mark_4 + s.mark_5, s.marked), minimum, PCT, ""),
        ):
            if t is not None:
                org_section.add(t)
        risky = _orgs_above(analyses, orgs, ref, minimum, lambda s: s.mark_2, lambda s: s.marked)
        if risky:
            facts.append("ОО с долей «2» выше регионального уровня: " + "; ".join(risky) + ".")
    recs = []
    if facts:
        recs.append("По предметам с долей «2» выше уровня сравнения провести анализ причин на "
                    "заседаниях РМО и спланировать адресную помощь ОО и педагогам.")
        recs.append("Организовать для обучающихся 8–9 классов группы риска дополнительные "
                    "занятия и пробные диагностики в течение учебного года.")
    else:
        recs.append("Сохранить систему подготовки к ГИА-9; продолжить мониторинг результатов по "
                    "предметам.")
    concl = doc.section("Выводы и рекомендации")
    concl.add(Paragraph("Выводы", "lead"))
    concl.add(Bullets(facts or ["Ни по одному предмету доля «2» не превышает уровень сравнения."]))
    concl.add(Paragraph("Рекомендации", "lead"))
    concl.add(Bullets(recs))
    doc.methodology = _methodology(analyses, ("privacy.min_group_size",), year)
    return doc


def _orgs_above(analyses: list[Any], orgs: dict[int, dict[int, Any]], ref: dict[int, Any],
                minimum: int, count: Any, total: Any) -> list[str]:
    """«ОО (предметы)» where the organization's share is above the comparison share."""
    found: dict[str, list[str]] = defaultdict(list)
    for a in analyses:
        r = ref.get(a.pk)
        if r is None or not total(r):
            continue
        r_share = count(r) / total(r)
        for s in orgs.get(a.pk, {}).values():
            if s.participants >= minimum and total(s) and count(s) / total(s) > r_share:
                found[s.organization.short_name].append(_work_name(a))
    items = [f"{name} ({', '.join(works)})" for name, works in sorted(found.items())]
    if len(items) > 12:
        items = [*items[:12], f"и ещё {len(items) - 12} ОО (см. таблицы по организациям)"]
    return items


def _score_100(scope: Any, year: int) -> dict[tuple[str, int, str], int] | None:
    """Stored counts of 100-point ЕГЭ results: (org|ter, id, subject) → count; None when the
    indicator has no values for the year."""
    from soko.indicators.selectors import indicator_values

    qs = indicator_values(scope, "results.ege_score_100", year=year, breakdown_key=None)
    out: dict[tuple[str, int, str], int] = {}
    any_rows = False
    for v in qs:
        any_rows = True
        subject = (v.breakdown or {}).get("subject")
        if subject is None and v.breakdown_key.startswith("subject="):
            subject = v.breakdown_key.split("=", 1)[1].split(";")[0]
        if not subject or v.suppressed or v.numerator is None:
            continue
        key = ("org", v.organization_id, str(subject)) if v.organization_id else \
            ("ter", v.territory_id or 0, str(subject))
        out[key] = round(float(v.numerator))
    return out if any_rows else None


@register("gia11", "Анализ результатов ГИА-11")
def gia11_report(ctx: BuildContext) -> Document:
    """ЕГЭ and ГВЭ-11 of the year: participants, mean test score, results below the minimum,
    80–99 and 100 points by subject and by organization, against the comparison territory."""
    year = _year(ctx)
    scope, analyses, summaries = _gia_rows(ctx, GIA11, "ГИА-11", year)
    minimum = min_group()
    unit, ref, orgs, unit_name, ref_name = _gia_index(ctx, summaries)
    ref_where = {"регион": "в регионе", "муниципалитет": "в муниципалитете"}.get(ref_name, "")
    hundred = _score_100(scope, year)
    doc = new_document(ctx, f"ГИА-11 {year}: ЕГЭ и ГВЭ-11",
                       _sources(analyses, scope, f"РЦОИ: ГИА-11 {year}"))
    section = doc.section("Результаты по предметам")
    ref_col = ref_name or "сравнение"

    def s100(s: Any, subject: str) -> int | None:
        if hundred is None:
            return None
        key = ("org", s.organization_id, subject) if s.organization_id else \
            ("ter", s.territory_id or 0, subject)
        return hundred.get(key, 0)

    def below(s: Any) -> tuple[int, int]:
        """(count below the minimum, its denominator): ЕГЭ by test score, ГВЭ by «2»."""
        if s.test_n:
            return s.test_below_min, s.test_n
        return s.mark_2, s.marked

    rows: list[list[Any]] = []
    names: list[str] = []
    own_mean: list[float | None] = []
    ref_mean: list[float | None] = []
    own_below: list[float | None] = []
    ref_below: list[float | None] = []
    facts: list[str] = []
    total_below = total_high = total_n = 0
    total_100: int | None = 0 if hundred is not None else None
    for a in analyses:
        s = unit.get(a.pk)
        if s is None:
            continue
        r = ref.get(a.pk)
        n = s.participants
        b, bn = below(s)
        mean = suppress(rounded(s.mean_test, 1), n, minimum) if s.test_n else None
        h100 = s100(s, a.subject) if s.test_n else None
        high = s.test_high if s.test_n else None
        high_80_99 = None if high is None or h100 is None else high - h100
        r_mean = (rounded(r.mean_test, 1) if r is not None and r.test_n
                  and r.participants >= minimum else None)
        r_b = below(r) if r is not None else (0, 0)
        r_below = _share(*r_b) if r is not None and r.participants >= minimum else None
        share_below = suppress(_share(b, bn), n, minimum)
        rows.append([
            _work_name(a), n, mean,
            suppress(b, n, minimum), share_below,
            suppress(high_80_99, n, minimum), suppress(h100, n, minimum),
            r_mean, r_below,
        ])
        total_n += n
        total_below += b
        total_high += high or 0
        if total_100 is not None and h100:
            total_100 += h100
        if share_below is not None:
            names.append(_work_name(a))
            own_mean.append(mean)
            ref_mean.append(r_mean)
            own_below.append(share_below)
            ref_below.append(r_below)
            if r_below is not None and share_below > r_below:
                facts.append(f"{_work_name(a)}: не преодолели минимальный балл {_ru(share_below)}"
                             " % участников — " + _diff_text(share_below, r_below,
                                                             f"{ref_where} ({_ru(r_below)} %)")
                             + ".")
            if mean is not None and r_mean is not None and mean < r_mean:
                facts.append(f"{_work_name(a)}: средний тестовый балл {_ru(mean)} — "
                             + _diff_text(mean, r_mean, f"{ref_where} ({_ru(r_mean)})", "балла")
                             + ".")
    if not rows:
        raise refuse(f"Для «{unit_name}» нет результатов ГИА-11 {year} года.")
    section.add(Paragraph(
        f"Единица анализа — «{unit_name}»; сравнение — {ref_col}. Всего {total_n} результатов "
        f"экзаменов; не преодолели минимальный балл — {total_below}; 80 баллов и выше — "
        f"{total_high}" + (f", из них 100 баллов — {total_100}" if total_100 is not None else "")
        + "."))
    notes_text = []
    if hundred is None:
        notes_text.append("Число результатов в 100 баллов берётся из показателя «ЕГЭ, 100 "
                          f"баллов», который за {year} год не рассчитан: выполните «soko "
                          "compute».")
    if any(r[4] is None for r in rows):
        notes_text.append(SUPPRESSED_NOTE.format(n=minimum))
    section.add(Table(
        f"Результаты ГИА-11 {year} по предметам",
        ["Предмет", "Участников", "Ср. тестовый балл", "Ниже минимума, чел.",
         "Ниже минимума, %", "80–99 баллов, чел.", "100 баллов, чел.",
         f"Ср. тестовый балл ({ref_col})", f"Ниже минимума, % ({ref_col})"],
        rows,
        number_formats={2: "0.0", 4: PCT, 7: "0.0", 8: PCT},
        note=" ".join(notes_text),
    ))
    if names:
        series_mean = {unit_name: own_mean}
        series_below = {unit_name: own_below}
        if ref_name:
            series_mean[ref_name.capitalize()] = ref_mean
            series_below[ref_name.capitalize()] = ref_below
        if any(v is not None for v in own_mean):
            section.add(_gia_bars(f"ГИА-11 {year}: средний тестовый балл по предметам", names,
                                  series_mean, False))
        section.add(_gia_bars(f"ГИА-11 {year}: доля не преодолевших минимальный балл, %",
                              names, series_below, True))
    if ctx.organization is None:
        org_section = doc.section("Результаты по организациям")
        table = _gia11_orgs(year, analyses, orgs, minimum, s100)
        if table is not None:
            org_section.add(table)
        matrix = _matrix(f"ГИА-11 {year}: средний тестовый балл по организациям",
                         [a for a in analyses if any(x.test_n for x in orgs[a.pk].values())],
                         orgs,
                         lambda s: rounded(s.mean_test, 1) if s.test_n else None, minimum, "0.0",
                         "")
        if matrix is not None and len(matrix.columns) > 1:
            org_section.add(matrix)
        risky = _orgs_above(analyses, orgs, ref, minimum, lambda s: below(s)[0],
                            lambda s: below(s)[1])
        if risky:
            facts.append("ОО с долей не преодолевших минимальный балл выше регионального "
                         "уровня: " + "; ".join(risky) + ".")
    recs = []
    if any("минимальный балл" in f for f in facts):
        recs.append("Для предметов и ОО с долей не преодолевших минимальный балл выше уровня "
                    "сравнения организовать адресную подготовку обучающихся группы риска и "
                    "методическую помощь педагогам.")
    if any("средний тестовый балл" in f for f in facts):
        recs.append("Проанализировать на РМО содержательные причины более низкого среднего "
                    "тестового балла и скорректировать планы подготовки.")
    if total_high:
        recs.append("Распространить опыт подготовки высокобалльников (80 баллов и выше) через "
                    "методические объединения.")
    if not recs:
        recs.append("Сохранить систему подготовки к ГИА-11; продолжить мониторинг результатов.")
    concl = doc.section("Выводы и рекомендации")
    concl.add(Paragraph("Выводы", "lead"))
    concl.add(Bullets(facts or ["По всем предметам результаты не ниже уровня сравнения."]))
    concl.add(Paragraph("Рекомендации", "lead"))
    concl.add(Bullets(recs))
    mins = []
    for a in analyses:
        text = a.thresholds.get("min_test")
        if isinstance(text, str) and text:
            score, _, rest = text.partition(" (")
            purpose, _, source = rest.removesuffix(")").partition("; ")
            mins.append(note(f"Минимальный тестовый балл: {_work_name(a)} ({purpose})", score,
                             source or text, "каталог минимальных баллов (вид — по источнику)"))
    doc.methodology = (
        _methodology(analyses, ("privacy.min_group_size", "ege.high_score.min"), year) + mins
        + [note("Высокие результаты ЕГЭ", "80–99 баллов = результаты не ниже порога "
                "высокого балла за вычетом 100-балльных", "методика СОКО", SYSTEM_KIND)]
    )
    return doc


def _gia11_orgs(year: int, analyses: list[Any], orgs: dict[int, dict[int, Any]], minimum: int,
                s100: Any) -> Table | None:
    totals: dict[int, dict[str, Any]] = {}
    for a in analyses:
        for oid, s in orgs.get(a.pk, {}).items():
            t = totals.setdefault(oid, {"org": s.organization, "n": 0, "below": 0,
                                        "high": 0, "h100": 0, "h100_known": True})
            t["n"] += s.participants
            t["below"] += s.test_below_min if s.test_n else s.mark_2
            t["high"] += s.test_high if s.test_n else 0
            if s.test_n:
                h = s100(s, a.subject)
                if h is None:
                    t["h100_known"] = False
                else:
                    t["h100"] += h
    if not totals:
        return None
    rows = []
    for t in sorted(totals.values(), key=lambda t: (t["org"].short_name, t["org"].code)):
        n = t["n"]
        h100 = t["h100"] if t["h100_known"] else None
        rows.append([
            t["org"].short_name, n,
            suppress(t["below"], n, minimum), suppress(_share(t["below"], n), n, minimum),
            suppress(None if h100 is None else t["high"] - h100, n, minimum),
            suppress(h100, n, minimum),
        ])
    return Table(
        f"ГИА-11 {year}: результаты по организациям (все предметы)",
        ["ОО", "Результатов экзаменов", "Ниже минимума, чел.", "Ниже минимума, %",
         "80–99 баллов, чел.", "100 баллов, чел."],
        rows,
        number_formats={3: PCT},
        note=SUPPRESSED_NOTE.format(n=minimum) if any(r[2] is None for r in rows) else "",
    )


__all__ = ["gia9_report", "gia11_report", "vpr_report"]
