"""Pages of monitoring forms and campaigns. Views parse, call one service or selector with the
request's scope, and render."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from soko.accounts.scope import Scope
from soko.core.errors import ApplicationError
from soko.monitoring import exports, selectors, services
from soko.monitoring.forms import CampaignForm, ReturnForm, raw_from_post
from soko.monitoring.formspec import KINDS, RULE_KINDS, FormSpec, raw_from_values
from soko.monitoring.models import Campaign, Submission
from soko.web.context import request_scope

View = Callable[..., HttpResponse]
EMPTY_TABLE_ROWS = 3


def authority_required(view: View) -> View:
    """Only the education authority (editing rights, not a school)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        scope = request_scope(request)
        if not scope.can_edit or scope.is_school or scope.is_public:
            raise PermissionDenied("Действие доступно органу управления образованием.")
        return view(request, *args, **kwargs)

    return login_required(wrapped)


def is_authority(scope: Scope) -> bool:
    return scope.can_edit and not scope.is_school and not scope.is_public


def xlsx_response(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def home(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    if scope.is_public:
        raise PermissionDenied("Раздел доступен сотрудникам органа управления и ОО.")
    year_raw = request.GET.get("year") or ""
    year = int(year_raw) if year_raw.isdigit() else None
    context: dict[str, Any] = {
        "is_authority": is_authority(scope),
        "surveys": selectors.survey_list(scope)[:10],
        "year": year,
    }
    if scope.is_school:
        context["my_forms"] = selectors.my_forms(scope)
    else:
        campaigns = selectors.campaign_list(scope, year=year)
        context["campaigns"] = campaigns
        context["years"] = sorted({c.campaign.year for c in selectors.campaign_list(scope)},
                                  reverse=True)
        context["overdue"] = selectors.overdue_submissions(scope)[:15]
        context["totals"] = {
            "open": sum(1 for c in campaigns if c.campaign.status == Campaign.Status.OPEN),
            "waiting": sum(c.waiting_review for c in campaigns),
            "overdue": sum(c.overdue for c in campaigns),
        }
    return render(request, "monitoring/home.html", context)


@login_required
def form_catalog(request: HttpRequest) -> HttpResponse:
    return render(request, "monitoring/forms.html",
                  {"groups": selectors.templates_by_direction(
                      include_retired=is_authority(request_scope(request))),
                   "can_edit": is_authority(request_scope(request))})


@login_required
def form_detail(request: HttpRequest, code: str) -> HttpResponse:
    version_raw = request.GET.get("version") or ""
    template = selectors.template_get(code, int(version_raw) if version_raw.isdigit() else None)
    spec = template.spec
    return render(request, "monitoring/form_detail.html", {
        "template": template,
        "spec": spec,
        "kinds": KINDS,
        "rules": [(r, RULE_KINDS[r.kind], _rule_text(spec, r)) for r in spec.rules],
        "source_names": spec.source_names(),
        "can_send": is_authority(request_scope(request)),
    })


def _rule_text(spec: FormSpec, rule: Any) -> str:
    def label(op: str) -> str:
        head, _, tail = op.partition(".")
        f = spec.field(head)
        if f is None:
            return op
        if not tail:
            return f"«{f.label}»"
        if tail == "rows":
            return f"число строк «{f.label}»"
        col = f.column(tail)
        return f"сумма «{col.label if col else tail}» в «{f.label}»"

    if rule.kind in {"le", "ge", "eq"}:
        sign = {"le": "≤", "ge": "≥", "eq": "="}[rule.kind]
        return f"{' + '.join(map(label, rule.left))} {sign} {' + '.join(map(label, rule.right))}"
    if rule.kind == "required_if":
        return f"{label(rule.field)} обязательно, если {label(rule.when_field)} = «да»"
    limit = rule.limit if rule.limit is not None else f"параметр {rule.limit_param}"
    return f"в {label(rule.field)} не более {limit} вариантов"


@authority_required
@require_http_methods(["GET", "POST"])
def form_edit(request: HttpRequest) -> HttpResponse:
    """The form editor: a form's description as YAML (a copy of an existing form to start)."""
    scope = request_scope(request)
    error = ""
    if request.method == "POST":
        text = request.POST.get("text", "")
        try:
            template = services.form_template_edit(scope=scope, text=text)
        except ApplicationError as exc:
            error = exc.message
        else:
            messages.success(request, f"Форма «{template.title}» (версия {template.version}) "
                                      "сохранена.")
            return redirect(f"{reverse('monitoring:form', args=[template.code])}"
                            f"?version={template.version}")
    else:
        source = request.GET.get("from") or ""
        text = services.form_template_text(selectors.template_get(source)) if source else (
            NEW_FORM_TEXT)
    return render(request, "monitoring/form_edit.html",
                  {"text": text, "error": error, "kinds": KINDS, "rules": RULE_KINDS})


@authority_required
@require_POST
def form_retire(request: HttpRequest, code: str) -> HttpResponse:
    scope = request_scope(request)
    version_raw = request.POST.get("version") or ""
    template = selectors.template_get(code, int(version_raw) if version_raw.isdigit() else None)
    retired = request.POST.get("retired") == "1"
    services.form_template_retire(scope=scope, template=template, retired=retired)
    messages.success(request, "Форма выведена из употребления." if retired
                     else "Форма снова доступна для рассылки.")
    return redirect(f"{reverse('monitoring:form', args=[code])}?version={template.version}")


NEW_FORM_TEXT = """code: my_form
version: 1
title: Название формы
direction: upbringing
org_kinds: [school]
source: system
description: Назначение формы.
methodology: Как считаются показатели, что в числителе и знаменателе.
sections:
  - title: Раздел
    fields:
      - {code: my_total, label: Число обучающихся, kind: integer, min: 0, unit: чел.}
      - {code: my_part, label: из них участники, kind: integer, min: 0, unit: чел.}
      - {code: my_flag, label: Программа утверждена, kind: boolean}
rules:
  - {kind: le, left: [my_part], right: [my_total]}
"""


@authority_required
@require_http_methods(["GET", "POST"])
def campaign_new(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    initial: dict[str, Any] = {}
    if request.GET.get("template"):
        found = selectors.template_list().filter(code=request.GET["template"]).first()
        initial = {"template": found.pk} if found else {}
    form = CampaignForm(request.POST or None, scope=scope, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        picked = list(data["organizations"]) or None
        try:
            campaign = services.campaign_create(
                scope=scope,
                template=data["template"],
                year=data["year"],
                deadline=data["deadline"],
                title=data["title"],
                territory=data["territory"],
                kinds=data["kinds"] or None,
                types=data["types"] or None,
                organizations=picked,
                review_required=data["review_required"],
                note=data["note"],
                user=request.user,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Кампания «{campaign.title}» отправлена: "
                                      f"{campaign.submissions.count()} ОО.")
            return redirect("monitoring:campaign", pk=campaign.pk)
    return render(request, "monitoring/campaign_new.html", {"form": form})


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request_scope(request)
    campaign = selectors.campaign_get(scope, pk)
    status = request.GET.get("status") or None
    context = {
        "campaign": campaign,
        "summary": selectors.campaign_summary(scope, campaign),
        "rows": selectors.campaign_submissions(scope, campaign, status=status),
        "status": status,
        "statuses": Submission.Status.choices,
        "is_authority": is_authority(scope),
        "today": timezone.localdate(),
    }
    template = ("monitoring/_campaign_table.html" if getattr(request, "htmx", False)
                else "monitoring/campaign.html")
    return render(request, template, context)


@authority_required
@require_POST
def campaign_action(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request_scope(request)
    campaign = selectors.campaign_get(scope, pk)
    action = request.POST.get("action", "")
    try:
        if action == "accept_all":
            n = services.submissions_accept_all(scope=scope, campaign=campaign,
                                                user=request.user)
            messages.success(request, f"Принято форм: {n}.")
        elif action in {"close", "open"}:
            services.campaign_set_status(
                scope=scope, campaign=campaign,
                status=Campaign.Status.CLOSED if action == "close" else Campaign.Status.OPEN)
            messages.success(request, "Сбор завершён." if action == "close"
                             else "Сбор возобновлён.")
        else:
            messages.error(request, "Неизвестное действие.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("monitoring:campaign", pk=campaign.pk)


@login_required
def campaign_export(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request_scope(request)
    campaign = selectors.campaign_get(scope, pk)
    fields, rows = selectors.campaign_answers(scope, campaign)
    content = exports.campaign_workbook(campaign, fields, rows)
    return xlsx_response(content, f"campaign-{campaign.pk}-{campaign.template.code}.xlsx")


# --- a submission -----------------------------------------------------------------------------


def _can_edit(scope: Scope, submission: Submission) -> bool:
    if scope.is_school:
        return (scope.can_edit and submission.is_open_for_school
                and submission.campaign.status == Campaign.Status.OPEN)
    return is_authority(scope)


def _form_context(request: HttpRequest, submission: Submission, raw: dict[str, Any],
                  errors: dict[str, list[str]], extra_rows: int = EMPTY_TABLE_ROWS
                  ) -> dict[str, Any]:
    scope = request_scope(request)
    spec = submission.campaign.template.spec
    editable = _can_edit(scope, submission)
    tables = {}
    for f in spec.fields:
        if f.kind == "table":
            rows = list(raw.get(f.code) or [])
            rows += [{} for _ in range(extra_rows if editable else 0)]
            tables[f.code] = rows
    return {
        "submission": submission,
        "campaign": submission.campaign,
        "template": submission.campaign.template,
        "spec": spec,
        "raw": raw,
        "errors": errors,
        "error_count": sum(len(v) for v in errors.values()),
        "tables": tables,
        "editable": editable,
        "is_authority": is_authority(scope),
        "on_behalf": editable and not scope.is_school,
        "history": selectors.submission_history(submission),
        "filled": selectors.submission_view(submission),
        "overdue": selectors.submission_is_overdue(submission),
        "return_form": ReturnForm(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def submission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request_scope(request)
    submission = selectors.submission_get(scope, pk)
    spec = submission.campaign.template.spec
    raw = dict(submission.raw or {})
    if not raw and submission.values:
        raw = raw_from_values(spec, submission.values)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        raw = raw_from_post(spec, request.POST)
        action = request.POST.get("action", "save")
        try:
            if action == "submit":
                result = services.submission_submit(scope=scope, submission=submission, raw=raw,
                                                    user=request.user)
                if result.ok:
                    submission.refresh_from_db()
                    messages.success(request, "Форма представлена." if submission.status ==
                                     Submission.Status.SUBMITTED else "Форма принята.")
                    return redirect("monitoring:submission", pk=submission.pk)
                errors = result.errors
                messages.error(request, "Форма не представлена: исправьте ошибки "
                                        f"({sum(len(v) for v in errors.values())}). Введённые "
                                        "значения сохранены как черновик.")
            else:
                result = services.submission_save(scope=scope, submission=submission, raw=raw,
                                                  user=request.user)
                errors = result.errors
                if result.ok:
                    messages.success(request, "Черновик сохранён.")
                    return redirect("monitoring:submission", pk=submission.pk)
                messages.warning(request, "Черновик сохранён, но в нём есть ошибки — "
                                          "исправьте их перед представлением.")
        except ApplicationError as exc:
            messages.error(request, exc.message)
        submission.refresh_from_db()
    return render(request, "monitoring/submission.html",
                  _form_context(request, submission, raw, errors))


@login_required
@require_POST
def submission_check(request: HttpRequest, pk: int) -> HttpResponse:
    """HTMX: validate as the user types; returns out-of-band error blocks for every field."""
    scope = request_scope(request)
    submission = selectors.submission_get(scope, pk)
    spec = submission.campaign.template.spec
    raw = raw_from_post(spec, request.POST)
    result = services.submission_check(submission=submission, raw=raw, partial=True)
    return render(request, "monitoring/_errors_oob.html",
                  {"spec": spec, "errors": result.errors})


@login_required
def submission_row(request: HttpRequest, pk: int, table: str) -> HttpResponse:
    """HTMX: one more empty row of a table field."""
    scope = request_scope(request)
    submission = selectors.submission_get(scope, pk)
    field = submission.campaign.template.spec.field(table)
    if field is None or field.kind != "table" or not _can_edit(scope, submission):
        raise PermissionDenied("Строку добавить нельзя.")
    index_raw = request.GET.get("i") or "0"
    index = int(index_raw) if index_raw.isdigit() else 0
    return render(request, "monitoring/_table_row.html",
                  {"f": field, "i": index, "row": {}, "editable": True, "next": index + 1,
                   "submission": submission})


@authority_required
@require_POST
def submission_return(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request_scope(request)
    submission = selectors.submission_get(scope, pk)
    form = ReturnForm(request.POST)
    comment = form.data.get("comment", "")
    try:
        services.submission_return(scope=scope, submission=submission, comment=comment,
                                   user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Форма возвращена на доработку; ОО увидит комментарий.")
    return redirect("monitoring:submission", pk=submission.pk)


@authority_required
@require_POST
def submission_accept(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request_scope(request)
    submission = selectors.submission_get(scope, pk)
    try:
        services.submission_accept(scope=scope, submission=submission, user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Форма принята: её значения войдут в расчёт показателей.")
    next_url = request.POST.get("next") or ""
    if next_url.startswith("/monitoring/"):
        return redirect(next_url)
    return redirect("monitoring:submission", pk=submission.pk)

