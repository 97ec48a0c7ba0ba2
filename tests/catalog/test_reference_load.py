"""The shipped catalog loads with every threshold's source, idempotently."""

from __future__ import annotations

import pytest

from soko.catalog.models import (
    Assessment,
    MarkScale,
    MinScore,
    Parameter,
    ScaleReference,
    ScoreConversion,
    Source,
)
from soko.catalog.selectors import parameter_value, scale_spec
from soko.catalog.services import catalog_load_reference

pytestmark = pytest.mark.django_db


def test_it_loads_the_exam_scales_with_their_sources(catalog: None) -> None:
    math = Assessment.objects.get(procedure__code="ОГЭ", subject__code="МА", year=2026)
    spec = scale_spec(math)
    assert spec is not None
    assert dict(spec.boundaries) == {3: 8.0, 4: 15.0, 5: 22.0}
    assert spec.conditions[0].tasks == ("15", "16", "17", "18", "19", "23", "24", "25")
    assert math.scale.source.kind == Source.Kind.SECONDARY
    assert math.scale_status == Assessment.ScaleStatus.SECONDARY


def test_partly_secondary_rows_are_not_labelled_official(catalog: None) -> None:
    math_2023 = Assessment.objects.get(procedure__code="ОГЭ", subject__code="МА", year=2023)
    assert math_2023.scale.source.kind == Source.Kind.SECONDARY
    history = Assessment.objects.get(procedure__code="ОГЭ", subject__code="ИС", year=2023)
    assert history.scale.source.kind == Source.Kind.OFFICIAL


def test_scales_without_a_year_are_kept_as_references_only(catalog: None) -> None:
    refs = ScaleReference.objects.filter(procedure__code="ВПР", grade=8)
    assert refs.count() == 8
    assert all(r.years == [] and r.year_text == "год не указан" for r in refs)
    assert not Assessment.objects.filter(procedure__code="ВПР", grade=8).exists()
    gve = Assessment.objects.filter(procedure__code="ГВЭ-9")
    assert list(gve.values_list("year", flat=True)) == [2023]


def test_ege_tables_and_minimums(catalog: None) -> None:
    partial = ScoreConversion.objects.get(assessment__year=2017, assessment__subject__code="МАП")
    assert partial.complete is False
    assert partial.table["6"] == 27
    full = ScoreConversion.objects.get(assessment__year=2025, assessment__subject__code="МАП")
    assert full.complete and full.table["32"] == 100
    russian = MinScore.objects.get(
        procedure__code="ЕГЭ", subject__code="РУ", year=2026, purpose="аттестат"
    )
    assert russian.score == 24
    basic = MinScore.objects.get(procedure__code="ЕГЭ", subject__code="МАБ", year=2026)
    assert basic.mark == 3 and basic.score is None
    bio_2025 = MinScore.objects.filter(procedure__code="ЕГЭ", year=2025, subject__code="БИ")
    assert bio_2025.get().score == 36
    langs = MinScore.objects.filter(procedure__code="ОГЭ", year=2026, score=29)
    assert set(langs.values_list("subject__code", flat=True)) == {"АЯ", "НЯ", "ФЯ", "ИЯ"}


def test_every_threshold_has_a_source_and_no_research_guess_is_official(catalog: None) -> None:
    assert not MarkScale.objects.filter(source__isnull=True).exists()
    assert not MinScore.objects.filter(source__isnull=True).exists()
    rule = Parameter.objects.get(code="low_results.rule_30pct.share")
    assert rule.value == 0.3
    assert rule.source.kind == Source.Kind.NEWS
    assert Parameter.objects.get(code="privacy.min_group_size").source.kind == Source.Kind.SYSTEM
    assert parameter_value("vpr.mastery.basic") == 0.6
    assert not Parameter.objects.filter(source__kind=Source.Kind.OFFICIAL).exists()


def test_the_vpr_russian_4_structure(catalog: None) -> None:
    work = Assessment.objects.get(procedure__code="ВПР", subject__code="РУ", grade=4, year=2026)
    maxima = list(work.tasks.order_by("position").values_list("max_score", flat=True))
    assert maxima == [2, 1, 2, 3, 2, 1, 1, 2, 3, 3, 1, 3]
    assert sum(maxima) == work.max_primary == 24


def test_loading_twice_changes_nothing(catalog: None) -> None:
    before = (Assessment.objects.count(), MinScore.objects.count(), Source.objects.count())
    assert catalog_load_reference().skipped
    catalog_load_reference(force=True)
    after = (Assessment.objects.count(), MinScore.objects.count(), Source.objects.count())
    assert before == after
