"""Pages of the risks area: overview, ШНОР/ШФНСУ, objectivity, flags with review, re-checking.

Views parse the request, call one selector or service with the request's scope and render;
every figure shown was computed beforehand and stored (pages never read facts).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from soko.catalog.selectors import min_group_size, parameter_value
from soko.core.errors import ApplicationError
from soko.core.jobs import job_enqueue
from soko.risks import exports, recheck, selectors, services
from soko.risks.describe import (
    index_text,
    objectivity_lines,
    quadrant_label,
    rule_text,
    social_text,
)
from soko.risks.markers import MARKER_CODES, MARKER_TITLES
from soko.risks.models import FlagKind, FlagStatus, RecheckMethod
from soko.web.context import request_scope

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _year(request: HttpRequest, available: list[int]) -> int | None:
    raw = request.GET.get("year") or ""
    if raw.isdigit() and int(raw) in available:
        return int(raw)
    return available[0] if available else None


def _xlsx(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def home(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    context = {
        "overview": selectors.overview(scope),
        "run": selectors.last_run(),
        "kinds": FlagKind.choices,
        "can_review": selectors.can_review(scope),
        "years": selectors.years(scope),
    }
    return render(request, "risks/home.html", context)


@login_required
@require_POST
def compute(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    if not selectors.can_review(scope):
        raise PermissionDenied("Пересчёт запускает орган управления образованием.")
    raw = request.POST.get("year") or ""
    params: dict[str, Any] = {"year": int(raw)} if raw.isdigit() else {}
    job = job_enqueue(kind="risks.compute", params=params, user=request.user)
    messages.info(request, f"Расчёт рисков поставлен в очередь (задача №{job.pk}).")
    return redirect("risks:home")


@login_required
def low_results(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    available = selectors.years(scope)
    year = _year(request, available)
    if request.GET.get("format") == "xlsx":
        return _xlsx(exports.low_results_xlsx(scope, year=year), f"shnor-shfnsu-{year}.xlsx")
    page = selectors.low_results_page(scope, year=year)
    for r in page.rows:
        r["rule_text"] = rule_text(r["rule"])
        r["index_text"] = index_text(r["index"])
        r["social_text"] = social_text((r["summary"].evidence or {}).get("social"))
        r["quadrant_label"] = quadrant_label(r["summary"].quadrant)
    return render(request, "risks/low_results.html", {
        "page": page, "years": available, "year": year,
        "quadrant_labels": {k: quadrant_label(k) for k in ("priority", "management", "resilient",
                                                           "other")},
    })


@login_required
def objectivity(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    available = selectors.years(scope)
    year = _year(request, available)
    if request.GET.get("format") == "xlsx":
        return _xlsx(exports.objectivity_xlsx(scope, year=year), f"objectivity-{year}.xlsx")
    page = selectors.objectivity_page(scope, year=year)
    return render(request, "risks/objectivity.html", {
        "page": page, "years": available, "year": year, "codes": MARKER_CODES,
        "titles": MARKER_TITLES,
    })


@login_required
def flag_list(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    kind = request.GET.get("kind") if request.GET.get("kind") in FlagKind.values else None
    status = request.GET.get("status") if request.GET.get("status") in FlagStatus.values else None
    raw = request.GET.get("year") or ""
    year = int(raw) if raw.isdigit() else None
    if request.GET.get("format") == "xlsx":
        return _xlsx(exports.flags_xlsx(scope, kind=kind, year=year),
                     f"flags-{kind or 'all'}-{year or 'all'}.xlsx")
    flags = selectors.flag_list(scope, kind=kind, year=year, status=status)
    page = Paginator(flags, 100).get_page(request.GET.get("page"))
    return render(request, "risks/flags.html", {
        "page": page, "kind": kind, "status": status, "year": year,
        "kinds": FlagKind.choices, "statuses": FlagStatus.choices,
        "years": selectors.years(scope),
    })


@login_required
def flag_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request_scope(request)
    flag = selectors.flag_get(scope, pk)
    if flag is None:
        raise Http404("Флаг не найден")
    ev = flag.evidence or {}
    context: dict[str, Any] = {
        "flag": flag,
        "ev": ev,
        "can_review": selectors.can_review(scope),
        "statuses": FlagStatus.choices,
        "thresholds": list((ev.get("thresholds") or {}).values()),
        "min_group": min_group_size(),
        "sees_personal": scope.sees_personal_data,
        "quadrant": quadrant_label(ev.get("quadrant")),
    }
    if flag.kind == FlagKind.OBJECTIVITY:
        context["markers"] = objectivity_lines(ev, personal=scope.sees_personal_data)
    else:
        context["rule_text"] = rule_text(ev.get("rule_30pct"))
        context["index_text"] = index_text(ev.get("low_index"))
        context["social_text"] = social_text(ev.get("social"))
    return render(request, "risks/flag.html", context)


@login_required
@require_POST
def flag_review(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request_scope(request)
    if not selectors.can_review(scope):
        raise PermissionDenied("Рассматривать флаги может только орган управления образованием.")
    try:
        services.flag_review(
            flag_id=pk,
            status=request.POST.get("status", ""),
            comment=request.POST.get("comment", ""),
            scope=scope,
            user=request.user,
        )
    except ApplicationError as exc:
        if request.htmx:  # type: ignore[attr-defined]
            return HttpResponse(f'<div class="alert alert-danger">{exc.message}</div>',
                                status=400)
        messages.error(request, exc.message)
        return redirect("risks:flag", pk=pk)
    flag = selectors.flag_get(scope, pk)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "risks/_review.html", {
            "flag": flag, "can_review": True, "statuses": FlagStatus.choices, "saved": True,
        })
    messages.success(request, "Решение по флагу сохранено.")
    return redirect("risks:flag", pk=pk)


# --- re-check ------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def recheck_list(request: HttpRequest) -> HttpResponse:
    from soko.catalog.models import Assessment

    scope = request_scope(request)
    authority = selectors.can_review(scope)
    if request.method == "POST":
        if not authority:
            raise PermissionDenied("Выборку для перепроверки формирует орган управления.")
        try:
            sample = recheck.recheck_sample_create(
                assessment_id=int(request.POST.get("assessment") or 0),
                size=int(request.POST.get("size") or 0),
                method=request.POST.get("method", ""),
                seed=int(request.POST.get("seed") or 1),
                risk_share=float((request.POST.get("risk_share") or "0.5").replace(",", ".")),
                title=request.POST.get("title", ""),
                scope=scope,
                user=request.user,
            )
        except (ApplicationError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", "Проверьте числа в форме."))
            return redirect("risks:recheck_list")
        messages.success(request, f"Выборка сформирована: {sample.works.count()} работ.")
        return redirect("risks:recheck_detail", pk=sample.pk)
    assessments = (
        Assessment.objects.filter(procedure__kind="diagnostic")
        .select_related("procedure", "subject")
        .order_by("-year", "procedure__order", "subject__order", "grade")
        if authority else []
    )
    return render(request, "risks/recheck_list.html", {
        "samples": selectors.recheck_samples(scope),
        "authority": authority,
        "assessments": assessments,
        "methods": RecheckMethod.choices,
        "target": parameter_value("recheck.objective_share_target"),
    })


def _sample_or_404(request: HttpRequest, pk: int) -> Any:
    sample = selectors.recheck_sample(request_scope(request), pk)
    if sample is None:
        raise Http404("Выборка не найдена")
    return sample


@login_required
def recheck_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request_scope(request)
    sample = _sample_or_404(request, pk)
    if request.GET.get("format") == "xlsx":
        return _xlsx(exports.recheck_xlsx(scope, sample), f"recheck-{sample.pk}.xlsx")
    results = selectors.recheck_results(scope, sample)
    return render(request, "risks/recheck_detail.html", {
        "sample": sample,
        "res": results,
        "authority": selectors.can_review(scope),
        "target": parameter_value("recheck.objective_share_target", sample.year),
        "tolerance": parameter_value("recheck.max_primary_delta", sample.year),
    })


@login_required
def recheck_entry(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request_scope(request)
    if not selectors.can_review(scope):
        raise PermissionDenied("Баллы комиссии вносит орган управления образованием.")
    sample = _sample_or_404(request, pk)
    works = selectors.recheck_works(scope, sample)
    page = Paginator(works, 50).get_page(request.GET.get("page"))
    tasks = list(sample.assessment.tasks.order_by("position"))
    rows = [{"w": w, "cells": _cells(w, tasks)} for w in page]
    return render(request, "risks/recheck_entry.html", {
        "sample": sample, "page": page, "tasks": tasks, "rows": rows,
    })


def _cells(work: Any, tasks: list[Any], values: list[str] | None = None) -> list[tuple[Any, str]]:
    """(task, value shown in the input) for one row of the entry grid."""
    if values is not None:
        shown = [*values, *[""] * len(tasks)][: len(tasks)]
    elif work.commission_scores:
        shown = [f"{v:g}" for v in work.commission_scores]
    else:
        shown = [""] * len(tasks)
    return list(zip(tasks, shown, strict=False))


@login_required
@require_POST
def recheck_save(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request_scope(request)
    if not selectors.can_review(scope):
        raise PermissionDenied("Баллы комиссии вносит орган управления образованием.")
    values = request.POST.getlist("score")
    error = ""
    try:
        work = recheck.recheck_enter_scores(work_id=pk, scores=values, scope=scope,
                                            user=request.user)
    except ApplicationError as exc:
        error = exc.message
        work = recheck._work_in_scope(pk, scope)
    tasks = list(work.sample.assessment.tasks.order_by("position"))
    context = {"w": work, "tasks": tasks, "error": error,
               "cells": _cells(work, tasks, values if error else None)}
    status = 400 if error else 200
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "risks/_entry_row.html", context, status=status)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, "Баллы комиссии сохранены.")
    return redirect("risks:recheck_entry", pk=work.sample_id)


@login_required
def recheck_template(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request_scope(request)
    if not selectors.can_review(scope):
        raise PermissionDenied("Шаблон для комиссии выдаёт орган управления образованием.")
    sample = _sample_or_404(request, pk)
    data = recheck.recheck_template_xlsx(sample, selectors.recheck_works(scope, sample))
    return _xlsx(data, f"recheck-{sample.pk}-template.xlsx")


@login_required
@require_POST
def recheck_upload(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request_scope(request)
    if not selectors.can_review(scope):
        raise PermissionDenied("Баллы комиссии загружает орган управления образованием.")
    sample = _sample_or_404(request, pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "Выберите заполненный файл шаблона.")
        return redirect("risks:recheck_detail", pk=sample.pk)
    try:
        outcome = recheck.recheck_upload_xlsx(sample_id=sample.pk, data=upload.read(),
                                              scope=scope, user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("risks:recheck_detail", pk=sample.pk)
    messages.success(
        request, f"Загружено работ: {outcome['saved']}; строк без баллов: {outcome['skipped']}."
    )
    return redirect("risks:recheck_detail", pk=sample.pk)
