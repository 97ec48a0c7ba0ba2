"""The computation on imported files: the 30 % rule end to end, review kept across
recomputation, persistence, the indicator sources."""

from __future__ import annotations

import pytest

from soko.accounts.scope import SYSTEM, scope_for_user
from soko.core.errors import ApplicationError
from soko.risks.models import Flag, FlagKind, FlagStatus, SchoolYearRisk
from soko.risks.selectors import flag_list
from soko.risks.services import flag_review, risks_compute
from soko.risks.sources import flags_provider

pytestmark = pytest.mark.django_db


def low_flags() -> dict[tuple[str, int], Flag]:
    return {
        (f.organization.code, f.year): f
        for f in Flag.objects.filter(kind=FlagKind.LOW_RESULTS).select_related("organization")
    }


def test_rule_30pct_end_to_end(rule_world) -> None:
    summary = risks_compute()
    assert summary["years"] == [2025, 2026]
    flags = low_flags()
    assert set(flags) == {("sch990001", 2026)}
    flag = flags[("sch990001", 2026)]
    assert "rule_30pct" in flag.codes
    works = {w["label"]: w for w in flag.evidence["rule_30pct"]["works"]}
    ru = works["ВПР РУ 4 кл."]
    assert (ru["n"], ru["n2"], ru["share"], ru["fails"], ru["repeated"]) == (10, 3, 0.3, True,
                                                                             True)
    assert flag.evidence["thresholds"]["low_results.rule_30pct.share"]["source"]["code"] == (
        "rosobrnadzor-risk-indicator-1336"
    )
    far = SchoolYearRisk.objects.get(organization__code="sch990101", year=2026)
    assert not far.rule_30pct  # 9 participants: not counted
    b = SchoolYearRisk.objects.get(organization__code="sch990002", year=2026)
    assert not b.rule_30pct


def test_review_is_kept_across_recomputation(rule_world) -> None:
    risks_compute()
    flag = low_flags()[("sch990001", 2026)]
    authority = scope_for_user(rule_world.personas.authority)
    flag_review(flag_id=flag.pk, status=FlagStatus.DISMISSED, comment="Комиссия проверила",
                scope=authority, user=rule_world.personas.authority)
    risks_compute()
    again = low_flags()[("sch990001", 2026)]
    assert again.pk == flag.pk
    assert again.status == FlagStatus.DISMISSED and again.current
    history = list(again.reviews.all())
    assert [(r.status, r.comment, r.user_name) for r in history] == [
        ("dismissed", "Комиссия проверила", "Ирина Управленцева")
    ]
    # dismissed flags stay visible as dismissed
    listed = list(flag_list(authority, kind=FlagKind.LOW_RESULTS))
    assert [f.status for f in listed] == ["dismissed"]
    # and do not count in the indicator source
    table = flags_provider("low_results", [2026]).to_pylist()
    a_id = rule_world.personas.school_a.pk
    assert {r["org_id"]: r["value"] for r in table}[a_id] == 0.0


def test_review_rules(rule_world) -> None:
    risks_compute()
    flag = low_flags()[("sch990001", 2026)]
    p = rule_world.personas
    with pytest.raises(ApplicationError, match="причину"):
        flag_review(flag_id=flag.pk, status="dismissed", comment=" ",
                    scope=scope_for_user(p.authority), user=p.authority)
    for user in (p.methodologist, p.user_a):
        with pytest.raises(ApplicationError, match="орган управления"):
            flag_review(flag_id=flag.pk, status="confirmed", comment="",
                        scope=scope_for_user(user), user=user)
    flag_review(flag_id=flag.pk, status="confirmed", comment="", scope=SYSTEM)
    flag.refresh_from_db()
    assert flag.status == "confirmed" and flag.reviews.count() == 1


def test_a_reviewed_flag_that_no_longer_fires_stays_not_current(rule_world) -> None:
    risks_compute()
    flag = low_flags()[("sch990001", 2026)]
    flag_review(flag_id=flag.pk, status="confirmed", comment="Подтверждено", scope=SYSTEM)
    from soko.catalog.models import Parameter

    Parameter.objects.filter(code="low_results.rule_30pct.share").update(value=0.5)
    risks_compute()
    kept = Flag.objects.get(pk=flag.pk)
    assert not kept.current and kept.status == "confirmed"


def test_persistence_over_consecutive_years(rule_world) -> None:
    from soko.catalog.models import Parameter

    # with one procedure and one year, A is flagged in 2025 and 2026 → 2026 is persistent
    Parameter.objects.filter(code="low_results.rule_30pct.min_procedures").update(value=1)
    Parameter.objects.filter(code="low_results.rule_30pct.consecutive_years").update(value=1)
    risks_compute()
    flags = low_flags()
    assert not flags[("sch990001", 2025)].persistent
    assert flags[("sch990001", 2026)].persistent
    flag_review(flag_id=flags[("sch990001", 2025)].pk, status="dismissed", comment="ошибка",
                scope=SYSTEM)
    assert not Flag.objects.get(pk=flags[("sch990001", 2026)].pk).persistent


def test_flags_source_gives_zero_to_schools_without_flags(rule_world) -> None:
    risks_compute()
    rows = {r["org_id"]: r["value"] for r in flags_provider("low_results", [2026]).to_pylist()}
    p = rule_world.personas
    assert rows[p.school_a.pk] == 1.0
    assert rows[p.school_b.pk] == 0.0
    assert rows[rule_world.school_c.pk] == 0.0
    assessed = flags_provider("assessed", [2026]).to_pylist()
    assert all(r["value"] == 1.0 for r in assessed) and len(assessed) == 4


def test_indicator_sources_are_registered() -> None:
    from soko.indicators.sources import source

    flags = source("flags")
    recheck = source("recheck")
    assert flags is not None and recheck is not None
    assert ("low_results", "Число флагов «низкие результаты (ШНОР)» (не отклонённых)") in (
        flags.names()
    )
    assert [n for n, _ in recheck.names()] == ["checked", "objective"]


def test_undone_year_loses_unreviewed_flags(rule_world, monkeypatch) -> None:
    from soko.imports import services as imports
    from soko.imports.models import ImportBatch

    risks_compute()
    assert ("sch990001", 2026) in low_flags()
    monkeypatch.setattr(imports, "_HOOKS", [])  # recompute below, this area only
    for batch in ImportBatch.objects.filter(file_name__startswith="vpr-2026"):
        imports.import_undo(batch_id=batch.pk)
    summary = risks_compute()
    assert summary["years"] == [2025]
    assert low_flags() == {}
    assert not SchoolYearRisk.objects.filter(year=2026).exists()
