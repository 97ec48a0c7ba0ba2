"""Targeted recommendations: generation from the findings of the other areas, editing,
approval by the authority.

Generation is idempotent. A recommendation is identified by its finding's key (natural
identifiers, not database ids); regenerating updates the text of untouched drafts, leaves
approved, rejected and hand-edited ones exactly as they are, and removes untouched drafts whose
finding has gone (an edited or decided one is kept and marked «основание больше не
выявляется»).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.utils import timezone

from soko.accounts.scope import SYSTEM, Scope
from soko.core.errors import ApplicationError
from soko.cycle.directions import DIRECTION_CODES, SEVERAL
from soko.cycle.models import Recommendation
from soko.cycle.recommend import (
    ADDRESSEE_CHOICES,
    ORGANIZATION,
    Finding,
    Template,
    deficit_findings,
    render,
    templates_from_list,
)
from soko.cycle.selectors import allows_territory, is_authority, territory_tree
from soko.cycle.sources import deficit_rows, flag_findings, target_findings
from soko.registry.models import Organization, Territory

TEMPLATES_FILE = Path(__file__).resolve().parents[1] / "data" / "recommendation_templates.yaml"


@lru_cache(maxsize=4)
def _templates_cached(path: str, mtime: float) -> dict[str, Template]:
    return templates_from_list(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or [])


def load_templates(path: Path = TEMPLATES_FILE) -> dict[str, Template]:
    """The recommendation templates (re-read when the file changes)."""
    return _templates_cached(str(path), path.stat().st_mtime)


def _param(code: str, default: Any) -> Any:
    from soko.catalog.selectors import ParameterMissing, parameter_value

    try:
        return parameter_value(code)
    except ParameterMissing:
        return default


def collect_findings(territory: Territory) -> list[Finding]:
    """The findings of the other areas for the organizations of a territory: risk flags (low
    results, social conditions, objectivity), teachers' deficits grouped by subject and grade,
    and indicators off their targets — of the latest year with findings and the
    ``cycle.recommendations.years_back`` years before it (older findings were acted on in their
    own cycle; recommendations made from them are kept)."""
    ids = territory_tree(territory.pk)
    findings = flag_findings(ids)
    findings += deficit_findings(
        deficit_rows(ids),
        min_group=int(_param("privacy.min_group_size", 10)),
        municipal_min_orgs=int(_param("cycle.recommendations.municipal_deficit_min_orgs", 3)),
    )
    findings += target_findings(ids)
    years = [f.year for f in findings if f.year is not None]
    if years:
        back = int(_param("cycle.recommendations.years_back", 1))
        first = max(years) - back
        findings = [f for f in findings if f.year is None or f.year >= first]
    return findings


@dataclass
class GenerateReport:
    findings: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0  # approved, rejected or edited: left as they are
    removed: int = 0
    obsolete: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def recommendations_generate(
    *,
    territory: Territory,
    findings: list[Finding] | None = None,
    scope: Scope = SYSTEM,
) -> GenerateReport:
    """Create or refresh the recommendations of a territory from its findings.

    ``findings`` defaults to :func:`collect_findings`; tests and callers may pass their own.
    """
    if not allows_territory(scope, territory.pk) or not is_authority(scope):
        raise ApplicationError("Формировать рекомендации может орган управления своей территории.")
    found = collect_findings(territory) if findings is None else findings
    templates = load_templates()
    report = GenerateReport(findings=len(found))
    keys: set[str] = set()
    with transaction.atomic():
        existing = {
            r.finding_key: r
            for r in Recommendation.objects.filter(territory=territory).exclude(finding_key="")
        }
        for finding in found:
            if finding.key in keys:
                continue
            keys.add(finding.key)
            draft = render(finding, templates)
            direction = finding.direction if finding.direction in DIRECTION_CODES else SEVERAL
            values = {
                "organization_id": finding.organization_id,
                "addressee": finding.addressee,
                "group": finding.group[:300],
                "direction": direction,
                "finding_kind": finding.kind,
                "year": finding.year,
                "title": draft.title[:500],
                "text": draft.text,
                "figures": list(finding.figures),
                "refs": finding.refs,
            }
            current = existing.get(finding.key)
            if current is None:
                Recommendation.objects.create(
                    territory=territory, finding_key=finding.key, **values
                )
                report.created += 1
                continue
            if current.status != Recommendation.Status.DRAFT or current.edited:
                if current.obsolete:
                    current.obsolete = False
                    current.save(update_fields=["obsolete", "updated_at"])
                report.kept += 1
                continue
            changed = current.obsolete or any(
                getattr(current, k if k != "organization_id" else "organization_id") != v
                for k, v in values.items()
            )
            if changed:
                for k, v in values.items():
                    setattr(current, k, v)
                current.obsolete = False
                current.save()
                report.updated += 1
            else:
                report.unchanged += 1
        for key, rec in existing.items():
            if key in keys:
                continue
            if rec.status == Recommendation.Status.DRAFT and not rec.edited:
                rec.delete()
                report.removed += 1
            elif not rec.obsolete:
                rec.obsolete = True
                rec.save(update_fields=["obsolete", "updated_at"])
                report.obsolete += 1
    return report


def _require(scope: Scope, rec: Recommendation) -> None:
    if not is_authority(scope) or not allows_territory(scope, rec.territory_id):
        raise ApplicationError("Изменять рекомендации может орган управления своей территории.")


def recommendation_create(
    *,
    scope: Scope,
    user: Any = None,
    territory: Territory,
    title: str,
    text: str,
    direction: str,
    addressee: str,
    organization: Organization | None = None,
    group: str = "",
    year: int | None = None,
) -> Recommendation:
    """A recommendation written by hand (no finding)."""
    if not is_authority(scope) or not allows_territory(scope, territory.pk):
        raise ApplicationError("Создавать рекомендации может орган управления своей территории.")
    _validate(title, text, direction, addressee, organization)
    return Recommendation.objects.create(
        territory=territory,
        organization=organization,
        addressee=addressee,
        group=group[:300],
        direction=direction,
        finding_kind="manual",
        year=year,
        title=title.strip()[:500],
        text=text.strip(),
        edited=True,
    )


def _validate(
    title: str, text: str, direction: str, addressee: str, organization: Organization | None
) -> None:
    if not title.strip() or not text.strip():
        raise ApplicationError("Заполните заголовок и текст рекомендации.")
    if direction not in (*DIRECTION_CODES, SEVERAL):
        raise ApplicationError("Неизвестное направление.")
    if addressee not in dict(ADDRESSEE_CHOICES):
        raise ApplicationError("Неизвестный адресат.")
    if addressee == ORGANIZATION and organization is None:
        raise ApplicationError("Укажите организацию-адресата.")


def recommendation_update(
    *,
    rec: Recommendation,
    scope: Scope,
    title: str,
    text: str,
    group: str | None = None,
    direction: str | None = None,
) -> Recommendation:
    """Edit the wording; an edited recommendation is never overwritten by regeneration."""
    _require(scope, rec)
    if rec.status == Recommendation.Status.APPROVED:
        raise ApplicationError("Утверждённую рекомендацию изменить нельзя; верните её в проект.")
    _validate(title, text, direction or rec.direction, rec.addressee, rec.organization)
    rec.title = title.strip()[:500]
    rec.text = text.strip()
    if group is not None:
        rec.group = group.strip()[:300]
    if direction:
        rec.direction = direction
    rec.edited = True
    rec.save()
    return rec


def recommendation_decide(
    *, rec: Recommendation, scope: Scope, user: Any = None, decision: str
) -> Recommendation:
    """Approve, reject or return to draft. Approval notifies the addressed school."""
    from soko.cycle.services.reminders import notify_school_users

    _require(scope, rec)
    status = {
        "approve": Recommendation.Status.APPROVED,
        "reject": Recommendation.Status.REJECTED,
        "draft": Recommendation.Status.DRAFT,
    }.get(decision)
    if status is None:
        raise ApplicationError("Неизвестное решение по рекомендации.")
    rec.status = status
    if status == Recommendation.Status.APPROVED:
        rec.approved_by = user if getattr(user, "is_authenticated", False) else None
        rec.approved_at = timezone.now()
    else:
        rec.approved_by = None
        rec.approved_at = None
    if status != Recommendation.Status.DRAFT:
        rec.edited = True  # a decided recommendation is never regenerated
    rec.save()
    if status == Recommendation.Status.APPROVED and rec.organization_id:
        notify_school_users(
            organization_id=rec.organization_id,
            kind="recommendation",
            key=f"recommendation:{rec.pk}",
            title=f"Адресная рекомендация: {rec.title[:200]}",
            text=rec.text,
            url=f"/cycle/recommendations/{rec.pk}/",
        )
    return rec
