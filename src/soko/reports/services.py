"""Generating reports: request (background), build, render, store; templates."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from soko.accounts.scope import Scope
from soko.core.errors import ApplicationError
from soko.core.jobs import job_enqueue
from soko.registry.models import Organization, Territory
from soko.reports.builders import BuildContext, kinds
from soko.reports.document import ReportRefused
from soko.reports.models import Report, ReportTemplate
from soko.reports.render import (
    TemplateError,
    check_template,
    docx_to_pdf,
    render_docx,
    render_xlsx,
)

FORMATS = ("docx", "xlsx", "pdf")
BASE_TEMPLATE = Path(__file__).resolve().parent / "data" / "templates" / "base.docx"
TEMPLATE_FIELDS = {"body", "title", "subtitle", "territory", "year", "data_as_of",
                   "generated_at", "sources"}


def _reports_dir() -> Path:
    return Path(settings.SOKO.reports_dir)


def _slug(text: str) -> str:
    return re.sub(r"[^\w\-]+", "_", text, flags=re.UNICODE).strip("_")[:80] or "report"


def template_for(kind: str) -> Path:
    """The active user template of the kind, else of all kinds, else the shipped one."""
    for key in (kind, ""):
        found = ReportTemplate.objects.filter(kind=key, active=True).order_by("-created_at").first()
        if found is not None and Path(found.path).exists():
            return Path(found.path)
    return BASE_TEMPLATE


def _anchor(scope: Scope, org_code: str | None) -> tuple[Organization | None, Territory | None]:
    organization = None
    if org_code:
        organization = Organization.objects.filter(scope.org_q(), code=org_code).first()
        if organization is None:
            raise ApplicationError(f"Организация «{org_code}» не найдена или недоступна.")
        return organization, organization.territory
    if scope.is_school:
        organization = Organization.objects.filter(pk=scope.organization_id or 0).first()
        return organization, organization.territory if organization else None
    territories = Territory.objects.filter(scope.territory_q())
    tops = [t for t in territories if t.parent_id is None or t.parent_id not in
            {x.pk for x in territories}]
    if len(tops) == 1:
        return None, tops[0]
    municipal = [t for t in territories if t.kind == Territory.Kind.MUNICIPALITY]
    if len(municipal) == 1:
        return None, municipal[0]
    regions = [t for t in territories if t.kind == Territory.Kind.REGION]
    return None, regions[0] if regions else None


def report_request(
    *, kind: str, year: int | None, org_code: str | None, fmt: str, user: Any, scope: Scope
) -> Report:
    """Validate the request, create the report record and queue its generation."""
    specs = kinds()
    if kind not in specs:
        raise ApplicationError(
            f"Неизвестный вид отчёта «{kind}». Допустимые: {', '.join(sorted(specs))}."
        )
    if fmt not in FORMATS:
        raise ApplicationError(f"Формат «{fmt}» не поддерживается: docx, xlsx или pdf.")
    spec = specs[kind]
    if scope.is_public:
        raise ApplicationError("Отчёты формируют пользователи, вошедшие в систему.")
    organization, territory = _anchor(scope, org_code)
    if spec.needs_org and organization is None:
        raise ApplicationError("Для этого отчёта укажите организацию (--org ЛОГИН).")
    if not spec.needs_org and not spec.org_optional and organization is not None and \
            not scope.is_school:
        organization = None
    if spec.needs_year and not year:
        raise ApplicationError("Укажите год отчёта.")
    if scope.is_school and kind not in {"passport", "vpr", "gia9", "gia11", "roadmap",
                                        "indicators"}:
        raise ApplicationError("Этот отчёт формирует орган управления образованием.")
    where = organization.short_name if organization else (territory.name if territory else "")
    title = f"{spec.title}" + (f" — {where}" if where else "") + (f", {year}" if year else "")
    report = Report.objects.create(
        kind=kind, title=title, year=year, organization=organization, territory=territory,
        fmt=fmt, created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    return report


def report_queue(report: Report, user: Any) -> Report:
    job = job_enqueue(kind="report.generate", params={"report_id": report.pk}, user=user,
                      title=f"Отчёт: {report.title}")
    Report.objects.filter(pk=report.pk).update(job_id=job.pk)
    report.refresh_from_db()
    return report


def report_generate(
    report: Report, *, scope: Scope, progress: Callable[[float, str], None] | None = None
) -> Report:
    """Build, render and store the file. A missing-data refusal is recorded, not raised."""
    say = progress or (lambda f, m: None)
    started = time.monotonic()
    Report.objects.filter(pk=report.pk).update(status=Report.Status.RUNNING, message="")
    spec = kinds()[report.kind]
    context = BuildContext(
        kind=report.kind, year=report.year, organization=report.organization,
        territory=report.territory, scope=scope, title=spec.title,
    )
    try:
        say(0.1, "сбор данных")
        doc = spec.builder(context)
        folder = _reports_dir() / str(report.pk)
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        target = folder / f"{_slug(report.title)}.{report.fmt}"
        say(0.6, "оформление документа")
        if report.fmt == "xlsx":
            render_xlsx(doc, target)
        else:
            docx_path = target.with_suffix(".docx")
            render_docx(doc, template_for(report.kind), docx_path)
            if report.fmt == "pdf":
                say(0.8, "преобразование в PDF")
                docx_to_pdf(docx_path, target)
                docx_path.unlink()
    except ReportRefused as exc:
        Report.objects.filter(pk=report.pk).update(
            status=Report.Status.REFUSED, message=exc.reason,
            seconds=time.monotonic() - started,
        )
        report.refresh_from_db()
        return report
    except Exception as exc:
        Report.objects.filter(pk=report.pk).update(
            status=Report.Status.FAILED, message=f"{exc.__class__.__name__}: {exc}"[:2000],
        )
        raise
    Report.objects.filter(pk=report.pk).update(
        status=Report.Status.DONE,
        path=str(target),
        size=target.stat().st_size,
        data_as_of=doc.data_as_of,
        seconds=round(time.monotonic() - started, 2),
        summary={
            "tables": len(doc.tables()),
            "charts": len(doc.charts()),
            "sections": [s.title for s in doc.sections],
        },
    )
    report.refresh_from_db()
    say(1.0, "готово")
    return report


def report_regenerate(report: Report, user: Any) -> Report:
    Report.objects.filter(pk=report.pk).update(status=Report.Status.QUEUED, message="")
    report.refresh_from_db()
    return report_queue(report, user)


@transaction.atomic
def template_upload(*, kind: str, name: str, content: bytes, user: Any) -> ReportTemplate:
    """Store a user DOCX template after checking its fields; it replaces the previous one."""
    if kind and kind not in kinds():
        raise ApplicationError(f"Неизвестный вид отчёта «{kind}».")
    folder = _reports_dir() / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{kind or 'all'}-{int(time.time() * 1000)}.docx"
    path.write_bytes(content)
    try:
        check_template(path, TEMPLATE_FIELDS)
    except TemplateError as exc:
        path.unlink(missing_ok=True)
        raise ApplicationError(str(exc)) from exc
    ReportTemplate.objects.filter(kind=kind, active=True).update(active=False)
    return ReportTemplate.objects.create(
        kind=kind, name=name or path.name, path=str(path),
        uploaded_by=user if getattr(user, "is_authenticated", False) else None,
    )


def template_reset(*, kind: str) -> None:
    ReportTemplate.objects.filter(kind=kind, active=True).update(active=False)
