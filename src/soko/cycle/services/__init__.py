"""Writes of the management cycle. Submodules by topic; the public entry points are re-exported
here (``from soko.cycle.services import seed_demo_cycle``)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from soko.cycle.services.demo import seed_demo_cycle
from soko.cycle.services.measures import (
    decision_save,
    effectiveness_compute,
    effectiveness_recompute_all,
    effectiveness_request,
    measure_save,
)
from soko.cycle.services.recommendations import (
    collect_findings,
    recommendation_create,
    recommendation_decide,
    recommendation_update,
    recommendations_generate,
)
from soko.cycle.services.reminders import notifications_mark_read, remind
from soko.cycle.services.roadmaps import (
    actor_update,
    comment_add,
    evidence_add,
    item_add,
    item_update,
    occurrence_set_status,
    refresh_statuses,
    report_review,
    report_submit,
    roadmap_create,
    roadmap_import,
    roadmap_preview,
    roadmap_update,
    section_add,
)
from soko.cycle.services.selfassessment import muko_evidence_add, muko_recompute

log = logging.getLogger(__name__)


def _affected_municipalities(batch: Any) -> list[Any]:
    """The municipalities whose organizations a batch touched (every municipality when the
    batch is None or carries no organizations)."""
    from soko.cycle.selectors import territory_ancestors
    from soko.registry.models import Territory

    municipalities = Territory.objects.filter(kind=Territory.Kind.MUNICIPALITY).order_by("code")
    if batch is None:
        return list(municipalities)
    territory_ids = set(
        batch.slices.exclude(organization__isnull=True)
        .values_list("organization__territory_id", flat=True)
    )
    if not territory_ids:
        return list(municipalities)
    related: set[int] = set()
    for territory_id in territory_ids:
        related |= territory_ancestors(territory_id)
    return list(municipalities.filter(pk__in=related))


def cycle_recompute(batch: Any = None) -> dict[str, int]:
    """Recompute what the cycle derives from the other areas — recommendations from the
    findings, stored effectiveness analyses, the МУКО matrix — for the municipalities the batch
    touched (all of them when ``batch`` is None)."""
    from soko.cycle.selectors import territory_tree

    counts = {"territories": 0, "recommendations_created": 0, "analyses": 0}
    territories = _affected_municipalities(batch)
    tree: set[int] = set()
    for territory in territories:
        report = recommendations_generate(territory=territory)
        counts["territories"] += 1
        counts["recommendations_created"] += report.created
        tree |= territory_tree(territory.pk)
    counts["analyses"] = effectiveness_recompute_all(tree)
    if territories:
        muko_recompute(territories=territories)
    return counts


def on_data_changed(batch: Any = None) -> None:
    """The post-import hook: :func:`cycle_recompute`. A failure here is logged and does not
    turn the (already committed) import of another area into an error; the next import or
    ``soko muko`` recomputes again."""
    try:
        with transaction.atomic():
            cycle_recompute(batch)
    except Exception:
        log.exception("cycle: recomputation after an import failed")


__all__ = [
    "actor_update",
    "collect_findings",
    "comment_add",
    "cycle_recompute",
    "decision_save",
    "effectiveness_compute",
    "effectiveness_recompute_all",
    "effectiveness_request",
    "evidence_add",
    "item_add",
    "item_update",
    "measure_save",
    "muko_evidence_add",
    "muko_recompute",
    "notifications_mark_read",
    "occurrence_set_status",
    "on_data_changed",
    "recommendation_create",
    "recommendation_decide",
    "recommendation_update",
    "recommendations_generate",
    "refresh_statuses",
    "remind",
    "report_review",
    "report_submit",
    "roadmap_create",
    "roadmap_import",
    "roadmap_preview",
    "roadmap_update",
    "section_add",
    "seed_demo_cycle",
]
