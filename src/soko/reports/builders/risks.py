"""Risk lists with their evidence: ШНОР / ШФНСУ (``low-results``) and schools with signs of
non-objectivity (``objectivity``, the list for the inspection plan).

Both read what the risks area stored (:mod:`soko.risks.selectors`) for the report's anchored
scope and word the evidence with :mod:`soko.risks.describe`, as the pages do.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from soko.accounts.scope import Scope
from soko.core.errors import ApplicationError
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
    share,
    suppress,
)
from soko.reports.document import (
    Bullets,
    Chart,
    Document,
    MethodNote,
    Paragraph,
    Table,
    plural,
)
from soko.risks import selectors
from soko.risks.describe import index_text, marker_text, num, rule_text, social_text
from soko.risks.markers import MARKER_CODES, MARKER_TITLES
from soko.risks.models import Flag, FlagStatus, OfficialComparison
from soko.risks.params import INDEX_PARAMS, MARKER_PARAMS, RULE_PARAMS, SOCIAL_PARAMS

SYSTEM_KIND = "системное значение СОКО"
METHOD_KIND = "научная литература (метод)"
RISKS_METHOD = "Методика области «Риски» СОКО"

QUADRANT_SHORT: dict[str, str] = {
    "priority": "приоритетная поддержка",
    "management": "управленческая проблема",
    "resilient": "резильентные",
    "other": "прочие",
}
QUADRANT_FILL: dict[str, str] = {
    "priority": "#f5c6c2",
    "management": "#fbe3c4",
    "resilient": "#d4ecd5",
}
QUADRANT_COLOURS: dict[str, str] = {
    "priority": charts.MARK_COLOURS[2],
    "management": charts.WARN,
    "resilient": "#2e7d32",
    "other": charts.LEVEL_COLOURS[2],
}
FLAG_FILL = "#f5c6c2"
WARN_FILL = "#fbe3c4"


# --- shared helpers (also used by the cycle reports) ---------------------------------------------


def import_sources(scope: Scope, years: Iterable[int], kinds: Iterable[str] | None = None
                   ) -> list[str]:
    """«Загрузка № 12 от 01.06.2026: ВПР (ФИС ОКО), файл «…»» for the accepted imports of the
    years that touch the scope's organizations (the data behind the stored results)."""
    from django.db.models import Q

    from soko.imports.models import ImportBatch
    from soko.imports.selectors import batch_list
    from soko.imports.services import handler_for

    wanted = sorted(set(years))
    ids = batch_list(scope).exclude(status=ImportBatch.Status.UNDONE).filter(
        Q(year__in=wanted) | Q(slices__year__in=wanted)
    ).values_list("pk", flat=True)
    qs = ImportBatch.objects.filter(pk__in=list(ids))
    if kinds is not None:
        qs = qs.filter(kind__in=list(kinds))
    out: list[str] = []
    for batch in qs.order_by("created_at", "id"):
        try:
            title = handler_for(batch.kind).title
        except ApplicationError:  # a kind of an older version: name it by its code
            title = batch.kind
        year = f", {batch.year} г." if batch.year else ""
        out.append(
            f"Загрузка № {batch.pk} от {batch.created_at:%d.%m.%Y}: {title}{year}, "
            f"файл «{batch.file_name}»"
        )
    return out


def _run_source() -> list[str]:
    run = selectors.last_run()
    if run is None:
        return []
    years = ", ".join(str(y) for y in run.years)
    return [f"Расчёт рисков СОКО от {run.finished_at:%d.%m.%Y %H:%M} (годы: {years})"]


def _status(flag: Flag | None) -> str:
    if flag is None:
        return "—"
    return str(flag.get_status_display())


def _schools(n: int) -> str:
    return f"{n} {plural(n, 'ОО', 'ОО', 'ОО')}"


def _territory(org: Any) -> str:
    territory = getattr(org, "territory", None)
    return str(territory.name) if territory is not None else ""


def _risk_params_refused(year: int) -> None:
    """The thresholds must be loaded, else the appendix would be empty."""
    from soko.catalog.models import Parameter

    if not Parameter.objects.filter(code__in=list(RULE_PARAMS), valid_from__lte=year).exists():
        raise refuse(
            "Не загружены методические параметры области «Риски» (правило 30 %, индекс низких "
            "результатов). Выполните «soko init» или «soko catalog load --force»."
        )


# --- ШНОР / ШФНСУ -------------------------------------------------------------------------------


@register("low-results", "Перечень ШНОР / ШФНСУ с обоснованием")
def low_results(ctx: BuildContext) -> Document:
    """The schools with low results and in difficult social conditions with the evidence per
    school: rule of 30 %, low-results index, social context index, quadrant, risk profile."""
    if ctx.year is None:
        raise refuse("Для перечня ШНОР / ШФНСУ укажите год (--year).")
    year = ctx.year
    scope = anchor_scope(ctx)
    page = selectors.low_results_page(scope, year=year)
    if not page.rows:
        raise refuse(
            f"Риски за {year} год не рассчитаны для этой территории: нет сводок по ОО "
            f"(индекс результатов, правило 30 %, ИСК). Загрузите результаты ВПР / ГИА за {year} "
            f"год и выполните «soko analyze --year {year}»."
        )
    _risk_params_refused(year)
    minimum = min_group()

    doc = new_document(
        ctx,
        f"Школы с низкими образовательными результатами (ШНОР) и в неблагоприятных социальных "
        f"условиях (ШФНСУ), {year} год",
        [*import_sources(scope, range(year - 2, year + 1)), *_run_source()],
    )
    rows = page.rows
    total = len(rows)
    listed = [r for r in rows if r["summary"].low_results or r["summary"].social]

    def active(flag: Flag | None) -> bool:
        return flag is not None and flag.status != FlagStatus.DISMISSED

    low = [r for r in rows if active(r["low_flag"])]
    social = [r for r in rows if active(r["social_flag"])]
    both = [r for r in low if active(r["social_flag"])]
    rule_n = sum(1 for r in low if "rule_30pct" in r["low_flag"].codes)
    index_n = sum(1 for r in low if "low_index" in r["low_flag"].codes)
    persistent = [r for r in low if r["low_flag"].persistent]
    dismissed = [r for r in listed if (r["low_flag"] and r["low_flag"].status ==
                                       FlagStatus.DISMISSED) or
                 (r["social_flag"] and r["social_flag"].status == FlagStatus.DISMISSED)]
    unreliable = [r for r in low if (r["objectivity"] or {}).get("markers")]
    quadrants = Counter(r["summary"].quadrant or "other" for r in rows)

    # 1. Итоги
    head = doc.section("Итоги")
    head.add(Paragraph(
        f"Риски рассчитаны для {_schools(total)}. Признаки низких результатов обучения (ШНОР) — "
        f"у {_schools(len(low))} ({format_share(len(low), total)}), в том числе по правилу 30 % — "
        f"{rule_n}, по индексу низких результатов — {index_n}. Неблагоприятные социальные "
        f"условия (ШФНСУ) — у {_schools(len(social))}; одновременно ШНОР и ШФНСУ — {len(both)}. "
        f"Флаги, отклонённые после рассмотрения, в численность не входят.",
        style="lead",
    ))
    head.add(Table(
        "Распределение ОО по квадрантам «социальный контекст × результаты»",
        ["Квадрант", "Число ОО", "Доля ОО, %"],
        [[QUADRANT_SHORT[q], quadrants.get(q, 0), share(quadrants.get(q, 0), total)]
         for q in QUADRANT_SHORT],
        number_formats={2: "0.0"},
        note="Квадрант: приоритетная поддержка — низкие результаты и неблагоприятные условия; "
             "управленческая проблема — низкие результаты при обычных условиях; резильентные — "
             "неблагоприятные условия при результатах не ниже среднего.",
    ))
    categories = [QUADRANT_SHORT[q] for q in QUADRANT_SHORT]
    counts: list[float | None] = [float(quadrants.get(q, 0)) for q in QUADRANT_SHORT]
    head.add(Chart(
        "Число ОО по квадрантам",
        charts.count_bars("Число ОО по квадрантам", categories, counts,
                   [QUADRANT_COLOURS[q] for q in QUADRANT_SHORT]),
        kind="bar", categories=categories, series={"Число ОО": counts},
    ))
    points = [r for r in rows if r["summary"].results_index is not None
              and r["summary"].social_index is not None]
    if len(points) >= 2:
        names = [r["org"].short_name for r in points]
        xs = [float(r["summary"].social_index) for r in points]
        ys = [float(r["summary"].results_index) for r in points]
        marks = [bool(r["summary"].low_results or r["summary"].social) for r in points]
        title = "Индекс социального контекста и индекс результатов ОО"
        head.add(Chart(
            title,
            charts.scatter(title, xs, ys, names,
                           xlabel="ИСК (правее — неблагоприятнее)",
                           ylabel="индекс результатов, SD", highlight=marks),
            kind="scatter", categories=names,
            series={"ИСК": [round(x, 3) for x in xs],
                    "Индекс результатов, SD": [round(y, 3) for y in ys]},
        ))
    elif not page.scatter:
        head.add(Paragraph(
            "Диаграмма «социальный контекст × результаты» не построена: сведения о социальном "
            "контексте ОО за этот год не загружены.", style="note"))

    # 2. Перечень
    lst = doc.section("Перечень ШНОР и ШФНСУ")
    table_rows: list[list[Any]] = []
    highlight: dict[tuple[int, int], str] = {}
    for i, r in enumerate(listed):
        s = r["summary"]
        grounds = []
        if s.rule_30pct:
            grounds.append("правило 30 %")
        if s.low_index:
            grounds.append("индекс")
        table_rows.append([
            i + 1, r["org"].short_name, _territory(r["org"]),
            ", ".join(grounds) if grounds else "нет", "да" if s.social else "нет",
            QUADRANT_SHORT.get(s.quadrant or "other", s.quadrant),
            rounded(s.results_index, 2), _pct(s.results_percentile), rounded(s.social_index, 2),
            _pct(s.social_percentile), rounded(s.residual, 2),
            "да" if (r["low_flag"] and r["low_flag"].persistent) else "нет",
            "; ".join(x for x in (
                f"ШНОР: {_status(r['low_flag'])}" if r["low_flag"] else "",
                f"ШФНСУ: {_status(r['social_flag'])}" if r["social_flag"] else "") if x),
        ])
        fill = QUADRANT_FILL.get(s.quadrant or "")
        if fill:
            highlight[(i, 5)] = fill
    lst.add(Table(
        "Перечень ШНОР и ШФНСУ",
        ["№", "ОО", "Территория", "ШНОР: основание", "ШФНСУ", "Квадрант",
         "Индекс результатов, SD", "Процентиль результатов, %", "ИСК", "Процентиль ИСК, %",
         "С учётом контекста", "Устойчиво", "Решение по флагу"],
        table_rows,
        number_formats={6: "0.00", 7: "0", 8: "0.00", 9: "0", 10: "0.00"},
        highlight=highlight,
        note="Индекс результатов — стандартизированный результат ОО (0 — средний по региону); "
             "ИСК — индекс социального контекста (выше — неблагоприятнее); «с учётом "
             "контекста» — отклонение от результата, ожидаемого при таком ИСК.",
    ) if table_rows else Paragraph(
        f"В {year} году ОО с признаками ШНОР или ШФНСУ не выявлено."))

    # 3. Обоснование по ОО
    if listed:
        ev = doc.section("Обоснование по каждой ОО")
        work_rows: list[list[Any]] = []
        small = False
        for r in listed:
            s = r["summary"]
            org = r["org"]
            ev.add(Paragraph(f"{org.short_name} ({_territory(org)})", style="lead"))
            items = [
                f"Правило 30 %: {rule_text(r['rule'])}",
                f"Индекс низких результатов: {index_text(r['index'])}",
                f"Социальный контекст: {social_text((s.evidence or {}).get('social'))}",
                f"Квадрант: {QUADRANT_SHORT.get(s.quadrant or 'other', s.quadrant)}; " + (
                    f"результат с учётом контекста {num(s.residual, 2)} SD."
                    if s.residual is not None else
                    "результат с учётом контекста не рассчитан (нет сведений о социальном "
                    "контексте)."),
            ]
            obj = r["objectivity"] or {}
            if obj.get("markers"):
                items.append(
                    "Результаты ненадёжны: есть признаки необъективности ("
                    + ", ".join(obj.get("codes", [])) + "); низкие результаты могут быть "
                    "занижены или завышены — сопоставьте с перепроверкой работ.")
            profile = r["profile"] or {}
            if profile.get("available") and profile.get("values"):
                labels = profile.get("fields") or {}
                items.append("Рисковый профиль «500+»: " + "; ".join(
                    f"{labels.get(k, k)}: {num(v, 2)}" for k, v in profile["values"].items()))
            else:
                items.append("Рисковый профиль «500+»: профиль рисков не собран (форма "
                             "мониторинга не заполнена).")
            ev.add(Bullets(items))
            for w in (r["rule"] or {}).get("works", []):
                n = int(w.get("n") or 0)
                if n < minimum:
                    small = True
                part = w.get("share")
                work_rows.append([
                    org.short_name, w.get("label", ""), n, suppress(w.get("n2"), n, minimum),
                    suppress(round(100 * part, 1) if part is not None else None, n, minimum),
                    "да" if w.get("fails") else "нет", "да" if w.get("repeated") else "нет",
                    "да" if w.get("counted") else "нет",
                ])
        if work_rows:
            ev.add(Table(
                "Правило 30 %: работы ОО из перечня",
                ["ОО", "Работа", "Участников", "Получили «2»", "Доля «2», %",
                 "Не ниже порога", "И в прошлом году", "Учитывается"],
                work_rows,
                number_formats={4: "0.0"},
                note=(f"«—»: группа меньше {minimum} участников (минимальный размер группы) не "
                      "показывается отдельно. " if small else "")
                + "Работы с числом участников меньше порога правила не учитываются.",
            ))

    # 4. Выводы и рекомендации
    out = doc.section("Выводы и рекомендации")
    conclusions = [
        f"Признаки ШНОР выявлены у {_schools(len(low))} из {total} "
        f"({format_share(len(low), total)}); ШФНСУ — у {_schools(len(social))}.",
    ]
    if both:
        conclusions.append(
            "Приоритетная поддержка (ШНОР в неблагоприятных условиях): "
            + ", ".join(r["org"].short_name for r in both) + ".")
    if quadrants.get("management"):
        conclusions.append(
            f"Низкие результаты при обычных социальных условиях — {quadrants['management']} "
            f"ОО: причины вероятнее во внутришкольном управлении, чем в контингенте.")
    if quadrants.get("resilient"):
        conclusions.append(
            f"Резильентных ОО (неблагоприятные условия, результаты не ниже среднего) — "
            f"{quadrants['resilient']}: их практики стоит изучить и распространить.")
    if persistent:
        conclusions.append(
            "Низкие результаты устойчиво (два года подряд и более): "
            + ", ".join(r["org"].short_name for r in persistent) + ".")
    if unreliable:
        conclusions.append(
            f"У {_schools(len(unreliable))} из перечня ШНОР есть признаки необъективности: их "
            "результаты требуют перепроверки до выводов о причинах.")
    if dismissed:
        conclusions.append(
            "Флаги отклонены после рассмотрения: "
            + ", ".join(r["org"].short_name for r in dismissed) + ".")
    out.add(Bullets(conclusions))
    recs: list[str] = []
    if low:
        recs.append("Включить ОО из перечня ШНОР в программу адресной поддержки (500+ или "
                    "региональную): диагностика причин, антирисковая программа ОО, наставничество "
                    "со стороны ОО с высокими результатами.")
    if both:
        recs.append("Для ОО приоритетной поддержки — дополнительные ресурсы (кадры, "
                    "психолого-педагогическое сопровождение), а не только методическая помощь.")
    if quadrants.get("management"):
        recs.append("Для ОО квадранта «управленческая проблема» — анализ управления качеством "
                    "(внутренняя система оценки, расстановка кадров), собеседование с "
                    "руководителем.")
    if unreliable:
        recs.append("Провести перепроверку работ ОО с признаками необъективности до включения "
                    "в перечень ШНОР окончательно.")
    if not recs:
        recs.append("Сохранить мониторинг результатов и социального контекста ОО; перечень "
                    "пересмотреть после загрузки результатов следующего года.")
    out.add(Paragraph("Рекомендации:"))
    out.add(Bullets(recs))

    doc.methodology = [
        *method_notes([*RULE_PARAMS, *INDEX_PARAMS, *SOCIAL_PARAMS, "privacy.min_group_size"],
                      year),
        *_low_results_notes(page.value_added),
    ]
    return doc


def format_share(part: int, whole: int) -> str:
    value = share(part, whole)
    return "—" if value is None else f"{num(value, 1)} %"


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100.0 * float(value), 0)


def _low_results_notes(value_added: dict[str, Any] | None) -> list[MethodNote]:
    notes = [
        note("ШНОР", "правило 30 % или индекс низких результатов", RISKS_METHOD, SYSTEM_KIND),
        note("Квадранты", "индекс результатов ниже / не ниже среднего × ИСК в верхней четверти "
             "/ нет", RISKS_METHOD, SYSTEM_KIND),
    ]
    if value_added and value_added.get("n"):
        notes.append(note(
            "Результат с учётом контекста",
            f"остаток регрессии индекса результатов на ИСК (n = {value_added.get('n')}, R² = "
            f"{num(value_added.get('r2'), 2)})",
            "Модели «value added» (остаток МНК-регрессии)", METHOD_KIND))
    return notes


# --- признаки необъективности ------------------------------------------------------------------

def _pp(value: Any) -> str:
    """A share 0–1 as percentage points."""
    return "—" if value is None else num(100 * float(value), 1)


def marker_figures(code: str, d: dict[str, Any]) -> tuple[str, str]:
    """(statistic, threshold) of a marker in words, from its stored evidence."""
    stat = d.get("statistic")
    if code == "M1":
        return f"z = {num(stat, 2)}", f"z ≥ {num(d.get('z_min'), 1)}"
    if code == "M2":
        return (f"базовый уровень {num(d.get('basic_diff_pp'))} п. п., повышенный "
                f"{num(d.get('hard_diff_pp'))} п. п.",
                f"базовый ≤ {num(d.get('basic_max_diff_pp'))} п. п., повышенный ≥ "
                f"+{num(d.get('hard_min_diff_pp'))} п. п.")
    if code == "M3":
        return (f"превышение ожидаемого {_pp(stat)} п. п.",
                f"≥ {num(d.get('excess_pp'), 0)} п. п. при p ≤ {num(d.get('alpha'), 5)}")
    if code == "M4":
        return (f"z = {num(stat, 2)}, недостаёт {_pp(d.get('missing_share'))} %",
                f"z ≥ {num(d.get('z_min'), 1)}, недостаёт ≥ {_pp(d.get('missing_share_min'))} %")
    if code == "M5":
        return f"индекс колебаний {num(stat, 2)}", f"≥ {num(d.get('score_min'), 2)}"
    if code == "M6":
        return (f"наибольшая доля в классе {_pp(stat)} %",
                f"на {num(d.get('excess_pp'), 0)} п. п. выше региона")
    if code == "M8":
        if "medallists" in d:
            return f"не подтверждено медалей: {num(stat, 0)}", "≥ 1"
        return (f"разрыв {_pp(stat)} процентилей",
                f"≥ {_pp(d.get('gap_min'))} процентилей")
    return num(stat, 2), "—"


def _official(flag: Flag) -> str:
    listed = (flag.evidence or {}).get("official_list")
    if listed is None:
        return "перечень не загружен"
    return "да" if listed.get("listed") else "нет"


@register("objectivity", "Перечень ОО с признаками необъективности с обоснованием")
def objectivity(ctx: BuildContext) -> Document:
    """The list for the inspection plan: per school the markers M1…M8 with statistic,
    threshold, sample size, persistence, and the comparison with the official ФИОКО list."""
    if ctx.year is None:
        raise refuse("Для перечня ОО с признаками необъективности укажите год (--year).")
    year = ctx.year
    scope = anchor_scope(ctx)
    assessed = selectors.school_years(scope, year=year).count()
    page = selectors.objectivity_page(scope, year=year)
    if not assessed and not page.flags:
        raise refuse(
            f"Признаки необъективности за {year} год не рассчитаны для этой территории. "
            f"Загрузите результаты ВПР (и отметки по журналу, результаты ГИА) за {year} год и "
            f"выполните «soko analyze --year {year}»."
        )
    _risk_params_refused(year)
    personal = scope.sees_personal_data
    doc = new_document(
        ctx,
        f"Перечень ОО с признаками необъективности результатов оценочных процедур, {year} год "
        f"(для плана выездных проверок и перепроверки работ)",
        [*import_sources(scope, range(year - 1, year + 2)), *_run_source()],
    )
    active = [f for f in page.flags if f.current and f.status != FlagStatus.DISMISSED]
    schools = [s for s in page.schools if s["works"]]
    persistent = [s for s in schools if s["persistent"]]
    multi = [s for s in schools if s["marker_count"] >= 2]
    listed_official = {c.organization_id for c in page.comparison
                       if c.agreement in (OfficialComparison.Agreement.BOTH,
                                          OfficialComparison.Agreement.OFFICIAL)}

    head = doc.section("Итоги")
    head.add(Paragraph(
        f"Признаки рассчитаны по {_schools(assessed)}. Признаки необъективности выявлены у "
        f"{_schools(len(schools))} ({format_share(len(schools), assessed)}) в {len(active)} "
        f"{plural(len(active), 'работе', 'работах', 'работах')}; у {len(multi)} ОО — два вида "
        f"признаков и более, у {len(persistent)} ОО — два года подряд и более. Признак — "
        f"основание для проверки, а не вывод о нарушении.",
        style="lead",
    ))
    marker_rows = [[c, MARKER_TITLES[c], page.by_marker.get(c, 0)] for c in MARKER_CODES]
    head.add(Table("Число работ ОО по признакам", ["Код", "Признак", "Работ ОО"], marker_rows,
                   note="M7 (сходство ответов) не рассчитывается: в файлах ФИС ОКО нет самих "
                        "ответов."))
    values: list[float | None] = [float(page.by_marker.get(c, 0)) for c in MARKER_CODES]
    head.add(Chart(
        "Число работ ОО по признакам M1–M8",
        charts.count_bars("Число работ ОО по признакам M1–M8", list(MARKER_CODES), values),
        kind="bar", categories=list(MARKER_CODES), series={"Работ ОО": values},
    ))

    lst = doc.section("Перечень ОО с признаками необъективности")
    rows: list[list[Any]] = []
    highlight: dict[tuple[int, int], str] = {}
    for i, s in enumerate(schools):
        org = s["org"]
        official = ("да" if org.pk in listed_official else "нет") if page.comparison \
            else "перечень не загружен"
        priority = "высокий" if (s["persistent"] or s["marker_count"] >= 2
                                 or org.pk in listed_official) else "обычный"
        rows.append([i + 1, org.short_name, _territory(org), s["marker_count"],
                     ", ".join(s["codes"]), s["works"], "да" if s["persistent"] else "нет",
                     official, priority])
        if priority == "высокий":
            highlight[(i, 8)] = FLAG_FILL
    if rows:
        lst.add(Table(
            "Перечень ОО с признаками необъективности",
            ["№", "ОО", "Территория", "Видов признаков", "Признаки", "Работ с признаками",
             "Устойчиво (2 года и более)", "В перечне ФИОКО", "Приоритет проверки"],
            rows, highlight=highlight,
            note="Приоритет «высокий»: признаки два года подряд, два вида признаков и более или "
                 "ОО есть и в официальном перечне ФИОКО. Отклонённые после рассмотрения флаги "
                 "не учитываются.",
        ))
    else:
        lst.add(Paragraph(f"В {year} году ОО с признаками необъективности не выявлено."))

    if page.flags:
        works = doc.section("Признаки по работам")
        work_rows = [
            [
                f.organization.short_name, f.work_label, (f.evidence or {}).get("n"),
                *["+" if c in f.codes else "" for c in MARKER_CODES],
                "да" if f.persistent else "нет", _official(f),
                _status(f) + ("" if f.current else " (не подтверждается пересчётом)"),
            ]
            for f in page.flags
        ]
        works.add(Table(
            "Признаки по работам ОО",
            ["ОО", "Работа", "Участников", *MARKER_CODES, "Устойчиво", "В перечне ФИОКО",
             "Статус"],
            work_rows,
        ))

        detail = doc.section("Обоснование: статистика и пороги")
        rows2: list[list[Any]] = []
        for f in active:
            markers = (f.evidence or {}).get("markers", {})
            for c in f.codes:
                d = markers.get(c, {})
                statistic, threshold = marker_figures(c, d)
                rows2.append([
                    f.organization.short_name, f.work_label, f"{c} — {MARKER_TITLES.get(c, c)}",
                    statistic, threshold, d.get("n"), marker_text(c, d, personal=personal),
                ])
        if rows2:
            detail.add(Table(
                "Обоснование признаков по работам",
                ["ОО", "Работа", "Признак", "Статистика", "Порог", "Участников", "Расшифровка"],
                rows2,
                note="Статистика и порог — как в расчёте; пороги и их источники — в приложении. "
                     "Признаки по группам меньше минимального размера не рассчитываются.",
            ))

    cmp_section = doc.section("Сравнение с официальным перечнем ФИОКО")
    if page.comparison:
        labels = OfficialComparison.Agreement
        cmp_section.add(Table(
            "Совпадение с официальным перечнем",
            ["", "Работ ОО", "ОО"],
            [[str(labels(k).label), page.agreement.get(k, 0), page.school_agreement.get(k, 0)]
             for k in ("both", "official", "ours")],
        ))
        cmp_section.add(Table(
            "Строки сравнения с перечнем ФИОКО",
            ["ОО", "Процедура", "Предмет", "Класс", "Совпадение", "Источник перечня",
             "Признаки СОКО"],
            [[c.organization.short_name, c.procedure, c.subject, c.grade,
              str(OfficialComparison.Agreement(c.agreement).label), c.list_source,
              ", ".join(c.codes)] for c in page.comparison],
        ))
    else:
        cmp_section.add(Paragraph(
            f"Официальный перечень ФИОКО за {year} год не загружен (вид данных «Перечень ОО с "
            f"признаками необъективности (ФИОКО)»): сравнение не выполнено.", style="note"))

    out = doc.section("Выводы и рекомендации")
    conclusions = [
        f"Признаки необъективности — у {_schools(len(schools))} из {assessed}; работ с "
        f"признаками — {len(active)}.",
    ]
    top = sorted(((c, page.by_marker.get(c, 0)) for c in MARKER_CODES), key=lambda x: -x[1])
    if top and top[0][1]:
        n_top = top[0][1]
        conclusions.append(f"Чаще всего срабатывает {top[0][0]} «{MARKER_TITLES[top[0][0]]}» "
                           f"({n_top} {plural(n_top, 'работа', 'работы', 'работ')}).")
    if persistent:
        conclusions.append("Признаки устойчиво (два года подряд и более): "
                           + ", ".join(s["org"].short_name for s in persistent) + ".")
    if page.comparison:
        conclusions.append(
            f"С официальным перечнем ФИОКО совпали {page.school_agreement.get('both', 0)} ОО; "
            f"только в официальном — {page.school_agreement.get('official', 0)}, только по "
            f"расчёту СОКО — {page.school_agreement.get('ours', 0)}.")
    out.add(Bullets(conclusions))
    recs = []
    high = [r[1] for r in rows if r[8] == "высокий"]
    if high:
        recs.append("Включить в план выездных проверок и перепроверки работ в первую очередь: "
                    + ", ".join(high) + ".")
    if schools:
        recs.append("Направить в ОО из перечня общественных наблюдателей на следующие "
                    "процедуры, организовать муниципальную перепроверку выборки работ.")
        recs.append("Рассмотреть каждый флаг (подтвердить или отклонить с причиной) — решение "
                    "сохраняется в истории флага.")
    else:
        recs.append("Сохранить наблюдение на процедурах и выборочную перепроверку работ.")
    out.add(Paragraph("Рекомендации:"))
    out.add(Bullets(recs))

    codes = [c for m in MARKER_CODES for c in MARKER_PARAMS.get(m, ())]
    doc.methodology = [
        *method_notes(["objectivity.procedures", *codes, "privacy.min_group_size"], year),
        note("Устойчивость признаков", "флаг того же вида в предыдущем году (не отклонённый)",
             RISKS_METHOD, SYSTEM_KIND),
        note("Сравнение с перечнем ФИОКО", "по работе ОО (процедура × предмет × класс)",
             RISKS_METHOD, SYSTEM_KIND),
    ]
    return doc
