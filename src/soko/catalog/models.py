"""The assessment catalog and methodology parameters, each figure with its source.

Nothing here is computed: these are reference data loaded from versioned files shipped with
the package (``soko/catalog/data``) or created by an import («выведено из данных»), and edited
by specialists. Every threshold points at a :class:`Source` that says where it comes from and
how reliable it is, so the UI never presents our own choice as official.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from simple_history.models import HistoricalRecords

from soko.core.models import TimeStampedModel


class Source(TimeStampedModel):
    """Where a figure comes from: an official document, a secondary page or our own choice."""

    class Kind(models.TextChoices):
        OFFICIAL = "official", "официальный документ"
        REGIONAL = "regional", "региональный / муниципальный акт"
        NEWS = "news", "СМИ со ссылкой на официальный документ"
        SECONDARY = "secondary", "вторичный источник (не сверен с документом)"
        LITERATURE = "literature", "научная литература (метод)"
        SYSTEM = "system", "системное значение СОКО"
        DERIVED = "derived", "выведено из данных"
        SYNTHETIC = "synthetic", "синтетические данные (демо)"

    code = models.SlugField("код", max_length=80, unique=True)
    title = models.CharField("название", max_length=500)
    kind = models.CharField("вид источника", max_length=16, choices=Kind.choices)
    document_number = models.CharField("номер документа", max_length=100, blank=True)
    document_date = models.DateField("дата документа", null=True, blank=True)
    url = models.URLField("адрес", max_length=500, blank=True)
    note = models.TextField("примечание", blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = "источник"
        verbose_name_plural = "источники"

    def __str__(self) -> str:
        return self.title

    @property
    def is_official(self) -> bool:
        return self.kind in {self.Kind.OFFICIAL, self.Kind.REGIONAL}


class Subject(models.Model):
    """A school subject with the short code used in seed 003 (РУ, МА, …)."""

    code = models.CharField("код", max_length=16, unique=True)
    name = models.CharField("название", max_length=200)
    aliases: models.JSONField[list[str]] = models.JSONField(
        "синонимы", default=list, blank=True, help_text="Написания в файлах: «русский», «рус. яз.»…"
    )
    order = models.PositiveSmallIntegerField("порядок", default=100)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = "предмет"
        verbose_name_plural = "предметы"

    def __str__(self) -> str:
        return self.name


class Procedure(models.Model):
    """An assessment procedure: ВПР, ОГЭ, ЕГЭ, ВсОШ stage, …"""

    class Kind(models.TextChoices):
        DIAGNOSTIC = "diagnostic", "оценочная процедура"
        EXAM = "exam", "государственная итоговая аттестация"
        OLYMPIAD = "olympiad", "олимпиада"
        STUDY = "study", "исследование"
        CREDIT = "credit", "зачётная процедура"

    class Result(models.TextChoices):
        MARK = "mark", "отметка 2–5"
        TEST_SCORE = "test_score", "тестовый балл 0–100"
        STATUS = "status", "статус участника"
        PASS = "pass", "зачёт / незачёт"
        SCORE = "score", "балл"

    code = models.CharField("код", max_length=32, unique=True)
    name = models.CharField("название", max_length=200)
    short_name = models.CharField("краткое название", max_length=40)
    kind = models.CharField("вид", max_length=16, choices=Kind.choices)
    result = models.CharField("результат", max_length=16, choices=Result.choices)
    level = models.CharField("уровень", max_length=40, blank=True)
    grades: models.JSONField[list[int]] = models.JSONField("классы", default=list, blank=True)
    description = models.TextField("описание", blank=True)
    order = models.PositiveSmallIntegerField("порядок", default=100)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = "оценочная процедура"
        verbose_name_plural = "оценочные процедуры"

    def __str__(self) -> str:
        return self.short_name


class Assessment(TimeStampedModel):
    """One work: procedure × subject × grade × year, with its tasks and scale."""

    class ScaleStatus(models.TextChoices):
        OFFICIAL = "official", "официальная"
        SECONDARY = "secondary", "по вторичному источнику"
        DERIVED = "derived", "выведена из данных"
        CONFIRMED = "confirmed", "подтверждена специалистом"
        UNSET = "unset", "не задана"

    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, verbose_name="процедура")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, verbose_name="предмет")
    grade = models.PositiveSmallIntegerField("класс", null=True, blank=True)
    year = models.PositiveSmallIntegerField("год")
    variant_series = models.CharField("серия вариантов", max_length=60, blank=True)
    title = models.CharField("название", max_length=300)
    max_primary = models.PositiveSmallIntegerField("максимальный первичный балл", null=True)
    scale_status = models.CharField(
        "шкала", max_length=16, choices=ScaleStatus.choices, default=ScaleStatus.UNSET
    )
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.PROTECT, verbose_name="источник"
    )
    note = models.TextField("примечание", blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-year", "procedure__order", "subject__order", "grade"]
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "subject", "grade", "year", "variant_series"],
                name="uniq_assessment",
            )
        ]
        verbose_name = "работа"
        verbose_name_plural = "работы"

    def __str__(self) -> str:
        return self.title


class Task(models.Model):
    """A task of a work: number («9.1»), max score, level (Б/П/В), checked skill."""

    class Level(models.TextChoices):
        BASIC = "Б", "базовый"
        ADVANCED = "П", "повышенный"
        HIGH = "В", "высокий"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="tasks")
    position = models.PositiveSmallIntegerField("позиция")
    number = models.CharField("номер", max_length=20)
    max_score = models.FloatField("максимальный балл")
    level = models.CharField("уровень", max_length=1, choices=Level.choices, blank=True)
    skill = models.TextField("проверяемое умение / КЭС", blank=True)
    part = models.CharField(
        "часть / модуль",
        max_length=40,
        blank=True,
        help_text="Для условных правил шкалы: «геометрия», «ГК» и т. п.",
    )

    class Meta:
        ordering = ["assessment", "position"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "position"], name="uniq_task_position"),
            models.UniqueConstraint(fields=["assessment", "number"], name="uniq_task_number"),
        ]
        verbose_name = "задание"
        verbose_name_plural = "задания"

    def __str__(self) -> str:
        return f"{self.number} ({self.max_score:g}б)"


class MarkScale(TimeStampedModel):
    """Primary score → mark boundaries, with conditional rules (geometry, literacy).

    ``boundaries`` maps a mark to the lowest primary score that gives it, e.g.
    ``{"3": 8, "4": 15, "5": 22}``. ``conditions`` is a list of rules understood by
    :mod:`soko.lib.scales`, e.g. ``{"mark": 3, "part": "геометрия", "min": 2, "else": 2}``.
    """

    assessment = models.OneToOneField(Assessment, on_delete=models.CASCADE, related_name="scale")
    boundaries: models.JSONField[dict[str, float]] = models.JSONField("границы отметок")
    conditions: models.JSONField[list[dict[str, Any]]] = models.JSONField(
        "дополнительные условия", default=list, blank=True
    )
    conditions_text = models.TextField("условия (текст источника)", blank=True)
    profile_class_min = models.CharField(
        "минимум для профильных классов", max_length=200, blank=True
    )
    source = models.ForeignKey(Source, on_delete=models.PROTECT, verbose_name="источник")
    history = HistoricalRecords()

    class Meta:
        verbose_name = "шкала отметок"
        verbose_name_plural = "шкалы отметок"

    def __str__(self) -> str:
        return f"Шкала: {self.assessment}"


class ScaleReference(TimeStampedModel):
    """A published mark scale kept verbatim, also when its year is not known.

    Scales whose year is stated also become the :class:`MarkScale` of an assessment; the others
    (e.g. ВПР grade 8 scales of a secondary page without a year) stay here as a reference that
    a specialist can compare with a scale inferred from data.
    """

    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, verbose_name="процедура")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, verbose_name="предмет")
    grade = models.PositiveSmallIntegerField("класс", null=True, blank=True)
    year_text = models.CharField("год (как в источнике)", max_length=80)
    years: models.JSONField[list[int]] = models.JSONField("годы", default=list, blank=True)
    variant_series = models.CharField("серия вариантов", max_length=100, blank=True)
    max_primary = models.PositiveSmallIntegerField("максимальный первичный балл", null=True)
    bands: models.JSONField[dict[str, str]] = models.JSONField("интервалы баллов")
    conditions_text = models.TextField("условия", blank=True)
    profile_class_min = models.CharField(
        "минимум для профильных классов", max_length=200, blank=True
    )
    source = models.ForeignKey(Source, on_delete=models.PROTECT, verbose_name="источник")

    class Meta:
        ordering = ["procedure", "subject", "grade", "year_text"]
        verbose_name = "опубликованная шкала"
        verbose_name_plural = "опубликованные шкалы"

    def __str__(self) -> str:
        return f"{self.procedure} {self.subject} {self.grade or ''} {self.year_text}".strip()


class ScoreConversion(TimeStampedModel):
    """ЕГЭ primary → test score table of one year and subject (may be partial)."""

    assessment = models.OneToOneField(
        Assessment, on_delete=models.CASCADE, related_name="conversion"
    )
    table: models.JSONField[dict[str, float]] = models.JSONField(
        "таблица", help_text="первичный балл → тестовый балл"
    )
    complete = models.BooleanField("таблица полная", default=True)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, verbose_name="источник")
    history = HistoricalRecords()

    class Meta:
        verbose_name = "шкала перевода баллов"
        verbose_name_plural = "шкалы перевода баллов"

    def __str__(self) -> str:
        return f"Перевод: {self.assessment}"


class MinScore(TimeStampedModel):
    """A minimum score of a year: ЕГЭ test score, ОГЭ primary for «3», …"""

    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, verbose_name="процедура")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, verbose_name="предмет")
    year = models.PositiveSmallIntegerField("год")
    purpose = models.CharField("назначение", max_length=100, blank=True)
    score = models.FloatField("минимальный балл", null=True, blank=True)
    mark = models.PositiveSmallIntegerField("минимальная отметка", null=True, blank=True)
    score_kind = models.CharField(
        "вид балла",
        max_length=16,
        choices=[("test", "тестовый"), ("primary", "первичный")],
        default="test",
    )
    condition = models.CharField("дополнительное условие", max_length=300, blank=True)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, verbose_name="источник")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-year", "procedure", "subject"]
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "subject", "year", "purpose"], name="uniq_min_score"
            )
        ]
        verbose_name = "минимальный балл"
        verbose_name_plural = "минимальные баллы"

    def __str__(self) -> str:
        value = f"{self.score:g}" if self.score is not None else f"«{self.mark}»"
        return f"{self.procedure} {self.subject} {self.year}: {value}"


class Parameter(TimeStampedModel):
    """A methodological threshold (the 30 % rule, marker cut-offs, minimum group size…).

    Versioned by ``valid_from`` (a year): the value in force for a year is the row with the
    greatest ``valid_from`` not after it.
    """

    code = models.CharField("код", max_length=120)
    name = models.CharField("название", max_length=300)
    value: models.JSONField[Any] = models.JSONField("значение")
    unit = models.CharField("единица", max_length=40, blank=True)
    description = models.TextField("описание", blank=True)
    valid_from = models.PositiveSmallIntegerField("действует с года", default=2000)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, verbose_name="источник")
    history = HistoricalRecords()

    class Meta:
        ordering = ["code", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["code", "valid_from"], name="uniq_parameter_version")
        ]
        verbose_name = "методический параметр"
        verbose_name_plural = "методические параметры"

    def __str__(self) -> str:
        return f"{self.code} = {self.value}"


class CatalogVersion(models.Model):
    """Which version of the shipped reference data was loaded, and when."""

    version = models.CharField(max_length=40)
    checksum = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-loaded_at"]

    def __str__(self) -> str:
        return f"{self.version} ({self.loaded_at:%Y-%m-%d})"
