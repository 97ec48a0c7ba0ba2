"""Web pages of the import area: upload with preview, progress and errors; history; undo."""

from __future__ import annotations

import shutil
import time
import uuid
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from soko.core.errors import ApplicationError
from soko.core.jobs import job_enqueue
from soko.core.models import Job
from soko.imports.error_report import error_workbook
from soko.imports.selectors import batch_list, batch_slices
from soko.imports.services import all_kinds, handler_for, import_undo
from soko.registry.models import Organization
from soko.web.context import request_scope

INCOMING_MAX_AGE = 2 * 24 * 3600


class UploadForm(forms.Form):
    file = forms.FileField(label="Файл")
    kind = forms.ChoiceField(label="Вид данных", required=False)
    year = forms.IntegerField(label="Год", required=False, min_value=2000, max_value=2100)
    create_orgs = forms.BooleanField(label="Создать отсутствующие в реестре ОО", required=False)

    def __init__(self, *args: Any, can_create_orgs: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "определить по содержимому")]
        choices += [(k, handler_for(k).title) for k in all_kinds()]
        self.fields["kind"].choices = choices  # type: ignore[attr-defined]
        if not can_create_orgs:
            del self.fields["create_orgs"]


def _incoming_dir() -> Path:
    root: Path = settings.SOKO.data_dir / "tmp" / "incoming"
    root.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in root.iterdir():
        if old.is_dir() and now - old.stat().st_mtime > INCOMING_MAX_AGE:
            shutil.rmtree(old, ignore_errors=True)
    target = root / uuid.uuid4().hex
    target.mkdir()
    return target


def _own_job(request: HttpRequest, pk: int, kind: str) -> Job:
    job = get_object_or_404(Job, pk=pk, kind=kind)
    if job.created_by_id != request.user.pk and not request.user.is_superuser:
        raise Http404("Задача не найдена.")
    return job


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    if not scope.can_edit:
        raise PermissionDenied("Загружать данные могут орган управления и ОО.")
    form = UploadForm(
        request.POST or None,
        request.FILES or None,
        can_create_orgs=not scope.is_school,
    )
    if request.method == "POST" and form.is_valid():
        incoming = _incoming_dir()
        uploaded = form.cleaned_data["file"]
        name = Path(uploaded.name).name
        target = incoming / name
        with target.open("wb") as fh:
            for chunk in uploaded.chunks():
                fh.write(chunk)
        job = job_enqueue(
            kind="import.check",
            params={
                "path": str(target),
                "name": name,
                "kind": form.cleaned_data["kind"] or None,
                "year": form.cleaned_data["year"],
                "create_orgs": bool(form.cleaned_data.get("create_orgs")),
                "user_id": request.user.pk,
                "options": {},
            },
            user=request.user,
            title=f"Проверка файла «{name}»",
        )
        return redirect("imports:check", pk=job.pk)
    org = None
    if scope.is_school:
        org = Organization.objects.filter(pk=scope.organization_id or 0).first()
    return render(request, "imports/upload.html", {"form": form, "own_org": org})


@login_required
def check(request: HttpRequest, pk: int) -> HttpResponse:
    job = _own_job(request, pk, "import.check")
    template = "imports/_check_body.html" if request.htmx else "imports/check.html"  # type: ignore[attr-defined]
    return render(request, template, {"job": job, "result": job.result or {}})


@login_required
def check_errors(request: HttpRequest, pk: int) -> HttpResponse:
    job = _own_job(request, pk, "import.check")
    errors = (job.result or {}).get("errors") or []
    path = Path(job.params["path"])
    if not errors or not path.exists():
        raise Http404("Нет файла с ошибками.")
    content = error_workbook(path, errors)
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    stem = Path(job.params["name"]).stem
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(stem)}-ошибки.xlsx"
    return response


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text)


@login_required
@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    job = _own_job(request, pk, "import.check")
    if (job.result or {}).get("status") != "dry_run":
        messages.error(request, "Файл не прошёл проверку; загрузка невозможна.")
        return redirect("imports:check", pk=pk)
    run = job_enqueue(
        kind="import.run",
        params=dict(job.params),
        user=request.user,
        title=f"Загрузка файла «{job.params['name']}»",
    )
    return redirect("imports:run", pk=run.pk)


@login_required
def run(request: HttpRequest, pk: int) -> HttpResponse:
    job = _own_job(request, pk, "import.run")
    template = "imports/_run_body.html" if request.htmx else "imports/run.html"  # type: ignore[attr-defined]
    return render(request, template, {"job": job, "result": job.result or {}})


@login_required
def history(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    org_code = request.GET.get("org") or None
    assessment = request.GET.get("assessment")
    org_id = None
    if org_code:
        org_id = (
            Organization.objects.filter(scope.org_q(), code=org_code)
            .values_list("id", flat=True)
            .first()
        )
    batches = batch_list(
        scope,
        organization_id=org_id,
        assessment_id=int(assessment) if assessment and assessment.isdigit() else None,
    )[:300]
    return render(request, "imports/history.html", {"batches": batches, "filters": request.GET})


@login_required
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request_scope(request)
    batch = get_object_or_404(batch_list(scope), pk=pk)
    can_undo = scope.can_edit and (
        not scope.is_school or batch.scope_organization_id == scope.organization_id
    )
    return render(
        request,
        "imports/batch.html",
        {"batch": batch, "slices": batch_slices(batch, scope), "can_undo": can_undo},
    )


@login_required
def batch_file(request: HttpRequest, pk: int) -> FileResponse:
    batch = get_object_or_404(batch_list(request_scope(request)), pk=pk)
    path = Path(batch.archive_path)
    if not path.exists():
        raise Http404("Архивная копия не найдена.")
    return FileResponse(path.open("rb"), as_attachment=True, filename=batch.file_name)


@login_required
@require_POST
def undo(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request_scope(request)
    batch = get_object_or_404(batch_list(scope), pk=pk)
    try:
        import_undo(batch_id=batch.pk, user=request.user, scope=scope)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Загрузка №{batch.pk} отменена; предыдущие данные восстановлены."
        )
    return redirect(reverse("imports:batch", kwargs={"pk": batch.pk}))
