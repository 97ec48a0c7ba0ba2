"""Measures and management decisions with their links, and the analysis of a measure's
effectiveness on indicator values (planted effect recovered, none where none was planted)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from django.apps import apps

from soko.core.errors import ApplicationError
from soko.cycle.models import EffectivenessAnalysis
from soko.cycle.services import (
    decision_save,
    effectiveness_compute,
    effectiveness_request,
    measure_save,
    recommendation_create,
)
from soko.cycle.services.measures import first_after_year

pytestmark = pytest.mark.django_db


@pytest.fixture
def schools(personas):
    from soko.registry.services import organization_create

    made = [personas.school_a, personas.school_b]
    for k in range(3, 15):
        made.append(organization_create(
            code=f"sch9900{k:02d}", name=f"МБОУ «СОШ № {k}»", short_name=f"СОШ № {k}",
            territory=personas.municipality, kind="school", org_type="СОШ", settlement="urban",
        ))
    return made


def test_measure_and_decision_with_their_links(personas, authority_scope, small_roadmap):
    rec = recommendation_create(scope=authority_scope, territory=personas.municipality,
                                title="Поддержка СОШ № 1", text="…", direction="low_results",
                                addressee="organization", organization=personas.school_a)
    item = small_roadmap.items.get(number="1.1")
    measure = measure_save(
        scope=authority_scope, territory=personas.municipality,
        title="Адресная методическая поддержка", direction="low_results",
        start_date=date(2025, 9, 1), organizations=[personas.school_a],
        indicator_codes=["results.share_2", " results.share_2", ""], items=[item],
        recommendations=[rec],
    )
    assert measure.indicator_codes == ["results.share_2"]
    assert list(rec.measures.all()) == [measure]
    decision = decision_save(
        scope=authority_scope, territory=personas.municipality, kind="приказ", number="45-од",
        date=date(2025, 8, 30), title="О мерах поддержки", direction="low_results",
        text="1. Утвердить…", signed_by="Начальник УО", organizations=[personas.school_a],
        measures=[measure], recommendations=[rec], items=[item],
        indicator_codes=["results.share_2"],
    )
    assert str(decision) == "приказ от 30.08.2025 № 45-од"
    assert list(measure.decisions.all()) == [decision]
    assert list(item.decisions.all()) == [decision]
    # links must stay inside the territory
    with pytest.raises(ApplicationError, match="другой территории"):
        measure_save(scope=authority_scope, territory=personas.municipality, title="x",
                     direction="results", organizations=[personas.school_far])
    with pytest.raises(ApplicationError, match="раньше её начала"):
        measure_save(scope=authority_scope, territory=personas.municipality, title="x",
                     direction="results", start_date=date(2026, 1, 2),
                     end_date=date(2026, 1, 1))


def test_a_school_cannot_record_measures(personas, school_scope):
    with pytest.raises(ApplicationError, match="орган управления"):
        measure_save(scope=school_scope, territory=personas.municipality, title="x",
                     direction="results")


@pytest.mark.parametrize(
    ("start", "year"),
    [(date(2024, 9, 1), 2025), (date(2025, 2, 10), 2025), (date(2025, 4, 1), 2026)],
)
def test_first_year_after_a_measure(start, year):
    assert first_after_year(start, 2000) == year


def plant_values(schools, treated, effect: float, seed: int):
    """An indicator (higher is better) with values 2023–2026 for every school; the treated
    schools gain ``effect`` points from 2025 on."""
    from soko.catalog.models import Source

    indicator_model = apps.get_model("indicators", "Indicator")
    value_model = apps.get_model("indicators", "IndicatorValue")
    indicator = indicator_model.objects.create(
        code=f"test.completion.{seed}", name="Средний процент выполнения ВПР",
        direction="results", unit="%", polarity="higher_better",
        source=Source.objects.get(code="system"),
    )
    rng = np.random.default_rng(seed)
    for school in schools:
        base = 55 + rng.normal(0, 6) - (8 if school in treated else 0)
        for year in (2023, 2024, 2025, 2026):
            lift = effect if school in treated and year >= 2025 else 0.0
            value_model.objects.create(indicator=indicator, year=year, organization=school,
                                       value=base + rng.normal(0, 2) + lift, n=40)
        # a breakdown part and a suppressed small group must be ignored
        value_model.objects.create(indicator=indicator, year=2026, organization=school,
                                   breakdown_key="grade=5", value=0.0, n=20)
    return indicator


@pytest.mark.parametrize(("effect", "verdict"), [(7.0, "improved"), (0.0, "no_effect")])
def test_effectiveness_on_indicator_values(personas, authority_scope, schools, effect, verdict):
    treated = schools[:5]
    indicator = plant_values(schools, treated, effect, seed=21)
    measure = measure_save(scope=authority_scope, territory=personas.municipality,
                           title="Методическое сопровождение", direction="results",
                           start_date=date(2024, 9, 1), organizations=treated)
    analysis = effectiveness_request(measure=measure, indicator_code=indicator.code,
                                     scope=authority_scope)
    assert analysis.status == EffectivenessAnalysis.Status.PENDING
    analysis = effectiveness_compute(analysis)
    assert analysis.status == "ok" and analysis.verdict == verdict
    assert (analysis.before_years, analysis.after_years) == ([2023, 2024], [2025, 2026])
    assert analysis.result["n_treated"] == 5 and analysis.result["n_control"] == 9
    assert analysis.ci_low is not None and analysis.ci_high is not None
    assert analysis.ci_low < effect < analysis.ci_high
    if effect:
        assert analysis.ci_low > 0
        assert "Улучшение в целевых ОО на" in analysis.conclusion
    else:
        assert "не отличается от нуля статистически значимо" in analysis.conclusion
    assert analysis.indicator_name == "Средний процент выполнения ВПР"
    assert [p["year"] for p in analysis.series["treated"]] == [2023, 2024, 2025, 2026]
    assert measure.indicator_codes == [indicator.code]


def test_effectiveness_with_too_few_schools_says_so(personas, authority_scope, schools):
    indicator = plant_values(schools[:4], schools[:2], 5.0, seed=5)
    measure = measure_save(scope=authority_scope, territory=personas.municipality,
                           title="Мера", direction="results", start_date=date(2024, 9, 1),
                           organizations=schools[:2])
    analysis = effectiveness_compute(
        effectiveness_request(measure=measure, indicator_code=indicator.code)
    )
    assert analysis.status == "insufficient" and analysis.estimate is None
    assert analysis.conclusion.startswith("Недостаточно данных для оценки")


def test_effectiveness_needs_targeted_organizations(personas, authority_scope):
    measure = measure_save(scope=authority_scope, territory=personas.municipality,
                           title="Мера без ОО", direction="results")
    with pytest.raises(ApplicationError, match="целевые ОО"):
        effectiveness_request(measure=measure, indicator_code="x")
