"""Forms of the management-cycle pages (parsing and validation of input only)."""

from __future__ import annotations

from typing import Any

from django import forms

from soko.cycle.directions import CYCLE_STEPS, DIRECTION_CHOICES, DIRECTIONS
from soko.cycle.models import ActKind, Actor, Measure, Roadmap
from soko.cycle.recommend import ADDRESSEE_CHOICES
from soko.registry.models import Territory

DIRECTION_OPTIONAL = [("", "— как у раздела / дорожной карты —"), *DIRECTION_CHOICES]
DIRECTION_ONLY = [(d.code, f"{d.number} {d.name}") for d in DIRECTIONS]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class TerritoryChoiceMixin(forms.Form):
    territory: forms.ModelChoiceField[Territory] = forms.ModelChoiceField(
        queryset=Territory.objects.none(), label="Территория"
    )

    def set_territories(self, queryset: Any, initial: Any) -> None:
        field = self.fields["territory"]
        field.queryset = queryset  # type: ignore[attr-defined]
        if initial is not None:
            field.initial = initial
            if queryset.count() == 1:
                field.widget = forms.HiddenInput()


class ImportForm(TerritoryChoiceMixin):
    file = forms.FileField(label="Файл дорожной карты (.docx, .xlsx, .txt)")


class ImportConfirmForm(forms.Form):
    title = forms.CharField(label="Название", widget=forms.Textarea(attrs={"rows": 2}))
    direction = forms.ChoiceField(label="Направление", choices=DIRECTION_CHOICES)
    period_start = forms.IntegerField(label="Период: с года", required=False, min_value=2000,
                                      max_value=2100)
    period_end = forms.IntegerField(label="по год", required=False, min_value=2000, max_value=2100)
    doc_kind = forms.ChoiceField(label="Вид акта", required=False,
                                 choices=[("", "—"), *ActKind.choices])
    doc_number = forms.CharField(label="Номер акта", required=False, max_length=60)
    doc_date = forms.DateField(label="Дата акта", required=False, widget=DateInput())
    owner = forms.CharField(label="Ответственный за дорожную карту", required=False,
                            max_length=300)
    status = forms.ChoiceField(label="Состояние", choices=Roadmap.Status.choices,
                               initial=Roadmap.Status.ACTIVE)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("period_start"), data.get("period_end")
        if (start is None) != (end is None):
            raise forms.ValidationError("Укажите период полностью: с какого и по какой год.")
        if start is not None and end is not None and start > end:
            raise forms.ValidationError("Начало периода позже его окончания.")
        return data


class RoadmapForm(TerritoryChoiceMixin, ImportConfirmForm):
    field_order = ["territory", "title", "direction", "period_start", "period_end", "doc_kind",
                   "doc_number", "doc_date", "owner", "status"]


class RoadmapEditForm(ImportConfirmForm):
    pass


class SectionForm(forms.Form):
    number = forms.CharField(label="Номер", required=False, max_length=30)
    name = forms.CharField(label="Название раздела", max_length=1000)
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput())
    direction = forms.ChoiceField(label="Направление", choices=DIRECTION_OPTIONAL,
                                  required=False)


class ItemForm(forms.Form):
    number = forms.CharField(label="№", required=False, max_length=30)
    title = forms.CharField(label="Мероприятие", widget=forms.Textarea(attrs={"rows": 2}))
    deadline_text = forms.CharField(label="Сроки", required=False, max_length=1000)
    responsible_text = forms.CharField(
        label="Ответственные", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    indicator_text = forms.CharField(
        label="Показатель", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    section = forms.TypedChoiceField(label="Раздел", required=False, coerce=int,
                                     empty_value=None)
    direction = forms.ChoiceField(label="Направление", choices=DIRECTION_OPTIONAL,
                                  required=False)
    indicator_code = forms.ChoiceField(label="Показатель СОКО", required=False)
    baseline = forms.FloatField(label="Базовое значение", required=False)
    baseline_year = forms.IntegerField(label="год", required=False, min_value=2000, max_value=2100)
    target = forms.FloatField(label="Целевое значение", required=False)
    target_year = forms.IntegerField(label="год", required=False, min_value=2000, max_value=2100)
    is_cancelled = forms.BooleanField(label="Мероприятие отменено", required=False)

    def __init__(self, *args: Any, sections: list[tuple[int, str]],
                 indicators: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = [("", "— без раздела —"), *sections]  # type: ignore[attr-defined]
        self.fields["indicator_code"].choices = [("", "— не связан —"), *indicators]  # type: ignore[attr-defined]


class ReportForm(forms.Form):
    text = forms.CharField(label="Что сделано", widget=forms.Textarea(attrs={"rows": 3}))
    link_title = forms.CharField(label="Название документа", required=False, max_length=300)
    link_url = forms.URLField(label="Ссылка на документ", required=False, max_length=1000,
                              assume_scheme="https")
    file = forms.FileField(label="Файл-подтверждение", required=False)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", "принять"), ("return", "вернуть")])
    comment = forms.CharField(label="Замечания", required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=[("planned", "запланировано"),
                                        ("in_progress", "выполняется"),
                                        ("done", "выполнено"), ("cancelled", "отменено")])
    note = forms.CharField(label="Комментарий", required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class CommentForm(forms.Form):
    text = forms.CharField(label="Комментарий", widget=forms.Textarea(attrs={"rows": 2}))


class EvidenceForm(forms.Form):
    title = forms.CharField(label="Название", required=False, max_length=300)
    url = forms.URLField(label="Ссылка", required=False, max_length=1000, assume_scheme="https")
    file = forms.FileField(label="Файл", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("url") and not data.get("file"):
            raise forms.ValidationError("Приложите файл или укажите ссылку.")
        return data


class ActorForm(forms.Form):
    actor = forms.IntegerField(widget=forms.HiddenInput())
    kind = forms.ChoiceField(label="Вид", choices=Actor.Kind.choices)
    organization = forms.CharField(label="Логин ОО", required=False, max_length=40)


class RecommendationForm(forms.Form):
    title = forms.CharField(label="Заголовок", max_length=500)
    text = forms.CharField(label="Текст", widget=forms.Textarea(attrs={"rows": 12}))
    group = forms.CharField(label="Группа педагогов / адресат", required=False, max_length=300)
    direction = forms.ChoiceField(label="Направление", choices=DIRECTION_CHOICES)


class RecommendationNewForm(TerritoryChoiceMixin, RecommendationForm):
    addressee = forms.ChoiceField(label="Адресат", choices=ADDRESSEE_CHOICES)
    organization = forms.CharField(label="Логин ОО-адресата", required=False, max_length=40)
    year = forms.IntegerField(label="Год", required=False, min_value=2000, max_value=2100)


class MeasureForm(TerritoryChoiceMixin):
    title = forms.CharField(label="Мера", max_length=500)
    description = forms.CharField(label="Содержание", required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    direction = forms.ChoiceField(label="Направление", choices=DIRECTION_CHOICES)
    status = forms.ChoiceField(label="Состояние", choices=Measure.Status.choices)
    start_date = forms.DateField(label="Начало", required=False, widget=DateInput())
    end_date = forms.DateField(label="Окончание", required=False, widget=DateInput())
    responsible = forms.CharField(label="Ответственный", required=False, max_length=300)
    organizations = forms.MultipleChoiceField(label="Целевые ОО", required=False,
                                              widget=forms.SelectMultiple(attrs={"size": 8}))
    indicator_codes = forms.MultipleChoiceField(label="Показатели", required=False,
                                                widget=forms.SelectMultiple(attrs={"size": 6}))
    items = forms.MultipleChoiceField(label="Мероприятия дорожных карт", required=False,
                                      widget=forms.SelectMultiple(attrs={"size": 8}))
    recommendations = forms.MultipleChoiceField(label="Рекомендации", required=False,
                                                widget=forms.SelectMultiple(attrs={"size": 6}))

    def set_choices(self, *, organizations: list[tuple[str, str]],
                    indicators: list[tuple[str, str]], items: list[tuple[str, str]],
                    recommendations: list[tuple[str, str]]) -> None:
        self.fields["organizations"].choices = organizations  # type: ignore[attr-defined]
        self.fields["indicator_codes"].choices = indicators  # type: ignore[attr-defined]
        self.fields["items"].choices = items  # type: ignore[attr-defined]
        self.fields["recommendations"].choices = recommendations  # type: ignore[attr-defined]


class DecisionForm(MeasureForm):
    kind = forms.ChoiceField(label="Вид акта", choices=ActKind.choices)
    number = forms.CharField(label="Номер", max_length=60)
    date = forms.DateField(label="Дата", widget=DateInput())
    signed_by = forms.CharField(label="Подписал", required=False, max_length=200)
    text = forms.CharField(label="Текст (распорядительная часть)", required=False,
                           widget=forms.Textarea(attrs={"rows": 5}))
    measures = forms.MultipleChoiceField(label="Меры", required=False,
                                         widget=forms.SelectMultiple(attrs={"size": 5}))
    file = forms.FileField(label="Подписанный документ", required=False)
    field_order = ["territory", "kind", "number", "date", "title", "text", "signed_by",
                   "direction"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("description", "status", "start_date", "end_date", "responsible"):
            del self.fields[name]
        self.fields["title"].label = "Заголовок («О …»)"

    def set_measures(self, measures: list[tuple[str, str]]) -> None:
        self.fields["measures"].choices = measures  # type: ignore[attr-defined]


class AnalysisForm(forms.Form):
    indicator_code = forms.ChoiceField(label="Показатель")
    first_after = forms.IntegerField(label="Первый год «после»", required=False,
                                     min_value=2000, max_value=2100)

    def __init__(self, *args: Any, indicators: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["indicator_code"].choices = indicators  # type: ignore[attr-defined]


class MukoEvidenceForm(forms.Form):
    territory = forms.IntegerField(widget=forms.HiddenInput())
    direction = forms.ChoiceField(label="Направление", choices=DIRECTION_ONLY)
    step = forms.ChoiceField(label="Этап цикла",
                             choices=[(s.code, f"{s.number}. {s.name}") for s in CYCLE_STEPS])
    title = forms.CharField(label="Что подтверждает", max_length=300)
    url = forms.URLField(label="Ссылка", required=False, max_length=1000, assume_scheme="https")
    file = forms.FileField(label="Документ", required=False)
