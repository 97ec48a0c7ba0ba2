"""XLSX exports of the analyses: every table of a page, one sheet per table.

The builders take the same dictionaries the pages render (from :mod:`soko.analyses.selectors`,
already filtered by scope and with small groups suppressed), so an export never shows more
than its page. Shares are written as percents with one decimal.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import xlsxwriter

SUPPRESSED = "скрыто (малая группа)"


class _Book:
    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        self.book = xlsxwriter.Workbook(self.buffer, {"in_memory": True})
        self.bold = self.book.add_format({"bold": True, "text_wrap": True, "valign": "top",
                                          "bg_color": "#F1F3F5", "border": 1})
        self.title = self.book.add_format({"bold": True, "font_size": 12})
        self.names: set[str] = set()

    def sheet(
        self,
        name: str,
        title: str,
        header: Sequence[str],
        rows: Sequence[Sequence[Any]],
        notes: Sequence[str] = (),
    ) -> None:
        safe = "".join(ch for ch in name if ch not in "[]:*?/\\")[:31] or "Лист"
        base, i = safe, 2
        while safe in self.names:
            safe = f"{base[:28]}_{i}"
            i += 1
        self.names.add(safe)
        ws = self.book.add_worksheet(safe)
        ws.write(0, 0, title, self.title)
        line = 1
        for note in notes:
            ws.write(line, 0, note)
            line += 1
        line += 1
        for j, h in enumerate(header):
            ws.write(line, j, h, self.bold)
            ws.set_column(j, j, max(10, min(60, len(str(h)) + 2)))
        for i, row in enumerate(rows, start=line + 1):
            for j, value in enumerate(row):
                if value is None:
                    continue
                ws.write(i, j, value)
        ws.freeze_panes(line + 1, 0)

    def close(self) -> bytes:
        self.book.close()
        return self.buffer.getvalue()


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100.0, 1)


def _r(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _marks_rows(rows: Sequence[dict[str, Any]]) -> list[list[Any]]:
    out = []
    for r in rows:
        base = [r["level_label"], r["name"], r["org_code"] or r["territory_code"] or "",
                r["organizations"], r["participants"]]
        if r["suppressed"]:
            out.append([*base, SUPPRESSED])
            continue
        out.append([*base, _pct(r["share_2"]), _pct(r["share_3"]), _pct(r["share_4"]),
                    _pct(r["share_5"]), _r(r["mean_primary"]), _pct(r["percent"])])
    return out


MARKS_HEADER = ["Уровень", "Единица", "Код", "Кол-во ОО", "Кол-во участников", "% «2»", "% «3»",
                "% «4»", "% «5»", "Средний первичный балл", "% от максимума"]


def marks_workbook(data: dict[str, Any]) -> bytes:
    """«Статистика по отметкам» of a work for every visible unit."""
    book = _Book()
    book.sheet("Статистика по отметкам", f"{data['title']} — статистика по отметкам",
               MARKS_HEADER, _marks_rows(data["rows"]),
               [f"Группы меньше {data['min_group']} участников не показываются отдельно."])
    return book.close()


def report_workbook(data: dict[str, Any]) -> bytes:
    """Every section of a procedure report, one sheet each."""
    a = data["analysis"]
    unit = data["unit"]
    title = f"{a['title']} — {unit['level_label']}: {unit['name']}"
    names = [u["name"] for u in data["units"]]
    book = _Book()
    book.sheet("Статистика по отметкам", title, MARKS_HEADER, _marks_rows(data["units"]),
               [f"Шкала: {a['scale_status_label']}. {a['scale_source']}"])
    if data["suppressed"]:
        return book.close()
    hist = data["histogram"]
    header = ["Первичный балл", "Отметка"] + [f"{s['name']}: чел." for s in hist["series"]] + [
        f"{s['name']}: %" for s in hist["series"]]
    rows = []
    for i, score in enumerate(hist["scores"]):
        mark = hist["marks"][i]
        rows.append([score, mark] + [s["counts"][i] for s in hist["series"]]
                    + [s["percents"][i] for s in hist["series"]])
    book.sheet("Распределение баллов", title, header, rows,
               [f"Гистограмма {hist['reliability_label']} (N ≥ {hist['informative_n']} — "
                f"информативна, {hist['min_n']}–{hist['informative_n'] - 1} — ориентировочна)."])
    if data["tasks"]:
        book.sheet(
            "Выполнение заданий", title,
            ["Задание", "Уровень", "Макс. балл", "Умение / КЭС",
             *[f"{n}: % выполнения" for n in names[: len(data["tasks"][0]["completion_pct"])]],
             "Освоение (ФИОКО 2026)"],
            [[t["number"], t["level"], t["max"], t["skill"], *t["completion_pct"],
              t["status_label"]] for t in data["tasks"]],
        )
    groups = data["groups"]
    if groups["available"]:
        book.sheet(
            "Группы по отметкам", title,
            ["Задание", "Уровень", "Макс. балл",
             *[f"«{m}» ({n} чел.)" for m, n in zip(groups["marks"], groups["sizes"], strict=True)]],
            [[r["number"], r["level"], r["max"], *r["values"]] for r in groups["rows"]],
            [f"Группы меньше {groups['group_min']} участников не показываются."],
        )
    if data["skills"]:
        book.sheet(
            "Планируемые результаты", title,
            ["Умение / КЭС", "Задания",
             *[f"{n}: %" for n in names[: len(data["skills"][0]["completion_pct"])]],
             "Порог, %", "Освоение", "Системный дефицит"],
            [[s["title"], ", ".join(s["tasks"]), *s["completion_pct"], s["threshold_pct"],
              s["status_label"], "да" if s["systemic"] else ""] for s in data["skills"]],
        )
    journal = data["journal"]
    if journal["available"]:
        rows = []
        for col in journal["columns"]:
            rows.extend([col["name"], r["label"], r["count"], r["pct"]] for r in col["rows"])
            rows.append([col["name"], f"Расхождение на {journal['gap_threshold']} и более",
                         col["gap"], col["gap_pct"]])
        book.sheet("Сравнение с журналом", title, ["Единица", "Группа", "Кол-во участников", "%"],
                   rows)
    dyn = data["dynamics"]
    if dyn.get("available"):
        book.sheet("Динамика доли «2»", title, ["Год", "Участников", "% «2»"],
                   [[p["year"], p["n"], p["share_2_pct"]] for p in dyn["points"]],
                   [f"Изменение {dyn['change_pp']} п. п.; рост на {dyn['threshold_pp']} п. п. и "
                    "более — отрицательная динамика."])
    if data["children"]:
        book.sheet("Состав", title, MARKS_HEADER, _marks_rows(data["children"]))
    return book.close()


def comprehensive_workbook(data: dict[str, Any]) -> bytes:
    """Agreement, dynamics of positions, negative «2» trends, cohorts and clusters."""
    year = data["year"]
    book = _Book()
    book.sheet(
        "Согласованность", f"Согласованность позиций ОО в ВПР, ОГЭ и ЕГЭ, {year}",
        ["Логин", "ОО", "ВПР", "ОГЭ", "ЕГЭ", "Разрыв", "Согласованы", "Вывод"],
        [[a["org_code"], a["name"], a["vpr"], a["oge"], a["ege"], a["gap"],
          {True: "да", False: "нет", None: "—"}[a["agrees"]], a["text"]]
         for a in data["agreements"]],
        ["Позиции — в стандартных отклонениях межшкольного разброса региона (0 — среднее)."],
    )
    book.sheet(
        "Динамика позиций", f"Позиции ОО по годам, {year}",
        ["Логин", "ОО", "Процедура", *[str(y) for y in data["dynamics_years"]], "Изменение"],
        [[r["org_code"], r["name"], r["procedure"], *r["values"], r["change"]]
         for r in data["dynamics"]],
    )
    book.sheet(
        "Рост доли «2»", f"Отрицательная динамика доли «2», {year}",
        ["Логин", "ОО", "Процедура", "Предмет", "Класс", "По годам, %", "Изменение, п. п."],
        [[t["org_code"], t["name"], t["procedure"], t["subject"], t["grade"],
          "; ".join(f"{p['year']}: {p['share_2_pct']}" for p in t["points"]), t["change_pp"]]
         for t in data["negative_trends"]],
    )
    book.sheet(
        "Когорты", f"Когорты (класс ОО год за годом), {year}",
        ["Логин", "ОО", "Предмет", "Откуда", "Куда", "Позиция было", "Позиция стало",
         "Изменение", "% «2» было", "% «2» стало", "Вывод"],
        [[c["org_code"], c["name"], c["subject"], c["from"], c["to"], c["from_z"], c["to_z"],
          c["change"], c["from_share_2_pct"], c["to_share_2_pct"], c["verdict_label"]]
         for c in data["cohorts"]],
    )
    for run in data["clusters"]:
        book.sheet(
            "Кластеры", f"Кластеры ОО ({run['territory']}), {year}",
            ["Кластер", "ОО в кластере", *[f"Центр: {f}" for f in run["features"]], "Описание"],
            [[c["label"], c["size"], *[c["centroid"].get(f) for f in run["features"]],
              c["description"]] for c in run["clusters"]],
            [run["explanation"]],
        )
        book.sheet(
            "Состав кластеров", f"ОО по кластерам ({run['territory']}), {year}",
            ["Кластер", "Логин", "ОО", "ВПР", "ОГЭ", "ЕГЭ"],
            [[m["cluster"] + 1, m["org_code"], m["name"], m["features"].get("ВПР"),
              m["features"].get("ОГЭ"), m["features"].get("ЕГЭ")] for m in run["members"]],
        )
    return book.close()


def deficits_workbook(data: dict[str, Any]) -> bytes:
    """The territory lists of deficits and the deficits per class (teacher codes only where the
    scope may see them)."""
    year = data["year"]
    book = _Book()
    book.sheet(
        "Перечень территории", f"Дефициты по предметам и умениям, {year}",
        ["Территория", "Процедура", "Предмет", "Класс", "Умение / КЭС", "Задания",
         "Классов с дефицитом", "Классов в анализе", "ОО", "Выполнение, %", "Порог, %",
         "Ниже порога на территории"],
        [[s["territory"], s["procedure"], s["subject"], s["grade"], s["skill"],
          ", ".join(s["tasks"]), s["classes"], s["classes_total"], s["organizations"],
          s["completion_pct"], s["threshold_pct"], "да" if s["below_threshold"] else ""]
         for s in data["summaries"]],
    )
    header = ["Логин", "ОО", "Класс"]
    if data["with_teachers"]:
        header.append("Педагог (код)")
    header += ["Процедура", "Предмет", "Параллель", "Умение / КЭС", "Задания", "Участников",
               "Выполнение в классе, %", "В муниципалитете, %", "Порог, %",
               "Нетипичный профиль"]
    rows = []
    for r in data["rows"]:
        row: list[Any] = [r["org_code"], r["org"], r["class_label"]]
        if data["with_teachers"]:
            row.append(r["teacher"])
        row += [r["procedure"], r["subject"], r["grade"], r["skill"], ", ".join(r["tasks"]),
                r["n"], r["completion_pct"], r["reference_pct"], r["threshold_pct"],
                "да" if r["atypical"] else ""]
        rows.append(row)
    book.sheet("Дефициты классов", f"Дефициты классов, {year}", header, rows,
               ["Результаты служат адресной помощи и повышению квалификации; педагоги не "
                "ранжируются."])
    return book.close()
