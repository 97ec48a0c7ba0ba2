"""Reads of import history."""

from __future__ import annotations

from django.db.models import QuerySet

from soko.accounts.scope import SYSTEM, Scope
from soko.imports.models import ImportBatch, ImportSlice


def batch_list(
    scope: Scope = SYSTEM, *, organization_id: int | None = None, assessment_id: int | None = None
) -> QuerySet[ImportBatch]:
    """Batches visible in the scope: a school sees batches touching its organization."""
    qs = ImportBatch.objects.select_related("uploaded_by").order_by("-created_at", "-id")
    if scope.is_public:
        return qs.none()
    if scope.organization_id is not None:
        qs = qs.filter(slices__organization_id=scope.organization_id).distinct()
    elif scope.territory_ids is not None:
        qs = qs.filter(
            slices__organization__territory_id__in=sorted(scope.territory_ids)
        ).distinct()
    if organization_id is not None:
        qs = qs.filter(slices__organization_id=organization_id).distinct()
    if assessment_id is not None:
        qs = qs.filter(slices__assessment_id=assessment_id).distinct()
    return qs


def batch_slices(batch: ImportBatch, scope: Scope = SYSTEM) -> QuerySet[ImportSlice]:
    qs = batch.slices.select_related("assessment", "organization", "superseded_by")
    if scope.organization_id is not None:
        qs = qs.filter(organization_id=scope.organization_id)
    return qs
