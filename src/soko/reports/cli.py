"""``soko report KIND --year Y [--org CODE] --out FILE`` and ``soko report list``."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from soko.cli import CommandError, add_command, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "report", cmd_report,
                    "Сформировать отчёт (soko report ВИД --year Г --out ФАЙЛ) или список: "
                    "soko report list.")
    p.add_argument("kind", help="вид отчёта или «list»")
    p.add_argument("--year", type=int)
    p.add_argument("--org", help="логин ОО (паспорт ОО, отчёт ВПР по одной ОО)")
    p.add_argument("--out", type=Path, help="файл результата: .docx, .xlsx или .pdf")
    p.add_argument("--json", action="store_true")


def cmd_report(args: argparse.Namespace) -> int:
    from soko.accounts.scope import SYSTEM
    from soko.core.instance import require_initialised
    from soko.reports.builders import kinds
    from soko.reports.models import Report
    from soko.reports.services import report_generate, report_request

    require_initialised()
    if args.kind == "list":
        rows = [
            {"id": r.pk, "kind": r.kind, "title": r.title, "format": r.fmt, "status": r.status,
             "created_at": r.created_at.isoformat(), "file": r.path, "message": r.message}
            for r in Report.objects.all()[:200]
        ]
        if args.json:
            print_json({"kinds": {k: s.title for k, s in sorted(kinds().items())},
                        "reports": rows})
        else:
            print("Виды отчётов:")
            for k, s in sorted(kinds().items()):
                print(f"  {k:<14} {s.title}")
            print("Сформированные:")
            for r in rows:
                print(f"  {r['id']:>5} {r['status']:<8} {r['format']:<5} {r['title']}")
        return 0
    if args.out is None:
        raise CommandError("Укажите файл результата: --out ОТЧЁТ.docx (или .xlsx, .pdf).")
    fmt = args.out.suffix.lower().lstrip(".")
    report = report_request(kind=args.kind, year=args.year, org_code=args.org, fmt=fmt,
                            user=None, scope=SYSTEM)
    report = report_generate(report, scope=SYSTEM)
    if report.status != "done":
        raise CommandError(f"Отчёт не сформирован: {report.message}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(report.path, args.out)
    if args.json:
        print_json({"id": report.pk, "file": str(args.out), "seconds": report.seconds,
                    **report.summary})
    else:
        print(f"Отчёт сохранён: {args.out} ({report.seconds:.1f} с)", file=sys.stderr)
    return 0
