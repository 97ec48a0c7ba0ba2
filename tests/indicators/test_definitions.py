"""Definitions (the YAML / editor format): checks of plain fields and formulas, the rewrite of
means into sums and counts, orgs_share universes and composite indices."""

from __future__ import annotations

from typing import Any

import pytest

from soko.indicators import formula as f
from soko.indicators.definitions import DefinitionError, build_spec, normalise
from soko.indicators.engine import resolve_test

pytestmark = pytest.mark.core

SCHEMA = f.Schema(external={"form": "Формы"}, params=lambda code: {"p": 0.5}[code])
BASE = {"code": "results.x", "name": "Показатель", "direction": "results"}


def spec(**fields: Any) -> Any:
    return build_spec(
        normalise({**BASE, **fields}),
        SCHEMA,
        default_min_group=10,
        indicators={"results.a": "counts", "results.b": "counts", "results.c": "composite"},
    )


def error(**fields: Any) -> DefinitionError:
    with pytest.raises(DefinitionError) as info:
        spec(**fields)
    return info.value


def test_a_share_of_counts_gets_the_proportion_test() -> None:
    s = spec(numerator="count(result where mark = 2)", denominator="count(result)")
    assert s.min_group == 10 and s.factor == 100.0
    assert resolve_test(s) == "proportion"


def test_mean_as_numerator_becomes_sum_over_count_and_gets_welch() -> None:
    s = spec(numerator="mean(result.test_score where not absent)", factor=1)
    assert f.to_text(s.numerator) == "sum(result.test_score where (not absent))"
    assert f.to_text(s.denominator) == "count(result.test_score where (not absent))"
    assert resolve_test(s) == "mean"


def test_non_additive_numerators_are_refused() -> None:
    e = error(numerator="count(result) / count(students)")
    assert e.field == "numerator" and "складываться" in e.message
    assert error(numerator="mean(result.mark)", denominator="count(result)").field == "numerator"


def test_a_formula_error_keeps_field_and_column() -> None:
    e = error(numerator="count(result where)")
    assert e.field == "numerator"
    assert e.formula_error is not None and e.formula_error.column == 19
    assert "Столбец 19" in e.message


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"code": "Results.X"}, "code"),
        ({"code": "results"}, "code"),
        ({"direction": "sports"}, "direction"),
        ({"polarity": "up"}, "polarity"),
        ({"factor": "сто"}, "factor"),
        ({"filters": {"colour": "red"}}, "filters"),
        ({"breakdown": ["score"]}, "breakdown"),
        ({"levels": ["school"]}, "levels"),
        ({"min_group": -1}, "min_group"),
        ({"whatever": 1}, "whatever"),
        ({"name": ""}, "name"),
    ],
)
def test_plain_fields_are_checked(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(DefinitionError) as info:
        normalise({**BASE, "numerator": "count(result)", **fields})
    assert info.value.field == field


def test_a_breakdown_needs_the_column_in_every_source() -> None:
    e = error(numerator="count(result)", denominator="count(students)", breakdown=["subject"])
    assert e.field == "breakdown" and "students" in e.message


def test_orgs_share_needs_a_condition_and_accepts_a_numeric_denominator_as_universe() -> None:
    assert error(aggregation="orgs_share").field == "condition"
    s = spec(
        aggregation="orgs_share",
        condition="sum(form.x) > 0",
        denominator="sum(form.submitted)",
        numerator="sum(form.x)",
    )
    assert s.universe is not None and f.to_text(s.universe) == "(sum(form.submitted) > 0.0)"
    assert s.min_group == 1 and resolve_test(s) == "proportion"


def test_conditions_only_belong_to_orgs_share() -> None:
    assert error(numerator="count(result)", condition="count(result) > 0").field == "condition"


def test_composites_check_their_components() -> None:
    s = spec(
        aggregation="composite",
        components=[{"indicator": "results.a", "weight": 2}, {"indicator": "results.b"}],
    )
    assert [p.weight for p in s.parts] == [2.0, 1.0] and s.normalisation == "minmax"
    assert error(aggregation="composite", components=[]).field == "components"
    assert (
        "нет показателя"
        in error(aggregation="composite", components=[{"indicator": "results.zz"}]).message
    )
    assert (
        "сводный" in error(aggregation="composite", components=[{"indicator": "results.c"}]).message
    )
    assert (
        error(
            aggregation="composite", normalisation="fixed", components=[{"indicator": "results.a"}]
        ).field
        == "components"
    )
    with pytest.raises(DefinitionError):
        normalise(
            {
                **BASE,
                "aggregation": "composite",
                "components": [{"indicator": "results.a", "weight": 0}],
            }
        )


def test_checksum_changes_with_the_definition() -> None:
    one = normalise({**BASE, "numerator": "count(result)"})
    two = normalise({**BASE, "numerator": "count(result where mark = 2)"})
    assert one.checksum() != two.checksum()
    assert one.checksum() == normalise({**BASE, "numerator": "count(result)"}).checksum()
