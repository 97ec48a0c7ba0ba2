"""Forms of the indicator editor and of targets. They only parse input; the services validate
the definition (formulas included) and save."""

from __future__ import annotations

from typing import Any

from django import forms

from soko.catalog.models import Source
from soko.indicators.definitions import BREAKDOWN_COLUMNS
from soko.indicators.models import Aggregation, Direction, Indicator, Polarity
from soko.indicators.selectors import breakdown_label

_TEXTAREA = {"rows": 2, "class": "font-monospace", "spellcheck": "false"}
_BREAKDOWN_LABELS = {
    "subject": "предмет",
    "grade": "класс",
    "procedure": "процедура",
    "level": "уровень образования",
    "stage": "этап олимпиады",
    "period": "период (журнал)",
}


def bootstrap(form: forms.Form) -> None:
    """Bootstrap classes on the widgets (the shell loads Bootstrap 5)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select form-select-sm"
        else:
            css = "form-control form-control-sm"
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


def _split(text: str) -> list[Any]:
    values: list[Any] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        values.append(int(part) if part.isdigit() else part)
    return values


class IndicatorForm(forms.Form):
    code = forms.CharField(label="Код", max_length=120, help_text="Например, results.my_share")
    name = forms.CharField(label="Название", max_length=500)
    short_name = forms.CharField(label="Краткое название", max_length=200, required=False)
    direction = forms.ChoiceField(label="Направление", choices=Direction.choices)
    aggregation = forms.ChoiceField(label="Как считается", choices=Aggregation.choices)
    unit = forms.CharField(label="Единица", max_length=20, initial="%")
    factor = forms.FloatField(label="Множитель", initial=100)
    polarity = forms.ChoiceField(label="Полярность", choices=Polarity.choices)
    numerator = forms.CharField(
        label="Числитель", required=False, widget=forms.Textarea(attrs=_TEXTAREA)
    )
    denominator = forms.CharField(
        label="Знаменатель", required=False, widget=forms.Textarea(attrs=_TEXTAREA)
    )
    condition = forms.CharField(
        label="Условие для организации", required=False, widget=forms.Textarea(attrs=_TEXTAREA)
    )
    universe = forms.CharField(
        label="Какие организации учитываются",
        required=False,
        widget=forms.Textarea(attrs=_TEXTAREA),
    )
    n = forms.CharField(
        label="Численность группы (если не знаменатель)",
        required=False,
        widget=forms.Textarea(attrs=_TEXTAREA),
    )
    filter_procedure = forms.CharField(label="Процедуры", required=False)
    filter_subject = forms.CharField(label="Предметы", required=False)
    filter_grade = forms.CharField(label="Классы", required=False)
    filter_level = forms.CharField(label="Уровни образования (НОО, ООО, СОО)", required=False)
    filter_stage = forms.CharField(label="Этапы олимпиады", required=False)
    breakdown = forms.MultipleChoiceField(
        label="Разрезы",
        required=False,
        choices=[(c, _BREAKDOWN_LABELS[c]) for c in BREAKDOWN_COLUMNS],
        widget=forms.CheckboxSelectMultiple,
    )
    min_group = forms.IntegerField(
        label="Минимальный размер группы",
        required=False,
        min_value=0,
        help_text="Пусто — системный параметр (10)",
    )
    components = forms.CharField(
        label="Компоненты индекса (по строке: код вес)",
        required=False,
        widget=forms.Textarea(attrs={**_TEXTAREA, "rows": 4}),
    )
    source = forms.ChoiceField(label="Источник методики")
    methodology = forms.CharField(
        label="Методика расчёта", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    key = forms.BooleanField(label="Показывать на обзоре", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [  # type: ignore[attr-defined]
            (s.code, s.title[:120]) for s in Source.objects.order_by("kind", "title")
        ]
        self.fields["source"].initial = "system"
        bootstrap(self)

    def definition(self) -> dict[str, Any]:
        """The definition mapping for :func:`soko.indicators.services.indicator_validate`."""
        return definition_from(self.cleaned_data)

    @staticmethod
    def raw(post: Any) -> dict[str, Any]:
        """Unvalidated values of a (possibly incomplete) posted form, for live validation."""
        values: dict[str, Any] = {k: (post.get(k) or "") for k in IndicatorForm.base_fields}
        values["breakdown"] = post.getlist("breakdown")
        values["key"] = bool(post.get("key"))
        values["min_group"] = post.get("min_group") or None
        return values

    @staticmethod
    def initial_from(ind: Indicator | None, data: dict[str, Any] | None = None) -> dict[str, Any]:
        """Initial values from an indicator (edit) or a definition mapping (copy)."""
        return _initial_from(ind, data)


def definition_from(data: Any) -> dict[str, Any]:
    """A definition mapping from form values (cleaned or raw)."""
    filters: dict[str, Any] = {}
    for key in ("procedure", "subject", "grade", "level", "stage"):
        values = _split(data.get(f"filter_{key}") or "")
        if values:
            filters[key] = values if len(values) > 1 else values[0]
    components = []
    for line in (data.get("components") or "").splitlines():
        parts = line.replace(";", " ").split()
        if not parts:
            continue
        weight = parts[1].replace(",", ".") if len(parts) > 1 else "1"
        components.append({"indicator": parts[0], "weight": weight})
    definition: dict[str, Any] = {
        key: data.get(key)
        for key in (
            "code",
            "name",
            "short_name",
            "direction",
            "aggregation",
            "unit",
            "factor",
            "polarity",
            "numerator",
            "denominator",
            "condition",
            "universe",
            "n",
            "min_group",
            "source",
            "methodology",
            "key",
        )
    }
    definition["filters"] = filters
    definition["breakdown"] = list(data.get("breakdown") or [])
    if components:
        definition["components"] = components
    return definition


def _initial_from(ind: Indicator | None, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """Initial values of the editor from an indicator or a definition mapping."""
    source: dict[str, Any]
    if ind is not None:
        source = {
            "code": ind.code,
            "name": ind.name,
            "short_name": ind.short_name,
            "direction": ind.direction,
            "aggregation": ind.aggregation,
            "unit": ind.unit,
            "factor": ind.factor,
            "polarity": ind.polarity,
            "numerator": ind.numerator,
            "denominator": ind.denominator,
            "condition": ind.condition,
            "universe": ind.universe,
            "n": ind.n_formula,
            "filters": ind.filters,
            "breakdown": ind.breakdown,
            "min_group": ind.min_group,
            "components": ind.components,
            "source": ind.source.code,
            "methodology": ind.methodology,
            "key": ind.key,
        }
    else:
        source = dict(data or {})
    initial = {k: v for k, v in source.items() if k not in ("filters", "components")}
    for key, value in (source.get("filters") or {}).items():
        values = value if isinstance(value, list) else [value]
        initial[f"filter_{key}"] = ", ".join(str(v) for v in values)
    initial["components"] = "\n".join(
        f"{c['indicator']} {c.get('weight', 1):g}" for c in source.get("components") or []
    )
    return initial


class TargetForm(forms.Form):
    year = forms.IntegerField(label="Год", min_value=2000, max_value=2100)
    value = forms.FloatField(label="Целевое значение")
    place = forms.ChoiceField(label="Для кого")
    breakdown_key = forms.ChoiceField(label="Разрез", required=False)
    document_number = forms.CharField(label="Номер документа", max_length=100, required=False)
    document_date = forms.DateField(
        label="Дата документа",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    document_title = forms.CharField(label="Документ", max_length=500, required=False)
    note = forms.CharField(
        label="Примечание", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self,
        *args: Any,
        places: list[tuple[str, str]],
        breakdowns: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = places  # type: ignore[attr-defined]
        self.fields["breakdown_key"].choices = [("", "все")] + [  # type: ignore[attr-defined]
            (k, breakdown_label(k)) for k, _ in breakdowns
        ]
        bootstrap(self)
