"""Reports on indicators: «Мониторинг достижения показателей» (indicators against targets, by
direction) and «Паспорт ОО» (one organization: registry data, indicators with their dynamics,
flags, latest results, recommendations, measures and roadmap items addressed to it).

Both read stored values (``soko.indicators.selectors``) and never recompute an indicator.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from soko.reports import charts
from soko.reports.builders import BuildContext, register
from soko.reports.builders.common import (
    anchor_scope,
    method_notes,
    min_group,
    new_document,
    note,
    refuse,
    rounded,
)
from soko.reports.document import Bullets, Chart, Document, MethodNote, Paragraph, Table

YEARS_BACK = 2  # the table shows the report year and two years before it
CHART_LIMIT = 6  # indicators on one chart (more become unreadable)
SUPPRESSED_NOTE = (
    "«—» — значение не показывается: группа меньше минимального размера либо данных нет."
)
STATUS_LABELS = {
    "achieved": "достигнуто",
    "not_achieved": "не достигнуто",
    "at_risk": "под угрозой",
    "on_track": "в пределах траектории",
    "no_data": "нет данных",
}
STATUS_COLOURS = {
    "achieved": "#d5f5e3",
    "not_achieved": "#f5b7b1",
    "at_risk": "#fdebd0",
}


def _seq(series: dict[str, list[float | None]]) -> dict[str, Sequence[float | None]]:
    """The series as the chart functions type them."""
    return dict(series)


def _width(categories: list[str]) -> float:
    """A wider figure for many categories, so that wrapped labels never touch."""
    return 6.8 if len(categories) <= 4 else 9.6


# --- shared helpers -------------------------------------------------------------------------


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    text = f"{value:.1f}".replace(".", ",")
    return f"{text} %" if unit.strip() == "%" else f"{text} {unit}".strip()


def _is_better(change: float, polarity: str) -> bool:
    return (change > 0) == (polarity == "higher_better")


def _dynamics_word(change: float | None, significant: bool | None, polarity: str) -> str:
    """«улучшение» / «ухудшение» / «без значимых изменений» (polarity-aware)."""
    if change is None:
        return "нет данных"
    if abs(change) < 0.05:
        return "без изменений"
    word = "улучшение" if _is_better(change, polarity) else "ухудшение"
    if significant is False:
        return f"{word} (незначимо)"
    return word


def _direction_titles() -> list[tuple[str, str]]:
    from soko.indicators.models import Direction

    return [(str(code), str(title)) for code, title in Direction.choices]


@dataclass
class IndicatorLine:
    """One indicator of the subject: values by year, the stored change and the target."""

    code: str
    name: str
    unit: str
    polarity: str
    direction: str
    key: bool
    source_id: int
    values: dict[int, float | None] = field(default_factory=dict)
    suppressed: set[int] = field(default_factory=set)
    change: float | None = None
    significant: bool | None = None
    target: Any = None  # indicators.Target of the report year
    later_targets: list[Any] = field(default_factory=list)

    @property
    def is_percent(self) -> bool:
        return self.unit.strip() == "%"


def _subject_lines(ctx: BuildContext, year: int) -> tuple[list[IndicatorLine], list[int]]:
    """Indicators of the report's subject (organization or territory) with values and targets."""
    from soko.indicators.selectors import indicator_list, subject_values, targets

    scope = anchor_scope(ctx)
    org, territory = ctx.organization, ctx.territory if ctx.organization is None else None
    years = list(range(year - YEARS_BACK, year + 1))
    lines: dict[int, IndicatorLine] = {}
    for ind in indicator_list():
        lines[ind.pk] = IndicatorLine(
            code=ind.code, name=ind.short_name or ind.name, unit=ind.unit,
            polarity=ind.polarity, direction=ind.direction, key=ind.key,
            source_id=ind.source_id,
        )
    for value in subject_values(scope, years=years, organization=org, territory=territory):
        line = lines.get(value.indicator_id)
        if line is None:
            continue
        if value.suppressed:
            line.suppressed.add(value.year)
            line.values[value.year] = None
        else:
            line.values[value.year] = value.value
        if value.year == year and not value.suppressed:
            line.change = value.change
            line.significant = value.change_significant
    qs = targets(scope).filter(year__gte=year, breakdown_key="")
    qs = qs.filter(organization=org) if org is not None else qs.filter(territory=territory)
    for target in qs:
        line = lines.get(target.indicator_id)
        if line is None:
            continue
        if target.year == year:
            line.target = target
        else:
            line.later_targets.append(target)
    present = [ln for ln in lines.values() if ln.values or ln.target or ln.later_targets]
    return present, years


# --- «Мониторинг достижения показателей» -------------------------------------------------------


@register("indicators", "Мониторинг достижения показателей", org_optional=True)
def build_indicators(ctx: BuildContext) -> Document:
    """Indicators of the territory (or one organization) against their targets, by direction."""
    from soko.indicators.selectors import last_run

    year = ctx.year
    if year is None:
        raise refuse("Укажите год отчёта.")
    if ctx.organization is None and ctx.territory is None:
        raise refuse("Не определена территория отчёта: укажите организацию или войдите как "
                      "пользователь органа управления образованием.")
    lines, years = _subject_lines(ctx, year)
    with_year = [ln for ln in lines if year in ln.values]
    if not with_year:
        raise refuse(
            f"Нет рассчитанных значений показателей за {year} год. Загрузите данные за год и "
            f"выполните расчёт показателей: soko compute --year {year}."
        )
    run = last_run()
    sources = []
    if run is not None:
        when = run.finished_at or run.started_at
        sources.append(f"СОКО: расчёт показателей №{run.pk} от {when:%d.%m.%Y}")
    documents = sorted({
        _target_document(t) for ln in lines for t in [ln.target, *ln.later_targets]
        if t is not None and _target_document(t)
    })
    sources += [f"Целевые значения: {d}" for d in documents]
    subject = "организации" if ctx.organization is not None else "территории"
    doc = new_document(ctx, f"Значения показателей {subject} за {year} год, их динамика и "
                            "достижение целевых значений", sources)

    with_target = [ln for ln in lines if ln.target is not None]
    counts: dict[str, int] = defaultdict(int)
    for ln in with_target:
        counts[ln.target.status] += 1
    summary = doc.section("Общие итоги")
    summary.add(Paragraph(
        f"За {year} год рассчитаны значения {len(with_year)} показателей. Целевые значения "
        f"на {year} год установлены для {len(with_target)} показателей: достигнуто — "
        f"{counts['achieved']}, не достигнуто — {counts['not_achieved']}, нет данных — "
        f"{counts['no_data']}.",
        style="lead",
    ))
    summary.add(_direction_summary(lines, year))

    for code, title in _direction_titles():
        mine = [ln for ln in lines if ln.direction == code]
        if not mine:
            continue
        section = doc.section(f"Направление {title}")
        section.add(_direction_table(title, mine, years))
        chart = _direction_chart(title, mine, year)
        if chart is not None:
            section.add(chart)

    later = [t for ln in lines for t in ln.later_targets]
    if later:
        section = doc.section("Целевые значения на последующие годы")
        section.add(_later_table(lines))

    conclusions = doc.section("Выводы")
    conclusions.add(Bullets(_indicator_conclusions(lines, year)))
    recommendations = doc.section("Рекомендации")
    recommendations.add(Bullets(_indicator_recommendations(lines, year)))
    doc.methodology = _indicator_methodology(lines, year)
    return doc


def _target_document(target: Any) -> str:
    parts = [target.document_title]
    if target.document_number:
        parts.append(f"№ {target.document_number}")
    if target.document_date:
        parts.append(f"от {target.document_date:%d.%m.%Y}")
    return " ".join(p for p in parts if p).strip()


def _direction_summary(lines: list[IndicatorLine], year: int) -> Table:
    rows: list[list[Any]] = []
    for code, title in _direction_titles():
        mine = [ln for ln in lines if ln.direction == code]
        if not mine:
            continue
        statuses = [ln.target.status for ln in mine if ln.target is not None]
        rows.append([
            title,
            sum(1 for ln in mine if ln.values.get(year) is not None),
            len(statuses),
            statuses.count("achieved"),
            statuses.count("not_achieved"),
            statuses.count("no_data"),
        ])
    return Table(
        title="Достижение целевых значений по направлениям",
        columns=["Направление", f"Показателей со значением за {year} г.", "С целевым значением",
                 "Достигнуто", "Не достигнуто", "Нет данных"],
        rows=rows,
    )


def _direction_table(title: str, lines: list[IndicatorLine], years: list[int]) -> Table:
    year = years[-1]
    rows: list[list[Any]] = []
    highlight: dict[tuple[int, int], str] = {}
    any_hidden = False
    for i, ln in enumerate(lines):
        target = ln.target
        status = STATUS_LABELS.get(target.status, "") if target is not None else "цель не задана"
        values = [rounded(ln.values.get(y)) for y in years]
        any_hidden = any_hidden or bool(ln.suppressed)
        change = rounded(ln.change)
        rows.append([
            ln.name,
            ln.unit,
            *values,
            change,
            _dynamics_word(ln.change, ln.significant, ln.polarity),
            rounded(target.value) if target is not None else None,
            status,
        ])
        if target is not None and target.status in STATUS_COLOURS:
            highlight[(i, len(years) + 5)] = STATUS_COLOURS[target.status]
    formats = {2 + j: "0.0" for j in range(len(years))}
    formats[2 + len(years)] = "0.0"
    formats[4 + len(years)] = "0.0"
    return Table(
        title=f"Показатели: {title}",
        columns=["Показатель", "Ед.", *[f"{y} г." for y in years], f"Изменение к {year - 1} г.",
                 "Динамика", f"Цель {year} г.", "Статус"],
        rows=rows,
        number_formats=formats,
        note=(SUPPRESSED_NOTE if any_hidden or any(None in r[2:2 + len(years)] for r in rows)
              else "") + " Динамика оценивается с учётом полярности показателя (для показателей "
                         "«чем ниже, тем лучше» снижение — улучшение).",
        highlight=highlight,
    )


def _direction_chart(title: str, lines: list[IndicatorLine], year: int) -> Chart | None:
    """Key and targeted percent indicators of a direction: previous year, the year, the target."""
    chosen = [ln for ln in lines if ln.is_percent and ln.values.get(year) is not None
              and (ln.key or ln.target is not None)]
    if not chosen:
        chosen = [ln for ln in lines if ln.is_percent and ln.values.get(year) is not None]
    chosen = chosen[:CHART_LIMIT]
    if not chosen:
        return None
    categories = [ln.name for ln in chosen]
    series: dict[str, list[float | None]] = {
        f"{year - 1} г.": [rounded(ln.values.get(year - 1)) for ln in chosen],
        f"{year} г.": [rounded(ln.values.get(year)) for ln in chosen],
    }
    if any(ln.target is not None for ln in chosen):
        series["цель"] = [rounded(ln.target.value) if ln.target is not None else None
                          for ln in chosen]
    if all(v is None for v in series[f"{year - 1} г."]):
        del series[f"{year - 1} г."]
    short = title.split(" ", 1)[-1] if title[:1].isdigit() else title
    chart_title = f"{short[:60]}{'…' if len(short) > 60 else ''}: значения и цели, %"
    colours = [charts.LEVEL_COLOURS[1], charts.ACCENT, charts.WARN]
    if f"{year - 1} г." not in series:
        colours = colours[1:]
    png = charts.grouped_bars(chart_title, categories, _seq(series),
                              width_in=_width(categories), colours=colours)
    return Chart(title=chart_title, png=png, kind="bar", categories=categories, series=series)


def _later_table(lines: list[IndicatorLine]) -> Table:
    rows: list[list[Any]] = [
        [ln.name, str(t.year), rounded(t.value), rounded(t.projected_value),
         STATUS_LABELS.get(t.status, t.status), t.status_note]
        for ln in lines for t in sorted(ln.later_targets, key=lambda x: x.year)
    ]
    return Table(
        title="Целевые значения на последующие годы",
        columns=["Показатель", "Год цели", "Цель", "Прогноз по тренду", "Статус", "Пояснение"],
        rows=rows,
        number_formats={2: "0.0", 3: "0.0"},
        note="Прогноз — продолжение линейного тренда последних лет до года цели.",
    )


def _indicator_conclusions(lines: list[IndicatorLine], year: int) -> list[str]:
    out: list[str] = []
    achieved = [ln for ln in lines if ln.target is not None and ln.target.status == "achieved"]
    missed = [ln for ln in lines if ln.target is not None and ln.target.status == "not_achieved"]
    nodata = [ln for ln in lines if ln.target is not None and ln.target.status == "no_data"]
    if achieved:
        out.append(f"Целевые значения {year} года достигнуты по {len(achieved)} показателям: "
                   + "; ".join(f"«{ln.name}» ({_fmt(ln.values.get(year), ln.unit)} при цели "
                               f"{_fmt(ln.target.value, ln.unit)})" for ln in achieved) + ".")
    if missed:
        out.append(f"Не достигнуты целевые значения по {len(missed)} показателям: "
                   + "; ".join(f"«{ln.name}» ({_fmt(ln.values.get(year), ln.unit)} при цели "
                               f"{_fmt(ln.target.value, ln.unit)})" for ln in missed) + ".")
    if nodata:
        out.append("Нет данных для оценки достижения цели: "
                   + ", ".join(f"«{ln.name}»" for ln in nodata) + ".")
    better = [ln for ln in lines if ln.change is not None and ln.significant
              and _is_better(ln.change, ln.polarity)]
    worse = [ln for ln in lines if ln.change is not None and ln.significant
             and not _is_better(ln.change, ln.polarity)]
    if better:
        out.append("Статистически значимое улучшение к прошлому году: "
                   + ", ".join(f"«{ln.name}»" for ln in better) + ".")
    if worse:
        out.append("Статистически значимое ухудшение к прошлому году: "
                   + ", ".join(f"«{ln.name}»" for ln in worse) + ".")
    if not any(ln.target is not None for ln in lines):
        out.append(f"Целевые значения на {year} год не установлены: достижение показателей "
                   "оценить нельзя, в отчёте приведены значения и их динамика.")
    if not out:
        out.append("Значимых изменений показателей по сравнению с прошлым годом не выявлено.")
    return out


def _indicator_recommendations(lines: list[IndicatorLine], year: int) -> list[str]:
    titles = dict(_direction_titles())
    out: list[str] = []
    for ln in lines:
        t = ln.target
        if t is not None and t.status == "not_achieved":
            out.append(f"Проанализировать причины недостижения цели по показателю «{ln.name}» "
                       f"(факт {_fmt(ln.values.get(year), ln.unit)}, цель "
                       f"{_fmt(t.value, ln.unit)}) и предусмотреть корректирующие мероприятия "
                       f"в дорожной карте направления «{titles.get(ln.direction, '')}».")
        elif t is not None and t.status == "no_data":
            out.append(f"Обеспечить сбор данных для показателя «{ln.name}»: без значения за "
                       f"{year} год достижение цели не оценивается.")
    out.extend(
        f"Цель {t.year} года по показателю «{ln.name}» ({_fmt(t.value, ln.unit)}) при "
        f"сохранении текущей динамики не будет достигнута (прогноз "
        f"{_fmt(t.projected_value, ln.unit)}): усилить меры по направлению."
        for ln in lines for t in ln.later_targets if t.status == "at_risk"
    )
    worse = [ln for ln in lines if ln.change is not None and ln.significant
             and not _is_better(ln.change, ln.polarity)
             and (ln.target is None or ln.target.status != "not_achieved")]
    out.extend(
        f"Рассмотреть значимое ухудшение показателя «{ln.name}» на совещании руководителей и "
        "назначить ответственных за его анализ."
        for ln in worse
    )
    if not any(ln.target is not None or ln.later_targets for ln in lines):
        out.append("Установить целевые значения ключевых показателей (раздел «Целевые "
                   "значения») с реквизитами утверждающего документа.")
    if not out:
        out.append("Сохранить достигнутый уровень показателей; при планировании следующего года "
                   "рассмотреть повышение целевых значений.")
    return out


def _indicator_methodology(lines: list[IndicatorLine], year: int) -> list[MethodNote]:
    from soko.catalog.models import Source

    notes = method_notes(
        ["privacy.min_group_size", "indicators.significance.alpha",
         "indicators.targets.trend_years"], year
    )
    notes.append(note(
        "Статус цели", "достигнуто — значение года не хуже цели с учётом полярности; "
        "не достигнуто — хуже; для будущих лет — прогноз по линейному тренду",
        "Методика расчёта показателей СОКО", "системное значение",
    ))
    notes.append(note(
        "Значимость изменения", "z-критерий для долей, t-критерий Уэлча для средних",
        "Методика расчёта показателей СОКО", "системное значение",
    ))
    counts: dict[int, int] = defaultdict(int)
    for ln in lines:
        counts[ln.source_id] += 1
    for src in Source.objects.filter(pk__in=list(counts)).order_by("title"):
        notes.append(note(f"Определения показателей ({counts[src.pk]})", "формулы и полярность",
                          src.title, src.get_kind_display()))
    return notes


# --- «Паспорт ОО» ----------------------------------------------------------------------------


@register("passport", "Паспорт ОО", needs_org=True)
def build_passport(ctx: BuildContext) -> Document:
    """One organization: registry, social context, indicators with dynamics, results, flags,
    recommendations, measures and roadmap items addressed to it."""
    from soko.analyses.selectors import org_latest
    from soko.indicators.selectors import org_indicator_rows, subject_values
    from soko.registry.selectors import organization_details
    from soko.risks.selectors import org_flags

    org = ctx.organization
    if org is None:
        raise refuse("Для паспорта укажите организацию (--org ЛОГИН).")
    if not ctx.scope.allows_org(org):
        raise refuse("Организация недоступна в ваших правах.")
    scope = anchor_scope(ctx)
    year = ctx.year
    indicators = org_indicator_rows(scope, org, year=year)
    if year is not None and indicators["year"] != year:
        indicators = {**indicators, "groups": []}
    results = org_latest(scope, org)
    flags = org_flags(scope, org)
    if not indicators["groups"] and not results and flags is None:
        raise refuse(
            f"По организации «{org.short_name}» нет данных за {year} год: нет рассчитанных "
            "показателей, результатов оценочных процедур и флагов. Загрузите результаты и "
            f"выполните расчёты: soko compute --year {year}, soko analyze --year {year}."
        )
    details = organization_details(org)
    doc = new_document(
        ctx, f"{org.name}: показатели, результаты, риски и меры за {year} год",
        [f"Реестр образовательных организаций СОКО (логин ФИС ОКО {org.code})"],
    )
    minimum = min_group()

    # 1. registry
    section = doc.section("Сведения об организации")
    subjects = ", ".join(s.name for s in org.in_depth_subjects.all()) or "нет"
    section.add(Table(
        title="Сведения реестра",
        columns=["Показатель", "Значение"],
        rows=[
            ["Полное название", org.name],
            ["Логин ФИС ОКО", org.code],
            ["Вид", org.get_kind_display()],
            ["Тип", org.get_org_type_display()],
            ["Территория", org.territory.name],
            ["Местность", org.get_settlement_display()],
            ["Углублённое изучение предметов", subjects],
            ["Руководитель", org.head_name or "—"],
            ["Обучающихся (реестр)", details["students"]],
            ["Педагогов (работают)", details["teachers"]],
        ],
    ))
    social = details["social_context"]
    if social:
        section.add(_social_table(social[0]))
    else:
        section.add(Paragraph("Сведения о социальном контексте организации не загружены.",
                              style="note"))

    # 2. indicators
    section = doc.section("Показатели и их динамика")
    key_lines: list[tuple[str, list[Any]]] = []
    if indicators["groups"]:
        chosen_year = indicators["year"]
        history = _org_history(scope, org, chosen_year, subject_values)
        for title, rows in indicators["groups"]:
            section.add(_org_indicator_table(title, rows, chosen_year, history))
            key_lines += [(title, [r]) for r in rows if r.indicator.key]
        chart = _org_key_chart(org, indicators["groups"], chosen_year)
        if chart is not None:
            section.add(chart)
        dyn = _org_dynamics_chart(indicators["groups"], history, chosen_year)
        if dyn is not None:
            section.add(dyn)
    else:
        section.add(Paragraph(f"Показатели организации за {year} год не рассчитаны.",
                              style="note"))

    # 3. results
    section = doc.section("Результаты оценочных процедур")
    if results:
        section.add(_org_results_table(results))
    else:
        section.add(Paragraph("Результаты оценочных процедур не проанализированы.",
                              style="note"))

    # 4. flags
    section = doc.section("Флаги рисков")
    if flags is not None and flags["flags"]:
        section.add(_flags_table(flags["flags"]))
    else:
        section.add(Paragraph("Флагов рисков (ШНОР, ШФНСУ, признаки необъективности) нет.",
                              style="note"))
    if flags is not None and flags["summaries"]:
        section.add(_risk_summary_table(flags["summaries"]))

    # 5. cycle
    recs, measures, items = _org_cycle(scope, org)
    section = doc.section("Адресные рекомендации, меры и мероприятия")
    section.add(Table(
        title="Адресные рекомендации организации",
        columns=["Год", "Направление", "Рекомендация", "Состояние"],
        rows=[[str(r.year or ""), r.get_direction_display(), r.title, r.get_status_display()]
              for r in recs],
        note="" if recs else "Адресных рекомендаций организации нет.",
    ))
    section.add(Table(
        title="Меры с участием организации",
        columns=["Мера", "Направление", "Сроки", "Состояние"],
        rows=[[m.title, m.get_direction_display(), _period(m.start_date, m.end_date),
               m.get_status_display()] for m in measures],
        note="" if measures else "Мер с участием организации нет.",
    ))
    section.add(Table(
        title="Мероприятия дорожных карт, адресованные организации",
        columns=["№", "Мероприятие", "Срок", "Статус"],
        rows=[[i.number, i.title, i.deadline_text, i.get_status_display()] for i in items],
        note="" if items else "Мероприятий дорожных карт, адресованных организации, нет.",
    ))

    conclusions = doc.section("Выводы и рекомендации")
    conclusions.add(Bullets(_passport_conclusions(org, indicators, results, flags, recs, items,
                                                  minimum)))
    doc.methodology = [
        *method_notes(["privacy.min_group_size", "indicators.significance.alpha",
                       "low_results.rule_30pct.share"], year),
        note("Сравнение с территорией", "значение ОО рядом со значением её территории",
             "Методика расчёта показателей СОКО", "системное значение"),
    ]
    return doc


def _period(start: Any, end: Any) -> str:
    if start and end:
        return f"{start:%d.%m.%Y} – {end:%d.%m.%Y}"
    if start:
        return f"с {start:%d.%m.%Y}"
    if end:
        return f"до {end:%d.%m.%Y}"
    return "—"


def _social_table(sc: Any) -> Table:
    fields = [
        ("Число обучающихся", sc.students_total),
        ("Из малоимущих семей", sc.low_income),
        ("Из неполных семей", sc.single_parent),
        ("Родители с высшим образованием", sc.parents_higher_ed),
        ("Русский язык не родной", sc.non_native_russian),
        ("С ОВЗ", sc.disabled),
        ("На учёте в КДН/ПДН", sc.kdn_pdn),
        ("Вакансии педагогов", sc.staff_vacancies),
        ("Вторая смена", sc.second_shift),
        ("Удалённость от центра, км", sc.remoteness_km),
    ]
    return Table(
        title=f"Социальный контекст ({sc.year} г.)",
        columns=["Показатель", "Значение"],
        rows=[[name, value] for name, value in fields],
        note="«—» — сведения не представлены." if any(v is None for _, v in fields) else "",
    )


def _org_history(scope: Any, org: Any, year: int, subject_values: Any
                 ) -> dict[int, dict[int, float | None]]:
    history: dict[int, dict[int, float | None]] = defaultdict(dict)
    years = list(range(year - YEARS_BACK, year + 1))
    for v in subject_values(scope, years=years, organization=org):
        history[v.indicator_id][v.year] = None if v.suppressed else v.value
    return history


def _org_indicator_table(title: str, rows: list[Any], year: int,
                         history: dict[int, dict[int, float | None]]) -> Table:
    years = list(range(year - YEARS_BACK, year + 1))
    out: list[list[Any]] = []
    hidden = False
    for r in rows:
        ind, value, ref = r.indicator, r.value, r.territory_value
        own = history.get(ind.pk, {})
        mine = [rounded(own.get(y)) for y in years]
        hidden = hidden or value.suppressed or any(v is None for v in mine)
        out.append([
            ind.short_name or ind.name, ind.unit, *mine,
            None if ref is None or ref.suppressed else rounded(ref.value),
            _dynamics_word(value.change, value.change_significant, ind.polarity),
        ])
    formats = {2 + j: "0.0" for j in range(len(years) + 1)}
    return Table(
        title=f"Показатели: {title}",
        columns=["Показатель", "Ед.", *[f"{y} г." for y in years], f"Территория, {year} г.",
                 "Динамика"],
        rows=out,
        number_formats=formats,
        note=SUPPRESSED_NOTE if hidden else "",
    )


def _org_key_chart(org: Any, groups: list[tuple[str, list[Any]]], year: int) -> Chart | None:
    chosen = [r for _, rows in groups for r in rows
              if r.indicator.key and r.indicator.is_percent and r.value.value is not None
              and not r.value.suppressed][:CHART_LIMIT]
    if not chosen:
        return None
    categories = [r.indicator.short_name or r.indicator.name for r in chosen]
    series: dict[str, list[float | None]] = {
        org.short_name: [rounded(r.value.value) for r in chosen],
        org.territory.name: [
            rounded(r.territory_value.value)
            if r.territory_value is not None and not r.territory_value.suppressed else None
            for r in chosen
        ],
    }
    title = f"Ключевые показатели {year} г.: ОО и территория, %"
    png = charts.grouped_bars(title, categories, _seq(series), width_in=_width(categories))
    return Chart(title=title, png=png, kind="bar", categories=categories, series=series)


def _org_dynamics_chart(groups: list[tuple[str, list[Any]]],
                        history: dict[int, dict[int, float | None]], year: int) -> Chart | None:
    years = list(range(year - YEARS_BACK, year + 1))
    chosen = [r.indicator for _, rows in groups for r in rows
              if r.indicator.key and r.indicator.is_percent
              and sum(1 for y in years if history.get(r.indicator.pk, {}).get(y) is not None) >= 2]
    chosen = chosen[:3]  # at most three lines stay readable
    if not chosen:
        return None
    present = [y for y in years if any(history[i.pk].get(y) is not None for i in chosen)]
    series: dict[str, list[float | None]] = {
        (i.short_name or i.name): [rounded(history[i.pk].get(y)) for y in present] for i in chosen
    }
    title = "Динамика ключевых показателей ОО, %"
    png = charts.lines(title, present, _seq(series))
    return Chart(title=title, png=png, kind="line", categories=[str(y) for y in present],
                 series=series)


def _org_results_table(results: list[dict[str, Any]]) -> Table:
    def pct(v: Any) -> float | None:
        return None if v is None else round(100.0 * float(v), 1)

    rows: list[list[Any]] = []
    hidden = False
    for item in results:
        own, ref = item["row"], item["reference"] or {}
        hidden = hidden or bool(own.get("suppressed"))
        rows.append([
            item["title"], own["participants"], pct(own.get("share_2")), pct(own.get("share_45")),
            pct(own.get("percent")), pct(ref.get("share_2")), pct(ref.get("share_45")),
        ])
    return Table(
        title="Результаты последнего проанализированного года",
        columns=["Работа", "Участников", "«2», %", "«4» и «5», %", "% от максимума",
                 "Территория: «2», %", "Территория: «4» и «5», %"],
        rows=rows,
        number_formats={2: "0.0", 3: "0.0", 4: "0.0", 5: "0.0", 6: "0.0"},
        note=SUPPRESSED_NOTE if hidden else "",
    )


def _flags_table(flags: list[Any]) -> Table:
    return Table(
        title="Флаги рисков организации",
        columns=["Год", "Вид", "Работа", "Признаки / правила", "Устойчиво", "Статус"],
        rows=[[str(f.year), f.get_kind_display(), f.work_label or "в целом по ОО",
               ", ".join(f.codes), bool(f.persistent), f.get_status_display()] for f in flags],
        note="Флаг — основание для проверки, а не вывод: его подтверждает или отклоняет "
             "орган управления образованием.",
    )


def _risk_summary_table(summaries: list[Any]) -> Table:
    return Table(
        title="Профиль рисков по годам",
        columns=["Год", "Индекс результатов", "ШНОР", "Индекс социального контекста", "ШФНСУ",
                 "Работ с признаками необъективности"],
        rows=[[str(s.year), None if s.results_index is None else round(s.results_index, 2),
               bool(s.low_results),
               None if s.social_index is None else round(s.social_index, 2), bool(s.social),
               s.objectivity_works] for s in summaries],
        number_formats={1: "0.00", 3: "0.00"},
    )


def _org_cycle(scope: Any, org: Any) -> tuple[list[Any], list[Any], list[Any]]:
    from soko.cycle.selectors import measure_list, organization_items, recommendation_list

    recs = list(recommendation_list(scope, organization=org, include_obsolete=False))
    measures = list(measure_list(scope).filter(organizations=org))
    items = list(organization_items(scope, org))
    return recs, measures, items


def _passport_conclusions(org: Any, indicators: dict[str, Any], results: list[dict[str, Any]],
                          flags: dict[str, Any] | None, recs: list[Any], items: list[Any],
                          minimum: int) -> list[str]:
    out: list[str] = []
    better: list[str] = []
    worse: list[str] = []
    below_territory: list[str] = []
    for _, rows in indicators["groups"]:
        for r in rows:
            ind, v, ref = r.indicator, r.value, r.territory_value
            name = ind.short_name or ind.name
            if v.change is not None and v.change_significant:
                (better if _is_better(v.change, ind.polarity) else worse).append(name)
            if (ind.key and v.value is not None and ref is not None and ref.value is not None
                    and not v.suppressed and not ref.suppressed
                    and not _is_better(v.value - ref.value, ind.polarity)
                    and abs(v.value - ref.value) >= 0.05):
                below_territory.append(
                    f"«{name}» ({_fmt(v.value, ind.unit)} при {_fmt(ref.value, ind.unit)} "
                    "по территории)")
    if below_territory:
        out.append("Ключевые показатели хуже значения территории: "
                   + "; ".join(below_territory) + ".")
    if better:
        out.append("Значимое улучшение к прошлому году: "
                   + ", ".join(f"«{n}»" for n in better) + ".")
    if worse:
        out.append("Значимое ухудшение к прошлому году: "
                   + ", ".join(f"«{n}»" for n in worse) + ".")
    high_two = [r["title"] for r in results
                if r["row"].get("share_2") is not None and r["row"]["share_2"] >= 0.3]
    if high_two:
        out.append("Доля «2» не менее 30 % в работах: " + ", ".join(high_two)
                   + " — требуется анализ затруднений обучающихся по заданиям.")
    active = [f for f in (flags or {}).get("flags", []) if f.status != "dismissed" and f.current]
    if active:
        kinds = sorted({f.get_kind_display() for f in active})
        out.append(f"Действующие флаги рисков ({len(active)}): " + ", ".join(kinds)
                   + ". Рекомендуется рассмотреть их с приложенными доказательствами.")
    open_recs = [r for r in recs if r.status != "rejected"]
    if open_recs:
        out.append(f"Организации адресовано рекомендаций: {len(open_recs)}; их выполнение "
                   "следует отразить в плане работы на следующий год.")
    pending = [i for i in items if i.status not in ("done", "cancelled")]
    if pending:
        out.append(f"Не завершено мероприятий дорожных карт: {len(pending)}.")
    if not out:
        out.append(f"Существенных отклонений у «{org.short_name}» не выявлено; рекомендуется "
                   "сохранить достигнутый уровень результатов.")
    return out
