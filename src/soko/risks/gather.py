"""Reading what the risk analyses need: facts through Ibis, aggregated per school first.

Every query is an Ibis expression over :meth:`soko.warehouse.store.Warehouse.facts`, so it runs
on DuckDB, on PostgreSQL or on a distributed Ibis backend; only aggregates (per school, per
school × task, per school × score) travel into memory. The one exception is the
response-pattern marker M6, which needs each pupil's task scores: it reads one work at a time.
Catalog metadata (tasks, levels, scales, minimum scores) comes from the application database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa

from soko.risks.markers import Medallist, WorkAggregates, WorkSpec
from soko.warehouse.store import Warehouse

MATH_FAMILY = {"МА": "МА", "МАБ": "МА", "МАП": "МА"}


def subject_family(code: str) -> str:
    """ВПР «МА» is confirmed by ОГЭ «МА» and ЕГЭ «МАБ»/«МАП»: one family."""
    return MATH_FAMILY.get(code, code)


# --- catalog ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssessmentInfo:
    id: int
    procedure: str
    subject: str
    grade: int | None
    year: int
    max_primary: float
    result_kind: str
    spec: WorkSpec


def assessments(
    *, years: Iterable[int] | None = None, procedures: Iterable[str] | None = None
) -> list[AssessmentInfo]:
    """Assessments of the catalog with tasks, levels and mark boundaries."""
    from soko.catalog.models import Assessment, Task

    qs = Assessment.objects.select_related("procedure", "subject", "scale")
    if years is not None:
        qs = qs.filter(year__in=list(years))
    if procedures is not None:
        qs = qs.filter(procedure__code__in=list(procedures))
    tasks: dict[int, list[Task]] = {}
    for t in Task.objects.filter(assessment__in=qs).order_by("assessment_id", "position"):
        tasks.setdefault(t.assessment_id, []).append(t)
    out = []
    for a in qs:
        ts = tasks.get(a.pk, [])
        task_max = np.array([float(t.max_score) for t in ts], dtype=np.float64)
        max_primary = float(a.max_primary or task_max.sum() or 0.0)
        scale = getattr(a, "scale", None)
        bounds: tuple[float, ...] = ()
        if scale is not None:
            bounds = tuple(
                float(scale.boundaries[k]) for k in ("3", "4", "5") if k in scale.boundaries
            )
        spec = WorkSpec(
            assessment_id=a.pk,
            procedure=a.procedure.code,
            subject=a.subject.code,
            grade=a.grade,
            year=a.year,
            max_primary=max_primary,
            boundaries=bounds,
            task_numbers=tuple(t.number for t in ts),
            task_max=task_max,
            levels=tuple(t.level for t in ts),
        )
        out.append(
            AssessmentInfo(
                a.pk,
                a.procedure.code,
                a.subject.code,
                a.grade,
                a.year,
                max_primary,
                a.procedure.result,
                spec,
            )
        )
    return sorted(out, key=lambda x: (x.year, x.procedure, x.subject, x.grade or 0, x.id))


def ege_minimums(year: int) -> dict[str, tuple[str, float]]:
    """ЕГЭ minimums in force for a year: subject → ("test", score) or ("mark", mark).

    Prefers the minimum for the attestat, then the plain minimum; the «поступление в вуз»
    minimum is not a pass threshold. Takes the nearest year not after ``year`` that has one,
    else the nearest later year (the catalog does not hold every year).
    """
    from soko.catalog.models import MinScore

    rows = MinScore.objects.filter(procedure__code="ЕГЭ").select_related("subject")
    best: dict[str, tuple[tuple[int, int, int], tuple[str, float]]] = {}
    for m in rows:
        purpose = (m.purpose or "").lower()
        if "вуз" in purpose:
            continue
        rank = 0 if "аттестат" in purpose else 1
        distance = (0, year - m.year) if m.year <= year else (1, m.year - year)
        key = (distance[0], distance[1], rank)
        value: tuple[str, float] | None = None
        if m.score is not None:
            value = ("test", float(m.score))
        elif m.mark is not None:
            value = ("mark", float(m.mark))
        if value is None:
            continue
        code = m.subject.code
        if code not in best or key < best[code][0]:
            best[code] = (key, value)
    return {code: v for code, (_, v) in best.items()}


# --- facts ------------------------------------------------------------------------------------


def _present(wh: Warehouse, ids: Sequence[int]) -> Any:
    r = wh.facts("result")
    return r.filter(r.assessment_id.isin(list(ids)), ~r.absent, r.primary_score.notnull())


def _arrow(wh: Warehouse, expr: Any) -> pa.Table:
    """Run an Ibis expression. On PostgreSQL the compiled SQL is run through the store's plain
    cursor: Ibis's server-side cursor makes the planner optimise for the first rows and choose
    nested loops, which turned a one-second aggregate into minutes on fresh fact tables."""
    if wh.kind == "postgres":
        return wh.sql(str(ibis.to_sql(expr, dialect="postgres")))
    return expr.to_pyarrow()


def _frame(wh: Warehouse, expr: Any) -> pd.DataFrame:
    return _arrow(wh, expr).to_pandas()


def school_sums(wh: Warehouse, ids: Sequence[int]) -> pd.DataFrame:
    """Per (assessment, school): present pupils, Σ primary, Σ primary², Σ test score, Σ test
    score², count of test scores, counts of marks 2…5 and the journal comparison counts."""
    cols = [
        "assessment_id", "org_id", "n", "sum_p", "sum_p2", "sum_test", "sum_t2", "n_test",
        "m2", "m3",
        "m4", "m5", "pairs", "lower", "equal", "higher", "gap2",
    ]
    if not ids:
        return pd.DataFrame(columns=cols)
    r = _present(wh, ids)
    both = r.mark.notnull() & r.journal_mark.notnull() & (r.journal_mark >= 2)

    def count(cond: Any) -> Any:
        return cond.ifelse(1, 0).sum()

    expr = r.group_by(["assessment_id", "org_id"]).aggregate(
        n=r.count(),
        sum_p=r.primary_score.sum(),
        sum_p2=(r.primary_score * r.primary_score).sum(),
        sum_test=r.test_score.sum(),
        sum_t2=(r.test_score * r.test_score).sum(),
        n_test=r.test_score.count(),
        m2=count(r.mark == 2),
        m3=count(r.mark == 3),
        m4=count(r.mark == 4),
        m5=count(r.mark == 5),
        pairs=count(both),
        lower=count(both & (r.mark < r.journal_mark)),
        equal=count(both & (r.mark == r.journal_mark)),
        higher=count(both & (r.mark > r.journal_mark)),
        gap2=count(both & ((r.mark - r.journal_mark).abs() >= 2)),
    )
    df = _frame(wh, expr)
    for c in cols[2:]:
        df[c] = pd.to_numeric(df[c]).fillna(0)
    return df[cols]


def score_histograms(wh: Warehouse, ids: Sequence[int]) -> pd.DataFrame:
    """Per (assessment, school, primary score): number of present pupils."""
    if not ids:
        return pd.DataFrame(columns=["assessment_id", "org_id", "score", "k"])
    r = _present(wh, ids)
    r = r.mutate(score=r.primary_score.round().cast("int32"))
    return _frame(wh, r.group_by(["assessment_id", "org_id", "score"]).aggregate(k=r.count()))


def task_sums(wh: Warehouse, ids: Sequence[int]) -> pd.DataFrame:
    """Per (assessment, school, task position): Σ points and number of present pupils."""
    if not ids:
        return pd.DataFrame(columns=["assessment_id", "org_id", "task_pos", "s", "c"])
    present = _present(wh, ids).select("result_id")
    ts = wh.facts("task_score")
    ts = ts.filter(ts.assessment_id.isin(list(ids))).semi_join(present, "result_id")
    return _frame(
        wh,
        ts.group_by(["assessment_id", "org_id", "task_pos"]).aggregate(
            s=ts.score.sum(), c=ts.count()
        )
    )


def journal_table(wh: Warehouse, ids: Sequence[int]) -> pd.DataFrame:
    """Per (assessment, school, journal mark 2…5): pupils with both marks, and of them those
    whose ВПР mark is lower / higher than the journal mark."""
    if not ids:
        return pd.DataFrame(columns=["assessment_id", "org_id", "jm", "k", "lower", "higher"])
    r = _present(wh, ids)
    r = r.filter(r.mark.notnull(), r.journal_mark.notnull(), r.journal_mark >= 2,
                 r.journal_mark <= 5)
    return _frame(
        wh,
        r.group_by(["assessment_id", "org_id", r.journal_mark.name("jm")]).aggregate(
            k=r.count(),
            lower=(r.mark < r.journal_mark).ifelse(1, 0).sum(),
            higher=(r.mark > r.journal_mark).ifelse(1, 0).sum(),
        )
    )


def work_aggregates(
    wh: Warehouse, infos: Sequence[AssessmentInfo]
) -> dict[int, WorkAggregates]:
    """The :class:`WorkAggregates` of each assessment (three grouped queries in all)."""
    ids = [a.id for a in infos]
    sums = school_sums(wh, ids)
    hists = score_histograms(wh, ids)
    tasks = task_sums(wh, ids)
    journal = journal_table(wh, ids)
    out: dict[int, WorkAggregates] = {}
    by_sum = dict(tuple(sums.groupby("assessment_id"))) if len(sums) else {}
    by_hist = dict(tuple(hists.groupby("assessment_id"))) if len(hists) else {}
    by_task = dict(tuple(tasks.groupby("assessment_id"))) if len(tasks) else {}
    by_journal = dict(tuple(journal.groupby("assessment_id"))) if len(journal) else {}
    for a in infos:
        s = by_sum.get(a.id)
        if s is None or s.empty:
            continue
        s = s.sort_values("org_id")
        orgs = s["org_id"].to_numpy(np.int64)
        pos = {int(o): i for i, o in enumerate(orgs)}
        m = a.max_primary or 1.0
        n_tasks = len(a.spec.task_max)
        task_sum = np.zeros((orgs.size, n_tasks))
        task_cnt = np.zeros((orgs.size, n_tasks))
        t = by_task.get(a.id)
        if t is not None and n_tasks:
            rows = t["org_id"].map(pos).to_numpy()
            cols = t["task_pos"].to_numpy(np.int64) - 1
            keep = (cols >= 0) & (cols < n_tasks) & ~pd.isna(rows)
            np.add.at(task_sum, (rows[keep].astype(int), cols[keep]), t["s"].to_numpy()[keep])
            np.add.at(task_cnt, (rows[keep].astype(int), cols[keep]), t["c"].to_numpy()[keep])
        width = int(np.ceil(m)) + 1
        hist = np.zeros((orgs.size, width))
        h = by_hist.get(a.id)
        if h is not None:
            rows = h["org_id"].map(pos).to_numpy()
            sc = h["score"].to_numpy(np.int64)
            keep = (sc >= 0) & (sc < width) & ~pd.isna(rows)
            np.add.at(hist, (rows[keep].astype(int), sc[keep]), h["k"].to_numpy()[keep])
        jm = np.zeros((3, orgs.size, 4))
        j = by_journal.get(a.id)
        if j is not None:
            rows = j["org_id"].map(pos).to_numpy()
            col = j["jm"].to_numpy(np.int64) - 2
            keep = (col >= 0) & (col < 4) & ~pd.isna(rows)
            for layer, name in enumerate(("k", "lower", "higher")):
                np.add.at(jm[layer], (rows[keep].astype(int), col[keep]),
                          j[name].to_numpy()[keep])
        out[a.id] = WorkAggregates(
            org=orgs,
            n=s["n"].to_numpy(np.int64),
            sum_pct=s["sum_p"].to_numpy(np.float64) / m,
            sum_pct2=s["sum_p2"].to_numpy(np.float64) / (m * m),
            marks=s[["m2", "m3", "m4", "m5"]].to_numpy(np.int64),
            pairs=s["pairs"].to_numpy(np.int64),
            lower=s["lower"].to_numpy(np.int64),
            equal=s["equal"].to_numpy(np.int64),
            higher=s["higher"].to_numpy(np.int64),
            gap2=s["gap2"].to_numpy(np.int64),
            task_sum=task_sum,
            task_cnt=task_cnt,
            hist=hist,
            jm_pairs=jm[0],
            jm_lower=jm[1],
            jm_higher=jm[2],
        )
    return out


@dataclass
class PupilScores:
    org: np.ndarray
    class_label: list[str | None]
    scores: np.ndarray


def pupil_scores(wh: Warehouse, info: AssessmentInfo) -> PupilScores:
    """Each present pupil's task scores of one work (rows = pupils, columns = task positions)."""
    r = _present(wh, [info.id])
    res = _arrow(wh, r.select("result_id", "org_id", "class_label"))
    n_tasks = len(info.spec.task_max)
    if res.num_rows == 0 or n_tasks == 0:
        return PupilScores(np.zeros(0, np.int64), [], np.zeros((0, n_tasks)))
    ids = res.column("result_id").to_numpy()
    order = np.argsort(ids, kind="stable")
    ids_sorted = ids[order]
    ts = wh.facts("task_score")
    ts = ts.filter(ts.assessment_id == info.id).select("result_id", "task_pos", "score")
    t = _arrow(wh, ts)
    scores = np.full((ids.size, n_tasks), np.nan)
    if t.num_rows:
        rid = t.column("result_id").to_numpy()
        pos = t.column("task_pos").to_numpy().astype(np.int64) - 1
        val = t.column("score").to_numpy().astype(np.float64)
        idx = np.searchsorted(ids_sorted, rid)
        idx = np.clip(idx, 0, ids_sorted.size - 1)
        keep = (ids_sorted[idx] == rid) & (pos >= 0) & (pos < n_tasks)
        scores[order[idx[keep]], pos[keep]] = val[keep]
    return PupilScores(
        res.column("org_id").to_numpy().astype(np.int64),
        res.column("class_label").to_pylist(),
        scores,
    )


def medallists(
    wh: Warehouse, year: int, ege: Sequence[AssessmentInfo], minimums: dict[str, tuple[str, float]]
) -> list[Medallist]:
    """Medallists of a year with their ЕГЭ results of the same year (joined by student code)."""
    m = wh.facts("medal")
    m = m.filter(m.year == year)
    medals = _frame(wh, m.select("org_id", "student_code", "medal"))
    if medals.empty:
        return []
    subjects = {a.id: a.subject for a in ege}
    exams = pd.DataFrame(columns=["student_code", "assessment_id", "test_score", "mark"])
    if subjects:
        r = wh.facts("result")
        r = r.filter(
            r.assessment_id.isin(list(subjects)), ~r.absent, r.student_code.notnull()
        ).semi_join(m.select("student_code"), "student_code")
        exams = _frame(wh, r.select("student_code", "assessment_id", "test_score", "mark"))
    by_student: dict[str, list[tuple[str, Any, Any]]] = {}
    for row in exams.itertuples(index=False):
        by_student.setdefault(str(row.student_code), []).append(
            (subjects[int(row.assessment_id)], row.test_score, row.mark)
        )
    out = []
    for row in medals.itertuples(index=False):
        code = str(row.student_code)
        taken = by_student.get(code, [])
        russian: float | None = None
        failed: list[str] = []
        for subject, test, mark in taken:
            if subject == "РУ" and test is not None and not pd.isna(test):
                russian = float(test)
            rule = minimums.get(subject)
            if rule is None:
                continue
            kind, threshold = rule
            if kind == "test" and test is not None and not pd.isna(test) and test < threshold:
                failed.append(f"ЕГЭ «{subject}»: {float(test):g} < {threshold:g}")
            if kind == "mark" and mark is not None and not pd.isna(mark) and mark < threshold:
                failed.append(f"ЕГЭ «{subject}»: отметка «{int(mark)}»")
        out.append(
            Medallist(int(row.org_id), code, str(row.medal), russian, tuple(failed), len(taken))
        )
    return out


def official_markers(wh: Warehouse, years: Sequence[int]) -> pd.DataFrame:
    """Rows of imported official lists: org, year, procedure, subject, grade, list source."""
    t = wh.facts("official_marker")
    t = t.filter(t.year.isin(list(years)))
    return _frame(wh, t.select("org_id", "year", "procedure", "subject", "grade",
                               "list_source"))


def refresh_statistics(wh: Warehouse) -> None:
    """On PostgreSQL, refresh the planner's statistics of the fact tables read here. Freshly
    loaded tables have none, and the planner then chooses nested loops over thousands of
    slices (seconds per query instead of milliseconds). DuckDB needs nothing."""
    if wh.kind != "postgres":
        return
    with wh.write() as w:
        w.execute("ANALYZE fact_slice, result, task_score, medal, official_marker")


def years_with_results(wh: Warehouse) -> list[int]:
    r = wh.facts("result")
    df = _frame(wh, r.select("year").distinct())
    return sorted(int(y) for y in df["year"].tolist())


@dataclass
class WorkRows:
    """Present participants of one work with identifiers, marking and task scores."""

    result_id: np.ndarray
    org: np.ndarray
    participant_code: list[str]
    class_label: list[str | None]
    primary: np.ndarray
    mark: list[int | None]
    scores: np.ndarray


def work_rows(wh: Warehouse, info: AssessmentInfo, org_ids: Sequence[int]) -> WorkRows:
    """Participants of one work in the given schools, ordered by result id (stable sampling)."""
    r = _present(wh, [info.id])
    r = r.filter(r.org_id.isin([int(o) for o in org_ids]))
    res = _arrow(wh, r.select(
        "result_id", "org_id", "participant_code", "class_label", "primary_score", "mark"
    ).order_by("result_id"))
    n_tasks = len(info.spec.task_max)
    ids = res.column("result_id").to_numpy() if res.num_rows else np.zeros(0, np.int64)
    scores = np.full((ids.size, n_tasks), np.nan)
    if ids.size and n_tasks:
        ts = wh.facts("task_score")
        ts = ts.filter(ts.assessment_id == info.id, ts.org_id.isin([int(o) for o in org_ids]))
        t = _arrow(wh, ts.select("result_id", "task_pos", "score"))
        rid = t.column("result_id").to_numpy()
        pos = t.column("task_pos").to_numpy().astype(np.int64) - 1
        val = t.column("score").to_numpy().astype(np.float64)
        idx = np.clip(np.searchsorted(ids, rid), 0, max(ids.size - 1, 0))
        keep = (ids[idx] == rid) & (pos >= 0) & (pos < n_tasks)
        scores[idx[keep], pos[keep]] = val[keep]
    return WorkRows(
        ids.astype(np.int64),
        res.column("org_id").to_numpy().astype(np.int64) if res.num_rows else np.zeros(0, np.int64),
        [str(c) for c in res.column("participant_code").to_pylist()] if res.num_rows else [],
        res.column("class_label").to_pylist() if res.num_rows else [],
        res.column("primary_score").to_numpy().astype(np.float64)
        if res.num_rows else np.zeros(0),
        [None if m is None else int(m) for m in res.column("mark").to_pylist()]
        if res.num_rows else [],
        scores,
    )
