"""Structures and scales of the simulated works: ВПР, ОГЭ and ЕГЭ.

The structures do not depend on the generator seed: a work has the same tasks, difficulty
parameters and mark scale in every run and every year, so the scales can be stated in the truth
and loaded as methodology data.

* ВПР «Русский язык, 4 класс» uses the real 2026 structure (12 tasks, max 24) and scale
  10 / 16 / 21. Other ВПР works have invented but plausible structures (10–20 tasks, numbers such
  as ``9.1``), and their boundaries are set at the 8 %, 43 % and 82 % quantiles of a reference
  population, which gives about 8 % «2», 35 % «3», 39 % «4» and 18 % «5».
* ОГЭ mathematics (max 31; 8 / 15 / 22 and at least 2 geometry points for «3»–«5») and Russian
  (max 37; 15 / 26 / 33; «4» needs ≥ 6 literacy points ГК1–ГК4, «5» needs ≥ 9) use the 2026
  scales. Electives have invented structures with the 2026 minimum primary scores for «3».
* ЕГЭ profile mathematics uses the 2025 primary→test table from shared/realdata/exam-scales;
  Russian and electives use monotone tables defined here; basic mathematics gives a mark.

Difficulties are calibrated once per process against a reference population θ ~ N(μ, 1).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from soko.lib.generator.config import SUBJECT_NAMES, make_rng
from soko.lib.generator.model import Array, marks_from_boundaries, probabilities

STRUCTURE_SEED = 20260101
LEVEL_RANGES: dict[str, tuple[float, float]] = {
    "Б": (-1.3, -0.5),
    "П": (-0.1, 0.5),
    "В": (0.7, 1.2),
}


@dataclass(frozen=True)
class TaskSpec:
    """One task (or marking criterion) of a work."""

    number: str
    max_score: int
    level: str
    skill: str
    a: float
    b: float

    @property
    def header(self) -> str:
        """Return the column header, e.g. ``9.1 (1б)``."""
        return f"{self.number} ({self.max_score}б)"


@dataclass(frozen=True)
class WorkSpec:
    """A work (КИМ): procedure × subject × grade with its tasks and scale."""

    procedure: str
    subject: str
    grade: int
    tasks: tuple[TaskSpec, ...]
    #: Minimum primary score for «3», «4», «5» (ВПР, ОГЭ, ЕГЭ basic mathematics).
    boundaries: tuple[int, int, int] | None = None
    #: "plain", "oge_ma" (geometry condition) or "oge_ru" (literacy condition).
    rule: str = "plain"
    #: Number of leading one-point tasks written as the «Ответы части 1» string.
    part1: int = 0
    #: ЕГЭ primary → test score (index = primary score).
    test_table: tuple[int, ...] | None = None
    #: ЕГЭ minimum test score.
    min_test: int | None = None
    #: Task positions whose points count for the extra condition (geometry / literacy).
    condition_tasks: tuple[int, ...] = field(default=())

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.procedure, self.subject, self.grade)

    @property
    def title(self) -> str:
        """Return ``ВПР 2025 Математика 5 класс`` without the year: ``Математика 5 класс``."""
        return f"{SUBJECT_NAMES[self.subject]} {self.grade} класс"

    @functools.cached_property
    def a(self) -> Array:
        return np.array([t.a for t in self.tasks])

    @functools.cached_property
    def b(self) -> Array:
        return np.array([t.b for t in self.tasks])

    @functools.cached_property
    def maxes(self) -> Array:
        return np.array([t.max_score for t in self.tasks], dtype=np.int16)

    @property
    def max_score(self) -> int:
        return int(sum(t.max_score for t in self.tasks))

    @functools.cached_property
    def levels(self) -> Array:
        return np.array([t.level for t in self.tasks])

    def skills(self) -> dict[str, list[int]]:
        """Return skill text → task positions, in task order."""
        out: dict[str, list[int]] = {}
        for i, task in enumerate(self.tasks):
            out.setdefault(task.skill, []).append(i)
        return out

    def marks(self, scores: Array, primary: Array) -> Array:
        """Return marks 2–5 following the scale and its extra conditions exactly."""
        assert self.boundaries is not None
        marks = marks_from_boundaries(primary, self.boundaries)
        if self.rule == "oge_ma":
            geometry = scores[:, list(self.condition_tasks)].sum(axis=1)
            marks[geometry < 2] = 2
        elif self.rule == "oge_ru":
            literacy = scores[:, list(self.condition_tasks)].sum(axis=1)
            marks[(marks == 5) & (literacy < 9)] = 4
            marks[(marks == 4) & (literacy < 6)] = 3
        return marks

    def test_scores(self, primary: Array) -> Array:
        """Return ЕГЭ test scores for primary scores."""
        assert self.test_table is not None
        table = np.array(self.test_table, dtype=np.int16)
        out: Array = table[primary]
        return out

    def scale_dict(self) -> dict[str, Any]:
        """Return the scale and structure as JSON-ready data (for truth.json)."""
        data: dict[str, Any] = {
            "procedure": self.procedure,
            "subject": self.subject,
            "grade": self.grade,
            "max_primary": self.max_score,
            "tasks": [
                {"number": t.number, "max": t.max_score, "level": t.level, "skill": t.skill}
                for t in self.tasks
            ],
        }
        if self.boundaries is not None:
            data["mark_boundaries"] = {
                "3": self.boundaries[0], "4": self.boundaries[1], "5": self.boundaries[2],
            }
        if self.rule == "oge_ma":
            data["condition"] = (
                "«3», «4», «5» — только при не менее 2 баллах за задания по геометрии "
                "(15–19, 23–25); иначе «2»"
            )
            data["condition_tasks"] = [self.tasks[i].number for i in self.condition_tasks]
        if self.rule == "oge_ru":
            data["condition"] = (
                "«4» — при не менее 6 баллах по ГК1–ГК4, иначе «3»; "
                "«5» — при не менее 9 баллах по ГК1–ГК4, иначе «4»"
            )
            data["condition_tasks"] = [self.tasks[i].number for i in self.condition_tasks]
        if self.part1:
            data["part1_tasks"] = [t.number for t in self.tasks[: self.part1]]
        if self.test_table is not None:
            data["primary_to_test"] = list(self.test_table)
            data["min_test"] = self.min_test
        return data


# ---------------------------------------------------------------------------------------------
# ВПР task lists: (number, max, level, skill)

Row = tuple[str, int, str, str]

_RU4: list[Row] = [
    ("1", 2, "Б", "Писать под диктовку текст в соответствии с изученными правилами правописания"),
    ("2", 1, "Б", "Распознавать однородные члены предложения"),
    ("3", 2, "Б", "Проводить разбор слова по составу"),
    ("4", 3, "Б", "Распознавать части речи и определять их грамматические признаки"),
    ("5", 2, "Б", "Соблюдать орфоэпические нормы, правильно ставить ударение"),
    ("6", 1, "Б", "Определять вид предложения по цели высказывания и по интонации"),
    ("7", 1, "Б", "Проводить звуко-буквенный разбор слова"),
    ("8", 2, "П", "Определять тему и основную мысль текста"),
    ("9", 3, "П", "Составлять план текста, делить текст на смысловые части"),
    ("10", 3, "П", "Задавать вопросы по содержанию текста и отвечать на них"),
    ("11", 1, "Б", "Распознавать значение слова в контексте, подбирать синонимы"),
    ("12", 3, "В", "Интерпретировать информацию текста, строить речевое высказывание"),
]

_MA4: list[Row] = [
    ("1", 1, "Б", "Выполнять арифметические действия с числами"),
    ("2", 1, "Б", "Вычислять значение числового выражения"),
    ("3", 2, "Б", "Решать текстовые задачи в одно-два действия"),
    ("4", 2, "Б", "Использовать единицы величин (время, длина, масса)"),
    ("5.1", 1, "Б", "Вычислять периметр и площадь прямоугольника"),
    ("5.2", 1, "Б", "Изображать геометрические фигуры"),
    ("6.1", 1, "Б", "Читать и интерпретировать таблицы и диаграммы"),
    ("6.2", 1, "П", "Читать и интерпретировать таблицы и диаграммы"),
    ("7", 1, "Б", "Выполнять письменно действия с многозначными числами"),
    ("8", 2, "П", "Решать текстовые задачи в три-четыре действия"),
    ("9.1", 1, "П", "Интерпретировать информацию, полученную при несложных исследованиях"),
    ("9.2", 1, "П", "Интерпретировать информацию, полученную при несложных исследованиях"),
    ("10", 2, "П", "Описывать взаимное расположение предметов на плоскости"),
    ("11", 1, "П", "Выполнять построение геометрических фигур с заданными измерениями"),
    ("12", 2, "В", "Решать логические задачи и задачи повышенной трудности"),
]

_OM4: list[Row] = [
    ("1", 2, "Б", "Узнавать изученные объекты и явления живой и неживой природы"),
    ("2", 2, "Б", "Использовать знаково-символические средства: карта, план, глобус"),
    ("3.1", 1, "Б", "Понимать информацию, представленную в таблице или схеме"),
    ("3.2", 1, "П", "Понимать информацию, представленную в таблице или схеме"),
    ("4", 2, "Б", "Сравнивать объекты природы, выделять их существенные признаки"),
    ("5", 2, "Б", "Использовать готовые модели для объяснения явлений природы"),
    ("6.1", 1, "Б", "Проводить несложные наблюдения и опыты, делать выводы"),
    ("6.2", 1, "П", "Проводить несложные наблюдения и опыты, делать выводы"),
    ("6.3", 2, "В", "Проводить несложные наблюдения и опыты, делать выводы"),
    ("7", 2, "П", "Описывать изученные объекты и явления по предложенному плану"),
    ("8", 2, "П", "Соблюдать правила безопасного поведения дома, на улице, в природе"),
    ("9", 2, "П", "Оценивать характер взаимоотношений людей в социальных группах"),
    ("10.1", 1, "Б", "Узнавать государственную символику России и своего региона"),
    ("10.2", 2, "В", "Рассказывать о достопримечательностях и истории родного края"),
]

_RU_BASIC: list[Row] = [
    ("1.1", 3, "Б", "Соблюдать орфографические нормы при письме под диктовку"),
    ("1.2", 3, "Б", "Соблюдать пунктуационные нормы при письме под диктовку"),
    ("2", 3, "П", "Проводить морфемный, словообразовательный и морфологический разбор"),
    ("3", 2, "Б", "Соблюдать орфоэпические нормы, правильно ставить ударение"),
    ("4", 3, "Б", "Распознавать части речи и их грамматические признаки"),
    ("5", 2, "Б", "Ставить знаки препинания в предложениях с однородными членами и обращением"),
    ("6", 2, "П", "Распознавать сложные предложения, обосновывать знаки препинания"),
    ("7", 2, "Б", "Определять тему и основную мысль текста"),
    ("8", 2, "П", "Составлять план текста, выделять микротемы"),
    ("9", 1, "Б", "Определять лексическое значение слова в контексте"),
    ("10", 2, "П", "Находить и интерпретировать информацию текста"),
    ("11", 2, "В", "Строить речевое высказывание на основе прочитанного текста"),
    ("12.1", 1, "П", "Подбирать синонимы и антонимы, определять стилистическую окраску слова"),
    ("12.2", 1, "П", "Подбирать синонимы и антонимы, определять стилистическую окраску слова"),
    ("13", 2, "В", "Объяснять значение фразеологизма в ситуации общения"),
    ("14", 2, "П", "Распознавать виды подчинительной связи в словосочетаниях"),
    ("15", 2, "В", "Распознавать грамматическую основу и типы односоставных предложений"),
]
_RU_COUNT = {5: 12, 6: 14, 7: 15, 8: 17}

_MA_BASIC: list[Row] = [
    ("1", 1, "Б", "Оперировать понятием натурального числа, признаками делимости"),
    ("2", 1, "Б", "Выполнять действия с обыкновенными дробями"),
    ("3", 1, "Б", "Выполнять действия с десятичными дробями"),
    ("4", 1, "Б", "Находить часть числа и число по его части"),
    ("5", 1, "Б", "Решать задачи на проценты"),
    ("6.1", 1, "Б", "Читать информацию, представленную в таблице или на диаграмме"),
    ("6.2", 1, "П", "Читать информацию, представленную в таблице или на диаграмме"),
    ("7", 1, "Б", "Вычислять значение числового выражения"),
    ("8", 2, "П", "Решать текстовые задачи на движение и работу"),
    ("9", 2, "П", "Выполнять вычисления с рациональными числами"),
    ("10", 2, "П", "Решать несложные логические задачи"),
    ("11", 1, "Б", "Оперировать понятиями геометрических фигур"),
    ("12", 2, "П", "Вычислять площади и периметры фигур"),
    ("13", 1, "П", "Изображать геометрические фигуры, выполнять построения"),
    ("14", 2, "В", "Решать задачи разных типов, связывающих три величины"),
    ("15", 2, "В", "Решать задачи повышенной трудности, выбирая способ решения"),
    ("16", 1, "П", "Решать линейные уравнения"),
    ("17", 2, "П", "Строить и читать графики линейных функций"),
    ("18", 2, "В", "Решать геометрические задачи с доказательством"),
]
_MA_COUNT = {5: 15, 6: 16, 7: 18, 8: 19}

_IS_BASIC: list[Row] = [
    ("1", 1, "Б", "Соотносить исторические события с датами и периодами"),
    ("2", 1, "Б", "Находить объекты на исторической карте"),
    ("3", 1, "Б", "Определять значение исторических терминов и понятий"),
    ("4", 2, "П", "Извлекать информацию из исторической карты"),
    ("5", 2, "П", "Работать с историческим источником, извлекать из него информацию"),
    ("6", 2, "Б", "Распознавать памятники культуры изучаемой эпохи"),
    ("7", 2, "П", "Характеризовать исторических деятелей и их вклад"),
    ("8", 2, "П", "Устанавливать причинно-следственные связи исторических событий"),
    ("9", 2, "В", "Объяснять значение исторических событий для истории России"),
    ("10", 3, "В", "Аргументировать собственную точку зрения по историческому вопросу"),
    ("11", 1, "Б", "Знать историю родного края"),
    ("12", 2, "П", "Сравнивать исторические события и явления"),
]
_IS_COUNT = {5: 10, 6: 11, 7: 12, 8: 12}

_BI_BASIC: list[Row] = [
    ("1.1", 1, "Б", "Различать на рисунках изученные биологические объекты"),
    ("1.2", 1, "Б", "Различать на рисунках изученные биологические объекты"),
    ("2", 2, "Б", "Описывать признаки живых организмов"),
    ("3", 1, "Б", "Устанавливать последовательность процессов жизнедеятельности"),
    ("4", 2, "П", "Извлекать информацию из текста биологического содержания"),
    ("5", 2, "П", "Объяснять результаты биологических наблюдений и опытов"),
    ("6", 2, "Б", "Классифицировать организмы, определять их систематическое положение"),
    ("7", 2, "П", "Анализировать данные, представленные в таблице или на диаграмме"),
    ("8", 2, "П", "Объяснять роль организмов в природе и жизни человека"),
    ("9", 3, "В", "Объяснять явления природы на основе биологических знаний"),
    ("10.1", 1, "Б", "Применять правила здорового образа жизни"),
    ("10.2", 2, "В", "Применять правила здорового образа жизни"),
    ("11", 2, "П", "Устанавливать взаимосвязь строения и функций органов"),
    ("12", 2, "В", "Аргументировать выводы на основе биологических знаний"),
]
_BI_COUNT = {5: 10, 6: 11, 7: 12, 8: 14}

_GE_BASIC: list[Row] = [
    ("1.1", 1, "Б", "Определять географические координаты и положение объектов на карте"),
    ("1.2", 2, "П", "Определять географические координаты и положение объектов на карте"),
    ("2", 2, "Б", "Читать топографическую карту и план местности"),
    ("3", 2, "П", "Определять расстояния и направления по карте"),
    ("4", 2, "Б", "Распознавать природные явления и процессы по описанию"),
    ("5", 2, "П", "Анализировать климатограммы и графики"),
    ("6", 2, "П", "Устанавливать причинно-следственные связи природных процессов"),
    ("7", 1, "Б", "Знать особенности природы материков и океанов"),
    ("8", 2, "П", "Работать с таблицами статистических данных"),
    ("9", 3, "В", "Объяснять географические явления, приводить аргументы"),
    ("10.1", 1, "Б", "Знать географию своего региона"),
    ("10.2", 2, "В", "Знать географию своего региона"),
]
_GE_COUNT = {5: 9, 6: 10, 7: 12, 8: 12}

_OB_BASIC: list[Row] = [
    ("1.1", 1, "Б", "Использовать знания о биологическом и социальном в человеке"),
    ("1.2", 2, "П", "Использовать знания о биологическом и социальном в человеке"),
    ("2", 1, "Б", "Определять понятия и термины обществознания"),
    ("3", 2, "П", "Анализировать результаты социологического опроса"),
    ("4", 2, "Б", "Характеризовать роль семьи и общества в жизни человека"),
    ("5", 2, "П", "Объяснять взаимосвязь экономических явлений"),
    ("6", 2, "П", "Применять знания о правах и обязанностях граждан"),
    ("7", 2, "Б", "Распознавать признаки государства и формы правления"),
    ("8", 3, "В", "Аргументировать собственное мнение по общественной проблеме"),
    ("9", 2, "П", "Работать с текстом обществоведческого содержания"),
    ("10", 2, "В", "Применять обществоведческие знания в жизненных ситуациях"),
]
_OB_COUNT = {6: 9, 7: 10, 8: 11}

_FI8: list[Row] = [
    ("1", 1, "Б", "Распознавать физические явления и величины"),
    ("2", 1, "Б", "Использовать единицы физических величин"),
    ("3", 1, "Б", "Читать графики зависимости физических величин"),
    ("4", 1, "Б", "Снимать показания измерительных приборов"),
    ("5", 1, "Б", "Распознавать тепловые явления"),
    ("6", 2, "П", "Решать расчётные задачи в одно-два действия"),
    ("7", 2, "П", "Анализировать результаты эксперимента"),
    ("8", 2, "П", "Объяснять физические явления в окружающей жизни"),
    ("9", 2, "П", "Решать расчётные задачи с использованием формул"),
    ("10", 3, "В", "Решать комбинированные задачи, оценивать результат"),
    ("11", 3, "В", "Решать качественные задачи, строить объяснение"),
]

_XI8: list[Row] = [
    ("1.1", 1, "Б", "Различать чистые вещества и смеси"),
    ("1.2", 1, "Б", "Различать чистые вещества и смеси"),
    ("2", 2, "Б", "Различать физические и химические явления"),
    ("3", 2, "Б", "Определять состав веществ по формулам"),
    ("4", 2, "П", "Вычислять массовую долю элемента в веществе"),
    ("5", 2, "П", "Классифицировать неорганические вещества"),
    ("6", 2, "П", "Составлять уравнения химических реакций"),
    ("7", 2, "П", "Характеризовать свойства простых и сложных веществ"),
    ("8", 3, "В", "Проводить расчёты по уравнению реакции"),
    ("9", 2, "П", "Соблюдать правила безопасной работы в лаборатории"),
    ("10", 3, "В", "Объяснять явления на основе химических знаний"),
]

_VPR_ROWS: dict[str, tuple[list[Row], dict[int, int]]] = {
    "РУ": (_RU_BASIC, _RU_COUNT),
    "МА": (_MA_BASIC, _MA_COUNT),
    "ИС": (_IS_BASIC, _IS_COUNT),
    "БИ": (_BI_BASIC, _BI_COUNT),
    "ГЕ": (_GE_BASIC, _GE_COUNT),
    "ОБ": (_OB_BASIC, _OB_COUNT),
    "ФИ": (_FI8, {8: len(_FI8)}),
    "ХИ": (_XI8, {8: len(_XI8)}),
}

#: ВПР electives per grade: (social group, natural group); each class writes one of each.
VPR_ELECTIVES: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {
    5: (("ИС",), ("БИ", "ГЕ")),
    6: (("ИС", "ОБ"), ("БИ", "ГЕ")),
    7: (("ИС", "ОБ"), ("БИ", "ГЕ")),
    8: (("ИС", "ОБ"), ("БИ", "ГЕ", "ФИ", "ХИ")),
}
VPR_GRADES: tuple[int, ...] = (4, 5, 6, 7, 8)
VPR_MARK_QUANTILES = (0.08, 0.43, 0.82)


def vpr_subjects(grade: int) -> tuple[str, ...]:
    """Return every ВПР subject written in ``grade`` (mandatory first)."""
    if grade == 4:
        return ("РУ", "МА", "ОМ")
    social, natural = VPR_ELECTIVES[grade]
    return ("РУ", "МА", *social, *natural)


def _tasks(procedure: str, subject: str, grade: int, rows: list[Row]) -> tuple[TaskSpec, ...]:
    """Attach deterministic IRT parameters to task rows."""
    rng = make_rng(STRUCTURE_SEED, "tasks", procedure, subject, grade)
    out = []
    for number, max_score, level, skill in rows:
        lo, hi = LEVEL_RANGES[level]
        a = float(rng.uniform(0.8, 1.5))
        b = float(rng.uniform(lo, hi))
        out.append(TaskSpec(number, max_score, level, skill, round(a, 4), round(b, 4)))
    return tuple(out)


_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(20)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()
_OFFSETS = np.linspace(-3.5, 3.5, 36)


def total_pmf(theta: Array, a: Array, b: Array, maxes: Array) -> Array:
    """Return P(primary = t | θ) for every θ, shape (len(theta), max + 1).

    Exact convolution of the tasks' binomial distributions (local independence).
    """
    p = probabilities(theta, a, b)
    total = int(maxes.sum())
    dist = np.zeros((theta.size, total + 1))
    dist[:, 0] = 1.0
    reach = 0
    for j, m in enumerate(int(x) for x in maxes):
        pj = p[:, j]
        new = np.zeros_like(dist)
        for s in range(m + 1):
            weight = math.comb(m, s) * pj**s * (1.0 - pj) ** (m - s)
            new[:, s : reach + s + 1] += weight[:, None] * dist[:, : reach + 1]
        dist = new
        reach += m
    return dist


def marginal_pmf(work: WorkSpec, mean: float, offsets: Array | None = None,
                 scale: float = 1.0) -> Array:
    """Return the primary-score distribution for θ ~ N(mean, 1), one row per offset.

    ``offsets`` shift every difficulty; ``scale`` multiplies every discrimination.
    """
    offs = np.zeros(1) if offsets is None else offsets
    theta = (mean + _NODES[None, :] - offs[:, None]).ravel()
    dist = total_pmf(theta, work.a * scale, work.b, work.maxes)
    dist = dist.reshape(offs.size, _NODES.size, -1)
    out: Array = np.einsum("onk,n->ok", dist, _WEIGHTS)
    return out


def _share_below(pmf: Array, score: int) -> Array:
    out: Array = pmf[..., :score].sum(axis=-1)
    return out


def _offset_for(work: WorkSpec, mean: float, low: int, low_share: float,
                scale: float) -> float:
    """Return the difficulty offset giving ``low_share`` of primary scores below ``low``."""
    shares = _share_below(marginal_pmf(work, mean, _OFFSETS, scale), low)
    return float(np.interp(low_share, shares, _OFFSETS))


def _rescaled(work: WorkSpec, offset: float, scale: float) -> WorkSpec:
    tasks = tuple(
        TaskSpec(t.number, t.max_score, t.level, t.skill, round(t.a * scale, 4),
                 round(t.b + offset, 4))
        for t in work.tasks
    )
    return replace(work, tasks=tasks)


def _calibrate(work: WorkSpec, mean: float, low: int, low_share: float,
               high: int | None = None, high_share: float = 0.0) -> WorkSpec:
    """Shift (and, with ``high``, rescale) the tasks so that a reference population
    θ ~ N(mean, 1) has ``low_share`` primary scores below ``low`` and ``high_share`` at or
    above ``high``."""
    if high is None:
        return _rescaled(work, _offset_for(work, mean, low, low_share, 1.0), 1.0)
    lo, hi = 0.25, 3.0
    for _ in range(12):
        scale = (lo + hi) / 2
        offset = _offset_for(work, mean, low, low_share, scale)
        pmf = marginal_pmf(work, mean, np.array([offset]), scale)[0]
        top = 1.0 - float(_share_below(pmf, high))
        if top < high_share:
            lo = scale
        else:
            hi = scale
    scale = (lo + hi) / 2
    return _rescaled(work, _offset_for(work, mean, low, low_share, scale), scale)


def _quantile_scores(pmf: Array, quantiles: tuple[float, ...]) -> tuple[int, ...]:
    """Return strictly increasing scores whose «share below» is closest to each quantile."""
    below = np.concatenate([[0.0], np.cumsum(pmf)[:-1]])
    out: list[int] = []
    lowest = 1
    for q in quantiles:
        candidates = np.arange(lowest, pmf.size)
        best = int(candidates[np.argmin(np.abs(below[candidates] - q))])
        out.append(best)
        lowest = best + 1
    return tuple(out)


@functools.cache
def vpr_work(subject: str, grade: int) -> WorkSpec:
    """Return the ВПР work for subject × grade (cached, seed-independent)."""
    if grade == 4:
        rows = {"РУ": _RU4, "МА": _MA4, "ОМ": _OM4}[subject]
    else:
        base, counts = _VPR_ROWS[subject]
        rows = base[: counts[grade]]
    work = WorkSpec("ВПР", subject, grade, _tasks("ВПР", subject, grade, rows))
    if subject == "РУ" and grade == 4:
        work = replace(work, boundaries=(10, 16, 21))
        return _calibrate(work, 0.0, 10, 0.08, 21, 0.18)
    pmf = marginal_pmf(work, 0.0)[0]
    b3, b4, b5 = _quantile_scores(pmf, VPR_MARK_QUANTILES)
    return replace(work, boundaries=(b3, b4, b5))


# ---------------------------------------------------------------------------------------------
# ОГЭ

_SHORT = "Задание с кратким ответом"
_LONG = "Задание с развёрнутым ответом"

#: ОГЭ electives: (max of part-2 tasks, boundaries 3/4/5, total max). «3» is the 2026 minimum
#: primary score; «4» and «5» are plausible inventions.
_OGE_ELECTIVES: dict[str, tuple[tuple[int, ...], tuple[int, int, int], int]] = {
    "ИН": ((2, 3, 2), (5, 11, 16), 19),
    "ОБ": ((2, 2, 3, 2, 3, 2, 3, 2, 2, 2), (14, 24, 31), 37),
    "БИ": ((2, 2, 3, 2, 3, 3, 2, 3, 3, 2, 3, 3), (13, 25, 37), 48),
    "ГЕ": ((2, 2, 2, 2), (12, 19, 25), 31),
    "ХИ": ((2, 2, 2, 2, 3, 3, 4, 4, 3), (10, 21, 31), 40),
    "ФИ": ((2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3), (10, 22, 33), 45),
    "ИС": ((2, 2, 2, 3, 3, 3, 2, 2, 3, 3), (11, 21, 30), 37),
    "АЯ": ((6, 7, 10), (29, 46, 58), 68),
}
#: ОГЭ electives and their popularity weights.
OGE_ELECTIVE_WEIGHTS: dict[str, float] = {
    "ОБ": 0.50, "ИН": 0.36, "ГЕ": 0.34, "БИ": 0.24, "ХИ": 0.10, "ФИ": 0.10, "ИС": 0.05,
    "АЯ": 0.09,
}


def _part_rows(n1: int, part2: tuple[int, ...]) -> list[Row]:
    rows: list[Row] = []
    for i in range(1, n1 + 1):
        level = "Б" if i <= round(n1 * 0.7) else "П"
        rows.append((str(i), 1, level, _SHORT))
    for j, m in enumerate(part2):
        level = "П" if j < len(part2) / 2 else "В"
        rows.append((str(n1 + j + 1), m, level, _LONG))
    return rows


def _oge_ma_rows() -> list[Row]:
    skills = {
        1: "Практико-ориентированная задача", 6: "Вычисления с дробями и степенями",
        7: "Числа на координатной прямой", 8: "Преобразование выражений",
        9: "Уравнения", 10: "Вероятность и статистика", 11: "Функции и графики",
        12: "Расчёты по формулам", 13: "Неравенства", 14: "Прогрессии",
        15: "Геометрия: треугольники", 16: "Геометрия: окружность",
        17: "Геометрия: четырёхугольники", 18: "Геометрия на клетчатой бумаге",
        19: "Анализ геометрических утверждений", 20: "Алгебраические выражения и уравнения",
        21: "Текстовая задача", 22: "Функции и их графики",
        23: "Геометрическая задача на вычисление", 24: "Геометрическая задача на доказательство",
        25: "Геометрическая задача повышенной сложности",
    }
    rows: list[Row] = []
    for i in range(1, 26):
        skill = skills.get(i, skills[1] if i <= 5 else "")
        level = "Б" if i <= 19 else ("П" if i in (20, 21, 23) else "В")
        rows.append((str(i), 1 if i <= 19 else 2, level, skill))
    return rows


def _oge_ru_rows() -> list[Row]:
    rows: list[Row] = [
        (str(i), 1, "Б" if i <= 7 else "П", "Языковой анализ текста") for i in range(1, 12)
    ]
    rows += [
        ("12", 6, "П", "Сжатое изложение"),
        ("13", 10, "П", "Сочинение-рассуждение"),
        ("ГК1", 3, "П", "Соблюдение орфографических норм"),
        ("ГК2", 3, "П", "Соблюдение пунктуационных норм"),
        ("ГК3", 2, "П", "Соблюдение грамматических норм"),
        ("ГК4", 2, "П", "Соблюдение речевых норм"),
    ]
    return rows


@functools.cache
def oge_work(subject: str) -> WorkSpec:
    """Return the ОГЭ work for a subject (cached, seed-independent)."""
    if subject == "МА":
        tasks = _tasks("ОГЭ", subject, 9, _oge_ma_rows())
        geometry = tuple(i for i, t in enumerate(tasks) if int(t.number) in GEOMETRY_TASKS)
        work = WorkSpec("ОГЭ", "МА", 9, tasks, (8, 15, 22), "oge_ma", 19,
                        condition_tasks=geometry)
        return _calibrate(work, 0.0, 8, 0.06, 22, 0.18)
    if subject == "РУ":
        tasks = _tasks("ОГЭ", subject, 9, _oge_ru_rows())
        literacy = tuple(i for i, t in enumerate(tasks) if t.number.startswith("ГК"))
        work = WorkSpec("ОГЭ", "РУ", 9, tasks, (15, 26, 33), "oge_ru", 11,
                        condition_tasks=literacy)
        return _calibrate(work, 0.0, 15, 0.035, 33, 0.30)
    part2, boundaries, total = _OGE_ELECTIVES[subject]
    n1 = total - sum(part2)
    work = WorkSpec("ОГЭ", subject, 9, _tasks("ОГЭ", subject, 9, _part_rows(n1, part2)),
                    boundaries, part1=n1)
    return _calibrate(work, 0.2, boundaries[0], 0.05, boundaries[2], 0.18)


GEOMETRY_TASKS = frozenset({15, 16, 17, 18, 19, 23, 24, 25})


# ---------------------------------------------------------------------------------------------
# ЕГЭ

#: Profile mathematics 2025, primary 0–32 → test (shared/realdata/exam-scales, secondary source).
EGE_MATH_PROFILE_TABLE: tuple[int, ...] = (
    0, 6, 11, 17, 22, 27, 34, 40, 46, 52, 58, 64, 70, 72, 74, 76, 78, 80, 82, 84, 86, 88, 90,
    92, 94, 95, 96, 97, 98, 99, 100, 100, 100,
)
#: ЕГЭ 2026 minimum test scores (Русский язык: 24 for the certificate, 36 for universities).
EGE_MIN_TEST: dict[str, int] = {
    "РУ": 24, "МАП": 27, "ФИ": 36, "ХИ": 36, "БИ": 36, "ИН": 40, "ИС": 32, "ЛИ": 32,
    "ГЕ": 37, "ОБ": 42, "АЯ": 22,
}
#: ЕГЭ electives: (part-2 maxes, total max). The primary→test table passes through the
#: minimum test score at the 12 % quantile of the reference population and 86 at the 90 % one.
_EGE_ELECTIVES: dict[str, tuple[tuple[int, ...], int]] = {
    "ОБ": ((2, 3, 2, 3, 3, 4, 2, 3, 3, 3, 4, 6), 58),
    "ФИ": ((2, 2, 2, 2, 2, 3, 3, 3, 3, 3), 45),
    "ХИ": ((2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 4, 4, 4, 2), 56),
    "БИ": ((2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3), 57),
    "ИН": ((2, 2), 29),
    "ИС": ((2, 2, 2, 2, 3, 3, 3, 2, 3, 4, 4), 42),
    "АЯ": ((6, 14, 7, 5, 10), 82),
    "ЛИ": ((3, 3, 3, 3, 8, 8, 8), 48),
    "ГЕ": ((2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3), 43),
}
#: ЕГЭ electives and their popularity weights.
EGE_ELECTIVE_WEIGHTS: dict[str, float] = {
    "ОБ": 0.45, "ФИ": 0.20, "ХИ": 0.14, "БИ": 0.20, "ИН": 0.25, "ИС": 0.15, "АЯ": 0.12,
    "ЛИ": 0.06, "ГЕ": 0.04,
}
#: ЕГЭ базовая математика: 21 one-point tasks, marks from 7 / 12 / 17.
EGE_BASE_BOUNDARIES = (7, 12, 17)


def _table(total: int, anchors: list[tuple[int, int]]) -> tuple[int, ...]:
    """Return a monotone primary→test table through ``anchors`` (piecewise linear)."""
    xs = [x for x, _ in anchors]
    ys = [y for _, y in anchors]
    values = np.rint(np.interp(np.arange(total + 1), xs, ys)).astype(int)
    values = np.maximum.accumulate(values)
    return tuple(int(v) for v in values)


def ege_primary_for(work: WorkSpec, test: int) -> int:
    """Return the lowest primary score that gives at least ``test`` points."""
    assert work.test_table is not None
    for primary, value in enumerate(work.test_table):
        if value >= test:
            return primary
    return len(work.test_table)


@functools.cache
def ege_work(subject: str) -> WorkSpec:
    """Return the ЕГЭ work for a subject code (РУ, МАП, МАБ or an elective)."""
    if subject == "РУ":
        rows = [(str(i), 1, "Б" if i <= 18 else "П", _SHORT) for i in range(1, 27)]
        rows.append(("27", 24, "П", "Сочинение по прочитанному тексту"))
        table = _table(50, [(0, 0), (10, 24), (16, 36), (37, 70), (50, 100)])
        work = WorkSpec("ЕГЭ", "РУ", 11, _tasks("ЕГЭ", "РУ", 11, rows), part1=26,
                        test_table=table, min_test=EGE_MIN_TEST["РУ"])
        return _calibrate(work, 0.4, 10, 0.01, 37, 0.45)
    if subject == "МАП":
        rows = [(str(i), 1, "Б" if i <= 9 else "П", _SHORT) for i in range(1, 13)]
        rows += [(str(13 + j), m, "П" if j < 3 else "В", _LONG)
                 for j, m in enumerate((2, 3, 2, 2, 3, 4, 4))]
        work = WorkSpec("ЕГЭ", "МАП", 11, _tasks("ЕГЭ", "МАП", 11, rows), part1=12,
                        test_table=EGE_MATH_PROFILE_TABLE, min_test=EGE_MIN_TEST["МАП"])
        return _calibrate(work, 0.8, ege_primary_for(work, 27), 0.06,
                          ege_primary_for(work, 80), 0.12)
    if subject == "МАБ":
        rows = [(str(i), 1, "Б" if i <= 15 else "П", _SHORT) for i in range(1, 22)]
        work = WorkSpec("ЕГЭ", "МАБ", 11, _tasks("ЕГЭ", "МАБ", 11, rows),
                        boundaries=EGE_BASE_BOUNDARIES, part1=21)
        return _calibrate(work, -0.3, 7, 0.03, 17, 0.30)
    part2, total = _EGE_ELECTIVES[subject]
    n1 = total - sum(part2)
    work = WorkSpec("ЕГЭ", subject, 11, _tasks("ЕГЭ", subject, 11, _part_rows(n1, part2)),
                    part1=n1, min_test=EGE_MIN_TEST[subject])
    pmf = marginal_pmf(work, 0.5)[0]
    p_min, p_high = _quantile_scores(pmf, (0.12, 0.90))
    anchors = [(0, 0), (p_min, EGE_MIN_TEST[subject]), (p_high, 86), (total, 100)]
    return replace(work, test_table=_table(total, anchors))
