"""Import batches and their slices.

A batch is one accepted file, archived verbatim with its SHA-256. A slice is the part of a batch
that belongs to one replacement unit — (kind, assessment, organization) for results — and the
unit of replacement and undo: a corrected file for the same assessment and organization
supersedes the earlier slice, which stays in history and comes back on undo.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from soko.core.models import TimeStampedModel


class ImportBatch(TimeStampedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", "действует"
        PARTLY_REPLACED = "partly_replaced", "частично заменена"
        REPLACED = "replaced", "заменена"
        UNDONE = "undone", "отменена"

    kind = models.CharField("вид данных", max_length=40)
    file_name = models.CharField("файл", max_length=300)
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    size = models.BigIntegerField("размер, байт")
    archive_path = models.CharField("архивная копия", max_length=500)
    status = models.CharField(
        "состояние", max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    rows_accepted = models.BigIntegerField("принято строк", default=0)
    year = models.PositiveSmallIntegerField("год", null=True, blank=True)
    summary: models.JSONField[dict[str, Any]] = models.JSONField("сводка", default=dict)
    options: models.JSONField[dict[str, Any]] = models.JSONField("параметры", default=dict)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name="загрузил",
    )
    scope_organization = models.ForeignKey(
        "registry.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="загружено для ОО",
    )
    undone_at = models.DateTimeField("отменено", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "загрузка"
        verbose_name_plural = "загрузки"

    def __str__(self) -> str:
        return f"№{self.pk} {self.file_name}"


class ImportSlice(models.Model):
    """The part of a batch for one (kind, assessment, organization) — see module docstring."""

    class State(models.TextChoices):
        ACTIVE = "active", "действует"
        SUPERSEDED = "superseded", "заменён"
        UNDONE = "undone", "отменён"

    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="slices")
    kind = models.CharField("вид данных", max_length=40)
    unit_key = models.CharField("единица замены", max_length=200, db_index=True)
    assessment = models.ForeignKey(
        "catalog.Assessment", null=True, blank=True, on_delete=models.PROTECT
    )
    organization = models.ForeignKey(
        "registry.Organization", null=True, blank=True, on_delete=models.PROTECT
    )
    year = models.PositiveSmallIntegerField("год", null=True, blank=True)
    rows = models.BigIntegerField("строк", default=0)
    state = models.CharField(
        "состояние", max_length=16, choices=State.choices, default=State.ACTIVE
    )
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="supersedes"
    )

    class Meta:
        ordering = ["batch", "id"]
        verbose_name = "срез загрузки"
        verbose_name_plural = "срезы загрузки"

    def __str__(self) -> str:
        return f"{self.batch_id}/{self.unit_key}"


class RegistryChange(models.Model):
    """One registry object created or changed by an import, with its state before — what undo
    needs to put the registry back."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="changes")
    model = models.CharField("модель", max_length=60)
    object_id = models.BigIntegerField("объект")
    created = models.BooleanField("создан загрузкой")
    before: models.JSONField[dict[str, Any]] = models.JSONField("до изменения", default=dict)

    class Meta:
        ordering = ["batch", "id"]
        verbose_name = "изменение реестра при загрузке"
        verbose_name_plural = "изменения реестра при загрузке"

    def __str__(self) -> str:
        return f"{self.batch_id}: {self.model} {self.object_id}"
