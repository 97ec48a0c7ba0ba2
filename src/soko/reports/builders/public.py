"""Annual reports of the territory: «Комплексный анализ и адресные рекомендации по итогам года»
(agreement of ВПР / ОГЭ / ЕГЭ positions, dynamics, cohorts, clusters, risks, recommendations) and
«Публичный доклад» (network, key results, talents, objectivity and low results as counts only,
measures, goals for the next year — in plain language, no school named negatively).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
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
from soko.reports.document import Bullets, Chart, Document, Paragraph, Table, counted

SYSTEM = "системное значение"
METHOD = "Методика комплексного анализа СОКО"



def _direction_label(code: str) -> str:
    from soko.cycle.directions import direction_label

    return str(direction_label(code))


def _seq(series: dict[str, list[float | None]]) -> dict[str, Sequence[float | None]]:
    """The series as the chart functions type them."""
    return dict(series)


def _width(categories: list[str]) -> float:
    """A wider figure for many categories, so that wrapped labels never touch."""
    return 6.8 if len(categories) <= 4 else 9.6


# --- «Комплексный анализ» ----------------------------------------------------------------------


@register("complex", "Комплексный анализ и адресные рекомендации по итогам года")
def build_complex(ctx: BuildContext) -> Document:
    """The comprehensive analysis of the year in the report's territory, with the risks summary
    and the addressed recommendations of the management cycle."""
    from soko.analyses.selectors import comprehensive_data
    from soko.cycle.selectors import recommendation_list
    from soko.risks.selectors import overview

    year = ctx.year
    if year is None:
        raise refuse("Укажите год отчёта.")
    scope = anchor_scope(ctx)
    data = comprehensive_data(scope, year)
    has_analysis = bool(data["agreements"] or data["cohorts"] or data["negative_trends"]
                        or any(r["members"] for r in data["clusters"]))
    if not has_analysis:
        raise refuse(
            f"Нет результатов комплексного анализа за {year} год (согласованность ВПР, ОГЭ и "
            f"ЕГЭ, когорты, кластеры). Загрузите результаты процедур и выполните анализ: "
            f"soko analyze --year {year}."
        )
    risks = next((r for r in overview(scope) if r["year"] == year), None)
    recs = list(recommendation_list(scope, include_obsolete=False).filter(year=year))
    doc = new_document(
        ctx, f"Итоги {year} года: согласованность результатов, динамика, когорты, кластеры, "
             "риски и адресные рекомендации",
        ["СОКО: результаты ВПР, ОГЭ и ЕГЭ (сводные показатели ОО)",
         "СОКО: комплексный анализ результатов и расчёт рисков"],
    )

    agreements = data["agreements"]
    section = doc.section("Согласованность результатов ВПР, ОГЭ и ЕГЭ")
    agree = sum(1 for a in agreements if a["agrees"] is True)
    disagree = [a for a in agreements if a["agrees"] is False]
    section.add(Paragraph(
        f"Позиции ОО (стандартизованное отклонение от среднего по региону, в SD) сопоставлены "
        f"для {len(agreements)} организаций: согласованы у {agree}, расходятся у "
        f"{len(disagree)} (разрыв больше {data['max_gap']} SD).",
        style="lead",
    ))
    section.add(Table(
        title="Позиции ОО по процедурам",
        columns=["ОО", "ВПР", "ОГЭ", "ЕГЭ", "Разрыв", "Согласованы", "Вывод"],
        rows=[[a["name"], rounded(a["vpr"], 2), rounded(a["oge"], 2), rounded(a["ege"], 2),
               rounded(a["gap"], 2), a["agrees"], a["text"]] for a in agreements],
        number_formats={1: "0.00", 2: "0.00", 3: "0.00", 4: "0.00"},
        note="Позиция ОО не рассчитывается по работам с числом участников меньше минимального "
             "(«—»).",
    ))

    section = doc.section("Динамика позиций и доли «2»")
    dyn_years = data["dynamics_years"]
    if data["dynamics"]:
        section.add(Table(
            title="Динамика позиций ОО по годам",
            columns=["ОО", "Процедура", *[f"{y} г." for y in dyn_years], "Изменение"],
            rows=[[d["name"], d["procedure"], *[rounded(v, 2) for v in d["values"]],
                   rounded(d["change"], 2)] for d in data["dynamics"]],
            number_formats=dict.fromkeys(range(2, 3 + len(dyn_years)), "0.00"),
        ))
    negative = data["negative_trends"]
    section.add(Table(
        title="Работы с ростом доли «2»",
        columns=["ОО", "Работа", "Доля «2» по годам", "Изменение, п. п."],
        rows=[[n["name"], f"{n['procedure']} {n['subject']}"
               + (f", {n['grade']} кл." if n["grade"] else ""),
               "; ".join(f"{p['year']}: {rounded(p['share_2_pct'], 1)} %".replace(".", ",")
                         for p in n["points"]), rounded(n["change_pp"], 1)] for n in negative],
        number_formats={3: "0.0"},
        note="" if negative else "Отрицательной динамики доли «2» не выявлено.",
    ))

    cohorts = data["cohorts"]
    section = doc.section("Когорты: переход классов из года в год")
    section.add(Table(
        title="Когорты",
        columns=["ОО", "Предмет", "Откуда", "Куда", "Позиция было", "Позиция стало",
                 "Изменение", "Вывод"],
        rows=[[c["name"], c["subject"], c["from"], c["to"], c["from_z"], c["to_z"], c["change"],
               c["verdict_label"]] for c in cohorts],
        number_formats={4: "0.00", 5: "0.00", 6: "0.00"},
        note="" if cohorts else "Когорт за год не сформировано (нужны результаты двух лет).",
    ))

    section = doc.section("Кластеры образовательных организаций")
    for run in data["clusters"]:
        section.add(Paragraph(run["explanation"]))
        if not run["k"]:
            continue
        section.add(Table(
            title=f"Кластеры ({run['territory']})",
            columns=["Кластер", "ОО в кластере", "Описание профиля"],
            rows=[[c["label"], c["size"], c["description"]] for c in run["clusters"]],
        ))
        section.add(Table(
            title=f"Состав кластеров ({run['territory']})",
            columns=["Кластер", "ОО", "ВПР", "ОГЭ", "ЕГЭ"],
            rows=[[m["cluster"] + 1, m["name"], rounded(m["features"].get("ВПР"), 2),
                   rounded(m["features"].get("ОГЭ"), 2), rounded(m["features"].get("ЕГЭ"), 2)]
                  for m in run["members"]],
            number_formats={2: "0.00", 3: "0.00", 4: "0.00"},
        ))
        chart = _cluster_chart(run)
        if chart is not None:
            section.add(chart)
    if not data["clusters"]:
        section.add(Paragraph("Кластерный анализ за год не выполнялся.", style="note"))

    section = doc.section("Риски")
    section.add(_risk_table(risks))

    section = doc.section("Адресные рекомендации")
    section.add(Table(
        title="Адресные рекомендации по итогам года",
        columns=["Адресат", "Направление", "Рекомендация", "Состояние"],
        rows=[[r.organization.short_name if r.organization else (r.group or r.territory.name),
               _direction_label(r.direction), r.title, r.get_status_display()] for r in recs],
        note="" if recs else "Рекомендации за год не сформированы.",
    ))
    if recs:
        by_dir = Counter(_direction_label(r.direction) for r in recs)
        categories = list(by_dir)
        series: dict[str, list[float | None]] = {"рекомендаций": [float(by_dir[c])
                                                                  for c in categories]}
        title = "Адресные рекомендации по направлениям"
        png = charts.grouped_bars(title, categories, _seq(series),
                                  width_in=_width(categories), percent=False)
        section.add(Chart(title=title, png=png, kind="bar", categories=categories,
                          series=series))

    doc.section("Выводы").add(Bullets(_complex_conclusions(data, risks, recs)))
    doc.section("Рекомендации органу управления").add(
        Bullets(_complex_recommendations(data, risks, recs))
    )
    doc.methodology = [
        *method_notes(["privacy.min_group_size", "analyses.agreement.max_gap",
                       "analyses.position.level_sd", "analyses.cohort.change_sd",
                       "vpr.share2_dynamics.negative_pp", "low_results.rule_30pct.share"], year),
        note("Позиция ОО", "стандартизованное отклонение результата ОО от регионального "
             "среднего с поправкой на малые группы", METHOD, SYSTEM),
        note("Кластеризация", "; ".join(sorted({r["method"] for r in data["clusters"]})) or "—",
             METHOD, SYSTEM),
    ]
    return doc


def _cluster_chart(run: dict[str, Any]) -> Chart | None:
    points = [m for m in run["members"]
              if m["features"].get("ВПР") is not None and m["features"].get("ГИА") is not None]
    if len(points) < 2:
        return None
    x = [float(m["features"]["ВПР"]) for m in points]
    y = [float(m["features"]["ГИА"]) for m in points]
    names = [f"{m['name']} (кл. {m['cluster'] + 1})" for m in points]
    title = "Позиции ОО: ВПР и ГИА (SD)"
    png = charts.scatter(title, x, y, names, xlabel="позиция по ВПР, SD",
                         ylabel="позиция по ГИА, SD")
    return Chart(title=title, png=png, kind="scatter", categories=names,
                 series={"ВПР": [rounded(v, 2) for v in x], "ГИА": [rounded(v, 2) for v in y]})


def _risk_table(risks: dict[str, Any] | None) -> Table:
    from soko.risks.models import FlagKind

    rows: list[list[Any]] = []
    if risks is not None:
        for code, label in FlagKind.choices:
            cell = risks["kinds"][code]
            rows.append([str(label), cell["schools"], cell["total"], cell["confirmed"],
                         cell["open"], cell["dismissed"]])
    return Table(
        title="Флаги рисков за год",
        columns=["Вид", "ОО (без отклонённых)", "Флагов", "Подтверждено", "Не рассмотрено",
                 "Отклонено"],
        rows=rows,
        note="" if risks is not None else "Риски за год не рассчитаны (soko analyze).",
    )


def _complex_conclusions(data: dict[str, Any], risks: dict[str, Any] | None,
                         recs: list[Any]) -> list[str]:
    out: list[str] = []
    disagree = [a for a in data["agreements"] if a["agrees"] is False]
    if disagree:
        out.append("Позиции по ВПР и ГИА расходятся у " + str(len(disagree)) + " ОО: "
                   + "; ".join(f"{a['name']} — {a['text']}" for a in disagree) + ".")
    elif data["agreements"]:
        out.append("Позиции ОО по ВПР, ОГЭ и ЕГЭ согласованы: расхождений больше допустимого "
                   "разрыва нет.")
    drops = [c for c in data["cohorts"] if c["verdict"] == "drop"]
    rises = [c for c in data["cohorts"] if c["verdict"] == "rise"]
    if drops:
        out.append("Снижение позиции когорты: " + "; ".join(
            f"{c['name']}, {c['subject']} ({c['from']} → {c['to']}, {c['change']:+.2f} SD)"
            .replace(".", ",", 1) for c in drops) + ".")
    if rises:
        out.append(f"Рост позиции когорты в {len(rises)} случаях: "
                   + ", ".join(sorted({c['name'] for c in rises})) + ".")
    if data["negative_trends"]:
        out.append(f"Рост доли «2» выявлен по {len(data['negative_trends'])} работам.")
    if risks is not None:
        low = risks["kinds"]["low_results"]["schools"]
        obj = risks["kinds"]["objectivity"]["schools"]
        out.append(f"ОО с признаками низких результатов: {low}; с признаками необъективности: "
                   f"{obj}; флагов, устойчивых два года подряд: {risks['persistent']}.")
    out.append(f"Сформировано адресных рекомендаций: {len(recs)}, из них утверждено "
               f"{sum(1 for r in recs if r.status == 'approved')}.")
    return out


def _complex_recommendations(data: dict[str, Any], risks: dict[str, Any] | None,
                             recs: list[Any]) -> list[str]:
    out: list[str] = []
    if any(a["agrees"] is False for a in data["agreements"]):
        out.append("Для ОО с расхождением позиций ВПР и ГИА провести анализ объективности "
                   "оценивания и условий проведения процедур (наблюдение, перепроверка работ).")
    if any(c["verdict"] == "drop" for c in data["cohorts"]):
        out.append("Для когорт со снижением позиции организовать методическое сопровождение "
                   "педагогов параллели по предмету и контрольную диагностику.")
    if data["negative_trends"]:
        out.append("Включить работы с ростом доли «2» в план адресной методической помощи.")
    drafts = [r for r in recs if r.status == "draft"]
    if drafts:
        out.append(f"Рассмотреть и утвердить проекты рекомендаций ({len(drafts)}), после чего "
                   "направить их адресатам и связать с мерами дорожной карты.")
    if risks is not None and sum(k["open"] for k in risks["kinds"].values()):
        out.append("Рассмотреть не рассмотренные флаги рисков с приложенными доказательствами.")
    if not out:
        out.append("Сохранить действующие меры; в следующем году повторить комплексный анализ "
                   "для подтверждения устойчивости результатов.")
    return out


# --- «Публичный доклад» ------------------------------------------------------------------------


@register("public", "Публичный доклад о состоянии муниципальной системы образования")
def build_public(ctx: BuildContext) -> Document:
    """The annual public report of the territory: aggregates only, plain language."""
    from soko.cycle.selectors import measure_list
    from soko.indicators.selectors import indicator_list, subject_values, targets
    from soko.registry.models import OrgKind, OrgType, Settlement
    from soko.registry.selectors import registry_summary
    from soko.risks.selectors import overview

    year = ctx.year
    territory = ctx.territory
    if year is None:
        raise refuse("Укажите год отчёта.")
    if territory is None:
        raise refuse("Публичный доклад готовится по территории: не определена территория.")
    scope = anchor_scope(ctx)
    summary = registry_summary(scope)
    values = list(subject_values(scope, years=[year - 1, year], territory=territory))
    if summary.organizations == 0 or not any(v.year == year for v in values):
        raise refuse(
            f"Нет данных для публичного доклада за {year} год по территории «{territory.name}»: "
            "нужны реестр организаций и рассчитанные показатели территории. Загрузите данные и "
            f"выполните расчёт: soko compute --year {year}."
        )
    doc = new_document(
        ctx, f"Публичный доклад за {year} год",
        ["Реестр образовательных организаций СОКО",
         f"СОКО: показатели территории «{territory.name}» за {year - 1}–{year} годы"],
    )
    minimum = min_group()

    # 1. network
    section = doc.section("Сеть образовательных организаций")
    kinds = dict(OrgKind.choices)
    types = dict(OrgType.choices)
    section.add(Paragraph(
        f"В системе образования территории "
        f"{counted(summary.organizations, 'организация', 'организации', 'организаций')}, "
        "в том числе "
        f"{summary.rural} в сельской местности; обучающихся — {summary.students}, педагогов — "
        f"{summary.teachers}.",
        style="lead",
    ))
    section.add(Table(
        title="Организации по видам и типам",
        columns=["Вид / тип", "Количество"],
        rows=[[str(kinds.get(k, k)), n] for k, n in sorted(summary.by_kind.items())]
        + [[f"— {types.get(t, t)}", n] for t, n in sorted(summary.by_type.items())],
    ))
    section.add(Table(
        title="Основные сведения о сети",
        columns=["Показатель", "Значение"],
        rows=[["Организаций всего", summary.organizations],
              [f"Из них в местности «{Settlement.RURAL.label}»", summary.rural],
              ["Обучающихся", summary.students],
              ["Педагогов", summary.teachers]],
    ))

    # 2. results
    keys = {i.pk: i for i in indicator_list().filter(key=True)}
    by_ind: dict[int, dict[int, float | None]] = {}
    for v in values:
        if v.indicator_id in keys:
            by_ind.setdefault(v.indicator_id, {})[v.year] = None if v.suppressed else v.value
    section = doc.section("Образовательные результаты")
    rows: list[list[Any]] = []
    plain: list[str] = []
    for pk, ind in keys.items():
        if pk not in by_ind:
            continue
        now, before = by_ind[pk].get(year), by_ind[pk].get(year - 1)
        trend = _plain_trend(now, before, ind.polarity)
        rows.append([ind.short_name or ind.name, ind.unit, rounded(before, 1), rounded(now, 1),
                     trend])
        if trend in ("улучшился", "ухудшился"):
            plain.append(f"«{ind.short_name or ind.name}» {trend}")
    section.add(Paragraph(
        "Ключевые показатели территории за два последних года. "
        + ("За год " + ", ".join(plain) + "." if plain else
           "Существенных изменений ключевых показателей за год нет.")
    ))
    section.add(Table(
        title="Ключевые показатели",
        columns=["Показатель", "Ед.", f"{year - 1} г.", f"{year} г.", "Изменение"],
        rows=rows,
        number_formats={2: "0.0", 3: "0.0"},
        note=f"«—» — нет данных или группа меньше {minimum} человек.",
    ))
    chart_rows = [r for r in rows if r[1].strip() == "%" and r[3] is not None][:6]
    if chart_rows:
        categories = [r[0] for r in chart_rows]
        series: dict[str, list[float | None]] = {f"{year - 1} г.": [r[2] for r in chart_rows],
                                                 f"{year} г.": [r[3] for r in chart_rows]}
        title = f"Ключевые показатели {year - 1}–{year} гг., %"
        png = charts.grouped_bars(title, categories, _seq(series), width_in=_width(categories),
                                  colours=[charts.LEVEL_COLOURS[1], charts.ACCENT])
        section.add(Chart(title=title, png=png, kind="bar", categories=categories,
                          series=series))

    # 3. talents
    section = doc.section("Одарённые дети и олимпиады")
    section.add(_talents_table(scope, year, values))

    # 4. objectivity and low results — counts only
    section = doc.section("Объективность оценки и поддержка школ")
    risks = next((r for r in overview(scope) if r["year"] == year), None)
    if risks is None:
        section.add(Paragraph("Оценка рисков за год не проводилась.", style="note"))
    else:
        k = risks["kinds"]
        section.add(Paragraph(
            f"По итогам анализа результатов {year} года выявлено организаций: с низкими "
            f"результатами обучения — {k['low_results']['schools']}, в неблагоприятных "
            f"социальных условиях — {k['social']['schools']}, с признаками необъективности "
            f"результатов — {k['objectivity']['schools']}. Эти школы получают адресную "
            "методическую помощь; признаки — повод для проверки, а не вывод."
        ))
        section.add(Table(
            title="Школы, которым оказывается поддержка",
            columns=["Группа", "Число организаций"],
            rows=[["Низкие результаты обучения", k["low_results"]["schools"]],
                  ["Неблагоприятные социальные условия", k["social"]["schools"]],
                  ["Признаки необъективности результатов", k["objectivity"]["schools"]]],
            note="Названия организаций в публичном докладе не приводятся.",
        ))

    # 5. measures
    section = doc.section("Принятые меры")
    measures = [m for m in measure_list(scope)
                if (m.start_date is None or m.start_date.year <= year)
                and (m.end_date is None or m.end_date.year >= year)
                and m.status != "cancelled"]
    section.add(Table(
        title="Меры по повышению качества образования",
        columns=["Мера", "Направление", "Состояние", "Организаций-участников"],
        rows=[[m.title, _direction_label(m.direction), m.get_status_display(),
               len(m.organizations.all())] for m in measures],
        note="" if measures else "Мер за год не зарегистрировано.",
    ))

    # 6. goals
    section = doc.section(f"Задачи на {year + 1} год")
    goals = list(targets(scope, year=year + 1).filter(territory=territory, breakdown_key=""))
    if goals:
        section.add(Table(
            title=f"Целевые значения на {year + 1} год",
            columns=["Показатель", "Цель", "Ожидаемое значение по тренду"],
            rows=[[g.indicator.short_name or g.indicator.name, rounded(g.value, 1),
                   rounded(g.projected_value, 1)] for g in goals],
            number_formats={1: "0.0", 2: "0.0"},
        ))
    section.add(Bullets(_public_goals(rows, goals, risks, year)))
    doc.methodology = [
        *method_notes(["privacy.min_group_size", "indicators.significance.alpha"], year),
        note("Изменение показателя", "«улучшился» / «ухудшился» — статистически значимое "
             "изменение к прошлому году с учётом того, рост или снижение является улучшением",
             "Методика расчёта показателей СОКО", SYSTEM),
        note("Сведения о рисках", "публикуются только числа организаций", "Политика "
             "публикации СОКО", SYSTEM),
    ]
    return doc


def _plain_trend(now: float | None, before: float | None, polarity: str) -> str:
    if now is None or before is None:
        return "нет данных для сравнения"
    if abs(now - before) < 0.5:
        return "без существенных изменений"
    better = (now > before) == (polarity == "higher_better")
    return "улучшился" if better else "ухудшился"


def _talents_table(scope: Any, year: int, values: list[Any]) -> Table:
    from django.core.exceptions import PermissionDenied

    from soko.monitoring.selectors import talent_totals

    rows: list[list[Any]] = []
    try:
        totals = talent_totals(scope, year=year)
        rows += [["Обучающихся в банке данных «Одарённые дети»", totals["students"]],
                 ["Из них победителей и призёров", totals["with_prizes"]]]
    except PermissionDenied:
        pass
    talent = [v for v in values if v.year == year and v.indicator.direction == "talents"
              and v.indicator.code.startswith("talents.vsosh")]
    rows += [[v.indicator.short_name or v.indicator.name,
              None if v.suppressed or v.value is None
              else (int(v.value) if v.indicator.unit.strip() == "чел." else round(v.value, 1))]
             for v in sorted(talent, key=lambda v: v.indicator.order)]
    return Table(
        title="Олимпиадное движение и одарённые дети",
        columns=["Показатель", "Значение"],
        rows=rows,
        note="Доли — в процентах от участников этапа.",
    )


def _public_goals(rows: list[list[Any]], goals: list[Any], risks: dict[str, Any] | None,
                  year: int) -> list[str]:
    out = [f"Достичь целевого значения показателя «{g.indicator.short_name or g.indicator.name}»"
           f" — {rounded(g.value, 1)} {g.indicator.unit}.".replace(".0 ", ",0 ") for g in goals]
    out += [f"Остановить ухудшение показателя «{r[0]}»." for r in rows if r[4] == "ухудшился"]
    if risks is not None and risks["kinds"]["low_results"]["schools"]:
        out.append("Продолжить адресную поддержку школ с низкими результатами обучения.")
    if not out:
        out.append(f"Сохранить достигнутый в {year} году уровень результатов.")
    return out
