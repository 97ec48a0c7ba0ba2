"""The simulated world: territories, schools, teachers, pupils, classes and social context.

Pupils are rows of :class:`Pupils`; a pupil's ability in subject *s* in year *t* is

    θ = school effect(t) + ОВЗ penalty + 0.92 · (λ·g + √(1 − λ²)·e_s) + drift(t)

with a general factor ``g``, subject-specific factors ``e_s`` (λ² = 0.7, so two subjects
correlate at about 0.7), and a small random-walk drift. The school effect is the latent quality
of the school (partly driven by its socio-economic status, see :mod:`.anomalies`).

Enrolment is simulated year by year: pupils move up a grade, a few leave or change school,
about half leave after grade 9, grade 11 graduates, new pupils enter grade 1. The pupil code
stays the same, so cohorts link across years.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from soko.lib.generator import names
from soko.lib.generator.config import (
    ABILITY_SUBJECTS,
    CURRICULUM,
    SUBJECT_INDEX,
    GeneratorConfig,
    make_rng,
)
from soko.lib.generator.model import Array

LOADING = math.sqrt(0.7)
INDIVIDUAL_SD = 0.92
OVZ_PENALTY = -0.5
LETTERS = "АБВГД"
MAX_CLASS = 30

LEGAL_FORMS = {
    "МБОУ": "Муниципальное бюджетное общеобразовательное учреждение",
    "МАОУ": "Муниципальное автономное общеобразовательное учреждение",
    "МКОУ": "Муниципальное казённое общеобразовательное учреждение",
}
URBAN_TYPES = {
    "СОШ": 0.68, "гимназия": 0.10, "лицей": 0.08, "СОШ с УИОП": 0.08, "ООШ": 0.04, "НОШ": 0.02,
}
RURAL_TYPES = {"СОШ": 0.55, "ООШ": 0.33, "НОШ": 0.12}
SIZE_RANGES = {
    ("СОШ", False): (550, 1100), ("гимназия", False): (650, 1150), ("лицей", False): (600, 1000),
    ("СОШ с УИОП", False): (600, 1000), ("ООШ", False): (150, 320), ("НОШ", False): (100, 240),
    ("СОШ", True): (120, 420), ("ООШ", True): (55, 150), ("НОШ", True): (22, 60),
}
IN_DEPTH = {
    "лицей": (("МА", "ФИ"), ("МА", "ИН"), ("ХИ", "БИ")),
    "гимназия": (("РУ", "АЯ"), ("АЯ", "ИС"), ("РУ", "ЛИ")),
    "СОШ с УИОП": (("МА",), ("АЯ",), ("ХИ", "БИ"), ("ИН",)),
}
PROFILES = {
    "лицей": ("технологический", "естественно-научный"),
    "гимназия": ("гуманитарный", "социально-экономический"),
    "СОШ с УИОП": ("технологический", "универсальный"),
}
CATEGORIES = ("без категории", "соответствие", "первая", "высшая")
CATEGORY_P = (0.15, 0.2, 0.3, 0.35)
CATEGORY_QUALITY = (-0.03, 0.0, 0.02, 0.04)


@dataclass(frozen=True)
class Municipality:
    """A municipality (муниципальный район, округ or город)."""

    code: str
    name: str
    is_town: bool
    urban_share: float


@dataclass
class School:
    """A school (ОО) with its latent characteristics."""

    idx: int
    login: str
    full_name: str
    short_name: str
    municipality: int
    type: str
    rural: bool
    in_depth: tuple[str, ...]
    head: str
    inn: str
    target_size: int
    ses: float
    effect: float = 0.0
    leniency: float = 0.15
    remoteness_km: int = 0
    second_shift: bool = False
    kinds: list[str] = field(default_factory=list)

    @property
    def grade_lo(self) -> int:
        return 1

    @property
    def grade_hi(self) -> int:
        return {"НОШ": 4, "ООШ": 9}.get(self.type, 11)

    @property
    def ordinary(self) -> bool:
        """Return True for a school without in-depth study (not лицей/гимназия/УИОП)."""
        return self.type in ("СОШ", "ООШ", "НОШ")


@dataclass
class Pupils:
    """Every pupil ever enrolled (one row per pupil)."""

    code: Array
    birth_year: Array
    female: Array
    ovz: Array
    general: Array
    specific: Array
    drift: Array

    def __len__(self) -> int:
        return int(self.code.size)


@dataclass
class Enrolment:
    """Pupils enrolled in one school year (one row per pupil)."""

    year: int
    pupil: Array
    school: Array
    grade: Array
    cls: Array

    def __len__(self) -> int:
        return int(self.pupil.size)


@dataclass
class Classes:
    """Every class of every year (one row per class)."""

    year: Array
    school: Array
    grade: Array
    letter: Array
    size: Array
    label: list[str]
    profile: list[str]

    def __len__(self) -> int:
        return int(self.year.size)


@dataclass
class Teachers:
    """Teachers (one row per teacher) and the lookup of teaching posts."""

    school: Array
    code: list[str]
    subjects: list[tuple[str, ...]]
    category: list[str]
    experience: Array
    birth_year: Array
    quality: Array
    #: Per (school, subject): first teacher row and count for grades 5–11 (and АЯ 2–11).
    start: Array
    count: Array
    #: Per school: first primary-teacher row and count (РУ, МА, ОМ in grades 1–4).
    primary_start: Array
    primary_count: Array


@dataclass
class Population:
    """The simulated registry."""

    municipalities: list[Municipality]
    schools: list[School]
    pupils: Pupils
    enrolments: dict[int, Enrolment]
    classes: Classes
    teachers: Teachers
    #: Teacher row per (class, ability subject); −1 where the subject is not taught.
    teaching: Array

    def theta(self, pupil: Array, school: Array, subject: str, year: int,
              effects: Array) -> Array:
        """Return the latent ability of pupils in a subject and year.

        ``effects`` is the school effect for that year (indexed by school).
        """
        p = self.pupils
        col = SUBJECT_INDEX[subject]
        t = year - min(self.enrolments)
        individual = LOADING * p.general[pupil] + math.sqrt(1 - LOADING**2) * p.specific[pupil, col]
        out: Array = (
            effects[school]
            + OVZ_PENALTY * p.ovz[pupil]
            + INDIVIDUAL_SD * individual
            + p.drift[pupil, t]
        )
        return out


# ---------------------------------------------------------------------------------------------
# Territories and schools


def build_municipalities(config: GeneratorConfig) -> list[Municipality]:
    """Return ~N/30 municipalities with plausible names (one demo okrug for small N)."""
    rng = make_rng(config.seed, "municipalities")
    count = max(1, round(config.schools / 30))
    code = config.region_code
    if count == 1:
        return [Municipality(f"{code}01", "Демонстрационный муниципальный округ", False, 0.55)]
    n_towns = max(1, round(count * 0.25))
    towns = rng.choice(len(names.TOWN_NAMES), size=min(n_towns, len(names.TOWN_NAMES)),
                       replace=False)
    stems = rng.permutation(len(names.DISTRICT_STEMS))
    out: list[Municipality] = []
    for i in range(count):
        mun_code = f"{code}{i + 1:02d}" if count < 100 else f"{code}{i + 1:03d}"
        if i < towns.size:
            name = f"Город {names.TOWN_NAMES[int(towns[i])]}"
            out.append(Municipality(mun_code, name, True, 1.0))
            continue
        j = i - towns.size
        stem = names.DISTRICT_STEMS[int(stems[j % stems.size])]
        suffix = "муниципальный район" if j % 3 != 2 else "муниципальный округ"
        if j >= stems.size:
            suffix += f" {j // stems.size + 1}"
        out.append(Municipality(mun_code, f"{stem} {suffix}", False, 0.35))
    order = rng.permutation(count)
    shuffled = [out[int(k)] for k in order]
    return [
        Municipality(f"{code}{i + 1:02d}" if count < 100 else f"{code}{i + 1:03d}", m.name,
                     m.is_town, m.urban_share)
        for i, m in enumerate(shuffled)
    ]


def _largest_remainder(total: int, shares: dict[str, float]) -> list[str]:
    """Return ``total`` labels distributed by ``shares`` (largest remainder method)."""
    keys = list(shares)
    raw = np.array([shares[k] for k in keys]) * total / sum(shares.values())
    counts = np.floor(raw).astype(int)
    rest = total - int(counts.sum())
    for i in np.argsort(-(raw - counts), kind="stable")[:rest]:
        counts[i] += 1
    return [k for k, c in zip(keys, counts, strict=True) for _ in range(int(c))]


def _inn(rng: np.random.Generator, region: str, used: set[str]) -> str:
    """Return a unique 10-digit ИНН of a legal entity with a valid check digit."""
    weights = (2, 4, 10, 3, 5, 9, 4, 6, 8)
    while True:
        body = region + f"{int(rng.integers(1, 60)):02d}" + f"{int(rng.integers(0, 100000)):05d}"
        check = sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11 % 10
        inn = body + str(check)
        if inn not in used:
            used.add(inn)
            return inn


def _head(rng: np.random.Generator) -> str:
    female = bool(rng.random() < 0.75)
    stem = names.SURNAMES[int(rng.integers(len(names.SURNAMES)))]
    first = names.FIRST_INITIALS_F if female else names.FIRST_INITIALS_M
    i1 = first[int(rng.integers(len(first)))]
    i2 = names.PATRONYMIC_INITIALS[int(rng.integers(len(names.PATRONYMIC_INITIALS)))]
    return f"{names.surname(stem, female)} {i1}. {i2}."


def _school_names(kind: str, rural: bool, number: int, village: str) -> tuple[str, str]:
    """Return (long name inside quotes, short name inside quotes)."""
    if kind == "гимназия":
        return f"Гимназия № {number}", f"Гимназия № {number}"
    if kind == "лицей":
        return f"Лицей № {number}", f"Лицей № {number}"
    level = {
        "СОШ": "средняя", "СОШ с УИОП": "средняя", "ООШ": "основная", "НОШ": "начальная",
    }[kind]
    short_kind = "СОШ" if kind == "СОШ с УИОП" else kind
    if rural:
        return f"{village} {level} общеобразовательная школа", f"{village} {short_kind}"
    long = f"{level.capitalize()} общеобразовательная школа № {number}"
    short = f"{short_kind} № {number}"
    if kind == "СОШ с УИОП":
        long += " с углублённым изучением отдельных предметов"
        short += " с УИОП"
    return long, short


def build_schools(config: GeneratorConfig, municipalities: list[Municipality]) -> list[School]:
    """Return the schools with names, types, sizes and socio-economic status."""
    rng = make_rng(config.seed, "schools")
    n_mun = len(municipalities)
    weights = rng.dirichlet(np.full(n_mun, 8.0)) if n_mun > 1 else np.ones(1)
    raw = weights * config.schools
    per_mun = np.maximum(np.floor(raw).astype(int), 1 if config.schools >= n_mun else 0)
    while per_mun.sum() < config.schools:
        per_mun[int(np.argmax(raw - per_mun))] += 1
    while per_mun.sum() > config.schools:
        per_mun[int(np.argmax(per_mun))] -= 1
    mun_effect = rng.normal(0.0, 0.3, n_mun)
    used_inn: set[str] = set()
    drafts: list[tuple[int, str, bool]] = []
    for m, mun in enumerate(municipalities):
        n = int(per_mun[m])
        n_urban = n if mun.is_town else round(n * mun.urban_share)
        kinds = [(k, False) for k in _largest_remainder(n_urban, URBAN_TYPES)]
        kinds += [(k, True) for k in _largest_remainder(n - n_urban, RURAL_TYPES)]
        drafts.extend((m, *kinds[int(i)]) for i in rng.permutation(len(kinds)))

    schools: list[School] = []
    counters: dict[tuple[int, str], int] = {}
    villages: dict[int, list[int]] = {}
    rural_used: dict[int, int] = {}
    per_mun_index: dict[int, int] = {}
    for idx, (m, kind, rural) in enumerate(drafts):
        series = kind if kind in ("гимназия", "лицей") else "школа"
        number = 0
        if not rural:
            gap = int(rng.random() < 0.25) if series == "школа" else 0
            number = counters.get((m, series), 0) + 1 + gap
            counters[(m, series)] = number
        village = ""
        if rural:
            pool = villages.setdefault(m, list(rng.permutation(len(names.VILLAGE_NAMES))))
            used = rural_used.get(m, 0)
            rural_used[m] = used + 1
            village = names.VILLAGE_NAMES[int(pool[used % len(pool)])]
            if used >= len(pool):
                village += f" № {used // len(pool) + 1}"
        long, short = _school_names(kind, rural, number, village)
        if rural:
            form = "МКОУ" if rng.random() < 0.6 else "МБОУ"
        elif kind in ("гимназия", "лицей"):
            form = "МАОУ" if rng.random() < 0.6 else "МБОУ"
        else:
            form = "МАОУ" if rng.random() < 0.2 else "МБОУ"
        per_mun_index[m] = per_mun_index.get(m, 0) + 1
        k = per_mun_index[m]
        if n_mun < 100 and k < 100:
            login = f"sch{config.region_code}{int(municipalities[m].code[2:]):02d}{k:02d}"
        else:
            login = f"sch{config.region_code}{idx + 1:04d}"
        lo, hi = SIZE_RANGES[(kind, rural)]
        size = int(rng.integers(lo, hi + 1))
        in_depth: tuple[str, ...] = ()
        if kind in IN_DEPTH:
            options = IN_DEPTH[kind]
            in_depth = options[int(rng.integers(len(options)))]
        ses = float(
            rng.normal(0.0, 0.8) + mun_effect[m] - 0.5 * rural
            + (0.4 if kind in ("гимназия", "лицей") else 0.0)
        )
        schools.append(School(
            idx=idx, login=login, full_name=f"{LEGAL_FORMS[form]} «{long}»",
            short_name=f"{form} «{short}»", municipality=m, type=kind, rural=rural,
            in_depth=in_depth, head=_head(rng), inn=_inn(rng, config.region_code, used_inn),
            target_size=size, ses=round(ses, 4),
        ))
    ses_all = np.array([s.ses for s in schools])
    spread = float(ses_all.std()) or 1.0
    for s in schools:
        s.ses = round((s.ses - float(ses_all.mean())) / spread, 4)
    logins = [s.login for s in schools]
    if len(set(logins)) != len(logins):
        for i, s in enumerate(schools):
            s.login = f"sch{config.region_code}{i + 1:04d}"
    mean = float(np.mean([s.target_size for s in schools]))
    factor = float(np.clip(config.students_per_school / mean, 0.2, 5.0))
    for s in schools:
        s.target_size = max(15 if s.type == "НОШ" else 40, round(s.target_size * factor))
    return schools


def finish_schools(config: GeneratorConfig, schools: list[School]) -> None:
    """Set leniency of journal marks, remoteness and second shift once SES is final."""
    rng = make_rng(config.seed, "school-details")
    for s in schools:
        s.leniency = round(float(rng.normal(0.0, 0.06)), 4)
        disadvantage = -s.ses
        if s.rural:
            s.remoteness_km = int(np.clip(rng.normal(35 + 20 * disadvantage, 15), 5, 180))
        s.second_shift = bool(
            not s.rural and s.target_size > 700 and rng.random() < 0.2 + 0.15 * disadvantage
        )


# ---------------------------------------------------------------------------------------------
# Pupils, enrolment and classes


def _grade_sizes(schools: list[School]) -> Array:
    """Return the expected number of pupils per grade for each school (grades 1–9)."""
    out = np.zeros(len(schools))
    for s in schools:
        lower = min(s.grade_hi, 9)
        upper = max(0, s.grade_hi - 9)
        out[s.idx] = s.target_size / (lower + 0.55 * upper)
    return out


def continuation(ability: Array) -> Array:
    """Return the probability of staying at school after grade 9 for an ability."""
    out: Array = 1.0 / (1.0 + np.exp(-(0.2 + 1.3 * ability)))
    return out


class _PupilFactory:
    """Creates pupils with codes, birth years and latent traits."""

    def __init__(self, config: GeneratorConfig, rng: np.random.Generator) -> None:
        self.rng = rng
        self.n_years = len(config.all_years)
        self.first_year = config.all_years[0]
        self.prefix = int(config.region_code) * 10_000_000
        self.parts: list[dict[str, Array]] = []
        self.count = 0

    def new(self, n: int, year: int, grade: Array, ovz_rate: Array,
            senior_effect: Array | None = None) -> Array:
        """Create ``n`` pupils in ``grade`` (array of length n) in ``year``; return their rows.

        With ``senior_effect`` (school effect per pupil), pupils of grades 10–11 are drawn from
        the ability distribution of those who stay after grade 9.
        """
        rng = self.rng
        general = rng.normal(0.0, 1.0, n)
        if senior_effect is not None:
            seniors = np.flatnonzero(grade >= 10)
            cand = rng.normal(0.0, 1.0, (seniors.size, 6))
            weight = continuation(senior_effect[seniors, None] + INDIVIDUAL_SD * cand)
            cum = np.cumsum(weight, axis=1)
            pick = (rng.random(seniors.size)[:, None] * cum[:, -1:] > cum).sum(axis=1)
            general[seniors] = cand[np.arange(seniors.size), pick]
        rows = np.arange(self.count, self.count + n)
        steps = rng.normal(0.0, 0.12, (n, self.n_years)).astype(np.float32)
        t0 = year - self.first_year
        steps[:, : t0 + 1] = 0.0
        shift = rng.choice(np.array([-1, 0, 1]), size=n, p=[0.06, 0.86, 0.08])
        self.parts.append({
            "birth_year": (year - 7 - grade + shift).astype(np.int16),
            "female": rng.random(n) < 0.49,
            "ovz": rng.random(n) < ovz_rate,
            "general": general.astype(np.float32),
            "specific": rng.normal(0.0, 1.0, (n, len(ABILITY_SUBJECTS))).astype(np.float32),
            "drift": np.cumsum(steps, axis=1),
        })
        self.count += n
        return rows

    def general(self) -> Array:
        return np.concatenate([p["general"] for p in self.parts])

    def build(self, code_order: Array) -> Pupils:
        cat = {k: np.concatenate([p[k] for p in self.parts]) for k in self.parts[0]}
        return Pupils(
            code=(self.prefix + code_order).astype(np.int64),
            birth_year=cat["birth_year"], female=cat["female"], ovz=cat["ovz"],
            general=cat["general"], specific=cat["specific"], drift=cat["drift"],
        )


def _form_classes(
    rng: np.random.Generator, school: Array, grade: Array, prev_letter: Array
) -> tuple[Array, Array, Array]:
    """Assign letters; return (letter per pupil, group key per pupil, classes in group)."""
    n = school.size
    key = school.astype(np.int64) * 16 + grade
    prev = np.where(prev_letter < 0, 99, prev_letter)
    order = np.lexsort((rng.random(n), prev, key))
    sorted_key = key[order]
    starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
    sizes = np.diff(np.r_[starts, n])
    group = np.repeat(np.arange(starts.size), sizes)
    rank = np.arange(n) - starts[group]
    n_classes = np.clip(np.ceil(sizes / MAX_CLASS), 1, 4).astype(np.int64)
    letter_sorted = (rank * n_classes[group]) // sizes[group]
    letter = np.empty(n, dtype=np.int8)
    letter[order] = letter_sorted
    return letter, key, n_classes


def _transfer(
    rng: np.random.Generator, origin: Array, grade: Array, mun: Array, weight_by: Array,
    has_grade: Array,
) -> Array:
    """Return a destination school for each mover (−1 when no school fits).

    ``has_grade[s, g]`` says whether school s teaches grade g; destinations are drawn within
    the origin's municipality with probability proportional to ``weight_by`` (size).
    """
    out = np.full(origin.size, -1, dtype=np.int64)
    if origin.size == 0:
        return out
    m = mun[origin]
    for mm in np.unique(m):
        for g in np.unique(grade[m == mm]):
            rows = np.flatnonzero((m == mm) & (grade == g))
            cand = np.flatnonzero((mun == mm) & has_grade[:, g])
            if cand.size == 0:
                continue
            w = weight_by[cand] / weight_by[cand].sum()
            pick = cand[rng.choice(cand.size, size=rows.size, p=w)]
            same = pick == origin[rows]
            if cand.size > 1 and same.any():
                alt = cand[rng.choice(cand.size, size=int(same.sum()), p=w)]
                pick[same] = alt
            ok = pick != origin[rows]
            out[rows[ok]] = pick[ok]
    return out


def simulate_enrolment(config: GeneratorConfig, schools: list[School]) -> tuple[
    Pupils, dict[int, Enrolment], Classes
]:
    """Simulate enrolment for every year in ``config.all_years``."""
    rng = make_rng(config.seed, "enrolment")
    factory = _PupilFactory(config, rng)
    n_s = len(schools)
    base = _grade_sizes(schools)
    hi = np.array([s.grade_hi for s in schools])
    mun = np.array([s.municipality for s in schools])
    effect = np.array([s.effect for s in schools])
    size = np.array([s.target_size for s in schools], dtype=float)
    ovz_rate = np.array([0.03 + 0.015 * max(0.0, -s.ses) for s in schools])
    has_grade = np.zeros((n_s, 13), dtype=bool)
    for s in schools:
        has_grade[s.idx, 1 : s.grade_hi + 1] = True
    upper_factor = np.where(np.arange(13) >= 10, 0.55, 1.0)

    years = config.all_years
    enrol: dict[int, Enrolment] = {}
    class_parts: dict[str, list[Array]] = {k: [] for k in ("year", "school", "grade", "letter",
                                                             "size")}
    class_count = 0
    pupil = school = grade = letter = np.zeros(0, dtype=np.int64)
    for t, year in enumerate(years):
        if t == 0:
            sch_rows, grade_rows = [], []
            for s in schools:
                grades = np.arange(1, s.grade_hi + 1)
                lam = base[s.idx] * upper_factor[grades]
                counts = np.maximum(rng.poisson(lam), 2)
                sch_rows.append(np.repeat(s.idx, counts.sum()))
                grade_rows.append(np.repeat(grades, counts))
            school = np.concatenate(sch_rows)
            grade = np.concatenate(grade_rows)
            pupil = factory.new(school.size, year, grade, ovz_rate[school], effect[school])
            prev_letter = np.full(school.size, -1, dtype=np.int8)
        else:
            general = factory.general()[pupil]
            ability = effect[school] + INDIVIDUAL_SD * general
            n = pupil.size
            top = grade >= hi[school]
            leave = rng.random(n) < 0.025
            cont = continuation(ability)
            drop9 = (grade == 9) & (rng.random(n) > cont)
            continuing = ~top & ~leave & ~drop9
            # НОШ graduates go on to grade 5 and ООШ graduates to grade 10 of another school
            graduate_moves = top & ~leave & ((grade == 4) | ((grade == 9) & ~drop9))
            random_moves = continuing & (rng.random(n) < 0.012)
            movers = np.flatnonzero(graduate_moves | random_moves)
            dest = _transfer(rng, school[movers], grade[movers] + 1, mun, size, has_grade)
            moved = movers[dest >= 0]
            new_school = school.copy()
            new_school[moved] = dest[dest >= 0]
            moved_mask = np.zeros(n, dtype=bool)
            moved_mask[moved] = True
            stay = continuing | (graduate_moves & moved_mask)
            prev_letter = np.where(new_school == school, letter, -1).astype(np.int8)[stay]
            pupil, school, grade = pupil[stay], new_school[stay], grade[stay] + 1
            # entrants to grade 1 and newcomers in other grades
            lam1 = base * rng.normal(1.0, 0.05, n_s)
            n1 = np.maximum(rng.poisson(lam1), 1)
            g_new = [np.ones(n1.sum(), dtype=np.int64)]
            s_new = [np.repeat(np.arange(n_s), n1)]
            lam_other = np.where(has_grade[:, 2:12], 0.02, 0.0) * base[:, None] * upper_factor[2:12]
            n_other = rng.poisson(lam_other)
            s_idx, g_idx = np.nonzero(n_other)
            reps = n_other[s_idx, g_idx]
            s_new.append(np.repeat(s_idx, reps))
            g_new.append(np.repeat(g_idx + 2, reps))
            s_add = np.concatenate(s_new)
            g_add = np.concatenate(g_new)
            p_add = factory.new(s_add.size, year, g_add, ovz_rate[s_add])
            pupil = np.concatenate([pupil, p_add])
            school = np.concatenate([school, s_add])
            grade = np.concatenate([grade, g_add])
            prev_letter = np.concatenate([prev_letter, np.full(s_add.size, -1, dtype=np.int8)])
        letter, key, _ = _form_classes(rng, school, grade, prev_letter)
        class_key = key * 8 + letter
        uniq, inverse, counts = np.unique(class_key, return_inverse=True, return_counts=True)
        cls = class_count + inverse
        class_count += uniq.size
        class_parts["year"].append(np.full(uniq.size, year))
        class_parts["school"].append(uniq // 8 // 16)
        class_parts["grade"].append(uniq // 8 % 16)
        class_parts["letter"].append(uniq % 8)
        class_parts["size"].append(counts)
        order = np.lexsort((letter, grade, school))
        pupil, school, grade, letter, cls = (
            pupil[order], school[order], grade[order], letter[order], cls[order]
        )
        enrol[year] = Enrolment(year, pupil.astype(np.int64), school.astype(np.int64),
                                grade.astype(np.int64), cls.astype(np.int64))

    # codes are handed out in a shuffled order so they do not reveal the creation order
    code_order = make_rng(config.seed, "codes").permutation(factory.count)
    pupils = factory.build(code_order)
    cat = {k: np.concatenate(v) for k, v in class_parts.items()}
    labels = [f"{g}{LETTERS[int(lt)]}" for g, lt in zip(cat["grade"], cat["letter"], strict=True)]
    profiles = []
    for s_i, g, lt in zip(cat["school"], cat["grade"], cat["letter"], strict=True):
        if g < 10:
            profiles.append("")
            continue
        options = PROFILES.get(schools[int(s_i)].type, ("универсальный",))
        profiles.append(options[int(lt) % len(options)])
    classes = Classes(cat["year"], cat["school"], cat["grade"], cat["letter"].astype(np.int64),
                      cat["size"], labels, profiles)
    return pupils, enrol, classes


# ---------------------------------------------------------------------------------------------
# Teachers


def build_teachers(config: GeneratorConfig, schools: list[School], classes: Classes) -> tuple[
    Teachers, Array
]:
    """Create teachers per school and assign one to every class × subject."""
    rng = make_rng(config.seed, "teachers")
    first = config.all_years[0]
    n_s = len(schools)
    n_subj = len(ABILITY_SUBJECTS)
    start = np.zeros((n_s, n_subj), dtype=np.int64)
    count = np.zeros((n_s, n_subj), dtype=np.int64)
    primary_start = np.zeros(n_s, dtype=np.int64)
    primary_count = np.zeros(n_s, dtype=np.int64)
    t_school: list[int] = []
    t_subjects: list[tuple[str, ...]] = []
    in_first = classes.year == first
    for s in schools:
        mask = in_first & (classes.school == s.idx)
        c5 = int((mask & (classes.grade >= 5)).sum())
        c24 = int((mask & (classes.grade >= 2) & (classes.grade <= 4)).sum())
        per_grade = classes.letter[mask & (classes.grade <= 4)]
        l_max = int(per_grade.max()) + 1 if per_grade.size else 1
        posts: list[tuple[tuple[str, ...], int]] = [(("РУ", "МА", "ОМ"), 4 * l_max)]
        posts.append((("АЯ",), max(1, round((c5 + c24) / 8))))
        if c5:
            posts.append((("РУ", "ЛИ"), max(1, round(c5 / 4))))
            if c5 >= 10:
                posts.append((("МА",), max(1, round(c5 / 4.5))))
                posts.append((("ИН",), max(1, round(c5 / 16))))
            else:
                posts.append((("МА", "ИН"), max(1, round(c5 / 4.5))))
            posts.append((("ИС", "ОБ"), max(1, round(c5 / 9))))
            if c5 >= 12:
                posts.append((("БИ",), max(1, round(c5 / 12))))
                posts.append((("ХИ",), max(1, round(c5 / 16))))
            else:
                posts.append((("БИ", "ХИ"), 1))
            posts.append((("ГЕ",), max(1, round(c5 / 14))))
            posts.append((("ФИ",), max(1, round(c5 / 12))))
        for subjects, k in posts:
            row0 = len(t_school)
            t_school.extend([s.idx] * k)
            t_subjects.extend([subjects] * k)
            if subjects == ("РУ", "МА", "ОМ"):
                primary_start[s.idx], primary_count[s.idx] = row0, k
                continue
            for subj in subjects:
                start[s.idx, SUBJECT_INDEX[subj]] = row0
                count[s.idx, SUBJECT_INDEX[subj]] = k
    n_t = len(t_school)
    per_school: dict[int, int] = {}
    codes = []
    for owner in t_school:
        per_school[owner] = per_school.get(owner, 0) + 1
        codes.append(f"{schools[owner].login}-{per_school[owner]:03d}")
    cat_idx = rng.choice(len(CATEGORIES), size=n_t, p=CATEGORY_P)
    experience = np.clip(rng.triangular(0, 18, 42, n_t), 0, 45).astype(np.int64)
    birth = first - 22 - experience - rng.integers(0, 6, n_t)
    quality = rng.normal(0.0, 0.1, n_t) + np.array(CATEGORY_QUALITY)[cat_idx]
    teachers = Teachers(
        school=np.array(t_school, dtype=np.int64), code=codes, subjects=t_subjects,
        category=[CATEGORIES[int(i)] for i in cat_idx], experience=experience,
        birth_year=birth.astype(np.int64), quality=quality,
        start=start, count=count, primary_start=primary_start, primary_count=primary_count,
    )
    # assignments: cohorts keep their teachers (entry year + letter)
    teaching = np.full((len(classes), n_subj), -1, dtype=np.int64)
    entry = classes.year - classes.grade
    l_max_school = np.ones(n_s, dtype=np.int64)
    np.maximum.at(l_max_school, classes.school, classes.letter + 1)
    for subj in ABILITY_SUBJECTS:
        col = SUBJECT_INDEX[subj]
        taught = np.array([subj in CURRICULUM.get(g, ()) for g in range(13)])[classes.grade]
        sch = classes.school
        primary = taught & (classes.grade <= 4) & (subj in ("РУ", "МА", "ОМ"))
        if primary.any():
            pc = np.maximum(primary_count[sch], 1)
            pos = (entry * l_max_school[sch] + classes.letter) % pc
            teaching[primary, col] = (primary_start[sch] + pos)[primary]
        other = taught & ~primary & (count[sch, col] > 0)
        if other.any():
            pos = (entry + classes.letter) % np.maximum(count[sch, col], 1)
            teaching[other, col] = (start[sch, col] + pos)[other]
    return teachers, teaching


def build_population(config: GeneratorConfig, municipalities: list[Municipality],
                     schools: list[School]) -> Population:
    """Simulate pupils, classes and teachers for schools whose effects are already set."""
    pupils, enrolments, classes = simulate_enrolment(config, schools)
    teachers, teaching = build_teachers(config, schools, classes)
    return Population(municipalities, schools, pupils, enrolments, classes, teachers, teaching)


# ---------------------------------------------------------------------------------------------
# Social context


@dataclass
class SocialContext:
    """Counts per school for one year (see social_context_<year>.csv)."""

    year: int
    pupils: Array
    low_income: Array
    single_parent: Array
    higher_education: Array
    non_native: Array
    ovz: Array
    kdn: Array
    vacancies: Array
    second_shift: Array
    remoteness: Array


def social_context(config: GeneratorConfig, population: Population, year: int) -> SocialContext:
    """Return the social context of every school in ``year`` (driven by latent SES)."""
    rng = make_rng(config.seed, "social", year)
    schools = population.schools
    enrol = population.enrolments[year]
    n_s = len(schools)
    total = np.bincount(enrol.school, minlength=n_s)
    ovz = np.bincount(enrol.school, weights=population.pupils.ovz[enrol.pupil],
                      minlength=n_s).astype(np.int64)
    ses = np.array([s.ses for s in schools]) + rng.normal(0.0, 0.08, n_s)

    def share(intercept: float, slope: float) -> Array:
        out: Array = 1.0 / (1.0 + np.exp(-(intercept + slope * ses)))
        return out

    non_native_base = np.array([0.6 if s.municipality % 4 == 1 else 0.0 for s in schools])
    return SocialContext(
        year=year,
        pupils=total,
        low_income=rng.binomial(total, share(-1.6, -0.9)),
        single_parent=rng.binomial(total, share(-1.3, -0.45)),
        higher_education=rng.binomial(total, share(-1.1, 0.9)),
        non_native=rng.binomial(total, 1.0 / (1.0 + np.exp(-(-3.2 + non_native_base - 0.5 * ses)))),
        ovz=ovz,
        kdn=rng.binomial(total, share(-4.4, -0.7)),
        vacancies=rng.poisson(np.clip(0.4 - 0.6 * ses, 0.05, None) * np.sqrt(total / 300 + 0.1)),
        second_shift=np.array([s.second_shift for s in schools]),
        remoteness=np.array([s.remoteness_km for s in schools]),
    )
