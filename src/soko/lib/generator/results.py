"""Simulation of results: journal marks, ВПР, ОГЭ, ЕГЭ, medals, olympiads and observers.

Everything is vectorised over pupils (and tasks); loops run over years, works and subjects only.
The planted anomalies of :class:`.anomalies.Plan` are applied here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from soko.lib.generator import anomalies as an
from soko.lib.generator.config import (
    ABILITY_SUBJECTS,
    CURRICULUM,
    SUBJECT_INDEX,
    SUBJECT_NAMES,
    GeneratorConfig,
    ability_index,
    make_rng,
)
from soko.lib.generator.model import Array, draw_scores, raise_scores
from soko.lib.generator.population import Population, SocialContext, social_context
from soko.lib.generator.structures import (
    EGE_ELECTIVE_WEIGHTS,
    OGE_ELECTIVE_WEIGHTS,
    VPR_ELECTIVES,
    VPR_GRADES,
    WorkSpec,
    ege_work,
    oge_work,
    vpr_subjects,
    vpr_work,
)

#: Journal thresholds on the latent scale for «3», «4», «5».
JOURNAL_CUTS = (-1.85, -0.4, 0.82)
JOURNAL_TERM_SD = 0.25
JOURNAL_YEAR_SD = 0.2
DAY_SD = 0.25
SCHOOL_TASK_SD = 0.15
YEAR_EFFECT_SD = 0.05
OLYMPIAD_SUBJECTS = ("МА", "РУ", "ФИ", "ХИ", "БИ", "ГЕ", "ИС", "ОБ", "ИН", "АЯ", "ЛИ")
STAGES = ("школьный", "муниципальный", "региональный")
STATUSES = ("участник", "призёр", "победитель")
OBSERVER_KINDS = ("общественное", "независимое", "онлайн")
MEDAL_RUSSIAN = 70


@dataclass
class VprResult:
    """One ВПР work in one year, all schools (one row per participant)."""

    work: WorkSpec
    year: int
    pupil: Array
    school: Array
    cls: Array
    code: Array
    variant: Array
    absent: Array
    scores: Array
    primary: Array
    mark: Array
    journal: Array

    def __len__(self) -> int:
        return int(self.pupil.size)


@dataclass
class ExamResult:
    """One ОГЭ/ЕГЭ subject in one year (one row per participant)."""

    work: WorkSpec
    year: int
    pupil: Array
    school: Array
    cls: Array
    scores: Array
    primary: Array
    mark: Array | None
    test: Array | None

    def __len__(self) -> int:
        return int(self.pupil.size)


@dataclass
class JournalYear:
    """Journal marks of one year: one row per pupil × subject; marks = 4 periods + year.

    For grades 10–11 the first two periods are half-years and periods 3–4 are 0 (none).
    """

    year: int
    pupil: Array
    school: Array
    cls: Array
    subject: Array
    marks: Array
    halves: Array
    _order: Array | None = None
    _sorted: Array | None = None

    def __len__(self) -> int:
        return int(self.pupil.size)

    def lookup(self, pupil: Array, subject: int) -> Array:
        """Return the row of (pupil, subject) for each pupil, −1 when missing."""
        if self._order is None:
            key = self.pupil * 16 + self.subject
            self._order = np.argsort(key, kind="stable")
            self._sorted = key[self._order]
        order, keys = self._order, self._sorted
        assert keys is not None
        want = pupil * 16 + subject
        if keys.size == 0:
            return np.full(want.size, -1, dtype=np.int64)
        pos = np.clip(np.searchsorted(keys, want), 0, keys.size - 1)
        out: Array = np.where(keys[pos] == want, order[pos], -1)
        return out


@dataclass
class Olympiad:
    """ВсОШ participations of one year (one row per pupil × stage × subject)."""

    year: int
    pupil: Array
    school: Array
    stage: Array
    subject: Array
    grade: Array
    status: Array
    score: Array

    def __len__(self) -> int:
        return int(self.pupil.size)


@dataclass
class Medals:
    """Medals of one year's graduates."""

    year: int
    pupil: Array
    school: Array
    degree: Array

    def __len__(self) -> int:
        return int(self.pupil.size)


@dataclass
class Observers:
    """Observed ВПР works of one year (one row per school × work)."""

    year: int
    school: Array
    subject: list[str]
    grade: Array
    date: list[str]
    count: Array
    kind: list[str]
    video: Array

    def __len__(self) -> int:
        return int(self.school.size)


@dataclass
class Results:
    """All simulated results."""

    vpr: list[VprResult] = field(default_factory=list)
    oge: list[ExamResult] = field(default_factory=list)
    ege: list[ExamResult] = field(default_factory=list)
    journal: dict[int, JournalYear] = field(default_factory=dict)
    olympiad: dict[int, Olympiad] = field(default_factory=dict)
    medals: dict[int, Medals] = field(default_factory=dict)
    observers: dict[int, Observers] = field(default_factory=dict)
    social: dict[int, SocialContext] = field(default_factory=dict)
    #: Planted medals: (year, pupil row, school, subject not confirming the medal, reason).
    planted_medals: list[tuple[int, int, int, str, str]] = field(default_factory=list)
    #: Yearly school effects used (year → array per school).
    effects: dict[int, Array] = field(default_factory=dict)


def vpr_date(year: int, subject: str, grade: int) -> dt.date:
    """Return the (synthetic) spring date of a ВПР work, on a weekday."""
    order = vpr_subjects(grade).index(subject) if subject in vpr_subjects(grade) else 0
    day = dt.date(year, 4, 1) + dt.timedelta(days=(grade - 4) * 2 + order * 6)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _group_rank(group: Array, score: Array, rng: np.random.Generator) -> tuple[Array, Array]:
    """Return (rank by descending score within group, group size) for each row."""
    n = group.size
    order = np.lexsort((rng.random(n), -score, group))
    g_sorted = group[order]
    starts = np.flatnonzero(np.r_[True, g_sorted[1:] != g_sorted[:-1]]) if n else np.zeros(0)
    sizes = np.diff(np.r_[starts, n]).astype(np.int64)
    gid = np.repeat(np.arange(starts.size), sizes)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - starts[gid]
    size = np.empty(n, dtype=np.int64)
    size[order] = sizes[gid]
    return rank, size


class Simulator:
    """Runs the yearly simulation for a population and a plan."""

    def __init__(self, config: GeneratorConfig, population: Population, plan: an.Plan) -> None:
        self.config = config
        self.pop = population
        self.plan = plan
        self.n_schools = len(population.schools)
        self.effect = np.array([s.effect for s in population.schools])
        self.leniency = np.array([s.leniency for s in population.schools])
        self.municipality = np.array([s.municipality for s in population.schools])
        rng = make_rng(config.seed, "teacher-strictness")
        self.strictness = rng.normal(0.0, 0.08, len(population.teachers.code))
        self.results = Results()

    # -----------------------------------------------------------------------------------------

    def run(self) -> Results:
        """Simulate every requested year and return the results."""
        for year in self.config.years:
            rng = make_rng(self.config.seed, "year-effects", year)
            effects = self.effect + rng.normal(0.0, YEAR_EFFECT_SD, self.n_schools)
            self.results.effects[year] = effects
            self.results.journal[year] = self.journal(year, effects)
            self.vpr_year(year, effects)
            self.oge_year(year, effects)
            self.ege_year(year, effects)
            self.results.medals[year] = self.medals(year)
            self.results.olympiad[year] = self.olympiad(year, effects)
            self.results.observers[year] = self.observers(year)
            self.results.social[year] = social_context(self.config, self.pop, year)
        return self.results

    def _teacher_term(self, cls: Array, subject: str, values: Array) -> Array:
        teacher = self.pop.teaching[cls, ability_index(subject)]
        out: Array = np.where(teacher >= 0, values[np.maximum(teacher, 0)], 0.0)
        return out

    # -----------------------------------------------------------------------------------------
    # Journal

    def journal(self, year: int, effects: Array) -> JournalYear:
        """Return journal marks (4 terms or 2 halves, and the year mark) for grades 2–11."""
        rng = make_rng(self.config.seed, "journal", year)
        e = self.pop.enrolments[year]
        parts: dict[str, list[Array]] = {k: [] for k in ("rows", "subject", "marks")}
        inflation = [(k, v) for k, v in self.plan.journal_inflation.items() if k[1] == year]
        for subj in ABILITY_SUBJECTS:
            taught = np.array([subj in CURRICULUM.get(g, ()) and g >= 2 for g in range(13)])
            rows = np.flatnonzero(taught[e.grade])
            if rows.size == 0:
                continue
            pupil, school, grade, cls = e.pupil[rows], e.school[rows], e.grade[rows], e.cls[rows]
            z = self.pop.theta(pupil, school, subj, year, effects)
            z = z + self.leniency[school] + 0.15 * (grade >= 10)
            z = z + self._teacher_term(cls, subj, self.strictness)
            z = z + rng.normal(0.0, JOURNAL_YEAR_SD, rows.size)
            for (s_i, _, s_subj, s_grade), delta in inflation:
                if s_subj == subj:
                    z = z + delta * ((school == s_i) & (grade == s_grade))
            terms = z[:, None] + rng.normal(0.0, JOURNAL_TERM_SD, (rows.size, 4))
            marks = np.zeros((rows.size, 5), dtype=np.int8)
            marks[:, :4] = 2 + sum((terms > c).astype(np.int8) for c in JOURNAL_CUTS)
            halves = grade >= 10
            marks[halves, 2:4] = 0
            valid = marks[:, :4] > 0
            mean = (marks[:, :4] * valid).sum(axis=1) / valid.sum(axis=1)
            year_mark = np.rint(mean + rng.normal(0.0, 0.12, rows.size))
            marks[:, 4] = np.clip(year_mark, 2, 5)
            parts["rows"].append(rows)
            parts["subject"].append(np.full(rows.size, SUBJECT_INDEX[subj], dtype=np.int64))
            parts["marks"].append(marks)
        rows = np.concatenate(parts["rows"])
        subject = np.concatenate(parts["subject"])
        marks = np.concatenate(parts["marks"])
        order = np.lexsort((subject, e.pupil[rows], e.cls[rows]))
        rows, subject, marks = rows[order], subject[order], marks[order]
        return JournalYear(year, e.pupil[rows], e.school[rows], e.cls[rows], subject, marks,
                           e.grade[rows] >= 10)

    # -----------------------------------------------------------------------------------------
    # ВПР

    def _class_electives(self, year: int) -> dict[int, Array]:
        """Return for each grade 5–8 the ВПР elective subjects of every class (−1 = none)."""
        rng = make_rng(self.config.seed, "vpr-electives", year)
        c = self.pop.classes
        out: dict[int, Array] = {}
        for g, (social, natural) in VPR_ELECTIVES.items():
            rows = np.flatnonzero((c.year == year) & (c.grade == g))
            soc = np.array([SUBJECT_INDEX[s] for s in social])[rng.integers(len(social),
                                                                             size=rows.size)]
            nat = np.array([SUBJECT_INDEX[s] for s in natural])[rng.integers(len(natural),
                                                                              size=rows.size)]
            only_one = (c.size[rows] < 12) & (rng.random(rows.size) < 0.3)
            nat = np.where(only_one, -1, nat)
            table = np.full((len(c), 2), -1, dtype=np.int64)
            table[rows, 0] = soc
            table[rows, 1] = nat
            out[g] = table
        return out

    def vpr_year(self, year: int, effects: Array) -> None:
        """Simulate every ВПР work of a year."""
        electives = self._class_electives(year)
        e = self.pop.enrolments[year]
        journal = self.results.journal[year]
        for grade in VPR_GRADES:
            in_grade = np.flatnonzero(e.grade == grade)
            for subj in vpr_subjects(grade):
                if grade == 4 or subj in ("РУ", "МА"):
                    rows = in_grade
                else:
                    table = electives[grade]
                    col = SUBJECT_INDEX[subj]
                    chosen = (table[e.cls[in_grade], 0] == col) | (table[e.cls[in_grade], 1] == col)
                    rows = in_grade[chosen]
                if rows.size == 0:
                    continue
                result = self._vpr_work(year, vpr_work(subj, grade), rows, effects, journal)
                self.results.vpr.append(result)

    def _vpr_work(self, year: int, work: WorkSpec, rows: Array, effects: Array,
                  journal: JournalYear) -> VprResult:
        cfg, plan = self.config, self.plan
        subj, grade = work.subject, work.grade
        rng = make_rng(cfg.seed, "vpr", year, subj, grade)
        e = self.pop.enrolments[year]
        order = np.lexsort((rng.random(rows.size), e.cls[rows]))
        rows = rows[order]
        pupil, school, cls = e.pupil[rows], e.school[rows], e.cls[rows]
        n, k = rows.size, len(work.tasks)
        theta = self.pop.theta(pupil, school, subj, year, effects)
        theta = theta + self._teacher_term(cls, subj, self.pop.teachers.quality)
        theta = theta + rng.normal(0.0, DAY_SD, n)
        boost = np.zeros(self.n_schools)
        for (s_i, y), value in plan.school_boost.items():
            if y == year:
                boost[s_i] += value
        for (s_i, y, s_subj, s_grade), value in plan.work_boost.items():
            if y == year and s_subj == subj and s_grade == grade:
                boost[s_i] += value
        theta = theta + boost[school]
        school_task = rng.normal(0.0, SCHOOL_TASK_SD, (self.n_schools, k))
        shift = -school_task[school]
        basic = work.levels == "Б"
        hard = ~basic
        inversion = self._schools_in(plan.inversion, year, subj, grade)
        inv_rows = np.isin(school, inversion)
        shift[np.ix_(inv_rows, basic)] += an.INVERSION_BASIC
        for (_s_i, y, s_subj, s_grade), (c_row, skill) in plan.deficit.items():
            if (y, s_subj, s_grade) == (year, subj, grade):
                positions = an.skill_positions(subj, grade, skill)
                shift[np.ix_(cls == c_row, positions)] += an.DEFICIT_SHIFT
        scores = draw_scores(rng, theta, work.a, work.b, work.maxes, shift)
        if inv_rows.any():
            gift = (rng.random((n, k)) < an.INVERSION_GIFT) & inv_rows[:, None] & hard[None, :]
            scores = np.where(gift, work.maxes[None, :], scores).astype(np.int16)
        for (_s_i, y, s_subj, s_grade), c_row in plan.misfit.items():
            if (y, s_subj, s_grade) != (year, subj, grade):
                continue
            members = np.flatnonzero(cls == c_row)
            chosen = members[rng.random(members.size) < an.MISFIT_SHARE]
            zero = (rng.random((chosen.size, k)) < an.MISFIT_P) & basic[None, :]
            full = (rng.random((chosen.size, k)) < an.MISFIT_P) & hard[None, :]
            block = scores[chosen]
            block = np.where(zero, 0, block)
            block = np.where(full, work.maxes[None, :], block)
            scores[chosen] = block
        primary = scores.sum(axis=1)
        bunching = self._schools_in(plan.bunching, year, subj, grade)
        if bunching.size:
            assert work.boundaries is not None
            need = np.zeros(n, dtype=np.int64)
            for b in sorted(work.boundaries, reverse=True):
                gap = b - primary
                near = (gap >= 1) & (gap <= 2)
                need = np.where(near, gap, need)
            push = np.isin(school, bunching) & (need > 0) & (rng.random(n) < an.BUNCHING_PUSH)
            need = np.where(push, need, 0)
            raise_scores(rng, scores, work.maxes, need)
            primary = scores.sum(axis=1)
        low, high = cfg.absent_share
        absent_rate = rng.uniform(low, high, self.n_schools)
        absent = rng.random(n) < absent_rate[school]
        mark = work.marks(scores, primary).astype(np.int8)
        mark[absent] = 0
        j_rows = journal.lookup(pupil, SUBJECT_INDEX[subj])
        j_mark = np.where(j_rows >= 0, journal.marks[np.maximum(j_rows, 0), 2], 0)
        j_mark = np.where(rng.random(n) < 0.01, 0, j_mark).astype(np.int8)
        # participant codes: consecutive 5-digit numbers per school, variants alternate
        starts = np.flatnonzero(np.r_[True, school[1:] != school[:-1]])
        sizes = np.diff(np.r_[starts, n])
        gid = np.repeat(np.arange(starts.size), sizes)
        position = np.arange(n) - starts[gid]
        base = 10001 + rng.integers(0, 89999 - np.maximum(sizes, 1))
        code = base[gid] + position
        variant = (position + rng.integers(0, 2, starts.size)[gid]) % 2 + 1
        return VprResult(work, year, pupil, school, cls, code.astype(np.int64),
                         variant.astype(np.int64), absent, scores, primary.astype(np.int64),
                         mark, j_mark)

    @staticmethod
    def _schools_in(keys: set[an.WorkKey] | dict[an.WorkKey, object], year: int, subj: str,
                    grade: int) -> Array:
        return np.array(
            [s for (s, y, s_subj, g) in keys if (y, s_subj, g) == (year, subj, grade)],
            dtype=np.int64,
        )

    # -----------------------------------------------------------------------------------------
    # ОГЭ / ЕГЭ

    def _exam(self, rng: np.random.Generator, work: WorkSpec, year: int, rows: Array,
              effects: Array) -> ExamResult:
        e = self.pop.enrolments[year]
        rows = rows[np.lexsort((self.pop.pupils.code[e.pupil[rows]], e.cls[rows]))]
        pupil, school, cls = e.pupil[rows], e.school[rows], e.cls[rows]
        subj = "МА" if work.subject in ("МАП", "МАБ") else work.subject
        theta = self.pop.theta(pupil, school, subj, year, effects)
        theta = theta + self._teacher_term(cls, subj, self.pop.teachers.quality)
        theta = theta + rng.normal(0.0, DAY_SD, rows.size)
        scores = draw_scores(rng, theta, work.a, work.b, work.maxes)
        primary = scores.sum(axis=1).astype(np.int64)
        mark = work.marks(scores, primary).astype(np.int8) if work.boundaries else None
        test = work.test_scores(primary).astype(np.int64) if work.test_table else None
        return ExamResult(work, year, pupil, school, cls, scores, primary, mark, test)

    def _choose(self, rng: np.random.Generator, rows: Array, year: int, effects: Array,
                weights: dict[str, float], how_many: Array) -> dict[str, Array]:
        """Return elective subject → enrolment rows, choosing ``how_many`` per pupil."""
        e = self.pop.enrolments[year]
        subjects = list(weights)
        utility = np.empty((rows.size, len(subjects)))
        for j, subj in enumerate(subjects):
            theta = self.pop.theta(e.pupil[rows], e.school[rows], subj, year, effects)
            utility[:, j] = np.log(weights[subj]) + 0.5 * theta
        utility += rng.gumbel(size=utility.shape)
        order = np.argsort(-utility, axis=1)
        chosen = np.zeros(utility.shape, dtype=bool)
        first = np.arange(len(subjects))[None, :] < how_many[:, None]
        np.put_along_axis(chosen, order, first, axis=1)
        return {subj: rows[chosen[:, j]] for j, subj in enumerate(subjects)}

    def oge_year(self, year: int, effects: Array) -> None:
        """Simulate ОГЭ: Russian and mathematics for all, two electives per pupil."""
        rng = make_rng(self.config.seed, "oge", year)
        e = self.pop.enrolments[year]
        rows = np.flatnonzero(e.grade == 9)
        if rows.size == 0:
            return
        chosen = self._choose(rng, rows, year, effects, OGE_ELECTIVE_WEIGHTS,
                              np.full(rows.size, 2))
        for subj, subj_rows in [("РУ", rows), ("МА", rows), *chosen.items()]:
            if subj_rows.size:
                self.results.oge.append(self._exam(rng, oge_work(subj), year, subj_rows, effects))

    def ege_year(self, year: int, effects: Array) -> None:
        """Simulate ЕГЭ: Russian, profile or basic mathematics, one to three electives."""
        rng = make_rng(self.config.seed, "ege", year)
        e = self.pop.enrolments[year]
        rows = np.flatnonzero(e.grade == 11)
        if rows.size == 0:
            return
        math_theta = self.pop.theta(e.pupil[rows], e.school[rows], "МА", year, effects)
        profile = math_theta + rng.normal(0.0, 0.6, rows.size) > -0.1
        how_many = rng.choice(np.array([1, 2, 3]), size=rows.size, p=[0.25, 0.55, 0.2])
        chosen = self._choose(rng, rows, year, effects, EGE_ELECTIVE_WEIGHTS, how_many)
        plan = [("РУ", rows), ("МАП", rows[profile]), ("МАБ", rows[~profile]), *chosen.items()]
        for subj, subj_rows in plan:
            if subj_rows.size:
                self.results.ege.append(self._exam(rng, ege_work(subj), year, subj_rows, effects))

    # -----------------------------------------------------------------------------------------
    # Medals

    def _ege_confirmation(self, year: int, n_pupils: int) -> tuple[
        Array, Array, dict[int, tuple[str, str]]
    ]:
        """Return (Russian test score per pupil, all-minimums-passed flag,
        pupil → (subject, text) of the first failed minimum)."""
        russian = np.full(n_pupils, -1, dtype=np.int64)
        passed = np.ones(n_pupils, dtype=bool)
        reason: dict[int, tuple[str, str]] = {}
        for res in self.results.ege:
            if res.year != year:
                continue
            w = res.work
            name = SUBJECT_NAMES[w.subject]
            if w.subject == "РУ":
                assert res.test is not None
                russian[res.pupil] = res.test
                ok = res.test >= (w.min_test or 0)
                texts = [f"ЕГЭ «{name}»: {v} < {w.min_test}" for v in res.test[~ok]]
            elif res.mark is not None:
                ok = res.mark >= 3
                texts = [f"ЕГЭ «{name}»: отметка «2»" for _ in res.mark[~ok]]
            else:
                assert res.test is not None
                ok = res.test >= (w.min_test or 0)
                texts = [f"ЕГЭ «{name}»: {v} < {w.min_test}" for v in res.test[~ok]]
            passed[res.pupil[~ok]] = False
            for p_row, text in zip(res.pupil[~ok], texts, strict=True):
                reason.setdefault(int(p_row), (w.subject, text))
        return russian, passed, reason

    def medals(self, year: int) -> Medals:
        """Award medals from year marks, confirmed by ЕГЭ (except the planted ones)."""
        rng = make_rng(self.config.seed, "medals", year)
        journal = self.results.journal[year]
        e = self.pop.enrolments[year]
        n_pupils = len(self.pop.pupils)
        russian, passed, reason = self._ege_confirmation(year, n_pupils)
        grads = np.flatnonzero(e.grade == 11)
        j11 = np.isin(journal.pupil, e.pupil[grads])
        year_marks = journal.marks[j11, 4]
        owners = journal.pupil[j11]
        low_count = np.zeros(n_pupils, dtype=np.int64)
        fours = np.zeros(n_pupils, dtype=np.int64)
        np.add.at(low_count, owners, year_marks < 4)
        np.add.at(fours, owners, year_marks == 4)
        pupils = e.pupil[grads]
        schools = e.school[grads]
        gold = (low_count[pupils] == 0) & (fours[pupils] == 0)
        silver = (low_count[pupils] == 0) & (fours[pupils] >= 1) & (fours[pupils] <= 2)
        confirmed = (russian[pupils] >= MEDAL_RUSSIAN) & passed[pupils]
        degree = np.where(gold, 1, np.where(silver, 2, 0)) * confirmed
        planted_schools = set(self.plan.kinds.get("medals_unconfirmed", []))
        extra: list[int] = []
        for s_i in sorted(planted_schools):
            mine = np.flatnonzero((schools == s_i) & ~confirmed & (russian[pupils] >= 0))
            if mine.size == 0:
                continue
            general = self.pop.pupils.general[pupils[mine]]
            best = mine[np.argsort(-general, kind="stable")]
            take = int(rng.integers(2, 4))
            for g_row in best[:take]:
                p_row = int(pupils[g_row])
                if russian[p_row] < MEDAL_RUSSIAN:
                    subject = "РУ"
                    why = f"ЕГЭ «Русский язык»: {int(russian[p_row])} < {MEDAL_RUSSIAN}"
                else:
                    subject, why = reason[p_row]
                extra.append(int(g_row))
                self.results.planted_medals.append((year, p_row, int(s_i), subject, why))
                rows = np.flatnonzero(journal.pupil == p_row)
                marks = journal.marks[rows]
                journal.marks[rows] = np.where(marks > 0, 5, 0)
        if extra:
            degree[np.array(extra)] = 1
        awarded = np.flatnonzero(degree > 0)
        return Medals(year, pupils[awarded], schools[awarded], degree[awarded].astype(np.int64))

    # -----------------------------------------------------------------------------------------
    # Olympiads

    def olympiad(self, year: int, effects: Array) -> Olympiad:
        """Simulate ВсОШ school, municipal and regional stages."""
        rng = make_rng(self.config.seed, "olympiad", year)
        e = self.pop.enrolments[year]
        parts: dict[str, list[Array]] = {k: [] for k in ("pupil", "school", "stage", "subject",
                                                          "grade", "status", "score")}
        for subj in OLYMPIAD_SUBJECTS:
            col = SUBJECT_INDEX[subj]
            taught = np.array([
                g >= 4 and (subj in CURRICULUM.get(g, ()) or (subj in ("МА", "РУ") and g == 4))
                for g in range(13)
            ])
            rows = np.flatnonzero(taught[e.grade])
            theta = self.pop.theta(e.pupil[rows], e.school[rows], subj, year, effects)
            join = rng.random(rows.size) < 1.0 / (1.0 + np.exp(-(-2.2 + 0.9 * theta)))
            rows, theta = rows[join], theta[join]
            pupil, school, grade = e.pupil[rows], e.school[rows], e.grade[rows]
            active = np.ones(rows.size, dtype=bool)
            score = np.zeros(rows.size)
            for stage in range(3):
                if stage == 0:
                    group = school * 16 + grade
                elif stage == 1:
                    active = active & (score >= 65) & (grade >= 7)
                    group = self.municipality[school] * 16 + grade
                else:
                    active = active & (score >= 70) & (grade >= 9)
                    group = grade.copy()
                base = (45.0, 35.0, 25.0)[stage]
                noise = rng.normal(0.0, 12.0, rows.size)
                score = np.clip(np.rint(base + 17.0 * theta + noise), 0, 100)
                idx = np.flatnonzero(active)
                if idx.size == 0:
                    break
                rank, size = _group_rank(group[idx], score[idx], rng)
                status = np.zeros(idx.size, dtype=np.int64)
                good = score[idx] >= 50
                status[good & (rank < np.ceil((0.3, 0.25, 0.2)[stage] * size))] = 1
                status[good & (rank == 0)] = 2
                parts["pupil"].append(pupil[idx])
                parts["school"].append(school[idx])
                parts["stage"].append(np.full(idx.size, stage, dtype=np.int64))
                parts["subject"].append(np.full(idx.size, col, dtype=np.int64))
                parts["grade"].append(grade[idx])
                parts["status"].append(status)
                parts["score"].append(score[idx].astype(np.int64))
        cat = {k: np.concatenate(v) if v else np.zeros(0, dtype=np.int64) for k, v in parts.items()}
        order = np.lexsort((cat["subject"], cat["pupil"], cat["stage"], cat["school"]))
        return Olympiad(year, *(cat[k][order] for k in ("pupil", "school", "stage", "subject",
                                                        "grade", "status", "score")))

    # -----------------------------------------------------------------------------------------
    # Observers

    def observers(self, year: int) -> Observers:
        """Public observers at ВПР: coverage 60–90 % of school × work (less where planted)."""
        rng = make_rng(self.config.seed, "observers", year)
        lo, hi = self.config.observer_coverage
        coverage = rng.uniform(lo, hi)
        planted_keys = (set(self.plan.bunching) | set(self.plan.inversion)
                        | set(self.plan.work_boost) | set(self.plan.misfit))
        boosted = {s for (s, y) in self.plan.school_boost if y == year}
        parts: dict[str, list[Array]] = {k: [] for k in ("school", "grade", "count", "kind",
                                                          "video", "work")}
        works: list[tuple[str, str]] = []
        for res in self.results.vpr:
            if res.year != year:
                continue
            w = res.work
            schools = np.unique(res.school)
            planted = np.array([
                (int(s_i), year, w.subject, w.grade) in planted_keys or int(s_i) in boosted
                for s_i in schools
            ], dtype=bool)
            seen = rng.random(schools.size) < np.where(planted, 0.2, coverage)
            n = int(seen.sum())
            parts["school"].append(schools[seen])
            parts["grade"].append(np.full(n, w.grade, dtype=np.int64))
            parts["count"].append(rng.integers(1, 4, n))
            parts["kind"].append(rng.choice(3, size=n, p=[0.7, 0.15, 0.15]))
            parts["video"].append(rng.random(n) < 0.5)
            parts["work"].append(np.full(n, len(works), dtype=np.int64))
            date = vpr_date(year, w.subject, w.grade).strftime("%d.%m.%Y")
            works.append((w.subject, date))
        if not works:
            empty = np.zeros(0, dtype=np.int64)
            return Observers(year, empty, [], empty, [], empty, [], empty.astype(bool))
        cat = {k: np.concatenate(v) for k, v in parts.items()}
        order = np.lexsort((cat["grade"], cat["school"]))
        work = cat["work"][order]
        return Observers(
            year, cat["school"][order], [works[int(i)][0] for i in work], cat["grade"][order],
            [works[int(i)][1] for i in work], cat["count"][order],
            [OBSERVER_KINDS[int(i)] for i in cat["kind"][order]], cat["video"][order],
        )
