"""The management cycle: roadmaps with their items and occurrences, reports of execution with
evidence, reminders, targeted recommendations, measures, management decisions, analyses of
effectiveness and the МУКО self-assessment.

Objects of other computing areas (indicators, risk flags, deficits) are referred to by code or
natural key, never by foreign key: those areas recompute their tables freely.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from soko.core.models import TimeStampedModel
from soko.cycle.directions import DIRECTION_CHOICES
from soko.cycle.occurrences import PLANNED, STATUS_CHOICES
from soko.cycle.recommend import ADDRESSEE_CHOICES


class ActKind(models.TextChoices):
    ORDER = "приказ", "приказ"
    DISPOSITION = "распоряжение", "распоряжение"
    RESOLUTION = "постановление", "постановление"
    MINUTES = "протокол", "протокол"


class Actor(TimeStampedModel):
    """A responsible organization or unit of a territory, under its normalised name.

    «УО», «Комитет по образованию», «Управление образованием Администрации города Юрги» are one
    actor («Орган управления образованием»); «Руководители ОО» is «Образовательные организации»,
    i.e. every school of the territory. An actor that is one school is linked to it.
    """

    class Kind(models.TextChoices):
        AUTHORITY = "authority", "орган управления образованием"
        METHOD_CENTER = "method_center", "методическая служба"
        ALL_SCHOOLS = "all_schools", "все образовательные организации территории"
        ORGANIZATION = "organization", "одна образовательная организация"
        OTHER = "other", "иной исполнитель"

    territory = models.ForeignKey(
        "registry.Territory", on_delete=models.PROTECT, related_name="+", verbose_name="территория"
    )
    name = models.CharField("исполнитель", max_length=300)
    kind = models.CharField("вид", max_length=16, choices=Kind.choices, default=Kind.OTHER)
    organization = models.ForeignKey(
        "registry.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="организация",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["territory", "name"]
        constraints = [
            models.UniqueConstraint(fields=["territory", "name"], name="cycle_actor_unique_name")
        ]
        verbose_name = "исполнитель"
        verbose_name_plural = "исполнители"

    def __str__(self) -> str:
        return self.name


class Roadmap(TimeStampedModel):
    """A «дорожная карта» (plan of measures) approved by an act of the authority."""

    class Status(models.TextChoices):
        DRAFT = "draft", "проект"
        ACTIVE = "active", "действует"
        COMPLETED = "completed", "завершена"
        ARCHIVED = "archived", "в архиве"

    title = models.TextField("название")
    direction = models.CharField(
        "направление", max_length=16, choices=DIRECTION_CHOICES, default="several"
    )
    territory = models.ForeignKey(
        "registry.Territory", on_delete=models.PROTECT, related_name="+", verbose_name="территория"
    )
    organization = models.ForeignKey(
        "registry.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="ОО (для дорожной карты организации)",
    )
    owner = models.CharField("ответственный за дорожную карту", max_length=300, blank=True)
    period_start = models.PositiveSmallIntegerField("период: с года", null=True, blank=True)
    period_end = models.PositiveSmallIntegerField("период: по год", null=True, blank=True)
    doc_kind = models.CharField("вид акта", max_length=16, choices=ActKind.choices, blank=True)
    doc_number = models.CharField("номер акта", max_length=60, blank=True)
    doc_date = models.DateField("дата акта", null=True, blank=True)
    doc_text = models.CharField("реквизиты акта (как в документе)", max_length=500, blank=True)
    status = models.CharField("состояние", max_length=16, choices=Status.choices,
                              default=Status.ACTIVE)
    source_name = models.CharField("исходный файл", max_length=300, blank=True)
    source_sha256 = models.CharField("SHA-256 файла", max_length=64, blank=True, db_index=True)
    source_path = models.CharField("архивная копия", max_length=500, blank=True)
    import_warnings: models.JSONField[list[str]] = models.JSONField(
        "замечания загрузки", default=list, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-period_start", "title"]
        verbose_name = "дорожная карта"
        verbose_name_plural = "дорожные карты"

    def __str__(self) -> str:
        return self.title[:120]

    @property
    def period(self) -> tuple[int, int] | None:
        if self.period_start is None:
            return None
        return self.period_start, self.period_end or self.period_start

    @property
    def approving_text(self) -> str:
        """«приказ от 03.12.2020 № 368-А», or empty."""
        if not (self.doc_kind or self.doc_number):
            return ""
        date = f" от {self.doc_date:%d.%m.%Y}" if self.doc_date else ""
        number = f" № {self.doc_number}" if self.doc_number else ""
        return f"{self.doc_kind or 'акт'}{date}{number}"


class RoadmapTarget(models.Model):
    """A row of the roadmap's target-indicator table («Целевые показатели»)."""

    roadmap = models.ForeignKey(Roadmap, on_delete=models.CASCADE, related_name="targets")
    position = models.PositiveIntegerField(default=0)
    name = models.TextField("показатель")
    unit = models.CharField("единица", max_length=60, blank=True)
    values: models.JSONField[list[dict[str, Any]]] = models.JSONField(
        "значения по периодам", default=list
    )
    indicator_code = models.CharField("код показателя СОКО", max_length=120, blank=True)

    class Meta:
        ordering = ["roadmap", "position"]
        verbose_name = "целевой показатель дорожной карты"
        verbose_name_plural = "целевые показатели дорожных карт"

    def __str__(self) -> str:
        return self.name[:100]


class RoadmapSection(models.Model):
    """A section (heading row or table caption) of a roadmap; sections form a tree."""

    roadmap = models.ForeignKey(Roadmap, on_delete=models.CASCADE, related_name="sections")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    position = models.PositiveIntegerField(default=0)
    number = models.CharField("номер", max_length=30, blank=True)
    name = models.TextField("название")
    level = models.PositiveSmallIntegerField(default=0)
    direction = models.CharField(
        "направление", max_length=16, choices=DIRECTION_CHOICES, blank=True
    )
    deadline_text = models.CharField("срок (в строке раздела)", max_length=300, blank=True)

    class Meta:
        ordering = ["roadmap", "position"]
        verbose_name = "раздел дорожной карты"
        verbose_name_plural = "разделы дорожных карт"

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return f"{self.number}. {self.name}" if self.number else self.name


class RoadmapItem(TimeStampedModel):
    """A measure («мероприятие») of a roadmap with its deadline and responsible actors."""

    roadmap = models.ForeignKey(Roadmap, on_delete=models.CASCADE, related_name="items")
    section = models.ForeignKey(
        RoadmapSection, null=True, blank=True, on_delete=models.SET_NULL, related_name="items"
    )
    position = models.PositiveIntegerField(default=0)
    number = models.CharField("№", max_length=30, blank=True)
    title = models.TextField("мероприятие")
    direction = models.CharField(
        "направление", max_length=16, choices=DIRECTION_CHOICES, blank=True
    )
    deadline_text = models.TextField("сроки (как в документе)", blank=True)
    schedule: models.JSONField[dict[str, Any]] = models.JSONField("срок (разобранный)")
    schedule_kind = models.CharField("вид срока", max_length=16, db_index=True)
    schedule_parsed = models.BooleanField("срок распознан", default=True)
    responsible_text = models.TextField("ответственные (как в документе)", blank=True)
    actors = models.ManyToManyField(Actor, through="ItemResponsible", related_name="items")
    indicator_text = models.TextField("показатель (как в документе)", blank=True)
    indicator_code = models.CharField("показатель СОКО (код)", max_length=120, blank=True)
    baseline = models.FloatField("базовое значение", null=True, blank=True)
    baseline_year = models.PositiveSmallIntegerField("год базового значения", null=True,
                                                     blank=True)
    target = models.FloatField("целевое значение", null=True, blank=True)
    target_year = models.PositiveSmallIntegerField("год целевого значения", null=True,
                                                   blank=True)
    status = models.CharField("статус", max_length=16, choices=STATUS_CHOICES, default=PLANNED,
                              db_index=True)
    is_cancelled = models.BooleanField("отменено", default=False)
    extra: models.JSONField[dict[str, str]] = models.JSONField(
        "прочие графы", default=dict, blank=True
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["roadmap", "position"]
        verbose_name = "мероприятие дорожной карты"
        verbose_name_plural = "мероприятия дорожных карт"

    def __str__(self) -> str:
        prefix = f"{self.number}. " if self.number else ""
        return f"{prefix}{self.title[:100]}"


class ItemResponsible(models.Model):
    """An actor responsible for an item, with the name as the document wrote it."""

    item = models.ForeignKey(RoadmapItem, on_delete=models.CASCADE, related_name="responsible")
    actor = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="+")
    label = models.CharField("как в документе", max_length=300)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["item", "position"]
        constraints = [
            models.UniqueConstraint(fields=["item", "actor"], name="cycle_item_actor_once")
        ]

    def __str__(self) -> str:
        return self.label


class ItemOccurrence(models.Model):
    """One period of an item (one per quarter of «ежеквартально»); ``due`` None: no date."""

    item = models.ForeignKey(RoadmapItem, on_delete=models.CASCADE, related_name="occurrences")
    start = models.DateField("начало периода", null=True, blank=True)
    due = models.DateField("срок", null=True, blank=True, db_index=True)
    label = models.CharField("период", max_length=120)
    status = models.CharField("статус", max_length=16, choices=STATUS_CHOICES, default=PLANNED,
                              db_index=True)
    completed_on = models.DateField("выполнено (дата приёмки)", null=True, blank=True)
    note = models.TextField("комментарий органа управления", blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["item", "due"]
        constraints = [
            models.UniqueConstraint(fields=["item", "due"], name="cycle_occurrence_once")
        ]
        verbose_name = "срок мероприятия"
        verbose_name_plural = "сроки мероприятий"

    def __str__(self) -> str:
        return f"{self.item}: {self.label}"


class OccurrenceReport(models.Model):
    """A report of execution by a responsible party, accepted or returned by the authority."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", "на проверке"
        ACCEPTED = "accepted", "принят"
        RETURNED = "returned", "возвращён на доработку"

    occurrence = models.ForeignKey(
        ItemOccurrence, on_delete=models.CASCADE, related_name="reports"
    )
    organization = models.ForeignKey(
        "registry.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="ОО (пусто — орган управления или методическая служба)",
    )
    state = models.CharField("состояние", max_length=16, choices=State.choices,
                             default=State.SUBMITTED)
    text = models.TextField("отчёт о выполнении")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField("отправлен")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField("проверен", null=True, blank=True)
    review_comment = models.TextField("замечания", blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["occurrence", "organization", "submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["occurrence", "organization"],
                condition=models.Q(organization__isnull=False),
                name="cycle_one_report_per_org",
            )
        ]
        verbose_name = "отчёт о выполнении"
        verbose_name_plural = "отчёты о выполнении"

    def __str__(self) -> str:
        return f"{self.occurrence}: {self.get_state_display()}"


class Evidence(models.Model):
    """A document or a link that proves an item was done."""

    class Kind(models.TextChoices):
        FILE = "file", "документ"
        LINK = "link", "ссылка"

    item = models.ForeignKey(RoadmapItem, on_delete=models.CASCADE, related_name="evidence")
    occurrence = models.ForeignKey(
        ItemOccurrence, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence"
    )
    report = models.ForeignKey(
        OccurrenceReport, null=True, blank=True, on_delete=models.CASCADE,
        related_name="evidence",
    )
    organization = models.ForeignKey(
        "registry.Organization", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField("вид", max_length=8, choices=Kind.choices)
    title = models.CharField("название", max_length=300)
    url = models.URLField("ссылка", max_length=1000, blank=True)
    file_path = models.CharField("файл в хранилище", max_length=500, blank=True)
    file_name = models.CharField("имя файла", max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.BigIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item", "created_at"]
        verbose_name = "подтверждение выполнения"
        verbose_name_plural = "подтверждения выполнения"

    def __str__(self) -> str:
        return self.title


class Comment(models.Model):
    item = models.ForeignKey(RoadmapItem, on_delete=models.CASCADE, related_name="comments")
    occurrence = models.ForeignKey(
        ItemOccurrence, null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    organization = models.ForeignKey(
        "registry.Organization", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField("комментарий")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item", "created_at"]
        verbose_name = "комментарий"
        verbose_name_plural = "комментарии"

    def __str__(self) -> str:
        return self.text[:80]


class Notification(models.Model):
    """An in-app notice (mirrored by e-mail). ``key`` makes sending idempotent per user."""

    class Kind(models.TextChoices):
        DEADLINE = "deadline", "приближается срок"
        OVERDUE = "overdue", "срок пропущен"
        DIGEST = "digest", "еженедельная сводка"
        REPORT = "report", "отчёт о выполнении"
        REVIEW = "review", "решение по отчёту"
        RECOMMENDATION = "recommendation", "адресная рекомендация"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cycle_notifications"
    )
    kind = models.CharField("вид", max_length=16, choices=Kind.choices)
    key = models.CharField(max_length=200)
    title = models.CharField("заголовок", max_length=300)
    text = models.TextField("текст", blank=True)
    url = models.CharField("ссылка", max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="cycle_notice_once")
        ]
        verbose_name = "уведомление"
        verbose_name_plural = "уведомления"

    def __str__(self) -> str:
        return self.title


class Recommendation(TimeStampedModel):
    """A targeted recommendation built from a finding (or written by hand)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "проект"
        APPROVED = "approved", "утверждена"
        REJECTED = "rejected", "отклонена"

    territory = models.ForeignKey(
        "registry.Territory", on_delete=models.PROTECT, related_name="+", verbose_name="территория"
    )
    organization = models.ForeignKey(
        "registry.Organization", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name="ОО-адресат",
    )
    addressee = models.CharField("адресат", max_length=16, choices=ADDRESSEE_CHOICES)
    group = models.CharField("группа педагогов / адресат", max_length=300, blank=True)
    direction = models.CharField("направление", max_length=16, choices=DIRECTION_CHOICES)
    finding_kind = models.CharField("основание", max_length=40)
    finding_key = models.CharField(max_length=300, blank=True)
    year = models.PositiveSmallIntegerField("год", null=True, blank=True)
    title = models.CharField("заголовок", max_length=500)
    text = models.TextField("текст рекомендации")
    figures: models.JSONField[list[str]] = models.JSONField("обоснование", default=list)
    refs: models.JSONField[dict[str, Any]] = models.JSONField(default=dict, blank=True)
    status = models.CharField("состояние", max_length=16, choices=Status.choices,
                              default=Status.DRAFT)
    edited = models.BooleanField("изменена вручную", default=False)
    obsolete = models.BooleanField("основание больше не выявляется", default=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-year", "direction", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["territory", "finding_key"],
                condition=~models.Q(finding_key=""),
                name="cycle_recommendation_per_finding",
            )
        ]
        verbose_name = "адресная рекомендация"
        verbose_name_plural = "адресные рекомендации"

    def __str__(self) -> str:
        return self.title


class Measure(TimeStampedModel):
    """A measure («мера», «мероприятие») taken on findings, possibly a roadmap item."""

    class Status(models.TextChoices):
        PLANNED = "planned", "запланирована"
        IN_PROGRESS = "in_progress", "выполняется"
        DONE = "done", "выполнена"
        CANCELLED = "cancelled", "отменена"

    territory = models.ForeignKey(
        "registry.Territory", on_delete=models.PROTECT, related_name="+", verbose_name="территория"
    )
    title = models.CharField("мера", max_length=500)
    description = models.TextField("содержание", blank=True)
    direction = models.CharField("направление", max_length=16, choices=DIRECTION_CHOICES)
    status = models.CharField("состояние", max_length=16, choices=Status.choices,
                              default=Status.PLANNED)
    start_date = models.DateField("начало", null=True, blank=True)
    end_date = models.DateField("окончание", null=True, blank=True)
    responsible = models.CharField("ответственный", max_length=300, blank=True)
    organizations = models.ManyToManyField(
        "registry.Organization", blank=True, related_name="+", verbose_name="целевые ОО"
    )
    indicator_codes: models.JSONField[list[str]] = models.JSONField(
        "показатели (коды)", default=list, blank=True
    )
    items = models.ManyToManyField(
        RoadmapItem, blank=True, related_name="measures", verbose_name="мероприятия дорожных карт"
    )
    recommendations = models.ManyToManyField(
        Recommendation, blank=True, related_name="measures", verbose_name="рекомендации"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords(m2m_fields=[organizations, items, recommendations])

    class Meta:
        ordering = ["-start_date", "title"]
        verbose_name = "мера"
        verbose_name_plural = "меры"

    def __str__(self) -> str:
        return self.title


class Decision(TimeStampedModel):
    """A management decision: an act (приказ, распоряжение…) with its number, date and text."""

    territory = models.ForeignKey(
        "registry.Territory", on_delete=models.PROTECT, related_name="+", verbose_name="территория"
    )
    kind = models.CharField("вид акта", max_length=16, choices=ActKind.choices,
                            default=ActKind.ORDER)
    number = models.CharField("номер", max_length=60)
    date = models.DateField("дата")
    title = models.CharField("заголовок", max_length=500)
    text = models.TextField("текст (распорядительная часть)", blank=True)
    signed_by = models.CharField("подписал", max_length=200, blank=True)
    direction = models.CharField("направление", max_length=16, choices=DIRECTION_CHOICES)
    organizations = models.ManyToManyField(
        "registry.Organization", blank=True, related_name="+", verbose_name="ОО"
    )
    indicator_codes: models.JSONField[list[str]] = models.JSONField(
        "показатели (коды)", default=list, blank=True
    )
    items = models.ManyToManyField(
        RoadmapItem, blank=True, related_name="decisions", verbose_name="мероприятия"
    )
    recommendations = models.ManyToManyField(
        Recommendation, blank=True, related_name="decisions", verbose_name="рекомендации"
    )
    measures = models.ManyToManyField(
        Measure, blank=True, related_name="decisions", verbose_name="меры"
    )
    file_path = models.CharField("файл акта", max_length=500, blank=True)
    file_name = models.CharField("имя файла", max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords(m2m_fields=[organizations, items, recommendations, measures])

    class Meta:
        ordering = ["-date", "number"]
        verbose_name = "управленческое решение"
        verbose_name_plural = "управленческие решения"

    def __str__(self) -> str:
        return f"{self.kind} от {self.date:%d.%m.%Y} № {self.number}"


class EffectivenessAnalysis(models.Model):
    """Before/after of one indicator for the organizations a measure targeted, against the
    others (difference in differences); stored so pages never compute it."""

    class Status(models.TextChoices):
        PENDING = "pending", "ожидает расчёта"
        OK = "ok", "рассчитан"
        INSUFFICIENT = "insufficient", "недостаточно данных"

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="analyses")
    indicator_code = models.CharField("показатель (код)", max_length=120)
    indicator_name = models.CharField("показатель", max_length=500, blank=True)
    unit = models.CharField("единица", max_length=40, blank=True)
    polarity = models.CharField(max_length=16, default="higher_better")
    first_after_year = models.PositiveSmallIntegerField("первый год «после»")
    before_years: models.JSONField[list[int]] = models.JSONField(default=list)
    after_years: models.JSONField[list[int]] = models.JSONField(default=list)
    status = models.CharField("состояние", max_length=16, choices=Status.choices,
                              default=Status.PENDING)
    estimate = models.FloatField("оценка эффекта", null=True, blank=True)
    ci_low = models.FloatField(null=True, blank=True)
    ci_high = models.FloatField(null=True, blank=True)
    verdict = models.CharField(max_length=16, blank=True)
    conclusion = models.TextField("вывод", blank=True)
    method = models.TextField("метод", blank=True)
    result: models.JSONField[dict[str, Any]] = models.JSONField(default=dict, blank=True)
    series: models.JSONField[dict[str, Any]] = models.JSONField(
        "средние по годам", default=dict, blank=True
    )
    computed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "indicator_code"], name="cycle_analysis_per_indicator"
            )
        ]
        verbose_name = "анализ эффективности меры"
        verbose_name_plural = "анализы эффективности мер"

    def __str__(self) -> str:
        return f"{self.measure}: {self.indicator_name or self.indicator_code}"


class MukoAssessment(models.Model):
    """The МУКО self-assessment matrix of a territory for a year, as last computed."""

    territory = models.ForeignKey(
        "registry.Territory", on_delete=models.CASCADE, related_name="+", verbose_name="территория"
    )
    year = models.PositiveSmallIntegerField("год")
    points = models.PositiveIntegerField(default=0)
    max_points = models.PositiveIntegerField(default=0)
    percent = models.FloatField(default=0.0)
    level = models.CharField(max_length=40, blank=True)
    criteria_version = models.CharField(max_length=40, blank=True)
    criteria_source = models.CharField(max_length=80, blank=True)
    matrix: models.JSONField[dict[str, Any]] = models.JSONField(default=dict)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["territory", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["territory", "year"], name="cycle_muko_once")
        ]
        verbose_name = "самооценка МУКО"
        verbose_name_plural = "самооценки МУКО"

    def __str__(self) -> str:
        return f"МУКО {self.territory_id} {self.year}: {self.percent:.0f} %"


class MukoEvidence(models.Model):
    """Evidence for a cell of the МУКО matrix added by hand (a link or a document)."""

    territory = models.ForeignKey(
        "registry.Territory", on_delete=models.CASCADE, related_name="+", verbose_name="территория"
    )
    direction = models.CharField("направление", max_length=16, choices=DIRECTION_CHOICES)
    step = models.CharField("этап цикла", max_length=20)
    title = models.CharField("название", max_length=300)
    url = models.URLField("ссылка", max_length=1000, blank=True)
    file_path = models.CharField(max_length=500, blank=True)
    file_name = models.CharField(max_length=300, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["territory", "direction", "step", "created_at"]
        verbose_name = "подтверждение МУКО"
        verbose_name_plural = "подтверждения МУКО"

    def __str__(self) -> str:
        return self.title
