"""Writes of the analyses area: recompute the stored analyses from the fact store.

:func:`analyses_compute` is the one entry point (background job, post-import hook, CLI and the
``risks`` area's ``soko analyze`` call it). For each year it reads counts and sums through
Ibis (:mod:`soko.analyses.facts`), rolls them up class → organization → municipality → region by
summing counts, classifies tasks and skills, finds teachers' deficits, and replaces the year's
rows in one transaction. The cross-year analyses (dynamics, positions, agreement, cohorts,
clusters) are then recomputed from the stored organization rows in one more transaction.
"""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from django.db import transaction

from soko.analyses import facts
from soko.analyses import stats as st
from soko.analyses.models import (
    AssessmentAnalysis,
    ClusterMember,
    ClusterRun,
    Cohort,
    Deficit,
    DeficitSummary,
    Level,
    ResultSummary,
    SchoolAgreement,
    SchoolPosition,
    ShareTwoTrend,
)
from soko.catalog.models import Assessment, MinScore, Parameter
from soko.catalog.selectors import ParameterMissing, parameter_get
from soko.core.bulk import insert_rows
from soko.registry.models import Organization, TeachingAssignment, Territory

log = logging.getLogger(__name__)

ProgressCallback = Callable[[float, str], None]
RESULT_KINDS = frozenset({"vpr_results", "vpr_form", "oge_results", "ege_results", "canonical"})
TEACHER_KINDS = frozenset({"classes", "teachers"})
PROCEDURE_GROUPS = ("ВПР", "ОГЭ", "ЕГЭ")
UnitKey = tuple[int, str, int, int, str]  # assessment, level, org id, territory id, class label
SKILL_VALUES = ["n", "total", "total_sq", "d_n", "d_total", "d_sq"]
LEVEL_KEYS: dict[str, list[str]] = {
    Level.CLASS: ["org_id", "class_label"],
    Level.ORGANIZATION: ["org_id"],
    Level.MUNICIPALITY: ["mun_id"],
    Level.REGION: ["reg_id"],
}


def _noop(fraction: float, message: str = "") -> None:
    return None


# --- parameters -------------------------------------------------------------------------------


_PARAMS: dict[tuple[str, int | None], Any] = {}


def _param(code: str, year: int | None, default: Any) -> Any:
    """A parameter's value in force for ``year`` (cached for one computation run)."""
    key = (code, year)
    if key not in _PARAMS:
        try:
            _PARAMS[key] = parameter_get(code, year).value
        except ParameterMissing:
            log.warning("parameter %s is missing; using %r", code, default)
            _PARAMS[key] = default
    return _PARAMS[key]


def _param_note(code: str, year: int | None) -> dict[str, Any] | None:
    try:
        p: Parameter = parameter_get(code, year)
    except ParameterMissing:
        return None
    return {
        "name": p.name,
        "value": p.value,
        "unit": p.unit,
        "source": p.source.title,
        "source_kind": p.source.kind,
        "source_kind_label": p.source.get_kind_display(),
    }


@dataclass(frozen=True)
class YearSettings:
    """Thresholds in force for a year (catalog parameters)."""

    year: int
    mastery: st.MasteryThresholds
    gap: int
    deficit: st.DeficitRule
    systemic_share: float
    high_test: float
    notes: dict[str, Any]

    @classmethod
    def load(cls, year: int) -> YearSettings:
        codes = [
            "vpr.mastery.basic",
            "vpr.mastery.basic_lower",
            "vpr.mastery.advanced",
            "vpr.mastery.advanced_lower",
            "vpr.journal_gap",
            "vpr.histogram.min_n",
            "vpr.histogram.informative_n",
            "vpr.share2_dynamics.negative_pp",
            "privacy.min_group_size",
            "analyses.group.min_n",
            "analyses.skill.systemic_share",
            "analyses.deficit.margin",
            "analyses.deficit.specific_margin",
            "analyses.deficit.procedures",
            "analyses.deficit.fdr",
            "ege.high_score.min",
        ]
        notes = {code: note for code in codes if (note := _param_note(code, year)) is not None}
        return cls(
            year=year,
            mastery=st.MasteryThresholds(
                basic=float(_param("vpr.mastery.basic", year, 0.60)),
                basic_lower=float(_param("vpr.mastery.basic_lower", year, 0.57)),
                advanced=float(_param("vpr.mastery.advanced", year, 0.30)),
                advanced_lower=float(_param("vpr.mastery.advanced_lower", year, 0.285)),
            ),
            gap=int(_param("vpr.journal_gap", year, 2)),
            deficit=st.DeficitRule(
                margin=float(_param("analyses.deficit.margin", year, 0.15)),
                specific_margin=float(_param("analyses.deficit.specific_margin", year, 0.15)),
                fdr=float(_param("analyses.deficit.fdr", year, 0.05)),
                min_n=int(_param("analyses.group.min_n", year, 10)),
            ),
            systemic_share=float(_param("analyses.skill.systemic_share", year, 0.5)),
            high_test=float(_param("ege.high_score.min", year, 80)),
            notes=notes,
        )


# --- territories ------------------------------------------------------------------------------


@dataclass
class Units:
    """Where each organization rolls up: its municipality (None when it hangs directly under a
    region) and its region (the top territory)."""

    org_mun: dict[int, int] = field(default_factory=dict)
    org_reg: dict[int, int] = field(default_factory=dict)
    org_territory: dict[int, int] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Units:
        parents = dict(Territory.objects.values_list("id", "parent_id"))
        kinds = dict(Territory.objects.values_list("id", "kind"))

        def top(tid: int) -> int:
            seen = set()
            parent = parents.get(tid)
            while parent is not None and tid not in seen:
                seen.add(tid)
                tid = int(parent)
                parent = parents.get(tid)
            return tid

        units = cls()
        for org_id, tid in Organization.objects.values_list("id", "territory_id"):
            units.org_territory[org_id] = tid
            units.org_reg[org_id] = top(tid)
            if kinds.get(tid) == Territory.Kind.MUNICIPALITY:
                units.org_mun[org_id] = tid
        return units

    def add_columns(self, frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        frame["mun_id"] = frame["org_id"].map(self.org_mun)
        frame["reg_id"] = frame["org_id"].map(self.org_reg)
        return frame


def _rollup(
    frame: pd.DataFrame, values: list[str], extra: Sequence[str] = ()
) -> dict[str, pd.DataFrame]:
    """Sum ``values`` per assessment and unit of every level (class rows need a label)."""
    out: dict[str, pd.DataFrame] = {}
    for level, keys in LEVEL_KEYS.items():
        part = frame
        if level == Level.CLASS:
            part = part[part["class_label"] != ""]
        elif level != Level.ORGANIZATION:
            part = part.dropna(subset=keys)
        grouped = part.groupby(["assessment_id", *keys, *extra], as_index=False, sort=True)[
            values
        ].sum()
        grouped["unit"] = _unit_keys(grouped, level)
        out[level] = grouped
    return out


def _unit_keys(frame: pd.DataFrame, level: str) -> list[UnitKey]:
    aid = frame["assessment_id"].astype(int).tolist()
    n = len(aid)
    if level == Level.CLASS:
        return list(
            zip(
                aid,
                [level] * n,
                frame["org_id"].astype(int).tolist(),
                [0] * n,
                frame["class_label"].tolist(),
                strict=True,
            )
        )
    if level == Level.ORGANIZATION:
        orgs = frame["org_id"].astype(int).tolist()
        return list(zip(aid, [level] * n, orgs, [0] * n, [""] * n, strict=True))
    col = "mun_id" if level == Level.MUNICIPALITY else "reg_id"
    terr = frame[col].astype(int).tolist()
    return list(zip(aid, [level] * n, [0] * n, terr, [""] * n, strict=True))


# --- assessments ------------------------------------------------------------------------------


@dataclass
class AssessmentMeta:
    assessment: Assessment
    tasks: list[st.TaskInfo]
    skills: list[st.SkillGroup]
    skill_ids: dict[str, int]
    boundaries: dict[str, float]
    min_test: float | None
    min_test_note: str

    @property
    def max_primary(self) -> float | None:
        if self.assessment.max_primary:
            return float(self.assessment.max_primary)
        total = sum(t.max_score for t in self.tasks)
        return float(total) if total else None


def _min_test(assessment: Assessment) -> tuple[float | None, str]:
    """The minimum test score for a ЕГЭ work: the certificate («аттестат») or general minimum
    of the year, else of the nearest earlier year, else of the nearest later one."""
    rows = list(
        MinScore.objects.filter(
            procedure=assessment.procedure, subject=assessment.subject, score__isnull=False
        ).select_related("source")
    )
    if not rows:
        return None, ""

    def rank(m: MinScore) -> tuple[int, int, int]:
        purpose = 0 if m.purpose in ("аттестат", "минимальный балл") else 1
        if m.year <= assessment.year:
            return (purpose, 0, assessment.year - m.year)
        return (purpose, 1, m.year - assessment.year)

    best = min(rows, key=rank)
    purpose = best.purpose or "минимальный балл"
    note = f"{best.score:g} ({purpose}, {best.year} г.; {best.source.title})"
    return float(best.score or 0.0), note


def _meta(assessment: Assessment) -> AssessmentMeta:
    tasks = [
        st.TaskInfo(
            position=t.position,
            number=t.number,
            max_score=float(t.max_score),
            level=t.level,
            skill=t.skill,
        )
        for t in assessment.tasks.all()
    ]
    skills = st.skill_groups(tasks)
    scale = getattr(assessment, "scale", None)
    boundaries = {str(k): float(v) for k, v in (scale.boundaries if scale else {}).items()}
    min_test, note = (None, "")
    if assessment.procedure.result == "test_score":
        min_test, note = _min_test(assessment)
    return AssessmentMeta(
        assessment=assessment,
        tasks=tasks,
        skills=skills,
        skill_ids={g.key: i for i, g in enumerate(skills)},
        boundaries=boundaries,
        min_test=min_test,
        min_test_note=note,
    )


def _skill_mapping(metas: Iterable[AssessmentMeta]) -> pd.DataFrame:
    rows: list[tuple[int, int, int, float]] = []
    for meta in metas:
        by_pos = {t.position: t for t in meta.tasks}
        for group in meta.skills:
            sid = meta.skill_ids[group.key]
            rows.extend(
                (meta.assessment.pk, pos, sid, by_pos[pos].max_score) for pos in group.positions
            )
    return pd.DataFrame(rows, columns=["assessment_id", "task_pos", "skill_id", "max_score"])


# --- one year -----------------------------------------------------------------------------------


@dataclass
class YearResult:
    year: int
    analyses: list[AssessmentAnalysis] = field(default_factory=list)
    summaries: dict[int, list[ResultSummary]] = field(default_factory=dict)
    deficits: list[Deficit] = field(default_factory=list)
    deficit_summaries: list[DeficitSummary] = field(default_factory=list)


def _compute_year(wh: Any, year: int, units: Units, say: ProgressCallback) -> YearResult:
    cfg = YearSettings.load(year)
    out = YearResult(year)
    counts = facts.result_counts(wh, year, cfg.gap)
    if counts.empty:
        return out
    ids = sorted({int(a) for a in counts["assessment_id"].unique()})
    assessments = {
        a.pk: a
        for a in Assessment.objects.filter(pk__in=ids)
        .select_related("procedure", "subject", "scale__source", "source")
        .prefetch_related("tasks")
    }
    metas = {aid: _meta(a) for aid, a in assessments.items()}
    say(0.1, f"{year}: гистограммы")
    hist = facts.score_histogram(wh, year, "primary_score")
    test_hist = facts.score_histogram(wh, year, "test_score")
    say(0.3, f"{year}: выполнение заданий")
    tasks = facts.task_sums(wh, year)
    say(0.5, f"{year}: умения по участникам")
    skill_frame = facts.skill_moments(wh, year, _skill_mapping(metas.values()))
    say(0.7, f"{year}: сводка")

    counts = units.add_columns(counts)
    count_cols = [c for c in counts.columns if c not in ("assessment_id", "org_id", "class_label",
                                                          "mun_id", "reg_id")]
    rolled = _rollup(counts, count_cols)
    org_counts = rolled[Level.ORGANIZATION]
    present_orgs = org_counts[org_counts["participants"] > 0]
    orgs_per_unit = _orgs_per_unit(units.add_columns(present_orgs))
    histograms = _histograms(units.add_columns(hist))
    test_stats = _test_stats(units.add_columns(test_hist), metas, cfg.high_test)
    task_entries, skill_entries = (
        _task_and_skill_tables(units.add_columns(tasks), metas, cfg)
        if not tasks.empty
        else ({}, {})
    )
    skill_rolled = (
        _rollup(units.add_columns(skill_frame), SKILL_VALUES, ["skill_id"])
        if not skill_frame.empty
        else {}
    )

    for aid in ids:
        meta = metas[aid]
        a = meta.assessment
        region_rows = rolled[Level.REGION]
        region_rows = region_rows[region_rows["assessment_id"] == aid]
        analysis = AssessmentAnalysis(
            assessment=a,
            year=year,
            procedure=a.procedure.code,
            subject=a.subject.code,
            grade=a.grade,
            participants=int(region_rows["participants"].sum()),
            organizations=int((present_orgs["assessment_id"] == aid).sum()),
            tasks=[
                {"pos": t.position, "number": t.number, "max": t.max_score, "level": t.level,
                 "skill": t.skill}
                for t in meta.tasks
            ],
            skills=[
                {"key": g.key, "title": g.title, "tasks": list(g.numbers),
                 "positions": list(g.positions), "max": g.max_total, "from_tasks": g.from_tasks}
                for g in meta.skills
            ],
            boundaries=meta.boundaries,
            scale_status=a.scale_status,
            scale_source=a.scale.source.title if getattr(a, "scale", None) else "",
            thresholds={**cfg.notes, "min_test": meta.min_test_note} if meta.min_test_note
            else dict(cfg.notes),
        )
        out.analyses.append(analysis)
        out.summaries[aid] = []
    by_aid = {an.assessment_id: an for an in out.analyses}
    for level, frame in rolled.items():
        for row in frame.to_dict("records"):
            unit: UnitKey = row["unit"]
            aid = unit[0]
            meta = metas[aid]
            analysis = by_aid[aid]
            summary = _summary(analysis, meta, level, unit, row, cfg)
            summary.organizations = 1 if level in (Level.CLASS, Level.ORGANIZATION) else int(
                orgs_per_unit.get(unit, 0)
            )
            summary.histogram = _histogram_list(histograms.get(unit, {}), meta.max_primary)
            below, high = test_stats.get(unit, (0, 0))
            summary.test_below_min, summary.test_high = below, high
            summary.tasks = task_entries.get(unit, [])
            summary.skills = skill_entries.get(unit, [])
            out.summaries[aid].append(summary)
    for aid in ids:
        meta = metas[aid]
        analysis = by_aid[aid]
        analysis.has_marks = any(s.marked for s in out.summaries[aid])
        analysis.has_tasks = bool(meta.tasks) and any(s.tasks for s in out.summaries[aid])
        analysis.has_journal = any(s.journal_n for s in out.summaries[aid])
        analysis.has_test_scores = any(s.test_n for s in out.summaries[aid])
    if skill_rolled:
        say(0.85, f"{year}: дефициты")
        procedures = set(_param("analyses.deficit.procedures", year, ["ВПР", "ОГЭ"]))
        wanted = {aid for aid, m in metas.items() if m.assessment.procedure.code in procedures}
        if wanted:
            chosen = {
                level: frame[frame["assessment_id"].isin(wanted)]
                for level, frame in skill_rolled.items()
            }
            _deficits(out, {aid: metas[aid] for aid in wanted}, chosen, units, cfg)
    return out


def _orgs_per_unit(frame: pd.DataFrame) -> dict[UnitKey, int]:
    out: dict[UnitKey, int] = {}
    for level in (Level.MUNICIPALITY, Level.REGION):
        col = LEVEL_KEYS[level][0]
        part = frame.dropna(subset=[col])
        grouped = part.groupby(["assessment_id", col]).size()
        for (aid, tid), n in grouped.items():
            out[(int(aid), level, 0, int(tid), "")] = int(n)
    return out


def _histograms(frame: pd.DataFrame) -> dict[UnitKey, dict[int, int]]:
    out: dict[UnitKey, dict[int, int]] = defaultdict(dict)
    if frame.empty:
        return out
    for part in _rollup(frame, ["n"], ["score"]).values():
        for unit, score, n in zip(part["unit"], part["score"], part["n"], strict=True):
            out[unit][int(score)] = int(n)
    return out


def _histogram_list(counts: dict[int, int], max_primary: float | None) -> list[int]:
    if not counts:
        return []
    top = max(max(counts), int(max_primary or 0))
    return [counts.get(i, 0) for i in range(top + 1)]


def _test_stats(
    frame: pd.DataFrame, metas: dict[int, AssessmentMeta], high: float
) -> dict[UnitKey, tuple[int, int]]:
    out: dict[UnitKey, tuple[int, int]] = {}
    if frame.empty:
        return out
    mins = {aid: m.min_test for aid, m in metas.items()}
    frame = frame.copy()
    minimum = frame["assessment_id"].map(mins).astype(float)
    frame["below"] = np.where(minimum.notna() & (frame["score"] < minimum), frame["n"], 0)
    frame["high"] = np.where(frame["score"] >= high, frame["n"], 0)
    for part in _rollup(frame, ["below", "high"]).values():
        for unit, below, hi in zip(part["unit"], part["below"], part["high"], strict=True):
            out[unit] = (int(below), int(hi))
    return out


def _summary(
    analysis: AssessmentAnalysis,
    meta: AssessmentMeta,
    level: str,
    unit: UnitKey,
    row: dict[str, Any],
    cfg: YearSettings,
) -> ResultSummary:
    _aid, _lvl, org_id, territory_id, label = unit
    return ResultSummary(
        analysis=analysis,
        year=cfg.year,
        level=level,
        organization_id=org_id or None,
        territory_id=territory_id or None,
        class_label=label,
        participants=int(row["participants"]),
        absent=int(row["absent"]),
        mark_2=int(row["mark_2"]),
        mark_3=int(row["mark_3"]),
        mark_4=int(row["mark_4"]),
        mark_5=int(row["mark_5"]),
        primary_n=int(row["primary_n"]),
        primary_sum=float(row["primary_sum"]),
        primary_sumsq=float(row["primary_sumsq"]),
        test_n=int(row["test_n"]),
        test_sum=float(row["test_sum"]),
        test_sumsq=float(row["test_sumsq"]),
        journal_n=int(row["journal_n"]),
        journal_lower=int(row["journal_lower"]),
        journal_equal=int(row["journal_equal"]),
        journal_higher=int(row["journal_higher"]),
        journal_gap=int(row["journal_gap"]),
    )


def _task_meta(metas: dict[int, AssessmentMeta], cfg: YearSettings) -> tuple[
    pd.DataFrame, pd.DataFrame
]:
    """Per task: maximum, mastery thresholds and skill; per skill: weighted thresholds and
    whether the levels of all its tasks are known."""
    task_rows = []
    skill_rows = []
    for aid, meta in metas.items():
        by_pos = {t.position: t for t in meta.tasks}
        for group in meta.skills:
            sid = meta.skill_ids[group.key]
            members = [by_pos[p] for p in group.positions]
            high, low = st.skill_thresholds(members, cfg.mastery)
            skill_rows.append(
                (aid, sid, group.key, high, low, all(t.level for t in members))
            )
            for t in members:
                t_high, t_low = cfg.mastery.for_level(t.level)
                task_rows.append((aid, t.position, t.max_score, t_high, t_low, sid))
    tasks = pd.DataFrame(
        task_rows, columns=["assessment_id", "task_pos", "max_score", "high", "low", "skill_id"]
    )
    skills = pd.DataFrame(
        skill_rows,
        columns=["assessment_id", "skill_id", "key", "high", "low", "levels_known"],
    )
    return tasks, skills


def _classify(completion: Any, high: Any, low: Any) -> Any:
    """Vectorised :func:`stats.classify` (NaN completion → None)."""
    values = np.asarray(completion, dtype=float)
    out = np.select(
        [values >= high - st.EPS, values >= low - st.EPS], [st.SUFFICIENT, st.ZONE],
        st.INSUFFICIENT,
    ).astype(object)
    out[np.isnan(values)] = None
    return out


def _task_and_skill_tables(
    frame: pd.DataFrame, metas: dict[int, AssessmentMeta], cfg: YearSettings
) -> tuple[dict[UnitKey, list[dict[str, Any]]], dict[UnitKey, list[dict[str, Any]]]]:
    """unit → task entries (Σ, n, completion, mastery class; above class level also Σ and n
    by mark) and unit → skill entries (completion, thresholds, class, red tasks, systemic)."""
    task_meta, skill_meta = _task_meta(metas, cfg)
    tasks_out: dict[UnitKey, list[dict[str, Any]]] = defaultdict(list)
    skills_out: dict[UnitKey, list[dict[str, Any]]] = defaultdict(list)
    rolled = _rollup(frame, ["total", "n"], ["mark", "task_pos"])
    for level, by_mark in rolled.items():
        keys = ["assessment_id", *LEVEL_KEYS[level]]
        marks_of: dict[tuple[UnitKey, int], dict[str, list[float]]] = defaultdict(dict)
        if level != Level.CLASS:
            marked = by_mark[by_mark["mark"].isin([2, 3, 4, 5])]
            for unit, pos, mark, total, n in zip(
                marked["unit"], marked["task_pos"].tolist(), marked["mark"].tolist(),
                marked["total"].tolist(), marked["n"].tolist(), strict=True,
            ):
                marks_of[(unit, pos)][str(mark)] = [float(total), int(n)]
        tot = by_mark.groupby([*keys, "task_pos"], as_index=False, sort=True)[
            ["total", "n"]
        ].sum()
        tot = tot.merge(task_meta, on=["assessment_id", "task_pos"], how="inner")
        if tot.empty:
            continue
        tot = tot.sort_values([*keys, "task_pos"], kind="stable")
        tot["top"] = tot["n"] * tot["max_score"]
        with np.errstate(divide="ignore", invalid="ignore"):
            completion = np.where(tot["top"] > 0, tot["total"] / tot["top"], np.nan)
        tot["completion"] = completion
        tot["status"] = _classify(completion, tot["high"].to_numpy(), tot["low"].to_numpy())
        tot["unit"] = _unit_keys(tot, level)
        for unit, pos, total, n, comp, status in zip(
            tot["unit"], tot["task_pos"].tolist(), tot["total"].tolist(), tot["n"].tolist(),
            tot["completion"].tolist(), tot["status"].tolist(), strict=True,
        ):
            item: dict[str, Any] = {
                "pos": int(pos),
                "sum": round(float(total), 4),
                "n": int(n),
                "completion": None if math.isnan(comp) else round(comp, 6),
                "status": status,
            }
            if level != Level.CLASS:
                item["by_mark"] = marks_of.get((unit, pos), {})
            tasks_out[unit].append(item)
        tot["red"] = (tot["status"] == st.INSUFFICIENT).astype(int)
        tot["known"] = tot["status"].notna().astype(int)
        sk = tot.groupby([*keys, "skill_id"], as_index=False, sort=True).agg(
            got=("total", "sum"), top=("top", "sum"), red=("red", "sum"), known=("known", "sum")
        )
        sk = sk[sk["top"] > 0].merge(skill_meta, on=["assessment_id", "skill_id"], how="inner")
        sk = sk.sort_values([*keys, "skill_id"], kind="stable")
        sk_completion = (sk["got"] / sk["top"]).to_numpy()
        sk["status"] = _classify(sk_completion, sk["high"].to_numpy(), sk["low"].to_numpy())
        with np.errstate(divide="ignore", invalid="ignore"):
            red_share = np.where(sk["known"] > 0, sk["red"] / sk["known"], 0.0)
        sk["systemic"] = (sk["known"] >= 2) & (red_share > cfg.systemic_share + st.EPS)
        sk["unit"] = _unit_keys(sk, level)
        for unit, key, comp, high, low, status, red, systemic in zip(
            sk["unit"], sk["key"].tolist(), sk_completion.tolist(), sk["high"].tolist(),
            sk["low"].tolist(), sk["status"].tolist(), sk["red"].tolist(),
            sk["systemic"].tolist(), strict=True,
        ):
            skills_out[unit].append(
                {
                    "key": key,
                    "completion": round(comp, 6),
                    "threshold": round(high, 6),
                    "lower": round(low, 6),
                    "status": status,
                    "red_tasks": int(red),
                    "systemic": bool(systemic),
                }
            )
    return tasks_out, skills_out


# --- deficits ---------------------------------------------------------------------------------


def _teachers(year: int) -> dict[tuple[int, str, str], int]:
    """(organization id, class label, subject code) → teacher id for the school year."""
    rows = TeachingAssignment.objects.filter(class_group__year=year).values_list(
        "class_group__organization_id", "class_group__label", "subject__code", "teacher_id"
    )
    return {(org, label.strip().upper(), subj): teacher for org, label, subj, teacher in rows}


def _deficits(
    out: YearResult,
    metas: dict[int, AssessmentMeta],
    rolled: dict[str, pd.DataFrame],
    units: Units,
    cfg: YearSettings,
) -> None:
    """Apply the deficit rule to every class × skill of the year at once; store the deficits
    (Benjamini–Hochberg over all tests of the year) and the territory lists."""
    rule = cfg.deficit
    _task_m, skill_meta = _task_meta(metas, cfg)
    values = SKILL_VALUES
    refs = []
    for level, col in ((Level.MUNICIPALITY, "mun_id"), (Level.REGION, "reg_id")):
        part = rolled[level][["assessment_id", col, "skill_id", *values]].rename(
            columns={col: "ref_tid", **{v: f"ref_{v}" for v in values}}
        )
        part["ref_level"] = str(level)
        refs.append(part)
    reference = pd.concat(refs, ignore_index=True)
    reference["ref_tid"] = reference["ref_tid"].astype(int)
    classes = units.add_columns(rolled[Level.CLASS])
    classes = classes[classes["n"] >= rule.min_n].copy()
    if classes.empty:
        tested = classes
    else:
        has_mun = classes["mun_id"].notna()
        classes["ref_level"] = np.where(has_mun, str(Level.MUNICIPALITY), str(Level.REGION))
        classes["ref_tid"] = np.where(has_mun, classes["mun_id"], classes["reg_id"])
        classes = classes.dropna(subset=["ref_tid"])
        classes["ref_tid"] = classes["ref_tid"].astype(int)
        tested = classes.merge(
            reference, on=["assessment_id", "ref_level", "ref_tid", "skill_id"], how="inner"
        ).merge(skill_meta, on=["assessment_id", "skill_id"], how="inner")
    if not tested.empty:

        def arrays(prefix: str, names: tuple[str, str, str]) -> st.MomentArrays:
            return st.MomentArrays(
                *(tested[f"{prefix}{name}"].to_numpy(dtype=float) for name in names)
            )

        decided = st.deficit_arrays(
            arrays("", ("n", "total", "total_sq")),
            arrays("ref_", ("n", "total", "total_sq")),
            tested["high"].to_numpy(dtype=float),
            rule,
            arrays("", ("d_n", "d_total", "d_sq")),
            arrays("ref_", ("d_n", "d_total", "d_sq")),
        )
        cutoff = st.bh_cutoff(decided.p_value, rule.fdr)
        # the opposite tail: skills the class does far *better* than peers of the same level
        upper = 1.0 - decided.p_value
        excess = (decided.specific_gap <= -rule.specific_margin + st.EPS) & (
            upper <= st.bh_cutoff(upper, rule.fdr)
        )
        tested = tested.assign(
            completion=decided.completion,
            reference=decided.reference,
            specific=decided.specific_gap,
            p=decided.p_value,
            found=decided.effect & (decided.p_value <= cutoff),
            excess=excess,
        )
        tested = tested.assign(atypical=_inverted(tested, rule))
    tally = _deficit_tally(tested)
    teachers = _teachers(out.year)
    found = tested[tested["found"]] if not tested.empty else tested
    for rec in found.itertuples(index=False):
        meta = metas[int(rec.assessment_id)]
        a = meta.assessment
        group = meta.skills[int(rec.skill_id)]
        org_id = int(rec.org_id)
        label = str(rec.class_label)
        out.deficits.append(
            Deficit(
                year=out.year,
                assessment=a,
                organization_id=org_id,
                class_label=label,
                teacher_id=teachers.get((org_id, label.strip().upper(), a.subject.code)),
                procedure=a.procedure.code,
                subject=a.subject.code,
                grade=a.grade,
                skill=group.title,
                skill_from_tasks=group.from_tasks,
                task_numbers=list(group.numbers),
                completion=round(float(rec.completion), 6),
                reference_completion=round(float(rec.reference), 6),
                threshold=round(float(rec.high), 6),
                n=int(rec.n),
                reference_n=int(rec.ref_n),
                specific_gap=round(float(rec.specific), 6),
                p_value=float(f"{float(rec.p):.6g}"),
                atypical_profile=bool(rec.atypical),
            )
        )
    reference = reference.merge(skill_meta, on=["assessment_id", "skill_id"], how="inner")
    with np.errstate(divide="ignore", invalid="ignore"):
        reference["completion"] = reference["ref_total"] / reference["ref_n"]
    for rec in reference.itertuples(index=False):
        key = (int(rec.assessment_id), str(rec.ref_level), int(rec.ref_tid), int(rec.skill_id))
        analysed, found_n, orgs, pupils = tally.get(key, (0, 0, 0, 0))
        # a territory-wide shortfall is listed only where the task levels are known (the
        # ФИОКО thresholds depend on them); classes with deficits are always listed
        below = bool(rec.levels_known) and float(rec.completion) < float(rec.high) - st.EPS
        if not found_n and not below:
            continue
        meta = metas[key[0]]
        a = meta.assessment
        group = meta.skills[key[3]]
        out.deficit_summaries.append(
            DeficitSummary(
                year=out.year,
                level=key[1],
                territory_id=key[2],
                assessment=a,
                procedure=a.procedure.code,
                subject=a.subject.code,
                grade=a.grade,
                skill=group.title,
                task_numbers=list(group.numbers),
                classes=found_n,
                classes_total=analysed,
                organizations=orgs,
                pupils=pupils,
                completion=round(float(rec.completion), 6),
                threshold=round(float(rec.high), 6),
                below_threshold=below,
            )
        )


def _inverted(tested: pd.DataFrame, rule: st.DeficitRule) -> pd.Series:
    """Which class × skill deficits sit in an *inverted* class profile — the difficulty
    inversion of ФИОКО's objectivity criteria seen inside one class: the class does the easier
    half of the work's skills (by completion in the municipality) worse than the municipality
    (median gap below zero) while it does some skill harder than the deficit one clearly better
    than the municipality (by ``margin``) and than pupils of its own level (significantly)."""
    work = [tested["assessment_id"], tested["org_id"], tested["class_label"]]
    gap = tested["completion"] - tested["reference"]
    median_ref = tested.groupby([tested["assessment_id"]])["reference"].transform("median")
    easy_gap = gap.where(tested["reference"] >= median_ref)
    easy_median = easy_gap.groupby(work).transform("median")
    strong = tested["excess"] & (gap >= rule.margin - st.EPS)
    hardest = tested["reference"].where(strong).groupby(work).transform("min")
    inverted = (easy_median < 0) & (hardest < tested["reference"])
    return inverted.fillna(False).astype(bool)


def _deficit_tally(tested: pd.DataFrame) -> dict[tuple[int, str, int, int], tuple[int, ...]]:
    """(assessment, territory level, territory, skill) → (classes analysed, classes with a
    deficit, organizations with one, pupils in those classes), for municipalities and
    regions."""
    out: dict[tuple[int, str, int, int], tuple[int, ...]] = {}
    if tested.empty:
        return out
    typical = tested["found"] & ~tested["atypical"]
    frame = tested.assign(
        hit=typical.astype(int),
        hit_n=np.where(typical, tested["n"], 0),
        hit_org=np.where(typical, tested["org_id"], -1),
    )
    for level, col in ((Level.MUNICIPALITY, "mun_id"), (Level.REGION, "reg_id")):
        part = frame.dropna(subset=[col])
        grouped = part.groupby(["assessment_id", col, "skill_id"]).agg(
            analysed=("hit", "size"),
            found=("hit", "sum"),
            pupils=("hit_n", "sum"),
            orgs=("hit_org", lambda x: len({v for v in x if v >= 0})),
        )
        for (aid, tid, sid), row in grouped.iterrows():
            out[(int(aid), str(level), int(tid), int(sid))] = (
                int(row["analysed"]), int(row["found"]), int(row["orgs"]), int(row["pupils"])
            )
    return out


def _pair(rec: Any) -> tuple[st.Moments, st.Moments]:
    return (
        st.Moments(float(rec.n), float(rec.total), float(rec.total_sq)),
        st.Moments(float(rec.d_n), float(rec.d_total), float(rec.d_sq)),
    )


def deficits_relink_teachers() -> int:
    """Re-attach teachers to stored deficits after classes or teachers were (re)loaded.

    Returns the number of deficits whose teacher changed.
    """
    changed = 0
    years = sorted(set(Deficit.objects.values_list("year", flat=True)))
    with transaction.atomic():
        for year in years:
            teachers = _teachers(year)
            batch = []
            for d in Deficit.objects.filter(year=year).only(
                "id", "organization_id", "class_label", "subject", "teacher_id"
            ):
                key = (d.organization_id, d.class_label.strip().upper(), d.subject)
                teacher = teachers.get(key)
                if teacher != d.teacher_id:
                    d.teacher_id = teacher
                    batch.append(d)
            Deficit.objects.bulk_update(batch, ["teacher"], batch_size=1000)
            changed += len(batch)
    return changed


# --- writing a year ---------------------------------------------------------------------------


def _write_year(result: YearResult) -> dict[str, int]:
    with transaction.atomic():
        AssessmentAnalysis.objects.filter(year=result.year).delete()
        Deficit.objects.filter(year=result.year).delete()
        DeficitSummary.objects.filter(year=result.year).delete()
        for analysis in result.analyses:
            analysis.save()
        rows = [s for aid in result.summaries for s in result.summaries[aid]]
        for s in rows:
            s.analysis_id = s.analysis.pk
        insert_rows(ResultSummary, rows)
        insert_rows(Deficit, result.deficits)
        insert_rows(DeficitSummary, result.deficit_summaries)
    return {
        "assessments": len(result.analyses),
        "summaries": len(rows),
        "deficits": len(result.deficits),
        "deficit_summaries": len(result.deficit_summaries),
    }


# --- cross-year analyses ------------------------------------------------------------------------


def _low_share(row: dict[str, Any]) -> tuple[float, int] | None:
    """(share of «2» — for ЕГЭ without marks, below the minimum —, its denominator)."""
    marked = row["mark_2"] + row["mark_3"] + row["mark_4"] + row["mark_5"]
    if marked:
        return row["mark_2"] / marked, marked
    if row["test_n"] and row["has_min"]:
        return row["test_below_min"] / row["test_n"], row["test_n"]
    return None


def _summary_rows(levels: Sequence[str]) -> list[dict[str, Any]]:
    fields = [
        "year", "level", "organization_id", "territory_id", "participants", "mark_2", "mark_3",
        "mark_4", "mark_5", "primary_n", "primary_sum", "primary_sumsq", "test_n", "test_sum",
        "test_sumsq", "test_below_min",
    ]
    renamed = {
        "analysis__procedure": "procedure",
        "analysis__subject": "subject",
        "analysis__grade": "grade",
        "analysis__assessment__max_primary": "max_primary",
    }
    out: list[dict[str, Any]] = []
    qs = ResultSummary.objects.filter(level__in=levels).values_list(
        *fields, *renamed, "analysis__thresholds"
    )
    for values in qs:
        row: dict[str, Any] = dict(zip([*fields, *renamed.values()], values[:-1], strict=True))
        row["has_min"] = bool((values[-1] or {}).get("min_test"))
        out.append(row)
    return out


def _trends(rows: list[dict[str, Any]]) -> list[ShareTwoTrend]:
    series: dict[tuple[Any, ...], list[tuple[int, float, int]]] = defaultdict(list)
    for r in rows:
        low = _low_share(r)
        if low is None:
            continue
        key = (r["level"], r["organization_id"], r["territory_id"], r["procedure"], r["subject"],
               r["grade"])
        series[key].append((r["year"], low[0], low[1]))
    out = []
    for key, points in series.items():
        points.sort()
        for i in range(1, len(points)):
            end = points[i][0]
            neg_pp = float(_param("vpr.share2_dynamics.negative_pp", end, 10))
            window = [p for p in points[: i + 1] if p[0] > end - 5]
            if len(window) < 2:
                continue
            trend = st.share_trend([(y, s) for y, s, _ in window], neg_pp)
            level, org, terr, proc, subj, grade = key
            out.append(
                ShareTwoTrend(
                    year=end,
                    level=level,
                    organization_id=org,
                    territory_id=terr,
                    procedure=proc,
                    subject=subj,
                    grade=grade,
                    points=[{"year": y, "share_2": round(s, 6), "n": n} for y, s, n in window],
                    change_pp=None if trend.change_pp is None else round(trend.change_pp, 3),
                    negative=trend.negative,
                    min_n=min(n for _, _, n in window),
                )
            )
    return out


def _positions(rows: list[dict[str, Any]], units: Units) -> list[SchoolPosition]:
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        if r["level"] != Level.ORGANIZATION or r["organization_id"] is None:
            continue
        if r["test_n"]:
            n, total, sq = r["test_n"], r["test_sum"] / 100.0, r["test_sumsq"] / 10000.0
        elif r["primary_n"] and r["max_primary"]:
            top = float(r["max_primary"])
            n, total, sq = r["primary_n"], r["primary_sum"] / top, r["primary_sumsq"] / top**2
        else:
            continue
        r = {**r, "_n": n, "_total": total, "_sq": sq}
        region = units.org_reg.get(r["organization_id"])
        if region is None:
            continue
        groups[(r["year"], region, r["procedure"], r["subject"], r["grade"])].append(r)
    out = []
    for (year, _region, proc, subj, grade), members in groups.items():
        min_n = int(_param("analyses.position.min_n", year, 10))
        members = [m for m in members if m["_n"] >= min_n]
        if len(members) < 2:
            continue
        pos = st.shrunk_positions(
            [m["_n"] for m in members], [m["_total"] for m in members], [m["_sq"] for m in members]
        )
        for i, m in enumerate(members):
            low = _low_share(m)
            out.append(
                SchoolPosition(
                    organization_id=m["organization_id"],
                    year=year,
                    procedure=proc,
                    subject=subj,
                    grade=grade,
                    n=int(m["_n"]),
                    percent=round(m["_total"] / m["_n"], 6),
                    share_2=None if low is None else round(low[0], 6),
                    region_percent=round(pos.grand, 6),
                    reliability=round(float(pos.reliability[i]), 6),
                    z=round(float(pos.z[i]), 6),
                )
            )
    return out


def procedure_positions(
    positions: Iterable[SchoolPosition], subjects: Sequence[str]
) -> dict[tuple[int, int], dict[str, float]]:
    """(organization, year) → procedure (ВПР / ОГЭ / ЕГЭ) → participant-weighted mean position
    over that procedure's works in ``subjects``."""
    acc: dict[tuple[int, int], dict[str, list[float]]] = defaultdict(
        lambda: defaultdict(lambda: [0.0, 0.0])
    )
    for p in positions:
        if p.procedure not in PROCEDURE_GROUPS or p.subject not in subjects:
            continue
        cell = acc[(p.organization_id, p.year)][p.procedure]
        cell[0] += p.z * p.n
        cell[1] += p.n
    return {
        key: {proc: v[0] / v[1] for proc, v in procs.items() if v[1] > 0}
        for key, procs in acc.items()
    }


def _agreements(proc_pos: dict[tuple[int, int], dict[str, float]]) -> list[SchoolAgreement]:
    out = []
    for (org, year), procs in proc_pos.items():
        max_gap = float(_param("analyses.agreement.max_gap", year, 1.0))
        cut = float(_param("analyses.position.level_sd", year, 0.5))
        ordered = {p: procs.get(p) for p in PROCEDURE_GROUPS if p in procs}
        verdict = st.agreement_of(ordered, max_gap, cut)
        out.append(
            SchoolAgreement(
                organization_id=org,
                year=year,
                vpr=_r(procs.get("ВПР")),
                oge=_r(procs.get("ОГЭ")),
                ege=_r(procs.get("ЕГЭ")),
                gap=_r(verdict.gap),
                agrees=verdict.agrees,
                text=verdict.text[:500],
            )
        )
    return out


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None or math.isnan(value) else round(value, digits)


def _cohorts(positions: list[SchoolPosition]) -> list[Cohort]:
    index = {(p.organization_id, p.procedure, p.subject, p.grade, p.year): p for p in positions}
    out = []
    for p in positions:
        if p.procedure != "ВПР" or p.grade is None:
            continue
        nxt = index.get((p.organization_id, "ВПР", p.subject, p.grade + 1, p.year + 1))
        if nxt is None and p.grade == 8:
            nxt = index.get((p.organization_id, "ОГЭ", p.subject, 9, p.year + 1))
        if nxt is None:
            continue
        cut = float(_param("analyses.cohort.change_sd", nxt.year, 0.5))
        change = nxt.z - p.z
        verdict = "drop" if change <= -cut + st.EPS else "rise" if change >= cut - st.EPS else (
            "stable"
        )
        out.append(
            Cohort(
                organization_id=p.organization_id,
                subject=p.subject,
                from_procedure=p.procedure,
                from_grade=p.grade,
                from_year=p.year,
                to_procedure=nxt.procedure,
                to_grade=nxt.grade or p.grade + 1,
                to_year=nxt.year,
                from_n=p.n,
                to_n=nxt.n,
                from_z=p.z,
                to_z=nxt.z,
                from_share_2=p.share_2,
                to_share_2=nxt.share_2,
                change=round(change, 6),
                verdict=verdict,
            )
        )
    return out


CLUSTER_METHOD = "k-средних по стандартизованным позициям ОО; k выбрано по среднему силуэту"


def cluster_schools(
    profiles: dict[int, dict[str, float]], year: int
) -> tuple[ClusterRun, list[ClusterMember]] | None:
    """Cluster schools of one region and year by their procedure positions.

    ``profiles`` maps an organization id to its positions {ВПР, ОГЭ, ЕГЭ}. A procedure enters
    the profile when at least ``analyses.cluster.min_coverage`` of the schools have it; a
    missing value is set to the region average (0). Features are standardised, k-means is run
    for k = 2…k_max and the k with the highest mean silhouette is kept. Returns an unsaved run
    (without territory) and its members, or None when there are too few schools.
    """
    min_schools = int(_param("analyses.cluster.min_schools", year, 8))
    k_max = int(_param("analyses.cluster.k_max", year, 6))
    coverage = float(_param("analyses.cluster.min_coverage", year, 0.5))
    cut = float(_param("analyses.position.level_sd", year, 0.5))
    orgs = sorted(profiles)
    if len(orgs) < min_schools:
        return None
    features = [
        p for p in PROCEDURE_GROUPS
        if sum(1 for o in orgs if p in profiles[o]) >= coverage * len(orgs)
    ]
    if not features:
        return None
    raw = np.array(
        [[profiles[o].get(f, np.nan) for f in features] for o in orgs], dtype=float
    )
    filled = np.where(np.isnan(raw), 0.0, raw)
    std = filled.std(axis=0)
    scaled = (filled - filled.mean(axis=0)) / np.where(std > 0, std, 1.0)
    result = st.choose_kmeans(scaled, features, k_max=k_max)
    if result is None:
        return None
    clusters = []
    members = []
    for c in range(result.k):
        idx = [i for i, lab in enumerate(result.labels) if lab == c]
        centroid: dict[str, float | None] = {}
        for j, f in enumerate(features):
            values = raw[idx, j]
            values = values[~np.isnan(values)]
            centroid[f] = round(float(values.mean()), 4) if len(values) * 2 >= len(idx) else None
        clusters.append(
            {
                "index": c,
                "label": f"Кластер {c + 1}",
                "size": len(idx),
                "centroid": centroid,
                "description": st.describe_profile(centroid, cut),
            }
        )
    for i, org in enumerate(orgs):
        point: dict[str, float | None] = {f: _r(profiles[org].get(f)) for f in PROCEDURE_GROUPS}
        gia = [v for f in ("ОГЭ", "ЕГЭ") if (v := profiles[org].get(f)) is not None]
        point["ГИА"] = _r(sum(gia) / len(gia)) if gia else None
        members.append(
            ClusterMember(organization_id=org, cluster=result.labels[i], features=point)
        )
    best = result.silhouettes.get(result.k, 0.0)
    strength = (
        "структура выражена" if best >= 0.5 else "структура умеренная" if best >= 0.25
        else "структура слабая: границы между кластерами условны"
    )
    explanation = (
        f"Признаки — позиции ОО в {', '.join(features)} (средние по обязательным предметам, в "
        "стандартных отклонениях межшкольного разброса региона; нет данных — среднее региона). "
        f"Признаки стандартизованы; метод k-средних перебирает k = 2…{k_max}, выбрано k = "
        f"{result.k} с наибольшим средним силуэтом {best:.2f} ({strength})."
    )
    run = ClusterRun(
        year=year,
        method=CLUSTER_METHOD,
        features=features,
        k=result.k,
        silhouettes={str(k): v for k, v in result.silhouettes.items()},
        clusters=clusters,
        schools=len(orgs),
        explanation=explanation,
    )
    return run, members


def _correlations(profiles: dict[int, dict[str, float]]) -> dict[str, Any]:
    from scipy.stats import spearmanr

    out: dict[str, Any] = {}
    pairs = [("ВПР", "ОГЭ"), ("ВПР", "ЕГЭ"), ("ОГЭ", "ЕГЭ")]
    for a, b in pairs:
        both = [(p[a], p[b]) for p in profiles.values() if a in p and b in p]
        if len(both) < 5:
            out[f"{a}–{b}"] = {"n": len(both), "rho": None}
            continue
        rho = spearmanr([x for x, _ in both], [y for _, y in both]).statistic
        out[f"{a}–{b}"] = {"n": len(both), "rho": _r(float(rho), 3)}
    return out


def _compute_derived(units: Units, say: ProgressCallback) -> dict[str, int]:
    rows = _summary_rows([Level.ORGANIZATION, Level.MUNICIPALITY, Level.REGION])
    say(0.92, "динамика и позиции ОО")
    trends = _trends(rows)
    positions = _positions(rows, units)
    cohorts = _cohorts(positions)
    by_year_subjects: dict[int, list[str]] = {}
    for year in {p.year for p in positions}:
        by_year_subjects[year] = list(
            _param("analyses.agreement.subjects", year, ["РУ", "МА", "МАП", "МАБ"])
        )
    proc_pos: dict[tuple[int, int], dict[str, float]] = {}
    for year, subjects in by_year_subjects.items():
        proc_pos.update(
            procedure_positions([p for p in positions if p.year == year], subjects)
        )
    agreements = _agreements(proc_pos)
    say(0.96, "кластеры")
    runs: list[tuple[ClusterRun, list[ClusterMember]]] = []
    by_region_year: dict[tuple[int, int], dict[int, dict[str, float]]] = defaultdict(dict)
    for (org, year), procs in proc_pos.items():
        region = units.org_reg.get(org)
        if region is not None:
            by_region_year[(region, year)][org] = procs
    for (region, year), profiles in sorted(by_region_year.items()):
        made = cluster_schools(profiles, year)
        correlations = _correlations(profiles)
        if made is None:
            run = ClusterRun(
                year=year,
                method=CLUSTER_METHOD,
                schools=len(profiles),
                explanation=(
                    f"Кластерный анализ не выполнен: ОО с позициями {len(profiles)}, нужно не "
                    f"менее {int(_param('analyses.cluster.min_schools', year, 8))}."
                ),
            )
            members: list[ClusterMember] = []
        else:
            run, members = made
        run.territory_id = region
        run.correlations = correlations
        runs.append((run, members))
    with transaction.atomic():
        for model in (ShareTwoTrend, SchoolPosition, SchoolAgreement, Cohort, ClusterRun):
            model.objects.all().delete()
        insert_rows(ShareTwoTrend, trends)
        insert_rows(SchoolPosition, positions)
        insert_rows(SchoolAgreement, agreements)
        insert_rows(Cohort, cohorts)
        for run, members in runs:
            run.save()
            for m in members:
                m.run = run
            insert_rows(ClusterMember, members)
    return {
        "trends": len(trends),
        "positions": len(positions),
        "agreements": len(agreements),
        "cohorts": len(cohorts),
        "cluster_runs": len(runs),
    }


# --- entry points -------------------------------------------------------------------------------


def analyses_compute(
    *, year: int | None = None, progress: ProgressCallback | None = None
) -> dict[str, Any]:
    """Recompute the analyses of one year (or of every year with results when None).

    Each year's procedure analyses and deficits replace the stored ones in one transaction; the
    cross-year analyses are then rebuilt in one more. Years without results lose their rows.
    Returns counts of what was stored and the time taken.
    """
    return _compute(None if year is None else [year], progress or _noop)


def _compute(years: Sequence[int] | None, say: ProgressCallback) -> dict[str, Any]:
    from soko.warehouse.store import open_warehouse

    started = time.monotonic()
    _PARAMS.clear()
    units = Units.load()
    report: dict[str, Any] = {"years": {}}
    with open_warehouse() as wh:
        available = facts.years_with_results(wh)
        wanted = available if years is None else list(years)
        stale = set(AssessmentAnalysis.objects.values_list("year", flat=True)) - set(available)
        if years is not None:
            stale &= set(years)
        for i, year in enumerate(sorted(wanted)):
            base = i / max(1, len(wanted))

            def step(fraction: float, message: str = "", _base: float = base) -> None:
                say(0.9 * (_base + fraction / max(1, len(wanted))), message)

            step(0.0, f"{year}: результаты")
            result = _compute_year(wh, year, units, step)
            report["years"][str(year)] = _write_year(result)
    for year in sorted(stale):
        report["years"][str(year)] = _write_year(YearResult(year))
    report["derived"] = _compute_derived(units, say)
    report["seconds"] = round(time.monotonic() - started, 2)
    say(1.0, "готово")
    return report


def comprehensive_compute(*, progress: ProgressCallback | None = None) -> dict[str, int]:
    """Rebuild only the cross-year analyses (dynamics of «2», positions, agreement, cohorts,
    clusters) from the stored organization, municipality and region results — e.g. after a
    methodological parameter changed. Returns counts of the rows stored."""
    _PARAMS.clear()
    return _compute_derived(Units.load(), progress or _noop)


def on_import(batch: Any) -> None:
    """Post-import hook: recompute the years a batch of results touched (None: everything);
    after classes or teachers were loaded, re-attach teachers to deficits."""
    if batch is None:
        analyses_compute()
        return
    if batch.kind in RESULT_KINDS:
        years = {int(y) for y in batch.slices.values_list("year", flat=True) if y}
        if batch.year:
            years.add(int(batch.year))
        if years:
            _compute(sorted(years), _noop)
        else:
            analyses_compute()
    elif batch.kind in TEACHER_KINDS:
        deficits_relink_teachers()
