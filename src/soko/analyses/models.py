"""Stored results of the analyses; pages, exports and the CLI read these tables only.

Everything here is written by :func:`soko.analyses.services.analyses_compute` (a background job,
the post-import hook or ``soko analysis compute``), which replaces a year's rows atomically.
Counts are kept with their denominators; shares are derived on reading.
"""

from __future__ import annotations

from typing import Any

from django.db import models


class Level(models.TextChoices):
    CLASS = "class", "класс"
    ORGANIZATION = "organization", "образовательная организация"
    MUNICIPALITY = "municipality", "муниципалитет"
    REGION = "region", "регион"


class AssessmentAnalysis(models.Model):
    """The analysis of one work (procedure × subject × grade × year): what was computed, when,
    with which task list, scale and thresholds (a snapshot, so the page shows what was used)."""

    assessment = models.OneToOneField(
        "catalog.Assessment", on_delete=models.CASCADE, related_name="analysis"
    )
    year = models.PositiveSmallIntegerField("год")
    procedure = models.CharField("процедура", max_length=32)
    subject = models.CharField("предмет", max_length=16)
    grade = models.PositiveSmallIntegerField("класс", null=True, blank=True)
    computed_at = models.DateTimeField("рассчитано", auto_now=True)
    participants = models.PositiveIntegerField("участников (всего)", default=0)
    organizations = models.PositiveIntegerField("ОО (всего)", default=0)
    tasks: models.JSONField[list[dict[str, Any]]] = models.JSONField("задания", default=list)
    skills: models.JSONField[list[dict[str, Any]]] = models.JSONField(
        "планируемые результаты", default=list
    )
    boundaries: models.JSONField[dict[str, float]] = models.JSONField(
        "границы отметок", default=dict
    )
    scale_status = models.CharField("статус шкалы", max_length=16, blank=True)
    scale_source = models.CharField("источник шкалы", max_length=500, blank=True)
    thresholds: models.JSONField[dict[str, Any]] = models.JSONField(
        "применённые пороги", default=dict
    )
    has_marks = models.BooleanField("есть отметки", default=False)
    has_tasks = models.BooleanField("есть баллы за задания", default=False)
    has_journal = models.BooleanField("есть отметки по журналу", default=False)
    has_test_scores = models.BooleanField("есть тестовые баллы", default=False)

    class Meta:
        ordering = ["-year", "procedure", "subject", "grade"]
        indexes = [models.Index(fields=["year", "procedure", "subject", "grade"])]
        verbose_name = "анализ работы"
        verbose_name_plural = "анализы работ"

    def __str__(self) -> str:
        return f"Анализ: {self.assessment_id}"


class ResultSummary(models.Model):
    """Results of one work for one unit: a class, an organization, a municipality or the region.

    Counts of present participants by mark, sums of primary (and test) scores, the histogram of
    primary scores, journal comparison counts and per-task sums (``tasks``: one entry per task
    position with ``sum`` and ``n``, at organization level and above also ``by_mark``).
    ``skills`` holds per planned result completion and status.
    """

    analysis = models.ForeignKey(
        AssessmentAnalysis, on_delete=models.CASCADE, related_name="summaries"
    )
    year = models.PositiveSmallIntegerField("год")
    level = models.CharField("уровень", max_length=16, choices=Level.choices)
    organization = models.ForeignKey(
        "registry.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    territory = models.ForeignKey(
        "registry.Territory", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    class_label = models.CharField("класс", max_length=16, blank=True)
    organizations = models.PositiveIntegerField("ОО", default=0)
    participants = models.PositiveIntegerField("участников (писали)", default=0)
    absent = models.PositiveIntegerField("не писали", default=0)
    mark_2 = models.PositiveIntegerField(default=0)
    mark_3 = models.PositiveIntegerField(default=0)
    mark_4 = models.PositiveIntegerField(default=0)
    mark_5 = models.PositiveIntegerField(default=0)
    primary_n = models.PositiveIntegerField(default=0)
    primary_sum = models.FloatField(default=0.0)
    primary_sumsq = models.FloatField(default=0.0)
    test_n = models.PositiveIntegerField(default=0)
    test_sum = models.FloatField(default=0.0)
    test_sumsq = models.FloatField(default=0.0)
    test_below_min = models.PositiveIntegerField(default=0)
    test_high = models.PositiveIntegerField(default=0)
    journal_n = models.PositiveIntegerField("пар с отметкой по журналу", default=0)
    journal_lower = models.PositiveIntegerField("понизили", default=0)
    journal_equal = models.PositiveIntegerField("подтвердили", default=0)
    journal_higher = models.PositiveIntegerField("повысили", default=0)
    journal_gap = models.PositiveIntegerField("расхождение на 2 и более", default=0)
    histogram: models.JSONField[list[int]] = models.JSONField("гистограмма", default=list)
    tasks: models.JSONField[list[dict[str, Any]]] = models.JSONField("задания", default=list)
    skills: models.JSONField[list[dict[str, Any]]] = models.JSONField("умения", default=list)

    class Meta:
        ordering = ["analysis", "level", "organization", "class_label"]
        indexes = [
            models.Index(fields=["analysis", "level"]),
            models.Index(fields=["organization", "year"]),
        ]
        verbose_name = "результаты работы по единице анализа"
        verbose_name_plural = "результаты работ по единицам анализа"

    def __str__(self) -> str:
        unit = self.class_label or self.organization_id or self.territory_id
        return f"{self.analysis_id} {self.level} {unit}"

    @property
    def marked(self) -> int:
        return self.mark_2 + self.mark_3 + self.mark_4 + self.mark_5

    def share(self, mark: int) -> float | None:
        """Share (0–1) of present participants with this mark (None without marks)."""
        total = self.marked
        if not total:
            return None
        return float(getattr(self, f"mark_{mark}")) / total

    @property
    def mean_primary(self) -> float | None:
        return self.primary_sum / self.primary_n if self.primary_n else None

    @property
    def mean_test(self) -> float | None:
        return self.test_sum / self.test_n if self.test_n else None


class ShareTwoTrend(models.Model):
    """Dynamics of the «2» share (ЕГЭ: below the minimum) over the last 3–5 years."""

    year = models.PositiveSmallIntegerField("год")
    level = models.CharField("уровень", max_length=16, choices=Level.choices)
    organization = models.ForeignKey(
        "registry.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    territory = models.ForeignKey(
        "registry.Territory", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    procedure = models.CharField("процедура", max_length=32)
    subject = models.CharField("предмет", max_length=16)
    grade = models.PositiveSmallIntegerField("класс", null=True, blank=True)
    points: models.JSONField[list[dict[str, Any]]] = models.JSONField("по годам", default=list)
    change_pp = models.FloatField("изменение, п. п.", null=True)
    negative = models.BooleanField("отрицательная динамика", default=False)
    min_n = models.PositiveIntegerField("наименьшее число участников за годы", default=0)

    class Meta:
        ordering = ["year", "procedure", "subject", "grade"]
        indexes = [models.Index(fields=["year", "level"])]
        verbose_name = "динамика доли «2»"
        verbose_name_plural = "динамика доли «2»"

    def __str__(self) -> str:
        return f"{self.year} {self.procedure} {self.subject} {self.grade}"


class SchoolPosition(models.Model):
    """A school's standardised position in one work of a year (empirical-Bayes, in SD of the
    between-school spread of the region)."""

    organization = models.ForeignKey(
        "registry.Organization", on_delete=models.CASCADE, related_name="+"
    )
    year = models.PositiveSmallIntegerField("год")
    procedure = models.CharField("процедура", max_length=32)
    subject = models.CharField("предмет", max_length=16)
    grade = models.PositiveSmallIntegerField("класс", null=True, blank=True)
    n = models.PositiveIntegerField("участников")
    percent = models.FloatField("средний % выполнения (доля)")
    share_2 = models.FloatField("доля «2»", null=True)
    region_percent = models.FloatField("средний % выполнения в регионе (доля)")
    reliability = models.FloatField("надёжность λ")
    z = models.FloatField("позиция, SD")

    class Meta:
        ordering = ["organization", "year", "procedure", "subject", "grade"]
        indexes = [models.Index(fields=["year", "procedure"])]
        verbose_name = "позиция ОО"
        verbose_name_plural = "позиции ОО"

    def __str__(self) -> str:
        return f"{self.organization_id} {self.year} {self.procedure} {self.subject}: {self.z:+.2f}"


class SchoolAgreement(models.Model):
    """Whether a school's positions in ВПР, ОГЭ and ЕГЭ of a year agree."""

    organization = models.ForeignKey(
        "registry.Organization", on_delete=models.CASCADE, related_name="+"
    )
    year = models.PositiveSmallIntegerField("год")
    vpr = models.FloatField("позиция ВПР", null=True)
    oge = models.FloatField("позиция ОГЭ", null=True)
    ege = models.FloatField("позиция ЕГЭ", null=True)
    gap = models.FloatField("разрыв", null=True)
    agrees = models.BooleanField("согласованы", null=True)
    text = models.CharField("вывод", max_length=500)

    class Meta:
        ordering = ["year", "organization"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "year"], name="uniq_agreement")
        ]
        verbose_name = "согласованность результатов ОО"
        verbose_name_plural = "согласованность результатов ОО"

    def __str__(self) -> str:
        return f"{self.organization_id} {self.year}: {self.text}"


class Cohort(models.Model):
    """A school's class cohort followed from one year to the next (grade g → g + 1).

    Pupils are not linkable across ВПР files, so the cohort is school × grade × year.
    """

    organization = models.ForeignKey(
        "registry.Organization", on_delete=models.CASCADE, related_name="+"
    )
    subject = models.CharField("предмет", max_length=16)
    from_procedure = models.CharField(max_length=32)
    from_grade = models.PositiveSmallIntegerField()
    from_year = models.PositiveSmallIntegerField()
    to_procedure = models.CharField(max_length=32)
    to_grade = models.PositiveSmallIntegerField()
    to_year = models.PositiveSmallIntegerField()
    from_n = models.PositiveIntegerField()
    to_n = models.PositiveIntegerField()
    from_z = models.FloatField()
    to_z = models.FloatField()
    from_share_2 = models.FloatField(null=True)
    to_share_2 = models.FloatField(null=True)
    change = models.FloatField("изменение позиции, SD")
    verdict = models.CharField(
        max_length=8, choices=[("drop", "снижение"), ("rise", "рост"), ("stable", "стабильно")]
    )

    class Meta:
        ordering = ["to_year", "organization", "subject", "from_grade"]
        indexes = [models.Index(fields=["to_year"])]
        verbose_name = "когорта"
        verbose_name_plural = "когорты"

    def __str__(self) -> str:
        return f"{self.organization_id} {self.subject} {self.from_grade}→{self.to_grade}"


class ClusterRun(models.Model):
    """Cluster analysis of schools' result profiles in a year and region."""

    year = models.PositiveSmallIntegerField("год")
    territory = models.ForeignKey(
        "registry.Territory", on_delete=models.CASCADE, related_name="+", verbose_name="регион"
    )
    method = models.CharField("метод", max_length=200)
    features: models.JSONField[list[str]] = models.JSONField("признаки", default=list)
    k = models.PositiveSmallIntegerField("число кластеров", default=0)
    silhouettes: models.JSONField[dict[str, float]] = models.JSONField(
        "силуэт по k", default=dict
    )
    clusters: models.JSONField[list[dict[str, Any]]] = models.JSONField("кластеры", default=list)
    correlations: models.JSONField[dict[str, Any]] = models.JSONField(
        "согласованность процедур", default=dict
    )
    schools = models.PositiveIntegerField("ОО в анализе", default=0)
    explanation = models.TextField("пояснение")

    class Meta:
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["year", "territory"], name="uniq_cluster_run")
        ]
        verbose_name = "кластерный анализ"
        verbose_name_plural = "кластерные анализы"

    def __str__(self) -> str:
        return f"{self.year} {self.territory_id}: k={self.k}"


class ClusterMember(models.Model):
    run = models.ForeignKey(ClusterRun, on_delete=models.CASCADE, related_name="members")
    organization = models.ForeignKey(
        "registry.Organization", on_delete=models.CASCADE, related_name="+"
    )
    cluster = models.PositiveSmallIntegerField("кластер")
    features: models.JSONField[dict[str, float | None]] = models.JSONField(
        "позиции", default=dict
    )

    class Meta:
        ordering = ["run", "cluster", "organization"]
        verbose_name = "ОО в кластере"
        verbose_name_plural = "ОО в кластерах"

    def __str__(self) -> str:
        return f"{self.run_id}: {self.organization_id} → {self.cluster}"


class Deficit(models.Model):
    """A skill a class does clearly worse than the mastery threshold and the municipality.

    Contract with other areas (docs/contributing.md): ``year``, ``assessment``,
    ``organization``, ``class_label``, ``teacher``, ``subject`` (code), ``skill`` (text),
    ``task_numbers``, ``completion``, ``reference_completion`` (municipality), ``threshold``
    (shares 0–1), ``n``. Results serve the improvement of teaching; they never rank teachers.
    """

    year = models.PositiveSmallIntegerField("год")
    assessment = models.ForeignKey(
        "catalog.Assessment", on_delete=models.CASCADE, related_name="+"
    )
    organization = models.ForeignKey(
        "registry.Organization", on_delete=models.CASCADE, related_name="+"
    )
    class_label = models.CharField("класс", max_length=16, blank=True)
    teacher = models.ForeignKey(
        "registry.Teacher", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    procedure = models.CharField("процедура", max_length=32)
    subject = models.CharField("предмет", max_length=16)
    grade = models.PositiveSmallIntegerField("класс (параллель)", null=True, blank=True)
    skill = models.TextField("умение / КЭС")
    skill_from_tasks = models.BooleanField("умение не задано в каталоге", default=False)
    task_numbers: models.JSONField[list[str]] = models.JSONField("задания", default=list)
    completion = models.FloatField("выполнение в классе (доля)")
    reference_completion = models.FloatField("выполнение в муниципалитете (доля)")
    threshold = models.FloatField("порог освоения (доля)")
    n = models.PositiveIntegerField("участников в классе")
    reference_n = models.PositiveIntegerField("участников в муниципалитете", default=0)
    specific_gap = models.FloatField(
        "отставание по умению сверх общего отставания класса (доля)", default=0.0
    )
    p_value = models.FloatField("p (Уэлч, односторонний)", default=1.0)
    atypical_profile = models.BooleanField(
        "нетипичный профиль выполнения работы классом",
        default=False,
        help_text="Лёгкие умения работы класс выполнил хуже муниципалитета, а более трудное — "
        "заметно лучше муниципалитета и участников того же уровня (инверсия трудности): "
        "возможна необъективность.",
    )

    class Meta:
        ordering = ["year", "subject", "grade", "organization", "class_label", "skill"]
        indexes = [
            models.Index(fields=["year", "subject"]),
            models.Index(fields=["organization", "year"]),
        ]
        verbose_name = "дефицит"
        verbose_name_plural = "дефициты"

    def __str__(self) -> str:
        return f"{self.year} {self.organization_id} {self.class_label} {self.subject}: {self.skill}"


class DeficitSummary(models.Model):
    """The municipal (or regional) list of deficits by subject and skill, for targeted
    professional development: how many classes show the deficit and the territory's level."""

    year = models.PositiveSmallIntegerField("год")
    level = models.CharField("уровень", max_length=16, choices=Level.choices)
    territory = models.ForeignKey(
        "registry.Territory", on_delete=models.CASCADE, related_name="+"
    )
    assessment = models.ForeignKey(
        "catalog.Assessment", on_delete=models.CASCADE, related_name="+"
    )
    procedure = models.CharField("процедура", max_length=32)
    subject = models.CharField("предмет", max_length=16)
    grade = models.PositiveSmallIntegerField("класс", null=True, blank=True)
    skill = models.TextField("умение / КЭС")
    task_numbers: models.JSONField[list[str]] = models.JSONField("задания", default=list)
    classes = models.PositiveIntegerField("классов с дефицитом", default=0)
    classes_total = models.PositiveIntegerField("классов в анализе", default=0)
    organizations = models.PositiveIntegerField("ОО с дефицитом", default=0)
    pupils = models.PositiveIntegerField("участников в классах с дефицитом", default=0)
    completion = models.FloatField("выполнение на территории (доля)")
    threshold = models.FloatField("порог освоения (доля)")
    below_threshold = models.BooleanField("ниже порога на территории", default=False)

    class Meta:
        ordering = ["year", "subject", "grade", "skill"]
        indexes = [models.Index(fields=["year", "territory"])]
        verbose_name = "дефицит территории"
        verbose_name_plural = "дефициты территорий"

    def __str__(self) -> str:
        return f"{self.year} {self.territory_id} {self.subject}: {self.skill}"
