"""Questionnaires («анкеты») as data: questions, validation of an anonymous answer, tallies.

A questionnaire holds closed questions only — one choice (``single``) or several (``multi``) —
so an answer cannot carry a name or any other personal data by construction. Answers are counted
into tallies ``(question, option) → count`` plus ``(question, "total")`` = respondents who
answered the question; those are what the ``survey`` indicator source publishes as
``survey.<question>.<option>`` and ``survey.<question>.total``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from soko.monitoring.formspec import DIRECTIONS, SpecError

AUDIENCES: dict[str, str] = {
    "parents": "родители (законные представители)",
    "pupils": "обучающиеся",
    "teachers": "педагогические работники",
    "heads": "руководители ОО",
}
QUESTION_KINDS = {"single": "один вариант", "multi": "несколько вариантов"}
TOTAL = "total"
#: Names the ``survey`` source reserves: ``survey.<questionnaire>.responses`` / ``.expected``.
RESERVED = frozenset({TOTAL, "responses", "expected"})
CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Choice:
    code: str
    label: str


@dataclass(frozen=True)
class Question:
    code: str
    text: str
    kind: str
    options: tuple[Choice, ...]
    required: bool = True
    max_selected: int | None = None
    help: str = ""

    def label_of(self, code: str) -> str:
        return next((o.label for o in self.options if o.code == code), code)


@dataclass(frozen=True)
class QuestionnaireSpec:
    code: str
    title: str
    audience: str
    questions: tuple[Question, ...]

    def question(self, code: str) -> Question | None:
        return next((q for q in self.questions if q.code == code), None)

    def source_names(self) -> list[tuple[str, str]]:
        names = [
            (f"{self.code}.responses", f"Анкета «{self.title}»: число ответов"),
            (f"{self.code}.expected", f"Анкета «{self.title}»: ожидаемое число респондентов"),
        ]
        for q in self.questions:
            names.append((f"{q.code}.{TOTAL}", f"{q.text} — ответили на вопрос"))
            names.extend((f"{q.code}.{o.code}", f"{q.text} — «{o.label}»") for o in q.options)
        return names

    def questions_dict(self) -> list[dict[str, Any]]:
        return [
            {
                "code": q.code,
                "text": q.text,
                "kind": q.kind,
                **({"required": False} if not q.required else {}),
                **({"max_selected": q.max_selected} if q.max_selected else {}),
                **({"help": q.help} if q.help else {}),
                "options": [{"code": o.code, "label": o.label} for o in q.options],
            }
            for q in self.questions
        ]


def _code(value: Any, where: str) -> str:
    text = str(value or "")
    if not CODE_RE.match(text):
        raise SpecError(f"{where}: код «{text}» — только строчные латинские буквы, цифры и «_».")
    if text in RESERVED:
        raise SpecError(f"{where}: код «{text}» зарезервирован.")
    return text


def parse_questionnaire(data: Mapping[str, Any]) -> QuestionnaireSpec:
    """Parse a questionnaire description. Raises :class:`SpecError` naming the place."""
    code = _code(data.get("code"), "Анкета")
    where = f"Анкета «{code}»"
    audience = str(data.get("audience") or "")
    if audience not in AUDIENCES:
        raise SpecError(f"{where}: неизвестная группа респондентов «{audience}»; допустимы: "
                        f"{', '.join(AUDIENCES)}.")
    direction = str(data.get("direction") or "")
    if direction and direction not in DIRECTIONS:
        raise SpecError(f"{where}: неизвестное направление «{direction}».")
    questions: list[Question] = []
    for i, raw in enumerate(data.get("questions") or [], start=1):
        if not isinstance(raw, Mapping):
            raise SpecError(f"{where}, вопрос {i}: ожидается code, text, options.")
        qcode = _code(raw.get("code"), f"{where}, вопрос {i}")
        kind = str(raw.get("kind") or "single")
        if kind not in QUESTION_KINDS:
            raise SpecError(f"{where}, вопрос «{qcode}»: вид «{kind}» не поддерживается "
                            "(single или multi).")
        options = []
        for j, o in enumerate(raw.get("options") or [], start=1):
            if not isinstance(o, Mapping):
                raise SpecError(f"{where}, вопрос «{qcode}», вариант {j}: ожидается code и label.")
            options.append(Choice(_code(o.get("code"), f"{where}, вопрос «{qcode}», вариант {j}"),
                                  str(o.get("label") or o.get("code"))))
        if len(options) < 2:
            raise SpecError(f"{where}, вопрос «{qcode}»: нужно не менее двух вариантов ответа.")
        if len({o.code for o in options}) != len(options):
            raise SpecError(f"{where}, вопрос «{qcode}»: коды вариантов повторяются.")
        max_selected = raw.get("max_selected")
        questions.append(
            Question(
                code=qcode,
                text=str(raw.get("text") or qcode),
                kind=kind,
                options=tuple(options),
                required=bool(raw.get("required", True)),
                max_selected=int(max_selected) if max_selected else None,
                help=str(raw.get("help") or ""),
            )
        )
    if not questions:
        raise SpecError(f"{where}: нет вопросов.")
    if len({q.code for q in questions}) != len(questions):
        raise SpecError(f"{where}: коды вопросов повторяются.")
    return QuestionnaireSpec(code=code, title=str(data.get("title") or code), audience=audience,
                             questions=tuple(questions))


def check_unique_codes(specs: Sequence[QuestionnaireSpec]) -> None:
    """Question codes are global (``survey.<question>.<option>``) and differ from questionnaire
    codes (``survey.<questionnaire>.responses``)."""
    owner: dict[str, str] = {}
    codes = {s.code for s in specs}
    for spec in specs:
        for q in spec.questions:
            if q.code in codes:
                raise SpecError(f"Вопрос «{q.code}» анкеты «{spec.code}» совпадает с кодом анкеты.")
            if q.code in owner and owner[q.code] != spec.code:
                raise SpecError(f"Вопрос «{q.code}» анкеты «{spec.code}» уже есть в анкете "
                                f"«{owner[q.code]}»: коды вопросов уникальны во всех анкетах.")
            owner[q.code] = spec.code


@dataclass
class Answer:
    """A checked answer: the chosen option codes by question, and messages by question."""

    choices: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def check_answer(spec: QuestionnaireSpec, raw: Mapping[str, Any]) -> Answer:
    """Validate one respondent's answers. Unknown keys are ignored (nothing else is kept)."""
    out = Answer()
    for q in spec.questions:
        value = raw.get(q.code)
        picked = [str(v) for v in (value if isinstance(value, list | tuple) else [value])
                  if v not in (None, "")]
        known = {o.code for o in q.options}
        if any(p not in known for p in picked):
            out.errors[q.code] = f"Вопрос «{q.text}»: выберите вариант из списка."
            continue
        if q.kind == "single" and len(picked) > 1:
            out.errors[q.code] = f"Вопрос «{q.text}»: выберите один вариант."
            continue
        if q.max_selected and len(set(picked)) > q.max_selected:
            out.errors[q.code] = (f"Вопрос «{q.text}»: можно выбрать не более {q.max_selected} "
                                  f"вариантов.")
            continue
        if not picked:
            if q.required:
                out.errors[q.code] = f"Ответьте на вопрос «{q.text}»."
            continue
        out.choices[q.code] = [o.code for o in q.options if o.code in set(picked)]
    return out


def tally(spec: QuestionnaireSpec, answers: Sequence[Mapping[str, Sequence[str]]]
          ) -> dict[tuple[str, str], int]:
    """Count answers: ``(question, option)`` → respondents who chose it, and
    ``(question, "total")`` → respondents who answered the question."""
    counts: dict[tuple[str, str], int] = {}
    for q in spec.questions:
        counts[(q.code, TOTAL)] = 0
        for o in q.options:
            counts[(q.code, o.code)] = 0
    for answer in answers:
        for q in spec.questions:
            picked = answer.get(q.code) or []
            if not picked:
                continue
            counts[(q.code, TOTAL)] += 1
            for code in set(picked):
                if (q.code, code) in counts:
                    counts[(q.code, code)] += 1
    return counts
