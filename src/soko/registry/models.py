"""The registry: territories, organizations, classes, teachers, students, social context.

Organizations keep their changing attributes (name, type, territory, head, in-depth subjects…)
in effective-dated :class:`OrganizationPeriod` rows, so a reorganisation or a change of type keeps
history; the columns on :class:`Organization` mirror the period in force today for fast lists.
All edits are recorded by django-simple-history (who, when, what it was before).
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from simple_history.models import HistoricalRecords

from soko.core.models import TimeStampedModel


class Territory(TimeStampedModel):
    """A region or a municipality (муниципальный район / округ / городской округ)."""

    class Kind(models.TextChoices):
        REGION = "region", "субъект РФ"
        MUNICIPALITY = "municipality", "муниципальное образование"

    code = models.CharField("код", max_length=40, unique=True)
    name = models.CharField("название", max_length=300)
    kind = models.CharField("уровень", max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name="входит в",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = "территория"
        verbose_name_plural = "территории"

    def __str__(self) -> str:
        return self.name


class OrgKind(models.TextChoices):
    SCHOOL = "school", "общеобразовательная организация"
    PRESCHOOL = "preschool", "дошкольная образовательная организация"
    ADDITIONAL = "additional", "организация дополнительного образования"


class OrgType(models.TextChoices):
    SOSH = "СОШ", "средняя общеобразовательная школа"
    SOSH_UIOP = "СОШ с УИОП", "СОШ с углублённым изучением отдельных предметов"
    OOSH = "ООШ", "основная общеобразовательная школа"
    NOSH = "НОШ", "начальная общеобразовательная школа"
    GYMNASIUM = "гимназия", "гимназия"
    LYCEUM = "лицей", "лицей"
    CADET = "кадетская школа", "кадетская школа / корпус"
    EVENING = "вечерняя школа", "вечерняя (сменная) школа"
    SPECIAL = "коррекционная школа", "школа для обучающихся с ОВЗ"
    BOARDING = "школа-интернат", "школа-интернат"
    EDU_CENTER = "центр образования", "центр образования"
    DOO = "ДОО", "детский сад"
    UDO = "УДО", "учреждение дополнительного образования"


IN_DEPTH_TYPES = frozenset({OrgType.SOSH_UIOP, OrgType.GYMNASIUM, OrgType.LYCEUM})


class Settlement(models.TextChoices):
    URBAN = "urban", "городская"
    RURAL = "rural", "сельская"


class Organization(TimeStampedModel):
    """An educational organization (ОО). ``code`` is the ФИС ОКО login, e.g. ``sch423500``."""

    code = models.CharField("логин ФИС ОКО", max_length=40, unique=True)
    name = models.CharField("полное название", max_length=500)
    short_name = models.CharField("краткое название", max_length=200)
    kind = models.CharField("вид", max_length=16, choices=OrgKind.choices, default=OrgKind.SCHOOL)
    org_type = models.CharField("тип", max_length=32, choices=OrgType.choices, default=OrgType.SOSH)
    territory = models.ForeignKey(
        Territory, on_delete=models.PROTECT, related_name="organizations", verbose_name="территория"
    )
    settlement = models.CharField(
        "местность", max_length=8, choices=Settlement.choices, default=Settlement.URBAN
    )
    in_depth_subjects = models.ManyToManyField(
        "catalog.Subject", blank=True, verbose_name="предметы углублённого изучения"
    )
    head_name = models.CharField("руководитель", max_length=200, blank=True)
    inn = models.CharField("ИНН", max_length=12, blank=True)
    ogrn = models.CharField("ОГРН", max_length=15, blank=True)
    address = models.CharField("адрес", max_length=500, blank=True)
    is_active = models.BooleanField("действует", default=True)
    history = HistoricalRecords(m2m_fields=[in_depth_subjects])

    class Meta:
        ordering = ["short_name"]
        verbose_name = "образовательная организация"
        verbose_name_plural = "образовательные организации"

    def __str__(self) -> str:
        return self.short_name


class OrganizationPeriod(models.Model):
    """The attributes of an organization in force from ``valid_from`` until ``valid_to``."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="periods")
    valid_from = models.DateField("действует с")
    valid_to = models.DateField("действует по", null=True, blank=True)
    name = models.CharField("полное название", max_length=500)
    short_name = models.CharField("краткое название", max_length=200)
    kind = models.CharField("вид", max_length=16, choices=OrgKind.choices)
    org_type = models.CharField("тип", max_length=32, choices=OrgType.choices)
    territory = models.ForeignKey(Territory, on_delete=models.PROTECT, related_name="+")
    settlement = models.CharField("местность", max_length=8, choices=Settlement.choices)
    in_depth_subject_codes: models.JSONField[list[str]] = models.JSONField(
        "предметы углублённого изучения", default=list, blank=True
    )
    head_name = models.CharField("руководитель", max_length=200, blank=True)
    reason = models.CharField("основание изменения", max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["organization", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "valid_from"], name="uniq_org_period_start"
            )
        ]
        verbose_name = "период атрибутов ОО"
        verbose_name_plural = "периоды атрибутов ОО"

    def __str__(self) -> str:
        end = self.valid_to.isoformat() if self.valid_to else "…"
        return f"{self.short_name}: {self.valid_from.isoformat()} – {end}"

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class Teacher(TimeStampedModel):
    """A teacher. Personal data are optional: analytics use ``code`` only."""

    class Category(models.TextChoices):
        NONE = "none", "без категории"
        CONFORMITY = "conformity", "соответствие занимаемой должности"
        FIRST = "first", "первая"
        HIGHEST = "highest", "высшая"

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="teachers", verbose_name="ОО"
    )
    code = models.CharField("код", max_length=40)
    full_name = models.CharField("ФИО", max_length=200, blank=True)
    subjects = models.ManyToManyField("catalog.Subject", blank=True, verbose_name="предметы")
    category = models.CharField(
        "квалификационная категория", max_length=16, choices=Category.choices, default="none"
    )
    experience_years = models.PositiveSmallIntegerField("педагогический стаж, лет", null=True)
    birth_year = models.PositiveSmallIntegerField("год рождения", null=True, blank=True)
    is_active = models.BooleanField("работает", default=True)
    history = HistoricalRecords(m2m_fields=[subjects])

    class Meta:
        ordering = ["organization", "code"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="uniq_teacher_code")
        ]
        verbose_name = "педагог"
        verbose_name_plural = "педагоги"

    def __str__(self) -> str:
        return self.full_name or self.code


class ClassGroup(TimeStampedModel):
    """A class (e.g. «5А») of a school year; ``year`` is the calendar year the school year ends."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="classes", verbose_name="ОО"
    )
    year = models.PositiveSmallIntegerField("учебный год (год окончания)")
    grade = models.PositiveSmallIntegerField("параллель")
    label = models.CharField("класс", max_length=16)
    profile = models.CharField("профиль", max_length=100, blank=True)
    homeroom_teacher = models.ForeignKey(
        Teacher, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["organization", "year", "grade", "label"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "year", "label"], name="uniq_class_label"
            )
        ]
        verbose_name = "класс"
        verbose_name_plural = "классы"

    def __str__(self) -> str:
        return f"{self.label} ({self.year - 1}/{self.year})"


class TeachingAssignment(models.Model):
    """Who teaches a subject in a class in a school year."""

    class_group = models.ForeignKey(ClassGroup, on_delete=models.CASCADE, related_name="teaching")
    subject = models.ForeignKey("catalog.Subject", on_delete=models.PROTECT)
    teacher = models.ForeignKey(Teacher, on_delete=models.PROTECT, related_name="assignments")
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["class_group", "subject"], name="uniq_teaching_assignment"
            )
        ]
        verbose_name = "преподавание"
        verbose_name_plural = "преподавание"

    def __str__(self) -> str:
        return f"{self.class_group}: {self.subject_id} — {self.teacher_id}"


class Student(models.Model):
    """A pupil under a pseudonymous code; no names are needed for analytics."""

    code = models.CharField("код обучающегося", max_length=40, unique=True)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="students", verbose_name="ОО"
    )
    birth_year = models.PositiveSmallIntegerField("год рождения", null=True, blank=True)
    sex = models.CharField(
        "пол", max_length=1, blank=True, choices=[("м", "мужской"), ("ж", "женский")]
    )
    has_disability = models.BooleanField("ОВЗ", default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = "обучающийся"
        verbose_name_plural = "обучающиеся"

    def __str__(self) -> str:
        return self.code


class Enrollment(models.Model):
    """A pupil's class in a school year (the cohort link between years)."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="enrollments")
    class_group = models.ForeignKey(ClassGroup, on_delete=models.CASCADE, related_name="pupils")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["student", "class_group"], name="uniq_enrollment")
        ]

    def __str__(self) -> str:
        return f"{self.student_id} → {self.class_group_id}"


class SocialContext(TimeStampedModel):
    """The social context of an organization in a year: the inputs of ШФНСУ analysis.

    Counts are numerators over ``students_total`` (or over families where the form counts
    families), so shares are derived and never averaged.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="social_context", verbose_name="ОО"
    )
    year = models.PositiveSmallIntegerField("год")
    students_total = models.PositiveIntegerField("число обучающихся")
    low_income = models.PositiveIntegerField("из малоимущих семей", null=True, blank=True)
    single_parent = models.PositiveIntegerField("из неполных семей", null=True, blank=True)
    parents_higher_ed = models.PositiveIntegerField(
        "оба родителя с высшим образованием", null=True, blank=True
    )
    non_native_russian = models.PositiveIntegerField(
        "русский язык не родной", null=True, blank=True
    )
    disabled = models.PositiveIntegerField("с ОВЗ", null=True, blank=True)
    kdn_pdn = models.PositiveIntegerField("на учёте в КДН/ПДН", null=True, blank=True)
    staff_vacancies = models.PositiveSmallIntegerField("вакансии педагогов", null=True, blank=True)
    second_shift = models.BooleanField("обучение во вторую смену", null=True, blank=True)
    remoteness_km = models.FloatField("удалённость от центра, км", null=True, blank=True)
    source_note = models.CharField("источник сведений", max_length=300, blank=True)
    history = HistoricalRecords()

    SHARE_FIELDS = (
        "low_income",
        "single_parent",
        "parents_higher_ed",
        "non_native_russian",
        "disabled",
        "kdn_pdn",
    )

    class Meta:
        ordering = ["organization", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "year"], name="uniq_social_context")
        ]
        verbose_name = "социальный контекст ОО"
        verbose_name_plural = "социальный контекст ОО"

    def __str__(self) -> str:
        return f"{self.organization} {self.year}"

    def share(self, field: str) -> float | None:
        """Return the share (0–1) of pupils counted in ``field``, or None when unknown."""
        value = getattr(self, field)
        if value is None or not self.students_total:
            return None
        return float(value) / float(self.students_total)
