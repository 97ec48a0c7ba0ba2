"""Indicators (показатели), their computed values and targets (целевые значения).

An :class:`Indicator` is data: a formula over facts, the registry and the sources other areas
register (:mod:`soko.indicators.sources`), written in the small language of
:mod:`soko.indicators.formula`. Built-in indicators come from ``<area>/data/indicators.yaml`` of
every installed area; specialists add their own in the web editor. Values are computed in the
background (:mod:`soko.indicators.engine`) and stored in :class:`IndicatorValue`, which pages
read. Values of groups under the minimum size are stored masked (no figures, ``suppressed``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from soko.core.models import TimeStampedModel


class Direction(models.TextChoices):
    """The nine directions of МСОКО (DESIGN §2)."""

    RESULTS = "results", "1.1 Система оценки качества подготовки обучающихся"
    LOW_RESULTS = (
        "low_results",
        ("1.2 Школы с низкими результатами и в неблагоприятных социальных условиях"),
    )
    TALENTS = "talents", "1.3 Выявление, поддержка и развитие способностей и талантов"
    CAREER = "career", "1.4 Самоопределение и профессиональная ориентация"
    OBJECTIVITY = "objectivity", "Объективность процедур оценки качества и олимпиад"
    LEADERS = "leaders", "2.1 Мониторинг эффективности руководителей ОО"
    TEACHERS = "teachers", "2.2 Профессиональное развитие педагогов"
    UPBRINGING = "upbringing", "2.3 Воспитание и социализация"
    PRESCHOOL = "preschool", "2.4 Качество дошкольного образования"


class Polarity(models.TextChoices):
    HIGHER_BETTER = "higher_better", "чем выше, тем лучше"
    LOWER_BETTER = "lower_better", "чем ниже, тем лучше"


class Aggregation(models.TextChoices):
    COUNTS = "counts", "из счётчиков (числитель и знаменатель суммируются)"
    ORGS_SHARE = "orgs_share", "доля организаций, удовлетворяющих условию"
    COMPOSITE = "composite", "сводный индекс из показателей"


class Indicator(TimeStampedModel):
    """A показатель: what is counted, over what, and how it aggregates up the hierarchy."""

    class Test(models.TextChoices):
        AUTO = "auto", "определяется по формуле"
        PROPORTION = "proportion", "z-критерий для двух долей"
        MEAN = "mean", "t-критерий Уэлча для средних"
        NONE = "none", "не проверяется"

    class Normalisation(models.TextChoices):
        MINMAX = "minmax", "min–max по организациям года"
        FIXED = "fixed", "по заданным границам"

    code = models.CharField("код", max_length=120, unique=True)
    name = models.CharField("название", max_length=500)
    short_name = models.CharField("краткое название", max_length=200, blank=True)
    direction = models.CharField("направление", max_length=20, choices=Direction.choices)
    unit = models.CharField("единица", max_length=20, default="%")
    factor = models.FloatField("множитель", default=100.0)
    polarity = models.CharField(
        "полярность", max_length=16, choices=Polarity.choices, default=Polarity.HIGHER_BETTER
    )
    aggregation = models.CharField(
        "агрегирование", max_length=16, choices=Aggregation.choices, default=Aggregation.COUNTS
    )
    numerator = models.TextField("числитель", blank=True)
    denominator = models.TextField("знаменатель", blank=True)
    condition = models.TextField("условие для организации", blank=True)
    universe = models.TextField(
        "какие организации учитываются", blank=True, help_text="Для доли организаций"
    )
    n_formula = models.TextField("численность группы", blank=True)
    filters: models.JSONField[dict[str, Any]] = models.JSONField(
        "отбор", default=dict, blank=True, help_text="procedure, subject, grade, level, stage"
    )
    breakdown: models.JSONField[list[str]] = models.JSONField(
        "разрезы", default=list, blank=True, help_text="Например, subject и grade"
    )
    total = models.BooleanField("итог по всем разрезам", default=True)
    levels: models.JSONField[list[str]] = models.JSONField(
        "уровни", default=list, blank=True, help_text="organization, territory (пусто — оба)"
    )
    min_group = models.PositiveIntegerField(
        "минимальный размер группы", null=True, blank=True, help_text="Пусто — системный параметр"
    )
    test = models.CharField(
        "проверка значимости", max_length=16, choices=Test.choices, default=Test.AUTO
    )
    components: models.JSONField[list[dict[str, Any]]] = models.JSONField(
        "компоненты индекса", default=list, blank=True
    )
    normalisation = models.CharField(
        "нормирование", max_length=16, choices=Normalisation.choices, blank=True
    )
    scale = models.FloatField("шкала индекса", default=100.0)
    min_weight_share = models.FloatField("минимальная доля веса доступных компонентов", default=0.5)
    methodology = models.TextField("методика расчёта", blank=True)
    source = models.ForeignKey(
        "catalog.Source", on_delete=models.PROTECT, verbose_name="источник", related_name="+"
    )
    is_builtin = models.BooleanField("встроенный", default=False)
    area = models.CharField("область системы", max_length=40, blank=True)
    retired = models.BooleanField("выведен из употребления", default=False)
    key = models.BooleanField("ключевой (на обзоре)", default=False)
    order = models.PositiveIntegerField("порядок", default=1000)
    definition_hash = models.CharField("контрольная сумма определения", max_length=64, blank=True)
    problem = models.TextField(
        "неустранённая ошибка определения",
        blank=True,
        help_text="Почему показатель сейчас не рассчитывается (например, нет источника данных).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="создал",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["direction", "order", "code"]
        verbose_name = "показатель"
        verbose_name_plural = "показатели"

    def __str__(self) -> str:
        return self.name

    @property
    def is_percent(self) -> bool:
        return self.unit.strip() == "%"


class IndicatorRun(models.Model):
    """One computation: which years, on which engine, how long it took, how it ended."""

    class Status(models.TextChoices):
        RUNNING = "running", "выполняется"
        DONE = "done", "завершён"
        FAILED = "failed", "ошибка"

    started_at = models.DateTimeField("начат", auto_now_add=True)
    finished_at = models.DateTimeField("завершён", null=True, blank=True)
    status = models.CharField(
        "состояние", max_length=16, choices=Status.choices, default=Status.RUNNING
    )
    trigger = models.CharField("повод", max_length=40, default="manual")
    years: models.JSONField[list[int]] = models.JSONField("годы", default=list)
    engine = models.CharField("хранилище фактов", max_length=20, blank=True)
    indicators = models.PositiveIntegerField("показателей", default=0)
    rows = models.PositiveIntegerField("значений", default=0)
    seconds = models.FloatField("длительность, с", default=0.0)
    timings: models.JSONField[dict[str, float]] = models.JSONField("этапы", default=dict)
    message = models.TextField("сообщение", blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "расчёт показателей"
        verbose_name_plural = "расчёты показателей"

    def __str__(self) -> str:
        return f"Расчёт №{self.pk} ({self.get_status_display()})"


class IndicatorValue(models.Model):
    """The value of an indicator for one organization or territory, year and breakdown group.

    ``breakdown_key`` is empty for the whole group and e.g. ``subject=МА;grade=5`` for a part.
    Rows with ``suppressed`` (group under the minimum size) keep no figures, only ``n``.
    """

    # Foreign keys are covered by the composite indexes below (fewer indexes, faster writes).
    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="values", db_index=False
    )
    year = models.PositiveSmallIntegerField("год")
    organization = models.ForeignKey(
        "registry.Organization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="indicator_values",
        db_index=False,
    )
    territory = models.ForeignKey(
        "registry.Territory",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="indicator_values",
        db_index=False,
    )
    breakdown_key = models.CharField("разрез", max_length=200, blank=True, default="")
    breakdown: models.JSONField[dict[str, Any]] = models.JSONField(
        "значения разреза", default=dict, blank=True
    )
    numerator = models.FloatField("числитель", null=True, blank=True)
    denominator = models.FloatField("знаменатель", null=True, blank=True)
    value = models.FloatField("значение", null=True, blank=True)
    n = models.PositiveIntegerField("численность группы", default=0)
    suppressed = models.BooleanField("скрыто (малая группа)", default=False)
    previous_value = models.FloatField("значение прошлого года", null=True, blank=True)
    change = models.FloatField("изменение", null=True, blank=True)
    change_significant = models.BooleanField("изменение значимо", null=True, blank=True)
    p_value = models.FloatField("p-значение", null=True, blank=True)
    detail: models.JSONField[dict[str, Any]] = models.JSONField("подробности", default=dict)
    run = models.ForeignKey(
        IndicatorRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["indicator", "year", "territory", "organization", "breakdown_key"]
        indexes = [
            models.Index(fields=["indicator", "year"], name="ix_indval_ind_year"),
            models.Index(fields=["organization", "year"], name="ix_indval_org_year"),
            models.Index(fields=["territory", "year"], name="ix_indval_terr_year"),
        ]
        verbose_name = "значение показателя"
        verbose_name_plural = "значения показателей"

    def __str__(self) -> str:
        where = self.organization_id or self.territory_id
        return f"{self.indicator_id} {self.year} {where} {self.breakdown_key}: {self.value}"

    @property
    def is_territory(self) -> bool:
        return self.territory_id is not None


class TargetStatus(models.TextChoices):
    ACHIEVED = "achieved", "достигнуто"
    NOT_ACHIEVED = "not_achieved", "не достигнуто"
    AT_RISK = "at_risk", "под угрозой"
    ON_TRACK = "on_track", "в пределах траектории"
    NO_DATA = "no_data", "нет данных"


class Target(TimeStampedModel):
    """A target value of an indicator for an organization or a territory in a year, with the
    document that set it. ``status`` is evaluated from the stored values after each computation
    (see :func:`soko.indicators.services.targets_evaluate`)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    year = models.PositiveSmallIntegerField("год")
    organization = models.ForeignKey(
        "registry.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    territory = models.ForeignKey(
        "registry.Territory", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    breakdown_key = models.CharField("разрез", max_length=200, blank=True, default="")
    value = models.FloatField("целевое значение")
    document_number = models.CharField("номер документа", max_length=100, blank=True)
    document_date = models.DateField("дата документа", null=True, blank=True)
    document_title = models.CharField("документ", max_length=500, blank=True)
    note = models.TextField("примечание", blank=True)
    status = models.CharField(
        "статус", max_length=16, choices=TargetStatus.choices, default=TargetStatus.NO_DATA
    )
    actual_value = models.FloatField("фактическое значение", null=True, blank=True)
    projected_value = models.FloatField("прогноз на год цели", null=True, blank=True)
    status_note = models.CharField("пояснение статуса", max_length=500, blank=True)
    evaluated_at = models.DateTimeField("статус определён", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["indicator", "year", "territory", "organization"]
        verbose_name = "целевое значение"
        verbose_name_plural = "целевые значения"

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.year}: {self.value}"


class IndicatorCatalogVersion(models.Model):
    """Which version of the built-in indicator definitions was loaded, and when."""

    checksum = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(auto_now_add=True)
    counts: models.JSONField[dict[str, Any]] = models.JSONField(default=dict)

    class Meta:
        ordering = ["-loaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.checksum[:12]} ({self.loaded_at:%Y-%m-%d})"
