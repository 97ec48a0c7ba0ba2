"""XLSX exports of the monitoring pages. They receive what a selector already scoped and
suppressed, so an export never shows more than the page."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import xlsxwriter

from soko.monitoring.formspec import FieldSpec, display_value
from soko.monitoring.models import Campaign, Submission, Survey, TalentStudent


class _Book:
    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        self.book = xlsxwriter.Workbook(self.buffer, {"in_memory": True})
        self.head = self.book.add_format({"bold": True, "text_wrap": True, "valign": "top",
                                          "bg_color": "#F1F3F5", "border": 1})
        self.wrap = self.book.add_format({"text_wrap": True, "valign": "top"})
        self.pct = self.book.add_format({"num_format": "0.0%"})
        self.title = self.book.add_format({"bold": True, "font_size": 13})

    def sheet(self, name: str, title: str, header: Sequence[str], widths: Sequence[int]
              ) -> Any:
        clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in name).strip("'")[:31] or "Лист"
        taken = {ws.get_name() for ws in self.book.worksheets()}
        base, n = clean, 2
        while clean in taken:
            suffix = f" ({n})"
            clean, n = base[: 31 - len(suffix)] + suffix, n + 1
        ws = self.book.add_worksheet(clean)
        ws.write(0, 0, title, self.title)
        for j, (text, width) in enumerate(zip(header, widths, strict=False)):
            ws.write(2, j, text, self.head)
            ws.set_column(j, j, width)
        ws.freeze_panes(3, 0)
        return ws

    def close(self) -> bytes:
        self.book.close()
        return self.buffer.getvalue()


def _cell(f: FieldSpec, value: Any, typed: bool) -> Any:
    if value is None or value == "" or value == []:
        return None
    if typed and f.kind in {"integer", "number", "percent"}:
        return value
    if typed:
        return display_value(f, value)
    if isinstance(value, list):
        return "; ".join(str(v) for v in value if not isinstance(v, dict))
    return str(value)


def campaign_workbook(campaign: Campaign, fields: Sequence[FieldSpec],
                      rows: Sequence[tuple[Submission, dict[str, Any]]]) -> bytes:
    """All answers of a campaign: one row per organization, one column per field; tables of
    the form on sheets of their own."""
    out = _Book()
    scalar = [f for f in fields if f.kind != "table"]
    header = ["Логин ОО", "ОО", "Территория", "Состояние", "Представлена", "После срока",
              *[f"{f.label}{f', {f.unit}' if f.unit else ''}" for f in scalar]]
    ws = out.sheet("Ответы", f"{campaign.title} (срок {campaign.deadline:%d.%m.%Y})", header,
                   [12, 30, 20, 16, 14, 10, *[18] * len(scalar)])
    for i, (s, values) in enumerate(rows, start=3):
        typed = s.status in {Submission.Status.SUBMITTED, Submission.Status.ACCEPTED}
        ws.write(i, 0, s.organization.code)
        ws.write(i, 1, s.organization.short_name)
        ws.write(i, 2, s.organization.territory.name)
        ws.write(i, 3, s.get_status_display())
        ws.write(i, 4, s.submitted_at.strftime("%d.%m.%Y") if s.submitted_at else "")
        ws.write(i, 5, "да" if s.submitted_late else "")
        for j, f in enumerate(scalar, start=6):
            ws.write(i, j, _cell(f, values.get(f.code), typed))
    for f in fields:
        if f.kind != "table":
            continue
        tws = out.sheet(f.label[:31], f.label, ["Логин ОО", "ОО", *[c.label for c in f.columns]],
                        [12, 30, *[18] * len(f.columns)])
        r = 3
        for s, values in rows:
            typed = s.status in {Submission.Status.SUBMITTED, Submission.Status.ACCEPTED}
            for row in values.get(f.code) or []:
                if not isinstance(row, dict):
                    continue
                tws.write(r, 0, s.organization.code)
                tws.write(r, 1, s.organization.short_name)
                for j, c in enumerate(f.columns, start=2):
                    tws.write(r, j, _cell(c, row.get(c.code), typed))
                r += 1
    return out.close()


def survey_workbook(survey: Survey, results: Any, per_org: Sequence[tuple[Any, bool, Any]],
                    participants: Sequence[Any]) -> bytes:
    """The distribution of answers (total and by organization, small groups hidden) and the
    response rates."""
    out = _Book()
    ws = out.sheet("Итого", f"{survey.title}: ответов {results.responses}",
                   ["Вопрос", "Вариант", "Ответов", "Доля"], [60, 40, 10, 10])
    r = 3
    for q in results.questions:
        for o in q.options:
            ws.write(r, 0, q.text, out.wrap)
            ws.write(r, 1, o.label)
            if results.suppressed:
                ws.write(r, 2, f"скрыто: менее {results.min_group} ответов")
            else:
                ws.write(r, 2, o.count)
                if o.share is not None:
                    ws.write(r, 3, o.share, out.pct)
            r += 1
    ws = out.sheet("По ОО", "Распределение ответов по ОО (группы менее "
                   f"{results.min_group} ответов скрыты)",
                   ["Логин ОО", "ОО", "Вопрос", "Вариант", "Ответов", "Доля"],
                   [12, 30, 50, 30, 10, 10])
    r = 3
    for participant, hidden, res in per_org:
        if hidden or res is None:
            ws.write(r, 0, participant.organization.code)
            ws.write(r, 1, participant.organization.short_name)
            ws.write(r, 2, f"скрыто: менее {results.min_group} ответов")
            r += 1
            continue
        for q in res.questions:
            for o in q.options:
                ws.write(r, 0, participant.organization.code)
                ws.write(r, 1, participant.organization.short_name)
                ws.write(r, 2, q.text)
                ws.write(r, 3, o.label)
                ws.write(r, 4, o.count)
                if o.share is not None:
                    ws.write(r, 5, o.share, out.pct)
                r += 1
    ws = out.sheet("Отклик", "Отклик по ОО", ["Логин ОО", "ОО", "Ответов", "Ожидалось",
                                              "Отклик"], [12, 30, 10, 10, 10])
    for i, p in enumerate(participants, start=3):
        ws.write(i, 0, p.participant.organization.code)
        ws.write(i, 1, p.participant.organization.short_name)
        ws.write(i, 2, p.responses)
        if p.expected is not None:
            ws.write(i, 3, p.expected)
        if p.rate is not None:
            ws.write(i, 4, p.rate, out.pct)
    return out.close()


def talents_workbook(students: Sequence[TalentStudent]) -> bytes:
    """The bank's pupils (for the authority and the pupils' own school only)."""
    out = _Book()
    ws = out.sheet("Банк", "Банк данных «Одарённые дети»",
                   ["Код обучающегося", "Логин ОО", "ОО", "Класс", "Годы", "Достижений",
                    "Побед и призовых мест", "Высший уровень", "Лучший результат", "Предметы"],
                   [16, 12, 30, 8, 14, 12, 12, 22, 14, 40])
    results = {"participant": "участник", "prize": "призёр", "winner": "победитель"}
    for i, s in enumerate(students, start=3):
        ws.write(i, 0, s.student_code)
        ws.write(i, 1, s.organization.code)
        ws.write(i, 2, s.organization.short_name)
        if s.grade is not None:
            ws.write(i, 3, s.grade)
        ws.write(i, 4, ", ".join(str(y) for y in s.years))
        ws.write(i, 5, s.achievements)
        ws.write(i, 6, s.prizes)
        ws.write(i, 7, s.best_level)
        ws.write(i, 8, results.get(s.best_result, s.best_result))
        ws.write(i, 9, ", ".join(s.subjects), out.wrap)
    return out.close()


def talent_counts_workbook(counts: Sequence[Any]) -> bytes:
    """Counts by organization (what a methodologist may see), small groups hidden."""
    out = _Book()
    ws = out.sheet("Сводка", "Банк «Одарённые дети»: сводные сведения",
                   ["Логин ОО", "ОО", "Обучающихся в банке", "С победами и призовыми местами"],
                   [12, 30, 16, 16])
    for i, c in enumerate(counts, start=3):
        ws.write(i, 0, c.organization.code)
        ws.write(i, 1, c.organization.short_name)
        ws.write(i, 2, c.students if c.students is not None else "скрыто (менее 10)")
        ws.write(i, 3, c.prizes if c.prizes is not None else "скрыто (менее 10)")
    return out.close()
