"""A campaign's life: send, fill, save, submit, return with a comment, resubmit, accept; late
and overdue forms; history kept; the authority fills on behalf of a school."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from soko.core.errors import ApplicationError, ValidationFailed
from soko.monitoring import selectors, services
from soko.monitoring.models import Campaign, FormValue, Submission
from tests.monitoring.conftest import scope_of, send, submission_of, valid_raw

pytestmark = pytest.mark.django_db


def test_a_campaign_gives_every_addressee_a_form(forms) -> None:
    campaign = send("teachers", orgs=None, scope=scope_of(forms.authority))
    orgs = set(campaign.submissions.values_list("organization__code", flat=True))
    assert orgs == {"sch990001", "sch990002"}  # the authority's municipality only
    assert set(campaign.submissions.values_list("status", flat=True)) == {"assigned"}
    summary = selectors.campaign_summary(scope_of(forms.authority), campaign)
    assert (summary.total, summary.done, summary.percent) == (2, 0, 0)


def test_the_same_form_cannot_go_twice_to_a_school_for_one_year(forms) -> None:
    send("teachers", orgs=[forms.school_a])
    with pytest.raises(ApplicationError, match="уже отправлена этим организациям: СОШ № 1"):
        send("teachers", orgs=[forms.school_a, forms.school_b])
    send("teachers", year=2025, orgs=[forms.school_a])  # another year is fine


def test_only_the_authority_sends_campaigns(forms) -> None:
    for user in (forms.user_a, forms.methodologist):
        with pytest.raises(PermissionDenied):
            send("teachers", scope=scope_of(user))


def test_fill_submit_return_resubmit_accept(forms) -> None:
    campaign = send("teachers", orgs=[forms.school_a, forms.school_b])
    sub = submission_of(campaign, forms.school_a)
    school = scope_of(forms.user_a)
    uo = scope_of(forms.authority)
    spec = campaign.template.spec

    draft = services.submission_save(scope=school, submission=sub,
                                     raw={"tch_total": "40", "tch_young": "50"},
                                     user=forms.user_a)
    sub.refresh_from_db()
    assert sub.status == "draft"
    assert draft.errors["tch_young"] == [
        "Значение поля «из них молодые педагоги (стаж до 3 лет)» (50) не может быть больше "
        "значения поля «Педагогические работники» (40)."
    ]

    bad = services.submission_submit(scope=school, submission=sub,
                                     raw=valid_raw(spec, tch_total="", tch_young="3"),
                                     user=forms.user_a)
    sub.refresh_from_db()
    assert not bad.ok and "Заполните поле «Педагогические работники»." in bad.errors["tch_total"]
    assert sub.status == "draft" and sub.raw["tch_young"] == "3"  # input kept

    good = valid_raw(spec, tch_total="40", tch_young="4", tch_young_mentored="3")
    assert services.submission_submit(scope=school, submission=sub, raw=good,
                                      user=forms.user_a).ok
    sub.refresh_from_db()
    assert sub.status == "submitted" and sub.values["tch_total"] == 40
    assert not FormValue.objects.filter(submission=sub).exists()  # not accepted yet

    with pytest.raises(ApplicationError, match="Форма уже представлена"):
        services.submission_save(scope=school, submission=sub, raw=good)
    with pytest.raises(PermissionDenied):
        services.submission_return(scope=school, submission=sub, comment="сам себе")
    with pytest.raises(ValidationFailed, match="комментарий обязателен"):
        services.submission_return(scope=uo, submission=sub, comment=" ")

    services.submission_return(scope=uo, submission=sub, comment="Уточните число молодых "
                               "педагогов по штатному расписанию.", user=forms.authority)
    sub.refresh_from_db()
    assert sub.status == "returned" and "штатному расписанию" in sub.return_comment

    fixed = {**good, "tch_young": "5", "tch_young_mentored": "5"}
    services.submission_save(scope=school, submission=sub, raw=fixed, user=forms.user_a)
    sub.refresh_from_db()
    assert sub.status == "returned"  # still waiting for the corrected form
    assert services.submission_submit(scope=school, submission=sub, user=forms.user_a).ok
    sub.refresh_from_db()
    assert sub.status == "submitted" and sub.values["tch_young"] == 5

    services.submission_accept(scope=uo, submission=sub, user=forms.authority)
    sub.refresh_from_db()
    assert sub.status == "accepted" and sub.accepted_at is not None
    assert FormValue.objects.get(submission=sub, name="tch_young").value == 5.0

    history = [(e.action, e.comment) for e in selectors.submission_history(sub)]
    assert [a for a, _ in history] == ["save", "save", "submit", "return", "save", "submit",
                                       "accept"]
    assert history[3][1].startswith("Уточните число")

    summary = selectors.campaign_summary(uo, campaign)
    assert summary.by_status == {"accepted": 1, "assigned": 1}
    assert (summary.done, summary.percent) == (1, 50)


def test_returning_an_accepted_form_withdraws_its_values(forms) -> None:
    campaign = send("teachers", orgs=[forms.school_a])
    sub = submission_of(campaign, forms.school_a)
    spec = campaign.template.spec
    services.submission_submit(scope=scope_of(forms.user_a), submission=sub,
                               raw=valid_raw(spec, tch_total="12"))
    services.submission_accept(scope=scope_of(forms.authority), submission=sub)
    assert FormValue.objects.filter(submission=sub).count() > 10
    services.submission_return(scope=scope_of(forms.authority), submission=sub,
                               comment="Неверная численность.")
    assert not FormValue.objects.filter(submission=sub).exists()


def test_late_and_overdue(forms) -> None:
    campaign = send("teachers", orgs=[forms.school_a, forms.school_b],
                    deadline=dt.date(2026, 3, 1))
    spec = campaign.template.spec
    a, b = submission_of(campaign, forms.school_a), submission_of(campaign, forms.school_b)
    with time_machine.travel(dt.datetime(2026, 2, 27, 12, tzinfo=dt.UTC)):
        services.submission_submit(scope=scope_of(forms.user_a), submission=a,
                                   raw=valid_raw(spec))
        assert not selectors.submission_is_overdue(b)
    with time_machine.travel(dt.datetime(2026, 3, 5, 12, tzinfo=dt.UTC)):
        b.refresh_from_db()
        assert selectors.submission_is_overdue(b)
        summary = selectors.campaign_summary(scope_of(forms.authority), campaign)
        assert summary.overdue == 1
        assert [s.organization.code for s in
                selectors.overdue_submissions(scope_of(forms.authority))] == ["sch990002"]
        services.submission_submit(scope=scope_of(forms.user_b), submission=b,
                                   raw=valid_raw(spec))
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.submitted_late, b.submitted_late) == (False, True)
    summary = selectors.campaign_summary(scope_of(forms.authority), campaign,
                                         today=dt.date(2026, 3, 6))
    assert (summary.overdue, summary.late_submitted, summary.done) == (0, 1, 2)


def test_the_authority_fills_on_behalf_of_a_school(forms) -> None:
    campaign = send("teachers", orgs=[forms.school_a])
    sub = submission_of(campaign, forms.school_a)
    result = services.submission_submit(scope=scope_of(forms.authority), submission=sub,
                                        raw=valid_raw(campaign.template.spec, tch_total="9"),
                                        user=forms.authority)
    assert result.ok
    event = selectors.submission_history(sub).get(action="submit")
    assert event.on_behalf and event.user == forms.authority


def test_a_closed_campaign_cannot_be_edited_by_a_school(forms) -> None:
    campaign = send("teachers", orgs=[forms.school_a])
    services.campaign_set_status(scope=scope_of(forms.authority), campaign=campaign,
                                 status=Campaign.Status.CLOSED)
    sub = submission_of(campaign, forms.school_a)
    with pytest.raises(ApplicationError, match="Сбор по этой кампании завершён"):
        services.submission_save(scope=scope_of(forms.user_a), submission=sub, raw={})


def test_without_review_a_submitted_form_is_accepted_at_once(forms) -> None:
    campaign = send("teachers", orgs=[forms.school_a], review=False)
    sub = submission_of(campaign, forms.school_a)
    services.submission_submit(scope=scope_of(forms.user_a), submission=sub,
                               raw=valid_raw(campaign.template.spec, tch_total="7"))
    sub.refresh_from_db()
    assert sub.status == Submission.Status.ACCEPTED
    assert FormValue.objects.get(organization=forms.school_a, year=2026,
                                 name="tch_total").value == 7.0


def test_accept_all_accepts_only_submitted_forms(forms) -> None:
    campaign = send("teachers", orgs=[forms.school_a, forms.school_b])
    sub = submission_of(campaign, forms.school_a)
    services.submission_submit(scope=scope_of(forms.user_a), submission=sub,
                               raw=valid_raw(campaign.template.spec))
    n = services.submissions_accept_all(scope=scope_of(forms.authority), campaign=campaign)
    assert n == 1
    assert dict(campaign.submissions.values_list("organization__code", "status")) == {
        "sch990001": "accepted", "sch990002": "assigned"}
