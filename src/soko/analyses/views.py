"""Pages and XLSX exports of the analyses. Views parse, call one selector, render.

Every page reads stored results only (computed by :func:`services.analyses_compute`); the
scope of the request decides what is visible (404 for another school's units).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from soko.analyses import exports
from soko.analyses import selectors as sel
from soko.web.context import request_scope

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _int(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


def _xlsx(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(name)}"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


def _filters(request: HttpRequest) -> sel.Filters:
    return sel.Filters(
        procedure=request.GET.get("procedure") or None,
        subject=request.GET.get("subject") or None,
        grade=_int(request.GET.get("grade")),
        year=_int(request.GET.get("year")),
    )


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Choose a work (procedure, subject, grade, year) and the level to open it at."""
    scope = request_scope(request)
    choices = sel.filter_choices(scope)
    filters = _filters(request)
    year_value = request.GET.get("year")
    if year_value is None and choices["years"]:
        # the latest year by default; «все годы» is an explicit choice
        year_value = str(choices["years"][0])
        filters = sel.Filters(filters.procedure, filters.subject, filters.grade,
                              int(year_value))
    level = request.GET.get("level") or ""
    context: dict[str, Any] = {
        "analyses": sel.analysis_list(scope, filters)[:500],
        "choices": choices,
        "filters": request.GET,
        "year_value": year_value or "",
        "level": level,
        "can_compute": scope.can_edit and not scope.is_school,
    }
    template = (
        "analyses/_analysis_table.html"
        if getattr(request, "htmx", False)
        else "analyses/home.html"
    )
    return render(request, template, context)


def _unit_params(request: HttpRequest) -> dict[str, str | None]:
    return {
        "org": request.GET.get("org") or None,
        "class_label": request.GET.get("class") or None,
        "territory": request.GET.get("territory") or None,
        "level": request.GET.get("level") or None,
    }


@login_required
def report(request: HttpRequest, pk: int) -> HttpResponse:
    """The procedure analysis of a work for one unit, against municipality and region."""
    data = sel.report_data(request_scope(request), pk, **_unit_params(request))
    return render(request, "analyses/report.html", {"data": data, "query": request.GET})


@login_required
def report_export(request: HttpRequest, pk: int) -> HttpResponse:
    data = sel.report_data(request_scope(request), pk, **_unit_params(request))
    unit = data["unit"]
    name = f"анализ {data['analysis']['title']} {unit['org_code'] or unit['territory_code'] or ''}"
    if unit["class_label"]:
        name += f" {unit['class_label']}"
    return _xlsx(exports.report_workbook(data), name.strip() + ".xlsx")


@login_required
def marks_export(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request_scope(request)
    analysis = sel.analysis_get(scope, pk)
    data = sel.marks_table(
        scope,
        procedure=analysis.procedure,
        subject=analysis.subject,
        grade=analysis.grade,
        year=analysis.year,
    )
    return _xlsx(exports.marks_workbook(data), f"статистика по отметкам {data['title']}.xlsx")


def _year(request: HttpRequest, years: list[int]) -> int | None:
    wanted = _int(request.GET.get("year"))
    if wanted is not None:
        return wanted
    return years[0] if years else None


@login_required
def comprehensive(request: HttpRequest) -> HttpResponse:
    """Agreement of ВПР / ОГЭ / ЕГЭ, dynamics, cohorts and clusters of a year."""
    scope = request_scope(request)
    years = sel.comprehensive_years(scope)
    year = _year(request, years)
    data = sel.comprehensive_data(scope, year) if year is not None else None
    chart = sel.cluster_chart(data) if data is not None else None
    return render(
        request,
        "analyses/comprehensive.html",
        {"data": data, "years": years, "year": year, "cluster_chart": chart},
    )


@login_required
def comprehensive_export(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    year = _year(request, sel.comprehensive_years(scope))
    if year is None:
        messages.info(request, "Комплексный анализ ещё не рассчитан.")
        return redirect("analyses:comprehensive")
    data = sel.comprehensive_data(scope, year)
    return _xlsx(exports.comprehensive_workbook(data), f"комплексный анализ {year}.xlsx")


@login_required
def deficits(request: HttpRequest) -> HttpResponse:
    """Deficits by subject and skill (territory list) and per class."""
    scope = request_scope(request)
    years = sel.deficit_years(scope)
    year = _year(request, years)
    subject = request.GET.get("subject") or None
    data = sel.deficits_data(scope, year=year, subject=subject) if year is not None else None
    return render(
        request,
        "analyses/deficits.html",
        {
            "data": data,
            "years": years,
            "year": year,
            "subjects": sel.deficit_subjects(scope, year),
            "subject": subject,
        },
    )


@login_required
def deficits_export(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    year = _year(request, sel.deficit_years(scope))
    if year is None:
        messages.info(request, "Дефициты ещё не рассчитаны.")
        return redirect("analyses:deficits")
    data = sel.deficits_data(scope, year=year, subject=request.GET.get("subject") or None)
    return _xlsx(exports.deficits_workbook(data), f"дефициты {year}.xlsx")


@login_required
@require_POST
def compute(request: HttpRequest) -> HttpResponse:
    """Start recomputing the analyses in the background (the authority only)."""
    from soko.core.jobs import job_enqueue

    scope = request_scope(request)
    if not scope.can_edit or scope.is_school:
        raise PermissionDenied("Пересчитывать анализ может орган управления образованием.")
    year = _int(request.POST.get("year"))
    job = job_enqueue(
        kind="analyses.compute",
        params={"year": year} if year else {},
        user=request.user,
        title="Пересчёт анализа результатов" + (f" за {year} г." if year else ""),
    )
    messages.success(
        request, f"Пересчёт анализа поставлен в очередь (задача №{job.pk}); ход — в «Задачах»."
    )
    return redirect("analyses:home")
