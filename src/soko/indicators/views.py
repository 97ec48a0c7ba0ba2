"""Pages of the indicators area: catalog, indicator page, editor, targets, sections, exports.

Views parse the request, call one selector or service with the request's scope, and render.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from soko.accounts.scope import Scope
from soko.core.errors import ApplicationError, ValidationFailed
from soko.core.jobs import job_enqueue
from soko.indicators import exports, services
from soko.indicators import selectors as sel
from soko.indicators.forms import IndicatorForm, TargetForm, definition_from
from soko.indicators.models import Aggregation, Indicator, IndicatorValue, Target, TargetStatus
from soko.indicators.schema import BUILTIN_SOURCES
from soko.indicators.sources import sources as external_sources
from soko.registry import selectors as registry
from soko.registry.models import Organization, Territory
from soko.web.context import request_scope
from soko.web.sections import Section

View = Callable[..., HttpResponse]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def authority_required(view: View) -> View:
    """Only the education authority (or an administrator) edits indicators and targets."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        scope = request_scope(request)
        if not scope.can_edit or scope.is_school or scope.is_public:
            raise PermissionDenied("Показатели и целевые значения изменяет орган управления.")
        return view(request, *args, **kwargs)

    return login_required(wrapped)


def _xlsx(filename: str, sheets: list[exports.Sheet]) -> HttpResponse:
    response = HttpResponse(exports.workbook_bytes(sheets), content_type=XLSX)
    response["Content-Disposition"] = exports.content_disposition(filename)
    return response


def _int(value: str | None) -> int | None:
    return int(value) if value and value.strip().lstrip("-").isdigit() else None


def _fmt(value: float | None, ind: Indicator) -> float | None:
    return None if value is None else round(float(value), 2 if ind.unit == "балл" else 1)


# --- catalog -------------------------------------------------------------------------------------


@login_required
def catalog(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    search = (request.GET.get("q") or "").strip() or None
    include_retired = request.GET.get("retired") == "1"
    groups = sel.catalog_by_direction(include_retired=include_retired, search=search)
    territory = registry.territory_for_scope(scope)
    if scope.is_school and scope.organization_id is not None:
        territory = Organization.objects.get(pk=scope.organization_id).territory
    latest = sel.latest_territory_values(
        scope, territory, [i for g in groups for i in g.indicators]
    )
    if request.GET.get("format") == "xlsx":
        rows = []
        for group in groups:
            for ind in group.indicators:
                value = latest.get(ind.pk)
                rows.append(
                    [
                        group.title,
                        ind.code,
                        ind.name,
                        ind.unit,
                        ind.get_polarity_display(),
                        ind.get_aggregation_display(),
                        ind.source.title,
                        ind.source.get_kind_display(),
                        "да" if ind.is_builtin else "нет",
                        value.year if value else None,
                        exports.SUPPRESSED
                        if value and value.suppressed
                        else (_fmt(value.value, ind) if value else None),
                    ]
                )
        columns = [
            exports.Column("Направление", 36),
            exports.Column("Код", 30),
            exports.Column("Показатель", 60),
            exports.Column("Единица", 9),
            exports.Column("Полярность", 18),
            exports.Column("Как считается", 30),
            exports.Column("Источник", 50),
            exports.Column("Вид источника", 22),
            exports.Column("Встроенный", 10),
            exports.Column("Год", 7, "int"),
            exports.Column(
                f"Значение: {territory.name if territory else 'территория'}", 16, "number"
            ),
        ]
        return _xlsx(
            "Каталог показателей.xlsx",
            [exports.Sheet("Показатели", "Каталог показателей СОКО", columns, rows)],
        )
    context = {
        "groups": groups,
        "latest": latest,
        "territory": territory,
        "search": search or "",
        "include_retired": include_retired,
        "run": sel.last_run(),
        "can_edit": scope.can_edit and not scope.is_school,
        "count": sum(len(g.indicators) for g in groups),
    }
    return render(request, "indicators/catalog.html", context)


# --- indicator page ------------------------------------------------------------------------------


def _descendants(territory: Territory) -> set[int]:
    found = {territory.pk}
    frontier = {territory.pk}
    while frontier:
        frontier = (
            set(Territory.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
            - found
        )
        found |= frontier
    return found


def _territory_choice(request: HttpRequest, scope: Scope) -> Territory | None:
    visible = sel.visible_territory_ids(scope)
    code = request.GET.get("t")
    if code:
        territory = Territory.objects.filter(code=code).first()
        if territory is None or (visible is not None and territory.pk not in visible):
            raise Http404("Территория не найдена или недоступна.")
        return territory
    if scope.is_school and scope.organization_id is not None:
        return Organization.objects.get(pk=scope.organization_id).territory
    return registry.territory_for_scope(scope)


def _page_data(request: HttpRequest, code: str) -> dict[str, Any]:
    scope = request_scope(request)
    ind = sel.indicator_get(code)
    years = sel.value_years(code)
    year = _int(request.GET.get("year"))
    if year not in years:
        year = years[0] if years else None
    bkey = request.GET.get("b") or ""
    territory = _territory_choice(request, scope)
    org_rows: list[IndicatorValue] = []
    territory_rows: list[IndicatorValue] = []
    dynamics: list[IndicatorValue] = []
    if territory is not None:
        subtree = _descendants(territory)
        if year is not None:
            org_rows = list(
                sel.indicator_values(
                    scope, code, year=year, breakdown_key=bkey, level="organization"
                )
                .filter(organization__territory_id__in=sorted(subtree))
                .order_by("organization__short_name")
            )
            related = {territory.pk, *(t.pk for t in territory.children.all())}
            if territory.parent_id:
                related.add(territory.parent_id)
            territory_rows = list(
                sel.indicator_values(scope, code, year=year, breakdown_key=bkey, level="territory")
                .filter(territory_id__in=sorted(related))
                .order_by("territory__kind", "territory__name")
            )
        dynamics = list(
            sel.indicator_values(scope, code, territory=territory, breakdown_key=bkey).order_by(
                "year"
            )
        )
    targets = list(sel.targets(scope, code=code))
    target_by_place = {
        (t.organization_id, t.territory_id, t.breakdown_key): t for t in targets if t.year == year
    }
    return {
        "scope": scope,
        "ind": ind,
        "summary": sel.indicator_summary(ind),
        "years": years,
        "year": year,
        "bkey": bkey,
        "bkey_label": sel.breakdown_label(bkey),
        "breakdowns": sel.breakdown_options(ind, year),
        "territory": territory,
        "territories": [
            t
            for t in registry.territory_list(scope)
            if scope.territory_ids is None or t.pk in (sel.visible_territory_ids(scope) or set())
        ],
        "org_rows": org_rows,
        "territory_rows": territory_rows,
        "dynamics": dynamics,
        "targets": targets,
        "target_by_place": target_by_place,
    }


def _arrow_rows(
    rows: list[IndicatorValue], ind: Indicator, targets: dict[Any, Target] | None = None
) -> list[dict[str, Any]]:
    found = targets or {}
    return [
        {
            "v": v,
            "arrow": sel.arrow(v, ind.polarity),
            "target": found.get((v.organization_id, v.territory_id, v.breakdown_key)),
        }
        for v in rows
    ]


@login_required
def indicator_detail(request: HttpRequest, code: str) -> HttpResponse:
    data = _page_data(request, code)
    ind: Indicator = data["ind"]
    if request.GET.get("format") == "xlsx":
        return _indicator_xlsx(data)
    chart = {
        "labels": [v.organization.short_name for v in data["org_rows"] if not v.suppressed],
        "values": [_fmt(v.value, ind) for v in data["org_rows"] if not v.suppressed],
        "territory": next(
            (
                _fmt(v.value, ind)
                for v in data["territory_rows"]
                if data["territory"] and v.territory_id == data["territory"].pk and not v.suppressed
            ),
            None,
        ),
        "unit": ind.unit,
        "dynamics_labels": [v.year for v in data["dynamics"]],
        "dynamics_values": [_fmt(v.value, ind) for v in data["dynamics"]],
    }
    scope = data["scope"]
    target_form = None
    if scope.can_edit and not scope.is_school:
        target_form = TargetForm(
            places=_places(scope, data["territory"]),
            breakdowns=data["breakdowns"],
            initial={"year": data["year"]},
        )
    components = _component_names(ind)
    context = {
        **data,
        "contributions": _contributions(
            ind, components, [*data["territory_rows"], *data["org_rows"]]
        ),
        "territory_table": _arrow_rows(data["territory_rows"], ind),
        "dynamics_table": _arrow_rows(data["dynamics"], ind),
        "chart": chart,
        "target_form": target_form,
        "components": components,
        "org_table": _arrow_rows(data["org_rows"], ind, data["target_by_place"]),
        "status_css": {s.value: sel.STATUS_CLASSES[s] for s in TargetStatus},
        "can_edit": scope.can_edit and not scope.is_school,
        "is_composite": ind.aggregation == Aggregation.COMPOSITE,
    }
    return render(request, "indicators/indicator.html", context)


def _contributions(
    ind: Indicator, components: list[dict[str, Any]], rows: list[IndicatorValue]
) -> list[dict[str, Any]]:
    """Per row of a composite index: the points each component adds to the index."""
    if ind.aggregation != Aggregation.COMPOSITE:
        return []
    out = []
    for v in rows:
        parts = {c["indicator"]: c for c in (v.detail or {}).get("components", [])}
        out.append(
            {
                "label": v.organization.short_name
                if v.organization
                else v.territory.name
                if v.territory
                else "",
                "value": v.value,
                "cells": [parts.get(c["code"]) for c in components],
                "missing": len((v.detail or {}).get("missing", [])),
            }
        )
    return out


def _component_names(ind: Indicator) -> list[dict[str, Any]]:
    if ind.aggregation != Aggregation.COMPOSITE:
        return []
    names = {
        code: short or name
        for code, short, name in Indicator.objects.filter(
            code__in=[c["indicator"] for c in ind.components]
        ).values_list("code", "short_name", "name")
    }
    total = sum(float(c.get("weight", 1)) for c in ind.components) or 1.0
    return [
        {
            "code": c["indicator"],
            "name": names.get(c["indicator"], "показатель не найден"),
            "weight": float(c.get("weight", 1)),
            "share": float(c.get("weight", 1)) / total * 100,
        }
        for c in ind.components
    ]


def _value_cells(v: IndicatorValue, ind: Indicator) -> list[Any]:
    if v.suppressed:
        return [exports.SUPPRESSED, v.n, None, None, None, None, None]
    return [
        _fmt(v.value, ind),
        v.n,
        v.numerator,
        v.denominator,
        _fmt(v.previous_value, ind),
        _fmt(v.change, ind),
        _significance_text(v),
    ]


def _significance_text(v: IndicatorValue) -> str | None:
    if v.change_significant is True:
        return "значимо"
    if v.change_significant is False:
        return "не значимо"
    return "не проверяется" if v.previous_value is not None else None


def _indicator_xlsx(data: dict[str, Any]) -> HttpResponse:
    ind: Indicator = data["ind"]
    value_cols = [
        exports.Column(f"Значение, {ind.unit}", 12, "number"),
        exports.Column("Численность группы", 12, "int"),
        exports.Column("Числитель", 12, "number"),
        exports.Column("Знаменатель", 12, "number"),
        exports.Column("Прошлый год", 12, "number"),
        exports.Column("Изменение", 12, "number"),
        exports.Column("Изменение статистически", 16),
    ]
    notes = [
        f"Год: {data['year']}; разрез: {data['bkey_label']}; территория: "
        f"{data['territory'].name if data['territory'] else '—'}",
        f"Методика: {ind.methodology}"[:1000],
        f"Источник: {ind.source.title} ({ind.source.get_kind_display()})"[:1000],
        "Группы меньше минимального размера не показываются отдельно, но входят в итоги.",
    ]
    sheets = [
        exports.Sheet(
            "Организации",
            ind.name[:200],
            [exports.Column("Логин", 12), exports.Column("Организация", 40), *value_cols],
            [
                [v.organization.code, v.organization.short_name, *_value_cells(v, ind)]
                for v in data["org_rows"]
            ],
            notes,
        ),
        exports.Sheet(
            "Территории",
            ind.name[:200],
            [exports.Column("Территория", 40), *value_cols],
            [[v.territory.name, *_value_cells(v, ind)] for v in data["territory_rows"]],
            notes,
        ),
        exports.Sheet(
            "Динамика",
            f"{ind.name[:150]} — по годам",
            [exports.Column("Год", 8, "int"), *value_cols],
            [[v.year, *_value_cells(v, ind)] for v in data["dynamics"]],
            notes[:1],
        ),
        _targets_sheet(data["targets"]),
    ]
    components = _component_names(ind)
    if components:
        rows = _contributions(ind, components, [*data["territory_rows"], *data["org_rows"]])
        sheets.append(
            exports.Sheet(
                "Вклад компонентов",
                f"{ind.name[:150]}: вклад компонентов, баллы индекса",
                [
                    exports.Column("ОО / территория", 40),
                    exports.Column("Индекс", 10, "number"),
                    *[
                        exports.Column(f"{c['name']} (вес {c['weight']:g})", 18, "number")
                        for c in components
                    ],
                ],
                [
                    [
                        r["label"],
                        r["value"],
                        *[cell["contribution"] if cell else None for cell in r["cells"]],
                    ]
                    for r in rows
                ],
                [
                    "Вклад = нормированное значение × вес / сумма весов доступных компонентов × "
                    "шкала. Индекс служит управленческим решениям, а не рейтингу педагогов."
                ],
            )
        )
    return _xlsx(f"{ind.code}_{data['year']}.xlsx", sheets)


def _targets_sheet(targets: list[Target]) -> exports.Sheet:
    return exports.Sheet(
        "Целевые значения",
        "Целевые значения",
        [
            exports.Column("Показатель", 50),
            exports.Column("Для кого", 30),
            exports.Column("Год", 7, "int"),
            exports.Column("Цель", 10, "number"),
            exports.Column("Факт", 10, "number"),
            exports.Column("Прогноз", 10, "number"),
            exports.Column("Статус", 18),
            exports.Column("Пояснение", 50),
            exports.Column("Документ", 50),
            exports.Column("Номер", 10),
            exports.Column("Дата", 12, "date"),
        ],
        [
            [
                t.indicator.name,
                t.organization.short_name
                if t.organization
                else t.territory.name
                if t.territory
                else "",
                t.year,
                t.value,
                t.actual_value,
                t.projected_value,
                t.get_status_display(),
                t.status_note,
                t.document_title,
                t.document_number,
                t.document_date,
            ]
            for t in targets
        ],
    )


def _places(scope: Scope, territory: Territory | None) -> list[tuple[str, str]]:
    places = [(f"t:{t.code}", t.name) for t in registry.territory_list(scope)]
    orgs = registry.organization_list(scope)
    if territory is not None:
        orgs = orgs.filter(territory_id__in=sorted(_descendants(territory)))
    places.extend((f"o:{o.code}", o.short_name) for o in orgs[:500])
    return places


# --- editor --------------------------------------------------------------------------------------


_MAIN_FIELDS = (
    "code",
    "name",
    "short_name",
    "direction",
    "aggregation",
    "unit",
    "factor",
    "polarity",
    "source",
    "min_group",
    "key",
)
_FORMULA_FIELDS = ("numerator", "denominator", "condition", "universe", "n", "components")


def _editor_context(form: IndicatorForm, ind: Indicator | None) -> dict[str, Any]:
    return {
        "form": form,
        "main_fields": [form[name] for name in _MAIN_FIELDS],
        "formula_fields": [form[name] for name in _FORMULA_FIELDS],
        "filter_fields": [form[name] for name in form.fields if name.startswith("filter_")],
        "ind": ind,
        "sources_help": [
            {"name": s.name, "title": s.title, "kind": s.kind, "columns": s.columns}
            for s in BUILTIN_SOURCES.values()
        ],
        "external": sorted((p, spec.title) for p, spec in external_sources().items()),
    }


@authority_required
@require_http_methods(["GET", "POST"])
def indicator_new(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    initial: dict[str, Any] = {"source": "system", "unit": "%", "factor": 100}
    copy_of = request.GET.get("copy")
    if copy_of:
        initial = IndicatorForm.initial_from(
            None, services.indicator_copy_data(sel.indicator_get(copy_of))
        )
    form = IndicatorForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            ind = services.indicator_create(data=form.definition(), user=request.user, scope=scope)
        except ValidationFailed as exc:
            _form_errors(form, exc)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, "Показатель создан. Значения появятся после ближайшего расчёта."
            )
            return redirect("indicators:detail", code=ind.code)
    return render(request, "indicators/editor.html", _editor_context(form, None))


@authority_required
@require_http_methods(["GET", "POST"])
def indicator_edit(request: HttpRequest, code: str) -> HttpResponse:
    scope = request_scope(request)
    ind = sel.indicator_get(code)
    if ind.is_builtin:
        messages.info(request, "Встроенный показатель не изменяется; открыта его копия.")
        return redirect(f"{reverse('indicators:new')}?copy={ind.code}")
    form = IndicatorForm(request.POST or None, initial=IndicatorForm.initial_from(ind))
    form.fields["code"].disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            services.indicator_update(
                indicator=ind, data=form.definition(), user=request.user, scope=scope
            )
        except ValidationFailed as exc:
            _form_errors(form, exc)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Изменения сохранены.")
            return redirect("indicators:detail", code=ind.code)
    return render(request, "indicators/editor.html", _editor_context(form, ind))


_FORM_FIELD = {"filters": "filter_procedure"}


def _form_errors(form: IndicatorForm, exc: ValidationFailed) -> None:
    errors = exc.extra.get("errors", {})
    if not errors:
        form.add_error(None, exc.message)
    for key, message in errors.items():
        field = _FORM_FIELD.get(key, key)
        form.add_error(field if field in form.fields else None, message)


@authority_required
@require_POST
def indicator_validate(request: HttpRequest) -> HttpResponse:
    """HTMX: check the definition as it is typed; returns the verdict fragment."""
    context: dict[str, Any] = {"ok": False, "errors": {}, "carets": {}}
    raw = IndicatorForm.raw(request.POST)
    # While typing, check the formulas even before the code and the name are filled in.
    raw["code"] = raw["code"] or f"{raw.get('direction') or 'results'}.draft"
    raw["name"] = raw["name"] or "черновик"
    try:
        defn, spec = services.indicator_validate(definition_from(raw))
    except ValidationFailed as exc:
        context["errors"] = exc.extra.get("errors", {"__all__": exc.message})
        context["carets"] = exc.extra.get("caret", {})
    else:
        from soko.indicators.engine import resolve_test

        context.update(ok=True, spec=spec, test=resolve_test(spec), defn=defn)
    return render(request, "indicators/_validation.html", context)


@authority_required
@require_POST
def indicator_retire(request: HttpRequest, code: str) -> HttpResponse:
    ind = sel.indicator_get(code)
    retired = request.POST.get("retired", "1") == "1"
    try:
        services.indicator_retire(indicator=ind, retired=retired, scope=request_scope(request))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            "Показатель выведен из употребления." if retired else "Показатель возвращён в расчёт.",
        )
    return redirect("indicators:detail", code=ind.code)


@authority_required
@require_POST
def compute(request: HttpRequest) -> HttpResponse:
    year = _int(request.POST.get("year"))
    job = job_enqueue(
        kind="indicators.compute",
        params={"year": year},
        user=request.user,
        title="Расчёт показателей" + (f" за {year} год" if year else ""),
    )
    messages.success(request, f"Расчёт показателей поставлен в очередь (задача №{job.pk}).")
    return redirect("web:jobs")


# --- targets -------------------------------------------------------------------------------------


@authority_required
@require_POST
def target_add(request: HttpRequest, code: str) -> HttpResponse:
    scope = request_scope(request)
    ind = sel.indicator_get(code)
    territory = registry.territory_for_scope(scope)
    form = TargetForm(
        request.POST,
        places=_places(scope, territory),
        breakdowns=sel.breakdown_options(ind, None),
    )
    if not form.is_valid():
        messages.error(request, "Цель не сохранена: проверьте год, значение и место.")
        return redirect("indicators:detail", code=ind.code)
    kind, _, place = form.cleaned_data["place"].partition(":")
    organization = territory_obj = None
    if kind == "o":
        organization = registry.organization_get(scope, place)
    else:
        territory_obj = get_object_or_404(Territory, code=place)
    try:
        services.target_set(
            indicator=ind,
            year=form.cleaned_data["year"],
            value=form.cleaned_data["value"],
            organization=organization,
            territory=territory_obj,
            breakdown_key=form.cleaned_data.get("breakdown_key") or "",
            document_number=form.cleaned_data["document_number"],
            document_date=form.cleaned_data["document_date"],
            document_title=form.cleaned_data["document_title"],
            note=form.cleaned_data["note"],
            user=request.user,
            scope=scope,
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Целевое значение сохранено; статус пересчитан.")
    return redirect("indicators:detail", code=ind.code)


@authority_required
@require_POST
def target_delete(request: HttpRequest, pk: int) -> HttpResponse:
    scope = request_scope(request)
    target = get_object_or_404(sel.targets(scope), pk=pk)
    code = target.indicator.code
    try:
        services.target_delete(target=target, scope=scope)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Целевое значение удалено.")
    return redirect("indicators:detail", code=code)


@login_required
def target_list(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    year = _int(request.GET.get("year"))
    targets = list(sel.targets(scope, year=year))
    if request.GET.get("format") == "xlsx":
        return _xlsx("Целевые значения.xlsx", [_targets_sheet(targets)])
    return render(
        request,
        "indicators/targets.html",
        {
            "targets": targets,
            "year": year,
            "status_css": {s.value: sel.STATUS_CLASSES[s] for s in TargetStatus},
        },
    )


# --- sections of the organization page and the dashboard -----------------------------------------


def org_section(request: HttpRequest, org: Any) -> Section | None:
    scope = request_scope(request)
    data = sel.org_indicator_rows(scope, org, year=_int(request.GET.get("year")))
    if data["year"] is None:
        return None
    return Section(
        title=f"Показатели ({data['year']} г.) в сравнении с территорией",
        template="indicators/_org_section.html",
        context={**data, "org": org},
        order=40,
    )


def dashboard_section(request: HttpRequest, scope: Any) -> Section | None:
    org = None
    territory = registry.territory_for_scope(scope)
    if scope.is_school and scope.organization_id is not None:
        org = Organization.objects.filter(pk=scope.organization_id).first()
    data = sel.dashboard_data(scope, territory, org)
    if not data["rows"] and not data["targets"]:
        return None
    return Section(
        title="Ключевые показатели и цели",
        template="indicators/_dashboard_section.html",
        context={
            **data,
            "status_css": {s.value: sel.STATUS_CLASSES[s] for s in TargetStatus},
        },
        order=20,
    )


@login_required
def org_export(request: HttpRequest, code: str) -> HttpResponse:
    """XLSX of the organization's indicators next to its territory's."""
    scope = request_scope(request)
    org = registry.organization_get(scope, code)
    data = sel.org_indicator_rows(scope, org, year=_int(request.GET.get("year")))
    rows = []
    for title, group in data["groups"]:
        for row in group:
            ind = row.indicator
            value = row.value
            terr = row.territory_value
            rows.append(
                [
                    title,
                    ind.name,
                    ind.unit,
                    exports.SUPPRESSED
                    if value and value.suppressed
                    else (_fmt(value.value, ind) if value else None),
                    value.n if value else None,
                    _fmt(value.change, ind) if value and not value.suppressed else None,
                    "значимо" if value and value.change_significant else "",
                    exports.SUPPRESSED
                    if terr and terr.suppressed
                    else (_fmt(terr.value, ind) if terr else None),
                ]
            )
    sheet = exports.Sheet(
        "Показатели ОО",
        f"{org.short_name}: показатели за {data['year']} год",
        [
            exports.Column("Направление", 36),
            exports.Column("Показатель", 60),
            exports.Column("Ед.", 7),
            exports.Column("Значение ОО", 12, "number"),
            exports.Column("Численность", 11, "int"),
            exports.Column("Изменение к прошлому году", 14, "number"),
            exports.Column("Изменение значимо", 12),
            exports.Column(f"{data['territory'].name}", 16, "number"),
        ],
        rows,
    )
    return _xlsx(f"{org.code}_показатели_{data['year']}.xlsx", [sheet])


def chart_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False)
