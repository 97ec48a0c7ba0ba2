"""``soko demo``: a ready demonstration instance from nothing, loaded through the real imports."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from soko.core.errors import ApplicationError

DEMO_PASSWORD = "demo-2026"  # noqa: S105 - a published password of the demo instance


@dataclass
class DemoUser:
    username: str
    password: str
    role: str
    anchor: str


@dataclass
class DemoReport:
    schools: int
    seed: int
    files: int
    rows: int
    seconds: float
    users: list[DemoUser] = field(default_factory=list)
    truth_file: str = ""
    reused: bool = False
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _marker() -> Path:
    return Path(settings.SOKO.data_dir) / "demo.json"


def demo_build(
    *,
    schools: int = 25,
    seed: int = 1,
    years: tuple[int, ...] = (2024, 2025, 2026),
    progress: Callable[[float, str], None] | None = None,
) -> DemoReport:
    """Create the demo instance (or reuse the one already built with the same parameters).

    The synthetic files are written under ``var/demo/`` and imported one by one through
    :func:`soko.imports.services.import_file`, exactly as a user's files would be.
    """
    from soko.core.instance import instance_init
    from soko.cycle.services.demo import seed_demo_cycle
    from soko.imports.services import import_file, run_post_import_hooks
    from soko.indicators.services import seed_demo_targets
    from soko.lib.generator import GeneratorConfig, generate, write_files
    from soko.monitoring.services import seed_demo_monitoring
    from soko.registry.models import Organization
    from soko.warehouse.store import open_warehouse

    say = progress or (lambda f, m: None)
    started = time.monotonic()
    timings: dict[str, float] = {}
    say(0.01, "создание экземпляра")
    instance_init()
    timings["init"] = time.monotonic() - started
    marker = _marker()
    if marker.exists():
        saved = json.loads(marker.read_text(encoding="utf-8"))
        if saved.get("schools") == schools and saved.get("seed") == seed:
            report = DemoReport(**{k: v for k, v in saved.items() if k != "users"})
            report.users = [DemoUser(**u) for u in saved.get("users", [])]
            report.reused = True
            return report
        raise ApplicationError(
            "В этом каталоге данных уже создан демонстрационный экземпляр с другими параметрами "
            f"({saved.get('schools')} ОО, seed {saved.get('seed')}); укажите другой SOKO_DATA_DIR."
        )
    if Organization.objects.exists():
        raise ApplicationError(
            "Экземпляр уже содержит данные; для демонстрации укажите пустой каталог SOKO_DATA_DIR."
        )
    say(0.03, "генерация синтетического муниципалитета")
    t0 = time.monotonic()
    data = generate(
        GeneratorConfig(
            schools=schools, seed=seed, years=years, vpr_format="xlsx" if schools <= 200 else "csv"
        )
    )
    out_dir = Path(settings.SOKO.data_dir) / "demo" / f"seed-{seed}-schools-{schools}"
    manifest = write_files(data, out_dir)
    timings["generate"] = time.monotonic() - t0
    t0 = time.monotonic()
    rows = 0
    files = list(manifest.files)
    with open_warehouse():  # one connection for the whole bulk load
        for i, item in enumerate(files):
            say(0.1 + 0.8 * i / max(1, len(files)), f"загрузка {item.path}")
            outcome = import_file(
                manifest.root / item.path,
                kind=item.kind,
                year=item.year,
                run_hooks=False,
            )
            rows += outcome.rows
    timings["import"] = time.monotonic() - t0
    t0 = time.monotonic()
    say(0.88, "формы мониторинга и анкеты")
    seed_demo_monitoring(seed=seed, years=years)
    timings["monitoring"] = time.monotonic() - t0
    t0 = time.monotonic()
    say(0.9, "расчёт показателей и анализ")
    run_post_import_hooks(None)
    timings["compute"] = time.monotonic() - t0
    t0 = time.monotonic()
    say(0.96, "целевые значения, дорожные карты, рекомендации и меры")
    seed_demo_targets()
    seed_demo_cycle()
    timings["cycle"] = time.monotonic() - t0
    users = _demo_users()
    report = DemoReport(
        schools=schools,
        seed=seed,
        files=len(files),
        rows=rows,
        seconds=round(time.monotonic() - started, 1),
        users=users,
        truth_file=str(out_dir / "truth.json"),
        timings={k: round(v, 1) for k, v in timings.items()},
    )
    marker.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    say(1.0, "готово")
    return report


def _demo_users() -> list[DemoUser]:
    from soko.accounts.models import Role
    from soko.accounts.services import user_create
    from soko.registry.models import Organization, Territory

    region = Territory.objects.filter(kind=Territory.Kind.REGION).order_by("code").first()
    municipality = (
        Territory.objects.filter(kind=Territory.Kind.MUNICIPALITY).order_by("code").first()
    )
    school = (
        Organization.objects.filter(territory=municipality, kind="school").order_by("code").first()
    )
    if region is None or municipality is None or school is None:
        raise ApplicationError("Демонстрационный реестр не загрузился: нет территорий или ОО.")
    specs = [
        ("region", Role.AUTHORITY, region, None, "Региональный оператор"),
        ("uo", Role.AUTHORITY, municipality, None, "Специалист управления образования"),
        ("metod", Role.METHODOLOGIST, municipality, None, "Методист ИМЦ"),
        ("school", Role.SCHOOL, None, school, "Заместитель директора по УВР"),
    ]
    users = []
    for username, role, territory, org, full_name in specs:
        user_create(
            username=username,
            password=DEMO_PASSWORD,
            role=role,
            territory=territory,
            organization=org,
            full_name=full_name,
        )
        anchor = org.short_name if org else territory.name if territory else ""
        users.append(DemoUser(username, DEMO_PASSWORD, str(Role(role).label), anchor))
    return users
