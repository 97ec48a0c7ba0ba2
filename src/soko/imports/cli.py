"""``soko import``: load files from the command line; history and undo."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from soko.cli import CommandError, add_command, print_json

SubParsers = argparse._SubParsersAction


def register(sub: SubParsers) -> None:
    p = add_command(
        sub, "import", cmd_import, "Загрузить файл (или: soko import history | undo N)."
    )
    p.add_argument("file", help="путь к файлу; «history» — список загрузок; «undo» — отмена")
    p.add_argument("batch", nargs="?", help="номер загрузки для undo")
    p.add_argument("--kind", help="вид данных (по умолчанию определяется по содержимому)")
    p.add_argument("--year", type=int, help="год (если его нет в файле)")
    p.add_argument(
        "--map", dest="map_file", type=Path, help="файл сопоставления столбцов (JSON/YAML/CSV)"
    )
    p.add_argument("--create-orgs", action="store_true", help="создать отсутствующие в реестре ОО")
    p.add_argument(
        "--dry-run", action="store_true", help="проверить и показать план, ничего не записывая"
    )
    p.add_argument("--org", help="логин ОО (для формы сбора результатов)")
    p.add_argument("--subject", help="предмет (для формы сбора и протоколов без столбца «Предмет»)")
    p.add_argument("--grade", type=int, help="класс (для формы сбора результатов)")
    p.add_argument("--procedure", help="процедура для протокола: ОГЭ, ЕГЭ, ГВЭ-9, ГВЭ-11")
    p.add_argument("--json", action="store_true", help="вывести результат в JSON")


def read_mapping(path: Path | None) -> dict[str, str] | None:
    """A column mapping «title in the file» → «canonical title» from JSON, YAML or CSV."""
    if path is None:
        return None
    if not path.exists():
        raise CommandError(f"Файл сопоставления не найден: {path}")
    text = path.read_text(encoding="utf-8-sig")
    try:
        if path.suffix.lower() in {".json"}:
            data: Any = json.loads(text)
        elif path.suffix.lower() in {".yaml", ".yml"}:
            import yaml

            data = yaml.safe_load(text)
        else:
            data = {}
            for line in text.splitlines():
                if not line.strip():
                    continue
                sep = ";" if ";" in line else ","
                left, _, right = line.partition(sep)
                data[left.strip()] = right.strip()
    except ValueError as exc:
        raise CommandError(f"Файл сопоставления {path.name} не читается: {exc}") from exc
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise CommandError(
            f"Файл сопоставления {path.name}: ожидаются пары «столбец в файле» → «столбец СОКО»."
        )
    return {str(k): str(v) for k, v in data.items()}


def cmd_import(args: argparse.Namespace) -> int:
    from soko.core.instance import require_initialised

    require_initialised()
    if args.file == "history":
        return _history(args)
    if args.file == "undo":
        return _undo(args)
    from soko.core.jobs import Progress
    from soko.imports.parsing.problems import ImportRejected
    from soko.imports.services import import_file

    path = Path(args.file)
    if not path.exists():
        raise CommandError(f"Файл не найден: {path}")
    progress = Progress(None, echo=not args.json and sys.stderr.isatty())
    options = {
        "org": args.org,
        "subject": args.subject,
        "grade": args.grade,
        "procedure": args.procedure,
    }
    try:
        outcome = import_file(
            path,
            kind=args.kind,
            year=args.year,
            mapping=read_mapping(args.map_file),
            create_orgs=args.create_orgs,
            dry_run=args.dry_run,
            options={k: v for k, v in options.items() if v is not None},
            progress=progress,
        )
    except ImportRejected as exc:
        progress.done()
        if args.json:
            print_json(
                {
                    "status": "rejected",
                    "file": path.name,
                    "errors": exc.extra["errors"],
                    "total_errors": exc.total,
                }
            )
        else:
            print(
                f"Файл «{path.name}» не принят: ошибок {exc.total}. База данных не изменена.",
                file=sys.stderr,
            )
            for problem in exc.problems[:50]:
                print(f"  • {problem.text()}", file=sys.stderr)
            if exc.total > 50:
                print(f"  … и ещё {exc.total - 50}", file=sys.stderr)
        return 1
    progress.done()
    if args.json:
        print_json(outcome.to_dict())
        return 0
    if outcome.status == "unchanged":
        print(f"Файл уже загружен (загрузка №{outcome.batch_id}); ничего не изменилось.")
        return 0
    head = (
        "Проверка пройдена (ничего не записано)"
        if outcome.status == "dry_run"
        else (f"Загружено: загрузка №{outcome.batch_id}")
    )
    print(f"{head}. Вид: {outcome.kind_title}. Строк: {outcome.rows}. ОО: {outcome.organizations}.")
    for title in outcome.assessments:
        print(f"  работа: {title}")
    for title in outcome.new_assessments:
        print(f"  новая работа в каталоге: {title}")
    if outcome.new_organizations:
        print(f"  новые ОО: {', '.join(outcome.new_organizations)}")
    replaced = [s for s in outcome.slices if s["action"] == "replace"]
    if replaced:
        print(f"  заменяется данных ранее загруженных файлов: {len(replaced)} срезов")
        for s in replaced[:20]:
            print(
                f"    {s['label']}: {s['replaced_rows']} → {s['rows']} строк "
                f"(загрузки {', '.join(map(str, s['replaces_batches']))})"
            )
    for w in outcome.warnings:
        print(f"  предупреждение: {w}")
    return 0


def _history(args: argparse.Namespace) -> int:
    from soko.imports.selectors import batch_list

    rows: list[dict[str, Any]] = [
        {
            "id": b.pk,
            "file": b.file_name,
            "sha256": b.sha256,
            "kind": b.kind,
            "time": b.created_at.isoformat(),
            "rows": b.rows_accepted,
            "status": b.status,
            "status_label": b.get_status_display(),
        }
        for b in batch_list()
    ]
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            print(
                f"{r['id']:>5}  {r['time'][:19]}  {r['status_label']:<20} {r['kind']:<14} "
                f"{r['rows']:>9}  {r['file']}"
            )
    return 0


def _undo(args: argparse.Namespace) -> int:
    from soko.imports.services import import_undo

    if not args.batch or not str(args.batch).isdigit():
        raise CommandError("Укажите номер загрузки: soko import undo N")
    batch = import_undo(batch_id=int(args.batch))
    if args.json:
        print_json({"id": batch.pk, "status": batch.status})
    else:
        print(f"Загрузка №{batch.pk} отменена; предыдущие данные восстановлены.")
    return 0
