"""The nine directions of МСОКО and the nine steps of the management cycle (DESIGN §2).

Pure data and one pure function, :func:`infer_direction`, which reads a direction out of a
Russian heading («Приложение 2. Дорожная карта по направлению «Система работы со школами с
низкими результатами…»» → ``low_results``). No Django import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Direction:
    code: str
    number: str  # «1.1» in the ФИОКО structure; «—» for objectivity (a separate system)
    name: str  # full Russian name
    short: str  # short Russian label for tables


DIRECTIONS: Final[tuple[Direction, ...]] = (
    Direction("results", "1.1", "Система оценки качества подготовки обучающихся",
              "Качество подготовки"),
    Direction("low_results", "1.2",
              "Система работы со школами с низкими результатами обучения и/или школами, "
              "функционирующими в неблагоприятных социальных условиях", "ШНОР и ШНСУ"),
    Direction("talents", "1.3",
              "Система выявления, поддержки и развития способностей и талантов у детей и "
              "молодёжи", "Таланты"),
    Direction("career", "1.4",
              "Система работы по самоопределению и профессиональной ориентации обучающихся",
              "Профориентация"),
    Direction("objectivity", "ОБ",
              "Система обеспечения объективности процедур оценки качества образования и "
              "олимпиад школьников", "Объективность"),
    Direction("leaders", "2.1", "Система мониторинга эффективности руководителей ОО",
              "Руководители ОО"),
    Direction("teachers", "2.2",
              "Система обеспечения профессионального развития педагогических работников",
              "Педагоги"),
    Direction("upbringing", "2.3", "Система организации воспитания и социализации обучающихся",
              "Воспитание"),
    Direction("preschool", "2.4", "Система мониторинга качества дошкольного образования",
              "Дошкольное"),
)

DIRECTION_CODES: Final[tuple[str, ...]] = tuple(d.code for d in DIRECTIONS)
DIRECTION_BY_CODE: Final[dict[str, Direction]] = {d.code: d for d in DIRECTIONS}

#: A roadmap that covers more than one direction.
SEVERAL: Final = "several"
SEVERAL_LABEL: Final = "несколько направлений"

#: Choices for model fields: the nine directions plus «several».
DIRECTION_CHOICES: Final[list[tuple[str, str]]] = [
    *((d.code, f"{d.number} {d.name}") for d in DIRECTIONS),
    (SEVERAL, SEVERAL_LABEL),
]


@dataclass(frozen=True)
class Step:
    code: str
    number: int
    name: str


CYCLE_STEPS: Final[tuple[Step, ...]] = (
    Step("goals", 1, "Цели"),
    Step("indicators", 2, "Показатели"),
    Step("methods", 3, "Методы сбора информации"),
    Step("monitoring", 4, "Мониторинг"),
    Step("analysis", 5, "Анализ"),
    Step("recommendations", 6, "Адресные рекомендации"),
    Step("measures", 7, "Меры / мероприятия"),
    Step("decisions", 8, "Управленческие решения"),
    Step("effectiveness", 9, "Анализ эффективности принятых мер"),
)
STEP_CODES: Final[tuple[str, ...]] = tuple(s.code for s in CYCLE_STEPS)
STEP_BY_CODE: Final[dict[str, Step]] = {s.code: s for s in CYCLE_STEPS}

# Keyword rules, tried in order: the first rule with a matching pattern wins. Objectivity comes
# before talents («объективности … олимпиад школьников»), leaders before teachers
# («эффективности руководителей», not «руководители ОО» as actors).
_RULES: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("objectivity", (r"объективн",)),
    ("low_results", (r"низки\w*\s+(?:образовательн\w*\s+)?результат",
                     r"неблагоприятн\w*\s+социальн", r"\bшнор\b", r"\bшнро\b", r"\bшнсу\b",
                     r"\bшфнсу\b")),
    ("preschool", (r"дошкольн",)),
    ("leaders", (r"эффективност\w*\s+(?:деятельности\s+)?руководител",)),
    ("career", (r"самоопределени", r"профориентац", r"профессиональн\w*\s+ориентац")),
    ("talents", (r"способност", r"талант", r"одар[её]нн")),
    ("teachers", (r"профессиональн\w*\s+развити", r"педагогическ\w*\s+работник",
                  r"методическ\w*\s+работ", r"профессиональн\w*\s+мастерств")),
    ("upbringing", (r"воспитани", r"социализац", r"волонт")),
    ("results", (r"качеств\w*\s+подготовки", r"оценк\w*\s+качества\s+подготовки",
                 r"функциональн\w*\s+грамотност", r"\bвпр\b", r"\bгиа\b", r"\bогэ\b", r"\bегэ\b",
                 r"итогов\w*\)?\s+аттестац")),
)
_COMPILED: Final = tuple((code, tuple(re.compile(p) for p in pats)) for code, pats in _RULES)


def infer_direction(text: str) -> str | None:
    """Return the direction code a heading names, or None when it names none.

    Matching is on lower-case text with «ё» as «е»; the rules are ordered so that the more
    specific direction wins («объективности … олимпиад» is objectivity, not talents).
    """
    clean = re.sub(r"\s+", " ", text.lower().replace("ё", "е")).strip()
    if not clean:
        return None
    for code, patterns in _COMPILED:
        if any(p.search(clean) for p in patterns):
            return code
    return None


def direction_label(code: str | None) -> str:
    """The Russian name of a direction code (or of «several»); «—» for none."""
    if not code:
        return "—"
    if code == SEVERAL:
        return SEVERAL_LABEL
    found = DIRECTION_BY_CODE.get(code)
    return f"{found.number} {found.name}" if found else code
