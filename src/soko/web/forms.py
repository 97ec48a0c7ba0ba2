"""Forms of the web shell."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from soko.accounts.scope import Scope
from soko.catalog.models import Subject
from soko.registry.models import Organization, OrgKind, OrgType, Settlement, Territory


class OrganizationChangeForm(forms.Form):
    """An effective-dated change of an organization's attributes."""

    effective = forms.DateField(
        label="Дата вступления в силу", widget=forms.DateInput(attrs={"type": "date"})
    )
    name = forms.CharField(label="Полное название", max_length=500)
    short_name = forms.CharField(label="Краткое название", max_length=200)
    kind = forms.ChoiceField(label="Вид", choices=OrgKind.choices)
    org_type = forms.ChoiceField(label="Тип", choices=OrgType.choices)
    territory = forms.ModelChoiceField(label="Территория", queryset=Territory.objects.none())
    settlement = forms.ChoiceField(label="Местность", choices=Settlement.choices)
    head_name = forms.CharField(label="Руководитель", max_length=200, required=False)
    in_depth_subjects = forms.ModelMultipleChoiceField(
        label="Предметы углублённого изучения",
        queryset=Subject.objects.all(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    reason = forms.CharField(
        label="Основание (приказ, реорганизация)", max_length=300, required=False
    )

    def __init__(self, data: Any = None, *, organization: Organization, scope: Scope) -> None:
        self.organization = organization
        initial = {
            "effective": timezone.localdate(),
            "name": organization.name,
            "short_name": organization.short_name,
            "kind": organization.kind,
            "org_type": organization.org_type,
            "territory": organization.territory_id,
            "settlement": organization.settlement,
            "head_name": organization.head_name,
            "in_depth_subjects": list(organization.in_depth_subjects.all()),
        }
        super().__init__(data, initial=initial)
        territories = Territory.objects.filter(scope.territory_q(), kind="municipality")
        self.fields["territory"].queryset = territories  # type: ignore[attr-defined]
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def changes(self) -> dict[str, Any]:
        """Only the attributes that differ from the current values."""
        data = self.cleaned_data
        out: dict[str, Any] = {}
        for field in ("name", "short_name", "kind", "org_type", "settlement", "head_name"):
            if data[field] != getattr(self.organization, field):
                out[field] = data[field]
        if data["territory"].pk != self.organization.territory_id:
            out["territory"] = data["territory"]
        current = set(self.organization.in_depth_subjects.values_list("pk", flat=True))
        if {s.pk for s in data["in_depth_subjects"]} != current:
            out["in_depth_subjects"] = list(data["in_depth_subjects"])
        return out
