"""Import throughput at regional scale, against a plain pandas read + validate + insert.

Usage: ``python benchmarks/imports.py [--schools 1000] [--seed 7] [--repeat 3]``

Generates a region with the synthetic generator (one school year, ВПР as the canonical long CSV),
then measures, each in its own process with its own instance:

* the canonical CSV (≈ 12 million task-score rows for 1000 schools) through ``soko import``,
  with the default memory setting (1GB: Arrow reads the file in parts into a table that spills
  to disk) and with ``SOKO_DUCKDB_MEMORY=2GB`` (its columns fit: Arrow reads it at once);
* a 5-million-row slice of it (the memory target: peak RSS under 1.5 GB);
* one regional ФИС ОКО xlsx (one work of all schools);
* the same CSV and xlsx through a straightforward pandas pipeline (read, the same checks,
  build results and task rows, insert into DuckDB).

Last, the floor: Arrow's parse of the 5M-row file alone (no checks, nothing stored), which no
import that reads every cell can beat on this machine, and the ratio to pandas it would give.

Each measurement runs ``--repeat`` times (3 by default; this machine's timings vary by ±15 %
from run to run): the median time and the largest peak are printed, with task-score rows per
second and the ratio to pandas.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out" / "imports"


def run_child(args: list[str], env: dict[str, str]) -> dict:
    """Run this script in child mode; return its JSON (with the child's own peak RSS, MB)."""
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                          env=env, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"child {args} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _peak_mb() -> int:
    """This process's peak resident memory. ``VmHWM`` starts afresh at ``exec``; ``ru_maxrss``
    would carry the parent's peak over (the generator's, when it ran just before)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


# --- data ------------------------------------------------------------------------------------


def prepare(schools: int, seed: int) -> dict[str, Path]:
    region = OUT / f"region-{schools}-{seed}"
    csv_file = region / "vpr_2026.csv"
    if not csv_file.exists():
        sys.path.insert(0, str(ROOT / "src"))
        from soko.lib.generator import GeneratorConfig, generate, write_files

        t = time.monotonic()
        write_files(
            generate(GeneratorConfig(schools=schools, seed=seed, years=(2026,),
                                     vpr_format="csv")),
            region,
        )
        print(f"generated {schools} schools in {time.monotonic() - t:.0f} s")
    import duckdb

    con = duckdb.connect()
    small = region / "vpr_2026_5m.csv"
    if not small.exists():
        # whole works only, about five million rows
        counts = con.execute(
            "SELECT subject, grade, count(*) FROM read_csv(?) GROUP BY 1, 2 ORDER BY 2, 1",
            [str(csv_file)],
        ).fetchall()
        keep, total = [], 0
        for subject, grade, n in counts:
            if total + n > 5_200_000:
                continue
            keep.append(f"(subject = '{subject}' AND grade = '{grade}')")
            total += n
        con.execute(
            # all_varchar: task numbers such as «1.1» and «1.10» must stay text
            f"COPY (SELECT * FROM read_csv(?, all_varchar = true) WHERE {' OR '.join(keep)}) "
            f"TO '{small}' "
            "(HEADER, DELIMITER ',')",
            [str(csv_file)],
        )
    xlsx = region / "ВПР 2026 Русский язык 4 класс.xlsx"
    if not xlsx.exists():
        write_fis_oko_xlsx(con, csv_file, xlsx, subject="РУ", grade=4)
    return {"region": region, "csv": csv_file, "csv5m": small, "xlsx": xlsx}


def write_fis_oko_xlsx(con, csv_file: Path, target: Path, *, subject: str, grade: int) -> None:
    """One work of every school in the ФИС ОКО «Индивидуальные результаты» layout."""
    import xlsxwriter

    tasks = con.execute(
        "SELECT task, any_value(task_max), any_value(task_level), min(rowid) AS r FROM "
        "(SELECT *, row_number() OVER () AS rowid FROM read_csv(?) "
        "WHERE subject = ? AND grade = ?) "
        "GROUP BY task ORDER BY r",
        [str(csv_file), subject, grade],
    ).fetchall()
    rows = con.execute(
        "SELECT org_code, participant_code, any_value(class_label), any_value(variant), "
        "list(score ORDER BY rowid), any_value(primary_score), any_value(mark), "
        "any_value(journal_mark), bool_or(absent = 1) FROM "
        "(SELECT *, row_number() OVER () AS rowid FROM read_csv(?) "
        "WHERE subject = ? AND grade = ?) "
        "GROUP BY org_code, participant_code ORDER BY min(rowid)",
        [str(csv_file), subject, grade],
    ).fetchall()
    wb = xlsxwriter.Workbook(str(target), {"constant_memory": True})
    ws = wb.add_worksheet("Индивидуальные результаты")
    ws.write(0, 0, f"ВПР 2026 Русский язык {grade} класс")
    ws.write(1, 0, "Максимальный первичный балл")
    ws.write(1, 1, sum(t[1] for t in tasks))
    ws.write(2, 0, f"Кол-во участников: {len(rows)}")
    for j, t in enumerate(tasks):
        ws.write(4, 6 + j, t[2])
    header = ["ОО", "Муниципалитет", "Название ОО", "Код участника", "Класс", "Вариант",
              *[f"{t[0]} ({int(t[1])}б)" for t in tasks], "Первичный балл", "Отметка",
              "Отметка по журналу"]
    for j, h in enumerate(header):
        ws.write(5, j, h)
    for i, (org, code, cls, var, scores, primary, mark, journal, absent) in enumerate(rows):
        r = 6 + i
        values = [org, "", "", code, cls, var]
        values += ["X"] * len(tasks) + ["X", "X"] if absent else [*scores, primary, mark]
        values.append(journal)
        for j, v in enumerate(values):
            if v is not None:
                ws.write(r, j, v)
    wb.close()


# --- children --------------------------------------------------------------------------------


def child_soko(path: Path, data_dir: Path, orgs: Path) -> None:
    os.environ["SOKO_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "soko.settings"
    import django

    django.setup()
    from django.core.management import call_command

    from soko.catalog.services import catalog_load_reference
    from soko.imports.services import import_file

    call_command("migrate", verbosity=0)
    catalog_load_reference()
    import_file(orgs, run_hooks=False)
    t = time.monotonic()
    outcome = import_file(path, run_hooks=False)
    seconds = time.monotonic() - t
    tasks = int(outcome.extra.get("task_scores") or 0)
    print(json.dumps({"rows": outcome.rows, "task_rows": tasks, "seconds": seconds,
                      "peak_mb": _peak_mb()}))


def child_pandas(path: Path, data_dir: Path, orgs: Path) -> None:
    """The straightforward way: pandas reads everything, checks, reshapes, inserts."""
    import duckdb
    import numpy as np
    import pandas as pd

    known = set(pd.read_csv(orgs, sep=";")["Логин"].str.lower())
    t = time.monotonic()
    if path.suffix == ".xlsx":
        raw = pd.read_excel(path, header=5, engine="openpyxl")
        task_cols = [c for c in raw.columns if str(c).endswith("б)")]
        raw = raw.replace({"X": np.nan})
        long = raw.melt(
            id_vars=["ОО", "Код участника", "Класс", "Вариант", "Первичный балл", "Отметка",
                     "Отметка по журналу"],
            value_vars=task_cols, var_name="task", value_name="score",
        )
        long["task_max"] = long["task"].str.extract(r"\((\d+)б\)")[0].astype(float)
        long = long.rename(columns={"ОО": "org_code", "Код участника": "participant_code",
                                    "Первичный балл": "primary_score", "Отметка": "mark",
                                    "Отметка по журналу": "journal_mark"})
        long["procedure"], long["subject"], long["grade"], long["year"] = "ВПР", "РУ", 4, 2026
    else:
        long = pd.read_csv(path)
    for col in ("score", "task_max", "primary_score", "mark", "journal_mark", "grade", "year"):
        converted = pd.to_numeric(long[col], errors="coerce")
        if (converted.isna() & long[col].notna()).any():
            raise SystemExit(f"bad numbers in {col}")
        long[col] = converted
    keys = ["procedure", "subject", "grade", "year", "org_code", "participant_code"]
    problems = 0
    problems += int(long[["org_code", "participant_code", "task"]].isna().any(axis=1).sum())
    problems += int(((long["score"] < 0) | (long["score"] > long["task_max"])).sum())
    problems += int((~long["org_code"].str.lower().isin(known)).sum())
    problems += int(long.duplicated([*keys, "task"]).sum())
    grouped = long.groupby(keys, sort=False)
    agree = grouped[["primary_score", "mark", "journal_mark"]].nunique(dropna=False)
    problems += int((agree > 1).any(axis=1).sum())
    totals = grouped["score"].sum(min_count=1)
    primary = grouped["primary_score"].first()
    problems += int(((primary - totals).abs() > 1e-6).sum())
    if problems:
        raise SystemExit(f"{problems} problems")
    results = grouped.agg(
        class_label=("class_label", "first") if "class_label" in long else ("Класс", "first"),
        primary_score=("primary_score", "first"), mark=("mark", "first"),
        journal_mark=("journal_mark", "first"),
    ).reset_index()
    results["result_id"] = np.arange(len(results), dtype=np.int64)
    long = long.merge(results[[*keys, "result_id"]], on=keys, how="left")
    long["task_pos"] = long.groupby(["procedure", "subject", "grade", "year"])["task"].transform(
        lambda s: pd.factorize(s)[0] + 1
    )
    scores = long.loc[long["score"].notna(), ["result_id", "task_pos", "score"]]
    con = duckdb.connect(str(data_dir / "pandas.duckdb"))
    con.register("r", results)
    con.register("s", scores)
    con.execute("CREATE TABLE result AS SELECT * FROM r")
    con.execute("CREATE TABLE task_score AS SELECT * FROM s")
    seconds = time.monotonic() - t
    print(json.dumps({"rows": len(results), "task_rows": len(scores), "seconds": seconds,
                      "peak_mb": _peak_mb()}))


def child_parse(path: Path) -> None:
    """Only Arrow's multi-threaded parse of the file into typed columns, as the import does it."""
    from soko.imports.parsing.canonical import read_canonical_csv
    from soko.imports.staging import CANONICAL_TYPES

    with path.open(encoding="utf-8") as fh:
        header = fh.readline().strip().split(",")
    t = time.monotonic()
    table = read_canonical_csv(path, header, {c: CANONICAL_TYPES.get(c, "VARCHAR") for c in header})
    seconds = time.monotonic() - t
    assert table is not None
    print(json.dumps({"rows": 0, "task_rows": table.num_rows, "seconds": seconds,
                      "peak_mb": _peak_mb()}))


# --- main ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schools", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=4, metavar=("ENGINE", "FILE", "DATA_DIR", "ORGS"))
    args = parser.parse_args()
    if args.child:
        engine, file, data_dir, orgs = args.child
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        if engine == "parse":
            child_parse(Path(file))
        else:
            (child_soko if engine == "soko" else child_pandas)(Path(file), Path(data_dir),
                                                               Path(orgs))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    files = prepare(args.schools, args.seed)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    orgs = files["region"] / "organizations.csv"
    rows = []
    pandas_full: dict = {}
    runs = (
        ("xlsx (one regional work)", "xlsx", {}),
        ("CSV 5M rows", "csv5m", {}),
        ("CSV full year", "csv", {}),
        # the whole year read at once: allowed when its columns fit in the memory setting
        ("CSV full year, 2GB", "csv", {"SOKO_DUCKDB_MEMORY": "2GB"}),
    )
    for label, key, extra_env in runs:
        measured = {}
        for engine in ("soko", "pandas"):
            if engine == "pandas" and extra_env:
                measured[engine] = pandas_full  # the same pandas run as the row above
                continue
            runs = []
            for attempt in range(args.repeat):
                data_dir = OUT / f"run-{engine}-{key}-{int(time.time())}-{attempt}"
                runs.append(run_child(
                    ["--child", engine, str(files[key]), str(data_dir), str(orgs)],
                    {**env, **extra_env},
                ))
                shutil.rmtree(data_dir, ignore_errors=True)
            measured[engine] = {
                **runs[0],
                "seconds": statistics.median(r["seconds"] for r in runs),
                "peak_mb": max(r["peak_mb"] for r in runs),
                "spread": (min(r["seconds"] for r in runs), max(r["seconds"] for r in runs)),
            }
        pandas_full = measured["pandas"]
        s, p = measured["soko"], measured["pandas"]
        rows.append((label, s, p))
        print(
            f"{label:<26} {s['task_rows']:>11,} task rows | СОКО {s['seconds']:7.1f} s "
            f"({s['spread'][0]:.1f}–{s['spread'][1]:.1f}) "
            f"{s['task_rows'] / s['seconds']:>12,.0f} rows/s peak ≈{s['peak_mb']:>6} MB | "
            f"pandas {p['seconds']:7.1f} s {p['task_rows'] / p['seconds']:>12,.0f} rows/s "
            f"peak ≈{p['peak_mb']:>6} MB | ratio {p['seconds'] / s['seconds']:.1f}×",
            flush=True,
        )
    parses = [
        run_child(["--child", "parse", str(files["csv5m"]), str(OUT), str(orgs)], env)["seconds"]
        for _attempt in range(args.repeat)
    ]
    floor = statistics.median(parses)
    pandas_5m = next(p for label, _s, p in rows if label == "CSV 5M rows")
    print(
        f"floor: Arrow's parse of the 5M-row file alone {floor:.1f} s "
        f"({min(parses):.1f}–{max(parses):.1f}); pandas takes {pandas_5m['seconds']:.1f} s for the "
        f"whole import, so no import that reads every cell can be more than "
        f"{pandas_5m['seconds'] / floor:.1f}× faster than pandas here",
        flush=True,
    )


if __name__ == "__main__":
    main()
