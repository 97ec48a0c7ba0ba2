"""Targeted recommendations («адресные рекомендации») from findings. Pure, no Django.

A *finding* is something another area established: a school with low results or in adverse
social conditions, signs of non-objective results, skills that a school's pupils did not master
(teachers' deficits), an indicator off its target. Each finding becomes one recommendation built
from a text template (``cycle/data/recommendation_templates.yaml``, editable data) with the
figures that justify it. Recommendations are addressed to an organization, to a group of
teachers (by subject and grade — a teacher is never named) or to the municipality.

Every finding carries a stable ``key`` built from natural identifiers (organization login, year,
procedure, subject…), never from database ids, so regenerating after a recomputation finds the
same recommendation again instead of adding a duplicate.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

ORGANIZATION: Final = "organization"
TEACHERS: Final = "teachers"
MUNICIPALITY: Final = "municipality"
ADDRESSEE_CHOICES: Final[list[tuple[str, str]]] = [
    (ORGANIZATION, "образовательная организация"),
    (TEACHERS, "группа педагогов"),
    (MUNICIPALITY, "муниципалитет"),
]

CODE_LABELS: Final[dict[str, str]] = {
    "rule_30pct": "не менее 30 % участников не преодолели минимальную границу (правило 30 %)",
    "low_index": "низкий индекс образовательных результатов",
    "social_index": "высокий индекс социального неблагополучия",
}


@dataclass(frozen=True)
class Template:
    code: str
    direction: str
    addressee: str
    title: str
    text: str


@dataclass(frozen=True)
class Finding:
    """One finding to recommend on. ``values`` fill the template; ``figures`` justify it."""

    kind: str  # a template code
    key: str
    direction: str
    addressee: str
    year: int | None
    organization_id: int | None
    group: str = ""  # the teachers' group («учителя математики 5-х классов»)
    values: dict[str, str] = field(default_factory=dict)
    figures: tuple[str, ...] = ()
    refs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Draft:
    finding: Finding
    template: str
    title: str
    text: str


class TemplateError(ValueError):
    """A template file entry is not valid."""


def templates_from_list(items: Sequence[Mapping[str, Any]]) -> dict[str, Template]:
    """Build templates from the YAML list; raises :class:`TemplateError` naming a bad entry."""
    out: dict[str, Template] = {}
    for k, raw in enumerate(items, start=1):
        code = str(raw.get("code") or "")
        if not code or code in out:
            raise TemplateError(f"шаблон №{k}: код пуст или повторяется")
        addressee = str(raw.get("addressee") or "")
        if addressee not in (ORGANIZATION, TEACHERS, MUNICIPALITY):
            raise TemplateError(f"шаблон «{code}»: неизвестный адресат «{addressee}»")
        title, text = str(raw.get("title") or ""), str(raw.get("text") or "")
        if not title or not text:
            raise TemplateError(f"шаблон «{code}»: нет заголовка или текста")
        out[code] = Template(code, str(raw.get("direction") or ""), addressee, title, text.strip())
    return out


class _Values(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "—"


def render(finding: Finding, templates: Mapping[str, Template]) -> Draft:
    """Fill the finding's template. Unknown placeholders become «—»; ``{figures}`` is the
    figures as a bulleted list."""
    template = templates.get(finding.kind)
    if template is None:
        raise TemplateError(f"нет шаблона рекомендации «{finding.kind}»")
    figures = "\n".join(f"— {f}" for f in finding.figures) or "— сведения не приведены"
    values = _Values({**finding.values, "figures": figures, "group": finding.group,
                      "year": str(finding.year or "")})
    title = template.title.format_map(values).strip()
    text = template.text.format_map(values).strip()
    return Draft(finding, template.code, title, text)


# ----------------------------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------------------------


def pct(share: float | None, digits: int = 1) -> str:
    """A share 0–1 as a Russian percentage («35,2 %»)."""
    if share is None:
        return "—"
    return f"{share * 100:.{digits}f} %".replace(".", ",")


def number(value: Any) -> str:
    """A number in Russian notation; other values as text."""
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",") if value % 1 else str(
            int(value)
        )
    return str(value)


_TEXT_KEYS: Final = ("summary", "text", "description", "label", "note")


def evidence_figures(evidence: Any, limit: int = 8) -> list[str]:
    """Readable figures from a flag's ``evidence`` JSON, whatever its exact shape.

    Strings under summary-like keys are taken as written; numbers are listed as «ключ: значение»
    (shares — keys containing «share» or «доля» with a value in 0–1 — as percentages); nested
    dictionaries and lists are walked, threshold sources are skipped.
    """
    out: list[str] = []

    def walk(node: Any, path: str) -> None:
        if len(out) >= limit:
            return
        if isinstance(node, Mapping):
            for key in _TEXT_KEYS:
                value = node.get(key)
                if isinstance(value, str) and value.strip():
                    out.append(value.strip())
                    return
            for key, value in node.items():
                if str(key) in ("source", "sources", "source_code", "url"):
                    continue
                walk(value, f"{path}.{key}" if path else str(key))
        elif isinstance(node, list):
            for value in node[:limit]:
                walk(value, path)
        elif isinstance(node, (int, float)) and not isinstance(node, bool):
            label = path.replace("_", " ")
            is_share = ("share" in path or "доля" in path) and 0 <= float(node) <= 1
            out.append(f"{label}: {pct(float(node)) if is_share else number(node)}")
        elif isinstance(node, str) and node.strip() and path:
            out.append(f"{path.replace('_', ' ')}: {node.strip()}")

    walk(evidence, "")
    return out[:limit]


def code_labels(codes: Iterable[str], titles: Mapping[str, str] | None = None) -> str:
    """The flag codes in words («признак M3 — …», «правило 30 %»…); ``titles`` names markers."""
    words = []
    for code in codes:
        if code in CODE_LABELS:
            words.append(CODE_LABELS[code])
        elif code.upper().startswith("M") and code[1:].isdigit():
            title = (titles or {}).get(code.upper())
            words.append(f"признак {code.upper()}" + (f" «{title}»" if title else ""))
        else:
            words.append(code)
    return "; ".join(words) or "—"


# ----------------------------------------------------------------------------------------------
# Teachers' deficits → groups of teachers and the municipality
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeficitRow:
    """A deficit as read from the analyses area (contract fields); teachers are not kept."""

    org_id: int
    org_code: str
    org_name: str
    territory_code: str
    year: int
    subject: str  # code
    subject_name: str
    grade: int | None
    procedure: str
    skill: str
    task_numbers: tuple[str, ...]
    completion: float  # share 0–1
    reference: float | None  # municipality, share 0–1
    n: int
    class_label: str = ""


def _grade_phrase(grade: int | None) -> str:
    return f"{grade}-х классов" if grade else "всех классов"


def _skill_key(skill: str) -> str:
    return hashlib.sha1(skill.strip().lower().encode("utf-8"), usedforsecurity=False).hexdigest()[
        :10
    ]


def _skill_line(skill: str, rows: Sequence[DeficitRow]) -> str:
    tasks = sorted({t for r in rows for t in r.task_numbers}, key=lambda t: (len(t), t))
    task_text = f" (задания {', '.join(tasks)})" if tasks else ""
    whole = [r for r in rows if not r.class_label]
    if whole:
        value = pct(whole[0].completion, 0)
    else:
        lo, hi = min(r.completion for r in rows), max(r.completion for r in rows)
        value = pct(lo, 0) if lo == hi else f"от {pct(lo, 0)} до {pct(hi, 0)} по классам"
    reference = next((r.reference for r in rows if r.reference is not None), None)
    ref_text = f" при {pct(reference, 0)} по муниципалитету" if reference is not None else ""
    return f"{skill}{task_text}: выполнение {value}{ref_text}"


def deficit_findings(
    rows: Iterable[DeficitRow],
    *,
    min_group: int,
    municipal_min_orgs: int,
    max_skills: int = 8,
) -> list[Finding]:
    """Group deficits into findings.

    * one finding per organization × year × subject × grade, addressed to the group of teachers
      of that subject and grade (rows with fewer than ``min_group`` pupils are left out: small
      groups are never shown on their own);
    * one finding per territory × year × subject × grade × skill that is a deficit in at least
      ``municipal_min_orgs`` organizations, addressed to the municipality (the methodical
      service and the teachers' associations).
    """
    usable = [r for r in rows if r.n >= min_group]
    by_group: dict[tuple[int, int, str, int | None], list[DeficitRow]] = defaultdict(list)
    for r in usable:
        by_group[(r.org_id, r.year, r.subject, r.grade)].append(r)
    findings: list[Finding] = []
    for (org_id, year, subject, grade), group in sorted(
        by_group.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2], kv[0][3] or 0)
    ):
        first = group[0]
        skills: dict[str, list[DeficitRow]] = defaultdict(list)
        for r in group:
            skills[r.skill].append(r)
        ordered = sorted(skills.items(), key=lambda kv: min(r.completion for r in kv[1]))
        lines = [_skill_line(skill, rs) for skill, rs in ordered[:max_skills]]
        if len(ordered) > max_skills:
            lines.append(f"и ещё умений: {len(ordered) - max_skills}")
        who = f"учителя предмета «{first.subject_name}» {_grade_phrase(grade)}"
        findings.append(
            Finding(
                kind="deficit_teachers",
                key=f"deficit:{first.org_code}:{year}:{first.procedure}:{subject}:{grade or ''}",
                direction="teachers",
                addressee=TEACHERS,
                year=year,
                organization_id=org_id,
                group=who,
                values={
                    "org": first.org_name,
                    "subject": first.subject_name,
                    "grade": str(grade or ""),
                    "procedure": first.procedure,
                    "skills_count": str(len(ordered)),
                },
                figures=tuple(lines),
                refs={"org_code": first.org_code, "subject": subject, "grade": grade},
            )
        )
    by_skill: dict[tuple[str, int, str, int | None, str], list[DeficitRow]] = defaultdict(list)
    for r in usable:
        by_skill[(r.territory_code, r.year, r.subject, r.grade, r.skill.strip())].append(r)
    for (territory, year, subject, grade, skill), rs in sorted(
        by_skill.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2], kv[0][3] or 0, kv[0][4])
    ):
        orgs = sorted({r.org_name for r in rs})
        if len(orgs) < municipal_min_orgs:
            continue
        first = rs[0]
        reference = next((r.reference for r in rs if r.reference is not None), None)
        figures = [
            f"умение: {skill}",
            f"дефицит выявлен в {len(orgs)} ОО",
            f"выполнение в этих ОО: от {pct(min(r.completion for r in rs), 0)} до "
            f"{pct(max(r.completion for r in rs), 0)}",
        ]
        if reference is not None:
            figures.append(f"по муниципалитету: {pct(reference, 0)}")
        findings.append(
            Finding(
                kind="deficit_municipal",
                key=f"deficit-mun:{territory}:{year}:{first.procedure}:{subject}:{grade or ''}:"
                f"{_skill_key(skill)}",
                direction="teachers",
                addressee=MUNICIPALITY,
                year=year,
                organization_id=None,
                group=f"методические объединения учителей предмета «{first.subject_name}»",
                values={
                    "subject": first.subject_name,
                    "grade": str(grade or ""),
                    "skill": skill,
                    "orgs_count": str(len(orgs)),
                    "procedure": first.procedure,
                },
                figures=tuple(figures),
                refs={"subject": subject, "grade": grade},
            )
        )
    return findings
