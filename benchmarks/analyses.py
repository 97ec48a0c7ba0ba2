"""The analyses of a regional year: time and peak memory, against a plain pandas baseline.

Usage: ``python benchmarks/analyses.py [--schools 1000] [--seed 7]``

Uses the region of ``benchmarks/imports.py`` (generated once: one school year, ВПР as the
canonical long CSV, ≈ 12 million task-score rows for 1000 schools). In a child process with its
own instance it loads the registry and the ВПР file through the import pipeline (not timed),
then times :func:`soko.analyses.services.analyses_compute` for the year — the procedure
analysis of every work at class / organization / municipality / region level, the histograms,
task and skill completion, journal comparison, teachers' deficits and the cross-year analyses —
and reports its phases, CPU time and peak memory (RSS of the child, which includes the
import that came before).

The baseline reads the same visible facts into pandas and computes the ФИС ОКО aggregates
(marks, primary-score sums, histograms, task sums by mark) per class and rolls them up with
``groupby`` — the core of the procedure analysis without skills, deficits, storage or the
cross-year part. The ratio compares those two numbers; the full timing is printed beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out" / "analyses"


def _peak_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def prepare(schools: int, seed: int) -> Path:
    """The generated region (shared with benchmarks/imports.py: the same folder and files)."""
    region = ROOT / "benchmarks" / "out" / "imports" / f"region-{schools}-{seed}"
    if not (region / "vpr_2026.csv").exists():
        sys.path.insert(0, str(ROOT / "src"))
        from soko.lib.generator import GeneratorConfig, generate, write_files

        t = time.monotonic()
        write_files(
            generate(GeneratorConfig(schools=schools, seed=seed, years=(2026,),
                                     vpr_format="csv")),
            region,
        )
        print(f"generated {schools} schools in {time.monotonic() - t:.0f} s")
    return region


def run_child(args: list[str]) -> dict:
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        raise SystemExit(f"child {args} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _setup(data_dir: Path) -> None:
    os.environ["SOKO_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = os.environ.get("DJANGO_SETTINGS_MODULE",
                                                          "soko.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def child_load(region: Path, data_dir: Path) -> None:
    """Create the instance and import the registry and the ВПР year (not timed here)."""
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    _setup(data_dir)
    from django.core.management import call_command

    from soko.catalog.services import catalog_load_reference
    from soko.imports.services import import_file

    call_command("migrate", verbosity=0)
    catalog_load_reference()
    t = time.monotonic()
    for name in ("organizations.csv", "teachers.csv", "classes.csv"):
        import_file(region / name, run_hooks=False)
    outcome = import_file(region / "vpr_2026.csv", run_hooks=False)
    print(json.dumps({"rows": outcome.rows, "seconds": round(time.monotonic() - t, 1),
                      "peak_mb": _peak_mb()}))


def child_soko(data_dir: Path) -> None:
    _setup(data_dir)
    from soko.analyses.models import Deficit, ResultSummary
    from soko.analyses.services import analyses_compute

    base_mb = _peak_mb()
    phases: list[tuple[float, str]] = []
    t0 = time.monotonic()
    cpu0 = _cpu()

    def progress(fraction: float, message: str = "") -> None:
        phases.append((round(time.monotonic() - t0, 1), message))

    report = analyses_compute(year=2026, progress=progress)
    seconds = time.monotonic() - t0
    print(json.dumps({
        "seconds": round(seconds, 1),
        "cpu_seconds": round(_cpu() - cpu0, 1),
        "peak_mb": _peak_mb(),
        "peak_mb_before": base_mb,
        "summaries": ResultSummary.objects.count(),
        "deficits": Deficit.objects.count(),
        "report": report,
        "phases": phases,
    }, ensure_ascii=False))


def child_pandas(data_dir: Path) -> None:
    """Baseline: the ФИС ОКО aggregates of every work with pandas from the same facts."""
    import duckdb

    base_mb = _peak_mb()
    t0 = time.monotonic()
    cpu0 = _cpu()
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    active = "slice_id IN (SELECT slice_id FROM fact_slice WHERE state = 'active')"
    results = con.execute(f"SELECT * FROM result WHERE {active}").df()
    tasks = con.execute(f"SELECT * FROM task_score WHERE {active}").df()
    con.close()
    import sqlite3

    app = sqlite3.connect(str(data_dir / "soko.sqlite3"))
    orgs = dict(app.execute("SELECT id, territory_id FROM registry_organization").fetchall())
    parents = dict(app.execute("SELECT id, parent_id FROM registry_territory").fetchall())
    app.close()
    results["class_label"] = results["class_label"].fillna("")
    results["mun"] = results["org_id"].map(orgs)
    results["reg"] = results["mun"].map(parents)
    present = results[~results["absent"]].copy()
    for m in (2, 3, 4, 5):
        present[f"m{m}"] = (present["mark"] == m).astype(int)
    present["pair"] = present["mark"].notna() & present["journal_mark"].notna()
    diff = present["mark"] - present["journal_mark"]
    present["lower"] = (present["pair"] & (diff < 0)).astype(int)
    present["equal"] = (present["pair"] & (diff == 0)).astype(int)
    present["higher"] = (present["pair"] & (diff > 0)).astype(int)
    present["p2"] = present["primary_score"] ** 2
    values = ["m2", "m3", "m4", "m5", "primary_score", "p2", "lower", "equal", "higher"]
    levels = {"class": ["org_id", "class_label"], "org": ["org_id"], "mun": ["mun"],
              "reg": ["reg"]}
    out = {}
    for name, keys in levels.items():
        out[f"marks_{name}"] = present.groupby(["assessment_id", *keys])[values].sum()
        out[f"hist_{name}"] = present.groupby(["assessment_id", *keys, "primary_score"]).size()
    joined = tasks.merge(present[["result_id", "class_label", "mark", "mun", "reg"]],
                         on="result_id")
    for name, keys in levels.items():
        out[f"tasks_{name}"] = joined.groupby(
            ["assessment_id", *keys, "mark", "task_pos"])["score"].agg(["sum", "count"])
    seconds = time.monotonic() - t0
    print(json.dumps({"seconds": round(seconds, 1), "cpu_seconds": round(_cpu() - cpu0, 1),
                      "peak_mb": _peak_mb(), "peak_mb_before": base_mb,
                      "groups": sum(len(v) for v in out.values())}))


def child_soko_core(data_dir: Path) -> None:
    """СОКО's Ibis reads for the same aggregates (the part the pandas baseline covers)."""
    _setup(data_dir)
    from soko.analyses import facts
    from soko.warehouse.store import open_warehouse

    base_mb = _peak_mb()
    t0 = time.monotonic()
    cpu0 = _cpu()
    with open_warehouse() as wh:
        counts = facts.result_counts(wh, 2026, 2)
        hist = facts.score_histogram(wh, 2026, "primary_score")
        tasks = facts.task_sums(wh, 2026)
    from soko.analyses.services import Units, _rollup

    units = Units.load()
    cols = [c for c in counts.columns if c not in ("assessment_id", "org_id", "class_label")]
    groups = 0
    for frame, values, extra in ((counts, cols, ()), (hist, ["n"], ("score",)),
                                 (tasks, ["total", "n"], ("mark", "task_pos"))):
        groups += sum(len(v) for v in _rollup(units.add_columns(frame), values, extra).values())
    seconds = time.monotonic() - t0
    print(json.dumps({"seconds": round(seconds, 1), "cpu_seconds": round(_cpu() - cpu0, 1),
                      "peak_mb": _peak_mb(), "peak_mb_before": base_mb, "groups": groups}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--schools", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--child", choices=["load", "soko", "pandas", "core"])
    parser.add_argument("--region", type=Path)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--reuse", action="store_true", help="reuse a loaded instance")
    args = parser.parse_args()
    if args.child == "load":
        child_load(args.region, args.data_dir)
        return
    if args.child == "soko":
        child_soko(args.data_dir)
        return
    if args.child == "core":
        child_soko_core(args.data_dir)
        return
    if args.child == "pandas":
        child_pandas(args.data_dir)
        return
    region = prepare(args.schools, args.seed)
    data_dir = OUT / f"instance-{args.schools}-{args.seed}"
    if not (args.reuse and (data_dir / "soko.sqlite3").exists()):
        load = run_child(["--child", "load", "--region", str(region),
                          "--data-dir", str(data_dir)])
        print(f"loaded {load['rows']} results in {load['seconds']} s (peak {load['peak_mb']} MB)")
    soko = run_child(["--child", "soko", "--data-dir", str(data_dir)])
    core = run_child(["--child", "core", "--data-dir", str(data_dir)])
    pandas = run_child(["--child", "pandas", "--data-dir", str(data_dir)])
    print(json.dumps({"schools": args.schools, "analyses_compute": soko, "soko_core": core,
                      "pandas_core": pandas,
                      "core_ratio_pandas_over_soko": round(pandas["seconds"] /
                                                           max(core["seconds"], 0.1), 2)},
                     ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
