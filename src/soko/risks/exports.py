"""XLSX exports of the risk lists (the same rows the pages show, for the same scope)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from soko.accounts.scope import Scope
from soko.risks import selectors
from soko.risks.describe import index_text, marker_text, num, quadrant_label, rule_text, social_text
from soko.risks.markers import MARKER_CODES, MARKER_TITLES
from soko.risks.models import Flag, FlagKind, OfficialComparison, RecheckSample

Sheet = tuple[str, Sequence[str], Sequence[Sequence[Any]]]


def workbook(sheets: Sequence[Sheet]) -> bytes:
    """An XLSX with one sheet per (name, header, rows); header bold, first row frozen."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    head = wb.add_format({"bold": True, "bg_color": "#E8EEF6", "border": 1, "text_wrap": True,
                          "valign": "top"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    for name, header, rows in sheets:
        ws = wb.add_worksheet(name[:31])
        for j, h in enumerate(header):
            ws.write(0, j, h, head)
        for i, row in enumerate(rows, start=1):
            for j, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, bool):
                    ws.write(i, j, "да" if value else "нет")
                elif isinstance(value, (int, float)):
                    ws.write_number(i, j, value)
                else:
                    ws.write(i, j, str(value), wrap)
        ws.freeze_panes(1, 0)
        ws.set_row(0, 30)
        for j, h in enumerate(header):
            ws.set_column(j, j, min(max(len(h) + 2, 10), 60))
    wb.close()
    return buf.getvalue()


def _flag_values(f: Flag, personal: bool) -> str:
    ev = f.evidence or {}
    if f.kind == FlagKind.OBJECTIVITY:
        return " | ".join(
            f"{c}: {marker_text(c, ev.get('markers', {}).get(c, {}), personal=personal)}"
            for c in f.codes
        )
    if f.kind == FlagKind.LOW_RESULTS:
        return f"{rule_text(ev.get('rule_30pct'))} {index_text(ev.get('low_index'))}"
    return social_text(ev.get("social"))


def flags_xlsx(scope: Scope, *, kind: str | None, year: int | None) -> bytes:
    personal = scope.sees_personal_data
    rows = [
        [
            f.organization.code, f.organization.short_name, f.organization.territory.name,
            f.year, f.get_kind_display(), f.procedure, f.subject, f.grade, ", ".join(f.codes),
            f.get_status_display(), f.persistent, f.current, _flag_values(f, personal),
            f.review_comment,
        ]
        for f in selectors.flag_list(scope, kind=kind, year=year)
    ]
    header = ["Логин ОО", "ОО", "Территория", "Год", "Вид", "Процедура", "Предмет", "Класс",
              "Признаки / правила", "Статус", "Устойчиво", "По последнему расчёту",
              "Доказательства", "Комментарий"]
    return workbook([("Флаги", header, rows)])


def low_results_xlsx(scope: Scope, *, year: int | None) -> bytes:
    page = selectors.low_results_page(scope, year=year)
    rows = []
    for r in page.rows:
        s = r["summary"]
        profile = r["profile"] or {}
        values = profile.get("values") or {}
        labels = profile.get("fields") or {}
        rows.append([
            r["org"].code, r["org"].short_name, s.year, s.low_results, s.rule_30pct, s.low_index,
            s.results_index, s.results_percentile, s.social, s.social_index, s.social_percentile,
            quadrant_label(s.quadrant), s.residual, r["objectivity"].get("markers", 0),
            ", ".join(r["objectivity"].get("codes", [])),
            rule_text(r["rule"]), index_text(r["index"]),
            "; ".join(f"{labels.get(k, k)}: {num(v, 2)}" for k, v in values.items())
            if profile.get("available") else "профиль рисков не собран",
        ])
    header = ["Логин ОО", "ОО", "Год", "ШНОР", "Правило 30 %", "Индекс (нижние X %)",
              "Индекс результатов, SD", "Процентиль результатов", "ШФНСУ", "ИСК",
              "Процентиль ИСК", "Квадрант", "Результат с учётом контекста (остаток)",
              "Видов признаков необъективности", "Признаки (результаты ненадёжны)",
              "Правило 30 % — подробно", "Индекс — подробно", "Рисковый профиль «500+»"]
    return workbook([("ШНОР и ШФНСУ", header, rows)])


def objectivity_xlsx(scope: Scope, *, year: int | None) -> bytes:
    page = selectors.objectivity_page(scope, year=year)
    work_rows = []
    for f in page.flags:
        markers = (f.evidence or {}).get("markers", {})
        work_rows.append([
            f.organization.code, f.organization.short_name, f.year, f.procedure, f.subject,
            f.grade, (f.evidence or {}).get("n"),
            *["да" if c in f.codes else "" for c in MARKER_CODES],
            len(f.codes), f.get_status_display(), f.persistent,
            " | ".join(
                f"{c}: {marker_text(c, markers.get(c, {}), personal=scope.sees_personal_data)}"
                for c in f.codes
            ),
        ])
    school_rows = [
        [s["org"].code, s["org"].short_name, year, s["marker_count"], ", ".join(s["codes"]),
         s["works"], s["persistent"], s["dismissed"]]
        for s in page.schools
    ]
    comp_rows = [
        [c.organization.code, c.organization.short_name, c.year, c.procedure, c.subject, c.grade,
         OfficialComparison.Agreement(c.agreement).label, c.list_source, ", ".join(c.codes)]
        for c in page.comparison
    ]
    return workbook([
        ("Признаки по работам",
         ["Логин ОО", "ОО", "Год", "Процедура", "Предмет", "Класс", "Участников",
          *[f"{c} {MARKER_TITLES[c]}" for c in MARKER_CODES], "Количество маркеров", "Статус",
          "Устойчиво", "Доказательства"], work_rows),
        ("По ОО", ["Логин ОО", "ОО", "Год", "Количество маркеров", "Признаки",
                   "Работ с признаками", "Устойчиво", "Отклонено флагов"], school_rows),
        ("Сравнение с ФИОКО", ["Логин ОО", "ОО", "Год", "Процедура", "Предмет", "Класс",
                               "Совпадение", "Источник перечня", "Признаки СОКО"], comp_rows),
    ])


def recheck_xlsx(scope: Scope, sample: RecheckSample) -> bytes:
    res = selectors.recheck_results(scope, sample)
    numbers = [t.number for t in res["tasks"]]
    work_rows = []
    for row in res["checked"]:
        w, d = row["work"], row["d"]
        work_rows.append([
            w.pk, w.organization.code, w.participant_code, w.class_label, w.get_reason_display(),
            d.school_primary, d.commission_primary, d.delta_primary, w.school_mark,
            w.commission_mark, d.objective, *d.task_deltas,
        ])
    school_rows = [
        [s["org"].code, s["org"].short_name, s["checked"], s["objective"], s["share_objective"],
         s["mean_delta"], s["mean_abs_delta"], s["marks_changed"],
         *[t["mean_delta"] for t in s["tasks"]]]
        for s in res["schools"]
    ]
    return workbook([
        ("Работы", ["Код работы", "Логин ОО", "Код участника", "Класс", "Основание отбора",
                    "Балл ОО", "Балл комиссии", "Δ балла", "Отметка ОО", "Отметка комиссии",
                    "Оценена объективно", *[f"Δ {n}" for n in numbers]], work_rows),
        ("По ОО", ["Логин ОО", "ОО", "Перепроверено", "Объективно", "Доля объективно",
                   "Средняя Δ", "Средняя |Δ|", "Изменена отметка",
                   *[f"Средняя Δ {n}" for n in numbers]], school_rows),
    ])
