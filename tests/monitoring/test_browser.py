"""A school user fills and submits a monitoring form in a real browser (with the check as
you type), and a respondent answers an anonymous survey on a phone-sized screen."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from soko.monitoring import services
from soko.monitoring.models import Submission, SurveyResponse
from soko.monitoring.selectors import questionnaire_get
from tests.monitoring.conftest import scope_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SMALL_FORM = {
    "code": "browser_check",
    "title": "Кружки и секции",
    "direction": "upbringing",
    "sections": [{"title": "Охват", "fields": [
        {"code": "bc_total", "label": "Число обучающихся", "kind": "integer", "min": 0},
        {"code": "bc_clubs", "label": "Занимаются в кружках", "kind": "integer", "min": 0},
        {"code": "bc_plan", "label": "План воспитательной работы утверждён", "kind": "boolean"},
        {"code": "bc_level", "label": "Уровень вовлечённости", "kind": "choice", "options": [
            {"code": "low", "label": "низкий"}, {"code": "high", "label": "высокий"}]},
    ]}],
    "rules": [{"kind": "le", "left": ["bc_clubs"], "right": ["bc_total"]}],
}


def login(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pass-12345")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/dashboard/")


def test_a_school_fills_and_submits_a_form(page, live_server, forms, tmp_path: Path) -> None:
    template = services.form_template_save(data=SMALL_FORM)
    campaign = services.campaign_create(scope=scope_of(forms.authority), template=template,
                                        year=2026, deadline=dt.date(2030, 1, 1),
                                        organizations=[forms.school_a])
    login(page, live_server, "school_a")
    page.goto(f"{live_server.url}/monitoring/")
    page.click("[data-testid=my-forms] >> text=Заполнить")
    page.wait_for_selector("[data-testid=form-title]")
    page.fill("#id_bc_total", "120")
    page.fill("#id_bc_clubs", "150")
    page.wait_for_selector("#err-bc_clubs >> text=не может быть больше")  # checked as typed
    assert "Занимаются в кружках" in page.inner_text("#err-bc_clubs")
    page.click("[data-testid=submit]")
    page.wait_for_selector("[data-testid=form-errors]")
    assert "Заполните поле «План воспитательной работы утверждён»." in page.inner_text(
        "[data-testid=form-errors]")
    page.fill("#id_bc_clubs", "84")
    page.check("#bc_plan-yes")
    page.check("#bc_level-high")
    page.wait_for_function("document.querySelector('#err-bc_clubs').innerText.trim() === ''")
    page.screenshot(path=str(tmp_path / "form.png"), full_page=True)
    page.click("[data-testid=submit]")
    page.wait_for_selector("text=Форма представлена.")
    sub = Submission.objects.get(campaign=campaign)
    assert sub.status == "submitted"
    assert sub.values == {"bc_total": 120, "bc_clubs": 84, "bc_plan": True, "bc_level": "high"}


def test_a_respondent_answers_a_survey_on_a_phone(browser, live_server, forms,
                                                  tmp_path: Path) -> None:
    survey = services.survey_create(
        scope=scope_of(forms.authority), questionnaire=questionnaire_get("pupils_career"),
        year=2026, opens=dt.date(2020, 1, 1), closes=dt.date(2035, 1, 1),
        organizations=[forms.school_a],
    )
    participant = survey.participants.get()
    context = browser.new_context(locale="ru-RU", viewport={"width": 375, "height": 740},
                                  is_mobile=True, has_touch=True)
    phone = context.new_page()
    phone.set_default_timeout(15000)
    try:
        phone.goto(f"{live_server.url}/monitoring/s/{participant.slug}/")
        assert "Профессиональные предпочтения" in phone.inner_text(
            "[data-testid=survey-heading]")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 375  # no horizontal scrolling on a phone
        phone.click("[data-testid=send]")  # nothing chosen: the questions are marked
        phone.wait_for_selector("[data-testid=answer-errors]")
        for fieldset in phone.query_selector_all("fieldset[data-question]"):
            fieldset.query_selector("label.choice").tap()
        phone.screenshot(path=str(tmp_path / "survey-phone.png"), full_page=True)
        phone.click("[data-testid=send]")
        phone.wait_for_selector("[data-testid=thanks]")
        assert "Спасибо! Ответ принят" in phone.inner_text("[data-testid=thanks]")
        phone.goto(f"{live_server.url}/monitoring/s/{participant.slug}/")
        assert "Вы уже ответили" in phone.inner_text("[data-testid=thanks]")
    finally:
        context.close()
    participant.refresh_from_db()
    assert participant.responses == 1
    answer = SurveyResponse.objects.get()
    assert answer.choices["pup_grade"] == ["g8"] and answer.choices["pup_spheres"] == ["it"]
