"""Sub-commands of the risks area: ``soko analyze``, ``soko flags``, ``soko recheck``.

The CLI runs with the instance operator's full (system) scope unless ``--user`` names a user.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from soko.cli import CommandError, add_command, print_json

SubParsers = argparse._SubParsersAction


def register(sub: SubParsers) -> None:
    """Add this area's sub-commands to `soko`."""
    p = add_command(
        sub,
        "analyze",
        cmd_analyze,
        "Рассчитать всё за год: риски (ШНОР, ШФНСУ, признаки необъективности), затем анализ "
        "результатов (процедуры, комплексный анализ, дефициты).",
    )
    p.add_argument("--year", type=int, help="год (по умолчанию — все годы с результатами)")
    p.add_argument("--json", action="store_true", help="вывести сводку в JSON")

    flags = add_command(sub, "flags", _subhelp("flags"), "Флаги рисков: список и рассмотрение.")
    inner = flags.add_subparsers(dest="flags_command", metavar="ДЕЙСТВИЕ")
    q = add_command(inner, "list", cmd_flags_list,
                    "Флаги: по одному объекту на флаг (ОО, год, работа, признаки, доказательства).")
    q.add_argument("--kind", choices=["objectivity", "low_results", "social"])
    q.add_argument("--year", type=int)
    q.add_argument("--status", choices=["open", "confirmed", "dismissed"])
    q.add_argument("--org", help="логин ОО")
    q.add_argument("--json", action="store_true")
    q = add_command(inner, "review", cmd_flags_review,
                    "Подтвердить или отклонить флаг с комментарием (решение попадает в историю).")
    q.add_argument("--id", type=int, required=True, help="номер флага")
    q.add_argument("--status", required=True, choices=["confirmed", "dismissed", "open"])
    q.add_argument("--comment", default="")
    q.add_argument("--user", help="имя пользователя органа управления (по умолчанию — оператор)")
    q.add_argument("--json", action="store_true")

    rc = add_command(sub, "recheck", _subhelp("recheck"), "Перепроверка работ комиссией.")
    inner = rc.add_subparsers(dest="recheck_command", metavar="ДЕЙСТВИЕ")
    q = add_command(inner, "sample", cmd_recheck_sample, "Сформировать выборку работ.")
    q.add_argument("--assessment", type=int, required=True, help="номер работы в каталоге")
    q.add_argument("--size", type=int, required=True, help="число работ")
    q.add_argument("--method", choices=["random", "risk", "mixed"], default="mixed")
    q.add_argument("--seed", type=int, default=1)
    q.add_argument("--risk-share", type=float, default=0.5)
    q.add_argument("--title", default="")
    q.add_argument("--json", action="store_true")
    q = add_command(inner, "template", cmd_recheck_template, "Шаблон XLSX для комиссии.")
    q.add_argument("--sample", type=int, required=True)
    q.add_argument("--out", type=Path, required=True)
    q = add_command(inner, "load", cmd_recheck_load,
                    "Загрузить заполненный шаблон (всё или ничего).")
    q.add_argument("--sample", type=int, required=True)
    q.add_argument("file", type=Path)
    q.add_argument("--json", action="store_true")
    q = add_command(inner, "list", cmd_recheck_list, "Выборки и их итоги.")
    q.add_argument("--json", action="store_true")


def _subhelp(name: str):  # type: ignore[no-untyped-def]
    def handler(args: argparse.Namespace) -> int:
        raise CommandError(f"Укажите действие: soko {name} -h покажет список.")

    return handler


def cmd_analyze(args: argparse.Namespace) -> int:
    from soko.core.instance import require_initialised
    from soko.core.jobs import Progress
    from soko.risks.services import risks_compute

    require_initialised()
    progress = Progress(None, echo=not args.json)
    risks = risks_compute(year=args.year, progress=progress)
    from soko.analyses.services import analyses_compute

    analyses = analyses_compute(year=args.year, progress=progress)
    progress.done()
    if args.json:
        print_json({"year": args.year, "risks": risks, "analyses": analyses})
        return 0
    print(f"Риски: годы {', '.join(str(y) for y in risks.get('years', [])) or 'нет данных'}; "
          f"флагов необъективности {risks.get('flags', {}).get('objectivity', 0)}, "
          f"ШНОР {risks.get('flags', {}).get('low_results', 0)}, "
          f"ШФНСУ {risks.get('flags', {}).get('social', 0)} ({risks.get('seconds', 0)} с).")
    print("Анализ результатов рассчитан.")
    return 0


def flag_json(f: Any) -> dict[str, Any]:
    """One flag as the CLI prints it: identity, codes, review state and the evidence values."""
    ev = f.evidence or {}
    out: dict[str, Any] = {
        "id": f.pk,
        "kind": f.kind,
        "org_code": f.organization.code,
        "org_name": f.organization.short_name,
        "year": f.year,
        "procedure": f.procedure or None,
        "subject": f.subject or None,
        "grade": f.grade,
        "status": f.status,
        "persistent": f.persistent,
        "current": f.current,
        "review_comment": f.review_comment,
    }
    if f.kind == "objectivity":
        out["markers"] = list(f.codes)
        out["n"] = ev.get("n")
        out["values"] = {
            c: {k: v for k, v in ev.get("markers", {}).get(c, {}).items()
                if k not in ("tasks", "histogram")}
            for c in f.codes
        }
        out["official_list"] = ev.get("official_list")
        out["recheck"] = ev.get("recheck")
    else:
        out["rules"] = list(f.codes)
        out["values"] = {
            "rule_30pct": ev.get("rule_30pct"),
            "low_index": ev.get("low_index"),
            "social_index": ev.get("social"),
            "quadrant": ev.get("quadrant"),
            "residual": ev.get("residual"),
            "objectivity": ev.get("objectivity"),
            "risk_profile": ev.get("risk_profile"),
        }
    out["thresholds"] = {
        code: {"value": t.get("value"), "source": (t.get("source") or {}).get("code")}
        for code, t in (ev.get("thresholds") or {}).items()
    }
    return out


def cmd_flags_list(args: argparse.Namespace) -> int:
    from soko.accounts.scope import SYSTEM
    from soko.core.instance import require_initialised
    from soko.registry.models import Organization
    from soko.risks.selectors import flag_list

    require_initialised()
    org = None
    if args.org:
        org = Organization.objects.filter(code=args.org).first()
        if org is None:
            raise CommandError(f"ОО с логином «{args.org}» нет в реестре.")
    flags = list(flag_list(SYSTEM, kind=args.kind, year=args.year, status=args.status,
                           organization=org))
    rows = [flag_json(f) for f in flags]
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        codes = ", ".join(r.get("markers") or r.get("rules") or [])
        work = " ".join(str(x) for x in (r["procedure"], r["subject"], r["grade"]) if x)
        print(f"{r['id']:>6} {r['year']} {r['org_code']:<14} {r['kind']:<12} {work:<16} "
              f"{codes:<24} {r['status']}{' устойчиво' if r['persistent'] else ''}")
    print(f"Всего: {len(rows)}", file=sys.stderr)
    return 0


def cmd_flags_review(args: argparse.Namespace) -> int:
    from soko.accounts.scope import SYSTEM, scope_for_user
    from soko.core.instance import require_initialised
    from soko.risks.services import flag_review

    require_initialised()
    user, scope = None, SYSTEM
    if args.user:
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(username=args.user).first()
        if user is None:
            raise CommandError(f"Пользователь «{args.user}» не найден.")
        scope = scope_for_user(user)
    flag = flag_review(flag_id=args.id, status=args.status, comment=args.comment, scope=scope,
                       user=user)
    if args.json:
        print_json(flag_json(flag))
    else:
        print(f"Флаг №{flag.pk}: {flag.get_status_display()}.")
    return 0


def cmd_recheck_sample(args: argparse.Namespace) -> int:
    from soko.accounts.scope import SYSTEM
    from soko.core.instance import require_initialised
    from soko.risks.recheck import recheck_sample_create

    require_initialised()
    sample = recheck_sample_create(
        assessment_id=args.assessment, size=args.size, method=args.method, seed=args.seed,
        risk_share=args.risk_share, title=args.title, scope=SYSTEM,
    )
    works = list(sample.works.select_related("organization"))
    by_reason = {r: sum(1 for w in works if w.reason == r) for r in ("random", "risk")}
    data: dict[str, Any] = {
        "sample": sample.pk, "title": sample.title, "works": len(works),
        "schools": len({w.organization_id for w in works}),
        "by_reason": by_reason,
    }
    if args.json:
        print_json(data)
    else:
        print(f"Выборка №{sample.pk}: {data['works']} работ из {data['schools']} ОО "
              f"(по риску {by_reason['risk']}, случайно {by_reason['random']}).")
    return 0


def cmd_recheck_template(args: argparse.Namespace) -> int:
    from soko.accounts.scope import SYSTEM
    from soko.core.instance import require_initialised
    from soko.risks.recheck import recheck_template_xlsx
    from soko.risks.selectors import recheck_sample, recheck_works

    require_initialised()
    sample = recheck_sample(SYSTEM, args.sample)
    if sample is None:
        raise CommandError(f"Выборка №{args.sample} не найдена.")
    args.out.write_bytes(recheck_template_xlsx(sample, recheck_works(SYSTEM, sample)))
    print(f"Шаблон записан: {args.out}")
    return 0


def cmd_recheck_load(args: argparse.Namespace) -> int:
    from soko.accounts.scope import SYSTEM
    from soko.core.instance import require_initialised
    from soko.risks.recheck import recheck_upload_xlsx

    require_initialised()
    if not args.file.exists():
        raise CommandError(f"Файл не найден: {args.file}")
    outcome = recheck_upload_xlsx(sample_id=args.sample, path=args.file, scope=SYSTEM)
    if args.json:
        print_json(outcome)
    else:
        print(f"Загружено работ: {outcome['saved']}; строк без баллов: {outcome['skipped']}.")
    return 0


def cmd_recheck_list(args: argparse.Namespace) -> int:
    from soko.accounts.scope import SYSTEM
    from soko.core.instance import require_initialised
    from soko.risks.selectors import recheck_samples

    require_initialised()
    rows = [
        {"sample": s["sample"].pk, "title": s["sample"].title,
         "assessment": s["sample"].assessment.title, "method": s["sample"].method,
         "works": s["total"], "checked": s["checked"], "objective": s["objective"],
         "share_objective": (s["objective"] / s["checked"]) if s["checked"] else None}
        for s in recheck_samples(SYSTEM)
    ]
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            print(f"{r['sample']:>5} {r['title']:<50} {r['checked']}/{r['works']} "
                  f"объективно {r['objective']}")
    return 0
