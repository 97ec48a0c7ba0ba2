"""Reads of the monitoring area, always through a :class:`~soko.accounts.scope.Scope`.

A campaign is visible when at least one of its submissions belongs to an organization in
scope, and its completeness is counted over those submissions only; a school sees its own
forms. Survey results hide organizations with fewer answers than the minimum group size (they
still count in totals). Pupil-level rows of the «Одарённые дети» bank are for the authority and
the pupil's own school; a methodologist gets counts only.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from soko.accounts.scope import Scope
from soko.catalog.selectors import ParameterMissing, min_group_size, parameter_value
from soko.monitoring.formspec import DIRECTIONS, FieldSpec, display_value
from soko.monitoring.models import (
    Campaign,
    FormTemplate,
    Questionnaire,
    Submission,
    SubmissionEvent,
    Survey,
    SurveyOrganization,
    SurveyTally,
    TalentRecord,
    TalentStudent,
)
from soko.monitoring.surveyspec import TOTAL
from soko.registry.models import Organization

OPEN_STATUSES = (Submission.Status.ASSIGNED, Submission.Status.DRAFT, Submission.Status.RETURNED)
DONE_STATUSES = (Submission.Status.SUBMITTED, Submission.Status.ACCEPTED)


def _param(code: str, default: Any) -> Any:
    try:
        return parameter_value(code)
    except ParameterMissing:
        return default


def _privacy_min() -> int:
    try:
        return min_group_size()
    except ParameterMissing:
        return 10


# --- forms ----------------------------------------------------------------------------------


def template_list(*, direction: str | None = None, include_retired: bool = False
                  ) -> QuerySet[FormTemplate]:
    qs = FormTemplate.objects.select_related("source").order_by("direction", "code", "-version")
    if direction:
        qs = qs.filter(direction=direction)
    if not include_retired:
        qs = qs.filter(retired=False)
    return qs


def template_get(code: str, version: int | None = None) -> FormTemplate:
    """A form by code: the given version, or the latest one in use. 404 when unknown."""
    qs = FormTemplate.objects.select_related("source").filter(code=code)
    if version is not None:
        found = qs.filter(version=version).first()
    else:
        found = qs.filter(retired=False).order_by("-version").first() or qs.order_by(
            "-version").first()
    if found is None:
        raise Http404(f"Форма «{code}» не найдена.")
    return found


def templates_by_direction(*, include_retired: bool = False
                           ) -> list[tuple[str, str, list[FormTemplate]]]:
    groups: dict[str, list[FormTemplate]] = defaultdict(list)
    for t in template_list(include_retired=include_retired):
        groups[t.direction].append(t)
    return [(code, label, groups[code]) for code, label in DIRECTIONS.items() if groups[code]]


# --- campaigns ------------------------------------------------------------------------------


def submission_is_overdue(submission: Submission, today: dt.date | None = None) -> bool:
    day = today or timezone.localdate()
    return submission.status in OPEN_STATUSES and day > submission.campaign.deadline


@dataclass
class CampaignSummary:
    campaign: Campaign
    total: int
    by_status: dict[str, int]
    done: int
    overdue: int
    late_submitted: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def accepted(self) -> int:
        return self.by_status.get(Submission.Status.ACCEPTED, 0)

    @property
    def waiting_review(self) -> int:
        return self.by_status.get(Submission.Status.SUBMITTED, 0)

    @property
    def returned(self) -> int:
        return self.by_status.get(Submission.Status.RETURNED, 0)


def campaign_list(scope: Scope, *, year: int | None = None, status: str | None = None,
                  today: dt.date | None = None) -> list[CampaignSummary]:
    """Campaigns with at least one submission in scope, each with counts over those only."""
    day = today or timezone.localdate()
    visible = Submission.objects.filter(scope.org_q("organization"))
    qs = Campaign.objects.filter(pk__in=visible.values("campaign_id")).select_related(
        "template", "territory")
    if year:
        qs = qs.filter(year=year)
    if status:
        qs = qs.filter(status=status)
    campaigns = list(qs.order_by("-year", "deadline", "id"))
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    late: Counter[int] = Counter()
    for cid, st, was_late in visible.filter(campaign__in=campaigns).values_list(
            "campaign_id", "status", "submitted_late"):
        counts[cid][st] += 1
        if was_late and st in DONE_STATUSES:
            late[cid] += 1
    out = []
    for c in campaigns:
        by_status = dict(counts[c.pk])
        open_n = sum(by_status.get(s, 0) for s in OPEN_STATUSES)
        out.append(
            CampaignSummary(
                campaign=c,
                total=sum(by_status.values()),
                by_status=by_status,
                done=sum(by_status.get(s, 0) for s in DONE_STATUSES),
                overdue=open_n if day > c.deadline else 0,
                late_submitted=late[c.pk],
            )
        )
    return out


def campaign_get(scope: Scope, pk: int) -> Campaign:
    """A campaign the caller may see (404 otherwise)."""
    campaign = (
        Campaign.objects.filter(
            pk=pk, submissions__in=Submission.objects.filter(scope.org_q("organization"))
        )
        .select_related("template__source", "territory", "created_by")
        .distinct()
        .first()
    )
    if campaign is None:
        raise Http404("Кампания не найдена или недоступна.")
    return campaign


@dataclass
class SubmissionRow:
    submission: Submission
    overdue: bool
    days_left: int

    @property
    def due_soon(self) -> bool:
        """Still open and the deadline is within ``monitoring.campaign.due_soon_days``."""
        return (self.submission.status in OPEN_STATUSES and not self.overdue
                and 0 <= self.days_left <= int(_param("monitoring.campaign.due_soon_days", 7)))


def campaign_submissions(scope: Scope, campaign: Campaign, *, status: str | None = None,
                         today: dt.date | None = None) -> list[SubmissionRow]:
    """The campaign's submissions in scope with the late flags, overdue first."""
    day = today or timezone.localdate()
    qs = Submission.objects.filter(scope.org_q("organization"), campaign=campaign).select_related(
        "organization__territory", "campaign")
    if status == "overdue":
        qs = qs.filter(status__in=OPEN_STATUSES) if day > campaign.deadline else qs.none()
    elif status:
        qs = qs.filter(status=status)
    rows = [
        SubmissionRow(s, submission_is_overdue(s, day), (campaign.deadline - day).days)
        for s in qs
    ]
    order: dict[str, int] = {"returned": 0, "assigned": 1, "draft": 2, "submitted": 3,
                             "accepted": 4}
    rows.sort(key=lambda r: (not r.overdue, order.get(r.submission.status, 9),
                             r.submission.organization.short_name))
    return rows


def campaign_summary(scope: Scope, campaign: Campaign, today: dt.date | None = None
                     ) -> CampaignSummary:
    found = [s for s in campaign_list(scope, today=today) if s.campaign.pk == campaign.pk]
    if not found:
        raise Http404("Кампания не найдена или недоступна.")
    return found[0]


def submission_get(scope: Scope, pk: int) -> Submission:
    """A submission of an organization in scope (404 otherwise — no leak between schools)."""
    found = (
        Submission.objects.filter(scope.org_q("organization"), pk=pk)
        .select_related("campaign__template__source", "organization__territory")
        .first()
    )
    if found is None:
        raise Http404("Форма не найдена или недоступна.")
    return found


def submission_list(scope: Scope, *, organization: Organization | None = None,
                    year: int | None = None, status: str | None = None
                    ) -> QuerySet[Submission]:
    qs = Submission.objects.filter(scope.org_q("organization")).select_related(
        "campaign__template", "organization")
    if organization is not None:
        qs = qs.filter(organization=organization)
    if year:
        qs = qs.filter(campaign__year=year)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-campaign__year", "campaign__deadline", "organization__short_name")


def submission_history(submission: Submission) -> QuerySet[SubmissionEvent]:
    return submission.events.select_related("user").order_by("at", "id")


@dataclass
class FilledField:
    spec: FieldSpec
    raw: Any
    shown: str
    rows: list[list[str]] = field(default_factory=list)


def submission_view(submission: Submission) -> list[tuple[str, list[FilledField]]]:
    """The answers grouped by section as text (accepted values, or the raw draft)."""
    spec = submission.campaign.template.spec
    source = submission.values if submission.status in DONE_STATUSES else None
    out = []
    for section in spec.sections:
        items = []
        for f in section.fields:
            raw = submission.raw.get(f.code)
            if source is not None:
                value = source.get(f.code)
                shown = display_value(f, value)
                rows = ([[display_value(c, r.get(c.code)) for c in f.columns] for r in value or []]
                        if f.kind == "table" else [])
            else:
                shown = _raw_text(raw)
                rows = ([[_raw_text(r.get(c.code)) for c in f.columns] for r in raw or []]
                        if f.kind == "table" and isinstance(raw, list) else [])
            items.append(FilledField(f, raw, shown, rows))
        out.append((section.title, items))
    return out


def _raw_text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, list):
        return "; ".join(str(v) for v in raw if not isinstance(v, dict))
    return str(raw)


def my_forms(scope: Scope, today: dt.date | None = None) -> list[SubmissionRow]:
    """The forms of the caller's organization(s), open ones first."""
    day = today or timezone.localdate()
    qs = submission_list(scope).select_related("campaign")
    rows = [SubmissionRow(s, submission_is_overdue(s, day), (s.campaign.deadline - day).days)
            for s in qs]
    rows.sort(key=lambda r: (r.submission.status not in OPEN_STATUSES, not r.overdue,
                             -r.submission.campaign.year, r.submission.campaign.deadline))
    return rows


def overdue_submissions(scope: Scope, today: dt.date | None = None) -> list[Submission]:
    """Forms not submitted after their deadline (open campaigns only)."""
    day = today or timezone.localdate()
    return list(
        Submission.objects.filter(
            scope.org_q("organization"),
            status__in=OPEN_STATUSES,
            campaign__status=Campaign.Status.OPEN,
            campaign__deadline__lt=day,
        ).select_related("campaign", "organization").order_by("campaign__deadline")
    )


def campaign_answers(scope: Scope, campaign: Campaign
                     ) -> tuple[list[FieldSpec], list[tuple[Submission, dict[str, Any]]]]:
    """All answers of a campaign in scope: the fields and, per submission, the typed values
    (accepted or submitted) or the draft as typed."""
    spec = campaign.template.spec
    fields = spec.fields
    qs = Submission.objects.filter(scope.org_q("organization"), campaign=campaign
                                   ).select_related("organization__territory")
    rows = [(s, s.values if s.status in DONE_STATUSES else s.raw) for s in qs]
    rows.sort(key=lambda r: r[0].organization.short_name)
    return fields, rows


# --- surveys --------------------------------------------------------------------------------


def questionnaire_list(*, include_retired: bool = False) -> QuerySet[Questionnaire]:
    qs = Questionnaire.objects.select_related("source").order_by("audience", "code", "-version")
    return qs if include_retired else qs.filter(retired=False)


def questionnaire_get(code: str) -> Questionnaire:
    found = Questionnaire.objects.filter(code=code, retired=False).order_by("-version").first()
    if found is None:
        raise Http404(f"Анкета «{code}» не найдена.")
    return found


@dataclass
class SurveySummary:
    survey: Survey
    organizations: int
    responses: int
    expected: int

    @property
    def rate(self) -> float | None:
        return self.responses / self.expected if self.expected else None


def survey_list(scope: Scope) -> list[SurveySummary]:
    """Surveys with at least one organization in scope, with responses over those only."""
    parts = SurveyOrganization.objects.filter(scope.org_q("organization"))
    stats = {
        row["survey_id"]: row
        for row in parts.values("survey_id").annotate(
            n=Count("id"), responses=Sum("responses"), expected=Sum("expected"))
    }
    surveys = Survey.objects.filter(pk__in=list(stats)).select_related("questionnaire")
    return [
        SurveySummary(s, stats[s.pk]["n"], stats[s.pk]["responses"] or 0,
                      stats[s.pk]["expected"] or 0)
        for s in surveys.order_by("-year", "-opens", "id")
    ]


def survey_get(scope: Scope, pk: int) -> Survey:
    found = (
        Survey.objects.filter(
            pk=pk,
            participants__in=SurveyOrganization.objects.filter(scope.org_q("organization")),
        ).select_related("questionnaire__source").distinct().first()
    )
    if found is None:
        raise Http404("Анкетирование не найдено или недоступно.")
    return found


@dataclass
class ParticipantRow:
    participant: SurveyOrganization
    responses: int
    expected: int | None
    min_rate: float

    @property
    def rate(self) -> float | None:
        return self.responses / self.expected if self.expected else None

    @property
    def low(self) -> bool:
        rate = self.rate
        return rate is not None and rate < self.min_rate


def survey_participants(scope: Scope, survey: Survey) -> list[ParticipantRow]:
    min_rate = float(_param("monitoring.survey.min_response_rate", 0.3))
    qs = SurveyOrganization.objects.filter(scope.org_q("organization"), survey=survey
                                           ).select_related("organization__territory")
    return [ParticipantRow(p, p.responses, p.expected, min_rate)
            for p in qs.order_by("organization__short_name")]


def participant_get(scope: Scope, pk: int) -> SurveyOrganization:
    found = SurveyOrganization.objects.filter(scope.org_q("organization"), pk=pk).select_related(
        "survey__questionnaire", "organization").first()
    if found is None:
        raise Http404("Организация не найдена или недоступна.")
    return found


def participant_by_slug(slug: str) -> SurveyOrganization:
    """The public link of an organization in a survey (no login; 404 when unknown)."""
    found = SurveyOrganization.objects.filter(slug=slug).select_related(
        "survey__questionnaire", "organization").first()
    if found is None:
        raise Http404("Анкета не найдена: проверьте ссылку.")
    return found


@dataclass
class OptionResult:
    code: str
    label: str
    count: int
    share: float | None


@dataclass
class QuestionResult:
    code: str
    text: str
    kind: str
    answered: int
    options: list[OptionResult]
    suppressed: bool = False


@dataclass
class SurveyResults:
    survey: Survey
    responses: int
    suppressed: bool
    min_group: int
    questions: list[QuestionResult]
    organizations: list[tuple[SurveyOrganization, bool]]  # (participant, suppressed)
    organization: SurveyOrganization | None = None


def survey_results(scope: Scope, survey: Survey, *, organization: Organization | None = None
                   ) -> SurveyResults:
    """Answer distributions over the organizations in scope (or one of them).

    Any group with fewer answers than ``privacy.min_group_size`` is not shown on its own:
    its distribution is hidden, yet its answers are part of the totals of larger groups.
    """
    threshold = _privacy_min()
    parts = list(SurveyOrganization.objects.filter(scope.org_q("organization"), survey=survey)
                 .select_related("organization").order_by("organization__short_name"))
    chosen = None
    if organization is not None:
        chosen = next((p for p in parts if p.organization_id == organization.pk), None)
        if chosen is None:
            raise Http404("Организация не участвует в анкетировании или недоступна.")
    selected = [chosen] if chosen is not None else parts
    responses = sum(p.responses for p in selected)
    hidden = responses < threshold
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for question, option, count in SurveyTally.objects.filter(
            participant__in=selected).values_list("question", "option", "count"):
        totals[(question, option)] += count
    spec = survey.questionnaire.spec
    questions = []
    for q in spec.questions:
        answered = totals.get((q.code, TOTAL), 0)
        options = [
            OptionResult(
                o.code,
                o.label,
                0 if hidden else totals.get((q.code, o.code), 0),
                None if hidden or not answered else totals.get((q.code, o.code), 0) / answered,
            )
            for o in q.options
        ]
        questions.append(QuestionResult(q.code, q.text, q.kind, 0 if hidden else answered,
                                        options, suppressed=hidden))
    return SurveyResults(
        survey=survey,
        responses=responses,
        suppressed=hidden,
        min_group=threshold,
        questions=questions,
        organizations=[(p, p.responses < threshold) for p in parts],
        organization=chosen,
    )


# --- the «Одарённые дети» bank --------------------------------------------------------------


def _personal(scope: Scope) -> None:
    if not scope.sees_personal_data:
        raise PermissionDenied(
            "Сведения об обучающихся банка «Одарённые дети» доступны органу управления и "
            "самой ОО; методисту — только сводные показатели."
        )


def talent_students(
    scope: Scope,
    *,
    territory: str | None = None,
    organization: str | None = None,
    subject: str | None = None,
    year: int | None = None,
    min_level: int | None = None,
    search: str | None = None,
) -> QuerySet[TalentStudent]:
    """Pupils of the bank visible to the caller (authority or the pupil's school only)."""
    _personal(scope)
    qs = TalentStudent.objects.filter(scope.org_q("organization")).select_related(
        "organization__territory")
    if territory:
        qs = qs.filter(Q(organization__territory__code=territory)
                       | Q(organization__territory__parent__code=territory))
    if organization:
        qs = qs.filter(organization__code=organization)
    if subject or year:
        records = TalentRecord.objects.all()
        if subject:
            records = records.filter(subject=subject)
        if year:
            records = records.filter(year=year)
        qs = qs.filter(student_code__in=records.values("student_code"))
    if min_level:
        qs = qs.filter(best_level_rank__gte=min_level)
    if search:
        qs = qs.filter(student_code__icontains=search.strip())
    return qs.order_by("-best_level_rank", "-prizes", "student_code")


def talent_student_get(scope: Scope, code: str) -> tuple[TalentStudent, list[TalentRecord]]:
    """A pupil's card: the summary and every achievement, newest first (404 out of scope)."""
    _personal(scope)
    student = TalentStudent.objects.filter(scope.org_q("organization"), student_code=code
                                           ).select_related("organization").first()
    if student is None:
        raise Http404("Обучающийся не найден в банке или недоступен.")
    records = list(TalentRecord.objects.filter(student_code=code).select_related("organization")
                   .order_by("-year", "-level_rank", "event", "subject"))
    return student, records


@dataclass
class TalentCount:
    organization: Organization
    students: int | None  # None when the group is below the minimum size
    prizes: int | None
    by_level: dict[str, int | None]


def talent_counts(scope: Scope, *, year: int | None = None) -> list[TalentCount]:
    """Counts of the bank by organization (what a methodologist sees): pupils and pupils with
    prizes by highest level. Groups under the minimum size are shown as hidden."""
    if scope.is_public:
        raise PermissionDenied("Сведения банка «Одарённые дети» не публикуются.")
    threshold = _privacy_min()
    qs = TalentStudent.objects.filter(scope.org_q("organization"))
    if year:
        qs = qs.filter(student_code__in=TalentRecord.objects.filter(year=year)
                       .values("student_code"))
    per_org: dict[int, list[TalentStudent]] = defaultdict(list)
    for s in qs.only("organization_id", "prizes", "best_level"):
        per_org[s.organization_id].append(s)
    orgs = Organization.objects.in_bulk(list(per_org))
    out = []
    for org_id, students in per_org.items():
        n = len(students)
        shown = n >= threshold
        levels = Counter(s.best_level for s in students)
        out.append(
            TalentCount(
                organization=orgs[org_id],
                students=n if shown else None,
                prizes=sum(1 for s in students if s.prizes) if shown else None,
                by_level={k: (v if shown else None) for k, v in sorted(levels.items())},
            )
        )
    out.sort(key=lambda c: c.organization.short_name)
    return out


def talent_totals(scope: Scope, *, year: int | None = None) -> dict[str, Any]:
    """The bank's totals in scope (all groups counted)."""
    if scope.is_public:
        raise PermissionDenied("Сведения банка «Одарённые дети» не публикуются.")
    qs = TalentStudent.objects.filter(scope.org_q("organization"))
    if year:
        qs = qs.filter(student_code__in=TalentRecord.objects.filter(year=year)
                       .values("student_code"))
    levels = Counter(qs.values_list("best_level", flat=True))
    return {
        "students": qs.count(),
        "with_prizes": qs.filter(prizes__gt=0).count(),
        "by_level": dict(sorted(levels.items())),
    }


def talent_filter_options(scope: Scope) -> dict[str, Sequence[Any]]:
    records = TalentRecord.objects.filter(scope.org_q("organization"))
    return {
        "subjects": sorted(set(records.values_list("subject", flat=True)) - {""}),
        "years": sorted(set(records.values_list("year", flat=True)), reverse=True),
    }
