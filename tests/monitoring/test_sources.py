"""The `form` and `survey` indicator sources return exactly the values of accepted forms and
anonymous answers, computed here by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from soko.accounts.scope import SYSTEM
from soko.indicators.sources import source
from soko.monitoring import services
from soko.monitoring.selectors import questionnaire_get
from tests.monitoring.conftest import scope_of, send, submission_of, valid_raw

pytestmark = pytest.mark.django_db


def rows(table) -> list[tuple[int, int, float | None]]:
    assert table.column_names == ["org_id", "year", "value"]
    return sorted(zip(*(table.column(c).to_pylist() for c in table.column_names), strict=True))


def submit(forms, campaign, org, user, accept=True, **values) -> None:
    sub = submission_of(campaign, org)
    scope = SYSTEM if user is None else scope_of(user)
    result = services.submission_submit(scope=scope, submission=sub,
                                        raw=valid_raw(campaign.template.spec, **values))
    assert result.ok, result.errors
    if accept:
        services.submission_accept(scope=scope_of(forms.authority), submission=sub)


def test_form_source_returns_accepted_values_only(forms) -> None:
    a, b, far = forms.school_a, forms.school_b, forms.school_far
    c26 = send("career", orgs=[a, b, far])
    c25 = send("career", year=2025, orgs=[a])
    submit(forms, c26, a, forms.user_a, career_students_total="300",
           career_students_6_11="180", career_bilet_participants="72")
    submit(forms, c26, b, forms.user_b, career_students_total="500",
           career_students_6_11="250", career_bilet_participants="100")
    submit(forms, c26, far, None, accept=False, career_students_6_11="90",
           career_students_total="90", career_bilet_participants="90")  # submitted only
    submit(forms, c25, a, forms.user_a, career_students_total="290",
           career_students_6_11="170", career_bilet_participants="51")
    provider = source("form").provider
    got = rows(provider("career_bilet_participants", [2025, 2026]))
    assert got == [(a.pk, 2025, 51.0), (a.pk, 2026, 72.0), (b.pk, 2026, 100.0)]
    assert rows(provider("career_bilet_participants", [2026])) == [(a.pk, 2026, 72.0),
                                                                   (b.pk, 2026, 100.0)]
    assert rows(provider("submitted.career", [])) == [(a.pk, 2025, 1.0), (a.pk, 2026, 1.0),
                                                      (b.pk, 2026, 1.0)]
    # what career.bilet_coverage computes for the municipality in 2026: (72 + 100) / (180 + 250)
    num = sum(v for _, y, v in got if y == 2026)
    den = sum(v for _, y, v in rows(provider("career_students_6_11", [2026])))
    assert round(100 * num / den, 2) == 40.0


def test_yes_no_choices_and_tables_become_numbers(forms) -> None:
    a, b = forms.school_a, forms.school_b
    risk = send("risk_profile", orgs=[a, b])
    submit(forms, risk, a, forms.user_a, risk_equipment="high", rp_curator="да",
           rp_priorities=["risk_equipment", "risk_low_motivation"])
    submit(forms, risk, b, forms.user_b, risk_equipment="medium", rp_curator="нет")
    provider = source("form").provider
    assert rows(provider("risk_equipment", [2026])) == [(a.pk, 2026, 3.0), (b.pk, 2026, 2.0)]
    assert rows(provider("risk_equipment.high", [2026])) == [(a.pk, 2026, 1.0),
                                                             (b.pk, 2026, 0.0)]
    assert rows(provider("rp_curator", [2026])) == [(a.pk, 2026, 1.0), (b.pk, 2026, 0.0)]
    assert rows(provider("rp_priorities.risk_low_motivation", [2026])) == [
        (a.pk, 2026, 1.0), (b.pk, 2026, 0.0)]

    talents = send("talents", orgs=[a])
    contests = [
        {"student_code": "S1", "grade": "8", "contest": "Старт в науку", "level": "municipal",
         "field": "intellectual", "result": "prize"},
        {"student_code": "S2", "grade": "9", "contest": "Живая классика", "level": "regional",
         "field": "artistic", "result": "winner"},
        {"student_code": "S3", "grade": "9", "contest": "Живая классика", "level": "school",
         "field": "artistic", "result": "participant"},
    ]
    submit(forms, talents, a, forms.user_a, talent_contests=contests)
    assert rows(provider("talent_contests.rows", [2026])) == [(a.pk, 2026, 3.0)]
    assert rows(provider("talent_contests.result.winner", [2026])) == [(a.pk, 2026, 1.0)]
    assert rows(provider("talent_contests.grade", [2026])) == [(a.pk, 2026, 26.0)]


def test_the_form_source_lists_its_names(forms) -> None:
    names = dict(source("form").names())
    assert names["career_bilet_participants"].startswith("Обучающиеся 6–11 классов")
    assert "risk_equipment.high" in names and "submitted.preschool" in names


def test_survey_source_counts_answers(forms) -> None:
    a, b = forms.school_a, forms.school_b
    survey = services.survey_create(
        scope=scope_of(forms.authority), questionnaire=questionnaire_get("parents_quality"),
        year=2026, opens=dt.date(2026, 10, 1), closes=dt.date(2026, 10, 31),
        organizations=[a, b], expected={"sch990001": 40, "sch990002": 25},
    )
    pa, pb = (survey.participants.get(organization=o) for o in (a, b))
    base = {"par_grade_band": "g1_4", "par_teaching": "full", "par_safety": "yes",
            "par_info": "yes", "par_marks_fair": "yes", "par_extra": "yes",
            "par_involvement": "often", "par_recommend": "yes"}
    plan = [(pa, "full"), (pa, "full"), (pa, "mostly"), (pa, "no"), (pb, "mostly"),
            (pb, "unsure")]
    day = dt.date(2026, 10, 5)
    for participant, overall in plan:
        token = services.survey_issue_token(participant=participant)
        answer = services.survey_respond(participant=participant, token=token,
                                         raw={**base, "par_overall": overall}, today=day)
        assert answer.ok
    provider = source("survey").provider
    assert rows(provider("par_overall.full", [2026])) == [(a.pk, 2026, 2.0), (b.pk, 2026, 0.0)]
    assert rows(provider("par_overall.mostly", [2026])) == [(a.pk, 2026, 1.0),
                                                            (b.pk, 2026, 1.0)]
    assert rows(provider("par_overall.total", [2026])) == [(a.pk, 2026, 4.0), (b.pk, 2026, 2.0)]
    assert rows(provider("par_improve.total", [2026])) == [(a.pk, 2026, 0.0), (b.pk, 2026, 0.0)]
    assert rows(provider("parents_quality.responses", [2026])) == [(a.pk, 2026, 4.0),
                                                                   (b.pk, 2026, 2.0)]
    assert rows(provider("parents_quality.expected", [2026])) == [(a.pk, 2026, 40.0),
                                                                  (b.pk, 2026, 25.0)]
    assert rows(provider("par_overall.full", [2025])) == []
    # low_results.parents_satisfied for the two schools: (2 + 1 + 0 + 1) / (4 + 2) = 66,7 %
    assert round(100 * (2 + 1 + 0 + 1) / (4 + 2), 1) == 66.7
