"""Reads of the fact store for the analyses, expressed once in Ibis (DuckDB, PostgreSQL, …).

Each function builds an expression over the visible facts of one year and returns it as a
pandas frame of *counts and sums* at the finest unit the analyses need (assessment ×
organization × class label, or per pupil × skill aggregated to the class). Rolling these up to
organizations, municipalities and the region happens in memory by summing counts, so a share is
never averaged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis
import pandas as pd

from soko.warehouse.store import Warehouse

CLASS_KEYS = ["assessment_id", "org_id", "class_label"]


def _one(cond: Any) -> Any:
    """1 where ``cond`` holds, else 0 (portable sum of a condition)."""
    return ibis.ifelse(cond, 1, 0)


def _results(wh: Warehouse, year: int, assessment_ids: Sequence[int] | None) -> Any:
    r = wh.facts("result")
    r = r.filter(r.year == year)
    if assessment_ids is not None:
        r = r.filter(r.assessment_id.isin(list(assessment_ids)))
    return r.mutate(class_label=r.class_label.fill_null(""))


def years_with_results(wh: Warehouse) -> list[int]:
    """Years that have visible participant results."""
    r = wh.facts("result")
    frame = r.select("year").distinct().to_pandas()
    return sorted(int(y) for y in frame["year"].tolist())


def result_counts(
    wh: Warehouse, year: int, gap: int, assessment_ids: Sequence[int] | None = None
) -> pd.DataFrame:
    """Per assessment × organization × class: participants (present), absent, counts of marks
    2–5, n / Σ / Σ² of primary scores, n / Σ / Σ² of test scores, and journal comparison counts
    (pairs, lower, equal, higher, |difference| ≥ ``gap``)."""
    r = _results(wh, year, assessment_ids)
    present = ~r.absent
    has_primary = present & r.primary_score.notnull()
    has_test = present & r.test_score.notnull()
    pair = present & r.mark.notnull() & r.journal_mark.notnull()
    diff = r.mark.cast("int32") - r.journal_mark.cast("int32")
    aggs: dict[str, Any] = {
        "participants": _one(present).sum(),
        "absent": _one(r.absent).sum(),
        "primary_n": _one(has_primary).sum(),
        "primary_sum": ibis.ifelse(has_primary, r.primary_score, 0.0).sum(),
        "primary_sumsq": ibis.ifelse(has_primary, r.primary_score * r.primary_score, 0.0).sum(),
        "test_n": _one(has_test).sum(),
        "test_sum": ibis.ifelse(has_test, r.test_score, 0.0).sum(),
        "test_sumsq": ibis.ifelse(has_test, r.test_score * r.test_score, 0.0).sum(),
        "journal_n": _one(pair).sum(),
        "journal_lower": _one(pair & (diff < 0)).sum(),
        "journal_equal": _one(pair & (diff == 0)).sum(),
        "journal_higher": _one(pair & (diff > 0)).sum(),
        "journal_gap": _one(pair & (diff.abs() >= gap)).sum(),
    }
    for mark in (2, 3, 4, 5):
        aggs[f"mark_{mark}"] = _one(present & (r.mark == mark)).sum()
    expr = r.group_by(CLASS_KEYS).aggregate(**aggs)
    return _frame(expr)


def score_histogram(
    wh: Warehouse, year: int, column: str, assessment_ids: Sequence[int] | None = None
) -> pd.DataFrame:
    """Per assessment × organization × class × whole score (``primary_score`` or
    ``test_score``, rounded down): the number of present participants."""
    r = _results(wh, year, assessment_ids)
    value = r[column]
    r = r.filter(~r.absent & value.notnull())
    expr = r.group_by([*CLASS_KEYS, value.floor().cast("int32").name("score")]).aggregate(
        n=r.count()
    )
    return _frame(expr)


def task_sums(
    wh: Warehouse, year: int, assessment_ids: Sequence[int] | None = None
) -> pd.DataFrame:
    """Per assessment × organization × class × mark × task position: Σ score and the number of
    present participants with a score for the task (``mark`` −1 when the result has none)."""
    r = _results(wh, year, assessment_ids)
    r = r.filter(~r.absent).select(
        "result_id", "class_label", mark=r.mark.fill_null(-1).cast("int32")
    )
    ts = wh.facts("task_score")
    if assessment_ids is not None:
        ts = ts.filter(ts.assessment_id.isin(list(assessment_ids)))
    ts = ts.select("result_id", "assessment_id", "org_id", "task_pos", "score")
    joined = ts.join(r, "result_id")
    expr = joined.group_by([*CLASS_KEYS, "mark", "task_pos"]).aggregate(
        total=joined.score.cast("float64").sum(), n=joined.count()
    )
    return _frame(expr)


def skill_moments(
    wh: Warehouse,
    year: int,
    mapping: pd.DataFrame,
    assessment_ids: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Per assessment × organization × class × skill: n, Σ and Σ² of pupils' completion shares
    of the skill (points on its tasks / their maximum), and n, Σ and Σ² of each pupil's
    *residual*: the skill share minus the mean skill share of all pupils of the year with the
    same whole primary score on the work (the standardisation approach to differential item
    functioning, matching on the total score). A class that lags on the whole work has
    residuals near zero; a class that lags on one skill has negative ones.

    ``mapping`` has columns ``assessment_id``, ``task_pos``, ``skill_id`` (int, unique within
    the assessment) and ``max_score``; every task of a mapped work must be in it. A work of a
    single skill has no rest and no residuals (``d_n`` = 0).
    """
    columns = [*CLASS_KEYS, "skill_id", "n", "total", "total_sq", "d_n", "d_total", "d_sq"]
    if mapping.empty:
        return pd.DataFrame(columns=columns)
    r = _results(wh, year, assessment_ids)
    r = r.filter(~r.absent & r.primary_score.notnull()).select(
        "result_id", "class_label", "primary_score"
    )
    ts = wh.facts("task_score")
    if assessment_ids is not None:
        ts = ts.filter(ts.assessment_id.isin(list(assessment_ids)))
    skills_per_work = mapping.groupby("assessment_id")["skill_id"].transform("nunique")
    m = ibis.memtable(
        mapping.assign(multi=(skills_per_work > 1).astype("int8"))[
            ["assessment_id", "task_pos", "skill_id", "max_score", "multi"]
        ].astype(
            {"assessment_id": "int32", "task_pos": "int16", "skill_id": "int32",
             "max_score": "float64"}
        )
    )
    ts = ts.select("result_id", "assessment_id", "org_id", "task_pos", "score")
    per_task = ts.join(m, ["assessment_id", "task_pos"])
    per_pupil = per_task.group_by(
        ["result_id", "assessment_id", "org_id", "skill_id", "multi"]
    ).aggregate(got=per_task.score.cast("float64").sum(), top=per_task.max_score.sum())
    per_pupil = per_pupil.filter(per_pupil.top > 0).join(r, "result_id")
    # pupils of the same level: the same whole primary score (the matching criterion)
    band = ibis.ifelse(per_pupil.multi > 0, per_pupil.primary_score.floor().cast("int32"), -1)
    pupils = per_pupil.select(
        "assessment_id", "org_id", "class_label", "skill_id",
        share=per_pupil.got / per_pupil.top, band=band,
    )
    same_level = ibis.window(group_by=[pupils.assessment_id, pupils.skill_id, pupils.band])
    scored = pupils.mutate(expected=pupils.share.mean().over(same_level))
    residual = scored.share - scored.expected
    has_res = scored.band >= 0
    expr = scored.group_by([*CLASS_KEYS, "skill_id"]).aggregate(
        n=scored.count(),
        total=scored.share.sum(),
        total_sq=(scored.share * scored.share).sum(),
        d_n=_one(has_res).sum(),
        d_total=ibis.ifelse(has_res, residual, 0.0).sum(),
        d_sq=ibis.ifelse(has_res, residual * residual, 0.0).sum(),
    )
    return _frame(expr)


def _frame(expr: Any) -> pd.DataFrame:
    frame: pd.DataFrame = expr.to_pandas()
    for col in ("assessment_id", "org_id"):
        if col in frame:
            frame[col] = frame[col].astype("int64")
    if "class_label" in frame:
        frame["class_label"] = frame["class_label"].fillna("").astype(str)
    return frame
