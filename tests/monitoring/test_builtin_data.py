"""The shipped forms, questionnaires and indicators are consistent: every formula name is
published by a form or a questionnaire, every source exists, loading twice changes nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from soko.catalog.models import Parameter, Source
from soko.monitoring.formspec import DIRECTIONS
from soko.monitoring.models import FormTemplate, Questionnaire
from soko.monitoring.services import DATA_DIR, builtin_load

pytestmark = pytest.mark.django_db

NAME = re.compile(r"\b(form|survey)\.([a-z0-9_.]+)")
FACTORS = ["risk_equipment", "risk_staff_shortage", "risk_teacher_competence",
           "risk_low_adaptivity", "risk_inschool_pd", "risk_academic_failure",
           "risk_language_barriers", "risk_school_climate", "risk_parent_involvement",
           "risk_low_motivation", "risk_special_needs"]


def test_loading_is_idempotent_and_versions_are_kept(forms, tmp_path: Path) -> None:
    counts = builtin_load()
    assert counts == {"forms": 9, "questionnaires": 5, "retired": 0}
    assert FormTemplate.objects.count() == 9 and Questionnaire.objects.count() == 5
    data = yaml.safe_load((DATA_DIR / "forms.yaml").read_text(encoding="utf-8"))
    teachers = next(d for d in data if d["code"] == "teachers")
    (tmp_path / "forms.yaml").write_text(yaml.safe_dump([{**teachers, "version": 2}],
                                                        allow_unicode=True), encoding="utf-8")
    assert builtin_load(data_dir=tmp_path)["retired"] == 1
    assert FormTemplate.objects.get(code="teachers", version=1).retired
    assert not FormTemplate.objects.get(code="teachers", version=2).retired


def test_every_indicator_formula_reads_published_names(forms) -> None:
    published = {"form": set(), "survey": set()}
    for t in FormTemplate.objects.filter(retired=False):
        published["form"] |= {n for n, _ in t.spec.source_names()}
    for q in Questionnaire.objects.filter(retired=False):
        published["survey"] |= {n for n, _ in q.spec.source_names()}
    rows = yaml.safe_load((DATA_DIR / "indicators.yaml").read_text(encoding="utf-8"))
    codes = [r["code"] for r in rows]
    assert len(codes) == len(set(codes))
    for row in rows:
        assert row["direction"] in DIRECTIONS
        assert Source.objects.filter(code=row["source"]).exists(), row["source"]
        assert row["aggregation"] in {"counts", "orgs_share"}
        assert (row["aggregation"] == "orgs_share") == (row["condition"] is not None)
        for text in (row["numerator"], row["denominator"] or "", row["condition"] or ""):
            for prefix, name in NAME.findall(text):
                assert name in published[prefix], f"{row['code']}: {prefix}.{name}"


def test_form_based_indicators_cover_every_direction_that_depends_on_forms() -> None:
    rows = yaml.safe_load((DATA_DIR / "indicators.yaml").read_text(encoding="utf-8"))
    directions = {r["direction"] for r in rows}
    assert {"career", "upbringing", "preschool", "talents", "teachers", "leaders",
            "low_results"} <= directions


def test_the_risk_profile_is_not_presented_as_official(forms) -> None:
    risk = FormTemplate.objects.get(code="risk_profile")
    assert risk.source is not None and not risk.source.is_official
    assert "[R]" in risk.source.note and "[R]" in risk.methodology
    assert [f.code for f in risk.spec.sections[0].fields] == FACTORS
    param = Parameter.objects.get(code="monitoring.risk_profile.max_priorities")
    assert param.value == 3 and param.source.kind == "secondary"


def test_only_the_eleven_risk_factors_use_the_risk_prefix(forms) -> None:
    """The risks area reads every ``form.risk_*`` name as a factor of the «500+» profile."""
    names = {n for t in FormTemplate.objects.filter(retired=False)
             for n, _ in t.spec.source_names()}
    assert {n.split(".")[0] for n in names if n.startswith("risk_")} == set(FACTORS)
    assert {n for n in names if n.startswith("risk_equipment")} == {
        "risk_equipment", "risk_equipment.low", "risk_equipment.medium", "risk_equipment.high"}
