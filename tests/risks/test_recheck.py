"""Re-checking of works: sampling (random, risk-based, reproducible), the commission's scores,
discrepancies by hand, the XLSX template round trip, evidence on flags, the indicator source."""

from __future__ import annotations

import io

import openpyxl
import pytest

from soko.accounts.scope import SYSTEM, scope_for_user
from soko.catalog.models import Assessment
from soko.core.errors import ApplicationError, ValidationFailed
from soko.risks.models import Flag, FlagKind, RecheckWork, flag_key
from soko.risks.recheck import (
    recheck_enter_scores,
    recheck_sample_create,
    recheck_template_xlsx,
    recheck_upload_xlsx,
)
from soko.risks.selectors import recheck_results, recheck_works
from soko.risks.sources import recheck_provider

pytestmark = pytest.mark.django_db


def ru4_2026() -> Assessment:
    return Assessment.objects.get(procedure__code="ВПР", subject__code="РУ", grade=4, year=2026)


def objectivity_flag(org) -> Flag:
    a = ru4_2026()
    return Flag.objects.create(
        key=flag_key("objectivity", org.pk, 2026, "ВПР", "РУ", 4), kind=FlagKind.OBJECTIVITY,
        organization=org, year=2026, procedure="ВПР", subject="РУ", grade=4, codes=["M4"],
        evidence={"markers": {}, "assessment_id": a.pk},
    )


def test_random_sample_is_reproducible(rule_world) -> None:
    a = ru4_2026()
    s1 = recheck_sample_create(assessment_id=a.pk, size=6, method="random", seed=7, scope=SYSTEM)
    s2 = recheck_sample_create(assessment_id=a.pk, size=6, method="random", seed=7, scope=SYSTEM)
    ids1 = sorted(s1.works.values_list("result_id", flat=True))
    assert len(ids1) == 6
    assert ids1 == sorted(s2.works.values_list("result_id", flat=True))
    s3 = recheck_sample_create(assessment_id=a.pk, size=6, method="random", seed=8, scope=SYSTEM)
    assert ids1 != sorted(s3.works.values_list("result_id", flat=True))


def test_risk_based_sample_takes_schools_with_markers(rule_world) -> None:
    a = ru4_2026()
    with pytest.raises(ApplicationError, match="нет ОО с признаками"):
        recheck_sample_create(assessment_id=a.pk, size=4, method="risk", seed=1, scope=SYSTEM)
    objectivity_flag(rule_world.personas.school_b)
    s = recheck_sample_create(assessment_id=a.pk, size=4, method="risk", seed=1, scope=SYSTEM)
    assert {w.organization.code for w in s.works.all()} == {"sch990002"}
    mixed = recheck_sample_create(assessment_id=a.pk, size=8, method="mixed", seed=1,
                                  risk_share=0.5, scope=SYSTEM)
    reasons = list(mixed.works.values_list("reason", flat=True))
    assert reasons.count("risk") == 4 and reasons.count("random") == 4


def test_only_the_authority_samples_and_within_its_territory(rule_world) -> None:
    a = ru4_2026()
    p = rule_world.personas
    with pytest.raises(ApplicationError, match="орган управления"):
        recheck_sample_create(assessment_id=a.pk, size=3, method="random", seed=1,
                              scope=scope_for_user(p.user_a))
    s = recheck_sample_create(assessment_id=a.pk, size=50, method="random", seed=1,
                              scope=scope_for_user(p.authority))
    # the authority of «Тестовый округ» does not see the school of «Соседний район»
    assert "sch990101" not in {w.organization.code for w in s.works.all()}
    assert s.works.count() == 10 + 10 + 12


def test_commission_scores_and_discrepancies_by_hand(rule_world) -> None:
    a = ru4_2026()
    flag = objectivity_flag(rule_world.personas.school_b)
    s = recheck_sample_create(assessment_id=a.pk, size=10, method="risk", seed=3, scope=SYSTEM)
    works = list(s.works.order_by("position"))
    low = next(w for w in works if w.school_primary == 5)  # scored 2,1,2,0…: «2»
    high = next(w for w in works if w.school_primary == 17)  # 2,1,2,3,2,1,1,2,3,0…: «4»
    assert low.school_scores == [2, 1, 2] + [0] * 9
    # the commission takes 2 points off task 1 of the «2» work: Δ −2, mark «2» kept
    done = recheck_enter_scores(work_id=low.pk, scores=[0, 1, 2] + [0] * 9, scope=SYSTEM)
    assert (done.commission_primary, done.delta_primary, done.commission_mark) == (3, -2, 2)
    assert done.mark_changed is False and done.objective is False  # |Δ| = 2 > 1
    # one point off task 9 of the «4» work: Δ −1 within the tolerance, mark «4» kept
    scores = list(high.school_scores)
    scores[8] -= 1
    done = recheck_enter_scores(work_id=high.pk, scores=scores, scope=SYSTEM)
    assert (done.delta_primary, done.commission_mark, done.objective) == (-1, 4, True)
    other = next(w for w in works if w.pk not in (low.pk, high.pk))
    with pytest.raises(ValidationFailed, match="от 0 до"):
        recheck_enter_scores(work_id=other.pk, scores=[9] + [0] * 11, scope=SYSTEM)
    other.refresh_from_db()
    assert other.commission_scores is None
    flag.refresh_from_db()
    rc = flag.evidence["recheck"]
    assert (rc["total"]["checked"], rc["total"]["objective"]) == (2, 1)
    assert rc["work"]["mean_delta"] == pytest.approx(-1.5)
    task1 = rc["work"]["tasks"][0]
    assert task1 == {"number": "1", "mean_delta": pytest.approx(-1.0), "works_changed": 1}
    res = recheck_results(SYSTEM, s)
    assert res["schools"][0]["share_objective"] == pytest.approx(0.5)
    b = rule_world.personas.school_b.pk
    assert recheck_provider("checked", [2026]).to_pylist() == [
        {"org_id": b, "year": 2026, "value": 2.0}
    ]
    assert recheck_provider("objective", [2026]).to_pylist()[0]["value"] == 1.0


def fill(template: bytes, value_for) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(template))
    ws = wb.worksheets[0]
    header = [c.value for c in ws[5]]
    first_task = header.index("Класс") + 1
    for row in ws.iter_rows(min_row=6):
        for j, cell in enumerate(row[first_task:]):
            cell.value = value_for(j)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_template_round_trip_all_or_nothing(rule_world) -> None:
    a = ru4_2026()
    s = recheck_sample_create(assessment_id=a.pk, size=4, method="random", seed=2, scope=SYSTEM)
    template = recheck_template_xlsx(s, recheck_works(SYSTEM, s))
    bad = fill(template, lambda j: 7 if j == 0 else 0)  # task 1 has max 2
    with pytest.raises(ValidationFailed) as err:
        recheck_upload_xlsx(sample_id=s.pk, data=bad, scope=SYSTEM)
    assert "строка 6" in err.value.message and "1 (2б)" in err.value.message
    assert not RecheckWork.objects.filter(sample=s, commission_scores__isnull=False).exists()
    good = fill(template, lambda j: 1)
    outcome = recheck_upload_xlsx(sample_id=s.pk, data=good, scope=SYSTEM)
    assert outcome == {"saved": 4, "skipped": 0}
    for w in s.works.all():
        assert w.commission_scores == [1.0] * 12
        assert w.commission_primary == 12.0
        assert w.delta_primary == 12.0 - w.school_primary
