"""The planted truth (truth.json): what was planted where, with the figures it produced.

Schema::

    {
      "config": {...GeneratorConfig...},
      "region": {"code": "99", "name": "..."},
      "municipalities": [{"code": "9901", "name": "..."}],
      "schools": {"<login>": {"type": "СОШ", "municipality": "<name>",
                              "municipality_code": "9901", "rural": false,
                              "ses": float, "effect": float, "size": int,
                              "adverse_social": bool, "kinds": ["bunching", ...]}},
      "planted": {"<kind>": [{"org_code": "<login>", "year": 2025, "procedure": "ВПР",
                              "subject": "МА", "grade": 5, ...details}]},
      "clean_schools": ["<login>", ...],
      "incidental": {"low_results_rule": [{"org_code": ..., "year": ...}]},
      "scales": {"ВПР": [...], "ОГЭ": [...], "ЕГЭ": [...], "medals": {...},
                 "low_results_rule": {...}}
    }

Kinds: ``low_results``, ``adverse_social``, ``resilient``, ``unconfirmed_high``, ``bunching``,
``difficulty_inversion``, ``journal_mismatch``, ``year_swing``, ``misfit``,
``medals_unconfirmed``, ``teacher_deficit`` (see :mod:`.anomalies` for how each is planted).
``ses`` is the latent socio-economic status (standardised, higher = better off); ``effect`` is
the school's latent contribution to ability (region SD of pupils' ability ≈ 1). ``clean_schools``
are the schools with no planted anomaly (adverse-social and resilient schools included).
``incidental`` lists schools that meet the Rosobrnadzor 30 % rule by chance although not
planted as low-results (usually empty).
Percentages in details are «процент выполнения» (mean score / max × 100) of present pupils.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

import numpy as np

from soko.lib.generator import anomalies as an
from soko.lib.generator.config import ability_index
from soko.lib.generator.model import Array
from soko.lib.generator.results import MEDAL_RUSSIAN, VprResult

if TYPE_CHECKING:
    from soko.lib.generator.core import GeneratedData

LOW_SHARE = 0.3
#: Works with fewer present participants are not counted by the 30 % rule (minimum group).
MIN_PARTICIPANTS = 10


def _pct(values: Array) -> float:
    return round(float(np.mean(values)) * 100, 1) if values.size else 0.0


def _base(login: str, year: int | None, procedure: str, subject: str | None,
          grade: int | None) -> dict[str, Any]:
    return {"org_code": login, "year": year, "procedure": procedure, "subject": subject,
            "grade": grade}


def share_two(result: VprResult) -> dict[int, tuple[int, float]]:
    """Return school → (present participants, share of «2») for a ВПР result."""
    present = ~result.absent
    n = np.bincount(result.school[present])
    twos = np.bincount(result.school[present & (result.mark == 2)], minlength=n.size)
    return {int(s): (int(n[s]), float(twos[s] / n[s])) for s in np.flatnonzero(n)}


def low_results_rule(data: GeneratedData, threshold: float = LOW_SHARE,
                     min_participants: int = MIN_PARTICIPANTS) -> dict[int, list[int]]:
    """Return school → years in which it meets the 30 % rule.

    Year t counts when at least ``threshold`` of present participants got «2» in two or more
    ВПР works (subject × grade) in t and in at least one of the same works in t − 1; works with
    fewer than ``min_participants`` present participants are ignored.
    """
    failing: dict[tuple[int, int], set[tuple[str, int]]] = defaultdict(set)
    for res in data.results.vpr:
        for s, (n, share) in share_two(res).items():
            if n >= min_participants and share >= threshold:
                failing[(s, res.year)].add((res.work.subject, res.work.grade))
    out: dict[int, list[int]] = defaultdict(list)
    for (s, year), works in sorted(failing.items()):
        before = failing.get((s, year - 1), set())
        if len(works) >= 2 and works & before:
            out[s].append(year)
    return dict(out)


def _task_pct(result: VprResult, rows: Array) -> Array:
    out: Array = result.scores[rows].mean(axis=0) / result.work.maxes
    return out


def build_truth(data: GeneratedData) -> dict[str, Any]:
    """Return the JSON-ready truth for generated data."""
    cfg, pop, plan, res = data.config, data.population, data.plan, data.results
    schools = pop.schools
    login = [s.login for s in schools]
    logins_adverse = set(plan.adverse)
    planted: dict[str, list[dict[str, Any]]] = {k: [] for k in (
        "low_results", "adverse_social", "resilient", "unconfirmed_high", "bunching",
        "difficulty_inversion", "journal_mismatch", "year_swing", "misfit",
        "medals_unconfirmed", "teacher_deficit",
    )}
    kinds = plan.kinds
    low = set(kinds.get("low_results", []))
    unconfirmed = set(kinds.get("unconfirmed_high", []))
    swing = set(kinds.get("year_swing", []))

    percent_by: dict[tuple[int, int, str, int], float] = {}
    for r in res.vpr:
        present = ~r.absent
        pct = r.primary / r.work.max_score
        sums = np.bincount(r.school[present], weights=pct[present])
        counts = np.bincount(r.school[present])
        for school_row in np.flatnonzero(counts):
            percent_by[(int(school_row), r.year, r.work.subject, r.work.grade)] = round(
                float(sums[school_row] / counts[school_row]) * 100, 1)

    by_work: dict[tuple[int, str, int], set[int]] = defaultdict(set)
    keyed: list[set[an.WorkKey] | dict[an.WorkKey, Any]] = [
        plan.bunching, plan.inversion, plan.work_boost, plan.journal_inflation, plan.misfit,
        plan.deficit,
    ]
    for keys in keyed:
        for s_i, y, subj, g in keys:
            by_work[(y, subj, g)].add(s_i)
    whole_school = low | unconfirmed | swing

    for r in res.vpr:
        w = r.work
        present = ~r.absent
        key_base = (r.year, w.subject, w.grade)
        region_tasks = _task_pct(r, np.flatnonzero(present))
        region_pct = _pct((r.primary / w.max_score)[present])
        shares = share_two(r)
        targets = (whole_school | by_work.get(key_base, set())) & set(shares)
        for s in sorted(targets):
            n, share = shares[s]
            key = (s, *key_base)
            rows = np.flatnonzero((r.school == s) & present)
            base = _base(login[s], r.year, "ВПР", w.subject, w.grade)
            if s in low:
                planted["low_results"].append({**base, "participants": n,
                                               "share_2": round(share, 3)})
            if s in unconfirmed or (s in swing and plan.swing_year.get(s) == r.year):
                detail = {**base, "participants": n, "school_percent": percent_by[key],
                          "region_percent": region_pct}
                if s in swing:
                    detail["previous_year_percent"] = percent_by.get((s, r.year - 1, *key_base[1:]))
                    detail["next_year_percent"] = percent_by.get((s, r.year + 1, *key_base[1:]))
                    planted["year_swing"].append(detail)
                else:
                    planted["unconfirmed_high"].append(detail)
            if key in plan.bunching:
                assert w.boundaries is not None
                hist = np.bincount(r.primary[rows], minlength=w.max_score + 1)
                planted["bunching"].append({
                    **base, "participants": n,
                    "boundaries": list(w.boundaries),
                    "at_boundary": [int(hist[b]) for b in w.boundaries],
                    "one_or_two_below": [int(hist[b - 1] + hist[b - 2]) for b in w.boundaries],
                })
            if key in plan.inversion:
                diff = _task_pct(r, rows) - region_tasks
                basic = w.levels == "Б"
                planted["difficulty_inversion"].append({
                    **base, "participants": n,
                    "basic_diff_pp": round(float(diff[basic].mean()) * 100, 1),
                    "hard_diff_pp": round(float(diff[~basic].mean()) * 100, 1),
                })
            if key in plan.work_boost or key in plan.journal_inflation:
                both = rows[r.journal[rows] > 0]
                vpr_mark, j_mark = r.mark[both], r.journal[both]
                planted["journal_mismatch"].append({
                    **base, "participants": n, "variant": plan.journal_variant[s],
                    "share_higher": round(float(np.mean(vpr_mark > j_mark)), 3),
                    "share_equal": round(float(np.mean(vpr_mark == j_mark)), 3),
                    "share_lower": round(float(np.mean(vpr_mark < j_mark)), 3),
                })
            if key in plan.misfit:
                c_row = plan.misfit[key]
                members = int(((r.cls == c_row) & present).sum())
                planted["misfit"].append({**base, "class_label": pop.classes.label[c_row],
                                          "class_participants": members,
                                          "planted_share": an.MISFIT_SHARE})
            if key in plan.deficit:
                c_row, skill = plan.deficit[key]
                positions = an.skill_positions(w.subject, w.grade, skill)
                in_class = np.flatnonzero((r.cls == c_row) & present)
                others = np.flatnonzero((r.cls != c_row) & present)
                teacher = int(pop.teaching[c_row, ability_index(w.subject)])
                planted["teacher_deficit"].append({
                    **base, "class_label": pop.classes.label[c_row],
                    "teacher_code": pop.teachers.code[teacher] if teacher >= 0 else None,
                    "skill": skill,
                    "tasks": [w.tasks[p].number for p in positions],
                    "class_percent": _pct(_task_pct(r, in_class)[positions]),
                    "elsewhere_percent": _pct(_task_pct(r, others)[positions]),
                })

    exam_pct: dict[tuple[int, str], tuple[Array, float]] = {}
    for exam in res.oge + res.ege:
        if exam.work.subject in ("РУ", "МА", "МАП"):
            total = exam.primary / exam.work.max_score
            sums = np.bincount(exam.school, weights=total, minlength=len(schools))
            counts = np.bincount(exam.school, minlength=len(schools))
            mean = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
            exam_pct[(exam.year, f"{exam.work.procedure} {exam.work.subject}")] = (
                mean, float(total.mean()))
    index = {name: i for i, name in enumerate(login)}
    for rec in planted["unconfirmed_high"]:
        s = index[rec["org_code"]]
        gia: dict[str, list[float]] = {}
        for (year, name), (mean, region) in sorted(exam_pct.items()):
            if year == rec["year"] and not np.isnan(mean[s]):
                gia[name] = [round(float(mean[s]) * 100, 1), round(region * 100, 1)]
        rec["gia_school_vs_region_percent"] = gia

    codes = pop.pupils.code
    for year, pupil, s, subject, why in res.planted_medals:
        rec = _base(login[s], year, "ЕГЭ", subject, 11)
        rec.update({"participant_code": str(int(codes[pupil])), "medal": "I степени",
                    "reason": why, "russian_min": MEDAL_RUSSIAN})
        planted["medals_unconfirmed"].append(rec)

    for s in plan.adverse:
        planted["adverse_social"].append({
            **_base(login[s], None, "social_context", None, None),
            "ses": schools[s].ses, "low_results": s in low, "resilient": s in plan.resilient,
        })
    for s in plan.resilient:
        planted["resilient"].append({
            **_base(login[s], None, "social_context", None, None),
            "ses": schools[s].ses, "effect": schools[s].effect,
        })

    rule = low_results_rule(data)
    incidental = [{"org_code": login[s], "years": years} for s, years in sorted(rule.items())
                  if s not in low]
    clean = plan.clean(len(schools))
    scales = _scales(data)
    return {
        "config": cfg.to_dict(),
        "region": {"code": cfg.region_code, "name": cfg.region_name},
        "municipalities": [{"code": m.code, "name": m.name} for m in pop.municipalities],
        "schools": {
            s.login: {
                "type": s.type,
                "municipality": pop.municipalities[s.municipality].name,
                "municipality_code": pop.municipalities[s.municipality].code,
                "rural": s.rural,
                "ses": s.ses,
                "effect": s.effect,
                "size": s.target_size,
                "adverse_social": s.idx in logins_adverse,
                "resilient": s.idx in plan.resilient,
                "kinds": plan.kind_of(s.idx),
            }
            for s in schools
        },
        "planted": planted,
        "clean_schools": [login[s] for s in clean],
        "incidental": {"low_results_rule": incidental},
        "scales": scales,
    }


def _scales(data: GeneratedData) -> dict[str, Any]:
    res = data.results
    vpr = {r.work.key: r.work for r in res.vpr}
    oge = {r.work.key: r.work for r in res.oge}
    ege = {r.work.key: r.work for r in res.ege}
    return {
        "ВПР": [w.scale_dict() for _, w in sorted(vpr.items())],
        "ОГЭ": [w.scale_dict() for _, w in sorted(oge.items())],
        "ЕГЭ": [w.scale_dict() for _, w in sorted(ege.items())],
        "medals": {
            "I степени": "все годовые отметки за 11 класс «5»",
            "II степени": "годовые отметки «4» и «5», не более двух «4»",
            "confirmation": (
                f"ЕГЭ по русскому языку не ниже {MEDAL_RUSSIAN}, по остальным предметам не "
                "ниже минимального балла (базовая математика — не ниже «3»)"
            ),
        },
        "low_results_rule": {
            "threshold": LOW_SHARE,
            "rule": (
                "не менее 30 % участников с отметкой «2» в двух и более работах ВПР текущего "
                "года и хотя бы в одной из тех же работ (предмет × класс) в предыдущем году; "
                f"учитываются работы с не менее чем {MIN_PARTICIPANTS} участниками"
            ),
            "min_participants": MIN_PARTICIPANTS,
        },
        "journal": {
            "vpr_journal_mark": "«Отметка по журналу» в ВПР — отметка за 3 четверть",
            "periods": "2–9 классы — четверти, 10–11 классы — полугодия; «год» — годовая",
        },
    }
