"""Survey pages: management and results (signed-in users) and the public anonymous page.

One response per respondent: opening the public link issues a one-time key (its digest is
stored, the key goes into the page); the answer spends the key atomically, so the same key
cannot answer twice. After answering, a signed cookie marks the browser so that reopening the
link shows «вы уже ответили» instead of a new key. In the «codes» mode the key is a printed
invitation code instead. Nothing identifying is stored: no user, no IP address, no cookie
value, no time of day; the response does not point at the key it used.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from soko.core.errors import ApplicationError
from soko.monitoring import exports, qr, selectors, services
from soko.monitoring.forms import SurveyForm
from soko.monitoring.models import Survey, SurveyOrganization
from soko.monitoring.surveyspec import AUDIENCES
from soko.monitoring.views import authority_required, is_authority, xlsx_response
from soko.registry.models import Organization
from soko.web.context import request_scope

ANSWERED_COOKIE = "soko_survey_{}"
COOKIE_SALT = "soko.monitoring.survey"
COOKIE_AGE = 400 * 24 * 3600


@login_required
def survey_list(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    if scope.is_public:
        raise PermissionDenied("Раздел доступен сотрудникам органа управления и ОО.")
    return render(request, "monitoring/surveys.html", {
        "surveys": selectors.survey_list(scope),
        "questionnaires": selectors.questionnaire_list(),
        "audiences": AUDIENCES,
        "is_authority": is_authority(scope),
    })


@authority_required
@require_http_methods(["GET", "POST"])
def survey_new(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    initial = {}
    if request.GET.get("questionnaire"):
        found = selectors.questionnaire_list().filter(code=request.GET["questionnaire"]).first()
        initial = {"questionnaire": found.pk} if found else {}
    form = SurveyForm(request.POST or None, scope=scope, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            survey = services.survey_create(
                scope=scope,
                questionnaire=data["questionnaire"],
                year=data["year"],
                opens=data["opens"],
                closes=data["closes"],
                title=data["title"],
                territory=data["territory"],
                kinds=data["kinds"] or None,
                organizations=list(data["organizations"]) or None,
                access=data["access"],
                user=request.user,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Анкетирование создано: раздайте ссылки или QR-коды ОО.")
            return redirect("monitoring:survey", pk=survey.pk)
    return render(request, "monitoring/survey_new.html", {"form": form})


def _public_url(request: HttpRequest, participant: SurveyOrganization) -> str:
    return request.build_absolute_uri(
        reverse("monitoring:public_survey", kwargs={"slug": participant.slug}))


@login_required
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request_scope(request)
    survey = selectors.survey_get(scope, pk)
    rows = selectors.survey_participants(scope, survey)
    responses = sum(r.responses for r in rows)
    expected = sum(r.expected or 0 for r in rows)
    return render(request, "monitoring/survey.html", {
        "survey": survey,
        "rows": [(r, _public_url(request, r.participant)) for r in rows],
        "responses": responses,
        "expected": expected,
        "rate": responses / expected if expected else None,
        "is_authority": is_authority(scope),
        "is_open": services.survey_is_open(survey),
        "codes": request.session.pop("survey_codes", None),
    })


@authority_required
@require_POST
def participant_expected(request: HttpRequest, pk: int, pid: int) -> HttpResponse:
    scope = request_scope(request)
    participant = selectors.participant_get(scope, pid)
    if participant.survey_id != pk:
        raise PermissionDenied("Организация не из этого анкетирования.")
    raw = (request.POST.get("expected") or "").strip()
    error = ""
    try:
        value = int(raw) if raw else None
        services.survey_set_expected(scope=scope, participant=participant, expected=value)
    except ValueError:
        error = "Введите целое число."
    except ApplicationError as exc:
        error = exc.message
    participant.refresh_from_db()
    row = next(r for r in selectors.survey_participants(scope, participant.survey)
               if r.participant.pk == participant.pk)
    return render(request, "monitoring/_participant_row.html", {
        "r": row, "error": error, "url": _public_url(request, participant),
        "survey": participant.survey, "is_authority": True,
    })


@authority_required
@require_POST
def participant_codes(request: HttpRequest, pk: int, pid: int) -> HttpResponse:
    scope = request_scope(request)
    participant = selectors.participant_get(scope, pid)
    raw = (request.POST.get("count") or "").strip()
    try:
        codes = services.survey_codes_issue(scope=scope, participant=participant,
                                            count=int(raw) if raw.isdigit() else 0)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        request.session["survey_codes"] = {
            "organization": participant.organization.short_name, "codes": codes,
        }
        messages.success(request, f"Создано кодов: {len(codes)}. Распечатайте их сейчас — "
                                  "повторно коды не показываются.")
    return redirect("monitoring:survey", pk=pk)


@login_required
def participant_qr(request: HttpRequest, pk: int, pid: int) -> HttpResponse:
    scope = request_scope(request)
    participant = selectors.participant_get(scope, pid)
    url = _public_url(request, participant)
    svg = _qr_svg(url, f"Анкета: {participant.organization.short_name}")
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=86400"
    if request.GET.get("download"):
        name = f"qr-{participant.organization.code}-{participant.survey_id}.svg"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def survey_results(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request_scope(request)
    survey = selectors.survey_get(scope, pk)
    org_code = request.GET.get("org") or ""
    organization = Organization.objects.filter(scope.org_q(), code=org_code).first() \
        if org_code else None
    results = selectors.survey_results(scope, survey, organization=organization)
    return render(request, "monitoring/survey_results.html",
                  {"survey": survey, "results": results, "org_code": org_code})


@login_required
def survey_export(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request_scope(request)
    survey = selectors.survey_get(scope, pk)
    results = selectors.survey_results(scope, survey)
    per_org = []
    for participant, hidden in results.organizations:
        per_org.append((participant, hidden, None if hidden else selectors.survey_results(
            scope, survey, organization=participant.organization)))
    content = exports.survey_workbook(survey, results, per_org,
                                      selectors.survey_participants(scope, survey))
    return xlsx_response(content, f"survey-{survey.pk}.xlsx")


# --- public ---------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _qr_svg(url: str, title: str) -> str:
    """The QR code of a public link (encoding takes tens of milliseconds: keep the result)."""
    return qr.svg(url, module=6, title=title)


def _answered(request: HttpRequest, participant: SurveyOrganization) -> bool:
    value = request.get_signed_cookie(ANSWERED_COOKIE.format(participant.pk), default=None,
                                      salt=COOKIE_SALT)
    return value == "1"


@never_cache
@require_http_methods(["GET", "POST"])
def public_survey(request: HttpRequest, slug: str) -> HttpResponse:
    """The anonymous questionnaire of one organization (no login)."""
    participant = selectors.participant_by_slug(slug)
    survey = participant.survey
    spec = survey.questionnaire.spec
    context: dict[str, Any] = {
        "participant": participant,
        "survey": survey,
        "questionnaire": survey.questionnaire,
        "spec": spec,
        "codes_mode": survey.access == Survey.Access.CODES,
        "errors": {},
        "chosen": {},
    }
    if not services.survey_is_open(survey):
        context["closed"] = True
        return render(request, "monitoring/public_survey.html", context)
    if _answered(request, participant):
        return render(request, "monitoring/public_done.html", {**context, "again": True})
    if request.method == "POST":
        raw = {q.code: request.POST.getlist(q.code) if q.kind == "multi"
               else request.POST.get(q.code, "") for q in spec.questions}
        token = request.POST.get("code" if context["codes_mode"] else "token", "")
        try:
            answer = services.survey_respond(participant=participant, token=token, raw=raw,
                                             today=timezone.localdate())
        except ApplicationError as exc:
            context["fatal"] = exc.message
        else:
            if answer.ok:
                response = render(request, "monitoring/public_done.html", context)
                response.set_signed_cookie(
                    ANSWERED_COOKIE.format(participant.pk), "1", salt=COOKIE_SALT,
                    max_age=COOKIE_AGE, httponly=True, samesite="Lax",
                )
                return response
            context["errors"] = answer.errors
        context["chosen"] = {k: (v if isinstance(v, list) else [v]) for k, v in raw.items()}
        context["token"] = token if not context["codes_mode"] else ""
        context["code"] = token if context["codes_mode"] else ""
        return render(request, "monitoring/public_survey.html", context, status=400)
    if context["codes_mode"]:
        context["code"] = request.GET.get("code", "")
    else:
        context["token"] = services.survey_issue_token(participant=participant)
    return render(request, "monitoring/public_survey.html", context)
