"""Targeted recommendations from planted findings: the figures that justify them, addressees,
approval, and idempotent regeneration that never duplicates or overwrites a decided one."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from soko.core.errors import ApplicationError
from soko.cycle.models import Notification, Recommendation
from soko.cycle.recommend import DeficitRow, deficit_findings
from soko.cycle.services import (
    recommendation_create,
    recommendation_decide,
    recommendation_update,
    recommendations_generate,
)
from soko.cycle.sources import flag_to_finding

pytestmark = pytest.mark.django_db


def flag(org, kind: str, codes: list[str], evidence: dict, *, procedure: str = "ВПР",
         subject: str = "МА", grade: int | None = 5, persistent: bool = False,
         status: str = "open", pk: int = 1) -> SimpleNamespace:
    """A risk flag with the contract fields of risks.Flag (docs/contributing.md)."""
    return SimpleNamespace(pk=pk, kind=kind, organization=org, year=2026, procedure=procedure,
                           subject=subject, grade=grade, codes=codes, evidence=evidence,
                           status=status, persistent=persistent)


def planted(personas) -> list:
    subjects = {"МА": "Математика"}
    findings = [
        flag_to_finding(flag(personas.school_a, "low_results", ["rule_30pct"],
                             {"summary": "Доля «2»: ВПР МА 5 кл. — 41 %, РУ 5 кл. — 35 %"},
                             procedure="", subject="", grade=None, persistent=True), subjects),
        flag_to_finding(flag(personas.school_b, "objectivity", ["M1", "M3"],
                             {"statistics": {"share_5": 0.62, "n": 52}}, pk=2), subjects),
        flag_to_finding(flag(personas.school_a, "social", ["social_index"],
                             {"statistics": {"social_index": 1.8}}, procedure="", subject="",
                             grade=None, pk=3), subjects),
    ]
    rows = [
        DeficitRow(org_id=o.pk, org_code=o.code, org_name=o.short_name,
                   territory_code="9901", year=2026, subject="МА", subject_name="Математика",
                   grade=5, procedure="ВПР", skill=skill, task_numbers=(task,),
                   completion=c, reference=0.64, n=24, class_label="5А")
        for o, skill, task, c in [
            (personas.school_a, "Действия с дробями", "4", 0.31),
            (personas.school_a, "Проценты", "7", 0.38),
            (personas.school_b, "Действия с дробями", "4", 0.36),
        ]
    ]
    findings += deficit_findings(rows, min_group=10, municipal_min_orgs=2)
    return [f for f in findings if f is not None]


def test_recommendations_from_planted_findings(personas):
    report = recommendations_generate(territory=personas.municipality, findings=planted(personas))
    assert (report.findings, report.created) == (6, 6)
    recs = {r.finding_key: r for r in Recommendation.objects.all()}
    low = recs["flag:low_results:sch990001:2026"]
    assert (low.addressee, low.organization, low.direction) == (
        "organization", personas.school_a, "low_results")
    assert low.title == ("СОШ № 1: повышение качества образования (низкие образовательные "
                         "результаты, 2026)")
    assert "Доля «2»: ВПР МА 5 кл. — 41 %, РУ 5 кл. — 35 %" in low.text
    assert "Признак выявляется два года подряд и более." in low.text
    objectivity = recs["flag:objectivity:sch990002:2026"]
    assert objectivity.direction == "objectivity"
    assert objectivity.figures == ["statistics.share 5: 62,0 %", "statistics.n: 52"]
    assert "ВПР Математика 5 класс" in objectivity.title
    teachers = recs["deficit:sch990001:2026:ВПР:МА:5"]
    assert (teachers.addressee, teachers.group) == (
        "teachers", "учителя предмета «Математика» 5-х классов")
    assert teachers.figures == [
        "Действия с дробями (задания 4): выполнение 31 % при 64 % по муниципалитету",
        "Проценты (задания 7): выполнение 38 % при 64 % по муниципалитету",
    ]
    assert "5А" not in teachers.text  # classes and teachers are never named
    municipal = [r for r in recs.values() if r.addressee == "municipality"]
    assert len(municipal) == 1 and municipal[0].organization is None
    assert "в 2 ОО" in municipal[0].text
    assert all(r.status == "draft" for r in recs.values())


def test_flags_of_one_school_and_year_make_one_recommendation(personas):
    from soko.cycle.sources import flags_to_finding

    marker = {"fired": True, "evaluable": True, "n": 48, "school_percent": 81.0,
              "shrunk_percent": 78.0, "region_percent": 55.0, "statistic": 2.6, "z_min": 2.0}
    flags = [
        flag(personas.school_b, "objectivity", ["M1"], {"markers": {"M1": marker}}, pk=1),
        flag(personas.school_b, "objectivity", ["M1", "M4"], {"markers": {"M1": marker}},
             subject="РУ", grade=6, pk=2),
        flag(personas.school_b, "objectivity", ["M3"], {}, subject="МА", grade=7, pk=3,
             status="confirmed"),
    ]
    finding = flags_to_finding(flags, {"МА": "Математика", "РУ": "Русский язык"})
    assert finding is not None
    assert finding.key == "flag:objectivity:sch990002:2026"
    assert finding.values["procedure_text"] == "ВПР: 3 работ"
    assert finding.refs["works"] == ["ВПР Математика 5 класс", "ВПР Русский язык 6 класс",
                                     "ВПР Математика 7 класс"]
    assert finding.figures[0].startswith("ВПР Математика 5 класс (M1): ")
    assert "81" in finding.figures[0]  # the school's result from the evidence
    assert "ВПР Математика 7 класс: подтверждён специалистом" in finding.figures
    assert finding.values["codes"].startswith("признак M1")


def test_regeneration_is_idempotent_and_respects_decisions(personas, authority_scope):
    findings = planted(personas)
    recommendations_generate(territory=personas.municipality, findings=findings)
    low = Recommendation.objects.get(finding_kind="low_results")
    recommendation_decide(rec=low, scope=authority_scope, user=personas.authority,
                          decision="approve")
    social = Recommendation.objects.get(finding_kind="social")
    recommendation_update(rec=social, scope=authority_scope, title=social.title,
                          text="Своя формулировка специалиста")
    again = recommendations_generate(territory=personas.municipality, findings=findings)
    assert (again.created, again.kept, again.unchanged) == (0, 2, 4)
    assert Recommendation.objects.count() == 6
    social.refresh_from_db()
    assert social.text == "Своя формулировка специалиста"
    # the approved school was notified once
    assert Notification.objects.filter(user=personas.user_a, kind="recommendation").count() == 1
    # findings that are gone: untouched drafts disappear, decided ones stay marked
    only_objectivity = [f for f in findings if f.kind == "objectivity"]
    gone = recommendations_generate(territory=personas.municipality, findings=only_objectivity)
    assert gone.removed == 3 and gone.obsolete == 2
    remaining = dict(Recommendation.objects.values_list("finding_kind", "obsolete"))
    assert remaining == {"low_results": True, "social": True, "objectivity": False}


def test_manual_recommendations_and_rights(personas, authority_scope, school_scope):
    rec = recommendation_create(
        scope=authority_scope, territory=personas.municipality, title="Наставничество",
        text="Закрепить наставников за молодыми учителями", direction="teachers",
        addressee="organization", organization=personas.school_b,
    )
    assert rec.finding_kind == "manual" and rec.edited
    with pytest.raises(ApplicationError, match="организацию-адресата"):
        recommendation_create(scope=authority_scope, territory=personas.municipality,
                              title="x", text="y", direction="teachers",
                              addressee="organization")
    with pytest.raises(ApplicationError, match="орган управления"):
        recommendation_decide(rec=rec, scope=school_scope, decision="approve")
    recommendation_decide(rec=rec, scope=authority_scope, decision="approve")
    with pytest.raises(ApplicationError, match="Утверждённую"):
        recommendation_update(rec=rec, scope=authority_scope, title="a", text="b")
    with pytest.raises(ApplicationError, match="орган управления"):
        recommendations_generate(territory=personas.municipality, scope=school_scope,
                                 findings=[])


def test_generation_without_other_areas_data_creates_nothing(personas):
    report = recommendations_generate(territory=personas.municipality)
    assert report.created == 0
