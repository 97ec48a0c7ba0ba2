"""``soko demo``."""

from __future__ import annotations

import argparse
import sys

from soko.cli import add_command, print_json

SubParsers = argparse._SubParsersAction


def register(sub: SubParsers) -> None:
    p = add_command(
        sub,
        "demo",
        cmd_demo,
        "Создать демонстрационный экземпляр (синтетический муниципалитет) и открыть его.",
    )
    p.add_argument("--schools", type=int, default=25, help="число ОО (по умолчанию 25)")
    p.add_argument("--seed", type=int, default=1, help="зерно генератора (по умолчанию 1)")
    p.add_argument("--no-serve", action="store_true", help="не запускать веб-интерфейс")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--json", action="store_true", help="вывести сводку в JSON")


def cmd_demo(args: argparse.Namespace) -> int:
    from soko.core.jobs import Progress
    from soko.demo.services import demo_build

    if args.schools < 1:
        print("Число ОО должно быть положительным.", file=sys.stderr)
        return 2
    progress = Progress(None, echo=not args.json)
    report = demo_build(schools=args.schools, seed=args.seed, progress=progress)
    progress.done()
    if args.json:
        print_json(report.to_dict())
    else:
        if report.reused:
            print("Демонстрационный экземпляр уже создан; используется он.")
        else:
            print(
                f"Демонстрационный экземпляр готов за {report.seconds:.0f} с: {report.schools} ОО, "
                f"файлов загружено {report.files}, строк {report.rows}."
            )
            print(f"Заложенные особенности (для проверки аналитики): {report.truth_file}")
        print("Пользователи (пароль у всех одинаковый):")
        for u in report.users:
            print(f"  {u.username:<8} {u.password}   {u.role} — {u.anchor}")
    if not args.no_serve:
        from soko.web.server import serve

        serve(host=args.host, port=args.port)
    return 0
