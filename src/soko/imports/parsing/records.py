"""Normalised records that parsers produce (pure data; no Django).

Organizations are referred to by :class:`OrgRef`: a ФИС ОКО login when the file has one,
otherwise an ОГРН/ИНН or a (municipality, name) pair that the import resolves against the
registry (names are matched after :func:`soko.imports.parsing.names.normalize_org_name`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from soko.imports.parsing.problems import ProblemList


@dataclass(frozen=True)
class Where:
    """Where a record came from in the file (for messages and the highlighted error file)."""

    sheet: str = ""
    row: int | None = None  # 1-based spreadsheet / CSV line number
    column: str = ""


@dataclass(frozen=True)
class OrgRef:
    code: str | None = None  # ФИС ОКО login, e.g. sch423500 / edu053001
    name: str = ""
    municipality: str = ""
    ogrn: str | None = None
    inn: str | None = None
    region: str = ""


# Aggregate metrics (school-level tables). Counts carry numerator/denominator; a mean carries
# value = mean and denominator = participants, so means aggregate by weights, never by averaging.
AGGREGATE_METRICS = {
    "participants": "число участников",
    "share_2": "доля «2» (не преодолели минимальную границу), %",
    "share_high": "доля высоких результатов, %",
    "below_min": "не преодолели минимальный порог, чел.",
    "high_80_99": "высокобалльники (80–99 баллов), чел.",
    "score_100": "получили 100 баллов, чел.",
    "mean_score": "средний балл",
    "mean_mark": "средняя отметка",
    "total_160_plus": "набрали 160 и более баллов по трём предметам, чел.",
    "total_220_plus": "набрали 220 и более баллов по трём предметам, чел.",
    "registered": "подали заявление на участие, чел.",
    "graduates": "выпускников, принявших участие в ГИА, чел.",
}


@dataclass(frozen=True)
class AggregateRecord:
    org: OrgRef
    year: int
    procedure: str  # ВПР / ОГЭ / ЕГЭ …
    subject: str  # subject code (РУ, МА, МАП …) or "" for all-subject metrics
    grade: int | None
    metric: str  # a key of AGGREGATE_METRICS
    numerator: float | None
    denominator: float | None
    value: float | None
    where: Where = field(default_factory=Where)
    profile: str = ""  # «Профиль (при наличии)» when the file has it


@dataclass(frozen=True)
class TotalRecord:
    """A total or subtotal row of the file (region / municipality), kept to verify sums."""

    level: str  # "region" | "municipality"
    name: str
    year: int
    procedure: str
    subject: str
    metric: str
    value: float | None
    where: Where = field(default_factory=Where)


@dataclass(frozen=True)
class MarkerRecord:
    """An official list entry: the school has a sign of non-objective results."""

    org: OrgRef
    year: int
    procedure: str
    grade: int | None
    subject: str
    list_source: str
    where: Where = field(default_factory=Where)


@dataclass(frozen=True)
class JournalMarkRecord:
    org: OrgRef
    year: int
    student_code: str
    class_label: str
    grade: int | None
    subject: str
    period: str  # "t1".."t4", "h1", "h2", "year"
    mark: int
    where: Where = field(default_factory=Where)


@dataclass(frozen=True)
class OlympiadRecord:
    org: OrgRef
    year: int
    stage: str  # "school" | "municipal" | "regional" | "final"
    subject: str
    grade: int | None
    student_code: str
    status: str  # "participant" | "prize" | "winner"
    score: float | None
    where: Where = field(default_factory=Where)


@dataclass(frozen=True)
class MedalRecord:
    org: OrgRef
    year: int
    student_code: str
    medal: str  # "I" | "II"
    where: Where = field(default_factory=Where)


@dataclass(frozen=True)
class ObserverRecord:
    org: OrgRef
    year: int
    procedure: str
    subject: str
    grade: int | None
    event_date: str | None  # ISO date
    observers: int
    observer_kind: str  # "public" | "independent" | "online"
    video: bool | None
    where: Where = field(default_factory=Where)


@dataclass(frozen=True)
class OrganizationRecord:
    org: OrgRef  # code required
    short_name: str
    municipality_code: str
    region_code: str
    kind: str  # school | preschool | additional
    org_type: str  # one of registry.OrgType values
    settlement: str  # urban | rural
    in_depth_subjects: tuple[str, ...]
    head_name: str
    where: Where = field(default_factory=Where)


@dataclass(frozen=True)
class TeacherRecord:
    org_code: str
    code: str
    subjects: tuple[str, ...]
    category: str  # none | conformity | first | highest
    experience_years: int | None
    birth_year: int | None
    where: Where = field(default_factory=Where)


@dataclass(frozen=True)
class ClassRecord:
    org_code: str
    year: int  # the calendar year the school year ends (2024/2025 → 2025)
    grade: int
    label: str
    profile: str
    subject: str
    teacher_code: str
    where: Where = field(default_factory=Where)


@dataclass(frozen=True)
class StudentRecord:
    org_code: str
    code: str
    birth_year: int | None
    sex: str
    has_disability: bool
    year: int
    class_label: str
    where: Where = field(default_factory=Where)


@dataclass(frozen=True)
class SocialContextRecord:
    org_code: str
    year: int
    students_total: int
    low_income: int | None
    single_parent: int | None
    parents_higher_ed: int | None
    non_native_russian: int | None
    disabled: int | None
    kdn_pdn: int | None
    staff_vacancies: int | None
    second_shift: bool | None
    remoteness_km: float | None
    where: Where = field(default_factory=Where)


RecordT = TypeVar("RecordT")


@dataclass
class Parsed(Generic[RecordT]):
    """What a parser returns: records, total rows (aggregates only), warnings and problems.

    The importer writes nothing when ``problems`` is not empty; ``warnings`` (Russian) are shown
    to the user with the import result.
    """

    kind: str
    records: list[RecordT] = field(default_factory=list)
    totals: list[TotalRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: ProblemList = field(default_factory=ProblemList)
