"""Overview, roadmaps, items, execution reports, calendar, due lists, notices, actors."""

from __future__ import annotations

import calendar as cal
import datetime as dt
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from soko.core.errors import ApplicationError
from soko.cycle import selectors
from soko.cycle.directions import DIRECTIONS, direction_label
from soko.cycle.export import roadmap_docx, roadmap_xlsx
from soko.cycle.forms import (
    ActorForm,
    CommentForm,
    EvidenceForm,
    ImportConfirmForm,
    ImportForm,
    ItemForm,
    ReportForm,
    ReviewForm,
    RoadmapEditForm,
    RoadmapForm,
    SectionForm,
    StatusForm,
)
from soko.cycle.models import Actor, ItemOccurrence, Recommendation, Roadmap, RoadmapItem
from soko.cycle.occurrences import STATUS_LABELS
from soko.cycle.services import roadmaps as svc
from soko.cycle.services.reminders import notifications_mark_read
from soko.cycle.sources import indicator_choices
from soko.cycle.views.common import (
    authority_required,
    default_territory,
    int_or_none,
    scope_of,
    send_stored,
    territories_for,
    today,
)
from soko.registry.models import Organization

INCOMING_MAX_AGE = 2 * 24 * 3600


@login_required
def home(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request)
    day = today()
    context: dict[str, Any] = {
        "roadmaps": list(selectors.roadmap_list(scope)[:12]),
        "soon": selectors.due_soon(scope, day, 14)[:12],
        "overdue_rows": selectors.overdue(scope, day),
        "is_authority": selectors.is_authority(scope),
        "unread": selectors.unread_count(request.user),
    }
    context["overdue_count"] = len(context["overdue_rows"])
    context["overdue_rows"] = context["overdue_rows"][:12]
    recs = selectors.recommendation_list(scope, include_obsolete=False)
    context["drafts"] = list(recs.filter(status=Recommendation.Status.DRAFT)[:8])
    context["drafts_count"] = recs.filter(status=Recommendation.Status.DRAFT).count()
    context["approved_count"] = recs.filter(status=Recommendation.Status.APPROVED).count()
    muko = selectors.muko_latest(scope, default_territory(scope))
    context["muko"] = selectors.muko_view(muko) if muko is not None else None
    return render(request, "cycle/home.html", context)


@authority_required
@require_POST
def remind_now(request: HttpRequest) -> HttpResponse:
    """Run the daily pass now (statuses and reminders) as a background job."""
    from soko.core.jobs import job_enqueue

    job_enqueue(kind="cycle.remind", params={}, user=request.user)
    messages.success(request, "Статусы обновляются, напоминания рассылаются (задача в очереди). "
                              "Повторная рассылка одинаковых уведомлений не происходит.")
    return redirect("cycle:home")


@login_required
def roadmap_list(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request)
    return render(
        request,
        "cycle/roadmap_list.html",
        {"roadmaps": selectors.roadmap_list(scope), "is_authority": selectors.is_authority(scope)},
    )


@authority_required
def roadmap_new(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request)
    form = RoadmapForm(request.POST or None)
    form.set_territories(territories_for(scope), default_territory(scope))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            roadmap = svc.roadmap_create(
                scope=scope, user=request.user, territory=d["territory"], title=d["title"],
                direction=d["direction"], period_start=d["period_start"],
                period_end=d["period_end"], doc_kind=d["doc_kind"], doc_number=d["doc_number"],
                doc_date=d["doc_date"], owner=d["owner"], status=d["status"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Дорожная карта создана; добавьте разделы и мероприятия.")
            return redirect("cycle:roadmap", pk=roadmap.pk)
    return render(request, "cycle/roadmap_form.html", {"form": form, "roadmap": None})


def _incoming_dir() -> Path:
    root: Path = settings.SOKO.data_dir / "tmp" / "cycle-incoming"
    root.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in root.iterdir():
        if old.is_dir() and now - old.stat().st_mtime > INCOMING_MAX_AGE:
            shutil.rmtree(old, ignore_errors=True)
    return root


def _incoming_file(token: str) -> Path:
    if not token.isalnum():
        raise Http404("Файл не найден.")
    folder = _incoming_dir() / token
    found = sorted(p for p in folder.glob("*") if p.is_file()) if folder.is_dir() else []
    if not found:
        raise Http404("Загруженный файл не найден: загрузите его снова.")
    return found[0]


@authority_required
def roadmap_import(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    form.set_territories(territories_for(scope), default_territory(scope))
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        name = Path(str(uploaded.name)).name
        if Path(name).suffix.lower() not in (".docx", ".xlsx", ".xlsm", ".txt"):
            form.add_error("file", "Загрузите файл .docx, .xlsx или .txt.")
        else:
            token = uuid.uuid4().hex
            folder = _incoming_dir() / token
            folder.mkdir()
            with (folder / name).open("wb") as fh:
                for chunk in uploaded.chunks():
                    fh.write(chunk)
            url = reverse("cycle:roadmap_import_preview", args=[token])
            return redirect(f"{url}?territory={form.cleaned_data['territory'].pk}")
    return render(request, "cycle/roadmap_import.html", {"form": form})


@authority_required
def roadmap_import_preview(request: HttpRequest, token: str) -> HttpResponse:
    scope = scope_of(request)
    path = _incoming_file(token)
    territory_id = int_or_none(request.GET.get("territory") or request.POST.get("territory"))
    territory = territories_for(scope).filter(pk=territory_id or 0).first()
    if territory is None:
        raise Http404("Территория не найдена.")
    try:
        preview = svc.roadmap_preview(path)
    except ApplicationError as exc:
        return render(request, "cycle/roadmap_import.html",
                      {"form": None, "error": exc.message, "file_name": path.name})
    initial = {
        "title": preview.title,
        "direction": preview.direction,
        "period_start": preview.period[0] if preview.period else None,
        "period_end": preview.period[1] if preview.period else None,
        "doc_kind": preview.doc_kind,
        "doc_number": preview.doc_number,
        "doc_date": preview.doc_date,
        "status": Roadmap.Status.ACTIVE,
    }
    form = ImportConfirmForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        period = (d["period_start"], d["period_end"]) if d["period_start"] else None
        try:
            result = svc.roadmap_import(
                path=path, territory=territory, scope=scope, user=request.user, name=path.name,
                title=d["title"], direction=d["direction"], period=period,
                doc_kind=d["doc_kind"], doc_number=d["doc_number"], doc_date=d["doc_date"],
                owner=d["owner"], status=d["status"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            shutil.rmtree(path.parent, ignore_errors=True)
            if result.created:
                messages.success(
                    request,
                    f"Дорожная карта загружена: {result.roadmap.items.count()} мероприятий.",
                )
            else:
                messages.info(request, "Этот файл уже загружен; открыта загруженная ранее "
                                       "дорожная карта.")
            return redirect("cycle:roadmap", pk=result.roadmap.pk)
    return render(
        request,
        "cycle/roadmap_preview.html",
        {"preview": preview, "form": form, "territory": territory, "token": token,
         "direction_labels": {d.code: d.short for d in DIRECTIONS}},
    )


@login_required
def roadmap_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_of(request)
    roadmap = selectors.roadmap_get(scope, pk)
    day = today()
    sections = selectors.roadmap_sections(scope, roadmap)
    statuses: dict[str, int] = {}
    for view in sections:
        for item in view.items:
            item.effective = selectors.effective_status(item, day)  # type: ignore[attr-defined]
            statuses[item.effective] = statuses.get(item.effective, 0) + 1  # type: ignore[attr-defined]
    return render(
        request,
        "cycle/roadmap_detail.html",
        {
            "roadmap": roadmap,
            "sections": sections,
            "statuses": [(code, STATUS_LABELS[code], n) for code, n in statuses.items()],
            "is_authority": selectors.is_authority(scope)
            and selectors.allows_territory(scope, roadmap.territory_id),
            "section_form": SectionForm(),
            "direction_label": direction_label(roadmap.direction),
            "targets": list(roadmap.targets.all()),
            "today": day,
        },
    )


@authority_required
def roadmap_edit(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_of(request)
    roadmap = selectors.roadmap_get(scope, pk)
    form = RoadmapEditForm(
        request.POST or None,
        initial={k: getattr(roadmap, k) for k in ("title", "direction", "period_start",
                                                    "period_end", "doc_kind", "doc_number",
                                                    "doc_date", "owner", "status")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            svc.roadmap_update(roadmap=roadmap, scope=scope, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Сведения о дорожной карте сохранены.")
            return redirect("cycle:roadmap", pk=roadmap.pk)
    return render(request, "cycle/roadmap_form.html", {"form": form, "roadmap": roadmap})


@login_required
def roadmap_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    scope = scope_of(request)
    roadmap = selectors.roadmap_get(scope, pk)
    model = selectors.roadmap_export_model(scope, roadmap, today())
    if fmt == "docx":
        content = roadmap_docx(model)
        mime = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    elif fmt == "xlsx":
        content = roadmap_xlsx(model)
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        raise Http404("Формат не поддерживается.")
    from urllib.parse import quote

    response = HttpResponse(content, content_type=mime)
    name = f"дорожная-карта-{roadmap.pk}.{fmt}"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


@authority_required
@require_POST
def section_add(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_of(request)
    roadmap = selectors.roadmap_get(scope, pk)
    form = SectionForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        parent = roadmap.sections.filter(pk=d["parent"] or 0).first()
        try:
            svc.section_add(roadmap=roadmap, scope=scope, name=d["name"], number=d["number"],
                            parent=parent, direction=d["direction"])
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Раздел добавлен.")
    else:
        messages.error(request, "Укажите название раздела.")
    return redirect("cycle:roadmap", pk=roadmap.pk)


def _item_form(roadmap: Roadmap, data: Any = None, initial: Any = None) -> ItemForm:
    sections = [(s.pk, s.title[:120]) for s in roadmap.sections.order_by("position")]
    return ItemForm(data, initial=initial, sections=sections, indicators=indicator_choices())


def _row(request: HttpRequest, item: RoadmapItem) -> HttpResponse:
    scope = scope_of(request)
    item = selectors.item_get(scope, item.pk)
    item.effective = selectors.effective_status(item, today())  # type: ignore[attr-defined]
    return render(request, "cycle/_item_row.html",
                  {"item": item, "is_authority": selectors.is_authority(scope)})


@authority_required
def item_add(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_of(request)
    roadmap = selectors.roadmap_get(scope, pk)
    section_id = int_or_none(request.GET.get("section") or request.POST.get("section"))
    form = _item_form(roadmap, request.POST or None, initial={"section": section_id})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            svc.item_add(
                roadmap=roadmap, scope=scope, title=d["title"], deadline_text=d["deadline_text"],
                responsible_text=d["responsible_text"],
                section=roadmap.sections.filter(pk=d["section"] or 0).first(),
                number=d["number"], direction=d["direction"], indicator_text=d["indicator_text"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Мероприятие добавлено; срок разобран.")
            return redirect(reverse("cycle:roadmap", args=[roadmap.pk]))
    return render(request, "cycle/item_form.html", {"form": form, "roadmap": roadmap,
                                                    "item": None})


@login_required
def item_row(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.item_get(scope_of(request), pk)
    return _row(request, item)


@authority_required
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Inline editing of an item row (HTMX): GET gives the form row, POST saves and returns
    the row."""
    scope = scope_of(request)
    item = selectors.item_get(scope, pk)
    initial = {k: getattr(item, k) for k in ("number", "title", "deadline_text",
                                             "responsible_text", "indicator_text", "direction",
                                             "indicator_code", "baseline", "baseline_year",
                                             "target", "target_year", "is_cancelled")}
    initial["section"] = item.section_id
    form = _item_form(item.roadmap, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        d["section"] = item.roadmap.sections.filter(pk=d["section"] or 0).first()
        try:
            svc.item_update(item=item, scope=scope, **d)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            if request.htmx:  # type: ignore[attr-defined]
                return _row(request, item)
            messages.success(request, "Мероприятие сохранено.")
            return redirect("cycle:item", pk=item.pk)
    template = "cycle/_item_edit_row.html" if request.htmx else "cycle/item_form.html"  # type: ignore[attr-defined]
    return render(request, template, {"form": form, "item": item, "roadmap": item.roadmap})


@login_required
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_of(request)
    item = selectors.item_get(scope, pk)
    day = today()
    details = selectors.item_details(scope, item, day)
    can_report = not scope.is_public and (scope.is_school or scope.can_edit
                                          or scope.role == "methodologist")
    return render(
        request,
        "cycle/item_detail.html",
        {
            "item": item,
            **details,
            "effective": selectors.effective_status(item, day),
            "status_labels": STATUS_LABELS,
            "is_authority": selectors.is_authority(scope)
            and selectors.allows_territory(scope, item.roadmap.territory_id),
            "can_report": can_report,
            "report_form": ReportForm(),
            "review_form": ReviewForm(),
            "status_form": StatusForm(),
            "comment_form": CommentForm(),
            "evidence_form": EvidenceForm(),
            "direction_label": direction_label(item.direction),
            "today": day,
        },
    )


def _occurrence_back(occurrence: ItemOccurrence) -> HttpResponse:
    return redirect(f"{reverse('cycle:item', args=[occurrence.item_id])}#occ-{occurrence.pk}")


@login_required
@require_POST
def report_submit(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_of(request)
    occurrence = selectors.occurrence_get(scope, pk)
    form = ReportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Опишите, что сделано; ссылка должна быть адресом сайта.")
        return _occurrence_back(occurrence)
    d = form.cleaned_data
    links = [(d["link_title"], d["link_url"])] if d["link_url"] else []
    uploads = [d["file"]] if d.get("file") else []
    try:
        svc.report_submit(occurrence=occurrence, scope=scope, user=request.user, text=d["text"],
                          links=links, uploads=uploads)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Отчёт о выполнении отправлен органу управления на проверку.")
    return _occurrence_back(occurrence)


@authority_required
@require_POST
def report_review(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_of(request)
    report = selectors.report_get(scope, pk)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            svc.report_review(report=report, scope=scope, user=request.user,
                              accept=form.cleaned_data["decision"] == "accept",
                              comment=form.cleaned_data["comment"])
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Решение по отчёту сохранено.")
    return _occurrence_back(report.occurrence)


@authority_required
@require_POST
def occurrence_status(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_of(request)
    occurrence = selectors.occurrence_get(scope, pk)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            svc.occurrence_set_status(occurrence=occurrence, scope=scope,
                                      status=form.cleaned_data["status"],
                                      note=form.cleaned_data["note"])
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Статус срока изменён.")
    return _occurrence_back(occurrence)


@login_required
@require_POST
def item_comment(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_of(request)
    item = selectors.item_get(scope, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            svc.comment_add(item=item, scope=scope, user=request.user,
                            text=form.cleaned_data["text"])
        except ApplicationError as exc:
            messages.error(request, exc.message)
    return redirect(f"{reverse('cycle:item', args=[item.pk])}#comments")


@login_required
@require_POST
def item_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_of(request)
    item = selectors.item_get(scope, pk)
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        d = form.cleaned_data
        try:
            svc.evidence_add(item=item, scope=scope, user=request.user, title=d["title"],
                             url=d["url"] or "", upload=d.get("file"))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Подтверждение добавлено.")
    else:
        messages.error(request, " ".join(str(e) for e in form.non_field_errors())
                       or "Проверьте ссылку или файл.")
    return redirect(f"{reverse('cycle:item', args=[item.pk])}#evidence")


@login_required
def evidence_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    evidence = selectors.evidence_get(scope_of(request), pk)
    if not evidence.file_path:
        raise Http404("У подтверждения нет файла.")
    return send_stored(evidence.file_path, evidence.file_name)


@login_required
def calendar_view(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request)
    day = today()
    raw = request.GET.get("month") or f"{day:%Y-%m}"
    try:
        year, month = (int(x) for x in raw.split("-", 1))
        first = dt.date(year, month, 1)
    except ValueError:
        year, month, first = day.year, day.month, day.replace(day=1)
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    following = first.replace(day=cal.monthrange(first.year, first.month)[1]) + dt.timedelta(
        days=1
    )
    from soko.lib.schedule import MONTHS_NOMINATIVE

    return render(
        request,
        "cycle/calendar.html",
        {
            "weeks": selectors.calendar_month(scope, year, month, day),
            "month_label": f"{MONTHS_NOMINATIVE[month].capitalize()} {year}",
            "previous": f"{previous:%Y-%m}",
            "following": f"{following:%Y-%m}",
            "current": f"{day:%Y-%m}",
            "weekdays": ["пн", "вт", "ср", "чт", "пт", "сб", "вс"],
        },
    )


@login_required
def due_view(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request)
    day = today()
    days = int_or_none(request.GET.get("days")) or 30
    days = max(1, min(days, 366))
    return render(
        request,
        "cycle/due.html",
        {"soon": selectors.due_soon(scope, day, days),
         "overdue_rows": selectors.overdue(scope, day), "days": days, "today": day},
    )


@login_required
def notifications_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        ids = [int(x) for x in request.POST.getlist("id") if x.isdigit()]
        notifications_mark_read(user=request.user, ids=ids or None)
        return redirect("cycle:notifications")
    return render(
        request,
        "cycle/notifications.html",
        {"notices": selectors.notifications(request.user, limit=200),
         "unread": selectors.unread_count(request.user)},
    )


@authority_required
def actors_view(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request)
    if request.method == "POST":
        form = ActorForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            actor = Actor.objects.filter(pk=d["actor"]).first()
            if actor is None or not selectors.allows_territory(scope, actor.territory_id):
                raise PermissionDenied("Исполнитель другой территории.")
            org = None
            if d["organization"]:
                org = Organization.objects.filter(scope.org_q(), code=d["organization"]).first()
                if org is None:
                    messages.error(request, f"ОО с логином «{d['organization']}» не найдена.")
                    return redirect("cycle:actors")
            try:
                svc.actor_update(actor=actor, scope=scope, kind=d["kind"], organization=org)
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, f"Исполнитель «{actor.name}» сохранён.")
        return redirect("cycle:actors")
    actors = Actor.objects.select_related("organization", "territory").order_by("kind", "name")
    if scope.territory_ids is not None:
        actors = actors.filter(territory_id__in=sorted(scope.territory_ids))
    return render(request, "cycle/actors.html",
                  {"actors": actors, "kinds": Actor.Kind.choices})
