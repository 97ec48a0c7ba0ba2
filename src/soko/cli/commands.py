"""Registration of every sub-command. Handlers import Django code lazily (after setup)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from soko.cli import CommandError, add_command, print_json

SubParsers = argparse._SubParsersAction


def register(sub: SubParsers) -> None:
    from soko.cli import data_commands

    _register_instance(sub)
    _register_registry(sub)
    data_commands.register(sub)


# --- instance -------------------------------------------------------------------------------


def _register_instance(sub: SubParsers) -> None:
    p = add_command(
        sub, "init", cmd_init, "Создать или обновить экземпляр: база, справочники, администратор."
    )
    p.add_argument("--admin-user", default="admin", help="имя администратора (по умолчанию admin)")
    p.add_argument("--admin-password", help="пароль администратора (по умолчанию создаётся)")
    p.add_argument("--json", action="store_true", help="вывести сводку в JSON")

    p = add_command(
        sub, "serve", cmd_serve, "Запустить веб-приложение (и фоновый обработчик задач)."
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--no-worker", action="store_true", help="не запускать обработчик задач")
    p.add_argument("--threads", type=int, default=8)

    p = add_command(sub, "worker", cmd_worker, "Выполнять фоновые задачи (отдельным процессом).")
    p.add_argument("--once", action="store_true", help="выполнить задачи из очереди и выйти")

    p = add_command(sub, "backup", cmd_backup, "Сохранить весь экземпляр в файл .tar.gz.")
    p.add_argument("file", type=Path)
    p.add_argument("--json", action="store_true")

    p = add_command(
        sub,
        "restore",
        cmd_restore,
        "Восстановить экземпляр из резервной копии в пустой каталог данных.",
    )
    p.add_argument("file", type=Path)
    p.add_argument("--json", action="store_true")

    p = add_command(
        sub, "manage", cmd_manage, "Служебные команды Django (migrate, createsuperuser, shell…)."
    )
    p.add_argument("args", nargs=argparse.REMAINDER)

    p = add_command(sub, "jobs", cmd_jobs, "Фоновые задачи: список.")
    p.add_argument("--json", action="store_true")


def cmd_init(args: argparse.Namespace) -> int:
    from soko.core.instance import instance_init

    report = instance_init(admin_username=args.admin_user, admin_password=args.admin_password)
    if args.json:
        print_json(report.__dict__)
        return 0
    print("Экземпляр СОКО готов.")
    print(f"  миграций применено: {report.migrated}")
    if report.catalog_skipped:
        print("  справочники: без изменений")
    else:
        loaded = ", ".join(f"{k}: {v}" for k, v in report.catalog.items() if v)
        print(f"  справочники загружены ({loaded})")
    if report.admin_password:
        print(f"  администратор: {report.admin_username} / {report.admin_password}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from soko.core.instance import require_initialised
    from soko.web.server import serve

    require_initialised()
    serve(host=args.host, port=args.port, worker=not args.no_worker, threads=args.threads)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    import threading

    from soko.core.instance import require_initialised
    from soko.core.jobs import job_claim_next, job_run, worker_loop

    require_initialised()
    if args.once:
        while (job := job_claim_next()) is not None:
            job_run(job, echo=True)
        return 0
    print("Обработчик задач запущен; Ctrl+C — остановить.")
    worker_loop(threading.Event())
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from soko.core.instance import instance_backup
    from soko.core.jobs import Progress

    progress = Progress(None, echo=not args.json)
    manifest = instance_backup(args.file, progress)
    progress.done()
    if args.json:
        print_json({"file": str(args.file), **manifest})
    else:
        rows = sum(manifest["fact_rows"].values())
        print(f"Резервная копия записана: {args.file} (строк фактов: {rows})")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from soko.core.instance import instance_restore
    from soko.core.jobs import Progress

    progress = Progress(None, echo=not args.json)
    manifest = instance_restore(args.file, progress)
    progress.done()
    if args.json:
        print_json(manifest)
    else:
        print(f"Экземпляр восстановлен из {args.file} (копия от {manifest['created_at']}).")
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["soko manage", *args.args])
    return 0


def cmd_jobs(args: argparse.Namespace) -> int:
    from soko.core.models import Job

    jobs = list(Job.objects.all()[:100])
    rows = [
        {
            "id": j.pk,
            "kind": j.kind,
            "title": j.title,
            "status": j.status,
            "progress": j.percent,
            "message": j.message,
            "error": j.error,
            "created_at": j.created_at.isoformat(),
        }
        for j in jobs
    ]
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            print(f"{r['id']:>5}  {r['status']:<8} {r['progress']:>3} %  {r['title']}")
    return 0


# --- registry and catalog reads -----------------------------------------------------------------


def _register_registry(sub: SubParsers) -> None:
    orgs = add_command(sub, "orgs", _subhelp("orgs"), "Реестр образовательных организаций.")
    orgs_sub = orgs.add_subparsers(dest="orgs_command", metavar="ДЕЙСТВИЕ")
    p = add_command(orgs_sub, "list", cmd_orgs_list, "Список ОО: логин, название, тип, территория.")
    p.add_argument("--territory", help="код территории")
    p.add_argument("--json", action="store_true")

    cat = add_command(sub, "catalog", _subhelp("catalog"), "Каталог оценочных процедур и шкал.")
    cat_sub = cat.add_subparsers(dest="catalog_command", metavar="ДЕЙСТВИЕ")
    p = add_command(
        cat_sub, "list", cmd_catalog_list, "Работы с заданиями, шкалами и источниками порогов."
    )
    p.add_argument("--procedure", help="код процедуры: ВПР, ОГЭ, ЕГЭ…")
    p.add_argument("--year", type=int)
    p.add_argument("--json", action="store_true")
    p = add_command(
        cat_sub, "load", cmd_catalog_load, "Перезагрузить справочные данные из поставки."
    )
    p.add_argument("--force", action="store_true")


def _subhelp(name: str):  # type: ignore[no-untyped-def]
    def handler(args: argparse.Namespace) -> int:
        raise CommandError(f"Укажите действие: soko {name} -h покажет список.")

    return handler


def cmd_orgs_list(args: argparse.Namespace) -> int:
    from soko.accounts.scope import SYSTEM
    from soko.core.instance import require_initialised
    from soko.registry.selectors import organization_list

    require_initialised()
    rows: list[dict[str, Any]] = [
        {
            "code": o.code,
            "name": o.name,
            "short_name": o.short_name,
            "kind": o.kind,
            "type": o.org_type,
            "settlement": o.settlement,
            "territory": {"code": o.territory.code, "name": o.territory.name},
            "region": (
                {"code": o.territory.parent.code, "name": o.territory.parent.name}
                if o.territory.parent
                else None
            ),
        }
        for o in organization_list(SYSTEM, territory=args.territory)
    ]
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            print(f"{r['code']:<14} {r['type']:<12} {r['short_name']:<40} {r['territory']['name']}")
        print(f"Всего: {len(rows)}", file=sys.stderr)
    return 0


def cmd_catalog_list(args: argparse.Namespace) -> int:
    from soko.catalog.selectors import assessment_dict, assessment_list
    from soko.core.instance import require_initialised

    require_initialised()
    items = [assessment_dict(a) for a in assessment_list(procedure=args.procedure, year=args.year)]
    if args.json:
        print_json(items)
    else:
        for a in items:
            scale = "шкала: " + a["scale_status_label"]
            print(f"{a['id']:>5}  {a['title']:<50} заданий: {len(a['tasks']):>3}  {scale}")
    return 0


def cmd_catalog_load(args: argparse.Namespace) -> int:
    from soko.catalog.services import catalog_load_reference
    from soko.core.instance import require_initialised

    require_initialised()
    report = catalog_load_reference(force=args.force)
    print("без изменений" if report.skipped else f"загружено: {report.counts}")
    return 0
