"""Anonymous surveys: no personal data stored, one answer per one-time key, response rates,
groups under the minimum size hidden but counted in totals, the public page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client

from soko.core.errors import ApplicationError
from soko.monitoring import selectors, services
from soko.monitoring.models import SurveyResponse, SurveyTally, SurveyToken
from soko.monitoring.selectors import questionnaire_get
from tests.monitoring.conftest import scope_of

pytestmark = pytest.mark.django_db

ANSWER = {"par_grade_band": "g5_9", "par_overall": "mostly", "par_teaching": "full",
          "par_safety": "yes", "par_info": "rather_yes", "par_marks_fair": "yes",
          "par_extra": "rather_no", "par_involvement": "sometimes",
          "par_improve": ["food", "equipment"], "par_recommend": "yes"}
DAY = dt.date(2026, 10, 10)


@pytest.fixture
def survey(forms):
    return services.survey_create(
        scope=scope_of(forms.authority), questionnaire=questionnaire_get("parents_quality"),
        year=2026, opens=dt.date(2026, 10, 1), closes=dt.date(2026, 10, 31),
        organizations=[forms.school_a, forms.school_b], expected={"sch990001": 20},
    )


def answer(participant, raw=None, token=None):
    token = token or services.survey_issue_token(participant=participant)
    return services.survey_respond(participant=participant, token=token, raw=raw or ANSWER,
                                   today=DAY)


def test_no_personal_data_is_stored(survey) -> None:
    participant = survey.participants.first()
    answer(participant, {**ANSWER, "name": "Иванова Мария", "email": "m@example.ru"})
    response = SurveyResponse.objects.get()
    assert {f.name for f in SurveyResponse._meta.get_fields()} == {"id", "participant", "day",
                                                                   "choices"}
    assert response.day == DAY
    assert set(response.choices) == set(ANSWER)
    assert "Иванова" not in str(response.choices) and "example.ru" not in str(response.choices)
    token_fields = {f.name for f in SurveyToken._meta.get_fields()}
    assert token_fields == {"id", "participant", "digest", "printed", "used"}  # no link back


def test_a_second_answer_with_the_same_key_is_refused(survey) -> None:
    participant = survey.participants.first()
    token = services.survey_issue_token(participant=participant)
    assert answer(participant, token=token).ok
    with pytest.raises(ApplicationError, match="Ответ с этим ключом уже принят"):
        answer(participant, token=token)
    with pytest.raises(ApplicationError, match="нет ключа ответа"):
        services.survey_respond(participant=participant, token="", raw=ANSWER, today=DAY)
    participant.refresh_from_db()
    assert participant.responses == 1 and SurveyResponse.objects.count() == 1
    stored = SurveyToken.objects.get(participant=participant)
    assert stored.used and token not in stored.digest  # only the digest is kept


def test_an_invalid_answer_spends_nothing(survey) -> None:
    participant = survey.participants.first()
    token = services.survey_issue_token(participant=participant)
    result = answer(participant, {**ANSWER, "par_overall": "", "par_improve": ["a", "b"]},
                    token=token)
    assert result.errors == {
        "par_overall": "Ответьте на вопрос «В целом вы удовлетворены качеством образования, "
                       "которое получает ваш ребёнок?».",
        "par_improve": "Вопрос «Что в школе нужно улучшить в первую очередь? (не более трёх "
                       "вариантов)»: выберите вариант из списка.",
    }
    assert not SurveyToken.objects.get(participant=participant).used
    assert answer(participant, token=token).ok


def test_answers_outside_the_period_are_refused(survey) -> None:
    participant = survey.participants.first()
    token = services.survey_issue_token(participant=participant)
    with pytest.raises(ApplicationError, match="сейчас ответы не принимаются"):
        services.survey_respond(participant=participant, token=token, raw=ANSWER,
                                today=dt.date(2026, 11, 1))


def test_invitation_codes_work_once(forms, survey) -> None:
    participant = survey.participants.get(organization=forms.school_a)
    codes = services.survey_codes_issue(scope=scope_of(forms.authority),
                                        participant=participant, count=3)
    assert len(set(codes)) == 3 and all(len(c) == 11 for c in codes)
    assert answer(participant, token=codes[0].lower()).ok  # typed in lower case
    with pytest.raises(ApplicationError):
        answer(participant, token=codes[0])


def test_response_rate_against_expected(forms, survey) -> None:
    a = survey.participants.get(organization=forms.school_a)
    for _ in range(5):
        answer(a)
    rows = {r.participant.organization.code: r
            for r in selectors.survey_participants(scope_of(forms.authority), survey)}
    assert rows["sch990001"].rate == 5 / 20 and rows["sch990001"].low  # below 30 %
    assert rows["sch990002"].rate is None  # expected not entered
    services.survey_set_expected(scope=scope_of(forms.authority),
                                 participant=rows["sch990002"].participant, expected=8)
    summary = selectors.survey_list(scope_of(forms.authority))[0]
    assert (summary.responses, summary.expected) == (5, 28)


def test_groups_under_the_minimum_size_are_hidden_but_counted(forms, survey) -> None:
    a = survey.participants.get(organization=forms.school_a)
    b = survey.participants.get(organization=forms.school_b)
    for _ in range(8):
        answer(a, {**ANSWER, "par_overall": "full"})
    for _ in range(4):
        answer(b, {**ANSWER, "par_overall": "no"})
    scope = scope_of(forms.authority)
    small = selectors.survey_results(scope, survey, organization=forms.school_a)
    assert small.suppressed and small.responses == 8
    assert all(o.count == 0 and o.share is None for q in small.questions for o in q.options)
    total = selectors.survey_results(scope, survey)
    assert not total.suppressed and total.responses == 12
    overall = next(q for q in total.questions if q.code == "par_overall")
    counts = {o.code: o.count for o in overall.options}
    assert counts == {"full": 8, "mostly": 0, "rather_not": 0, "no": 4, "unsure": 0}
    assert overall.answered == 12 and round(overall.options[0].share, 4) == round(8 / 12, 4)
    assert {p.organization.code: hidden for p, hidden in total.organizations} == {
        "sch990001": True, "sch990002": True}
    # a school sees its own group only, which is hidden
    own = selectors.survey_results(scope_of(forms.user_b), survey)
    assert own.suppressed and own.responses == 4


def test_tallies_match_a_recount_from_the_answers(survey) -> None:
    participant = survey.participants.first()
    for overall in ("full", "mostly", "mostly"):
        answer(participant, {**ANSWER, "par_overall": overall})
    before = set(SurveyTally.objects.values_list("participant_id", "question", "option", "count"))
    services.survey_recount(survey=survey)
    after = set(SurveyTally.objects.values_list("participant_id", "question", "option", "count"))
    assert before == after
    assert (participant.pk, "par_improve", "total", 3) in after
    assert (participant.pk, "par_improve", "food", 3) in after


def test_the_public_page_works_without_login_and_answers_once(client: Client, forms,
                                                               survey, settings) -> None:
    participant = survey.participants.get(organization=forms.school_a)
    url = f"/monitoring/s/{participant.slug}/"
    import time_machine

    with time_machine.travel(dt.datetime(2026, 10, 12, 9, tzinfo=dt.UTC)):
        page = client.get(url)
        assert page.status_code == 200
        body = page.content.decode()
        assert "Удовлетворённость родителей качеством образования" in body
        token = page.context["token"]
        response = client.post(url, {**ANSWER, "token": token})
        assert response.status_code == 200 and "Спасибо! Ответ принят" in response.content.decode()
        again = client.get(url)
        assert "Вы уже ответили на эту анкету" in again.content.decode()
        other = Client()  # another device: a new key
        page = other.get(url)
        replay = other.post(url, {**ANSWER, "token": token})  # the spent key
        assert replay.status_code == 400 and "уже принят" in replay.content.decode()
        assert other.post(url, {**ANSWER, "token": page.context["token"]}).status_code == 200
    participant.refresh_from_db()
    assert participant.responses == 2
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM monitoring_surveyresponse")
        stored = repr(cur.fetchall())
    assert "127.0.0.1" not in stored and "Mozilla" not in stored


def test_an_unknown_link_is_404(client: Client, forms) -> None:
    assert client.get("/monitoring/s/nope/").status_code == 404
