"""Pages of the reports area: order a report, follow it, download, regenerate; templates."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from soko.core.errors import ApplicationError
from soko.registry.models import Organization
from soko.reports.builders import kinds
from soko.reports.selectors import report_list, templates
from soko.reports.services import (
    FORMATS,
    TEMPLATE_FIELDS,
    report_queue,
    report_regenerate,
    report_request,
    template_reset,
    template_upload,
)
from soko.web.context import request_scope

FORMAT_LABELS = {"docx": "Word (DOCX)", "xlsx": "Excel (XLSX)", "pdf": "PDF"}


class ReportForm(forms.Form):
    kind = forms.ChoiceField(label="Отчёт")
    year = forms.IntegerField(label="Год", required=False, min_value=2000, max_value=2100)
    org = forms.ChoiceField(label="Организация", required=False)
    fmt = forms.ChoiceField(label="Формат", choices=[(f, FORMAT_LABELS[f]) for f in FORMATS])

    def __init__(self, *args: object, orgs: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["kind"].choices = [  # type: ignore[attr-defined]
            (k, s.title) for k, s in sorted(kinds().items(), key=lambda kv: kv[1].title)
        ]
        self.fields["org"].choices = [("", "вся территория"), *orgs]  # type: ignore[attr-defined]
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            )


@login_required
def home(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    orgs = [(o.code, o.short_name) for o in Organization.objects.filter(scope.org_q())
            .order_by("short_name")]
    form = ReportForm(request.POST or None, orgs=orgs,
                      initial={"year": timezone.localdate().year, "fmt": "docx"})
    if request.method == "POST" and form.is_valid():
        try:
            report = report_request(
                kind=form.cleaned_data["kind"], year=form.cleaned_data["year"],
                org_code=form.cleaned_data["org"] or None, fmt=form.cleaned_data["fmt"],
                user=request.user, scope=scope,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            report_queue(report, request.user)
            return redirect("reports:detail", pk=report.pk)
    return render(request, "reports/home.html", {
        "form": form, "reports": report_list(scope)[:200], "kinds": kinds(),
        "templates": templates(), "can_edit": scope.can_edit and not scope.is_school,
    })


def _own(request: HttpRequest, pk: int):  # type: ignore[no-untyped-def]
    return get_object_or_404(report_list(request_scope(request)), pk=pk)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = _own(request, pk)
    template = "reports/_status.html" if request.htmx else "reports/detail.html"  # type: ignore[attr-defined]
    return render(request, template, {"report": report})


@login_required
def download(request: HttpRequest, pk: int) -> FileResponse:
    report = _own(request, pk)
    path = Path(report.path)
    if report.status != "done" or not path.exists():
        raise Http404("Файл отчёта не найден.")
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name)


@login_required
@require_POST
def regenerate(request: HttpRequest, pk: int) -> HttpResponse:
    report = _own(request, pk)
    report_regenerate(report, request.user)
    return redirect("reports:detail", pk=report.pk)


@login_required
@require_POST
def upload_template(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    if not scope.can_edit or scope.is_school:
        raise PermissionDenied("Шаблоны отчётов меняет орган управления образованием.")
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "Выберите файл шаблона DOCX.")
        return redirect("reports:home")
    try:
        template_upload(kind=request.POST.get("kind", ""), name=upload.name or "",
                        content=upload.read(), user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Шаблон сохранён; следующие отчёты используют его.")
    return redirect("reports:home")


@login_required
@require_POST
def reset_template(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    if not scope.can_edit or scope.is_school:
        raise PermissionDenied("Шаблоны отчётов меняет орган управления образованием.")
    template_reset(kind=request.POST.get("kind", ""))
    messages.success(request, "Восстановлен стандартный шаблон.")
    return redirect("reports:home")


@login_required
def base_template(request: HttpRequest) -> FileResponse:
    from soko.reports.services import BASE_TEMPLATE

    return FileResponse(BASE_TEMPLATE.open("rb"), as_attachment=True,
                        filename="шаблон-отчёта-СОКО.docx")


TEMPLATE_HELP = sorted(TEMPLATE_FIELDS)
