"""Generated reports and replaceable templates."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from soko.core.models import TimeStampedModel


class Report(TimeStampedModel):
    """One generated document (DOCX, XLSX or PDF) with the data date it reflects."""

    class Status(models.TextChoices):
        QUEUED = "queued", "в очереди"
        RUNNING = "running", "формируется"
        DONE = "done", "готов"
        REFUSED = "refused", "не сформирован"
        FAILED = "failed", "ошибка"

    kind = models.CharField("вид", max_length=40)
    title = models.CharField("название", max_length=300)
    year = models.PositiveSmallIntegerField("год", null=True, blank=True)
    organization = models.ForeignKey(
        "registry.Organization", null=True, blank=True, on_delete=models.PROTECT,
        verbose_name="ОО",
    )
    territory = models.ForeignKey(
        "registry.Territory", null=True, blank=True, on_delete=models.PROTECT,
        verbose_name="территория",
    )
    fmt = models.CharField("формат", max_length=8)
    status = models.CharField(
        "состояние", max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    message = models.TextField("причина / ошибка", blank=True)
    path = models.CharField("файл", max_length=500, blank=True)
    size = models.BigIntegerField("размер", default=0)
    data_as_of = models.DateTimeField("данные на", null=True, blank=True)
    seconds = models.FloatField("время формирования, с", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    job_id = models.BigIntegerField("задача", null=True, blank=True)
    summary: models.JSONField[dict[str, Any]] = models.JSONField("сводка", default=dict)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "отчёт"
        verbose_name_plural = "отчёты"

    def __str__(self) -> str:
        return f"{self.title} ({self.fmt})"


class ReportTemplate(TimeStampedModel):
    """An authority's own DOCX template (letterhead, wording) for one kind or for all."""

    kind = models.CharField("вид отчёта", max_length=40, help_text="пусто — для всех видов")
    name = models.CharField("название", max_length=200)
    path = models.CharField("файл", max_length=500)
    active = models.BooleanField("используется", default=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["kind", "-created_at"]
        verbose_name = "шаблон отчёта"
        verbose_name_plural = "шаблоны отчётов"

    def __str__(self) -> str:
        return self.name
