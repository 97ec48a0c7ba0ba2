"""Shared model bases and the background job table."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField("создано", auto_now_add=True)
    updated_at = models.DateTimeField("изменено", auto_now=True)

    class Meta:
        abstract = True


class Job(models.Model):
    """A unit of long work (import, computation, report) run in the background.

    The web shows its progress by polling; the CLI runs the same function in the foreground.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "в очереди"
        RUNNING = "running", "выполняется"
        DONE = "done", "завершено"
        FAILED = "failed", "ошибка"

    kind = models.CharField("вид", max_length=64)
    title = models.CharField("название", max_length=300)
    params: models.JSONField[Any] = models.JSONField("параметры", default=dict)
    status = models.CharField(
        "состояние", max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.FloatField("готовность", default=0.0)
    message = models.CharField("этап", max_length=500, blank=True)
    result: models.JSONField[Any] = models.JSONField("результат", default=dict, blank=True)
    error = models.TextField("ошибка", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField("создано", auto_now_add=True)
    started_at = models.DateTimeField("начато", null=True, blank=True)
    finished_at = models.DateTimeField("закончено", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "фоновая задача"
        verbose_name_plural = "фоновые задачи"

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        return round(self.progress * 100)

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}
