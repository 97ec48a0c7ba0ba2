"""Which schools carry which planted truth, and where exactly each anomaly is planted.

Two steps:

1. :func:`assign_kinds` (before pupils exist) picks the adverse-social schools (top quartile of
   socio-economic disadvantage), the low-results, resilient and anomaly schools, and sets every
   school's latent effect. ВПР-altering kinds are mutually exclusive; resilient schools stay
   free of anomalies.
2. :func:`plan_works` (once classes exist) picks the works, classes and skills where each
   anomaly is planted. :mod:`.results` applies the plan while simulating the results.

How each kind is planted (all of it is recorded in truth.json):

* ``low_results`` — school effect −1.45…−1.2 (region SD ≈ 1) in every year: about 45 % «2».
* ``resilient`` — adverse social context, effect +0.15…+0.4.
* ``unconfirmed_high`` — an ordinary СОШ with effect −0.35…−0.05 whose ВПР answers get a boost
  of +1.1 SD in every work and year; ОГЭ/ЕГЭ/olympiads use the true ability.
* ``bunching`` — in РУ and МА of one grade per year, 85 % of pupils 1–2 points below a mark
  boundary («3», «4», «5») get points added on random tasks up to the boundary.
* ``difficulty_inversion`` — in РУ and МА of grade 4 or 5 per year: basic (Б) tasks −0.8 SD,
  and each hard (П/В) task is given full marks with probability 0.55.
* ``journal_mismatch`` — in РУ and МА of one grade per year; variant ``vpr_inflated``: ВПР
  answers +1.1 SD (journal unchanged); variant ``journal_inflated``: journal marks of the grade
  in that subject +1.3 SD (ВПР unchanged).
* ``year_swing`` — every ВПР work of the school +1.0 SD in one year (the middle one when there
  are three or more years), normal before and after.
* ``misfit`` — in one class per year, in РУ and МА: 70 % of the pupils get reversed patterns
  (each basic task zeroed with p = 0.7, each hard task given full marks with p = 0.7).
* ``medals_unconfirmed`` — each year 2–3 graduates whose ЕГЭ does not confirm a medal
  (Russian < 70 or a subject below the minimum) get all «5» year marks and a medal I степени.
* ``teacher_deficit`` — each year one class × subject (РУ or МА, grades 4–8): the tasks of one
  skill −2.0 SD for that class only; the teacher is the one assigned in classes.csv.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from soko.lib.generator.config import PLANTED_KINDS, GeneratorConfig, make_rng
from soko.lib.generator.population import Population, School
from soko.lib.generator.structures import VPR_GRADES, vpr_work

WorkKey = tuple[int, int, str, int]  # (school, year, subject, grade)

LOW_EFFECT = (-1.45, -1.2)
RESILIENT_EFFECT = (0.15, 0.4)
UNCONFIRMED_EFFECT = (-0.35, -0.05)
CLEAN_EFFECT_FLOOR = -0.25
BOOST_UNCONFIRMED = 1.1
BOOST_SWING = 1.0
BOOST_JOURNAL_VPR = 1.1
JOURNAL_INFLATION = 1.3
BUNCHING_PUSH = 0.85
INVERSION_BASIC = -0.8
INVERSION_GIFT = 0.55
MISFIT_SHARE = 0.7
MISFIT_P = 0.7
DEFICIT_SHIFT = -2.0


@dataclass
class Plan:
    """Planted truth: school sets and the exact places of every anomaly."""

    kinds: dict[str, list[int]] = field(default_factory=dict)
    adverse: list[int] = field(default_factory=list)
    resilient: list[int] = field(default_factory=list)
    #: ВПР θ boost for every work of a school in a year.
    school_boost: dict[tuple[int, int], float] = field(default_factory=dict)
    #: ВПР θ boost for one work of a school.
    work_boost: dict[WorkKey, float] = field(default_factory=dict)
    bunching: set[WorkKey] = field(default_factory=set)
    inversion: set[WorkKey] = field(default_factory=set)
    #: Journal-mark inflation (SD) for pupils of a school × grade in a subject.
    journal_inflation: dict[WorkKey, float] = field(default_factory=dict)
    #: Work → class row with misfitting pupils.
    misfit: dict[WorkKey, int] = field(default_factory=dict)
    #: Work → (class row, skill text) with a teacher deficit.
    deficit: dict[WorkKey, tuple[int, str]] = field(default_factory=dict)
    journal_variant: dict[int, str] = field(default_factory=dict)
    swing_year: dict[int, int] = field(default_factory=dict)

    def kind_of(self, school: int) -> list[str]:
        """Return the planted kinds of a school."""
        return [k for k, v in self.kinds.items() if school in v]

    def clean(self, n_schools: int) -> list[int]:
        """Return schools with no planted anomaly (resilient and adverse count as clean)."""
        planted = {s for v in self.kinds.values() for s in v}
        return [s for s in range(n_schools) if s not in planted]


def _eligible(kind: str, s: School) -> bool:
    grade_size = s.target_size / (min(s.grade_hi, 9) + 0.55 * max(0, s.grade_hi - 9))
    if kind == "low_results":
        return s.ordinary and grade_size >= 18
    if kind == "unconfirmed_high":
        return s.type == "СОШ" and grade_size >= 25
    if kind in ("bunching", "difficulty_inversion", "journal_mismatch", "year_swing"):
        return grade_size >= 30
    if kind == "misfit" or kind == "teacher_deficit":
        return grade_size >= 18 and s.grade_hi >= 4
    if kind == "medals_unconfirmed":
        return s.grade_hi == 11 and grade_size >= 25
    return True


def assign_kinds(config: GeneratorConfig, schools: list[School]) -> Plan:
    """Choose the planted school sets and set every school's effect and kinds."""
    rng = make_rng(config.seed, "kinds")
    n = len(schools)
    plan = Plan()
    order = np.argsort([s.ses for s in schools], kind="stable")
    n_adverse = max(1, round(n * config.adverse_share))
    plan.adverse = sorted(int(i) for i in order[:n_adverse])
    for i in plan.adverse:
        schools[i].ses = round(schools[i].ses - 0.3, 4)

    per_kind = max(1, round(n * config.anomaly_share)) if config.plant else 0
    budget = n - max(1, math.ceil(n * config.min_clean_share))
    used: set[int] = set()
    adverse_set = set(plan.adverse)

    # resilient schools: adverse, clean, with good results (reserved before anomalies)
    resilient_pool = [i for i in plan.adverse if schools[i].type != "НОШ"]
    n_res = min(per_kind, max(0, len(resilient_pool) - 1)) if config.plant else 0
    low_first = max(0, math.ceil(per_kind / 2))
    # keep some adverse schools for the low-results set
    reserved_low = [i for i in resilient_pool if _eligible("low_results", schools[i])]
    reserved_low = [int(i) for i in rng.permutation(reserved_low)][:low_first]
    res_candidates = [i for i in resilient_pool if i not in reserved_low]
    plan.resilient = sorted(int(i) for i in rng.permutation(res_candidates)[:n_res])
    used.update(plan.resilient)

    for kind in PLANTED_KINDS:
        plan.kinds[kind] = []
        take = min(per_kind, max(0, budget - len(used - set(plan.resilient))))
        if take <= 0:
            continue
        pool = [i for i in range(n) if i not in used and _eligible(kind, schools[i])]
        chosen: list[int] = []
        if kind == "low_results":
            first = [i for i in reserved_low if i in pool][:low_first]
            chosen.extend(first)
            rest = [i for i in pool if i not in adverse_set and i not in chosen]
            chosen.extend(int(i) for i in rng.permutation(rest)[: take - len(chosen)])
        else:
            # in-depth and adverse schools are kept for the clean comparison when possible
            preferred = [i for i in pool if i not in adverse_set]
            others = [i for i in pool if i in adverse_set]
            ranked = [int(i) for i in rng.permutation(preferred)]
            ranked += [int(i) for i in rng.permutation(others)]
            chosen = ranked[:take]
        plan.kinds[kind] = sorted(chosen)
        used.update(chosen)
    _set_effects(config, schools, plan)
    return plan


def _set_effects(config: GeneratorConfig, schools: list[School], plan: Plan) -> None:
    rng = make_rng(config.seed, "effects")
    bonus = {"гимназия": 0.45, "лицей": 0.45, "СОШ с УИОП": 0.25}
    base = np.array([
        0.2 * s.ses + rng.normal(0.0, 0.15) + bonus.get(s.type, 0.0) - 0.05 * s.rural
        for s in schools
    ])
    base -= np.average(base, weights=[s.target_size for s in schools])
    # a soft floor: no clean school is weak enough to meet the 30 % rule by chance
    floor = CLEAN_EFFECT_FLOOR + rng.uniform(0.0, 0.1, base.size)
    base = np.clip(np.maximum(base, floor), None, 1.0)
    for s, value in zip(schools, base, strict=True):
        s.effect = float(value)
        s.kinds = plan.kind_of(s.idx)
    for i in plan.kinds.get("low_results", []):
        schools[i].effect = float(rng.uniform(*LOW_EFFECT))
    for i in plan.resilient:
        schools[i].effect = float(rng.uniform(*RESILIENT_EFFECT))
    for i in plan.kinds.get("unconfirmed_high", []):
        schools[i].effect = float(rng.uniform(*UNCONFIRMED_EFFECT))
    for s in schools:
        s.effect = round(s.effect, 4)


def _grade_counts(population: Population, year: int) -> dict[tuple[int, int], int]:
    enrol = population.enrolments[year]
    key = enrol.school * 16 + enrol.grade
    uniq, counts = np.unique(key, return_counts=True)
    return {(int(k // 16), int(k % 16)): int(c) for k, c in zip(uniq, counts, strict=True)}


def _pick_grade(rng: np.random.Generator, counts: dict[tuple[int, int], int], school: int,
                grades: tuple[int, ...], minimum: int) -> int | None:
    options = [g for g in grades if counts.get((school, g), 0) >= minimum]
    if not options:
        options = [g for g in grades if counts.get((school, g), 0) > 0]
    if not options:
        return None
    return int(options[int(rng.integers(len(options)))])


def _pick_class(rng: np.random.Generator, population: Population, school: int, year: int,
                grade: int, minimum: int) -> int | None:
    c = population.classes
    rows = np.flatnonzero((c.year == year) & (c.school == school) & (c.grade == grade))
    big = rows[c.size[rows] >= minimum]
    pool = big if big.size else rows
    if pool.size == 0:
        return None
    return int(pool[int(rng.integers(pool.size))])


def plan_works(config: GeneratorConfig, plan: Plan, population: Population) -> None:
    """Pick years, works, classes and skills for each planted anomaly."""
    rng = make_rng(config.seed, "plan-works")
    years = config.years
    swing = years[1] if len(years) >= 3 else years[-1]
    for i in plan.kinds.get("unconfirmed_high", []):
        for y in years:
            plan.school_boost[(i, y)] = BOOST_UNCONFIRMED
    for i in plan.kinds.get("year_swing", []):
        plan.swing_year[i] = swing
        plan.school_boost[(i, swing)] = BOOST_SWING
    for n, i in enumerate(plan.kinds.get("journal_mismatch", [])):
        plan.journal_variant[i] = "vpr_inflated" if n % 2 == 0 else "journal_inflated"
    for y in years:
        counts = _grade_counts(population, y)
        for i in plan.kinds.get("bunching", []):
            g = _pick_grade(rng, counts, i, VPR_GRADES, 25)
            if g is not None:
                plan.bunching.update({(i, y, "РУ", g), (i, y, "МА", g)})
        for i in plan.kinds.get("difficulty_inversion", []):
            g = _pick_grade(rng, counts, i, (4, 5), 20)
            if g is not None:
                plan.inversion.update({(i, y, "РУ", g), (i, y, "МА", g)})
        for i in plan.kinds.get("journal_mismatch", []):
            g = _pick_grade(rng, counts, i, VPR_GRADES, 20)
            if g is None:
                continue
            for subj in ("РУ", "МА"):
                if plan.journal_variant[i] == "vpr_inflated":
                    plan.work_boost[(i, y, subj, g)] = BOOST_JOURNAL_VPR
                else:
                    plan.journal_inflation[(i, y, subj, g)] = JOURNAL_INFLATION
        for i in plan.kinds.get("misfit", []):
            g = _pick_grade(rng, counts, i, VPR_GRADES, 18)
            cls = None if g is None else _pick_class(rng, population, i, y, g, 15)
            if g is not None and cls is not None:
                plan.misfit[(i, y, "РУ", g)] = cls
                plan.misfit[(i, y, "МА", g)] = cls
        for i in plan.kinds.get("teacher_deficit", []):
            g = _pick_grade(rng, counts, i, VPR_GRADES, 18)
            cls = None if g is None else _pick_class(rng, population, i, y, g, 15)
            if g is None or cls is None:
                continue
            subj = "РУ" if rng.random() < 0.5 else "МА"
            plan.deficit[(i, y, subj, g)] = (cls, _pick_skill(rng, subj, g))


def _pick_skill(rng: np.random.Generator, subject: str, grade: int) -> str:
    """Prefer a skill checked by two or more tasks, not of the hardest level."""
    work = vpr_work(subject, grade)
    skills = work.skills()
    multi = [s for s, pos in skills.items() if len(pos) >= 2]
    single = [s for s, pos in skills.items() if work.tasks[pos[0]].level != "В"]
    pool = multi or single
    return pool[int(rng.integers(len(pool)))]


def skill_positions(subject: str, grade: int, skill: str) -> list[int]:
    """Return the task positions of a skill in a ВПР work."""
    return vpr_work(subject, grade).skills()[skill]
