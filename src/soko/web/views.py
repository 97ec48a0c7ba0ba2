"""Pages of the web shell: dashboard, organizations, catalog, jobs, public data.

Views parse the request, call one selector or service with the request's scope, and render.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from soko.catalog.models import Assessment
from soko.catalog.selectors import assessment_list, min_scores_list, parameters_current, scale_spec
from soko.core.errors import ApplicationError
from soko.core.models import Job
from soko.registry import selectors as registry
from soko.registry.models import OrgKind, OrgType
from soko.registry.services import organization_change
from soko.web.context import request_scope
from soko.web.forms import OrganizationChangeForm
from soko.web.sections import dashboard_sections, org_sections

View = Callable[..., HttpResponse]


def editor_required(view: View) -> View:
    """Only users who may edit in their scope (the authority, a school for its own data)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request_scope(request).can_edit:
            raise PermissionDenied("Недостаточно прав для изменения данных.")
        return view(request, *args, **kwargs)

    return login_required(wrapped)


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("web:dashboard")
    return redirect("web:public")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    context = {
        "territory": registry.territory_for_scope(scope),
        "summary": registry.registry_summary(scope),
        "type_labels": dict(OrgType.choices),
        "kind_labels": dict(OrgKind.choices),
        "jobs": Job.objects.filter(created_by_id=request.user.pk)[:5],
        "sections": dashboard_sections(request, scope),
    }
    return render(request, "web/dashboard.html", context)


@login_required
def org_list(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    orgs = registry.organization_list(
        scope,
        territory=request.GET.get("territory") or None,
        kind=request.GET.get("kind") or None,
        org_type=request.GET.get("type") or None,
        search=(request.GET.get("q") or "").strip() or None,
    )
    page = Paginator(orgs, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "territories": registry.territory_list(scope),
        "kinds": OrgKind.choices,
        "types": OrgType.choices,
        "filters": request.GET,
    }
    template = "web/_org_table.html" if request.htmx else "web/org_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@login_required
def org_detail(request: HttpRequest, code: str) -> HttpResponse:
    scope = request_scope(request)
    org = registry.organization_get(scope, code)
    context = {
        "org": org,
        **registry.organization_details(org),
        "can_edit": scope.can_edit,
        "sections": org_sections(request, org),
    }
    return render(request, "web/org_detail.html", context)


@login_required
def org_audit(request: HttpRequest, code: str) -> HttpResponse:
    org = registry.organization_get(request_scope(request), code)
    return render(
        request, "web/org_audit.html", {"org": org, "entries": registry.organization_audit(org)}
    )


@editor_required
@require_http_methods(["GET", "POST"])
def org_edit(request: HttpRequest, code: str) -> HttpResponse:
    scope = request_scope(request)
    if scope.is_school:
        raise PermissionDenied("Реквизиты ОО изменяет орган управления образованием.")
    org = registry.organization_get(scope, code)
    form = OrganizationChangeForm(request.POST or None, organization=org, scope=scope)
    if request.method == "POST" and form.is_valid():
        try:
            organization_change(
                organization=org,
                effective=form.cleaned_data["effective"],
                changes=form.changes(),
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Изменения сохранены; прежние сведения остались в истории.")
            return redirect("web:org_detail", code=org.code)
    return render(request, "web/org_edit.html", {"org": org, "form": form})


@login_required
def catalog(request: HttpRequest) -> HttpResponse:
    procedure = request.GET.get("procedure") or None
    year_raw = request.GET.get("year") or ""
    year = int(year_raw) if year_raw.isdigit() else None
    assessments = assessment_list(procedure=procedure, year=year)
    years = sorted(set(Assessment.objects.values_list("year", flat=True)), reverse=True)
    context = {
        "assessments": assessments,
        "years": years,
        "procedures": sorted(set(Assessment.objects.values_list("procedure__code", flat=True))),
        "filters": request.GET,
        "min_scores": min_scores_list()[:200],
        "parameters": parameters_current(),
    }
    return render(request, "web/catalog.html", context)


@login_required
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = get_object_or_404(assessment_list(), pk=pk)
    spec = scale_spec(assessment)
    return render(
        request,
        "web/assessment.html",
        {"a": assessment, "bands": spec.bands() if spec else None},
    )


@login_required
def jobs(request: HttpRequest) -> HttpResponse:
    qs = (
        Job.objects.all()
        if request.user.is_superuser
        else Job.objects.filter(created_by_id=request.user.pk)
    )
    return render(request, "web/jobs.html", {"jobs": qs[:100]})


@login_required
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    qs = (
        Job.objects.all()
        if request.user.is_superuser
        else Job.objects.filter(created_by_id=request.user.pk)
    )
    job = get_object_or_404(qs, pk=pk)
    return render(request, "web/_job_progress.html", {"job": job})


def public(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/public.html",
        {"rows": registry.public_summary(), "today": timezone.localdate()},
    )
