"""``soko analysis``: the procedure analysis, the comprehensive analysis and deficits.

Sub-commands read the stored analyses (``compute`` recomputes them). Shares are printed as
percents in text and as fractions 0–1 in JSON (keys ``share_2`` … ``share_5``). The CLI runs
with the full (system) scope of the instance's operator; groups under the minimum size are
marked ``suppressed`` and printed without figures, as on the pages.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from soko.cli import CommandError, add_command, print_json

SubParsers = argparse._SubParsersAction


def register(sub: SubParsers) -> None:
    p = add_command(
        sub,
        "analysis",
        _help,
        "Анализ результатов: статистика отметок, отчёт по работе, комплексный анализ, дефициты.",
    )
    p.set_defaults(parser=p)
    inner = p.add_subparsers(dest="analysis_command", metavar="ДЕЙСТВИЕ")

    q = inner.add_parser(
        "marks",
        help="статистика по отметкам работы: по ОО, муниципалитетам и региону",
        description="Статистика по отметкам: участники (писавшие работу), доли «2»–«5» и "
        "средний первичный балл по каждой ОО (логин), муниципалитету и региону.",
    )
    q.add_argument("--procedure", required=True, help="процедура: ВПР, ОГЭ, ЕГЭ…")
    q.add_argument("--subject", required=True, help="код предмета (РУ, МА…) или название")
    q.add_argument("--grade", type=int, help="класс (параллель)")
    q.add_argument("--year", type=int, required=True, help="год")
    q.add_argument("--json", action="store_true", help="вывести в JSON (доли 0–1)")
    q.set_defaults(handler=cmd_marks, needs_db=True)

    q = inner.add_parser(
        "report",
        help="полный анализ работы для ОО, класса, муниципалитета или региона",
        description="Полный анализ работы (набор отчётов ФИС ОКО и больше).",
    )
    q.add_argument("--assessment", type=int, required=True, help="номер работы в каталоге")
    q.add_argument("--org", help="логин ОО (без него — регион или муниципалитет)")
    q.add_argument("--class", dest="class_label", help="класс ОО, например 5А (вместе с --org)")
    q.add_argument("--territory", help="код муниципалитета или региона")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_report, needs_db=True)

    q = inner.add_parser(
        "compute",
        help="пересчитать анализ (за год или за все годы)",
        description="Пересчитать сохранённые результаты анализа по фактам хранилища.",
    )
    q.add_argument("--year", type=int, help="год (по умолчанию — все годы)")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_compute, needs_db=True)

    q = inner.add_parser(
        "deficits",
        help="дефициты умений по классам и сводный перечень территории",
        description="Дефициты: умения, которые класс выполнил ниже порога освоения и заметно "
        "хуже муниципалитета. Педагоги не ранжируются.",
    )
    q.add_argument("--year", type=int, help="год (по умолчанию — последний)")
    q.add_argument("--subject", help="код предмета")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_deficits, needs_db=True)

    q = inner.add_parser(
        "comprehensive",
        help="комплексный анализ: согласованность ВПР/ОГЭ/ЕГЭ, когорты, кластеры",
        description="Комплексный анализ результатов ОО по процедурам за год.",
    )
    q.add_argument("--year", type=int, help="год (по умолчанию — последний)")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_comprehensive, needs_db=True)


def _help(args: argparse.Namespace) -> int:
    args.parser.print_help()
    return 0


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}"


def _num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _subject_code(text: str) -> str:
    from soko.catalog.models import Subject
    from soko.catalog.services import normalize_name, subject_lookup

    if Subject.objects.filter(code=text).exists():
        return text
    found = subject_lookup().get(normalize_name(text))
    if found is None:
        raise CommandError(f"Предмет «{text}» не найден в каталоге.")
    return found.code


def cmd_marks(args: argparse.Namespace) -> int:
    from django.http import Http404

    from soko.accounts.scope import SYSTEM
    from soko.analyses.selectors import marks_table

    subject = _subject_code(args.subject)
    try:
        data = marks_table(
            SYSTEM, procedure=args.procedure, subject=subject, grade=args.grade, year=args.year
        )
    except Http404 as exc:
        grade = f" {args.grade} класс" if args.grade else ""
        raise CommandError(
            f"Нет анализа работы {args.procedure} {subject}{grade} {args.year}. Загрузите "
            "результаты или выполните «soko analysis compute»."
        ) from exc
    if args.json:
        print_json(data["rows"])
        return 0
    print(f"{data['title']} — статистика по отметкам (доли в %, группы меньше "
          f"{data['min_group']} участников скрыты)")
    header = f"{'Единица':<40} {'Код':<12} {'Участн.':>7} {'«2»':>6} {'«3»':>6} {'«4»':>6} " \
             f"{'«5»':>6} {'Ср. перв.':>9}"
    print(header)
    print("-" * len(header))
    for row in data["rows"]:
        code = row["org_code"] or row["territory_code"] or ""
        if row["suppressed"]:
            print(f"{row['name'][:40]:<40} {code:<12} {row['participants']:>7}   скрыто: "
                  "малая группа")
            continue
        print(
            f"{row['name'][:40]:<40} {code:<12} {row['participants']:>7} "
            f"{_pct(row['share_2']):>6} {_pct(row['share_3']):>6} {_pct(row['share_4']):>6} "
            f"{_pct(row['share_5']):>6} {_num(row['mean_primary']):>9}"
        )
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from django.http import Http404

    from soko.accounts.scope import SYSTEM
    from soko.analyses.models import AssessmentAnalysis
    from soko.analyses.selectors import report_data

    analysis = AssessmentAnalysis.objects.filter(assessment_id=args.assessment).first()
    if analysis is None:
        raise CommandError(
            f"Работа №{args.assessment} не проанализирована: нет результатов или анализ не "
            "пересчитан («soko analysis compute»)."
        )
    if args.class_label and not args.org:
        raise CommandError("Для анализа класса укажите и ОО (--org).")
    try:
        data = report_data(
            SYSTEM,
            analysis.pk,
            org=args.org,
            class_label=args.class_label,
            territory=args.territory,
        )
    except Http404 as exc:
        raise CommandError("Такой единицы анализа нет в результатах этой работы.") from exc
    if args.json:
        print_json(data)
        return 0
    _print_report(data)
    return 0


def _print_report(data: dict[str, Any]) -> None:
    a = data["analysis"]
    unit = data["unit"]
    print(f"{a['title']} — {unit['level_label']}: {unit['name']}")
    print(f"Шкала: {a['scale_status_label']}"
          + (f" ({a['scale_source']})" if a["scale_source"] else ""))
    if data["suppressed"]:
        print(f"Участников меньше {data['min_group']}: результаты отдельно не показываются.")
        return
    print("\nСтатистика по отметкам (%):")
    for row in data["units"]:
        if row["suppressed"]:
            print(f"  {row['name']}: скрыто (малая группа)")
            continue
        print(
            f"  {row['name']}: участников {row['participants']}, «2» {_pct(row['share_2'])}, "
            f"«3» {_pct(row['share_3'])}, «4» {_pct(row['share_4'])}, «5» {_pct(row['share_5'])}"
            f", средний первичный балл {_num(row['mean_primary'])}"
        )
    hist = data["histogram"]
    print(f"\nГистограмма первичных баллов ({hist['reliability_label']}); границы отметок: "
          + (", ".join(f"«{k}» от {v:g}" for k, v in hist["boundaries"].items()) or "не заданы"))
    if hist["series"]:
        counts = hist["series"][0]["counts"]
        print("  " + " ".join(f"{s}:{c}" for s, c in enumerate(counts) if c))
    if data["tasks"]:
        print("\nВыполнение заданий (%: единица / сравнения) и освоение:")
        for t in data["tasks"]:
            values = " / ".join("—" if v is None else f"{v:.1f}" for v in t["completion_pct"])
            print(f"  {t['number']:>5} ({t['level'] or '—'}, {t['max']:g}б): {values} — "
                  f"{t['status_label']}")
    if data["skills"]:
        print("\nПланируемые результаты:")
        for s in data["skills"]:
            values = " / ".join("—" if v is None else f"{v:.1f}" for v in s["completion_pct"])
            flag = " — системный дефицит" if s["systemic"] else ""
            print(f"  {s['title'][:70]}: {values}; {s['status_label']}{flag}")
    journal = data["journal"]
    if journal["available"]:
        print("\nСравнение с отметками по журналу:")
        for col in journal["columns"]:
            parts = ", ".join(f"{r['label'].split(' (')[0]} {r['count']}" for r in col["rows"])
            print(f"  {col['name']}: {parts}; расхождение на {journal['gap_threshold']} и более: "
                  f"{col['gap']}")
    dyn = data["dynamics"]
    if dyn.get("available"):
        points = ", ".join(f"{p['year']}: {p['share_2_pct']}%" for p in dyn["points"])
        verdict = "отрицательная динамика" if dyn["negative"] else "без отрицательной динамики"
        print(f"\nДоля «2» по годам: {points} — {verdict}")


def cmd_compute(args: argparse.Namespace) -> int:
    from soko.analyses.services import analyses_compute
    from soko.core.jobs import Progress

    progress = Progress(None, echo=not args.json and sys.stderr.isatty())
    report = analyses_compute(year=args.year, progress=progress)
    progress.done()
    if args.json:
        print_json(report)
        return 0
    for year, counts in sorted(report["years"].items()):
        print(f"{year}: работ {counts['assessments']}, единиц анализа {counts['summaries']}, "
              f"дефицитов {counts['deficits']}")
    derived = report["derived"]
    print(f"Позиций ОО {derived['positions']}, когорт {derived['cohorts']}, "
          f"кластерных анализов {derived['cluster_runs']}; за {report['seconds']:.1f} с.")
    return 0


def _latest(years: list[int], wanted: int | None) -> int:
    if wanted is not None:
        return wanted
    if not years:
        raise CommandError("Анализ ещё не рассчитан: выполните «soko analysis compute».")
    return years[0]


def cmd_deficits(args: argparse.Namespace) -> int:
    from soko.accounts.scope import SYSTEM
    from soko.analyses.selectors import deficit_years, deficits_data

    year = _latest(deficit_years(SYSTEM), args.year)
    subject = _subject_code(args.subject) if args.subject else None
    data = deficits_data(SYSTEM, year=year, subject=subject)
    if args.json:
        print_json(data)
        return 0
    print(f"Дефициты {year}: по территориям {len(data['summaries'])}, по классам "
          f"{len(data['rows'])}")
    for s in data["summaries"]:
        if s["level"] != "municipality":
            continue
        print(f"  {s['territory']}: {s['procedure']} {s['subject']} {s['grade'] or ''} — "
              f"{s['skill'][:60]} (задания {', '.join(s['tasks'])}): классов с дефицитом "
              f"{s['classes']} из {s['classes_total']}, выполнение {s['completion_pct']}% при "
              f"пороге {s['threshold_pct']}%")
    for r in data["rows"]:
        print(f"  {r['org_code']} {r['class_label']}: {r['procedure']} {r['subject']} — "
              f"{r['skill'][:60]} ({', '.join(r['tasks'])}): {r['completion_pct']}% против "
              f"{r['reference_pct']}% в муниципалитете"
              + (" (нетипичный профиль)" if r["atypical"] else ""))
    return 0


def cmd_comprehensive(args: argparse.Namespace) -> int:
    from soko.accounts.scope import SYSTEM
    from soko.analyses.selectors import comprehensive_data, comprehensive_years

    year = _latest(comprehensive_years(SYSTEM), args.year)
    data = comprehensive_data(SYSTEM, year)
    if args.json:
        print_json(data)
        return 0
    print(f"Комплексный анализ {year}")
    disagree = [a for a in data["agreements"] if a["agrees"] is False]
    print(f"  ОО с позициями в двух и более процедурах: "
          f"{sum(1 for a in data['agreements'] if a['agrees'] is not None)}, "
          f"позиции не согласованы: {len(disagree)}")
    for a in disagree:
        print(f"    {a['org_code']} {a['name']}: {a['text']}")
    for run in data["clusters"]:
        print(f"  Кластеры ({run['territory']}): {run['explanation']}")
        for c in run["clusters"]:
            print(f"    {c['label']} ({c['size']} ОО): {c['description']}")
    drops = [c for c in data["cohorts"] if c["verdict"] == "drop"]
    print(f"  Когорт {len(data['cohorts'])}, со снижением позиции: {len(drops)}")
    return 0
