"""Writes of the monitoring area: forms, campaigns and submissions, surveys, the talents bank.

Every function takes the caller's :class:`~soko.accounts.scope.Scope` where rights matter:
the authority (``can_edit`` and not a school) sends campaigns, returns and accepts forms and
may fill a form on behalf of a school; a school user edits only its own organization's forms
while they are open; a methodologist reads. Objects out of scope raise ``Http404``, missing
rights raise ``PermissionDenied`` — the web, the API and the CLI show both the same way.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import secrets
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone

from soko.accounts.scope import Scope
from soko.catalog.models import Source
from soko.catalog.selectors import ParameterMissing, parameter_value
from soko.core.errors import ApplicationError, ValidationFailed
from soko.monitoring import formspec, surveyspec
from soko.monitoring.models import (
    Campaign,
    FormTemplate,
    FormValue,
    Questionnaire,
    Submission,
    SubmissionEvent,
    Survey,
    SurveyOrganization,
    SurveyResponse,
    SurveyTally,
    SurveyToken,
    TalentRecord,
    TalentStudent,
)
from soko.registry.models import Organization, Territory

DATA_DIR = Path(__file__).resolve().parent / "data"
_local = threading.local()

#: ВсОШ stages and contest levels, from the lowest; the rank orders the bank.
OLYMPIAD_STAGES: dict[str, tuple[int, str]] = {
    "school": (1, "школьный этап"),
    "municipal": (2, "муниципальный этап"),
    "regional": (3, "региональный этап"),
    "final": (4, "заключительный этап"),
}
CONTEST_LEVELS: dict[str, tuple[int, str]] = {
    "school": (1, "школьный"),
    "municipal": (2, "муниципальный"),
    "regional": (3, "региональный"),
    "federal": (4, "всероссийский"),
    "international": (5, "международный"),
}
RESULT_RANK = {"participant": 0, "prize": 1, "winner": 2}
TALENT_CONTESTS_FIELD = "talent_contests"


def _authority(scope: Scope) -> None:
    if not scope.can_edit or scope.is_school or scope.is_public:
        raise PermissionDenied("Это действие выполняет орган управления образованием.")


def _param(code: str, default: Any, year: int | None = None) -> Any:
    try:
        return parameter_value(code, year)
    except ParameterMissing:
        return default


# --- forms and questionnaires as data ---------------------------------------------------------


def _source(code: str | None) -> Source | None:
    if not code:
        return None
    found = Source.objects.filter(code=code).first()
    if found is None:
        raise ApplicationError(
            f"Источник «{code}» не найден в справочнике: выполните «soko init» (загрузка "
            "справочников) и повторите."
        )
    return found


def _check_direction(direction: str, where: str) -> None:
    if direction not in formspec.DIRECTIONS:
        raise formspec.SpecError(
            f"{where}: неизвестное направление «{direction}»; допустимы: "
            f"{', '.join(formspec.DIRECTIONS)}."
        )


@transaction.atomic
def form_template_save(*, data: Mapping[str, Any], is_builtin: bool = False) -> FormTemplate:
    """Create or update a form (by code and version) from its description. Returns it.

    The description is parsed first (:func:`soko.monitoring.formspec.parse_form`); a bad one is
    rejected with a message naming the section, field or rule. Field codes must not clash with
    fields of other forms, because the ``form`` source addresses values by field code alone.
    A specialist's change of a version already sent in campaigns must raise the version (the
    shipped data may fix its own version in place).
    """
    try:
        spec = formspec.parse_form(data)
        direction = str(data.get("direction") or "")
        _check_direction(direction, f"Форма «{spec.code}»")
        others = [
            t.spec for t in FormTemplate.objects.exclude(code=spec.code).filter(retired=False)
        ]
        formspec.check_unique_codes([*others, spec])
    except formspec.SpecError as exc:
        raise ValidationFailed(str(exc)) from exc
    kinds = [str(k) for k in data.get("org_kinds") or ["school"]]
    version = int(data.get("version") or 1)
    current = FormTemplate.objects.filter(code=spec.code, version=version).first()
    if (current is not None and not is_builtin and current.campaigns.exists()
            and (current.sections, current.rules) != (spec.sections_dict(), spec.rules_dict())):
        raise ValidationFailed(
            f"Форма «{spec.code}» версии {version} уже отправлялась организациям: чтобы изменить "
            f"поля или правила, сохраните её как версию {version + 1}."
        )
    template, _ = FormTemplate.objects.update_or_create(
        code=spec.code,
        version=version,
        defaults={
            "title": spec.title,
            "direction": direction,
            "org_kinds": kinds,
            "description": str(data.get("description") or "").strip(),
            "methodology": str(data.get("methodology") or "").strip(),
            "source": _source(data.get("source")),
            "sections": spec.sections_dict(),
            "rules": spec.rules_dict(),
            "is_builtin": is_builtin,
            "retired": bool(data.get("retired", False)),
        },
    )
    return template


def form_template_text(template: FormTemplate) -> str:
    """The description of a form as YAML, the way the editor and ``forms.yaml`` write it."""
    data = {
        "code": template.code,
        "version": template.version,
        "title": template.title,
        "direction": template.direction,
        "org_kinds": template.org_kinds,
        "source": template.source.code if template.source else None,
        "description": template.description,
        "methodology": template.methodology,
        "sections": template.sections,
        "rules": template.rules,
    }
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


@transaction.atomic
def form_template_edit(*, scope: Scope, text: str) -> FormTemplate:
    """Save a form written by a specialist (YAML in the format of ``forms.yaml``). Returns it;
    a mistake is reported in Russian with its place."""
    _authority(scope)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (строка {mark.line + 1}, позиция {mark.column + 1})" if mark else ""
        raise ValidationFailed(f"Описание формы не читается как YAML{where}.") from exc
    if not isinstance(data, dict):
        raise ValidationFailed("Описание формы должно начинаться с полей code, title, sections.")
    return form_template_save(data=data, is_builtin=False)


@transaction.atomic
def form_template_retire(*, scope: Scope, template: FormTemplate, retired: bool = True
                         ) -> FormTemplate:
    """Retire a form (no new campaigns) or bring it back. Existing campaigns keep working."""
    _authority(scope)
    template.retired = retired
    template.save(update_fields=["retired", "updated_at"])
    return template


@transaction.atomic
def questionnaire_save(*, data: Mapping[str, Any], is_builtin: bool = False) -> Questionnaire:
    """Create or update a questionnaire (by code and version) from its description."""
    try:
        spec = surveyspec.parse_questionnaire(data)
        direction = str(data.get("direction") or "")
        _check_direction(direction, f"Анкета «{spec.code}»")
        others = [
            q.spec for q in Questionnaire.objects.exclude(code=spec.code).filter(retired=False)
        ]
        surveyspec.check_unique_codes([*others, spec])
    except formspec.SpecError as exc:
        raise ValidationFailed(str(exc)) from exc
    questionnaire, _ = Questionnaire.objects.update_or_create(
        code=spec.code,
        version=int(data.get("version") or 1),
        defaults={
            "title": spec.title,
            "audience": spec.audience,
            "direction": direction,
            "org_kinds": [str(k) for k in data.get("org_kinds") or ["school"]],
            "intro": str(data.get("intro") or "").strip(),
            "methodology": str(data.get("methodology") or "").strip(),
            "source": _source(data.get("source")),
            "questions": spec.questions_dict(),
            "is_builtin": is_builtin,
            "retired": bool(data.get("retired", False)),
        },
    )
    return questionnaire


def _read_yaml(path: Path) -> list[dict[str, Any]]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or []  # noqa: S506
    if not isinstance(data, list):
        raise ValidationFailed(f"{path.name}: ожидается список описаний.")
    return data


@transaction.atomic
def builtin_load(*, data_dir: Path = DATA_DIR) -> dict[str, int]:
    """Load the shipped forms and questionnaires (``forms.yaml``, ``questionnaires.yaml``).

    Idempotent: a form is updated in place when its version is unchanged, a new version is
    added when the file raises it (older built-in versions are then retired, campaigns that
    use them keep working). Returns counts.
    """
    counts = {"forms": 0, "questionnaires": 0, "retired": 0}
    for kind, name, save, model in (
        ("forms", "forms.yaml", form_template_save, FormTemplate),
        ("questionnaires", "questionnaires.yaml", questionnaire_save, Questionnaire),
    ):
        path = data_dir / name
        if not path.exists():
            continue
        for row in _read_yaml(path):
            obj = save(data=row, is_builtin=True)
            counts[kind] += 1
            counts["retired"] += model.objects.filter(
                code=obj.code, version__lt=obj.version, is_builtin=True, retired=False
            ).update(retired=True)
    return counts


# --- campaigns ------------------------------------------------------------------------------


def campaign_targets(
    scope: Scope,
    *,
    template: FormTemplate,
    territory: Territory | None = None,
    kinds: Sequence[str] | None = None,
    types: Sequence[str] | None = None,
    organizations: Iterable[Organization] | None = None,
) -> list[Organization]:
    """The active organizations in scope a campaign would go to (a picked list, or the ones
    of a territory / kind / type). Returns them ordered by name."""
    qs = Organization.objects.filter(scope.org_q(), is_active=True)
    if organizations is not None:
        ids = [o.pk for o in organizations]
        qs = qs.filter(pk__in=ids)
        if qs.count() != len(set(ids)):
            raise Http404("Организация не найдена или недоступна.")
    else:
        if territory is not None:
            qs = qs.filter(Q(territory=territory) | Q(territory__parent=territory))
        qs = qs.filter(kind__in=list(kinds or template.org_kinds or ["school"]))
        if types:
            qs = qs.filter(org_type__in=list(types))
    return list(qs.select_related("territory").order_by("short_name"))


@transaction.atomic
def campaign_create(
    *,
    scope: Scope,
    template: FormTemplate,
    year: int,
    deadline: dt.date | None = None,
    title: str = "",
    territory: Territory | None = None,
    kinds: Sequence[str] | None = None,
    types: Sequence[str] | None = None,
    organizations: Iterable[Organization] | None = None,
    review_required: bool = True,
    note: str = "",
    user: Any = None,
) -> Campaign:
    """Send a form to organizations for a reporting year. Every addressee gets a submission
    «не начата» at once. An organization cannot receive the same form twice for one year.
    Returns the campaign."""
    _authority(scope)
    if template.retired:
        raise ApplicationError(f"Форма «{template.title}» выведена из употребления.")
    if not 2000 <= year <= 2100:
        raise ValidationFailed(f"Отчётный год {year} вне допустимого диапазона.")
    if territory is not None and not Territory.objects.filter(
        scope.territory_q(), pk=territory.pk
    ).exists():
        raise Http404("Территория не найдена или недоступна.")
    picked = list(organizations) if organizations is not None else None
    targets = campaign_targets(scope, template=template, territory=territory, kinds=kinds,
                               types=types, organizations=picked)
    if not targets:
        raise ApplicationError("Нет организаций, которым можно отправить форму: проверьте "
                               "территорию и вид организаций.")
    busy = list(
        Submission.objects.filter(
            campaign__template__code=template.code,
            campaign__year=year,
            organization__in=targets,
        ).select_related("organization")[:6]
    )
    if busy:
        names = ", ".join(s.organization.short_name for s in busy[:5])
        raise ApplicationError(
            f"Форма «{template.title}» за {year} год уже отправлена этим организациям: {names}"
            f"{' и др.' if len(busy) > 5 else ''}. Повторно отправить ту же форму за тот же год "
            "нельзя."
        )
    today = timezone.localdate()
    if deadline is None:
        deadline = today + dt.timedelta(days=int(_param("monitoring.campaign.deadline_days", 30)))
    campaign = Campaign.objects.create(
        template=template,
        title=title.strip() or f"{template.title} — {year}",
        year=year,
        deadline=deadline,
        review_required=review_required,
        territory=territory,
        criteria={
            "territory": territory.code if territory else None,
            "kinds": list(kinds or []),
            "types": list(types or []),
            "picked": [o.code for o in targets] if picked is not None else [],
        },
        note=note,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    Submission.objects.bulk_create(
        [Submission(campaign=campaign, organization=org) for org in targets]
    )
    return campaign


@transaction.atomic
def campaign_set_status(*, scope: Scope, campaign: Campaign, status: str) -> Campaign:
    """Close a campaign (schools can no longer edit) or reopen it."""
    _authority(scope)
    if status not in Campaign.Status.values:
        raise ValidationFailed(f"Неизвестное состояние кампании «{status}».")
    campaign.status = status
    campaign.save(update_fields=["status", "updated_at"])
    return campaign


@transaction.atomic
def campaign_set_deadline(*, scope: Scope, campaign: Campaign, deadline: dt.date) -> Campaign:
    _authority(scope)
    campaign.deadline = deadline
    campaign.save(update_fields=["deadline", "updated_at"])
    return campaign


# --- submissions ----------------------------------------------------------------------------


def _check_edit(scope: Scope, submission: Submission) -> bool:
    """Whether the caller may change the answers; returns True when the authority acts on
    behalf of the school. Raises Http404 / PermissionDenied / ApplicationError."""
    if not scope.allows_org(submission.organization):
        raise Http404("Форма не найдена или недоступна.")
    if scope.is_school:
        if not scope.can_edit:
            raise PermissionDenied("Недостаточно прав для заполнения формы.")
        if submission.campaign.status != Campaign.Status.OPEN:
            raise ApplicationError("Сбор по этой кампании завершён: форма закрыта для изменений.")
        if not submission.is_open_for_school:
            raise ApplicationError(
                "Форма уже представлена. Исправить её можно, если орган управления вернёт её "
                "на доработку."
            )
        return False
    _authority(scope)
    return True


def limits_for(template: FormTemplate, year: int) -> dict[str, int]:
    """Resolve the parameters that rules of a form refer to (``limit_param``)."""
    out: dict[str, int] = {}
    for code in template.spec.limit_params():
        value = _param(code, None, year)
        if value is not None:
            out[code] = int(value)
    return out


def submission_check(*, submission: Submission, raw: Mapping[str, Any],
                     only: Iterable[str] | None = None, partial: bool = False
                     ) -> formspec.Validation:
    """Validate answers without saving (the check as the user types). Returns the outcome."""
    template = submission.campaign.template
    return formspec.validate(template.spec, raw, partial=partial, only=only,
                             limits=limits_for(template, submission.campaign.year))


def _event(submission: Submission, action: str, user: Any, on_behalf: bool,
           comment: str = "", snapshot: Mapping[str, Any] | None = None) -> None:
    SubmissionEvent.objects.create(
        submission=submission,
        action=action,
        user=user if getattr(user, "is_authenticated", False) else None,
        on_behalf=on_behalf,
        comment=comment,
        snapshot=dict(snapshot or {}),
    )


def _clean_raw(template: FormTemplate, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Keep only the answers to fields of the form (nothing else is stored)."""
    codes = {f.code for f in template.spec.fields}
    return {k: v for k, v in raw.items() if k in codes}


@transaction.atomic
def submission_save(*, scope: Scope, submission: Submission, raw: Mapping[str, Any],
                    user: Any = None) -> formspec.Validation:
    """Save a draft: whatever is typed is kept, blanks are allowed. Returns the draft check
    (messages for values typed wrongly)."""
    on_behalf = _check_edit(scope, submission)
    template = submission.campaign.template
    submission.raw = _clean_raw(template, raw)
    if submission.status == Submission.Status.ASSIGNED:
        submission.status = Submission.Status.DRAFT
    elif submission.status in {Submission.Status.SUBMITTED, Submission.Status.ACCEPTED}:
        # only the authority gets here: a correction on behalf of the school
        submission.status = Submission.Status.DRAFT
        _withdraw(submission)
    submission.save(update_fields=["raw", "status", "updated_at"])
    _event(submission, SubmissionEvent.Action.SAVE, user, on_behalf, snapshot=submission.raw)
    return submission_check(submission=submission, raw=submission.raw, partial=True)


@transaction.atomic
def submission_submit(*, scope: Scope, submission: Submission,
                      raw: Mapping[str, Any] | None = None, user: Any = None
                      ) -> formspec.Validation:
    """Submit answers. When they are not valid, they are kept as a draft and the messages are
    returned (``ok`` is False). Otherwise the form becomes «представлена» (or «принята» when
    the campaign does not require review). Returns the check."""
    on_behalf = _check_edit(scope, submission)
    template = submission.campaign.template
    if raw is not None:
        submission.raw = _clean_raw(template, raw)
    result = submission_check(submission=submission, raw=submission.raw)
    if not result.ok:
        if submission.status == Submission.Status.ASSIGNED:
            submission.status = Submission.Status.DRAFT
        submission.save(update_fields=["raw", "status", "updated_at"])
        _event(submission, SubmissionEvent.Action.SAVE, user, on_behalf, snapshot=submission.raw)
        return result
    now = timezone.now()
    submission.values = _jsonable(result.values)
    submission.submitted_at = now
    submission.submitted_late = timezone.localtime(now).date() > submission.campaign.deadline
    submission.status = Submission.Status.SUBMITTED
    submission.save()
    _event(submission, SubmissionEvent.Action.SUBMIT, user, on_behalf, snapshot=submission.raw)
    if not submission.campaign.review_required:
        _accept(submission, user, on_behalf=on_behalf, comment="принята без проверки")
    return result


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    return dict(values)


def _publish(submission: Submission) -> None:
    """Copy the values of an accepted submission into the ``form`` source table."""
    _withdraw(submission)
    spec = submission.campaign.template.spec
    numbers = formspec.source_values(spec, submission.values)
    year = submission.campaign.year
    FormValue.objects.filter(
        organization_id=submission.organization_id, year=year, name__in=list(numbers)
    ).delete()
    FormValue.objects.bulk_create(
        [
            FormValue(organization_id=submission.organization_id, year=year, name=name,
                      value=value, submission=submission)
            for name, value in numbers.items()
        ]
    )
    if spec.field(TALENT_CONTESTS_FIELD) is not None:
        _talent_contests_sync(submission)


def _withdraw(submission: Submission) -> None:
    FormValue.objects.filter(submission=submission).delete()
    if TalentRecord.objects.filter(submission=submission).exists():
        codes = set(
            TalentRecord.objects.filter(submission=submission).values_list("student_code",
                                                                            flat=True)
        )
        TalentRecord.objects.filter(submission=submission).delete()
        if not getattr(_local, "defer", False):
            talent_students_rebuild(codes)


def _accept(submission: Submission, user: Any, *, on_behalf: bool, comment: str = "") -> None:
    submission.status = Submission.Status.ACCEPTED
    submission.accepted_at = timezone.now()
    submission.return_comment = ""
    submission.save(update_fields=["status", "accepted_at", "return_comment", "updated_at"])
    _publish(submission)
    _event(submission, SubmissionEvent.Action.ACCEPT, user, on_behalf, comment=comment)
    transaction.on_commit(schedule_recompute)


@transaction.atomic
def submission_accept(*, scope: Scope, submission: Submission, user: Any = None
                      ) -> Submission:
    """Accept a submitted form: its values start feeding indicators. Returns it."""
    if not scope.allows_org(submission.organization):
        raise Http404("Форма не найдена или недоступна.")
    _authority(scope)
    if submission.status != Submission.Status.SUBMITTED:
        raise ApplicationError("Принять можно только представленную форму.")
    _accept(submission, user, on_behalf=False)
    return submission


@transaction.atomic
def submissions_accept_all(*, scope: Scope, campaign: Campaign, user: Any = None) -> int:
    """Accept every submitted form of a campaign visible to the caller. Returns how many."""
    _authority(scope)
    pending = Submission.objects.filter(
        scope.org_q("organization"), campaign=campaign, status=Submission.Status.SUBMITTED
    ).select_related("organization", "campaign__template")
    count = 0
    for submission in pending:
        _accept(submission, user, on_behalf=False)
        count += 1
    return count


@transaction.atomic
def submission_return(*, scope: Scope, submission: Submission, comment: str, user: Any = None
                      ) -> Submission:
    """Return a submitted or accepted form to the school with a comment (kept in history);
    its values stop feeding indicators until it is accepted again. Returns it."""
    if not scope.allows_org(submission.organization):
        raise Http404("Форма не найдена или недоступна.")
    _authority(scope)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationFailed("Укажите, что нужно исправить: комментарий обязателен при возврате.")
    if submission.status not in {Submission.Status.SUBMITTED, Submission.Status.ACCEPTED}:
        raise ApplicationError("Вернуть на доработку можно только представленную или принятую "
                               "форму.")
    was_accepted = submission.status == Submission.Status.ACCEPTED
    submission.status = Submission.Status.RETURNED
    submission.return_comment = comment
    submission.accepted_at = None
    submission.save(update_fields=["status", "return_comment", "accepted_at", "updated_at"])
    _withdraw(submission)
    _event(submission, SubmissionEvent.Action.RETURN, user, False, comment=comment)
    if was_accepted:
        transaction.on_commit(schedule_recompute)
    return submission


@contextlib.contextmanager
def recompute_deferred() -> Iterator[None]:
    """Do not queue recomputations nor rebuild the talents bank form by form inside the block
    (bulk work that recomputes everything at its end)."""
    previous = getattr(_local, "defer", False)
    _local.defer = True
    try:
        yield
    finally:
        _local.defer = previous


def schedule_recompute() -> None:
    """Queue one recomputation of everything that depends on data (coalesced: nothing is
    added while one is already waiting)."""
    from soko.core.jobs import job_enqueue
    from soko.core.models import Job

    if getattr(_local, "defer", False):
        return
    if Job.objects.filter(kind="monitoring.recompute", status=Job.Status.QUEUED).exists():
        return
    job_enqueue(kind="monitoring.recompute", params={},
                title="Пересчёт показателей после изменения форм мониторинга")


# --- surveys --------------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.strip().upper().encode()).hexdigest()


@transaction.atomic
def survey_create(
    *,
    scope: Scope,
    questionnaire: Questionnaire,
    year: int,
    opens: dt.date,
    closes: dt.date,
    title: str = "",
    territory: Territory | None = None,
    kinds: Sequence[str] | None = None,
    organizations: Iterable[Organization] | None = None,
    expected: Mapping[str, int] | None = None,
    access: str = Survey.Access.LINK,
    user: Any = None,
) -> Survey:
    """Run a questionnaire for organizations in a period. Each organization gets its public
    link (an unguessable key). ``expected`` maps organization codes to the number of
    respondents expected (the base of the response rate). Returns the survey."""
    _authority(scope)
    if questionnaire.retired:
        raise ApplicationError(f"Анкета «{questionnaire.title}» выведена из употребления.")
    if closes < opens:
        raise ValidationFailed("Дата окончания анкетирования раньше даты начала.")
    if access not in Survey.Access.values:
        raise ValidationFailed(f"Неизвестный способ доступа «{access}».")
    qs = Organization.objects.filter(scope.org_q(), is_active=True)
    if organizations is not None:
        ids = [o.pk for o in organizations]
        qs = qs.filter(pk__in=ids)
    else:
        if territory is not None:
            qs = qs.filter(Q(territory=territory) | Q(territory__parent=territory))
        qs = qs.filter(kind__in=list(kinds or questionnaire.org_kinds or ["school"]))
    targets = list(qs.order_by("short_name"))
    if not targets:
        raise ApplicationError("Нет организаций для анкетирования в пределах ваших прав.")
    survey = Survey.objects.create(
        questionnaire=questionnaire,
        title=title.strip() or f"{questionnaire.title} — {year}",
        year=year,
        opens=opens,
        closes=closes,
        access=access,
        territory=territory,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    expected = dict(expected or {})
    SurveyOrganization.objects.bulk_create(
        [
            SurveyOrganization(
                survey=survey,
                organization=org,
                slug=secrets.token_urlsafe(12),
                expected=expected.get(org.code),
            )
            for org in targets
        ]
    )
    spec = questionnaire.spec
    keys = [(q.code, surveyspec.TOTAL) for q in spec.questions] + [
        (q.code, o.code) for q in spec.questions for o in q.options
    ]
    SurveyTally.objects.bulk_create(
        [
            SurveyTally(participant=p, question=question, option=option)
            for p in SurveyOrganization.objects.filter(survey=survey)
            for question, option in keys
        ]
    )
    return survey


@transaction.atomic
def survey_set_expected(*, scope: Scope, participant: SurveyOrganization,
                        expected: int | None) -> SurveyOrganization:
    """Enter how many respondents an organization is expected to have."""
    if not scope.allows_org(participant.organization):
        raise Http404("Организация не найдена или недоступна.")
    _authority(scope)
    if expected is not None and expected < 0:
        raise ValidationFailed("Ожидаемое число респондентов не может быть отрицательным.")
    participant.expected = expected
    participant.save(update_fields=["expected"])
    return participant


def survey_issue_token(*, participant: SurveyOrganization) -> str:
    """A fresh one-time key for one respondent who opened the public link. Only its digest is
    stored; it is spent by the answer and cannot be used twice. Returns the key."""
    token = secrets.token_urlsafe(24)
    SurveyToken.objects.create(participant=participant, digest=_digest(token))
    return token


_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@transaction.atomic
def survey_codes_issue(*, scope: Scope, participant: SurveyOrganization, count: int
                       ) -> list[str]:
    """Invitation codes for the «codes» access: one per respondent, printed and handed out.
    They are shown once (only digests are kept). Returns the codes."""
    if not scope.allows_org(participant.organization):
        raise Http404("Организация не найдена или недоступна.")
    _authority(scope)
    if not 1 <= count <= 2000:
        raise ValidationFailed("Число кодов — от 1 до 2000.")
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(9))
        codes.append(f"{raw[:3]}-{raw[3:6]}-{raw[6:]}")
    SurveyToken.objects.bulk_create(
        [SurveyToken(participant=participant, digest=_digest(c), printed=True) for c in codes]
    )
    return codes


def survey_is_open(survey: Survey, today: dt.date | None = None) -> bool:
    day = today or timezone.localdate()
    return survey.opens <= day <= survey.closes


@transaction.atomic
def survey_respond(*, participant: SurveyOrganization, token: str, raw: Mapping[str, Any],
                   today: dt.date | None = None) -> surveyspec.Answer:
    """Record one anonymous answer. The one-time key is spent atomically: the same key twice
    is refused. Invalid answers are returned with messages and spend nothing. Only the chosen
    options and the date are stored. Returns the checked answer."""
    survey = participant.survey
    day = today or timezone.localdate()
    if not survey_is_open(survey, day):
        raise ApplicationError(
            f"Анкетирование проводится с {survey.opens:%d.%m.%Y} по {survey.closes:%d.%m.%Y}; "
            "сейчас ответы не принимаются."
        )
    spec = survey.questionnaire.spec
    answer = surveyspec.check_answer(spec, raw)
    if not answer.ok:
        return answer
    if not token or not token.strip():
        raise ApplicationError("Ответ не принят: нет ключа ответа. Откройте ссылку анкеты заново.")
    spent = SurveyToken.objects.filter(
        participant=participant, digest=_digest(token), used=False
    ).update(used=True)
    if spent != 1:
        raise ApplicationError(
            "Ответ с этим ключом уже принят (или ключ неверен). Каждый участник отвечает один раз."
        )
    SurveyResponse.objects.create(participant=participant, day=day, choices=answer.choices)
    chosen = Q()
    for question, picked in answer.choices.items():
        chosen |= Q(question=question, option__in=[*picked, surveyspec.TOTAL])
    if answer.choices:
        SurveyTally.objects.filter(chosen, participant=participant).update(count=F("count") + 1)
    SurveyOrganization.objects.filter(pk=participant.pk).update(responses=F("responses") + 1)
    return answer


@transaction.atomic
def survey_recount(*, survey: Survey) -> None:
    """Rebuild the tallies of a survey from the stored answers (a consistency repair)."""
    spec = survey.questionnaire.spec
    for participant in SurveyOrganization.objects.filter(survey=survey):
        answers = [r.choices for r in SurveyResponse.objects.filter(participant=participant)]
        counts = surveyspec.tally(spec, answers)
        SurveyTally.objects.filter(participant=participant).delete()
        SurveyTally.objects.bulk_create(
            [SurveyTally(participant=participant, question=q, option=o, count=n)
             for (q, o), n in counts.items()]
        )
        participant.responses = len(answers)
        participant.save(update_fields=["responses"])


# --- the «Одарённые дети» bank --------------------------------------------------------------


def _rank(table: Mapping[str, tuple[int, str]], param: str, default: str) -> int:
    code = str(_param(param, default))
    return table.get(code, table[default])[0]


def _subject_names() -> dict[str, str]:
    from soko.catalog.models import Subject

    return dict(Subject.objects.values_list("code", "name"))


def talents_refresh(batch: Any = None) -> dict[str, int]:
    """Rebuild the olympiad part of the bank from the fact store and the pupils' summaries.

    A pupil enters the bank as a winner or prize-winner of a ВсОШ stage from
    ``monitoring.talents.olympiad_min_stage`` up, as a participant of a stage from
    ``monitoring.talents.participant_min_stage`` up, or as a winner / prize-winner of a contest
    (accepted monitoring forms) from ``monitoring.talents.contest_min_level`` up; the bank then
    keeps all of the pupil's achievements over the years. Runs after imports of olympiad results
    (and after everything with ``batch=None``). Returns counts.
    """
    if batch is not None and getattr(batch, "kind", "") != "olympiad":
        return {"skipped": 1}
    from soko.warehouse.store import open_warehouse

    prize_rank = _rank(OLYMPIAD_STAGES, "monitoring.talents.olympiad_min_stage", "municipal")
    part_rank = _rank(OLYMPIAD_STAGES, "monitoring.talents.participant_min_stage", "regional")
    prize_stages = [s for s, (r, _) in OLYMPIAD_STAGES.items() if r >= prize_rank]
    part_stages = [s for s, (r, _) in OLYMPIAD_STAGES.items() if r >= part_rank]
    with open_warehouse() as wh:
        t = wh.facts("olympiad_result")
        qualifying = t.filter(
            (t.status.isin(["prize", "winner"]) & t.stage.isin(prize_stages))
            | t.stage.isin(part_stages)
        ).select("student_code").distinct()
        rows = wh.to_arrow(
            t.filter(t.student_code.isin(qualifying.student_code)).select(
                "org_id", "year", "stage", "subject", "grade", "student_code", "status", "score"
            )
        ).to_pylist()
    known_orgs = set(Organization.objects.values_list("id", flat=True))
    names = _subject_names()
    records = []
    for r in rows:
        if r["org_id"] not in known_orgs:
            continue
        rank, label = OLYMPIAD_STAGES.get(r["stage"], (0, r["stage"]))
        records.append(
            TalentRecord(
                student_code=r["student_code"],
                organization_id=r["org_id"],
                year=r["year"],
                origin=TalentRecord.Origin.OLYMPIAD,
                event="Всероссийская олимпиада школьников",
                level=label,
                level_rank=rank,
                subject=names.get(r["subject"], r["subject"]),
                grade=r["grade"],
                result=r["status"] if r["status"] in RESULT_RANK else "participant",
                score=r["score"],
            )
        )
    with transaction.atomic():
        TalentRecord.objects.filter(origin=TalentRecord.Origin.OLYMPIAD).delete()
        TalentRecord.objects.bulk_create(records, batch_size=2000)
        students = talent_students_rebuild(None)
    return {"records": len(records), "students": students}


def _talent_contests_sync(submission: Submission) -> None:
    """Copy the contest rows of an accepted talents form into the bank."""
    rows = submission.values.get(TALENT_CONTESTS_FIELD) or []
    TalentRecord.objects.filter(submission=submission).delete()
    records = []
    for row in rows:
        level = str(row.get("level") or "")
        rank, label = CONTEST_LEVELS.get(level, (0, level))
        records.append(
            TalentRecord(
                student_code=str(row.get("student_code") or "").strip(),
                organization_id=submission.organization_id,
                year=submission.campaign.year,
                origin=TalentRecord.Origin.CONTEST,
                event=str(row.get("contest") or ""),
                level=label,
                level_rank=rank,
                subject=_contest_field_label(submission, str(row.get("field") or "")),
                grade=row.get("grade"),
                result=str(row.get("result") or "participant"),
                submission=submission,
            )
        )
    TalentRecord.objects.bulk_create(records)
    if not getattr(_local, "defer", False):  # bulk work rebuilds the whole bank at its end
        talent_students_rebuild({r.student_code for r in records})


def _contest_field_label(submission: Submission, code: str) -> str:
    table = submission.campaign.template.spec.field(TALENT_CONTESTS_FIELD)
    column = table.column("field") if table else None
    return column.option_label(code) if column and code else code


def talent_students_rebuild(codes: Iterable[str] | None) -> int:
    """Recompute the bank's pupil summaries (all, or the given pupil codes). Returns how many
    pupils the rebuilt part of the bank holds."""
    contest_rank = _rank(CONTEST_LEVELS, "monitoring.talents.contest_min_level", "municipal")
    prize_rank = _rank(OLYMPIAD_STAGES, "monitoring.talents.olympiad_min_stage", "municipal")
    part_rank = _rank(OLYMPIAD_STAGES, "monitoring.talents.participant_min_stage", "regional")
    qs = TalentRecord.objects.all()
    if codes is not None:
        codes = set(codes)
        qs = qs.filter(student_code__in=codes)
    by_student: dict[str, list[TalentRecord]] = defaultdict(list)
    for record in qs.order_by("student_code", "year", "id"):
        by_student[record.student_code].append(record)
    summaries = []
    for code, records in by_student.items():
        if not any(_qualifies(r, prize_rank, part_rank, contest_rank) for r in records):
            continue
        latest = max(records, key=lambda r: (r.year, r.grade or 0))
        best = max(records, key=lambda r: (r.level_rank, RESULT_RANK.get(r.result, 0)))
        best_result = max(records, key=lambda r: RESULT_RANK.get(r.result, 0)).result
        summaries.append(
            TalentStudent(
                student_code=code,
                organization_id=latest.organization_id,
                grade=latest.grade,
                first_year=min(r.year for r in records),
                last_year=max(r.year for r in records),
                achievements=len(records),
                prizes=sum(1 for r in records if r.result in {"prize", "winner"}),
                best_level=best.level,
                best_level_rank=best.level_rank,
                best_result=best_result,
                subjects=sorted({r.subject for r in records if r.subject}),
                years=sorted({r.year for r in records}),
            )
        )
    with transaction.atomic():
        stale = TalentStudent.objects.all()
        if codes is not None:
            stale = stale.filter(student_code__in=codes)
        stale.delete()
        TalentStudent.objects.bulk_create(summaries, batch_size=2000)
    return len(summaries)


def _qualifies(record: TalentRecord, prize_rank: int, part_rank: int, contest_rank: int) -> bool:
    prized = record.result in {"prize", "winner"}
    if record.origin == TalentRecord.Origin.OLYMPIAD:
        return (prized and record.level_rank >= prize_rank) or record.level_rank >= part_rank
    return prized and record.level_rank >= contest_rank


def on_data_changed(batch: Any) -> None:
    """The post-import hook of the area: refresh the talents bank after olympiad imports."""
    talents_refresh(batch)


# --- demo ---------------------------------------------------------------------------------


def seed_demo_monitoring(*, seed: int = 1, years: Sequence[int] = (2024, 2025, 2026),
                         today: dt.date | None = None) -> dict[str, Any]:
    """Demo content: campaigns of the shipped forms for the demo organizations and years, most
    filled and accepted (a few late, one returned for correction), and one parents' and one
    pupils' survey answered anonymously through the public path. Deterministic for a seed.
    Call after the demo files are imported and before indicators are computed. Returns counts.
    """
    from soko.monitoring.demo import build

    return build(seed=seed, years=tuple(years), today=today)

