"""Sub-commands of the management cycle: ``soko schedule``, ``soko roadmap``, ``soko muko``.

Handlers import Django code lazily; ``soko schedule parse`` needs no database at all.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from soko.cli import CommandError, add_command, print_json

SubParsers = argparse._SubParsersAction


def register(sub: SubParsers) -> None:
    """Add this area's sub-commands to `soko`."""
    p = add_command(
        sub,
        "schedule",
        cmd_schedule,
        "Разобрать срок из дорожной карты: soko schedule parse «ТЕКСТ».",
        needs_db=False,
    )
    p.add_argument("action", choices=["parse"], help="parse — разобрать текст срока")
    p.add_argument("text", help="текст срока, например «Февраль ежегодно»")
    p.add_argument("--from", dest="date_from", help="начало окна, ГГГГ-ММ-ДД")
    p.add_argument("--to", dest="date_to", help="конец окна, ГГГГ-ММ-ДД")
    p.add_argument("--year", type=int, help="год начала дорожной карты (для сроков без года)")
    p.add_argument("--json", action="store_true", help="вывести результат в JSON")

    r = add_command(
        sub, "roadmap", cmd_roadmap,
        "Дорожные карты: import | list | due | remind | export.",
    )
    actions = r.add_subparsers(dest="action", metavar="ДЕЙСТВИЕ")
    imp = actions.add_parser("import", help="загрузить дорожную карту из .docx, .xlsx или .txt")
    imp.add_argument("file", type=Path)
    imp.add_argument("--territory", help="код муниципалитета (если их несколько)")
    imp.add_argument("--title", help="название (по умолчанию — из документа)")
    imp.add_argument("--direction", help="направление (код); по умолчанию определяется")
    imp.add_argument("--period", help="период, например 2021-2023 (если его нет в документе)")
    imp.add_argument("--dry-run", action="store_true", help="только показать, что будет загружено")
    imp.add_argument("--json", action="store_true")
    lst = actions.add_parser("list", help="список дорожных карт")
    lst.add_argument("--json", action="store_true")
    due = actions.add_parser("due", help="сроки в ближайшие N дней и просроченные мероприятия")
    due.add_argument("--days", type=int, required=True)
    due.add_argument("--today", help="дата отсчёта ГГГГ-ММ-ДД (по умолчанию сегодня)")
    due.add_argument("--json", action="store_true")
    rem = actions.add_parser(
        "remind", help="разослать напоминания (идемпотентно; для запуска из cron раз в день)"
    )
    rem.add_argument("--today", help="дата ГГГГ-ММ-ДД (по умолчанию сегодня)")
    rem.add_argument("--no-email", action="store_true", help="только уведомления в системе")
    rem.add_argument("--json", action="store_true")
    exp = actions.add_parser("export", help="выгрузить дорожную карту в .docx или .xlsx")
    exp.add_argument("id", type=int)
    exp.add_argument("--output", "-o", type=Path, required=True, help="файл .docx или .xlsx")

    m = add_command(sub, "muko", cmd_muko,
                    "Самооценка МУКО: матрица «направление × этап цикла» (пересчитать и вывести).")
    m.add_argument("--territory", help="код муниципалитета (по умолчанию — все)")
    m.add_argument("--no-recompute", action="store_true", help="вывести сохранённую матрицу")
    m.add_argument("--json", action="store_true")


def _date(value: str | None, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{name}: ожидается дата ГГГГ-ММ-ДД, получено «{value}».") from exc


# ----------------------------------------------------------------------------------------------
# soko schedule parse
# ----------------------------------------------------------------------------------------------


def cmd_schedule(args: argparse.Namespace) -> int:
    from soko.lib.schedule import parse_schedule, schedule_to_cli_json

    today = dt.date.today()  # noqa: DTZ011 - the local calendar day is what a user means
    start = _date(args.date_from, "--from") or dt.date(today.year, 1, 1)
    end = _date(args.date_to, "--to") or dt.date(start.year + 1, 12, 31)
    if end < start:
        raise CommandError("--to раньше --from.")
    schedule = parse_schedule(args.text, context_year=args.year)
    data = schedule_to_cli_json(schedule, start, end)
    if args.json:
        print_json(data)
        return 0
    if not schedule.parsed:
        print(f"Срок не распознан: «{args.text}». Текст сохраняется как есть, дата не угадывается.")
        return 0
    print(f"Вид: {schedule.kind} — {schedule.description}")
    occurrences = data["occurrences"]
    print(f"Сроки с {start:%d.%m.%Y} по {end:%d.%m.%Y}: {len(occurrences)}")
    for o in occurrences:
        due = dt.date.fromisoformat(o["end"])
        if o["start"]:
            begin = dt.date.fromisoformat(o["start"])
            print(f"  {begin:%d.%m.%Y} – {due:%d.%m.%Y}")
        else:
            print(f"  до {due:%d.%m.%Y}")
    return 0


# ----------------------------------------------------------------------------------------------
# soko roadmap …
# ----------------------------------------------------------------------------------------------


def cmd_roadmap(args: argparse.Namespace) -> int:
    from soko.core.instance import require_initialised

    require_initialised()
    action = getattr(args, "action", None)
    handlers = {"import": _import, "list": _list, "due": _due, "remind": _remind,
                "export": _export}
    if action not in handlers:
        raise CommandError("Укажите действие: soko roadmap import | list | due | remind | export.")
    return handlers[action](args)


def _territory(code: str | None) -> Any:
    from soko.registry.models import Territory

    if code:
        found = Territory.objects.filter(code=code).first()
        if found is None:
            raise CommandError(f"Территория с кодом «{code}» не найдена.")
        return found
    municipalities = list(Territory.objects.filter(kind=Territory.Kind.MUNICIPALITY)
                          .order_by("code"))
    if len(municipalities) == 1:
        return municipalities[0]
    if not municipalities:
        return None
    names = ", ".join(f"{t.code} ({t.name})" for t in municipalities[:10])
    raise CommandError(f"Муниципалитетов несколько; укажите --territory КОД: {names}.")


def _period(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    parts = text.replace("–", "-").split("-")
    try:
        first, last = int(parts[0]), int(parts[-1])
    except ValueError as exc:
        raise CommandError("--period: ожидается «ГГГГ-ГГГГ», например 2021-2023.") from exc
    if first > last:
        raise CommandError("--period: начало позже окончания.")
    return first, last


def _preview_json(preview: Any, period: tuple[int, int] | None) -> list[dict[str, Any]]:
    from soko.cycle.occurrences import plan_occurrences, roadmap_window
    from soko.lib.schedule import parse_schedule

    context = period[0] if period else (preview.doc_date.year if preview.doc_date else None)
    window = roadmap_window(period, preview.doc_date, context or dt.date.today().year)  # noqa: DTZ011
    sections = []
    for section in preview.sections:
        items = []
        for item in section.items:
            schedule = parse_schedule(item.deadline, context_year=context)
            due = [p.due.isoformat() for p in plan_occurrences(schedule, window, preview.doc_date)
                   if p.due is not None]
            items.append(
                {
                    "number": item.number,
                    "title": item.title,
                    "deadline": item.deadline,
                    "schedule": {"kind": schedule.kind, "parsed": schedule.parsed,
                                 "description": schedule.description, "due": due},
                    "responsible": item.responsible,
                    "responsible_canonical": item.responsible_canonical,
                    "indicator": item.indicator,
                }
            )
        sections.append({"title": section.title, "level": section.level,
                         "direction": section.direction, "items": items})
    return sections


def _import(args: argparse.Namespace) -> int:
    from soko.cycle.services.roadmaps import roadmap_import, roadmap_preview

    path: Path = args.file
    if not path.is_file():
        raise CommandError(f"Файл не найден: {path}")
    period = _period(args.period)
    preview = roadmap_preview(path)
    chosen_period = period or preview.period
    data: dict[str, Any] = {
        "status": "dry_run",
        "roadmap_id": None,
        "file": path.name,
        "title": args.title or preview.title,
        "direction": args.direction or preview.direction,
        "period": list(chosen_period) if chosen_period else None,
        "approving_document": (
            {"kind": preview.doc_kind, "number": preview.doc_number,
             "date": preview.doc_date.isoformat() if preview.doc_date else None}
            if preview.doc_number else None
        ),
        "items_total": preview.items_total,
        "unparsed": len(preview.unparsed),
        "warnings": preview.warnings,
        "targets": preview.targets,
        "sections": _preview_json(preview, chosen_period),
    }
    if not args.dry_run:
        territory = _territory(args.territory)
        if territory is None:
            raise CommandError(
                "В экземпляре нет муниципалитетов: загрузите реестр ОО (soko import …) или "
                "проверьте файл с --dry-run."
            )
        result = roadmap_import(path=path, territory=territory, title=args.title,
                                direction=args.direction, period=period)
        data["status"] = "imported" if result.created else "unchanged"
        data["roadmap_id"] = result.roadmap.pk
        data["territory"] = territory.name
        if not result.created:
            data["warnings"] = [
                *data["warnings"],
                f"Этот файл уже загружен (дорожная карта №{result.roadmap.pk}); "
                "ничего не изменено.",
            ]
    if args.json:
        print_json(data)
        return 0
    verb = {"dry_run": "Проверка (ничего не записано)", "imported": "Загружено",
            "unchanged": "Уже загружено"}[data["status"]]
    print(f"{verb}: {data['title']}")
    if data["roadmap_id"]:
        print(f"Дорожная карта №{data['roadmap_id']}, территория: {data.get('territory', '')}")
    doc = data["approving_document"]
    if doc:
        print(f"Утверждена: {doc['kind']} от {doc['date'] or '—'} № {doc['number']}")
    period_text = "–".join(map(str, data["period"])) if data["period"] else "не указан"
    print(f"Период: {period_text}; направление: {data['direction']}")
    print(f"Мероприятий: {data['items_total']}, сроков не распознано: {data['unparsed']}")
    for section in data["sections"]:
        print(f"{'  ' * section['level']}§ {section['title']} ({len(section['items'])})")
        for item in section["items"]:
            mark = "" if item["schedule"]["parsed"] else "  [срок не распознан, сохранён как текст]"
            number = f"{item['number']}. " if item["number"] else ""
            print(f"{'  ' * section['level']}  {number}{item['title'][:90]}")
            print(f"{'  ' * section['level']}     срок: «{item['deadline']}» → "
                  f"{item['schedule']['description']}{mark}")
    for warning in data["warnings"]:
        print(f"Замечание: {warning}", file=sys.stderr)
    return 0


def _list(args: argparse.Namespace) -> int:
    from soko.accounts.scope import SYSTEM
    from soko.cycle.directions import direction_label
    from soko.cycle.selectors import roadmap_list

    rows = [
        {
            "id": r.pk,
            "title": r.title,
            "territory": r.territory.name,
            "direction": r.direction,
            "direction_label": direction_label(r.direction),
            "period": [r.period_start, r.period_end] if r.period_start else None,
            "approving_document": r.approving_text,
            "status": r.status,
            "items": r.n_items,  # type: ignore[attr-defined]
            "done": r.n_done,  # type: ignore[attr-defined]
            "overdue": r.n_overdue,  # type: ignore[attr-defined]
        }
        for r in roadmap_list(SYSTEM)
    ]
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("Дорожных карт нет. Загрузите: soko roadmap import ФАЙЛ")
        return 0
    for row in rows:
        period = "–".join(map(str, row["period"])) if row["period"] else "период не указан"
        print(f"№{row['id']}  {row['title'][:100]}")
        print(f"      {row['territory']}; {period}; {row['approving_document'] or 'без акта'}; "
              f"мероприятий {row['items']}, выполнено {row['done']}, просрочено {row['overdue']}")
    return 0


def _due_row(row: Any) -> dict[str, Any]:
    o = row.occurrence
    return {
        "occurrence_id": o.pk,
        "item_id": row.item.pk,
        "roadmap_id": row.item.roadmap_id,
        "number": row.item.number,
        "title": row.item.title,
        "period": o.label,
        "start": o.start.isoformat() if o.start else None,
        "end": o.due.isoformat() if o.due else None,
        "days_left": row.days_left,
        "status": row.status,
        "responsible": row.item.responsible_text,
    }


def _due(args: argparse.Namespace) -> int:
    from soko.accounts.scope import SYSTEM
    from soko.cycle.selectors import due_soon, overdue
    from soko.cycle.services.roadmaps import local_today

    if args.days < 0:
        raise CommandError("--days должно быть неотрицательным.")
    today = _date(args.today, "--today") or local_today()
    data = {
        "today": today.isoformat(),
        "days": args.days,
        "due": [_due_row(r) for r in due_soon(SYSTEM, today, args.days)],
        "overdue": [_due_row(r) for r in overdue(SYSTEM, today)],
    }
    if args.json:
        print_json(data)
        return 0
    print(f"Сроки с {today:%d.%m.%Y} на {args.days} дн.: {len(data['due'])}")
    for row in data["due"]:
        print(f"  {row['end']}  {row['number']} {row['title'][:90]} ({row['period']})")
    print(f"Просрочено: {len(data['overdue'])}")
    for row in data["overdue"]:
        print(f"  {row['end']}  {row['number']} {row['title'][:90]} ({row['period']})")
    return 0


def _remind(args: argparse.Namespace) -> int:
    from soko.cycle.services.reminders import remind

    report = remind(today=_date(args.today, "--today"), email=not args.no_email)
    if args.json:
        print_json(report.to_dict())
        return 0
    print(
        f"{report.today}: напоминаний о сроке {report.deadline}, о просрочке {report.overdue}, "
        f"сводок {report.digests}, писем отправлено {report.emails}."
    )
    return 0


def _export(args: argparse.Namespace) -> int:
    from django.http import Http404

    from soko.accounts.scope import SYSTEM
    from soko.cycle.export import roadmap_docx, roadmap_xlsx
    from soko.cycle.selectors import roadmap_export_model, roadmap_get
    from soko.cycle.services.roadmaps import local_today

    try:
        roadmap = roadmap_get(SYSTEM, args.id)
    except Http404 as exc:
        raise CommandError(f"Дорожная карта №{args.id} не найдена.") from exc
    output: Path = args.output
    model = roadmap_export_model(SYSTEM, roadmap, local_today())
    if output.suffix.lower() == ".docx":
        output.write_bytes(roadmap_docx(model))
    elif output.suffix.lower() == ".xlsx":
        output.write_bytes(roadmap_xlsx(model))
    else:
        raise CommandError("Укажите файл .docx или .xlsx.")
    print(f"Сохранено: {output}")
    return 0


# ----------------------------------------------------------------------------------------------
# soko muko
# ----------------------------------------------------------------------------------------------


def cmd_muko(args: argparse.Namespace) -> int:
    from soko.core.instance import require_initialised
    from soko.cycle.directions import STEP_CODES, direction_label
    from soko.cycle.models import MukoAssessment
    from soko.cycle.services.selfassessment import muko_recompute

    require_initialised()
    territory = None
    if args.territory:
        territory = _territory(args.territory)
    if args.no_recompute:
        qs = MukoAssessment.objects.select_related("territory").order_by("territory__code",
                                                                          "-year")
        if territory is not None:
            qs = qs.filter(territory=territory)
        stored = list({a.territory_id: a for a in reversed(list(qs))}.values())
    else:
        stored = muko_recompute(territory=territory)
    payload = [
        {"territory": a.territory.code, "territory_name": a.territory.name, "year": a.year,
         **a.matrix}
        for a in stored
    ]
    if args.json:
        print_json(payload)
        return 0
    if not payload:
        print("Нет муниципалитетов для самооценки МУКО.")
        return 0
    header = "".join(f"{k + 1:>4}" for k in range(len(STEP_CODES)))
    for data in payload:
        print(f"{data['territory_name']} ({data['year']}): {data['percent']} % — "
              f"{data['level']} уровень")
        print(f"  {'направление':<40}{header}    %  уровень")
        for row in data["directions"]:
            cells = "".join(
                f"{row['cells'][s]['points']}/{row['cells'][s]['max_points']}".rjust(4)
                for s in STEP_CODES
            )
            print(f"  {direction_label(row['direction'])[:38]:<40}{cells} {row['percent']:>5} "
                  f" {row['level']}{'' if row['complete_cycle'] else ' (неполный цикл)'}")
        print(f"  Источник критериев: {data['source']['title']}")
        print(f"  Нужно сделать: {len(data['todo'])} пунктов (soko muko --json — полный список)")
    return 0
