"""Monitoring forms and campaigns, anonymous surveys and the «Одарённые дети» data bank.

* :class:`FormTemplate` — a form as data (sections of typed fields and cross-field rules, see
  :mod:`soko.monitoring.formspec`) with a direction, a version and its methodology source.
* :class:`Campaign` sends a form to organizations for a reporting year with a deadline; each
  addressee gets a :class:`Submission` at once, so completeness is a count of statuses.
  Every change of a submission is a :class:`SubmissionEvent` (who, when, what, comment).
  Values of *accepted* submissions are copied into :class:`FormValue` — the ``form`` source.
* :class:`Questionnaire` / :class:`Survey` / :class:`SurveyOrganization`: a survey runs a
  questionnaire for organizations in a period; each organization has a public link. A
  :class:`SurveyResponse` keeps the chosen options only — no user, no IP, no time of day, no
  link to the one-time :class:`SurveyToken` it consumed. :class:`SurveyTally` holds the counts
  pages and the ``survey`` source read.
* :class:`TalentRecord` / :class:`TalentStudent`: the «Одарённые дети» bank, rebuilt from
  olympiad facts and accepted contest forms after every import.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from soko.core.models import TimeStampedModel
from soko.monitoring.formspec import DIRECTIONS, FormSpec, parse_form
from soko.monitoring.surveyspec import AUDIENCES, QuestionnaireSpec, parse_questionnaire

DIRECTION_CHOICES = list(DIRECTIONS.items())
#: Parsed descriptions by (model, pk, updated_at): a description is parsed once per change,
#: not once per submission that refers to it.
_SPECS: dict[tuple[str, int, Any], Any] = {}


def _cached_spec(kind: str, obj: Any, parse: Any, data: dict[str, Any]) -> Any:
    key = (kind, obj.pk, obj.updated_at)
    found = _SPECS.get(key) if obj.pk is not None else None
    if found is None:
        found = parse(data)
        if obj.pk is not None:
            if len(_SPECS) > 500:
                _SPECS.clear()
            _SPECS[key] = found
    return found


class FormTemplate(TimeStampedModel):
    """A monitoring form: its description (``spec``) is parsed by :mod:`.formspec`."""

    code = models.SlugField("код", max_length=60)
    version = models.PositiveSmallIntegerField("версия", default=1)
    title = models.CharField("название", max_length=300)
    direction = models.CharField("направление", max_length=20, choices=DIRECTION_CHOICES)
    org_kinds: models.JSONField[list[str]] = models.JSONField(
        "виды организаций", default=list, help_text="school, preschool, additional"
    )
    description = models.TextField("назначение", blank=True)
    methodology = models.TextField("методика и источник показателей", blank=True)
    source = models.ForeignKey(
        "catalog.Source", null=True, blank=True, on_delete=models.PROTECT, verbose_name="источник"
    )
    sections: models.JSONField[list[dict[str, Any]]] = models.JSONField("разделы и поля")
    rules: models.JSONField[list[dict[str, Any]]] = models.JSONField(
        "правила проверки", default=list, blank=True
    )
    is_builtin = models.BooleanField("поставляется с системой", default=False)
    retired = models.BooleanField("выведена из употребления", default=False)

    class Meta:
        ordering = ["direction", "code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="uniq_form_version")
        ]
        verbose_name = "форма мониторинга"
        verbose_name_plural = "формы мониторинга"

    def __str__(self) -> str:
        return f"{self.title} (в. {self.version})"

    @property
    def spec(self) -> FormSpec:
        spec: FormSpec = _cached_spec(
            "form", self, parse_form,
            {"code": self.code, "title": self.title, "sections": self.sections,
             "rules": self.rules},
        )
        return spec

    @property
    def direction_label(self) -> str:
        return DIRECTIONS.get(self.direction, self.direction)


class Campaign(TimeStampedModel):
    """A form sent to organizations for a reporting year, with a deadline."""

    class Status(models.TextChoices):
        OPEN = "open", "идёт сбор"
        CLOSED = "closed", "сбор завершён"

    template = models.ForeignKey(
        FormTemplate, on_delete=models.PROTECT, related_name="campaigns", verbose_name="форма"
    )
    title = models.CharField("название", max_length=300)
    year = models.PositiveSmallIntegerField("отчётный год")
    deadline = models.DateField("срок представления")
    status = models.CharField("состояние", max_length=8, choices=Status.choices,
                              default=Status.OPEN)
    review_required = models.BooleanField(
        "формы проверяет орган управления", default=True,
        help_text="Если нет, представленная форма сразу считается принятой.",
    )
    territory = models.ForeignKey(
        "registry.Territory", null=True, blank=True, on_delete=models.PROTECT,
        verbose_name="территория рассылки",
    )
    criteria: models.JSONField[dict[str, Any]] = models.JSONField(
        "кому отправлена", default=dict, blank=True
    )
    note = models.TextField("пояснение для ОО", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-year", "deadline", "id"]
        verbose_name = "кампания мониторинга"
        verbose_name_plural = "кампании мониторинга"

    def __str__(self) -> str:
        return self.title


class Submission(TimeStampedModel):
    """One organization's answers to a campaign's form."""

    class Status(models.TextChoices):
        ASSIGNED = "assigned", "не начата"
        DRAFT = "draft", "черновик"
        SUBMITTED = "submitted", "представлена"
        RETURNED = "returned", "возвращена на доработку"
        ACCEPTED = "accepted", "принята"

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="submissions", verbose_name="кампания"
    )
    organization = models.ForeignKey(
        "registry.Organization", on_delete=models.PROTECT, related_name="form_submissions",
        verbose_name="ОО",
    )
    status = models.CharField("состояние", max_length=12, choices=Status.choices,
                              default=Status.ASSIGNED)
    raw: models.JSONField[dict[str, Any]] = models.JSONField("ответы (как введены)", default=dict)
    values: models.JSONField[dict[str, Any]] = models.JSONField(
        "ответы (проверенные)", default=dict, blank=True
    )
    submitted_at = models.DateTimeField("представлена", null=True, blank=True)
    accepted_at = models.DateTimeField("принята", null=True, blank=True)
    submitted_late = models.BooleanField("представлена после срока", default=False)
    return_comment = models.TextField("замечания при возврате", blank=True)

    class Meta:
        ordering = ["campaign", "organization__short_name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "organization"], name="uniq_submission")
        ]
        verbose_name = "форма ОО"
        verbose_name_plural = "формы ОО"

    def __str__(self) -> str:
        return f"{self.campaign}: {self.organization}"

    @property
    def is_open_for_school(self) -> bool:
        return self.status in {self.Status.ASSIGNED, self.Status.DRAFT, self.Status.RETURNED}


class SubmissionEvent(models.Model):
    """The history of a submission: saves, submits, returns with comments, acceptance."""

    class Action(models.TextChoices):
        SAVE = "save", "сохранён черновик"
        SUBMIT = "submit", "представлена"
        RETURN = "return", "возвращена на доработку"
        ACCEPT = "accept", "принята"
        REOPEN = "reopen", "открыта для исправления"

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField("когда", auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField("действие", max_length=8, choices=Action.choices)
    on_behalf = models.BooleanField("за ОО (орган управления)", default=False)
    comment = models.TextField("комментарий", blank=True)
    snapshot: models.JSONField[dict[str, Any]] = models.JSONField(
        "ответы на момент действия", default=dict, blank=True
    )

    class Meta:
        ordering = ["submission", "at", "id"]
        verbose_name = "событие формы"
        verbose_name_plural = "история форм"

    def __str__(self) -> str:
        return f"{self.submission_id}: {self.get_action_display()}"


class FormValue(models.Model):
    """A number an accepted submission contributes to the ``form`` indicator source."""

    organization = models.ForeignKey(
        "registry.Organization", on_delete=models.CASCADE, related_name="+"
    )
    year = models.PositiveSmallIntegerField("год")
    name = models.CharField("имя в источнике", max_length=160)
    value = models.FloatField("значение")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "year", "name"], name="uniq_form_value")
        ]
        indexes = [models.Index(fields=["name", "year"], name="form_value_name_year")]
        verbose_name = "значение формы"
        verbose_name_plural = "значения форм"

    def __str__(self) -> str:
        return f"{self.organization_id} {self.year} {self.name}={self.value:g}"


# --- surveys ----------------------------------------------------------------------------------


class Questionnaire(TimeStampedModel):
    """An anonymous questionnaire: closed questions only (see :mod:`.surveyspec`)."""

    code = models.SlugField("код", max_length=60)
    version = models.PositiveSmallIntegerField("версия", default=1)
    title = models.CharField("название", max_length=300)
    audience = models.CharField("кого опрашиваем", max_length=12, choices=list(AUDIENCES.items()))
    direction = models.CharField("направление", max_length=20, choices=DIRECTION_CHOICES)
    org_kinds: models.JSONField[list[str]] = models.JSONField("виды организаций", default=list)
    intro = models.TextField("обращение к респонденту", blank=True)
    methodology = models.TextField("методика", blank=True)
    source = models.ForeignKey(
        "catalog.Source", null=True, blank=True, on_delete=models.PROTECT, verbose_name="источник"
    )
    questions: models.JSONField[list[dict[str, Any]]] = models.JSONField("вопросы")
    is_builtin = models.BooleanField("поставляется с системой", default=False)
    retired = models.BooleanField("выведена из употребления", default=False)

    class Meta:
        ordering = ["audience", "code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="uniq_questionnaire_version")
        ]
        verbose_name = "анкета"
        verbose_name_plural = "анкеты"

    def __str__(self) -> str:
        return self.title

    @property
    def spec(self) -> QuestionnaireSpec:
        spec: QuestionnaireSpec = _cached_spec(
            "questionnaire", self, parse_questionnaire,
            {"code": self.code, "title": self.title, "audience": self.audience,
             "questions": self.questions},
        )
        return spec


class Survey(TimeStampedModel):
    """A questionnaire run for a set of organizations in a period."""

    class Access(models.TextChoices):
        LINK = "link", "открытая ссылка (один ответ с устройства)"
        CODES = "codes", "одноразовые коды приглашения"

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="surveys", verbose_name="анкета"
    )
    title = models.CharField("название", max_length=300)
    year = models.PositiveSmallIntegerField("год")
    opens = models.DateField("начало")
    closes = models.DateField("окончание")
    access = models.CharField("доступ", max_length=8, choices=Access.choices, default=Access.LINK)
    territory = models.ForeignKey(
        "registry.Territory", null=True, blank=True, on_delete=models.PROTECT,
        verbose_name="территория",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-year", "-opens", "id"]
        verbose_name = "анкетирование"
        verbose_name_plural = "анкетирования"

    def __str__(self) -> str:
        return self.title


class SurveyOrganization(models.Model):
    """An organization taking part in a survey, with its public link and expected respondents."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="participants")
    organization = models.ForeignKey(
        "registry.Organization", on_delete=models.PROTECT, related_name="+", verbose_name="ОО"
    )
    slug = models.CharField("ключ ссылки", max_length=40, unique=True)
    expected = models.PositiveIntegerField("ожидаемое число респондентов", null=True, blank=True)
    responses = models.PositiveIntegerField("получено ответов", default=0)

    class Meta:
        ordering = ["survey", "organization__short_name"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "organization"], name="uniq_survey_org")
        ]
        verbose_name = "участник анкетирования"
        verbose_name_plural = "участники анкетирования"

    def __str__(self) -> str:
        return f"{self.survey}: {self.organization}"


class SurveyToken(models.Model):
    """A one-time permission to answer: issued when the page opens, or printed as a code.

    Only the SHA-256 of the token is kept. A response never refers to the token it used.
    """

    participant = models.ForeignKey(
        SurveyOrganization, on_delete=models.CASCADE, related_name="tokens"
    )
    digest = models.CharField(max_length=64, unique=True)
    printed = models.BooleanField("код приглашения", default=False)
    used = models.BooleanField("использован", default=False)

    class Meta:
        verbose_name = "одноразовый ключ ответа"
        verbose_name_plural = "одноразовые ключи ответа"

    def __str__(self) -> str:
        return f"{self.participant_id}: {'использован' if self.used else 'свободен'}"


class SurveyResponse(models.Model):
    """One anonymous answer: the chosen options and the date only."""

    participant = models.ForeignKey(
        SurveyOrganization, on_delete=models.CASCADE, related_name="answers"
    )
    day = models.DateField("дата ответа")
    choices: models.JSONField[dict[str, list[str]]] = models.JSONField("выбранные варианты")

    class Meta:
        verbose_name = "ответ на анкету"
        verbose_name_plural = "ответы на анкеты"

    def __str__(self) -> str:
        return f"{self.participant_id} {self.day}"


class SurveyTally(models.Model):
    """How many respondents of an organization chose an option (``option="total"``: answered
    the question)."""

    participant = models.ForeignKey(
        SurveyOrganization, on_delete=models.CASCADE, related_name="tallies"
    )
    question = models.CharField(max_length=80)
    option = models.CharField(max_length=80)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "question", "option"], name="uniq_survey_tally"
            )
        ]
        verbose_name = "итог ответа"
        verbose_name_plural = "итоги ответов"

    def __str__(self) -> str:
        return f"{self.participant_id} {self.question}.{self.option}={self.count}"


# --- the «Одарённые дети» bank ----------------------------------------------------------------


class TalentRecord(models.Model):
    """One achievement of a pupil: a ВсОШ stage result or a contest result from a form."""

    class Origin(models.TextChoices):
        OLYMPIAD = "olympiad", "ВсОШ (загрузка)"
        CONTEST = "contest", "конкурс (форма мониторинга)"

    class Result(models.TextChoices):
        PARTICIPANT = "participant", "участник"
        PRIZE = "prize", "призёр"
        WINNER = "winner", "победитель"

    student_code = models.CharField("код обучающегося", max_length=40, db_index=True)
    organization = models.ForeignKey(
        "registry.Organization", on_delete=models.CASCADE, related_name="+", verbose_name="ОО"
    )
    year = models.PositiveSmallIntegerField("год")
    origin = models.CharField("откуда", max_length=10, choices=Origin.choices)
    event = models.CharField("олимпиада / конкурс", max_length=300)
    level = models.CharField("этап / уровень", max_length=20)
    level_rank = models.PositiveSmallIntegerField("ранг уровня", default=0)
    subject = models.CharField("предмет / направление", max_length=120, blank=True)
    grade = models.PositiveSmallIntegerField("класс", null=True, blank=True)
    result = models.CharField("результат", max_length=12, choices=Result.choices)
    score = models.FloatField("балл", null=True, blank=True)
    submission = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        ordering = ["student_code", "-year", "-level_rank"]
        indexes = [models.Index(fields=["organization", "year"], name="talent_record_org_year")]
        verbose_name = "достижение обучающегося"
        verbose_name_plural = "достижения обучающихся"

    def __str__(self) -> str:
        return f"{self.student_code} {self.year} {self.event}"


class TalentStudent(models.Model):
    """A pupil of the «Одарённые дети» bank with a summary of the achievements."""

    student_code = models.CharField("код обучающегося", max_length=40, unique=True)
    organization = models.ForeignKey(
        "registry.Organization", on_delete=models.CASCADE, related_name="+", verbose_name="ОО"
    )
    grade = models.PositiveSmallIntegerField("класс (последний известный)", null=True)
    first_year = models.PositiveSmallIntegerField("первый год")
    last_year = models.PositiveSmallIntegerField("последний год")
    achievements = models.PositiveIntegerField("всего достижений", default=0)
    prizes = models.PositiveIntegerField("побед и призовых мест", default=0)
    best_level = models.CharField("высший уровень", max_length=20)
    best_level_rank = models.PositiveSmallIntegerField(default=0)
    best_result = models.CharField("лучший результат", max_length=12)
    subjects: models.JSONField[list[str]] = models.JSONField("предметы", default=list)
    years: models.JSONField[list[int]] = models.JSONField("годы", default=list)

    class Meta:
        ordering = ["-best_level_rank", "-prizes", "student_code"]
        verbose_name = "обучающийся банка «Одарённые дети»"
        verbose_name_plural = "банк «Одарённые дети»"

    def __str__(self) -> str:
        return self.student_code
