"""``soko forms`` / ``soko campaign`` / ``soko talents``: monitoring forms from the command line.

The CLI acts with the rights of the instance (the whole hierarchy), like the other data
commands."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from soko.cli import CommandError, add_command, print_json

SubParsers = argparse._SubParsersAction


def register(sub: SubParsers) -> None:
    p = add_command(sub, "forms", cmd_forms,
                    "Формы мониторинга: list — список, load — загрузить поставляемые формы и "
                    "анкеты.")
    p.add_argument("action", choices=["list", "load"], help="list | load")
    p.add_argument("--direction", help="код направления (results, career, …) для list")
    p.add_argument("--json", action="store_true", help="вывести в JSON")

    p = add_command(sub, "campaign", cmd_campaign,
                    "Кампании мониторинга: create ФОРМА --year Г — отправить форму; "
                    "status ID — полнота и просроченные формы.")
    p.add_argument("action", choices=["create", "status", "list"], help="create | status | list")
    p.add_argument("target", nargs="?", help="код формы (create) или номер кампании (status)")
    p.add_argument("--year", type=int, help="отчётный год")
    p.add_argument("--deadline", help="срок представления, ДД.ММ.ГГГГ или ГГГГ-ММ-ДД")
    p.add_argument("--territory", help="код территории (по умолчанию — все ОО экземпляра)")
    p.add_argument("--kind", action="append", dest="kinds",
                   help="вид ОО: school, preschool, additional (можно несколько раз)")
    p.add_argument("--org", action="append", dest="orgs", help="логин ОО (можно несколько раз)")
    p.add_argument("--no-review", action="store_true",
                   help="принимать формы без проверки органом управления")
    p.add_argument("--title", default="", help="название кампании")
    p.add_argument("--json", action="store_true", help="вывести в JSON")

    p = add_command(sub, "talents", cmd_talents,
                    "Банк «Одарённые дети»: refresh — пересобрать по результатам ВсОШ и формам.")
    p.add_argument("action", choices=["refresh"], help="refresh")
    p.add_argument("--json", action="store_true", help="вывести в JSON")


def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    raise CommandError(f"Срок «{text}» не распознан: укажите дату как ДД.ММ.ГГГГ или ГГГГ-ММ-ДД.")


def cmd_forms(args: argparse.Namespace) -> int:
    from soko.core.instance import require_initialised
    from soko.monitoring import selectors, services

    require_initialised()
    if args.action == "load":
        counts = services.builtin_load()
        if args.json:
            print_json(counts)
        else:
            retired = counts["retired"]
            tail = f", выведено из употребления старых версий: {retired}" if retired else ""
            print(f"Загружено форм: {counts['forms']}, анкет: {counts['questionnaires']}{tail}.")
        return 0
    rows = [
        {
            "code": t.code,
            "version": t.version,
            "title": t.title,
            "direction": t.direction,
            "org_kinds": t.org_kinds,
            "fields": len(t.spec.fields),
            "source": t.source.code if t.source else None,
        }
        for t in selectors.template_list(direction=args.direction)
    ]
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("Форм нет: выполните «soko forms load».")
    for r in rows:
        print(f"{r['code']:<14} в.{r['version']}  {r['direction']:<12} {r['title']} "
              f"(полей: {r['fields']})")
    return 0


def _status_dict(summary: Any, rows: list[Any]) -> dict[str, Any]:
    c = summary.campaign
    return {
        "id": c.pk,
        "title": c.title,
        "form": c.template.code,
        "year": c.year,
        "deadline": c.deadline.isoformat(),
        "status": c.status,
        "organizations": summary.total,
        "by_status": summary.by_status,
        "done": summary.done,
        "percent": summary.percent,
        "overdue": summary.overdue,
        "late_submitted": summary.late_submitted,
        "submissions": [
            {"organization": r.submission.organization.code, "status": r.submission.status,
             "overdue": r.overdue, "submitted_late": r.submission.submitted_late}
            for r in rows
        ],
    }


def cmd_campaign(args: argparse.Namespace) -> int:
    from django.http import Http404

    from soko.accounts.scope import SYSTEM
    from soko.core.instance import require_initialised
    from soko.monitoring import selectors, services
    from soko.registry.models import Organization, Territory

    require_initialised()
    if args.action == "list":
        rows = [_status_dict(s, []) for s in selectors.campaign_list(SYSTEM, year=args.year)]
        if args.json:
            print_json(rows)
        else:
            for r in rows:
                print(f"№{r['id']:<5} {r['year']} {r['title']}: {r['done']} из "
                      f"{r['organizations']} ({r['percent']} %), просрочено {r['overdue']}")
        return 0
    if args.action == "status":
        if not args.target or not str(args.target).isdigit():
            raise CommandError("Укажите номер кампании: soko campaign status ID.")
        try:
            campaign = selectors.campaign_get(SYSTEM, int(args.target))
        except Http404 as exc:
            raise CommandError(f"Кампания №{args.target} не найдена.") from exc
        data = _status_dict(selectors.campaign_summary(SYSTEM, campaign),
                            selectors.campaign_submissions(SYSTEM, campaign))
        if args.json:
            print_json(data)
            return 0
        print(f"{data['title']} (срок {campaign.deadline:%d.%m.%Y}): представлено {data['done']} "
              f"из {data['organizations']} ({data['percent']} %), просрочено {data['overdue']}.")
        for s in data["submissions"]:
            mark = " — просрочена" if s["overdue"] else ""
            print(f"  {s['organization']:<12} {s['status']}{mark}")
        return 0
    if not args.target:
        raise CommandError("Укажите код формы: soko campaign create ФОРМА --year ГОД.")
    if not args.year:
        raise CommandError("Укажите отчётный год: --year ГОД.")
    try:
        template = selectors.template_get(args.target)
    except Http404 as exc:
        raise CommandError(f"Форма «{args.target}» не найдена: soko forms list.") from exc
    territory = None
    if args.territory:
        territory = Territory.objects.filter(code=args.territory).first()
        if territory is None:
            raise CommandError(f"Территория «{args.territory}» не найдена.")
    orgs = None
    if args.orgs:
        orgs = list(Organization.objects.filter(code__in=args.orgs))
        missing = sorted(set(args.orgs) - {o.code for o in orgs})
        if missing:
            raise CommandError(f"Не найдены ОО: {', '.join(missing)}.")
    campaign = services.campaign_create(
        scope=SYSTEM, template=template, year=args.year, deadline=_date(args.deadline),
        territory=territory, kinds=args.kinds, organizations=orgs,
        review_required=not args.no_review, title=args.title,
    )
    data = _status_dict(selectors.campaign_summary(SYSTEM, campaign), [])
    if args.json:
        print_json(data)
    else:
        print(f"Кампания №{campaign.pk} «{campaign.title}» отправлена: {data['organizations']} ОО, "
              f"срок {campaign.deadline:%d.%m.%Y}.")
    return 0


def cmd_talents(args: argparse.Namespace) -> int:
    from soko.core.instance import require_initialised
    from soko.monitoring.services import talents_refresh

    require_initialised()
    counts = talents_refresh(None)
    if args.json:
        print_json(counts)
    else:
        print(f"Банк «Одарённые дети» обновлён: обучающихся {counts.get('students', 0)}, "
              f"достижений ВсОШ {counts.get('records', 0)}.")
    return 0
