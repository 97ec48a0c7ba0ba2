"""Recommendation texts from findings (pure): templates, figures, teachers' deficits."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from soko.cycle.recommend import (
    MUNICIPALITY,
    ORGANIZATION,
    TEACHERS,
    DeficitRow,
    Finding,
    Template,
    TemplateError,
    code_labels,
    deficit_findings,
    evidence_figures,
    render,
    templates_from_list,
)

pytestmark = pytest.mark.core

SHIPPED = Path(__file__).resolve().parents[2] / "src/soko/cycle/data/recommendation_templates.yaml"


def templates() -> dict[str, Template]:
    return templates_from_list(yaml.safe_load(SHIPPED.read_text(encoding="utf-8")))


def test_shipped_templates_cover_every_finding_kind():
    assert set(templates()) == {
        "low_results", "social", "objectivity", "deficit_teachers", "deficit_municipal",
        "indicator_off_target", "indicator_off_target_municipal",
    }


def test_a_flag_finding_renders_with_its_figures():
    finding = Finding(
        kind="objectivity", key="flag:objectivity:sch1:2025:ВПР:МА:5", direction="objectivity",
        addressee=ORGANIZATION, year=2025, organization_id=1,
        values={"org": "СОШ № 1", "codes": code_labels(["M1", "M3"]),
                "procedure_text": "ВПР Математика 5 класс", "persistent_text": ""},
        figures=("доля отметок «5»: 62 %", "в муниципалитете: 18 %"),
    )
    draft = render(finding, templates())
    assert draft.title == ("СОШ № 1: обеспечение объективности оценочных процедур "
                           "(ВПР Математика 5 класс, 2025)")
    assert "признак M1; признак M3" in draft.text
    assert "— доля отметок «5»: 62 %\n— в муниципалитете: 18 %" in draft.text
    assert "Это не вывод о нарушении" in draft.text


def test_unknown_placeholders_print_a_dash_and_unknown_kinds_fail():
    t = templates_from_list([{"code": "x", "addressee": "organization", "title": "{nope}",
                              "text": "{figures}"}])
    f = Finding(kind="x", key="k", direction="results", addressee=ORGANIZATION, year=None,
                organization_id=None)
    draft = render(f, t)
    assert draft.title == "—"
    assert draft.text == "— сведения не приведены"
    with pytest.raises(TemplateError):
        render(Finding(kind="y", key="k", direction="", addressee="", year=None,
                       organization_id=None), t)
    with pytest.raises(TemplateError, match="адресат"):
        templates_from_list([{"code": "z", "addressee": "teacher", "title": "a", "text": "b"}])


def test_evidence_figures_whatever_the_shape():
    evidence = {
        "statistics": {"share_5": 0.62, "n": 48, "municipal_share_5": 0.18},
        "thresholds": {"share_5": {"value": 0.4, "source": "system"}},
        "note": "",
    }
    assert evidence_figures(evidence) == [
        "statistics.share 5: 62,0 %", "statistics.n: 48", "statistics.municipal share 5: 18,0 %",
        "thresholds.share 5.value: 40,0 %",
    ]
    assert evidence_figures({"summary": "Доля «2» 35 % при пороге 30 %"}) == [
        "Доля «2» 35 % при пороге 30 %"
    ]
    assert code_labels(["rule_30pct"]).startswith("не менее 30 % участников")


def row(org: int, cls: str, skill: str, completion: float, n: int = 20, grade: int = 5,
        subject: str = "МА") -> DeficitRow:
    return DeficitRow(org_id=org, org_code=f"sch{org}", org_name=f"СОШ № {org}",
                      territory_code="9901", year=2026, subject=subject,
                      subject_name="Математика", grade=grade, procedure="ВПР", skill=skill,
                      task_numbers=("3",), completion=completion, reference=0.61, n=n,
                      class_label=cls)


def test_deficits_group_by_organization_subject_and_grade_never_by_teacher():
    rows = [
        row(1, "5А", "Дроби", 0.35), row(1, "5Б", "Дроби", 0.45), row(1, "5А", "Проценты", 0.40),
        row(2, "5А", "Дроби", 0.30), row(3, "5В", "Дроби", 0.42),
        row(4, "5А", "Дроби", 0.20, n=6),  # a group under the minimum size: never shown alone
    ]
    found = deficit_findings(rows, min_group=10, municipal_min_orgs=3)
    teachers = [f for f in found if f.addressee == TEACHERS]
    assert [f.key for f in teachers] == [
        "deficit:sch1:2026:ВПР:МА:5", "deficit:sch2:2026:ВПР:МА:5", "deficit:sch3:2026:ВПР:МА:5",
    ]
    first = teachers[0]
    assert first.group == "учителя предмета «Математика» 5-х классов"
    assert first.figures == (
        "Дроби (задания 3): выполнение от 35 % до 45 % по классам при 61 % по муниципалитету",
        "Проценты (задания 3): выполнение 40 % при 61 % по муниципалитету",
    )
    municipal = [f for f in found if f.addressee == MUNICIPALITY]
    assert len(municipal) == 1
    assert municipal[0].figures[:3] == (
        "умение: Дроби", "дефицит выявлен в 3 ОО", "выполнение в этих ОО: от 30 % до 45 %",
    )
    assert all("5А" not in " ".join(f.figures) for f in found)
