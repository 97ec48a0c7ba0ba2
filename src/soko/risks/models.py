"""Risk flags (ШНОР, ШФНСУ, signs of non-objectivity), their review, school summaries and the
re-checking of works («перепроверка»).

Flags are computed (see :mod:`soko.risks.services`) and stored; pages only read them. A flag is
identified by its key (kind, organization, year, procedure, subject, grade): a recomputation
updates the figures of a flag with the same key and keeps its review state and history.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from soko.core.models import TimeStampedModel


class FlagKind(models.TextChoices):
    OBJECTIVITY = "objectivity", "признаки необъективности"
    LOW_RESULTS = "low_results", "низкие результаты обучения (ШНОР)"
    SOCIAL = "social", "неблагоприятные социальные условия (ШФНСУ)"


class FlagStatus(models.TextChoices):
    OPEN = "open", "не рассмотрен"
    CONFIRMED = "confirmed", "подтверждён"
    DISMISSED = "dismissed", "отклонён"


def flag_key(
    kind: str, organization_id: int, year: int, procedure: str, subject: str, grade: int | None
) -> str:
    return f"{kind}|{organization_id}|{year}|{procedure}|{subject}|{grade or ''}"


class Flag(TimeStampedModel):
    """A finding about a school: evidence, not a verdict; a person confirms or dismisses it.

    ``codes``: fired markers M1…M8 (objectivity), ``rule_30pct`` / ``low_index`` (low results)
    or ``social_index`` (social conditions). ``evidence``: the statistics, thresholds with their
    sources and sample sizes. ``current``: produced by the latest computation (a flag that no
    longer fires but was reviewed stays, with ``current`` false). ``persistent``: the school
    has a not-dismissed flag of the same kind in the previous year too.
    """

    key = models.CharField("ключ", max_length=200, unique=True)
    kind = models.CharField("вид", max_length=16, choices=FlagKind.choices)
    organization = models.ForeignKey(
        "registry.Organization",
        on_delete=models.PROTECT,
        related_name="risk_flags",
        verbose_name="ОО",
    )
    year = models.PositiveSmallIntegerField("год")
    procedure = models.CharField("процедура", max_length=32, blank=True)
    subject = models.CharField("предмет", max_length=16, blank=True)
    grade = models.PositiveSmallIntegerField("класс", null=True, blank=True)
    codes: models.JSONField[list[str]] = models.JSONField("признаки / правила", default=list)
    evidence: models.JSONField[dict[str, Any]] = models.JSONField("доказательства", default=dict)
    status = models.CharField(
        "статус", max_length=16, choices=FlagStatus.choices, default=FlagStatus.OPEN
    )
    persistent = models.BooleanField("устойчиво (два года подряд и более)", default=False)
    current = models.BooleanField("по последнему расчёту", default=True)
    computed_at = models.DateTimeField("рассчитан", null=True, blank=True)
    reviewed_at = models.DateTimeField("рассмотрен", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="кем рассмотрен",
    )
    review_comment = models.TextField("комментарий", blank=True)

    class Meta:
        ordering = ["-year", "kind", "organization__short_name", "procedure", "subject", "grade"]
        indexes = [
            models.Index(fields=["kind", "year"], name="risks_flag_kind_year"),
            models.Index(fields=["organization", "year"], name="risks_flag_org_year"),
        ]
        verbose_name = "флаг риска"
        verbose_name_plural = "флаги рисков"

    def __str__(self) -> str:
        work = " ".join(str(x) for x in (self.procedure, self.subject, self.grade or "") if x)
        return f"{self.get_kind_display()}: {self.organization_id} {self.year} {work}".strip()

    @property
    def work_label(self) -> str:
        parts = [self.procedure, self.subject]
        label = " ".join(p for p in parts if p)
        if self.grade:
            label += f", {self.grade} кл."
        return label


class FlagReview(models.Model):
    """One review of a flag: who, when, which decision, with what comment (history)."""

    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="reviews")
    status = models.CharField("решение", max_length=16, choices=FlagStatus.choices)
    comment = models.TextField("комментарий", blank=True)
    codes: models.JSONField[list[str]] = models.JSONField(
        "признаки на момент решения", default=list
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    user_name = models.CharField("кто", max_length=200, blank=True)
    created_at = models.DateTimeField("когда", auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "решение по флагу"
        verbose_name_plural = "решения по флагам"

    def __str__(self) -> str:
        return f"{self.flag_id}: {self.status} ({self.user_name})"


class SchoolYearRisk(TimeStampedModel):
    """The low-results / social picture of one school in one year (every school with data).

    ``results_index``: the standardised, shrunk result across procedures (SD units, 0 = the
    region); ``social_index``: ИСК (higher = more disadvantaged); ``quadrant``: priority /
    management / resilient / other; ``residual``: results adjusted for the social context.
    """

    organization = models.ForeignKey(
        "registry.Organization", on_delete=models.CASCADE, related_name="risk_years"
    )
    year = models.PositiveSmallIntegerField("год")
    results_index = models.FloatField("индекс результатов", null=True, blank=True)
    results_percentile = models.FloatField("процентиль результатов", null=True, blank=True)
    results_works = models.PositiveIntegerField("работ в индексе", default=0)
    low_index = models.BooleanField("низкий индекс (правило X %)", default=False)
    rule_30pct = models.BooleanField("правило 30 %", default=False)
    low_results = models.BooleanField("ШНОР", default=False)
    social_index = models.FloatField("индекс социального контекста", null=True, blank=True)
    social_percentile = models.FloatField("процентиль ИСК", null=True, blank=True)
    social = models.BooleanField("ШФНСУ", default=False)
    quadrant = models.CharField("квадрант", max_length=16, blank=True)
    residual = models.FloatField("результат с учётом контекста", null=True, blank=True)
    objectivity_markers = models.PositiveSmallIntegerField("число видов признаков", default=0)
    objectivity_works = models.PositiveIntegerField("работ с признаками", default=0)
    objectivity_persistent = models.BooleanField("признаки устойчиво", default=False)
    evidence: models.JSONField[dict[str, Any]] = models.JSONField(default=dict)

    class Meta:
        ordering = ["-year", "organization__short_name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "year"], name="uniq_risk_year")
        ]
        verbose_name = "риски ОО за год"
        verbose_name_plural = "риски ОО по годам"

    def __str__(self) -> str:
        return f"{self.organization_id} {self.year}"


class OfficialComparison(models.Model):
    """An official list (ФИОКО) row or an own flag on a work covered by an official list."""

    class Agreement(models.TextChoices):
        BOTH = "both", "в обоих перечнях"
        OFFICIAL = "official", "только в официальном"
        OURS = "ours", "только по расчёту СОКО"

    organization = models.ForeignKey(
        "registry.Organization", on_delete=models.CASCADE, related_name="+"
    )
    year = models.PositiveSmallIntegerField("год")
    procedure = models.CharField(max_length=32)
    subject = models.CharField(max_length=16)
    grade = models.PositiveSmallIntegerField(null=True, blank=True)
    agreement = models.CharField(max_length=16, choices=Agreement.choices)
    list_source = models.CharField("источник перечня", max_length=100, blank=True)
    codes: models.JSONField[list[str]] = models.JSONField(default=list)
    flag = models.ForeignKey(Flag, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-year", "organization__short_name", "subject", "grade"]
        verbose_name = "сравнение с официальным перечнем"
        verbose_name_plural = "сравнения с официальным перечнем"

    def __str__(self) -> str:
        return f"{self.organization_id} {self.year} {self.subject} {self.grade}: {self.agreement}"


class ComputationRun(models.Model):
    """One run of the risk computation: when, which years, what it found."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    years: models.JSONField[list[int]] = models.JSONField(default=list)
    summary: models.JSONField[dict[str, Any]] = models.JSONField(default=dict)

    class Meta:
        ordering = ["-finished_at", "-id"]

    def __str__(self) -> str:
        return f"{self.finished_at:%Y-%m-%d %H:%M} {self.years}"


class RecheckMethod(models.TextChoices):
    RANDOM = "random", "случайная выборка"
    RISK = "risk", "по признакам риска"
    MIXED = "mixed", "случайная и по признакам риска"


class RecheckSample(TimeStampedModel):
    """A sample of works of one assessment chosen for re-checking by a municipal commission."""

    title = models.CharField("название", max_length=300)
    assessment = models.ForeignKey(
        "catalog.Assessment", on_delete=models.PROTECT, verbose_name="работа"
    )
    year = models.PositiveSmallIntegerField("год")
    method = models.CharField("способ отбора", max_length=16, choices=RecheckMethod.choices)
    size = models.PositiveIntegerField("объём выборки")
    seed = models.PositiveIntegerField("начальное число генератора")
    risk_share = models.FloatField("доля работ из ОО с признаками", default=0.5)
    note = models.TextField("примечание", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "выборка для перепроверки"
        verbose_name_plural = "выборки для перепроверки"

    def __str__(self) -> str:
        return self.title


class RecheckWork(models.Model):
    """One work of a sample: the school's marking and, once entered, the commission's."""

    class Reason(models.TextChoices):
        RANDOM = "random", "случайный отбор"
        RISK = "risk", "ОО с признаками"

    sample = models.ForeignKey(RecheckSample, on_delete=models.CASCADE, related_name="works")
    organization = models.ForeignKey(
        "registry.Organization", on_delete=models.PROTECT, related_name="+"
    )
    result_id = models.BigIntegerField("номер результата в хранилище")
    participant_code = models.CharField("код участника", max_length=40)
    class_label = models.CharField("класс", max_length=16, blank=True)
    reason = models.CharField("основание отбора", max_length=16, choices=Reason.choices)
    position = models.PositiveIntegerField("номер в выборке", default=0)
    school_scores: models.JSONField[list[float | None]] = models.JSONField(default=list)
    school_primary = models.FloatField(null=True, blank=True)
    school_mark = models.PositiveSmallIntegerField(null=True, blank=True)
    commission_scores: models.JSONField[list[float] | None] = models.JSONField(
        null=True, blank=True
    )
    commission_primary = models.FloatField(null=True, blank=True)
    commission_mark = models.PositiveSmallIntegerField(null=True, blank=True)
    delta_primary = models.FloatField(null=True, blank=True)
    mark_changed = models.BooleanField(null=True, blank=True)
    objective = models.BooleanField(null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sample", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["sample", "result_id"], name="uniq_recheck_work")
        ]
        verbose_name = "работа для перепроверки"
        verbose_name_plural = "работы для перепроверки"

    def __str__(self) -> str:
        return f"{self.sample_id}: {self.participant_code}"

    @property
    def checked(self) -> bool:
        return self.commission_scores is not None
