"""The municipal ВПР report of the demo instance: generation time against a plain pandas +
python-docx script.

Usage: ``python benchmarks/reports.py [--schools 25] [--seed 1] [--repeat 3]``

Builds the demo instance (``soko demo``, the Quick start's default of 25 schools) once in its own
data directory (reused on the next run), then in a child process times
:func:`soko.reports.services.report_generate` for the municipal ВПР report of the last demo year
as DOCX and as XLSX (the issue's target: under 10 s), and the one-organization variant.

The baseline reads the ВПР results of the year from the warehouse into pandas, computes per work
and organization the participants, shares of marks 2–5 and the mean primary score, draws one
bar chart per work with matplotlib and writes a DOCX of the tables and charts with python-docx —
what an analyst's script does today, without the histogram, tasks, skills, journal comparison,
mastery, conclusions or appendix of the real report. The ratio compares those two times.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out" / "reports"
YEAR = 2026


def _peak_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"SOKO_DATABASE_URL", "SOKO_WAREHOUSE"}}
    env["SOKO_DATA_DIR"] = str(data_dir)
    return env


def prepare(schools: int, seed: int) -> tuple[Path, float | None]:
    data_dir = OUT / f"demo-{schools}-{seed}"
    if (data_dir / "demo.json").exists():
        return data_dir, None
    data_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    subprocess.run([sys.executable, "-m", "soko", "demo", "--schools", str(schools), "--seed",
                    str(seed), "--no-serve", "--json"], env=_env(data_dir), check=True,
                   stdout=subprocess.DEVNULL)
    return data_dir, round(time.monotonic() - t0, 1)


def run_child(args: list[str], data_dir: Path) -> dict:
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                          env=_env(data_dir), check=False)
    if proc.returncode != 0:
        raise SystemExit(f"child {args} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def child_soko(repeat: int) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soko.settings")
    django.setup()
    from django.contrib.auth import get_user_model

    from soko.accounts.scope import scope_for_user
    from soko.registry.models import Organization
    from soko.reports.services import report_generate, report_request

    user = get_user_model().objects.get(username="uo")
    scope = scope_for_user(user)
    school = Organization.objects.filter(scope.org_q(), kind="school").order_by("code").first()
    timings: dict[str, list[float]] = {"municipal_docx": [], "municipal_xlsx": [],
                                       "organization_docx": []}
    summary = {}
    for _ in range(repeat):
        for name, fmt, org in (("municipal_docx", "docx", None), ("municipal_xlsx", "xlsx", None),
                               ("organization_docx", "docx", school.code if school else None)):
            t0 = time.monotonic()
            report = report_request(kind="vpr", year=YEAR, org_code=org, fmt=fmt, user=user,
                                    scope=scope)
            report = report_generate(report, scope=scope)
            timings[name].append(time.monotonic() - t0)
            if report.status != "done":
                raise SystemExit(f"{name}: {report.message}")
            summary[name] = {"size_kb": round(report.size / 1024), **report.summary}
            summary[name].pop("sections", None)
    print(json.dumps({
        **{k: {"best_s": round(min(v), 2), "median_s": round(statistics.median(v), 2)}
           for k, v in timings.items()},
        "documents": summary, "peak_mb": _peak_mb(),
    }))


def child_pandas(data_dir: Path, repeat: int) -> None:
    import io
    import sqlite3

    import docx
    import duckdb
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from docx.shared import Cm

    times = []
    for _ in range(repeat):
        t0 = time.monotonic()
        app = sqlite3.connect(str(data_dir / "soko.sqlite3"))
        works = {
            row[0]: f"{row[1]}, {row[2]} класс"
            for row in app.execute(
                "SELECT a.id, s.name, a.grade FROM catalog_assessment a "
                "JOIN catalog_subject s ON s.id = a.subject_id "
                "JOIN catalog_procedure p ON p.id = a.procedure_id "
                "WHERE p.code = 'ВПР' AND a.year = ?", (YEAR,))
        }
        orgs = dict(app.execute("SELECT id, short_name FROM registry_organization").fetchall())
        app.close()
        con = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
        ids = ",".join(str(i) for i in works) or "0"
        results = con.execute(
            "SELECT assessment_id, org_id, mark, primary_score FROM result WHERE absent = false "
            "AND slice_id IN (SELECT slice_id FROM fact_slice WHERE state = 'active') "
            f"AND assessment_id IN ({ids})").df()
        con.close()
        document = docx.Document()
        document.add_heading(f"Результаты ВПР {YEAR}", 0)
        for assessment_id, group in results.groupby("assessment_id"):
            document.add_heading(works[assessment_id], 1)
            table = group.groupby("org_id").agg(
                n=("mark", "size"), m2=("mark", lambda s: (s == 2).mean() * 100),
                m3=("mark", lambda s: (s == 3).mean() * 100),
                m4=("mark", lambda s: (s == 4).mean() * 100),
                m5=("mark", lambda s: (s == 5).mean() * 100),
                mean=("primary_score", "mean"))
            grid = document.add_table(rows=1, cols=7)
            for cell, text in zip(grid.rows[0].cells, ["ОО", "N", "«2»", "«3»", "«4»", "«5»",
                                                       "Средний балл"], strict=True):
                cell.text = text
            for org_id, row in table.iterrows():
                cells = grid.add_row().cells
                cells[0].text = orgs.get(org_id, str(org_id))
                for cell, value in zip(cells[1:], row.tolist(), strict=True):
                    cell.text = f"{value:.1f}"
            fig, ax = plt.subplots(figsize=(6.8, 2.8))
            ax.bar([orgs.get(i, str(i))[:12] for i in table.index], table["m2"])
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", dpi=160)
            plt.close(fig)
            document.add_picture(io.BytesIO(buffer.getvalue()), width=Cm(16))
        document.save(str(OUT / "pandas-baseline.docx"))
        times.append(time.monotonic() - t0)
    print(json.dumps({"best_s": round(min(times), 2),
                      "median_s": round(statistics.median(times), 2), "peak_mb": _peak_mb()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--schools", type=int, default=25)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", choices=["soko", "pandas"])
    parser.add_argument("--data-dir", type=Path)
    args = parser.parse_args()
    if args.child == "soko":
        child_soko(args.repeat)
        return
    if args.child == "pandas":
        child_pandas(args.data_dir, args.repeat)
        return
    data_dir, demo_seconds = prepare(args.schools, args.seed)
    soko = run_child(["--child", "soko", "--repeat", str(args.repeat)], data_dir)
    pandas = run_child(["--child", "pandas", "--data-dir", str(data_dir), "--repeat",
                        str(args.repeat)], data_dir)
    print(json.dumps({
        "schools": args.schools, "demo_build_s": demo_seconds, "soko": soko,
        "pandas_baseline": pandas,
        "ratio_soko_over_pandas": round(soko["municipal_docx"]["best_s"] / pandas["best_s"], 2),
        "target_municipal_under_10_s": soko["municipal_docx"]["best_s"] < 10,
    }, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
