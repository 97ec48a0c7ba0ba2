"""Sub-commands of this area: ``soko indicators list|values|check|load|targets`` and
``soko compute``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from soko.cli import CommandError, add_command, print_json


def register(sub: argparse._SubParsersAction) -> None:
    """Add this area's sub-commands to `soko`."""
    p = add_command(sub, "compute", cmd_compute, "Пересчитать все показатели (и статусы целей).")
    p.add_argument("--year", type=int, help="только этот год")
    p.add_argument("--json", action="store_true", help="вывести сводку в JSON")

    p = add_command(sub, "indicators", cmd_help, "Показатели: каталог, значения, проверка формул.")
    inner = p.add_subparsers(dest="indicators_command", metavar="ДЕЙСТВИЕ")
    q = inner.add_parser("list", help="каталог показателей")
    q.set_defaults(handler=cmd_list, needs_db=True)
    q.add_argument("--direction", help="код направления (results, talents, …)")
    q.add_argument("--all", action="store_true", help="включая выведенные из употребления")
    q.add_argument("--json", action="store_true")
    q = inner.add_parser("values", help="значения показателя")
    q.set_defaults(handler=cmd_values, needs_db=True)
    q.add_argument("code", help="код показателя")
    q.add_argument("--year", type=int)
    q.add_argument("--org", help="логин ОО")
    q.add_argument("--territory", help="код территории")
    q.add_argument("--breakdown", default="", help="ключ разреза; «*» — все разрезы")
    q.add_argument("--json", action="store_true")
    q = inner.add_parser("check", help="проверить формулу (ничего не сохраняет)")
    q.set_defaults(handler=cmd_check, needs_db=True)
    q.add_argument("formula")
    q.add_argument("--condition", action="store_true", help="формула — условие (да/нет)")
    q = inner.add_parser("load", help="загрузить встроенные определения показателей")
    q.set_defaults(handler=cmd_load, needs_db=True)
    q.add_argument("--force", action="store_true")
    q.add_argument("--json", action="store_true")
    q = inner.add_parser("targets", help="целевые значения и их статус")
    q.set_defaults(handler=cmd_targets, needs_db=True)
    q.add_argument("--year", type=int)
    q.add_argument("--json", action="store_true")


def cmd_help(args: argparse.Namespace) -> int:
    print("Используйте: soko indicators list | values КОД | check ФОРМУЛА | load | targets")
    return 0


def cmd_compute(args: argparse.Namespace) -> int:
    from soko.core.instance import require_initialised
    from soko.core.jobs import Progress
    from soko.indicators.services import indicators_compute

    require_initialised()
    progress = Progress(None, echo=not args.json)
    summary = indicators_compute(year=args.year, progress=progress, trigger="cli")
    progress.done()
    if args.json:
        print_json(summary)
        return 0
    years = ", ".join(str(y) for y in summary["years"]) or "—"
    print(
        f"Рассчитано показателей: {summary['indicators']}, значений: {summary['values']} "
        f"(годы: {years}) за {summary.get('seconds', 0):.1f} с."
    )
    for code, problem in sorted(summary.get("problems", {}).items()):
        print(f"  не рассчитан {code}: {problem}")
    return 0


def _indicator_dict(ind: Any) -> dict[str, Any]:
    return {
        "code": ind.code,
        "name": ind.name,
        "direction": ind.direction,
        "unit": ind.unit,
        "polarity": ind.polarity,
        "aggregation": ind.aggregation,
        "source": ind.source.code,
        "source_title": ind.source.title,
        "source_kind": ind.source.kind,
        "builtin": ind.is_builtin,
        "area": ind.area,
        "retired": ind.retired,
        "problem": ind.problem,
    }


def cmd_list(args: argparse.Namespace) -> int:
    from soko.indicators.selectors import indicator_list
    from soko.indicators.services import indicators_load_builtin

    indicators_load_builtin()
    items = [
        _indicator_dict(i)
        for i in indicator_list(direction=args.direction, include_retired=args.all)
    ]
    if args.json:
        print_json(items)
        return 0
    for item in items:
        mark = " [не рассчитывается]" if item["problem"] else ""
        print(f"{item['direction']:<12} {item['code']:<45} {item['name']}{mark}")
    print(f"Всего: {len(items)}")
    return 0


def cmd_values(args: argparse.Namespace) -> int:
    from django.http import Http404

    from soko.accounts.scope import SYSTEM
    from soko.indicators.selectors import indicator_get, indicator_values
    from soko.registry.models import Organization, Territory

    try:
        ind = indicator_get(args.code)
    except Http404:
        raise CommandError(f"Показатель «{args.code}» не найден.") from None
    org = None
    if args.org:
        org = Organization.objects.filter(code=args.org).first()
        if org is None:
            raise CommandError(f"Организация «{args.org}» не найдена.")
    territory = None
    if args.territory:
        territory = Territory.objects.filter(code=args.territory).first()
        if territory is None:
            raise CommandError(f"Территория «{args.territory}» не найдена.")
    qs = indicator_values(
        SYSTEM,
        ind.code,
        year=args.year,
        organization=org,
        territory=territory,
        breakdown_key=None if args.breakdown == "*" else args.breakdown,
    )
    rows = [
        {
            "year": v.year,
            "organization": v.organization.code if v.organization is not None else None,
            "territory": v.territory.code if v.territory is not None else None,
            "breakdown": v.breakdown,
            "value": v.value,
            "numerator": v.numerator,
            "denominator": v.denominator,
            "n": v.n,
            "suppressed": v.suppressed,
            "previous_value": v.previous_value,
            "change": v.change,
            "change_significant": v.change_significant,
        }
        for v in qs
    ]
    if args.json:
        print_json({"indicator": _indicator_dict(ind), "values": rows})
        return 0
    print(f"{ind.name} ({ind.unit})")
    for r in rows:
        where = r["organization"] or f"[{r['territory']}]"
        value = (
            "скрыто (малая группа)"
            if r["suppressed"]
            else ("—" if r["value"] is None else f"{r['value']:.2f}")
        )
        change = ""
        if r["change"] is not None:
            mark = " *" if r["change_significant"] else ""
            change = f"  изм. {r['change']:+.2f}{mark}"
        part = f" {r['breakdown']}" if r["breakdown"] else ""
        print(f"{r['year']}  {where:<14}{part}  {value}  n={r['n']}{change}")
    if not rows:
        print("Значений нет: выполните «soko compute».", file=sys.stderr)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from soko.indicators import formula
    from soko.indicators.services import formula_schema

    try:
        node = formula.parse(
            args.formula,
            formula_schema(),
            expect=formula.BOOL if args.condition else formula.NUMBER,
        )
    except formula.FormulaError as exc:
        raise CommandError(f"{exc.describe()}\n{exc.caret()}") from None
    print(f"Формула верна: {formula.to_text(node)}")
    print("Источники: " + ", ".join(sorted(formula.referenced_sources(node))))
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    from soko.indicators.services import indicators_load_builtin

    report = indicators_load_builtin(force=args.force)
    if args.json:
        print_json(report)
        return 0
    if report.get("skipped"):
        print(report.get("reason", "Определения показателей не изменились."))
        return 0
    print(
        f"Показатели: создано {report['created']}, обновлено {report['updated']}, "
        f"без изменений {report['unchanged']}, с ошибками {report['problems']}, "
        f"выведено {report['retired']}."
    )
    for message in report.get("errors", []):
        print(f"  {message}")
    return 0


def cmd_targets(args: argparse.Namespace) -> int:
    from soko.accounts.scope import SYSTEM
    from soko.indicators.selectors import targets

    rows = [
        {
            "indicator": t.indicator.code,
            "year": t.year,
            "organization": t.organization.code if t.organization is not None else None,
            "territory": t.territory.code if t.territory is not None else None,
            "value": t.value,
            "status": t.status,
            "status_label": t.get_status_display(),
            "actual_value": t.actual_value,
            "projected_value": t.projected_value,
            "note": t.status_note,
            "document_number": t.document_number,
            "document_date": t.document_date.isoformat() if t.document_date else None,
        }
        for t in targets(SYSTEM, year=args.year)
    ]
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        where = r["organization"] or r["territory"]
        print(
            f"{r['year']} {r['indicator']:<40} {where:<10} цель {r['value']:g}: {r['status_label']}"
        )
    return 0
