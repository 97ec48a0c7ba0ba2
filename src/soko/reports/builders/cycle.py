"""Management-cycle reports: execution of roadmaps (``roadmap``) and the effectiveness of the
measures taken (``effectiveness``), read from :mod:`soko.cycle.selectors`."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.utils import timezone

from soko.cycle import selectors
from soko.cycle.directions import direction_label
from soko.cycle.effect import METHOD, VERDICT_LABELS
from soko.cycle.models import EffectivenessAnalysis, Measure, Roadmap
from soko.cycle.occurrences import (
    CANCELLED,
    DONE,
    IN_PROGRESS,
    OVERDUE,
    PLANNED,
    STATUS_LABELS,
)
from soko.reports import charts
from soko.reports.builders import BuildContext, register
from soko.reports.builders.common import (
    anchor_scope,
    method_notes,
    new_document,
    note,
    refuse,
    rounded,
    share,
)
from soko.reports.document import Bullets, Chart, Document, Paragraph, Table

SYSTEM_KIND = "системное значение СОКО"
METHOD_KIND = "научная литература (метод)"
CYCLE_METHOD = "Методика области «Управленческий цикл» СОКО"
STATUS_ORDER = (DONE, IN_PROGRESS, PLANNED, OVERDUE, CANCELLED)
STATUS_FILL = {DONE: "#d4ecd5", OVERDUE: "#f5c6c2", IN_PROGRESS: "#fbe3c4"}
STATUS_COLOURS = {DONE: "#2e7d32", IN_PROGRESS: charts.ACCENT, PLANNED: charts.LEVEL_COLOURS[1],
                  OVERDUE: charts.MARK_COLOURS[2], CANCELLED: charts.LEVEL_COLOURS[2]}
VERDICT_FILL = {"improved": "#d4ecd5", "worsened": "#f5c6c2"}


def _today() -> dt.date:
    return timezone.localdate()


def _covers(roadmap: Roadmap, year: int) -> bool:
    period = roadmap.period
    if period is None:
        return True
    return period[0] <= year <= period[1]


def _pct_text(part: int, whole: int) -> str:
    value = share(part, whole)
    return "—" if value is None else f"{value:.1f} %".replace(".", ",")


def _roadmaps(ctx: BuildContext) -> list[Roadmap]:
    scope = anchor_scope(ctx)
    found = [r for r in selectors.roadmap_list(scope).exclude(status=Roadmap.Status.ARCHIVED)
             .exclude(status=Roadmap.Status.DRAFT)
             if ctx.year is None or _covers(r, ctx.year)]
    if ctx.organization is not None:
        # an organization's report: its own roadmap or the municipal ones it answers for
        found = [r for r in found if r.organization_id in (None, ctx.organization.pk)]
    return found


def _period(rm: Roadmap) -> str:
    if rm.period is None:
        return "Период не указан"
    start, end = rm.period
    return f"Период: {start} год" if start == end else f"Период: {start}–{end} годы"


def _indicator_name(code: str) -> str:
    """The catalog name of an indicator code (the code itself when it is not in the catalog)."""
    if not code:
        return ""
    from soko.indicators.selectors import indicator_list

    found = indicator_list().filter(code=code).first()
    return f"{found.name} ({code})" if found is not None else code


def _actual(scope: Any, code: str, roadmap: Roadmap, year: int | None) -> float | None:
    """The stored value of the item's indicator for the roadmap's subject and year."""
    if not code or year is None:
        return None
    from soko.indicators import selectors as indicators

    qs = indicators.indicator_values(scope, code, year=year, breakdown_key="")
    if roadmap.organization_id:
        qs = qs.filter(organization_id=roadmap.organization_id)
    else:
        qs = qs.filter(territory_id=roadmap.territory_id)
    value = qs.first()
    if value is None or value.suppressed or value.value is None:
        return None
    return round(float(value.value), 1)


@register("roadmap", "Отчёт об исполнении дорожной карты")
def roadmap(ctx: BuildContext) -> Document:
    """Per roadmap in force for the year: items by section with responsible, deadline, status,
    evidence and indicator baseline / target / actual; shares of execution; the overdue list."""
    scope = anchor_scope(ctx)
    maps = _roadmaps(ctx)
    year_text = f" на {ctx.year} год" if ctx.year else ""
    if not maps:
        raise refuse(
            f"Нет действующей дорожной карты{year_text} для этой территории. Загрузите её "
            f"командой «soko roadmap import ФАЙЛ» (или на странице «Дорожные карты») и "
            f"переведите в состояние «действует»."
        )
    today = _today()
    doc = new_document(
        ctx,
        f"Исполнение дорожных карт{year_text} по состоянию на {today:%d.%m.%Y}",
        [*(f"Дорожная карта «{r.title}»" + (f", утверждена: {r.approving_text}"
                                            if r.approving_text else "")
           + (f", файл «{r.source_name}»" if r.source_name else "") for r in maps),
         "Отметки об исполнении, отчёты ОО и подтверждающие документы (управленческий цикл "
         "СОКО)"],
    )
    totals: Counter[str] = Counter()
    per_map: list[tuple[Roadmap, Counter[str], int]] = []
    summary_index = len(doc.sections)
    doc.section("Итоги исполнения")  # filled once every roadmap is read
    for rm in maps:
        counts: Counter[str] = Counter()
        evidence = selectors.evidence_counts(scope, rm)
        sec = doc.section(f"Дорожная карта: {rm.title}")
        head = [_period(rm),
                f"направление: {direction_label(rm.direction)}"]
        if rm.approving_text:
            head.append(f"утверждена: {rm.approving_text}")
        if rm.owner:
            head.append(f"ответственный: {rm.owner}")
        sec.add(Paragraph("; ".join(head) + "."))
        rows: list[list[Any]] = []
        highlight: dict[tuple[int, int], str] = {}
        n_evidence = 0
        for view in selectors.roadmap_sections(scope, rm):
            if view.section is not None and view.items:
                rows.append([view.section.title] + [""] * 9)
            for item in view.items:
                status = selectors.effective_status(item, today)
                counts[status] += 1
                n_ev = evidence.get(item.pk, 0)
                n_evidence += n_ev
                actual = _actual(scope, item.indicator_code, rm,
                                 item.target_year or ctx.year)
                rows.append([
                    item.number, item.title, item.deadline_text or "—",
                    ", ".join(r.label for r in item.responsible.all()) or item.responsible_text,
                    STATUS_LABELS[status], n_ev,
                    item.indicator_text or _indicator_name(item.indicator_code),
                    item.baseline, item.target, actual,
                ])
                fill = STATUS_FILL.get(status)
                if fill:
                    highlight[(len(rows) - 1, 4)] = fill
        sec.add(Table(
            f"Мероприятия: {rm.title}"[:200],
            ["№", "Мероприятие", "Срок", "Ответственный", "Статус", "Документов",
             "Показатель", "Базовое", "Целевое", "Факт"],
            rows, number_formats={7: "0.0", 8: "0.0", 9: "0.0"}, highlight=highlight,
            note="Строки без номера — разделы дорожной карты. Статус — на дату отчёта по "
                 "срокам мероприятия; «Документов» — подтверждающие документы об исполнении; "
                 "«Факт» — рассчитанное значение показателя СОКО за целевой год.",
        ))
        total = sum(counts.values())
        sec.add(Paragraph(
            f"Мероприятий — {total}: выполнено {counts[DONE]} ({_pct_text(counts[DONE], total)}), "
            f"выполняется {counts[IN_PROGRESS]}, запланировано {counts[PLANNED]}, просрочено "
            f"{counts[OVERDUE]} ({_pct_text(counts[OVERDUE], total)}); подтверждающих "
            f"документов — {n_evidence}."))
        totals.update(counts)
        per_map.append((rm, counts, total))

    summary = doc.sections[summary_index]
    total = sum(totals.values())
    summary.add(Paragraph(
        f"Дорожных карт — {len(maps)}, мероприятий — {total}. Выполнено "
        f"{_pct_text(totals[DONE], total)}, просрочено {_pct_text(totals[OVERDUE], total)} "
        f"мероприятий (на {today:%d.%m.%Y}).", style="lead"))
    summary.add(Table(
        "Исполнение мероприятий по статусам",
        ["Статус", "Мероприятий", "Доля, %"],
        [[STATUS_LABELS[s], totals[s], share(totals[s], total)] for s in STATUS_ORDER],
        number_formats={2: "0.0"},
    ))
    if len(maps) > 1:
        summary.add(Table(
            "Исполнение по дорожным картам",
            ["Дорожная карта", "Мероприятий", "Выполнено", "Просрочено", "Выполнено, %"],
            [[rm.title, t, c[DONE], c[OVERDUE], share(c[DONE], t)] for rm, c, t in per_map],
            number_formats={4: "0.0"},
        ))
    labels = [STATUS_LABELS[s] for s in STATUS_ORDER]
    values: list[float | None] = [float(totals[s]) for s in STATUS_ORDER]
    summary.add(Chart(
        "Мероприятия по статусам исполнения",
        charts.count_bars("Мероприятия по статусам исполнения", labels, values,
                   [STATUS_COLOURS[st] for st in STATUS_ORDER]),
        kind="bar", categories=labels, series={"Мероприятий": values},
    ))

    ids = {rm.pk for rm in maps}
    late = [r for r in selectors.overdue(scope, today) if r.item.roadmap_id in ids]
    over = doc.section("Просроченные мероприятия")
    if late:
        over.add(Table(
            "Просроченные мероприятия",
            ["Дорожная карта", "№", "Мероприятие", "Период", "Срок", "Дней просрочки",
             "Ответственный"],
            [[r.item.roadmap.title, r.item.number, r.item.title, r.occurrence.label,
              r.occurrence.due, r.days_late, r.item.responsible_text] for r in late],
        ))
    else:
        over.add(Paragraph(f"Просроченных мероприятий на {today:%d.%m.%Y} нет."))

    out = doc.section("Выводы и рекомендации")
    conclusions = [
        f"Выполнено {totals[DONE]} из {total} мероприятий ({_pct_text(totals[DONE], total)}); "
        f"выполняется {totals[IN_PROGRESS]}, запланировано {totals[PLANNED]}.",
    ]
    if late:
        worst = max(late, key=lambda r: r.days_late)
        conclusions.append(
            f"Просрочено мероприятий — {totals[OVERDUE]}, сроков исполнения — {len(late)}; "
            f"наибольшая просрочка — {worst.days_late} дн. («{worst.item.title}», "
            f"{worst.item.responsible_text or 'ответственный не указан'}).")
    out.add(Bullets(conclusions))
    recs = []
    if late:
        responsible = Counter(r.item.responsible_text or "не указан" for r in late)
        recs.append("Запросить у ответственных отчёты о причинах просрочки и новые сроки: "
                    + ", ".join(f"{k} ({v})" for k, v in responsible.most_common(5)) + ".")
    if totals[IN_PROGRESS] or totals[PLANNED]:
        recs.append("Контролировать сроки выполняемых и запланированных мероприятий "
                    "(напоминания СОКО за несколько дней до срока).")
    if totals[DONE]:
        recs.append("Для выполненных мероприятий приложить подтверждающие документы и оценить "
                    "достижение целевых значений показателей.")
    if not recs:
        recs.append("Исполнение идёт по плану; сохранить текущий порядок контроля.")
    out.add(Paragraph("Рекомендации:"))
    out.add(Bullets(recs))

    doc.methodology = [
        *method_notes(["cycle.reminders.days_before"], ctx.year),
        note("Статус мероприятия", "по срокам исполнения: выполнено — все сроки закрыты; "
             "просрочено — хотя бы один срок прошёл без отметки о выполнении; выполняется — "
             "часть сроков выполнена", CYCLE_METHOD, SYSTEM_KIND),
        note("Сроки без даты", "«постоянно», «по отдельному графику» и нераспознанные сроки "
             "не бывают просроченными", CYCLE_METHOD, SYSTEM_KIND),
    ]
    return doc


# --- effectiveness -------------------------------------------------------------------------------


def _measure_in_year(m: Measure, year: int | None) -> bool:
    if year is None or m.start_date is None:
        return True
    if m.start_date.year > year:
        return False
    return m.end_date is None or m.end_date.year >= year - 1


def _min_orgs(year: int | None) -> int:
    from soko.catalog.models import Parameter

    qs = Parameter.objects.filter(code="cycle.effect.min_orgs")
    if year is not None:
        qs = qs.filter(valid_from__lte=year)
    param = qs.order_by("-valid_from").first()
    try:
        return int(param.value) if param is not None else 3
    except (TypeError, ValueError):
        return 3



def _group_mean(series: dict[str, Any], group: str, year: int, minimum: int
                ) -> tuple[float | None, bool]:
    """The group's mean for the year (None when fewer organizations than the minimum)."""
    for point in series.get(group, []):
        if point.get("year") == year:
            if int(point.get("n") or 0) < minimum:
                return None, True
            return rounded(point.get("mean"), 2), False
    return None, False


@register("effectiveness", "Анализ эффективности принятых мер")
def effectiveness(ctx: BuildContext) -> Document:
    """Measures and decisions, the effectiveness analyses (indicator before / after, comparison
    group, conclusion) and the МУКО self-assessment summary when present."""
    scope = anchor_scope(ctx)
    year = ctx.year
    measures = [m for m in selectors.measure_list(scope) if _measure_in_year(m, year)]
    if ctx.organization is not None:  # one organization: the measures that name it
        measures = [m for m in measures
                    if any(o.pk == ctx.organization.pk for o in m.organizations.all())]
    ids = {m.pk for m in measures}
    analyses = [a for a in selectors.analysis_list(scope).order_by("measure__title",
                                                                     "indicator_code")
                if a.measure_id in ids]
    if not measures:
        raise refuse(
            "Нет мер для анализа эффективности"
            + (f" за {year} год" if year else "")
            + ": внесите меры с целевыми ОО на странице «Меры» (управленческий цикл), затем "
            "запросите анализ эффективности по показателю."
        )
    if not analyses:
        raise refuse(
            "Анализ эффективности не выполнен ни для одной меры"
            + (f" {year} года" if year else "")
            + ": откройте меру с целевыми ОО, выберите показатель и запустите расчёт (нужны "
            "значения показателя за годы до и после начала меры — «soko indicators compute»)."
        )
    decisions = [d for d in selectors.decision_list(scope).prefetch_related("measures")
                 if {m.pk for m in d.measures.all()} & ids
                 or (year is not None and d.date.year == year)]
    minimum = _min_orgs(year)
    doc = new_document(
        ctx,
        "Меры, управленческие решения и их эффективность"
        + (f", {year} год" if year else ""),
        [f"Меры и управленческие решения управленческого цикла СОКО (мер — {len(measures)}, "
         f"решений — {len(decisions)})",
         *(f"Значения показателя «{name}» (расчёт показателей СОКО)"
           for name in dict.fromkeys(a.indicator_name or a.indicator_code for a in analyses))],
    )
    ok = [a for a in analyses if a.status == EffectivenessAnalysis.Status.OK]
    verdicts = Counter(a.verdict for a in ok)

    head = doc.section("Итоги")
    head.add(Paragraph(
        f"Мер — {len(measures)}, управленческих решений — {len(decisions)}, анализов "
        f"эффективности — {len(analyses)} (рассчитано {len(ok)}). Статистически значимое "
        f"улучшение — {verdicts.get('improved', 0)}, ухудшение — "
        f"{verdicts.get('worsened', 0)}, без значимой разницы — {verdicts.get('no_effect', 0)}; "
        f"недостаточно данных — {len(analyses) - len(ok)}.", style="lead"))

    sec = doc.section("Принятые меры")
    by_measure: dict[int, list[str]] = {}
    for d in decisions:
        for m in d.measures.all():
            by_measure.setdefault(m.pk, []).append(f"{d.kind} от {d.date:%d.%m.%Y} № {d.number}")
    sec.add(Table(
        "Меры",
        ["Мера", "Направление", "Начало", "Окончание", "Состояние", "Целевых ОО",
         "Ответственный", "Решения"],
        [[m.title, direction_label(m.direction), m.start_date, m.end_date,
          str(m.get_status_display()), len(m.organizations.all()), m.responsible or "—",
          "; ".join(by_measure.get(m.pk, [])) or "—"] for m in measures],
    ))
    dec = doc.section("Управленческие решения")
    if decisions:
        dec.add(Table(
            "Управленческие решения",
            ["Вид акта", "Дата", "Номер", "Заголовок", "Направление", "Меры"],
            [[d.kind, d.date, d.number, d.title, direction_label(d.direction),
              "; ".join(m.title for m in d.measures.all()) or "—"] for d in decisions],
        ))
    else:
        dec.add(Paragraph("Управленческие решения по этим мерам не внесены.", style="note"))

    eff = doc.section("Анализ эффективности мер")
    rows: list[list[Any]] = []
    highlight: dict[tuple[int, int], str] = {}
    for i, a in enumerate(analyses):
        r = a.result or {}
        rows.append([
            a.measure.title, a.indicator_name or a.indicator_code, a.unit,
            ", ".join(map(str, a.before_years)) or "—", ", ".join(map(str, a.after_years)) or "—",
            rounded(r.get("treated_before"), 2), rounded(r.get("treated_after"), 2),
            r.get("n_treated"),
            rounded(r.get("control_before"), 2), rounded(r.get("control_after"), 2),
            r.get("n_control"),
            rounded(a.estimate, 2), rounded(a.ci_low, 2), rounded(a.ci_high, 2),
            VERDICT_LABELS.get(a.verdict or "", str(a.get_status_display())),
        ])
        fill = VERDICT_FILL.get(a.verdict or "")
        if fill:
            highlight[(i, 14)] = fill
    eff.add(Table(
        "Эффективность мер: разность разностей",
        ["Мера", "Показатель", "Ед.", "Годы «до»", "Годы «после»", "Целевые ОО: до",
         "Целевые ОО: после", "Целевых ОО", "Сравнение: до", "Сравнение: после",
         "ОО сравнения", "Эффект", "ДИ: от", "ДИ: до", "Вывод"],
        rows,
        number_formats={5: "0.00", 6: "0.00", 8: "0.00", 9: "0.00", 11: "0.00", 12: "0.00",
                        13: "0.00"},
        highlight=highlight,
        note="Эффект — изменение показателя в целевых ОО минус изменение в группе сравнения "
             "(остальные ОО территории); ДИ — доверительный интервал. Каждая ОО учитывается "
             "один раз, независимо от числа обучающихся.",
    ))
    suppressed = False
    for a in analyses:
        title = f"{a.measure.title}: {a.indicator_name or a.indicator_code}"
        eff.add(Paragraph(title, style="lead"))
        eff.add(Paragraph(a.conclusion or "Вывод не сформулирован: анализ не рассчитан."))
        series = a.series or {}
        years = sorted({int(p["year"]) for g in series.values() for p in g})
        if len(years) < 2:
            continue
        treated: list[float | None] = []
        control: list[float | None] = []
        for y in years:
            t, hidden_t = _group_mean(series, "treated", y, minimum)
            c, hidden_c = _group_mean(series, "control", y, minimum)
            suppressed = suppressed or hidden_t or hidden_c
            treated.append(t)
            control.append(c)
        chart_title = f"Средние значения по годам: {a.indicator_name or a.indicator_code}"
        eff.add(Chart(
            chart_title[:150],
            charts.lines(chart_title[:90], years, {"целевые ОО": treated,
                                                   "группа сравнения": control},
                         percent=a.unit == "%"),
            kind="line", categories=[str(y) for y in years],
            series={"Целевые ОО": treated, "Группа сравнения": control},
        ))
    if suppressed:
        eff.add(Paragraph(
            f"Средние по группам меньше {minimum} ОО не показываются (минимальное число ОО "
            f"для анализа эффективности).", style="note"))

    muko = selectors.muko_latest(scope, ctx.territory if ctx.organization is None else None)
    if muko is not None and (year is None or muko.year <= year):
        view = selectors.muko_view(muko)
        ms = doc.section("Самооценка МУКО")
        ms.add(Paragraph(
            f"Самооценка механизмов управления качеством ({muko.territory.name}, {muko.year} "
            f"год): {muko.points} из {muko.max_points} баллов "
            f"({str(round(muko.percent, 1)).replace('.', ',')} %), уровень — {muko.level}."))
        ms.add(Table(
            "Самооценка МУКО по направлениям",
            ["Направление", "Баллы", "Максимум", "%", "Уровень", "Полный цикл",
             "Недостающие этапы"],
            [[r["label"], r.get("points"), r.get("max_points"), r.get("percent"),
              r.get("level", ""), "да" if r.get("complete_cycle") else "нет",
              ", ".join(_step_name(s) for s in r.get("missing_steps", [])) or "—"]
             for r in view["rows"]],
            number_formats={3: "0.0"},
        ))

    out = doc.section("Выводы и рекомендации")
    conclusions = [
        f"«{a.measure.title}» — {a.indicator_name or a.indicator_code}: "
        f"{VERDICT_LABELS.get(a.verdict, a.verdict)}."
        for a in ok
    ]
    insufficient = [a for a in analyses if a.status != EffectivenessAnalysis.Status.OK]
    if insufficient:
        conclusions.append(
            f"По {len(insufficient)} анализам недостаточно данных (нужны значения показателя "
            f"до и после меры не менее чем у {minimum} целевых ОО и ОО сравнения).")
    without = [m for m in measures if not any(a.measure_id == m.pk for a in analyses)]
    if without:
        conclusions.append(f"Мер без анализа эффективности — {len(without)}: "
                           + ", ".join(m.title for m in without[:10]) + ".")
    out.add(Bullets(conclusions or ["Анализов с выводами нет."]))
    recs = []
    if verdicts.get("improved"):
        recs.append("Меры с подтверждённым улучшением продолжить и распространить на другие ОО "
                    "с теми же дефицитами.")
    if verdicts.get("worsened"):
        recs.append("Меры, после которых показатель значимо ухудшился, пересмотреть: "
                    "проанализировать содержание и адресность.")
    if verdicts.get("no_effect"):
        recs.append("Для мер без значимого эффекта — уточнить целевые ОО и показатель, "
                    "повторить анализ после следующего года данных.")
    if insufficient or without:
        recs.append("Назначить показатели эффективности всем мерам и загрузить данные за годы "
                    "до и после меры, чтобы замкнуть управленческий цикл.")
    out.add(Paragraph("Рекомендации:"))
    out.add(Bullets(recs or ["Сохранить практику анализа эффективности каждой меры."]))

    doc.methodology = [
        *method_notes(["cycle.effect.confidence", "cycle.effect.min_orgs",
                       "cycle.effect.bootstrap_reps", "cycle.muko.level.base",
                       "cycle.muko.level.high"], year),
        note("Метод анализа эффективности", METHOD,
             "Bertrand M., Duflo E., Mullainathan S. How Much Should We Trust "
             "Differences-in-Differences Estimates? (2004)", METHOD_KIND),
    ]
    if muko is not None:
        notes_source = (muko.criteria_source or "критерии самооценки МУКО")
        doc.methodology.append(note("Критерии самооценки МУКО", muko.criteria_version or "—",
                                    notes_source, SYSTEM_KIND))
    return doc


def _step_name(code: str) -> str:
    from soko.cycle.directions import CYCLE_STEPS

    return next((s.name for s in CYCLE_STEPS if s.code == code), code)
