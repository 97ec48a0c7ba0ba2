"""Configuration of the synthetic data generator and shared constants.

Subject codes follow docs/formats.md. Every random draw in the generator comes from
:func:`make_rng`, which derives an independent stream from the seed and a stable name, so adding
a new kind of draw never changes the numbers of an existing one.
"""

from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

#: Subject code → Russian name (as in ВПР titles).
SUBJECT_NAMES: dict[str, str] = {
    "РУ": "Русский язык",
    "МА": "Математика",
    "МАБ": "Математика (базовая)",
    "МАП": "Математика (профильная)",
    "ОМ": "Окружающий мир",
    "ИС": "История",
    "ОБ": "Обществознание",
    "БИ": "Биология",
    "ГЕ": "География",
    "ФИ": "Физика",
    "ХИ": "Химия",
    "ИН": "Информатика",
    "АЯ": "Английский язык",
    "ЛИ": "Литература",
}

#: Subjects with a latent ability of their own (МАБ/МАП use the ability in МА).
ABILITY_SUBJECTS: tuple[str, ...] = (
    "РУ", "МА", "ОМ", "ИС", "ОБ", "БИ", "ГЕ", "ФИ", "ХИ", "ИН", "АЯ", "ЛИ",
)
SUBJECT_INDEX: dict[str, int] = {code: i for i, code in enumerate(ABILITY_SUBJECTS)}


def ability_index(subject: str) -> int:
    """Return the column of the latent ability used for ``subject`` (МАБ/МАП → МА)."""
    return SUBJECT_INDEX["МА" if subject in ("МАБ", "МАП") else subject]


#: Subjects taught per grade (the curriculum used for classes.csv and the journal).
CURRICULUM: dict[int, tuple[str, ...]] = {
    1: ("РУ", "МА", "ОМ"),
    2: ("РУ", "МА", "ОМ", "АЯ"),
    3: ("РУ", "МА", "ОМ", "АЯ"),
    4: ("РУ", "МА", "ОМ", "АЯ"),
    5: ("РУ", "ЛИ", "МА", "ИС", "БИ", "ГЕ", "АЯ"),
    6: ("РУ", "ЛИ", "МА", "ИС", "ОБ", "БИ", "ГЕ", "АЯ"),
    7: ("РУ", "ЛИ", "МА", "ИС", "ОБ", "БИ", "ГЕ", "ФИ", "ИН", "АЯ"),
    8: ("РУ", "ЛИ", "МА", "ИС", "ОБ", "БИ", "ГЕ", "ФИ", "ХИ", "ИН", "АЯ"),
    9: ("РУ", "ЛИ", "МА", "ИС", "ОБ", "БИ", "ГЕ", "ФИ", "ХИ", "ИН", "АЯ"),
    10: ("РУ", "ЛИ", "МА", "ИС", "ОБ", "БИ", "ГЕ", "ФИ", "ХИ", "ИН", "АЯ"),
    11: ("РУ", "ЛИ", "МА", "ИС", "ОБ", "БИ", "ГЕ", "ФИ", "ХИ", "ИН", "АЯ"),
}

#: Kinds of planted truth, in the order schools are allotted to them.
PLANTED_KINDS: tuple[str, ...] = (
    "low_results",
    "unconfirmed_high",
    "bunching",
    "difficulty_inversion",
    "journal_mismatch",
    "year_swing",
    "misfit",
    "medals_unconfirmed",
    "teacher_deficit",
)

@dataclass(frozen=True)
class GeneratorConfig:
    """What to generate. The defaults give a one-municipality demo of 25 schools."""

    schools: int = 25
    seed: int = 1
    #: Calendar year in which the school year ends (ВПР are written in spring of that year).
    years: tuple[int, ...] = (2024, 2025, 2026)
    #: Mean school size; sizes vary by type (rural НОШ ~30, big urban СОШ 900+).
    students_per_school: int = 480
    #: "xlsx" — ФИС ОКО files per work; "csv" — one canonical long CSV per year.
    vpr_format: str = "xlsx"
    region_name: str = "Демонстрационная область"
    region_code: str = "99"
    #: Share of schools per planted kind (at least one school per kind when possible).
    anomaly_share: float = 0.06
    #: Share of schools kept free of any planted anomaly.
    min_clean_share: float = 0.25
    #: Share of schools with adverse social context (top quartile of disadvantage).
    adverse_share: float = 0.25
    #: Range of the share of pupils absent from a ВПР (drawn per school and work).
    absent_share: tuple[float, float] = (0.02, 0.04)
    #: Range of the yearly share of ВПР works with public observers.
    observer_coverage: tuple[float, float] = (0.6, 0.9)
    #: Plant anomalies at all (False gives a region of clean schools only).
    plant: bool = True

    def __post_init__(self) -> None:
        if self.schools < 1:
            raise ValueError("schools must be >= 1")
        if self.seed < 0:
            raise ValueError("seed must be >= 0")
        if not self.years or sorted(set(self.years)) != list(self.years):
            raise ValueError("years must be a non-empty increasing tuple")
        if self.vpr_format not in ("xlsx", "csv"):
            raise ValueError("vpr_format must be 'xlsx' or 'csv'")
        if self.students_per_school < 20:
            raise ValueError("students_per_school must be >= 20")
        if not (self.region_code.isdigit() and len(self.region_code) == 2):
            raise ValueError("region_code must be two digits")
        if not 0.0 <= self.anomaly_share <= 0.2:
            raise ValueError("anomaly_share must be within [0, 0.2]")

    @property
    def all_years(self) -> tuple[int, ...]:
        """Every school year simulated (the span of ``years``, so cohorts stay linked)."""
        return tuple(range(self.years[0], self.years[-1] + 1))

    def to_dict(self) -> dict[str, Any]:
        """Return the configuration as JSON-ready data."""
        data = asdict(self)
        data["years"] = list(self.years)
        data["absent_share"] = list(self.absent_share)
        data["observer_coverage"] = list(self.observer_coverage)
        return data


def school_year_label(year: int) -> str:
    """Return ``2024/2025`` for the school year ending in 2025."""
    return f"{year - 1}/{year}"


def make_rng(seed: int, *names: str | int) -> np.random.Generator:
    """Return an independent generator for the stream called ``names`` under ``seed``."""
    keys = [seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF]
    keys.extend(zlib.crc32(str(name).encode("utf-8")) for name in names)
    return np.random.default_rng(np.random.SeedSequence(keys))
