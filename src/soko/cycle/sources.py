"""What the management cycle reads from the other areas (indicators, risks, analyses,
monitoring, reports, imports), through ``django.apps.apps.get_model`` only.

Those areas own their tables and recompute them freely, so the cycle never holds a foreign key
to them: it reads their rows by the field names fixed in docs/contributing.md and keeps codes
and natural keys. An area that is not installed, not migrated yet or shaped differently simply
contributes nothing: every read runs inside a savepoint and returns an empty result on failure
(logged), so a missing area never breaks a page or the recomputation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, FieldError
from django.db import DatabaseError, models, transaction

from soko.cycle.recommend import (
    MUNICIPALITY,
    ORGANIZATION,
    DeficitRow,
    Finding,
    code_labels,
    evidence_figures,
    number,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

_FAILURES = (
    LookupError, FieldError, FieldDoesNotExist, AttributeError, TypeError, ValueError,
    DatabaseError,
)


def other_model(app_label: str, name: str) -> type[models.Model] | None:
    """The model of another area, or None when it does not exist (yet)."""
    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


def has_fields(model: type[models.Model], *names: str) -> bool:
    for name in names:
        try:
            model._meta.get_field(name)
        except FieldDoesNotExist:
            return False
    return True


def safely(what: str, fn: Callable[[], T], default: T) -> T:
    """Run a read of another area inside a savepoint; on failure log and return ``default``."""
    try:
        with transaction.atomic():
            return fn()
    except _FAILURES as exc:
        log.warning("cycle: reading %s failed: %s: %s", what, exc.__class__.__name__, exc)
        return default


def models_with_direction(app_label: str) -> list[type[models.Model]]:
    """Models of an area that have a ``direction`` field (forms, surveys, reports…)."""
    try:
        config = apps.get_app_config(app_label)
    except LookupError:
        return []
    return [
        m
        for m in config.get_models()
        if has_fields(m, "direction") and not m.__name__.startswith("Historical")
    ]


# ----------------------------------------------------------------------------------------------
# Indicators
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorInfo:
    code: str
    name: str
    direction: str
    unit: str
    polarity: str


def indicator_info(code: str) -> IndicatorInfo | None:
    model = other_model("indicators", "Indicator")
    if model is None:
        return None

    def read() -> IndicatorInfo | None:
        row = (
            model._default_manager.filter(code=code)
            .values("name", "direction", "unit", "polarity")
            .first()
        )
        if row is None:
            return None
        return IndicatorInfo(
            code=code,
            name=str(row["name"] or code),
            direction=str(row["direction"] or ""),
            unit=str(row["unit"] or ""),
            polarity=str(row["polarity"] or "higher_better"),
        )

    return safely("indicator", read, None)


def indicator_choices() -> list[tuple[str, str]]:
    """(code, «name (code)») of every indicator not retired, for forms."""
    model = other_model("indicators", "Indicator")
    if model is None:
        return []

    def read() -> list[tuple[str, str]]:
        qs = model._default_manager.all()
        if has_fields(model, "retired"):
            qs = qs.filter(retired=False)
        return [(str(c), f"{n} ({c})") for c, n in qs.order_by("code").values_list("code", "name")]

    return safely("indicator list", read, [])


def indicators_of_direction(direction: str) -> list[IndicatorInfo]:
    model = other_model("indicators", "Indicator")
    if model is None or not has_fields(model, "direction", "code"):
        return []

    def read() -> list[IndicatorInfo]:
        qs = model._default_manager.filter(direction=direction)
        if has_fields(model, "retired"):
            qs = qs.filter(retired=False)
        return [
            IndicatorInfo(str(r["code"]), str(r["name"]), direction, str(r["unit"] or ""),
                          str(r["polarity"] or "higher_better"))
            for r in qs.order_by("code").values("code", "name", "unit", "polarity")
        ]

    return safely("indicators of a direction", read, [])


def indicator_panel(code: str, territory_ids: Iterable[int]) -> dict[int, dict[int, float]]:
    """Organization → year → value of an indicator for the organizations of the territories
    (suppressed values and empty ones left out)."""
    model = other_model("indicators", "IndicatorValue")
    if model is None:
        return {}
    ids = sorted(set(territory_ids))

    def read() -> dict[int, dict[int, float]]:
        qs = model._default_manager.filter(
            indicator__code=code,
            organization__isnull=False,
            organization__territory_id__in=ids,
            value__isnull=False,
        )
        if has_fields(model, "suppressed"):
            qs = qs.filter(suppressed=False)
        if has_fields(model, "breakdown_key"):
            qs = qs.filter(breakdown_key="")  # the whole group, not a part of it
        panel: dict[int, dict[int, float]] = {}
        for org_id, year, value in qs.values_list("organization_id", "year", "value"):
            panel.setdefault(int(org_id), {})[int(year)] = float(value)
        return panel

    return safely("indicator values", read, {})


def indicator_values_summary(
    codes: list[str], territory_ids: Iterable[int]
) -> list[tuple[str, int]]:
    """(indicator code, year) pairs that have computed values for the territories."""
    model = other_model("indicators", "IndicatorValue")
    if model is None or not codes:
        return []
    ids = sorted(set(territory_ids))

    def read() -> list[tuple[str, int]]:
        from django.db.models import Q

        qs = model._default_manager.filter(indicator__code__in=codes, value__isnull=False).filter(
            Q(organization__territory_id__in=ids) | Q(territory_id__in=ids)
        )
        if has_fields(model, "breakdown_key"):
            qs = qs.filter(breakdown_key="")
        return sorted(
            {(str(c), int(y)) for c, y in qs.values_list("indicator__code", "year").distinct()}
        )

    return safely("indicator value summary", read, [])


def targets_of(codes: list[str], territory_ids: Iterable[int]) -> list[Any]:
    """Target rows of these indicators for the territories or their organizations."""
    model = other_model("indicators", "Target")
    if model is None or not codes:
        return []
    ids = sorted(set(territory_ids))

    def read() -> list[Any]:
        from django.db.models import Q

        qs = model._default_manager.filter(indicator__code__in=codes).filter(
            Q(organization__territory_id__in=ids) | Q(territory_id__in=ids)
        )
        return list(qs.select_related("indicator").only("indicator__name", "year"))

    return safely("targets", read, [])


def target_codes_present(territory_ids: Iterable[int]) -> set[str]:
    """Codes of the indicators that have a target for the territories or their organizations
    (what :func:`targets_of` can find, for every indicator at once)."""
    model = other_model("indicators", "Target")
    if model is None:
        return set()
    ids = sorted(set(territory_ids))

    def read() -> set[str]:
        from django.db.models import Q

        qs = model._default_manager.filter(
            Q(organization__territory_id__in=ids) | Q(territory_id__in=ids)
        )
        return {str(c) for c in qs.values_list("indicator__code", flat=True).distinct()}

    return safely("target codes", read, set())


# ----------------------------------------------------------------------------------------------
# Findings for recommendations
# ----------------------------------------------------------------------------------------------

_FLAG_DIRECTION = {"low_results": "low_results", "social": "low_results",
                   "objectivity": "objectivity"}
_PERSISTENT = " Признак выявляется два года подряд и более."
#: The fields of risks.Flag fixed by the contract (docs/contributing.md); only these are read.
_FLAG_FIELDS = ("kind", "organization", "year", "procedure", "subject", "grade", "codes",
                "evidence", "status", "persistent")


def _subject_names() -> dict[str, str]:
    from soko.catalog.models import Subject

    return dict(Subject.objects.values_list("code", "name"))


def flag_findings(territory_ids: Iterable[int]) -> list[Finding]:
    """Findings from not-dismissed risk flags of the organizations of the territories: one per
    kind, organization and year (an organization's objectivity flags on several works make one
    recommendation listing the works)."""
    model = other_model("risks", "Flag")
    if model is None:
        return []
    ids = sorted(set(territory_ids))
    subjects = _subject_names()

    def read() -> list[Finding]:
        qs = (
            model._default_manager.filter(organization__territory_id__in=ids)
            .exclude(status="dismissed")
            .select_related("organization")
            .only(*_FLAG_FIELDS, "organization__code", "organization__short_name")
            .order_by("organization__code", "year", "kind", "procedure", "subject", "grade")
        )
        groups: dict[tuple[str, int, int], list[Any]] = {}
        rows: list[Any] = list(qs)
        for row in rows:
            groups.setdefault((str(row.kind), int(row.organization_id), int(row.year)),
                              []).append(row)
        found = [flags_to_finding(group, subjects) for group in groups.values()]
        return [f for f in found if f is not None]

    return safely("risk flags", read, [])


def _marker_titles() -> dict[str, str]:
    """Names of the objectivity markers as the risks area titles them (none if unavailable)."""
    try:
        from soko.risks.markers import MARKER_TITLES
    except ImportError:
        return {}
    return {str(k): str(v) for k, v in dict(MARKER_TITLES).items()}


def _work_label(flag: Any, subjects: dict[str, str]) -> str:
    procedure = str(getattr(flag, "procedure", "") or "")
    subject = str(getattr(flag, "subject", "") or "")
    grade = getattr(flag, "grade", None)
    parts = [procedure, subjects.get(subject, subject), f"{grade} класс" if grade else ""]
    return " ".join(p for p in parts if p)


def describe_flag(kind: str, evidence: Any) -> list[str]:
    """Russian sentences about a flag's evidence, from the risks area's own wording when it is
    available (:mod:`soko.risks.describe`), else a generic reading of the figures."""
    if not isinstance(evidence, dict):
        return []
    try:
        from soko.risks import describe
    except ImportError:
        return evidence_figures(evidence)
    try:
        if kind == "objectivity":
            fired = [f"{line['title']}: {line['text']}"
                     for line in describe.objectivity_lines(evidence, personal=False)
                     if line.get("fired")]
            return fired or evidence_figures(evidence)
        lines: list[str] = []
        if kind == "low_results":
            if evidence.get("rule_30pct") is not None:
                lines.append(describe.rule_text(evidence.get("rule_30pct")))
            if evidence.get("low_index") is not None:
                lines.append(describe.index_text(evidence.get("low_index")))
        if evidence.get("social") is not None and kind in ("social", "low_results"):
            lines.append(describe.social_text(evidence.get("social")))
        return lines or evidence_figures(evidence)
    except (AttributeError, KeyError, TypeError, ValueError):
        return evidence_figures(evidence)


def flags_to_finding(flags: list[Any], subjects: dict[str, str] | None = None) -> Finding | None:
    """Flags of one kind, organization and year (contract fields of risks.Flag) as one finding;
    None for an unknown kind."""
    first = flags[0]
    kind = str(first.kind)
    if kind not in _FLAG_DIRECTION:
        return None
    names = subjects or {}
    org = first.organization
    works = [w for w in (_work_label(f, names) for f in flags) if w]
    if len(works) <= 2:
        procedure_text = "; ".join(works) or "оценочных процедур"
    else:
        procedures = sorted({str(getattr(f, "procedure", "") or "") for f in flags} - {""})
        procedure_text = f"{', '.join(procedures) or 'процедуры'}: {len(works)} работ"
    codes = list(dict.fromkeys(str(c) for f in flags for c in (getattr(f, "codes", None) or [])))
    figures: list[str] = []
    for flag in flags:
        lines = describe_flag(kind, getattr(flag, "evidence", None) or {})
        label = _work_label(flag, names)
        own = ", ".join(str(c) for c in (getattr(flag, "codes", None) or []))
        prefix = f"{label} ({own}): " if label and len(flags) > 1 else ""
        figures += [f"{prefix}{line}" for line in lines[:3]] or ([f"{label}: {own}"] if label
                                                                 else [])
        if getattr(flag, "status", "") == "confirmed":
            figures.append(f"{label or 'признак'}: подтверждён специалистом")
    persistent = any(getattr(f, "persistent", False) for f in flags)
    return Finding(
        kind=kind,
        key=f"flag:{kind}:{org.code}:{first.year}",
        direction=_FLAG_DIRECTION[kind],
        addressee=ORGANIZATION,
        year=int(first.year),
        organization_id=int(org.pk),
        values={
            "org": org.short_name,
            "codes": code_labels(codes, _marker_titles()),
            "procedure_text": procedure_text,
            "persistent_text": _PERSISTENT if persistent else "",
            "works_count": str(len(works)),
        },
        figures=tuple(figures[:30]),
        refs={"flag_ids": [f.pk for f in flags], "org_code": org.code, "codes": codes,
              "works": works},
    )


def flag_to_finding(flag: Any, subjects: dict[str, str] | None = None) -> Finding | None:
    """One risk flag as a finding (see :func:`flags_to_finding`)."""
    return flags_to_finding([flag], subjects)


def deficit_rows(territory_ids: Iterable[int]) -> list[DeficitRow]:
    """Deficits (contract fields of analyses.Deficit) of the organizations of the territories."""
    model = other_model("analyses", "Deficit")
    if model is None:
        return []
    ids = sorted(set(territory_ids))
    subjects = _subject_names()

    def read() -> list[DeficitRow]:
        # only the contract fields are read, so columns the area adds never matter here
        qs = model._default_manager.filter(organization__territory_id__in=ids).values(
            "organization_id", "organization__code", "organization__short_name",
            "organization__territory__code", "year", "subject", "skill", "task_numbers",
            "completion", "reference_completion", "n", "class_label", "assessment__grade",
            "assessment__procedure__short_name",
        )
        return [
            DeficitRow(
                org_id=int(d["organization_id"]),
                org_code=str(d["organization__code"]),
                org_name=str(d["organization__short_name"]),
                territory_code=str(d["organization__territory__code"]),
                year=int(d["year"]),
                subject=str(d["subject"]),
                subject_name=subjects.get(str(d["subject"]), str(d["subject"])),
                grade=d["assessment__grade"],
                procedure=str(d["assessment__procedure__short_name"] or ""),
                skill=str(d["skill"]),
                task_numbers=tuple(str(t) for t in (d["task_numbers"] or [])),
                completion=float(d["completion"]),
                reference=(
                    float(d["reference_completion"])
                    if d["reference_completion"] is not None else None
                ),
                n=int(d["n"] or 0),
                class_label=str(d["class_label"] or ""),
            )
            for d in qs
        ]

    return safely("deficits", read, [])


_TARGET_STATUS = {"not_achieved": "целевое значение не достигнуто",
                  "at_risk": "есть риск недостижения целевого значения"}


def target_findings(territory_ids: Iterable[int]) -> list[Finding]:
    """Findings from targets of indicators that are not achieved or at risk."""
    t_model = other_model("indicators", "Target")
    v_model = other_model("indicators", "IndicatorValue")
    if t_model is None:
        return []
    ids = sorted(set(territory_ids))

    def read() -> list[Finding]:
        from django.db.models import Q

        qs = (
            t_model._default_manager.filter(
                Q(organization__territory_id__in=ids) | Q(territory_id__in=ids)
            )
            .select_related("indicator", "organization")
            .only("indicator__code", "indicator__name", "indicator__unit",
                  "indicator__direction", "organization__code", "organization__short_name",
                  "year", "territory", "value", "document_number", "document_date",
                  *[f for f in ("status", "actual_value") if has_fields(t_model, f)])
        )
        found = []
        for t in qs:
            status = str(getattr(t, "status", "") or "")
            if status not in _TARGET_STATUS:
                continue
            indicator = t.indicator  # type: ignore[attr-defined]
            org = t.organization  # type: ignore[attr-defined]
            actual = getattr(t, "actual_value", None)
            if actual is None and v_model is not None:
                values = v_model._default_manager.filter(indicator=indicator, year=t.year)  # type: ignore[attr-defined]
                values = (
                    values.filter(organization=org)
                    if org is not None
                    else values.filter(territory_id=t.territory_id, organization__isnull=True)  # type: ignore[attr-defined]
                )
                if has_fields(v_model, "breakdown_key"):
                    values = values.filter(breakdown_key="")
                actual = values.values_list("value", flat=True).first()
            unit = str(getattr(indicator, "unit", "") or "")
            figures = [
                f"значение {t.year} г.: {number(actual) if actual is not None else 'не рассчитано'}"  # type: ignore[attr-defined]
                f" {unit}".rstrip(),
                f"целевое значение: {number(t.value)} {unit}".rstrip(),  # type: ignore[attr-defined]
            ]
            doc = str(getattr(t, "document_number", "") or "")
            if doc:
                date = getattr(t, "document_date", None)
                figures.append(
                    f"цель установлена документом № {doc}"
                    + (f" от {date:%d.%m.%Y}" if date is not None else "")
                )
            anchor = org.code if org is not None else f"T{t.territory_id}"  # type: ignore[attr-defined]
            found.append(
                Finding(
                    kind="indicator_off_target" if org is not None
                    else "indicator_off_target_municipal",
                    key=f"target:{indicator.code}:{t.year}:{anchor}",  # type: ignore[attr-defined]
                    direction=str(getattr(indicator, "direction", "") or "results"),
                    addressee=ORGANIZATION if org is not None else MUNICIPALITY,
                    year=int(t.year),  # type: ignore[attr-defined]
                    organization_id=int(org.pk) if org is not None else None,
                    values={
                        "org": org.short_name if org is not None else "",
                        "indicator": str(indicator.name),
                        "target_status": _TARGET_STATUS[status],
                    },
                    figures=tuple(figures),
                    refs={"indicator_code": str(indicator.code), "target_id": t.pk},
                )
            )
        return found

    return safely("targets", read, [])


# ----------------------------------------------------------------------------------------------
# Counts for the МУКО matrix
# ----------------------------------------------------------------------------------------------


def flags_by_kind(kinds: Iterable[str], territory_ids: Iterable[int]) -> list[Any]:
    model = other_model("risks", "Flag")
    wanted = sorted(set(kinds))
    if model is None or not wanted:
        return []
    ids = sorted(set(territory_ids))

    def read() -> list[Any]:
        return list(
            model._default_manager.filter(kind__in=wanted, organization__territory_id__in=ids)
            .exclude(status="dismissed")
            .select_related("organization")
            .only(*_FLAG_FIELDS, "organization__code", "organization__short_name")[:50]
        )

    return safely("flags by kind", read, [])


def flag_kinds_present(territory_ids: Iterable[int]) -> set[str]:
    """Kinds of the flags :func:`flags_by_kind` can find for the territories."""
    model = other_model("risks", "Flag")
    if model is None:
        return set()
    ids = sorted(set(territory_ids))

    def read() -> set[str]:
        qs = model._default_manager.filter(organization__territory_id__in=ids).exclude(
            status="dismissed"
        )
        return {str(k) for k in qs.values_list("kind", flat=True).distinct()}

    return safely("flag kinds", read, set())


def deficit_count(territory_ids: Iterable[int]) -> tuple[int, list[int]]:
    """Number of deficits and their years for the organizations of the territories."""
    model = other_model("analyses", "Deficit")
    if model is None:
        return 0, []
    ids = sorted(set(territory_ids))

    def read() -> tuple[int, list[int]]:
        qs = model._default_manager.filter(organization__territory_id__in=ids)
        years = sorted({int(y) for y in qs.values_list("year", flat=True).distinct()})
        return qs.count(), years

    empty: tuple[int, list[int]] = (0, [])
    return safely("deficit count", read, empty)


def _of_territories(model: type[models.Model], qs: Any, ids: list[int]) -> Any:
    """Records of the territories (or of no territory) when the model has a territory; of
    the territories' organizations when it has an organization."""
    if has_fields(model, "territory"):
        from django.db.models import Q

        return qs.filter(Q(territory_id__in=ids) | Q(territory__isnull=True))
    if has_fields(model, "organization"):
        return qs.filter(organization__territory_id__in=ids)
    return qs


def direction_records(app_label: str, direction: str, territory_ids: Iterable[int]) -> list[str]:
    """Titles of records of an area's models that carry this direction (forms, surveys,
    reports), limited to the territories when the model has a territory or organization."""
    ids = sorted(set(territory_ids))
    titles: list[str] = []
    for model in models_with_direction(app_label):

        def read(model: type[models.Model] = model) -> list[str]:
            qs = _of_territories(model, model._default_manager.filter(direction=direction), ids)
            return [f"{model._meta.verbose_name}: {row}" for row in qs[:20]]

        titles += safely(f"{app_label} records", read, [])
    return titles


def record_directions(app_label: str, territory_ids: Iterable[int]) -> set[str]:
    """The directions :func:`direction_records` can find records of, for all at once."""
    ids = sorted(set(territory_ids))
    found: set[str] = set()
    for model in models_with_direction(app_label):

        def read(model: type[models.Model] = model) -> set[str]:
            qs = _of_territories(model, model._default_manager.all(), ids)
            return {str(d) for d in qs.values_list("direction", flat=True).distinct()}

        found |= safely(f"{app_label} record directions", read, set())
    return found


#: Monitoring runs per direction: (app, model, path to the direction, title field).
MONITORING_RUNS = (
    ("monitoring", "Campaign", "template__direction", "кампания мониторинга"),
    ("monitoring", "Survey", "questionnaire__direction", "анкетирование"),
)


def monitoring_runs(direction: str, territory_ids: Iterable[int]) -> list[str]:
    """Monitoring campaigns and surveys run for a direction in the territories (or for all
    territories)."""
    ids = sorted(set(territory_ids))
    titles: list[str] = []
    for app_label, name, path, label in MONITORING_RUNS:
        model = other_model(app_label, name)
        if model is None:
            continue

        def read(model: type[models.Model] = model, path: str = path,
                 label: str = label) -> list[str]:
            qs = _of_territories(model, model._default_manager.filter(**{path: direction}), ids)
            return [f"{label}: {row}" for row in qs[:20]]

        titles += safely(f"{app_label}.{name}", read, [])
    return titles


def monitoring_directions(territory_ids: Iterable[int]) -> set[str]:
    """The directions :func:`monitoring_runs` can find runs of, for all at once."""
    ids = sorted(set(territory_ids))
    found: set[str] = set()
    for app_label, name, path, _label in MONITORING_RUNS:
        model = other_model(app_label, name)
        if model is None:
            continue

        def read(model: type[models.Model] = model, path: str = path) -> set[str]:
            qs = _of_territories(model, model._default_manager.all(), ids)
            return {str(d) for d in qs.values_list(path, flat=True).distinct()}

        found |= safely(f"{app_label}.{name} directions", read, set())
    return found


def assessment_analyses() -> list[str]:
    """Titles of the analyses of assessment results (one per work) the analyses area stored."""
    model = other_model("analyses", "AssessmentAnalysis")
    if model is None:
        return []

    def read() -> list[str]:
        rows = model._default_manager.order_by("-year").values_list(
            "procedure", "subject", "grade", "year"
        )[:50]
        return [
            " ".join(str(x) for x in ("Анализ результатов:", procedure, subject, grade or "")
                     if x != "") + f" ({year})"
            for procedure, subject, grade, year in rows
        ]

    return safely("assessment analyses", read, [])
