"""Benchmark of the risks area: the full analysis of a regional year.

A synthetic region (``soko.lib.generator``, ``--schools 1000``, ВПР as canonical CSV) for
2024–2026 is loaded **through the import path** (``soko.imports.services.import_file``, only
the kinds the risk analysis reads: organizations, social context, ВПР, ОГЭ, ЕГЭ, medals) into
an embedded instance (SQLite + DuckDB). Then, each in a fresh process so that peak memory is
the phase's own:

* ``full``   — ``risks_compute(year=2025)``: markers M1–M8, the 30 % rule, the low-results
  and social indices, flags and summaries written to the application database;
* ``ours``   — markers M1–M4 only, as the system computes them (Ibis aggregates per school and
  task in DuckDB, statistics in NumPy/SciPy);
* ``pandas`` — a straightforward pandas implementation of the same M1–M4 (pupil-level rows
  read into pandas, group-bys and the same tests), the baseline of the ratio.

Usage::

    .venv/bin/python benchmarks/risks.py                      # build if needed, run all phases
    .venv/bin/python benchmarks/risks.py --schools 200 --dir /tmp/bench-risks-200

Prints a table and writes ``<dir>/risks-benchmark.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

NEEDED = {"organizations", "social_context", "vpr_results", "canonical", "oge_results",
          "ege_results", "medals"}


def _setup(data_dir: Path) -> None:
    os.environ["SOKO_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soko.settings")
    import django

    django.setup()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def phase_build(args: argparse.Namespace) -> dict[str, Any]:
    marker = args.dir / "bench-built.json"
    if marker.exists():
        return dict(json.loads(marker.read_text(encoding="utf-8"))) | {"reused": True}
    args.dir.mkdir(parents=True, exist_ok=True)
    _setup(args.dir)
    from soko.core.instance import instance_init
    from soko.imports.services import import_file
    from soko.lib.generator import GeneratorConfig, generate, write_files
    from soko.warehouse.store import open_warehouse

    t0 = time.monotonic()
    instance_init()
    data = generate(GeneratorConfig(schools=args.schools, seed=args.seed,
                                    years=(2024, 2025, 2026), vpr_format="csv"))
    manifest = write_files(data, args.dir / "gen")
    t_gen = time.monotonic() - t0
    t1 = time.monotonic()
    rows = 0
    with open_warehouse():
        for item in manifest.files:
            if item.kind in NEEDED:
                outcome = import_file(manifest.root / item.path, kind=item.kind, year=item.year,
                                      run_hooks=False)
                rows += outcome.rows
    out = {"schools": args.schools, "seed": args.seed, "generate_seconds": round(t_gen, 1),
           "import_seconds": round(time.monotonic() - t1, 1), "rows": rows,
           "peak_rss_mb": round(_peak_mb(), 1)}
    marker.write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
    return out


def phase_full(args: argparse.Namespace) -> dict[str, Any]:
    _setup(args.dir)
    from soko.risks.services import risks_compute

    t0 = time.monotonic()
    summary = risks_compute(year=args.year)
    return {"seconds": round(time.monotonic() - t0, 2), "peak_rss_mb": round(_peak_mb(), 1),
            "flags": summary["flags"], "markers": summary["markers"]}


def phase_ours(args: argparse.Namespace) -> dict[str, Any]:
    """M1–M4 as the system computes them (Ibis aggregates, NumPy statistics)."""
    _setup(args.dir)
    import numpy as np

    from soko.risks import gather
    from soko.risks.markers import MarkerParams, m1_high, m2_inversion, m3_journal, m4_bunching
    from soko.risks.objectivity import explained_by_in_depth, gia_percentiles, org_infos
    from soko.risks.stats import eb_shrink
    from soko.warehouse.store import open_warehouse

    params = MarkerParams()
    t0 = time.monotonic()
    fired = {"M1": 0, "M2": 0, "M3": 0, "M4": 0}
    with open_warehouse() as wh:
        infos = gather.assessments(years=[args.year])
        cur = [a for a in infos if a.procedure == "ВПР"]
        exams = [a for a in infos if a.procedure in ("ОГЭ", "ЕГЭ")]
        orgs = org_infos(args.year)
        aggs = gather.work_aggregates(wh, cur)
        gia = gia_percentiles(wh, exams)
        for a in cur:
            agg = aggs.get(a.id)
            if agg is None:
                continue
            shr = eb_shrink(agg.sum_pct, agg.sum_pct2, agg.n)
            fam = gather.subject_family(a.subject)
            gp = np.array([gia.get((int(o), fam), (np.nan, 0))[0] for o in agg.org])
            gn = np.array([gia.get((int(o), fam), (np.nan, 0))[1] for o in agg.org])
            ex = np.array([explained_by_in_depth(orgs.get(int(o)), a.subject,
                                                 ["гимназия", "лицей"]) for o in agg.org])
            for code, res in (
                ("M1", m1_high(agg, shr, explained=ex, gia_percentile=gp, gia_n=gn,
                               params=params)),
                ("M2", m2_inversion(agg, a.spec, params)),
                ("M3", m3_journal(agg, params)),
                ("M4", m4_bunching(agg, a.spec, params)),
            ):
                fired[code] += sum(1 for r in res if r.fired)
    return {"seconds": round(time.monotonic() - t0, 2), "peak_rss_mb": round(_peak_mb(), 1),
            "fired": fired}


def phase_pandas(args: argparse.Namespace) -> dict[str, Any]:
    """A straightforward pandas implementation of M1–M4: pupil rows into pandas, group-bys."""
    _setup(args.dir)
    import duckdb
    import numpy as np
    import pandas as pd
    from scipy import stats as sps

    from soko.risks import gather
    from soko.risks.objectivity import explained_by_in_depth, org_infos

    t0 = time.monotonic()
    infos = gather.assessments(years=[args.year])
    vpr = {a.id: a for a in infos if a.procedure == "ВПР"}
    exams = {a.id: a for a in infos if a.procedure in ("ОГЭ", "ЕГЭ")}
    orgs = org_infos(args.year)
    from django.conf import settings

    con = duckdb.connect(str(settings.SOKO.warehouse_path), read_only=True)
    active = "slice_id IN (SELECT slice_id FROM fact_slice WHERE state = 'active')"
    res = con.execute(
        f"SELECT result_id, assessment_id, org_id, primary_score, mark, journal_mark, test_score "
        f"FROM result WHERE {active} AND year = {int(args.year)} AND NOT absent "
        f"AND primary_score IS NOT NULL"
    ).df()
    ids = ", ".join(str(i) for i in vpr)
    ts = con.execute(
        f"SELECT result_id, assessment_id, org_id, task_pos, score FROM task_score "
        f"WHERE {active} AND assessment_id IN ({ids})"
    ).df()
    con.close()
    meta = pd.DataFrame([{"assessment_id": a.id, "max_primary": a.max_primary,
                          "subject": a.subject} for a in infos])
    res = res.merge(meta, on="assessment_id")
    res["pct"] = np.where(res["test_score"].notna(), res["test_score"] / 100.0,
                          res["primary_score"] / res["max_primary"])
    v = res[res["assessment_id"].isin(list(vpr))].copy()
    fired = {}

    # M1: z of the school mean among school means, not confirmed by the school's ГИА
    school = v.groupby(["assessment_id", "org_id"])["pct"].agg(["mean", "count"]).reset_index()
    region = v.groupby("assessment_id")["pct"].mean().rename("region")
    sd = school.groupby("assessment_id")["mean"].std().rename("sd")
    school = school.join(region, on="assessment_id").join(sd, on="assessment_id")
    school["z"] = (school["mean"] - school["region"]) / school["sd"]
    e = res[res["assessment_id"].isin(list(exams))].copy()
    e["family"] = e["subject"].map(gather.subject_family)
    gs = e.groupby(["assessment_id", "org_id", "family"])["pct"].agg(["mean", "count"])
    gs = gs.reset_index()
    gs["rank"] = gs.groupby("assessment_id")["mean"].rank(pct=True)
    gs["w"] = gs["rank"] * gs["count"]
    gia = gs.groupby(["org_id", "family"])[["w", "count"]].sum().reset_index()
    gia["gia_pct"] = gia["w"] / gia["count"]
    school["family"] = school["assessment_id"].map(
        lambda i: gather.subject_family(vpr[int(i)].subject)
    )
    school = school.merge(gia[["org_id", "family", "gia_pct", "count"]].rename(
        columns={"count": "gia_n"}), on=["org_id", "family"], how="left")
    school["explained"] = [
        explained_by_in_depth(orgs.get(int(o)), vpr[int(a)].subject, ["гимназия", "лицей"])
        for o, a in zip(school["org_id"], school["assessment_id"], strict=True)
    ]
    has_gia = school["gia_n"].fillna(0) >= 10
    need = np.where(has_gia, 2.0, 3.0)
    fired["M1"] = int(((school["count"] >= 10) & (school["z"] >= need) & ~school["explained"]
                       & ~(has_gia & (school["gia_pct"] >= 2 / 3))).sum())

    # M2: task completion of the school against the region, basic against hard tasks
    t = ts.merge(v[["result_id"]], on="result_id")
    maxes = pd.DataFrame([{"assessment_id": a.id, "task_pos": i + 1, "tmax": m,
                           "basic": lvl == "Б"} for a in vpr.values()
                          for i, (m, lvl) in enumerate(zip(a.spec.task_max, a.spec.levels,
                                                           strict=True))])
    t = t.merge(maxes, on=["assessment_id", "task_pos"])
    t["share"] = t["score"] / t["tmax"]
    st = t.groupby(["assessment_id", "org_id", "task_pos", "basic"])["share"].mean().rename(
        "s").reset_index()
    rt = t.groupby(["assessment_id", "task_pos"])["share"].mean().rename("r").reset_index()
    st = st.merge(rt, on=["assessment_id", "task_pos"])
    st["d"] = st["s"] - st["r"]
    by = st.groupby(["assessment_id", "org_id", "basic"])["d"].mean().unstack()
    n2 = v.groupby(["assessment_id", "org_id"]).size()
    by = by.join(n2.rename("n"))
    fired["M2"] = int(((by["n"] >= 15) & (by[True] <= 0.0) & (by[False] >= 0.10)).sum())

    # M3: shares of «понизили» / «повысили» against the region (by journal mark), binomial
    p = v[v["mark"].notna() & v["journal_mark"].between(2, 5)].copy()
    p["lower"] = (p["mark"] < p["journal_mark"]).astype(float)
    p["higher"] = (p["mark"] > p["journal_mark"]).astype(float)
    rj = p.groupby(["assessment_id", "journal_mark"])[["lower", "higher"]].mean()
    rj.columns = ["r_lower", "r_higher"]
    p = p.join(rj, on=["assessment_id", "journal_mark"])
    g = p.groupby(["assessment_id", "org_id"]).agg(
        n=("lower", "size"), lower=("lower", "sum"), higher=("higher", "sum"),
        e_lower=("r_lower", "mean"), e_higher=("r_higher", "mean"))
    hit = np.zeros(len(g), dtype=bool)
    for col in ("lower", "higher"):
        share = g[col] / g["n"]
        pv = sps.binom.sf(g[col] - 1, g["n"], g[f"e_{col}"].clip(0.005, 0.995))
        hit |= ((share - g[f"e_{col}"]) >= 0.20) & (pv <= 1e-5)
    fired["M3"] = int((hit & (g["n"] >= 10)).sum())

    # M4: pupils 1–2 points below the mark boundaries against a binomial expectation
    hist = v.groupby(["assessment_id", "org_id", "primary_score"]).size().rename("k")
    hist = hist.reset_index()
    count = 0
    for aid, part in hist.groupby("assessment_id"):
        a = vpr[int(aid)]
        if not a.spec.boundaries:
            continue
        wide = part.pivot_table(index="org_id", columns="primary_score", values="k",
                                fill_value=0)
        wide = wide.reindex(columns=range(int(a.max_primary) + 1), fill_value=0)
        h = wide.to_numpy(float)
        n = h.sum(axis=1)
        k = np.arange(h.shape[1])
        mean = (h * k).sum(axis=1) / np.maximum(n, 1)
        var = (h * (k - mean[:, None]) ** 2).sum(axis=1) / np.maximum(n - 1, 1)
        below = np.zeros(len(h))
        exp = np.zeros(len(h))
        vv = np.zeros(len(h))
        for i in range(len(h)):
            pmf = _bb(int(a.max_primary), mean[i], var[i], sps)
            for b in (round(x) for x in a.spec.boundaries):
                if b < 2:
                    continue
                x_b = h[i, b - 2:b].sum()
                t_b = x_b + h[i, b]
                q = pmf[b - 2:b].sum() / max(pmf[b - 2:b + 1].sum(), 1e-12)
                below[i] += x_b
                exp[i] += t_b * q
                vv[i] += t_b * q * (1 - q)
        z = (exp - below) / np.sqrt(np.maximum(vv, 1e-12))
        miss = 1 - below / np.maximum(exp, 1e-12)
        count += int(((n >= 20) & (z >= 3.0) & (miss >= 0.5)).sum())
    fired["M4"] = count
    return {"seconds": round(time.monotonic() - t0, 2), "peak_rss_mb": round(_peak_mb(), 1),
            "fired": fired, "pupil_rows": len(v), "task_rows": len(ts)}


def _bb(m: int, mean: float, var: float, sps: Any) -> Any:
    import numpy as np

    p = min(max(mean / m, 1e-6), 1 - 1e-6)
    k = np.arange(m + 1)
    bv = m * p * (1 - p)
    if var <= bv:
        return sps.binom.pmf(k, m, p)
    ratio = var / bv
    s = max((m - ratio) / (ratio - 1) if ratio < m else 1e-3, 1e-3)
    pmf = sps.betabinom.pmf(k, m, p * s, (1 - p) * s)
    return pmf / pmf.sum()


PHASES = {"build": phase_build, "full": phase_full, "ours": phase_ours,
          "pandas": phase_pandas}


def _child(args: argparse.Namespace, phase: str) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--phase", phase, "--dir", str(args.dir), "--schools",
           str(args.schools), "--seed", str(args.seed), "--year", str(args.year)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/soko-bench-risks"))
    parser.add_argument("--phase", choices=[*PHASES, "all"], default="all")
    args = parser.parse_args()
    if args.phase != "all":
        print(json.dumps(PHASES[args.phase](args), ensure_ascii=False))
        return 0
    results = {phase: _child(args, phase) for phase in ("build", "ours", "pandas", "full")}
    results["ratio_pandas_to_ours_m1_m4"] = round(
        results["pandas"]["seconds"] / max(results["ours"]["seconds"], 1e-9), 2
    )
    (args.dir / "risks-benchmark.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    b = results["build"]
    print(f"Регион: {b['schools']} ОО, {b['rows']} строк загружено через импорт "
          f"(генерация {b['generate_seconds']} с, импорт {b['import_seconds']} с)")
    print(f"{'фаза':<34}{'время, с':>10}{'пик памяти, МБ':>16}")
    for phase, title in (("full", f"полный расчёт рисков {args.year}"),
                         ("ours", "M1–M4, СОКО (Ibis + NumPy)"),
                         ("pandas", "M1–M4, pandas")):
        r = results[phase]
        print(f"{title:<34}{r['seconds']:>10}{r['peak_rss_mb']:>16}")
    print(f"pandas / СОКО (M1–M4): {results['ratio_pandas_to_ours_m1_m4']}×")
    print(json.dumps({k: results[k] for k in ("ours", "pandas")}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
