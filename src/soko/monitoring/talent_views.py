"""Pages of the «Одарённые дети» data bank.

Pupil-level rows (codes, achievements) are shown to the authority and to the pupil's own
school; a methodologist sees counts by organization with small groups hidden.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from soko.monitoring import exports, selectors
from soko.monitoring.services import CONTEST_LEVELS, OLYMPIAD_STAGES
from soko.monitoring.views import xlsx_response
from soko.registry import selectors as registry
from soko.web.context import request_scope

LEVEL_FILTER = [(1, "все уровни"), (2, "муниципальный и выше"), (3, "региональный и выше"),
                (4, "всероссийский и выше")]


def _filters(request: HttpRequest) -> dict[str, object]:
    year_raw = request.GET.get("year") or ""
    level_raw = request.GET.get("level") or ""
    return {
        "territory": request.GET.get("territory") or None,
        "organization": request.GET.get("org") or None,
        "subject": request.GET.get("subject") or None,
        "year": int(year_raw) if year_raw.isdigit() else None,
        "min_level": int(level_raw) if level_raw.isdigit() else None,
        "search": (request.GET.get("q") or "").strip() or None,
    }


@login_required
def talents(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    if scope.is_public:
        raise PermissionDenied("Сведения банка «Одарённые дети» не публикуются.")
    filters = _filters(request)
    context: dict[str, object] = {
        "personal": scope.sees_personal_data,
        "filters": request.GET,
        "totals": selectors.talent_totals(scope, year=filters["year"]),  # type: ignore[arg-type]
        "options": selectors.talent_filter_options(scope),
        "levels": LEVEL_FILTER,
        "territories": registry.territory_list(scope),
        "organizations": registry.organization_list(scope, kind="school"),
        "stages": [label for _, label in OLYMPIAD_STAGES.values()],
        "contest_levels": [label for _, label in CONTEST_LEVELS.values()],
    }
    if scope.sees_personal_data:
        students = selectors.talent_students(scope, **filters)  # type: ignore[arg-type]
        context["page"] = Paginator(students, 50).get_page(request.GET.get("page"))
    else:
        context["counts"] = selectors.talent_counts(scope, year=filters["year"])  # type: ignore[arg-type]
    template = "monitoring/_talents_table.html" if getattr(request, "htmx", False) else \
        "monitoring/talents.html"
    return render(request, template, context)


@login_required
def talent_student(request: HttpRequest, code: str) -> HttpResponse:
    scope = request_scope(request)
    student, records = selectors.talent_student_get(scope, code)
    return render(request, "monitoring/talent_student.html",
                  {"student": student, "records": records})


@login_required
def talents_export(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    filters = _filters(request)
    if scope.sees_personal_data:
        students = list(selectors.talent_students(scope, **filters))  # type: ignore[arg-type]
        content = exports.talents_workbook(students)
    else:
        content = exports.talent_counts_workbook(
            selectors.talent_counts(scope, year=filters["year"]))  # type: ignore[arg-type]
    return xlsx_response(content, "odarennye-deti.xlsx")
