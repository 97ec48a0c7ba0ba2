"""Django forms of the monitoring pages (campaign and survey creation, return comment) and the
parsing of a filled monitoring form from a POST."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils import timezone

from soko.accounts.scope import Scope
from soko.monitoring.formspec import FormSpec
from soko.monitoring.models import FormTemplate, Questionnaire, Survey
from soko.registry.models import Organization, OrgKind, OrgType, Territory


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


class _Targets(forms.Form):
    territory = forms.ModelChoiceField(label="Территория", queryset=Territory.objects.none(),
                                       required=False, empty_label="все доступные")
    kinds = forms.MultipleChoiceField(label="Вид организаций", choices=OrgKind.choices,
                                      required=False,
                                      widget=forms.CheckboxSelectMultiple)
    types = forms.MultipleChoiceField(label="Тип организаций (необязательно)",
                                      choices=OrgType.choices, required=False,
                                      widget=forms.SelectMultiple(attrs={"size": 6}))
    organizations = forms.ModelMultipleChoiceField(
        label="Или выберите организации", queryset=Organization.objects.none(), required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text="Если выбраны организации, территория, вид и тип не учитываются.",
    )

    def _scope_querysets(self, scope: Scope) -> None:
        self.fields["territory"].queryset = Territory.objects.filter(  # type: ignore[attr-defined]
            scope.territory_q()).order_by("kind", "name")
        self.fields["organizations"].queryset = Organization.objects.filter(  # type: ignore[attr-defined]
            scope.org_q(), is_active=True).order_by("short_name")


class CampaignForm(_Targets):
    template = forms.ModelChoiceField(label="Форма", queryset=FormTemplate.objects.none())
    year = forms.IntegerField(label="Отчётный год", min_value=2000, max_value=2100)
    deadline = forms.DateField(label="Срок представления", required=False,
                               widget=forms.DateInput(attrs={"type": "date"}),
                               help_text="Если не указан — через 30 дней (параметр "
                                         "monitoring.campaign.deadline_days).")
    title = forms.CharField(label="Название кампании", max_length=300, required=False)
    review_required = forms.BooleanField(label="Проверять формы перед принятием",
                                         required=False, initial=True)
    note = forms.CharField(label="Пояснение для ОО", required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))

    field_order = ["template", "year", "deadline", "title", "territory", "kinds", "types",
                   "organizations", "review_required", "note"]

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = FormTemplate.objects.filter(  # type: ignore[attr-defined]
            retired=False).order_by("direction", "code", "-version")
        self._scope_querysets(scope)
        self.fields["year"].initial = timezone.localdate().year
        _style(self)


class SurveyForm(_Targets):
    questionnaire = forms.ModelChoiceField(label="Анкета", queryset=Questionnaire.objects.none())
    year = forms.IntegerField(label="Год", min_value=2000, max_value=2100)
    opens = forms.DateField(label="Начало", widget=forms.DateInput(attrs={"type": "date"}))
    closes = forms.DateField(label="Окончание", widget=forms.DateInput(attrs={"type": "date"}))
    title = forms.CharField(label="Название", max_length=300, required=False)
    access = forms.ChoiceField(label="Как респонденты получают доступ",
                               choices=Survey.Access.choices, initial=Survey.Access.LINK)

    field_order = ["questionnaire", "year", "opens", "closes", "title", "access", "territory",
                   "kinds", "organizations"]

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["types"]
        self.fields["questionnaire"].queryset = Questionnaire.objects.filter(  # type: ignore[attr-defined]
            retired=False).order_by("audience", "code")
        self._scope_querysets(scope)
        today = timezone.localdate()
        self.fields["year"].initial = today.year
        self.fields["opens"].initial = today
        self.fields["closes"].initial = today + dt.timedelta(days=30)
        _style(self)


class ReturnForm(forms.Form):
    comment = forms.CharField(label="Что нужно исправить", widget=forms.Textarea(
        attrs={"rows": 3, "class": "form-control"}))


def raw_from_post(spec: FormSpec, data: QueryDict) -> dict[str, Any]:
    """The answers of a filled form as typed: strings, lists for multiple choice, row dicts
    for tables (inputs named ``<table>__<row>__<column>``)."""
    raw: dict[str, Any] = {}
    for f in spec.fields:
        if f.kind == "multichoice":
            raw[f.code] = [v for v in data.getlist(f.code) if v]
        elif f.kind == "table":
            rows: dict[int, dict[str, Any]] = {}
            prefix = f"{f.code}__"
            for key in data:
                if not key.startswith(prefix):
                    continue
                parts = key[len(prefix):].split("__", 1)
                if len(parts) != 2 or not parts[0].isdigit():
                    continue
                column = f.column(parts[1])
                if column is None:
                    continue
                value: Any = (data.getlist(key) if column.kind == "multichoice"
                              else data.get(key, ""))
                rows.setdefault(int(parts[0]), {})[column.code] = value
            raw[f.code] = [rows[i] for i in sorted(rows)]
        else:
            raw[f.code] = data.get(f.code, "")
    return raw
