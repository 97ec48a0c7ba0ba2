"""Benchmark: every built-in indicator of ``soko.indicators`` for a generated region, computed by
the indicator engine (Ibis over DuckDB) and by a straightforward pandas implementation of the
same definitions; time and peak memory of each, and their ratio.

Data: ``soko.lib.generator`` (``--schools`` 1000, years 2024–2026, seed 1). The generated
facts are written once as Parquet (``--cache``) in the fact-store layout and **loaded directly
into a DuckDB warehouse** (not through the import path: importing thousands of files is measured
by the imports benchmark). Flags of the risks area are taken from the planted truth (schools
planted as «low results»), so ``low_results.shnor_vpr_share2`` has data.

What is timed (each in its own process, peak RSS from ``wait4``):

* ``soko`` — :class:`soko.indicators.engine.Engine.compute` for the three years (facts →
  values for every organization, municipality and the region, dynamics with tests, small-group
  suppression, composite indices). Loading Parquet into the warehouse file is reported apart.
* ``pandas`` — the same formulas evaluated the obvious pandas way: load the tables, and for every
  aggregate filter rows with a boolean mask and ``groupby``; per indicator merge, sum to
  territories, compare with the previous year. Loading Parquet is reported apart.

The values of both are compared (organization and territory rows) before the figures are
printed. Run: ``.venv/bin/python benchmarks/indicators.py [--schools 1000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "soko"
YEARS = (2024, 2025, 2026)
sys.path.insert(0, str(ROOT / "src"))

from soko.indicators import formula as f  # noqa: E402
from soko.indicators.definitions import build_spec, builtin_schema, normalise  # noqa: E402
from soko.indicators.engine import (  # noqa: E402
    EDU_LEVELS,
    FILTER_KEYS,
    Engine,
    Hierarchy,
    IndicatorSpec,
    Inputs,
    keysets,
    resolve_test,
)

CATEGORY = {
    "без категории": "none",
    "соответствие": "conformity",
    "первая": "first",
    "высшая": "highest",
}
STAGE = ("school", "municipal", "regional")
STATUS = ("participant", "prize", "winner")
OBSERVER = {"общественное": "public", "независимое": "independent", "онлайн": "online"}


# --- dataset -------------------------------------------------------------------------------------


def build_dataset(schools: int, seed: int, out: Path) -> None:
    """Generate the region and write facts, dimensions and the registry as Parquet."""
    from soko.lib.generator import GeneratorConfig, generate
    from soko.lib.generator.config import ABILITY_SUBJECTS

    started = time.monotonic()
    data = generate(GeneratorConfig(schools=schools, seed=seed, years=YEARS, vpr_format="csv"))
    out.mkdir(parents=True, exist_ok=True)
    pop, res = data.population, data.results
    codes = pop.pupils.code.astype(str)
    labels = np.array(pop.classes.label, dtype=object)
    assessments: dict[str, list[Any]] = defaultdict(list)
    tasks: dict[str, list[Any]] = defaultdict(list)
    results: list[pa.Table] = []
    scores: list[pa.Table] = []
    next_result = 1
    for aid, item in enumerate([*res.vpr, *res.oge, *res.ege], start=1):
        w = item.work
        kind = "diagnostic" if w.procedure == "ВПР" else "exam"
        assessments["assessment_id"].append(aid)
        assessments["procedure"].append(w.procedure)
        assessments["procedure_kind"].append(kind)
        assessments["subject"].append(w.subject)
        assessments["a_grade"].append(w.grade)
        assessments["a_year"].append(item.year)
        assessments["max_primary"].append(float(w.max_score))
        is_test = getattr(item, "test", None) is not None
        assessments["min_score"].append(float(w.min_test) if is_test and w.min_test else None)
        assessments["min_mark"].append(None if is_test else 3.0)
        levels = [t.level for t in w.tasks]
        basic = sum(t.max_score for t in w.tasks if t.level == "Б")
        adv = sum(t.max_score for t in w.tasks if t.level in ("П", "В"))
        assessments["basic_max"].append(float(basic) or None)
        assessments["advanced_max"].append(float(adv) or None)
        for pos, t in enumerate(w.tasks, start=1):
            tasks["assessment_id"].append(aid)
            tasks["task_pos"].append(pos)
            tasks["task_number"].append(t.number)
            tasks["task_level"].append(t.level)
            tasks["task_max"].append(float(t.max_score))
        n = len(item)
        ids = np.arange(next_result, next_result + n, dtype=np.int64)
        next_result += n
        is_vpr = w.procedure == "ВПР"
        absent = item.absent if is_vpr else np.zeros(n, dtype=bool)
        primary = np.where(absent, np.nan, item.primary.astype(float))
        mark = None if item.mark is None else np.where(absent, np.nan, item.mark.astype(float))
        journal = (
            np.where(item.journal > 0, item.journal, np.nan).astype(float)
            if is_vpr
            else np.full(n, np.nan)
        )
        results.append(
            pa.table(
                {
                    "slice_id": pa.array(np.ones(n, dtype=np.int64)),
                    "result_id": pa.array(ids),
                    "assessment_id": pa.array(np.full(n, aid, dtype=np.int32)),
                    "org_id": pa.array((item.school + 1).astype(np.int32)),
                    "year": pa.array(np.full(n, item.year, dtype=np.int16)),
                    "grade": pa.array(np.full(n, w.grade, dtype=np.int16)),
                    "participant_code": pa.array(
                        (item.code.astype(str) if is_vpr else codes[item.pupil]).tolist(),
                        pa.string(),
                    ),
                    "student_code": pa.nulls(n, pa.string())
                    if is_vpr
                    else pa.array(codes[item.pupil].tolist(), pa.string()),
                    "class_label": pa.array(labels[item.cls].tolist(), pa.string()),
                    "variant": pa.nulls(n, pa.string()),
                    "sex": pa.nulls(n, pa.string()),
                    "absent": pa.array(absent),
                    "primary_score": pa.array(primary, mask=np.isnan(primary)),
                    "mark": pa.array(np.nan_to_num(mark).astype(np.int16), mask=np.isnan(mark))
                    if mark is not None
                    else pa.nulls(n, pa.int16()),
                    "test_score": pa.array(item.test.astype(float))
                    if is_test
                    else pa.nulls(n, pa.float64()),
                    "journal_mark": pa.array(
                        np.nan_to_num(journal).astype(np.int16), mask=np.isnan(journal)
                    ),
                }
            )
        )
        present = ~absent
        k = len(levels)
        rows = np.repeat(ids[present], k)
        scores.append(
            pa.table(
                {
                    "slice_id": pa.array(np.ones(rows.size, dtype=np.int64)),
                    "result_id": pa.array(rows),
                    "assessment_id": pa.array(np.full(rows.size, aid, dtype=np.int32)),
                    "org_id": pa.array(np.repeat((item.school + 1)[present], k).astype(np.int32)),
                    "task_pos": pa.array(
                        np.tile(np.arange(1, k + 1, dtype=np.int16), int(present.sum()))
                    ),
                    "score": pa.array(item.scores[present].ravel().astype(np.float32)),
                }
            )
        )
    from soko.warehouse.schema import FACT_TABLES

    for empty in ("aggregate_result", "official_marker"):
        pq.write_table(FACT_TABLES[empty].arrow_schema.empty_table(), out / f"{empty}.parquet")
    pq.write_table(pa.concat_tables(results), out / "result.parquet")
    pq.write_table(pa.concat_tables(scores), out / "task_score.parquet")
    del results, scores
    pq.write_table(pa.table(assessments), out / "assessments.parquet")
    pq.write_table(pa.table(tasks), out / "tasks.parquet")
    subjects = list(ABILITY_SUBJECTS)
    journal = []
    for year in YEARS:
        j = res.journal[year]
        row = np.repeat(np.arange(len(j)), 5)
        period = np.tile(np.arange(5), len(j))
        values = j.marks.ravel()
        core = np.isin(j.subject[row], [subjects.index("РУ"), subjects.index("МА")])
        keep = (values > 0) & ((period == 4) | ((period == 2) & core))
        row, period, values = row[keep], period[keep], values[keep]
        grade = pop.classes.grade[j.cls[row]]
        journal.append(
            pa.table(
                {
                    "slice_id": pa.array(np.ones(row.size, dtype=np.int64)),
                    "org_id": pa.array((j.school[row] + 1).astype(np.int32)),
                    "year": pa.array(np.full(row.size, year, dtype=np.int16)),
                    "student_code": pa.array(codes[j.pupil[row]]),
                    "class_label": pa.array(labels[j.cls[row]].tolist(), pa.string()),
                    "grade": pa.array(grade.astype(np.int16)),
                    "subject": pa.array(np.array(subjects, dtype=object)[j.subject[row]].tolist()),
                    "period": pa.array(np.where(period == 4, "year", "t3").tolist()),
                    "mark": pa.array(values.astype(np.int16)),
                }
            )
        )
    pq.write_table(pa.concat_tables(journal), out / "journal_mark.parquet")
    olympiad, medal, observer = [], [], []
    for year in YEARS:
        o = res.olympiad[year]
        olympiad.append(
            pa.table(
                {
                    "slice_id": pa.array(np.ones(len(o), dtype=np.int64)),
                    "org_id": pa.array((o.school + 1).astype(np.int32)),
                    "year": pa.array(np.full(len(o), year, dtype=np.int16)),
                    "stage": pa.array(np.array(STAGE, dtype=object)[o.stage].tolist()),
                    "subject": pa.array(np.array(subjects, dtype=object)[o.subject].tolist()),
                    "grade": pa.array(o.grade.astype(np.int16)),
                    "student_code": pa.array(codes[o.pupil]),
                    "status": pa.array(np.array(STATUS, dtype=object)[o.status].tolist()),
                    "score": pa.array(o.score.astype(float)),
                }
            )
        )
        m = res.medals[year]
        medal.append(
            pa.table(
                {
                    "slice_id": pa.array(np.ones(len(m), dtype=np.int64)),
                    "org_id": pa.array((m.school + 1).astype(np.int32)),
                    "year": pa.array(np.full(len(m), year, dtype=np.int16)),
                    "student_code": pa.array(codes[m.pupil]),
                    "medal": pa.array(np.where(m.degree == 1, "I", "II").tolist()),
                }
            )
        )
        ob = res.observers[year]
        observer.append(
            pa.table(
                {
                    "slice_id": pa.array(np.ones(len(ob), dtype=np.int64)),
                    "org_id": pa.array((ob.school + 1).astype(np.int32)),
                    "year": pa.array(np.full(len(ob), year, dtype=np.int16)),
                    "procedure": pa.array(["ВПР"] * len(ob)),
                    "subject": pa.array(list(ob.subject)),
                    "grade": pa.array(ob.grade.astype(np.int16)),
                    "event_date": pa.nulls(len(ob), pa.date32()),
                    "observers": pa.array(ob.count.astype(np.int32)),
                    "observer_kind": pa.array([OBSERVER[k] for k in ob.kind]),
                    "video": pa.array(ob.video.astype(bool)),
                }
            )
        )
    pq.write_table(pa.concat_tables(olympiad), out / "olympiad_result.parquet")
    pq.write_table(pa.concat_tables(medal), out / "medal.parquet")
    pq.write_table(pa.concat_tables(observer), out / "observer_presence.parquet")
    # registry
    students = []
    for year in YEARS:
        e = pop.enrolments[year]
        students.append(
            pa.table(
                {
                    "org_id": pa.array((e.school + 1).astype(np.int64)),
                    "year": pa.array(np.full(e.pupil.size, year, dtype=np.int64)),
                    "grade": pa.array(e.grade.astype(np.int64)),
                    "student_code": pa.array(codes[e.pupil]),
                    "class_label": pa.array(labels[e.cls].tolist(), pa.string()),
                    "sex": pa.array(np.where(pop.pupils.female[e.pupil], "ж", "м").tolist()),
                    "disability": pa.array(pop.pupils.ovz[e.pupil].astype(bool)),
                }
            )
        )
    pq.write_table(pa.concat_tables(students), out / "students.parquet")
    t = pop.teachers
    taught: dict[int, set[int]] = defaultdict(set)
    cls_year = pop.classes.year
    for col in range(pop.teaching.shape[1]):
        for cls in np.flatnonzero(pop.teaching[:, col] >= 0):
            taught[int(pop.teaching[cls, col])].add(int(cls_year[cls]))
    rows_t: dict[str, list[Any]] = defaultdict(list)
    for i in range(len(t.code)):
        for year in sorted(taught.get(i, set()) & set(YEARS)):
            rows_t["org_id"].append(int(t.school[i]) + 1)
            rows_t["year"].append(year)
            rows_t["teacher_code"].append(t.code[i])
            rows_t["category"].append(CATEGORY[t.category[i]])
            rows_t["experience_years"].append(float(t.experience[i]))
            rows_t["age"].append(float(year - t.birth_year[i]))
            rows_t["subjects"].append(float(len(t.subjects[i])))
    pq.write_table(pa.table(rows_t), out / "teachers.parquet")
    orgs: dict[str, list[Any]] = defaultdict(list)
    for s in pop.schools:
        for year in YEARS:
            orgs["org_id"].append(s.idx + 1)
            orgs["year"].append(year)
            orgs["kind"].append("school")
            orgs["org_type"].append(s.type)
            orgs["rural"].append(bool(s.rural))
            orgs["in_depth"].append(bool(s.in_depth) or s.type in ("гимназия", "лицей"))
            orgs["is_active"].append(True)
    pq.write_table(pa.table(orgs), out / "orgs.parquet")
    social: dict[str, list[Any]] = defaultdict(list)
    for year in YEARS:
        sc = res.social[year]
        for i in range(len(pop.schools)):
            social["org_id"].append(i + 1)
            social["year"].append(year)
            social["students_total"].append(float(sc.pupils[i]))
            social["low_income"].append(float(sc.low_income[i]))
            social["single_parent"].append(float(sc.single_parent[i]))
            social["parents_higher_ed"].append(float(sc.higher_education[i]))
            social["non_native_russian"].append(float(sc.non_native[i]))
            social["disabled"].append(float(sc.ovz[i]))
            social["kdn_pdn"].append(float(sc.kdn[i]))
            social["staff_vacancies"].append(float(sc.vacancies[i]))
            social["second_shift"].append(bool(sc.second_shift[i]))
            social["remoteness_km"].append(float(sc.remoteness[i]))
    pq.write_table(pa.table(social), out / "social.parquet")
    low = {r["org_code"] for r in data.truth["planted"].get("low_results", [])}
    logins = {s.login: s.idx + 1 for s in pop.schools}
    flags = [(logins[c], y, 1.0) for c in low for y in YEARS]
    flags += [(s.idx + 1, y, 0.0) for s in pop.schools if s.login not in low for y in YEARS]
    pq.write_table(
        pa.table(
            {
                "org_id": [r[0] for r in flags],
                "year": [r[1] for r in flags],
                "value": [r[2] for r in flags],
            }
        ),
        out / "flags_low_results.parquet",
    )
    meta = {
        "schools": schools,
        "seed": seed,
        "org_territory": {str(s.idx + 1): 1000 + s.municipality for s in pop.schools},
        "territory_parent": {str(1000 + m): 1 for m in range(len(pop.municipalities))}
        | {"1": None},
        "generate_seconds": round(time.monotonic() - started, 1),
    }
    (out / "meta.json").write_text(json.dumps(meta), encoding="utf-8")


# --- definitions ---------------------------------------------------------------------------------


def parameters() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for path in sorted(SRC.glob("*/data/parameters.yaml")):
        for row in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            found[row["code"]] = row["value"]
    return found


def specs() -> list[IndicatorSpec]:
    params = parameters()
    schema = builtin_schema({"flags": "Флаги"}, params=lambda code: params[code])
    raw = yaml.safe_load((SRC / "indicators/data/indicators.yaml").read_text(encoding="utf-8"))
    known = {r["code"]: r.get("aggregation", "counts") for r in raw}
    return [build_spec(normalise(r), schema, default_min_group=10, indicators=known) for r in raw]


def hierarchy(meta: dict[str, Any]) -> Hierarchy:
    return Hierarchy(
        {int(k): int(v) for k, v in meta["org_territory"].items()},
        {int(k): (int(v) if v is not None else None) for k, v in meta["territory_parent"].items()},
    )


# --- the engine ----------------------------------------------------------------------------------

FACTS = (
    "result",
    "task_score",
    "journal_mark",
    "olympiad_result",
    "medal",
    "observer_presence",
    "aggregate_result",
    "official_marker",
)


def run_soko(data: Path, work: Path) -> dict[str, Any]:
    import ibis

    from soko.warehouse.schema import FACT_TABLES
    from soko.warehouse.store import ACTIVE, Warehouse

    meta = json.loads((data / "meta.json").read_text(encoding="utf-8"))
    path = work / "warehouse.duckdb"
    path.unlink(missing_ok=True)
    t0 = time.monotonic()
    wh = Warehouse("duckdb", ibis.duckdb.connect(str(path), threads=2, memory_limit="6GB"))
    wh.ensure_schema()
    with wh.write() as writer:
        writer.add_slices([(1, 1, "bench")], state=ACTIVE)
        raw = wh.con.con
        for name in FACTS:
            cols = ", ".join(FACT_TABLES[name].column_names)
            raw.execute(
                f"INSERT INTO {name} ({cols}) SELECT {cols} "
                f"FROM read_parquet('{data / (name + '.parquet')}')"
            )
    load = time.monotonic() - t0
    registry = {
        n: pq.read_table(data / f"{n}.parquet") for n in ("students", "teachers", "orgs", "social")
    }
    flags = pq.read_table(data / "flags_low_results.parquet")
    inputs = Inputs(
        assessments=pq.read_table(data / "assessments.parquet").cast(
            pa.schema(
                [
                    ("assessment_id", pa.int32()),
                    ("procedure", pa.string()),
                    ("procedure_kind", pa.string()),
                    ("subject", pa.string()),
                    ("a_grade", pa.int16()),
                    ("a_year", pa.int16()),
                    ("max_primary", pa.float64()),
                    ("min_score", pa.float64()),
                    ("min_mark", pa.float64()),
                    ("basic_max", pa.float64()),
                    ("advanced_max", pa.float64()),
                ]
            )
        ),
        tasks=pq.read_table(data / "tasks.parquet").cast(
            pa.schema(
                [
                    ("assessment_id", pa.int32()),
                    ("task_pos", pa.int16()),
                    ("task_number", pa.string()),
                    ("task_level", pa.string()),
                    ("task_max", pa.float64()),
                ]
            )
        ),
        procedures=pa.table(
            {"code": ["ВПР", "ОГЭ", "ЕГЭ"], "kind": ["diagnostic", "exam", "exam"]}
        ),
        registry=lambda name, years: registry[name],
        external=lambda prefix, name, years: flags,
    )
    t0 = time.monotonic()
    result = Engine(wh, inputs, hierarchy(meta)).compute(specs(), YEARS)
    seconds = time.monotonic() - t0
    rows = sum(len(fr) for fr in result.frames.values())
    values = {code: _sample(fr) for code, fr in result.frames.items()}
    wh.close()
    return {
        "mode": "soko",
        "load_seconds": round(load, 2),
        "seconds": round(seconds, 2),
        "rows": rows,
        "queries": result.queries,
        "timings": result.timings,
        "problems": result.problems,
        "values": values,
    }


def _sample(frame: pd.DataFrame) -> dict[str, float | None]:
    """Whole-group values (org and territory rows) keyed for the comparison."""
    part = frame[frame["bkey"] == ""]
    return {
        f"{r.entity}{int(r.entity_id)}:{int(r.year)}": (
            None if pd.isna(r.value) else float(r.value)
        )
        for r in part.itertuples()
    }


# --- the straightforward pandas implementation ---------------------------------------------------


class PandasSources:
    """Source tables as pandas DataFrames (loaded from Parquet, joined with the dimensions)."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.cache: dict[str, pd.DataFrame] = {}
        self.assessments = pd.read_parquet(data / "assessments.parquet")
        self.tasks = pd.read_parquet(data / "tasks.parquet")

    def get(self, name: str) -> pd.DataFrame:
        if name not in self.cache:
            self.cache[name] = getattr(self, f"_{name}", lambda: self._plain(name))()
        return self.cache[name]

    def _plain(self, name: str) -> pd.DataFrame:
        file = {
            "journal": "journal_mark",
            "olympiad": "olympiad_result",
            "observer": "observer_presence",
            "aggregate": "aggregate_result",
        }.get(name, name)
        df = pd.read_parquet(self.data / f"{file}.parquet")
        if "grade" in df.columns:
            df["level"] = levels(df["grade"])
        if name == "observer":
            df["procedure_kind"] = "diagnostic"
            df["work"] = (
                df["procedure"]
                + "|"
                + df["subject"].fillna("")
                + "|"
                + df["grade"].map(lambda g: "" if pd.isna(g) else str(int(g)))
            )
        return df

    def _result(self) -> pd.DataFrame:
        r = pd.read_parquet(self.data / "result.parquet")
        r = r.merge(self.assessments, on="assessment_id", how="left")
        r["grade"] = r["grade"].fillna(r["a_grade"])
        r["level"] = levels(r["grade"])
        r["percent"] = r["primary_score"] / r["max_primary"].replace(0, np.nan)
        r["person"] = r["student_code"].fillna(
            r["assessment_id"].astype(str) + ":" + r["participant_code"]
        )
        r["work"] = (
            r["procedure"]
            + "|"
            + r["subject"]
            + "|"
            + r["grade"].map(lambda g: "" if pd.isna(g) else str(int(g)))
        )
        ts = pd.read_parquet(
            self.data / "task_score.parquet",
            columns=["result_id", "assessment_id", "task_pos", "score"],
        )
        ts = ts.merge(self.tasks, on=["assessment_id", "task_pos"])
        ts["basic"] = np.where(ts["task_level"] == "Б", ts["score"], 0.0)
        ts["adv"] = np.where(ts["task_level"].isin(["П", "В"]), ts["score"], 0.0)
        per = ts.groupby("result_id")[["basic", "adv"]].sum()
        r = r.merge(per, left_on="result_id", right_index=True, how="left")
        r["basic_percent"] = r["basic"].fillna(0) / r["basic_max"].replace(0, np.nan)
        r["advanced_percent"] = r["adv"].fillna(0) / r["advanced_max"].replace(0, np.nan)
        return r

    def _graduates(self) -> pd.DataFrame:
        r = self.get("result")
        r = r[(r["procedure"] == "ЕГЭ") & ~r["absent"] & r["student_code"].notna()].copy()
        below = (r["test_score"] < r["min_score"]).fillna(False) | (
            r["mark"] < r["min_mark"]
        ).fillna(False)
        r["ru_ok"] = (r["subject"] == "РУ") & (r["test_score"] >= r["min_score"]).fillna(False)
        r["math_ok"] = (
            (r["subject"] == "МАП") & (r["test_score"] >= r["min_score"]).fillna(False)
        ) | ((r["subject"] == "МАБ") & (r["mark"] >= r["min_mark"]).fillna(False))
        r["failed"] = below
        r["stem"] = r["subject"].isin(["МАП", "ФИ", "ХИ", "БИ", "ИН"])
        r["ru_test"] = r["test_score"].where(r["subject"] == "РУ")
        g = (
            r.groupby(["org_id", "year", "student_code"])
            .agg(
                exams=("result_id", "size"),
                ru_score=("ru_test", "max"),
                ru_passed=("ru_ok", "max"),
                math_passed=("math_ok", "max"),
                failed_any=("failed", "max"),
                stem_exam=("stem", "max"),
                max_score=("test_score", "max"),
            )
            .reset_index()
        )
        g["certificate"] = g["ru_passed"] & g["math_passed"]
        m = pd.read_parquet(self.data / "medal.parquet")
        g = g.merge(
            m[["org_id", "year", "student_code", "medal"]],
            how="left",
            on=["org_id", "year", "student_code"],
        )
        g["has_medal"] = g["medal"].notna()
        return g

    def _students(self) -> pd.DataFrame:
        s = pd.read_parquet(self.data / "students.parquet")
        s["level"] = levels(s["grade"])
        return s

    def _teachers(self) -> pd.DataFrame:
        return pd.read_parquet(self.data / "teachers.parquet")

    def _social(self) -> pd.DataFrame:
        return pd.read_parquet(self.data / "social.parquet")

    def _orgs(self) -> pd.DataFrame:
        return pd.read_parquet(self.data / "orgs.parquet")

    def external(self, name: str) -> pd.DataFrame:
        return pd.read_parquet(self.data / "flags_low_results.parquet")


def levels(grade: pd.Series) -> pd.Series:
    g = grade.astype(float)
    out = np.where(g <= 4, EDU_LEVELS[0], np.where(g <= 9, EDU_LEVELS[1], EDU_LEVELS[2]))
    return pd.Series(np.where(g.isna(), None, out), index=grade.index, dtype=object)


def row_mask(node: f.Node | None, df: pd.DataFrame) -> Any:
    """Evaluate a row condition on a DataFrame (null → not counted, as SQL does)."""
    if node is None:
        return np.ones(len(df), dtype=bool)
    value = row_value(node, df)
    return (
        np.asarray(pd.Series(value).fillna(False).astype(bool))
        if not isinstance(value, bool)
        else np.full(len(df), value)
    )


def row_value(node: f.Node, df: pd.DataFrame) -> Any:
    if isinstance(node, f.Column):
        return df[node.name]
    if isinstance(node, f.Number | f.String | f.Boolean):
        return node.value
    if isinstance(node, f.Param):
        return node.value
    if isinstance(node, f.Null):
        return None
    if isinstance(node, f.Unary):
        inner = row_value(node.operand, df)
        if node.op == "-":
            return -inner
        return ~pd.Series(inner, dtype="boolean") if not isinstance(inner, bool) else not inner
    if isinstance(node, f.Binary):
        if node.op in ("=", "!=") and isinstance(node.right, f.Null):
            inner = pd.Series(row_value(node.left, df))
            return inner.isna() if node.op == "=" else inner.notna()
        a, b = row_value(node.left, df), row_value(node.right, df)
        if node.op in ("and", "or"):
            sa = pd.Series(a, dtype="boolean") if not isinstance(a, bool) else a
            sb = pd.Series(b, dtype="boolean") if not isinstance(b, bool) else b
            return (sa & sb) if node.op == "and" else (sa | sb)
        if node.op == "/":
            return (
                a / pd.Series(b).replace(0, np.nan)
                if not np.isscalar(b)
                else (a / b if b else np.nan)
            )
        ops = {
            "+": lambda x, y: x + y,
            "-": lambda x, y: x - y,
            "*": lambda x, y: x * y,
            "=": lambda x, y: x == y,
            "!=": lambda x, y: x != y,
            "<": lambda x, y: x < y,
            "<=": lambda x, y: x <= y,
            ">": lambda x, y: x > y,
            ">=": lambda x, y: x >= y,
        }
        out = ops[node.op](a, b)
        if node.op in ("=", "!=", "<", "<=", ">", ">=") and isinstance(out, pd.Series):
            nulls = pd.Series(a).isna() if isinstance(a, pd.Series) else False
            nulls = nulls | (pd.Series(b).isna() if isinstance(b, pd.Series) else False)
            out = out.astype("boolean").mask(nulls, pd.NA)
        return out
    if isinstance(node, f.InList):
        values = [i.value for i in node.items]  # type: ignore[attr-defined]
        inner = pd.Series(row_value(node.operand, df))
        hit = inner.isin(values).astype("boolean").mask(inner.isna(), pd.NA)
        return ~hit if node.negated else hit
    if isinstance(node, f.IsNull):
        inner = pd.Series(row_value(node.operand, df))
        return inner.notna() if node.negated else inner.isna()
    if isinstance(node, f.Call) and node.name == "abs":
        return row_value(node.args[0], df).abs()
    raise ValueError(f.to_text(node))


def filters_node(spec: IndicatorSpec, source: str) -> list[tuple[str, list[Any]]]:
    from soko.indicators.schema import BUILTIN_SOURCES

    schema = BUILTIN_SOURCES.get(source)
    found = []
    for key in FILTER_KEYS:
        if schema is not None and key in spec.filters and key in schema.columns:
            raw = spec.filters[key]
            found.append((key, list(raw) if isinstance(raw, list | tuple) else [raw]))
    return found


def aggregate(
    agg: f.Aggregate, spec: IndicatorSpec, keys: tuple[str, ...], src: PandasSources
) -> pd.DataFrame:
    """One aggregate of one indicator: mask, group, reduce (columns by role)."""
    df = src.external(agg.source) if "." in agg.source else src.get(agg.source)
    mask = np.array(row_mask(agg.where, df), dtype=bool)
    for key, values in filters_node(spec, agg.source):
        mask &= df[key].isin(values).to_numpy()
    sub = df[mask]
    group = ["org_id", "year", *keys]
    # all groups of the source (the engine sees every group, with zero counts)
    index = df.groupby(group).size().index
    if agg.func == "count_groups":
        assert agg.having is not None
        inner_keys = (*keys, *agg.by)
        frame = group_frame(agg.having, IndicatorSpec(code="-"), inner_keys, src, base=sub)
        ok = group_eval(agg.having, frame, IndicatorSpec(code="-"), inner_keys, src)
        hits = pd.Series(np.where(ok == 1, 1.0, 0.0), index=frame.index)
        return hits.groupby(level=group).sum().to_frame("count").reindex(index, fill_value=0)
    g = sub.groupby(group)
    if agg.func == "count":
        out = (g[agg.column].count() if agg.column else g.size()).to_frame("count")
    elif agg.func == "count_distinct":
        out = g[agg.column].nunique().to_frame("count")
    elif agg.func == "sum":
        out = g[agg.column].sum().to_frame("sum")
    elif agg.func == "mean":
        out = pd.DataFrame({"sum": g[agg.column].sum(), "count": g[agg.column].count()})
    else:
        out = getattr(g[agg.column], agg.func)().to_frame(agg.func)
    return out.reindex(index)


def group_frame(
    node: f.Node,
    spec: IndicatorSpec,
    keys: tuple[str, ...],
    src: PandasSources,
    base: pd.DataFrame | None = None,
) -> pd.DataFrame:
    parts = []
    for i, agg in enumerate(f.aggregates(node)):
        if base is not None:
            src_copy = PandasSources.__new__(PandasSources)
            src_copy.cache = {agg.source: base}
            src_copy.data = src.data
            frame = aggregate(agg, spec, keys, src_copy)
        else:
            frame = aggregate(agg, spec, keys, src)
        parts.append(frame.add_prefix(f"a{i}_"))
    return pd.concat(parts, axis=1, join="outer") if parts else pd.DataFrame()


def group_eval(
    node: f.Node,
    frame: pd.DataFrame,
    spec: IndicatorSpec,
    keys: tuple[str, ...],
    src: PandasSources,
) -> np.ndarray:
    counter = iter(range(10**6))
    aggs = {id(a): next(counter) for a in f.aggregates(node)}

    def ev(n: f.Node) -> np.ndarray:
        if isinstance(n, f.Aggregate):
            i = aggs[id(n)]
            if n.func == "mean":
                s = frame[f"a{i}_sum"].fillna(0).to_numpy(float)
                c = frame[f"a{i}_count"].fillna(0).to_numpy(float)
                with np.errstate(all="ignore"):
                    return np.where(c != 0, s / np.where(c == 0, 1, c), np.nan)
            role = {
                "count": "count",
                "count_distinct": "count",
                "count_groups": "count",
                "sum": "sum",
                "min": "min",
                "max": "max",
            }[n.func]
            col = frame[f"a{i}_{role}"].to_numpy(float)
            return col if role in ("min", "max") else np.nan_to_num(col, nan=0.0)
        if isinstance(n, f.Number):
            return np.full(len(frame), float(n.value))
        if isinstance(n, f.Param):
            return np.full(len(frame), float(n.value))
        if isinstance(n, f.Binary):
            a, b = ev(n.left), ev(n.right)
            with np.errstate(all="ignore"):
                if n.op == "+":
                    return a + b
                if n.op == "-":
                    return a - b
                if n.op == "*":
                    return a * b
                if n.op == "/":
                    return np.where(b != 0, a / np.where(b == 0, 1, b), np.nan)
                if n.op == "and":
                    return np.where(
                        (a == 0) | (b == 0), 0.0, np.where(np.isnan(a) | np.isnan(b), np.nan, 1.0)
                    )
                if n.op == "or":
                    return np.where(
                        (a == 1) | (b == 1), 1.0, np.where(np.isnan(a) | np.isnan(b), np.nan, 0.0)
                    )
                cmp = {
                    ">": np.greater,
                    ">=": np.greater_equal,
                    "<": np.less,
                    "<=": np.less_equal,
                    "=": np.equal,
                    "!=": np.not_equal,
                }[n.op]
                return np.where(np.isnan(a) | np.isnan(b), np.nan, cmp(a, b).astype(float))
        if isinstance(n, f.Call) and n.name == "if":
            c = ev(n.args[0])
            return np.where(np.isnan(c), np.nan, np.where(c == 1, ev(n.args[1]), ev(n.args[2])))
        raise ValueError(f.to_text(n))

    return ev(node)


def pandas_indicator(
    spec: IndicatorSpec, src: PandasSources, terr: dict[int, list[int]], alpha: float = 0.05
) -> pd.DataFrame:
    parts = []
    for keys in keysets(spec):
        formulas = [
            n
            for n in (spec.numerator, spec.denominator, spec.condition, spec.universe, spec.n)
            if n is not None
        ]
        frames = [group_frame(n, spec, keys, src) for n in formulas]
        index = frames[0].index
        for fr in frames[1:]:
            index = index.union(fr.index)
        frames = [fr.reindex(index) for fr in frames]
        by = dict(zip([id(n) for n in formulas], frames, strict=True))
        if spec.aggregation == "orgs_share":
            assert spec.condition is not None
            cond = group_eval(spec.condition, by[id(spec.condition)], spec, keys, src)
            uni = (
                group_eval(spec.universe, by[id(spec.universe)], spec, keys, src)
                if spec.universe is not None
                else np.where(np.isnan(cond), 0.0, 1.0)
            )
            keep = (uni == 1) & ~np.isnan(cond)
            num, den, n = np.where(cond == 1, 1.0, 0.0), np.ones(len(index)), np.ones(len(index))
        else:
            assert spec.numerator is not None
            num = group_eval(spec.numerator, by[id(spec.numerator)], spec, keys, src)
            den = (
                group_eval(spec.denominator, by[id(spec.denominator)], spec, keys, src)
                if spec.denominator is not None
                else np.full(len(index), np.nan)
            )
            keep = ~np.isnan(num) & (
                (~np.isnan(den) & (den != 0)) if spec.denominator is not None else True
            )
            n = (
                group_eval(spec.n, by[id(spec.n)], spec, keys, src)
                if spec.n is not None
                else (den if spec.denominator is not None else num)
            )
        org = index.to_frame(index=False).assign(numerator=num, denominator=den, n=n)[keep]
        org["bkey"] = "" if not keys else org[list(keys)].astype(str).agg(";".join, axis=1)
        links = pd.DataFrame(
            [(o, t) for o, ts in terr.items() for t in ts], columns=["org_id", "entity_id"]
        )
        t = (
            org.merge(links, on="org_id")
            .groupby(["entity_id", "year", "bkey"])[["numerator", "denominator", "n"]]
            .sum()
            .reset_index()
            .assign(entity="t")
        )
        o = org.rename(columns={"org_id": "entity_id"}).assign(entity="o")
        rows = pd.concat([o[t.columns], t], ignore_index=True)
        parts.append(rows)
    rows = pd.concat(parts, ignore_index=True)
    has_den = spec.aggregation == "orgs_share" or spec.denominator is not None
    rows["value"] = spec.factor * (
        rows["numerator"] / rows["denominator"] if has_den else rows["numerator"]
    )
    prev = rows[["entity", "entity_id", "bkey", "year", "value", "numerator", "denominator"]]
    prev = prev.assign(year=prev["year"] + 1)
    rows = rows.merge(
        prev, on=["entity", "entity_id", "bkey", "year"], how="left", suffixes=("", "_prev")
    )
    if resolve_test(spec) == "proportion":
        from scipy import stats

        p1, p0 = (
            rows["numerator"] / rows["denominator"],
            rows["numerator_prev"] / rows["denominator_prev"],
        )
        pooled = (rows["numerator"] + rows["numerator_prev"]) / (
            rows["denominator"] + rows["denominator_prev"]
        )
        se = np.sqrt(
            pooled * (1 - pooled) * (1 / rows["denominator"] + 1 / rows["denominator_prev"])
        )
        rows["p_value"] = 2 * stats.norm.sf(np.abs((p1 - p0) / se.replace(0, np.nan)))
    small = rows["n"] < spec.min_group
    if spec.aggregation == "orgs_share":
        small &= rows["entity"] == "t"
    rows.loc[small, "value"] = np.nan
    return rows


def pandas_composite(
    spec: IndicatorSpec, frames: dict[str, pd.DataFrame], polarity: dict[str, str]
) -> pd.DataFrame:
    pieces = []
    for part in spec.parts:
        fr = frames[part.indicator]
        fr = fr[(fr["bkey"] == "") & fr["value"].notna()][["entity", "entity_id", "year", "value"]]
        b = fr[fr["entity"] == "o"].groupby("year")["value"].agg(["min", "max"])
        fr = fr.merge(b, left_on="year", right_index=True)
        span = fr["max"] - fr["min"]
        norm = ((fr["value"] - fr["min"]) / span.replace(0, np.nan)).fillna(0.5).clip(0, 1)
        fr["norm"] = 1 - norm if polarity[part.indicator] == "lower_better" else norm
        fr["w"] = part.weight
        pieces.append(fr)
    allp = pd.concat(pieces)
    allp["wn"] = allp["norm"] * allp["w"]
    g = allp.groupby(["entity", "entity_id", "year"]).agg(w=("w", "sum"), wn=("wn", "sum"))
    total = sum(p.weight for p in spec.parts)
    g = g[g["w"] / total >= spec.min_weight_share]
    out = (g["wn"] / g["w"] * spec.scale).rename("value").reset_index()
    return out.assign(bkey="")


def run_pandas(data: Path) -> dict[str, Any]:
    meta = json.loads((data / "meta.json").read_text(encoding="utf-8"))
    h = hierarchy(meta)
    terr = {o: h.ancestors(t) for o, t in h.org_territory.items()}
    t0 = time.monotonic()
    src = PandasSources(data)
    for name in (
        "result",
        "journal",
        "olympiad",
        "observer",
        "medal",
        "graduates",
        "students",
        "teachers",
        "orgs",
        "social",
    ):
        src.get(name)
    load = time.monotonic() - t0
    t0 = time.monotonic()
    all_specs = specs()
    frames: dict[str, pd.DataFrame] = {}
    for spec in all_specs:
        if spec.aggregation != "composite":
            frames[spec.code] = pandas_indicator(spec, src, terr)
    polarity = {s.code: s.polarity for s in all_specs}
    for spec in all_specs:
        if spec.aggregation == "composite":
            frames[spec.code] = pandas_composite(spec, frames, polarity)
    seconds = time.monotonic() - t0
    values = {code: _sample(fr[fr["year"].isin(YEARS)]) for code, fr in frames.items()}
    return {
        "mode": "pandas",
        "load_seconds": round(load, 2),
        "seconds": round(seconds, 2),
        "rows": sum(len(fr) for fr in frames.values()),
        "values": values,
    }


# --- driver --------------------------------------------------------------------------------------


def child(mode: str, data: Path, work: Path, out: Path) -> int:
    result = run_soko(data, work) if mode == "soko" else run_pandas(data)
    out.write_text(json.dumps(result, default=str), encoding="utf-8")
    return 0


def measure(mode: str, data: Path, work: Path) -> dict[str, Any]:
    out = work / f"{mode}.json"
    cmd = [
        sys.executable,
        __file__,
        "--child",
        mode,
        "--data",
        str(data),
        "--work",
        str(work),
        "--out",
        str(out),
    ]
    started = time.monotonic()
    proc = subprocess.Popen(cmd)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    if status != 0:
        raise SystemExit(f"{mode} failed with status {status}")
    result = json.loads(out.read_text(encoding="utf-8"))
    result["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    result["process_seconds"] = round(wall, 1)
    return result


def compare(a: dict[str, Any], b: dict[str, Any]) -> tuple[int, list[str]]:
    checked, problems = 0, []
    for code, values in a["values"].items():
        other = b["values"].get(code, {})
        for key, value in values.items():
            if key not in other:
                continue
            checked += 1
            mine, theirs = value, other[key]
            if (mine is None) != (theirs is None) or (
                mine is not None and abs(mine - theirs) > 1e-6 * max(1.0, abs(mine))
            ):
                problems.append(f"{code} {key}: {mine} ≠ {theirs}")
    return checked, problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/soko-bench-indicators"))
    parser.add_argument("--child", choices=["soko", "pandas"])
    parser.add_argument("--data", type=Path)
    parser.add_argument("--work", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--only", choices=["soko", "pandas"], help="measure one side only")
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.data, args.work, args.out)
    data = args.cache / f"schools-{args.schools}-seed-{args.seed}"
    if not (data / "meta.json").exists():
        print(f"generating {args.schools} schools into {data} …", flush=True)
        build_dataset(args.schools, args.seed, data)
    meta = json.loads((data / "meta.json").read_text(encoding="utf-8"))
    facts = {n: pq.ParquetFile(data / f"{n}.parquet").metadata.num_rows for n in FACTS}
    print(
        f"dataset: {args.schools} schools, {len(YEARS)} years; facts {facts}; "
        f"generated in {meta['generate_seconds']} s",
        flush=True,
    )
    work = data / "work"
    work.mkdir(exist_ok=True)
    results = {}
    for mode in ("soko", "pandas"):
        if args.only and args.only != mode:
            continue
        results[mode] = measure(mode, data, work)
        r = results[mode]
        print(
            f"{mode:>7}: compute {r['seconds']:8.2f} s, load {r['load_seconds']:6.2f} s, "
            f"peak RSS {r['peak_rss_mb']:8.1f} MB, rows {r['rows']}",
            flush=True,
        )
    if len(results) == 2:
        soko, pan = results["soko"], results["pandas"]
        checked, problems = compare(soko, pan)
        print(f"values compared: {checked}; differences: {len(problems)}")
        for line in problems[:20]:
            print("  " + line)
        print(
            f"speed-up (pandas compute / engine compute): {pan['seconds'] / soko['seconds']:.1f}×"
        )
        print(
            f"memory (pandas peak RSS / engine peak RSS): "
            f"{pan['peak_rss_mb'] / soko['peak_rss_mb']:.2f}×"
        )
        if soko.get("problems"):
            print(f"engine problems: {soko['problems']}")
        print(f"engine timings: {soko['timings']}, queries {soko['queries']}")
    return 0


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.exit(main())
