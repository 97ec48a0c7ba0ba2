"""Recommendations, measures, management decisions, effectiveness analyses, МУКО matrix."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from soko.core.errors import ApplicationError
from soko.core.jobs import job_enqueue
from soko.cycle import selectors
from soko.cycle.directions import DIRECTION_CHOICES, DIRECTIONS, direction_label
from soko.cycle.effect import VERDICT_LABELS, difference_unit, fmt
from soko.cycle.forms import (
    AnalysisForm,
    DecisionForm,
    MeasureForm,
    MukoEvidenceForm,
    RecommendationForm,
    RecommendationNewForm,
)
from soko.cycle.models import (
    Measure,
    MukoEvidence,
    Recommendation,
    RoadmapItem,
)
from soko.cycle.recommend import ADDRESSEE_CHOICES
from soko.cycle.services import measures as msvc
from soko.cycle.services import recommendations as rsvc
from soko.cycle.services import selfassessment as musvc
from soko.cycle.sources import indicator_choices
from soko.cycle.views.common import (
    authority_required,
    default_territory,
    int_or_none,
    scope_of,
    send_stored,
    territories_for,
)
from soko.registry.models import Organization

# ----------------------------------------------------------------------------------------------
# Recommendations
# ----------------------------------------------------------------------------------------------


@login_required
def recommendation_list(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request)
    status = request.GET.get("status") or None
    direction = request.GET.get("direction") or None
    recs = selectors.recommendation_list(scope, status=status, direction=direction)
    return render(
        request,
        "cycle/recommendation_list.html",
        {
            "recommendations": recs,
            "statuses": Recommendation.Status.choices,
            "directions": DIRECTION_CHOICES,
            "filters": request.GET,
            "is_authority": selectors.is_authority(scope),
            "addressees": dict(ADDRESSEE_CHOICES),
        },
    )


@authority_required
@require_POST
def recommendations_generate(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request)
    total = {"created": 0, "updated": 0, "kept": 0, "removed": 0}
    for territory in territories_for(scope):
        try:
            report = rsvc.recommendations_generate(territory=territory, scope=scope)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            continue
        for key in total:
            total[key] += getattr(report, key)
    messages.success(
        request,
        f"Рекомендации сформированы: новых {total['created']}, обновлено {total['updated']}, "
        f"оставлено без изменений (утверждённые и изменённые вручную) {total['kept']}, "
        f"удалено неактуальных проектов {total['removed']}.",
    )
    return redirect("cycle:recommendations")


@login_required
def recommendation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_of(request)
    rec = selectors.recommendation_get(scope, pk)
    is_authority = selectors.is_authority(scope)
    form = RecommendationForm(
        request.POST if request.method == "POST" and "save" in request.POST else None,
        initial={"title": rec.title, "text": rec.text, "group": rec.group,
                 "direction": rec.direction},
    )
    if request.method == "POST":
        if not is_authority:
            raise PermissionDenied("Изменять рекомендации может орган управления.")
        try:
            if "save" in request.POST:
                if form.is_valid():
                    d = form.cleaned_data
                    rsvc.recommendation_update(rec=rec, scope=scope, title=d["title"],
                                               text=d["text"], group=d["group"],
                                               direction=d["direction"])
                    messages.success(request, "Текст рекомендации сохранён.")
                    return redirect("cycle:recommendation", pk=rec.pk)
            else:
                decision = request.POST.get("decision", "")
                rsvc.recommendation_decide(rec=rec, scope=scope, user=request.user,
                                           decision=decision)
                messages.success(request, "Решение по рекомендации сохранено.")
                return redirect("cycle:recommendation", pk=rec.pk)
        except ApplicationError as exc:
            messages.error(request, exc.message)
    measures = rec.measures.all()
    if scope.is_school:
        measures = measures.filter(organizations__id=scope.organization_id or 0)
    return render(
        request,
        "cycle/recommendation_detail.html",
        {"rec": rec, "form": form, "is_authority": is_authority,
         "measures": measures, "decisions": rec.decisions.all() if not scope.is_school else [],
         "direction_label": direction_label(rec.direction),
         "addressee_label": dict(ADDRESSEE_CHOICES).get(rec.addressee, rec.addressee)},
    )


@authority_required
def recommendation_new(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request)
    form = RecommendationNewForm(request.POST or None)
    form.set_territories(territories_for(scope), default_territory(scope))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        org = None
        if d["organization"]:
            org = Organization.objects.filter(scope.org_q(), code=d["organization"]).first()
            if org is None:
                form.add_error("organization", "ОО с таким логином не найдена.")
        if not form.errors:
            try:
                rec = rsvc.recommendation_create(
                    scope=scope, user=request.user, territory=d["territory"], title=d["title"],
                    text=d["text"], direction=d["direction"], addressee=d["addressee"],
                    organization=org, group=d["group"], year=d["year"],
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("cycle:recommendation", pk=rec.pk)
    return render(request, "cycle/recommendation_form.html", {"form": form})


# ----------------------------------------------------------------------------------------------
# Measures and decisions
# ----------------------------------------------------------------------------------------------


@login_required
def measures_view(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request)
    direction = request.GET.get("direction") or None
    return render(
        request,
        "cycle/measures.html",
        {
            "measures": selectors.measure_list(scope, direction=direction),
            "decisions": selectors.decision_list(scope, direction=direction),
            "directions": DIRECTION_CHOICES,
            "filters": request.GET,
            "is_authority": selectors.is_authority(scope),
        },
    )


def _choices(scope: Any, territory_ids: list[int]) -> dict[str, list[tuple[str, str]]]:
    orgs = Organization.objects.filter(scope.org_q(), territory_id__in=territory_ids)
    items = (
        RoadmapItem.objects.filter(roadmap__territory_id__in=territory_ids, is_cancelled=False)
        .select_related("roadmap")
        .order_by("-roadmap__period_start", "roadmap_id", "position")[:600]
    )
    recs = Recommendation.objects.filter(territory_id__in=territory_ids).exclude(
        status=Recommendation.Status.REJECTED
    ).order_by("-year", "title")[:600]
    return {
        "organizations": [(str(o.pk), f"{o.short_name} ({o.code})") for o in orgs],
        "indicators": indicator_choices(),
        "items": [(str(i.pk), f"{i.roadmap.title[:40]}… — {str(i)[:90]}") for i in items],
        "recommendations": [(str(r.pk), r.title[:120]) for r in recs],
    }


def _territory_ids(scope: Any) -> list[int]:
    return [t.pk for t in territories_for(scope)]


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if str(v).isdigit()]


@authority_required
def measure_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    scope = scope_of(request)
    measure = selectors.measure_get(scope, pk) if pk is not None else None
    initial: dict[str, Any] = {"status": Measure.Status.PLANNED}
    if measure is not None:
        initial = {
            "territory": measure.territory_id, "title": measure.title,
            "description": measure.description, "direction": measure.direction,
            "status": measure.status, "start_date": measure.start_date,
            "end_date": measure.end_date, "responsible": measure.responsible,
            "organizations": [str(x) for x in measure.organizations.values_list("pk", flat=True)],
            "indicator_codes": measure.indicator_codes,
            "items": [str(x) for x in measure.items.values_list("pk", flat=True)],
            "recommendations": [
                str(x) for x in measure.recommendations.values_list("pk", flat=True)
            ],
        }
    elif request.GET.get("recommendation"):
        rec = Recommendation.objects.filter(pk=int_or_none(request.GET["recommendation"]) or 0,
                                            territory_id__in=_territory_ids(scope)).first()
        if rec is not None:
            initial.update({"title": rec.title[:500], "direction": rec.direction,
                            "recommendations": [str(rec.pk)],
                            "organizations": [str(rec.organization_id)]
                            if rec.organization_id else []})
    form = MeasureForm(request.POST or None, initial=initial)
    form.set_territories(territories_for(scope),
                         measure.territory if measure else default_territory(scope))
    form.set_choices(**_choices(scope, _territory_ids(scope)))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            saved = msvc.measure_save(
                scope=scope, user=request.user, measure=measure, territory=d["territory"],
                title=d["title"], description=d["description"], direction=d["direction"],
                status=d["status"], start_date=d["start_date"], end_date=d["end_date"],
                responsible=d["responsible"],
                organizations=Organization.objects.filter(scope.org_q(),
                                                          pk__in=_ids(d["organizations"])),
                indicator_codes=d["indicator_codes"],
                items=RoadmapItem.objects.filter(pk__in=_ids(d["items"])).select_related(
                    "roadmap"),
                recommendations=Recommendation.objects.filter(pk__in=_ids(d["recommendations"])),
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Мера сохранена.")
            return redirect("cycle:measure", pk=saved.pk)
    return render(request, "cycle/measure_form.html", {"form": form, "measure": measure})


@login_required
def measure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_of(request)
    measure = selectors.measure_get(scope, pk)
    organizations = measure.organizations.all()
    if scope.is_school:
        organizations = organizations.filter(pk=scope.organization_id or 0)
    indicators = indicator_choices()
    return render(
        request,
        "cycle/measure_detail.html",
        {
            "measure": measure,
            "organizations": organizations,
            "items": measure.items.filter(selectors.item_q(scope)).distinct(),
            "recommendations": measure.recommendations.filter(selectors.recommendation_q(scope)),
            "decisions": measure.decisions.all(),
            "analyses": measure.analyses.all(),
            "is_authority": selectors.is_authority(scope),
            "analysis_form": AnalysisForm(indicators=indicators) if indicators else None,
            "direction_label": direction_label(measure.direction),
        },
    )


@authority_required
@require_POST
def measure_analyse(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_of(request)
    measure = selectors.measure_get(scope, pk)
    form = AnalysisForm(request.POST, indicators=indicator_choices())
    if not form.is_valid():
        messages.error(request, "Выберите показатель.")
        return redirect("cycle:measure", pk=measure.pk)
    try:
        analysis = msvc.effectiveness_request(
            measure=measure, indicator_code=form.cleaned_data["indicator_code"], scope=scope,
            user=request.user, first_after=form.cleaned_data["first_after"],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("cycle:measure", pk=measure.pk)
    job_enqueue(kind="cycle.effectiveness", params={"analysis_id": analysis.pk},
                user=request.user, title=f"Анализ эффективности: {measure.title[:150]}")
    if not getattr(settings, "SOKO_JOBS_EAGER", False):
        messages.info(request, "Расчёт поставлен в очередь; страница обновится, когда он "
                               "завершится.")
    return redirect("cycle:analysis", pk=analysis.pk)


@authority_required
def decision_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    scope = scope_of(request)
    decision = selectors.decision_get(scope, pk) if pk is not None else None
    initial: dict[str, Any] = {}
    if decision is not None:
        initial = {
            "territory": decision.territory_id, "kind": decision.kind,
            "number": decision.number, "date": decision.date, "title": decision.title,
            "text": decision.text, "signed_by": decision.signed_by,
            "direction": decision.direction,
            "organizations": [str(x) for x in decision.organizations.values_list("pk", flat=True)],
            "indicator_codes": decision.indicator_codes,
            "items": [str(x) for x in decision.items.values_list("pk", flat=True)],
            "recommendations": [
                str(x) for x in decision.recommendations.values_list("pk", flat=True)
            ],
            "measures": [str(x) for x in decision.measures.values_list("pk", flat=True)],
        }
    elif request.GET.get("measure"):
        m = Measure.objects.filter(pk=int_or_none(request.GET["measure"]) or 0,
                                   territory_id__in=_territory_ids(scope)).first()
        if m is not None:
            initial = {"direction": m.direction, "measures": [str(m.pk)],
                       "organizations": [str(x) for x in m.organizations.values_list("pk",
                                                                                     flat=True)]}
    form = DecisionForm(request.POST or None, request.FILES or None, initial=initial)
    form.set_territories(territories_for(scope),
                         decision.territory if decision else default_territory(scope))
    form.set_choices(**_choices(scope, _territory_ids(scope)))
    form.set_measures([
        (str(m.pk), m.title[:120])
        for m in Measure.objects.filter(territory_id__in=_territory_ids(scope))
    ])
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            saved = msvc.decision_save(
                scope=scope, user=request.user, decision=decision, territory=d["territory"],
                kind=d["kind"], number=d["number"], date=d["date"], title=d["title"],
                text=d["text"], signed_by=d["signed_by"], direction=d["direction"],
                organizations=Organization.objects.filter(scope.org_q(),
                                                          pk__in=_ids(d["organizations"])),
                indicator_codes=d["indicator_codes"],
                items=RoadmapItem.objects.filter(pk__in=_ids(d["items"])).select_related(
                    "roadmap"),
                recommendations=Recommendation.objects.filter(pk__in=_ids(d["recommendations"])),
                measures=Measure.objects.filter(pk__in=_ids(d["measures"])),
                upload=d.get("file"),
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Управленческое решение сохранено.")
            return redirect("cycle:decision", pk=saved.pk)
    return render(request, "cycle/decision_form.html", {"form": form, "decision": decision})


@login_required
def decision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_of(request)
    decision = selectors.decision_get(scope, pk)
    organizations = decision.organizations.all()
    if scope.is_school:
        organizations = organizations.filter(pk=scope.organization_id or 0)
    return render(
        request,
        "cycle/decision_detail.html",
        {
            "decision": decision,
            "organizations": organizations,
            "items": decision.items.filter(selectors.item_q(scope)).distinct(),
            "recommendations": decision.recommendations.filter(
                selectors.recommendation_q(scope)
            ),
            "measures": decision.measures.all(),
            "is_authority": selectors.is_authority(scope),
            "direction_label": direction_label(decision.direction),
        },
    )


@login_required
def decision_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    decision = selectors.decision_get(scope_of(request), pk)
    if not decision.file_path:
        raise Http404("Файл акта не приложен.")
    return send_stored(decision.file_path, decision.file_name)


# ----------------------------------------------------------------------------------------------
# Effectiveness
# ----------------------------------------------------------------------------------------------


@login_required
def effectiveness_list(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request)
    return render(
        request,
        "cycle/effectiveness.html",
        {"analyses": selectors.analysis_list(scope).order_by("-computed_at"),
         "verdicts": VERDICT_LABELS},
    )


@login_required
def analysis_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_of(request)
    analysis = selectors.analysis_get(scope, pk)
    result = analysis.result or {}
    chart = None
    series = analysis.series or {}
    if series.get("treated") or series.get("control"):
        years = sorted({p["year"] for g in series.values() for p in g})
        chart = {
            "labels": years,
            "treated": [next((p["mean"] for p in series.get("treated", []) if p["year"] == y),
                             None) for y in years],
            "control": [next((p["mean"] for p in series.get("control", []) if p["year"] == y),
                             None) for y in years],
            "first_after": analysis.first_after_year,
        }
    return render(
        request,
        "cycle/analysis_detail.html",
        {
            "analysis": analysis,
            "result": result,
            "chart": chart,
            "verdict_label": VERDICT_LABELS.get(analysis.verdict, ""),
            "du": difference_unit(analysis.unit),
            "fmt": {k: fmt(result.get(k)) for k in ("estimate", "ci_low", "ci_high",
                                                    "bootstrap_low", "bootstrap_high",
                                                    "treated_before", "treated_after",
                                                    "control_before", "control_after",
                                                    "std_error")},
            "p_value": fmt(result.get("p_value"), 3),
            "confidence_pct": round(100 * float(result.get("confidence") or 0.95)),
        },
    )


# ----------------------------------------------------------------------------------------------
# МУКО
# ----------------------------------------------------------------------------------------------


@login_required
def muko_view(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request)
    territories = selectors.muko_territories(scope)
    if scope.is_school:
        raise Http404("Самооценка МУКО доступна органу управления и методистам.")
    chosen = territories.filter(pk=int_or_none(request.GET.get("territory")) or 0).first()
    territory = chosen or default_territory(scope)
    if territory is not None and not territories.filter(pk=territory.pk).exists():
        territory = territories.first()
    if territory is None:
        territory = territories.first()
    assessment = selectors.muko_latest(scope, territory) if territory is not None else None
    context: dict[str, Any] = {
        "territories": territories,
        "territory": territory,
        "is_authority": selectors.is_authority(scope),
        "view": selectors.muko_view(assessment) if assessment is not None else None,
        "evidence_form": MukoEvidenceForm(initial={"territory": territory.pk})
        if territory is not None else None,
        "directions": DIRECTIONS,
    }
    return render(request, "cycle/muko.html", context)


@authority_required
@require_POST
def muko_recompute(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request)
    for territory in selectors.muko_territories(scope):
        musvc.muko_recompute(territory=territory)
    messages.success(request, "Матрица МУКО пересчитана по данным системы.")
    territory_id = int_or_none(request.POST.get("territory"))
    suffix = f"?territory={territory_id}" if territory_id else ""
    return redirect(f"/cycle/muko/{suffix}")


@authority_required
@require_POST
def muko_evidence_add(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request)
    form = MukoEvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        d = form.cleaned_data
        territory = selectors.muko_territories(scope).filter(pk=d["territory"]).first()
        if territory is None:
            raise Http404("Территория не найдена.")
        try:
            musvc.muko_evidence_add(scope=scope, user=request.user, territory=territory,
                                    direction=d["direction"], step=d["step"], title=d["title"],
                                    url=d["url"] or "", upload=d.get("file"))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Подтверждение добавлено; матрица пересчитана.")
        return redirect(f"/cycle/muko/?territory={territory.pk}")
    messages.error(request, "Проверьте поля подтверждения.")
    return redirect("cycle:muko")


@authority_required
@require_POST
def muko_evidence_delete(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_of(request)
    evidence = MukoEvidence.objects.filter(
        pk=pk, territory__in=selectors.muko_territories(scope)
    ).first()
    if evidence is None:
        raise Http404("Подтверждение не найдено.")
    territory_id = evidence.territory_id
    try:
        musvc.muko_evidence_delete(scope=scope, evidence=evidence)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect(f"/cycle/muko/?territory={territory_id}")


@login_required
def muko_evidence_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    scope = scope_of(request)
    evidence = MukoEvidence.objects.filter(
        pk=pk, territory__in=selectors.muko_territories(scope)
    ).first()
    if evidence is None or not evidence.file_path:
        raise Http404("Документ не найден.")
    return send_stored(evidence.file_path, evidence.file_name)

