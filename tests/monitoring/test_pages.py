"""The monitoring pages render for each role, the form page validates as the user types
(HTMX) and on the server with Russian messages naming the field, exports are real XLSX."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.test import Client

from soko.monitoring import services
from soko.monitoring.selectors import questionnaire_get
from tests.monitoring.conftest import scope_of, send, submission_of, valid_raw

pytestmark = pytest.mark.django_db


def login(client: Client, username: str) -> Client:
    assert client.login(username=username, password="pass-12345")
    return client


@pytest.fixture
def campaign(forms):
    return send("talents", orgs=[forms.school_a, forms.school_b], deadline=dt.date(2026, 1, 10))


def test_the_authority_home_shows_completeness_and_overdue(client: Client, forms,
                                                           campaign) -> None:
    page = login(client, "uo").get("/monitoring/").content.decode()
    assert "Мониторинг выявления, поддержки и развития способностей" in page
    assert "0 из 2" in page and "Просроченные формы" in page
    assert "Мониторинги" in page  # the menu entry resolves


def test_the_school_home_lists_its_forms(client: Client, forms, campaign) -> None:
    page = login(client, "school_a").get("/monitoring/").content.decode()
    assert 'data-testid="my-forms"' in page and "Заполнить" in page
    assert "просрочена" in page


def test_form_catalog_and_description(client: Client, forms) -> None:
    login(client, "metod")
    catalog = client.get("/monitoring/forms/").content.decode()
    for title in ("Рисковый профиль ОО (проект «500+»)",
                  "Мониторинг качества дошкольного образования (ДОО)"):
        assert title in catalog
    detail = client.get("/monitoring/forms/risk_profile/").content.decode()
    assert "Низкий уровень оснащения школы" in detail and "form.risk_equipment.high" in detail
    assert "вторичный источник" in detail  # the [R] list is not presented as official


def test_server_side_validation_names_the_field(client: Client, forms, campaign) -> None:
    sub = submission_of(campaign, forms.school_a)
    login(client, "school_a")
    raw = valid_raw(campaign.template.spec, tal_students_total="100", tal_other_forms="150")
    response = client.post(f"/monitoring/submissions/{sub.pk}/", {**raw, "action": "submit"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Форма не представлена: исправьте ошибки (1)" in body
    assert ("Значение поля «Обучающиеся, охваченные иными формами развития образовательных "
            "достижений") in body
    sub.refresh_from_db()
    assert sub.status == "draft" and sub.raw["tal_other_forms"] == "150"


def test_htmx_check_returns_errors_for_every_field(client: Client, forms, campaign) -> None:
    sub = submission_of(campaign, forms.school_a)
    login(client, "school_a")
    response = client.post(f"/monitoring/submissions/{sub.pk}/check/",
                           {"tal_students_total": "10", "tal_shifts": "12",
                            "tal_teachers": "пять"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert 'id="err-tal_shifts" class="invalid-feedback d-block" aria-live="polite" ' \
           'hx-swap-oob="true"><div>Значение поля «Обучающиеся — участники профильных ' \
           'образовательных смен» (12) не может быть больше' in body
    assert "Поле «Педагогические работники»: введите целое число (введено «пять»)." in body
    assert "Заполните поле" not in body  # blanks are fine while typing
    sub.refresh_from_db()
    assert sub.status == "assigned"  # checking saves nothing


def test_a_table_gets_new_rows_and_is_parsed(client: Client, forms, campaign) -> None:
    sub = submission_of(campaign, forms.school_a)
    login(client, "school_a")
    row = client.get(f"/monitoring/submissions/{sub.pk}/row/talent_contests/?i=7")
    assert 'name="talent_contests__7__contest"' in row.content.decode()
    raw = valid_raw(campaign.template.spec)
    del raw["talent_contests"]
    post = {**raw, "action": "submit",
            "talent_contests__0__student_code": "S-1", "talent_contests__0__grade": "9",
            "talent_contests__0__contest": "Старт в науку", "talent_contests__0__level": "regional",
            "talent_contests__0__field": "intellectual", "talent_contests__0__result": "winner",
            "talent_contests__1__student_code": "", "talent_contests__1__contest": ""}
    response = client.post(f"/monitoring/submissions/{sub.pk}/", post)
    assert response.status_code == 302
    sub.refresh_from_db()
    assert sub.status == "submitted"
    assert sub.values["talent_contests"] == [{"student_code": "S-1", "grade": 9,
                                              "contest": "Старт в науку", "level": "regional",
                                              "field": "intellectual", "result": "winner"}]


def test_campaign_page_return_and_export(client: Client, forms, campaign) -> None:
    sub = submission_of(campaign, forms.school_a)
    services.submission_submit(scope=scope_of(forms.user_a), submission=sub,
                               raw=valid_raw(campaign.template.spec, tal_students_total="321"))
    login(client, "uo")
    page = client.get(f"/monitoring/campaigns/{campaign.pk}/").content.decode()
    assert "представлена" in page and "Принять все представленные (1)" in page
    filtered = client.get(f"/monitoring/campaigns/{campaign.pk}/?status=overdue",
                          HTTP_HX_REQUEST="true").content.decode()
    assert "sch990002" in filtered and "sch990001" not in filtered
    client.post(f"/monitoring/submissions/{sub.pk}/return/", {"comment": "Проверьте контингент."})
    sub.refresh_from_db()
    assert sub.status == "returned"
    export = client.get(f"/monitoring/campaigns/{campaign.pk}/answers.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(export.content))
    sheet = book["Ответы"]
    header = [c.value for c in sheet[3]]
    assert header[:4] == ["Логин ОО", "ОО", "Территория", "Состояние"]
    rows = {r[0]: r for r in sheet.iter_rows(min_row=4, values_only=True)}
    assert rows["sch990001"][3] == "возвращена на доработку"
    assert "Достижения в конкурсах" in book.sheetnames


def test_org_page_and_dashboard_sections(client: Client, forms, campaign) -> None:
    login(client, "uo")
    org = client.get("/orgs/sch990001/").content.decode()
    assert "Формы мониторинга" in org and 'data-testid="org-forms"' in org
    dashboard = client.get("/dashboard/").content.decode()
    assert "Мониторинги: открытые кампании" in dashboard and "Просроченные формы: 2" in dashboard
    client.logout()
    login(client, "school_a")
    assert "Мои формы мониторинга" in client.get("/dashboard/").content.decode()


def test_survey_pages_and_qr(client: Client, forms) -> None:
    survey = services.survey_create(
        scope=scope_of(forms.authority), questionnaire=questionnaire_get("pupils_career"),
        year=2026, opens=dt.date(2026, 1, 1), closes=dt.date(2030, 1, 1),
        organizations=[forms.school_a, forms.school_b],
    )
    participant = survey.participants.get(organization=forms.school_a)
    login(client, "uo")
    page = client.get(f"/monitoring/surveys/{survey.pk}/").content.decode()
    assert f"/monitoring/s/{participant.slug}/" in page
    qr = client.get(f"/monitoring/surveys/{survey.pk}/participants/{participant.pk}/qr.svg")
    assert qr["Content-Type"] == "image/svg+xml" and qr.content.startswith(b"<svg")
    row = client.post(f"/monitoring/surveys/{survey.pk}/participants/{participant.pk}/expected/",
                      {"expected": "40"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<tr" in row and ">40<" in row
    results = client.get(f"/monitoring/surveys/{survey.pk}/results/").content.decode()
    assert "Ответов меньше 10" in results
    export = client.get(f"/monitoring/surveys/{survey.pk}/results.xlsx")
    assert openpyxl.load_workbook(io.BytesIO(export.content)).sheetnames == ["Итого", "По ОО",
                                                                             "Отклик"]
    client.logout()
    login(client, "school_b")
    assert client.get(
        f"/monitoring/surveys/{survey.pk}/participants/{participant.pk}/qr.svg").status_code == 404


def test_the_form_editor_checks_and_versions_forms(client: Client, forms) -> None:
    from soko.monitoring.models import FormTemplate

    login(client, "uo")
    text = client.get("/monitoring/forms/edit/?from=teachers").context["text"]
    assert text.startswith("code: teachers\nversion: 1\n")
    broken = client.post("/monitoring/forms/edit/", {"text": "code: x\nsections: [\n"})
    assert "Описание формы не читается как YAML (строка" in broken.content.decode()
    wrong = client.post("/monitoring/forms/edit/",
                        {"text": text.replace("kind: integer", "kind: float", 1)})
    assert "неизвестный тип «float»" in wrong.content.decode()
    send("teachers", orgs=[forms.school_a])
    renamed = text.replace("label: Педагогические работники", "label: Педагоги", 1)
    in_use = client.post("/monitoring/forms/edit/", {"text": renamed})
    assert "сохраните её как версию 2" in in_use.content.decode()
    saved = client.post("/monitoring/forms/edit/",
                        {"text": renamed.replace("version: 1", "version: 2", 1)})
    assert saved.status_code == 302
    assert FormTemplate.objects.get(code="teachers", version=2).spec.field(
        "tch_total").label == "Педагоги"
    client.post("/monitoring/forms/teachers/retire/", {"version": "1", "retired": "1"})
    assert FormTemplate.objects.get(code="teachers", version=1).retired
    client.logout()
    login(client, "school_a")
    assert client.get("/monitoring/forms/edit/").status_code == 403


def test_a_deadline_close_at_hand_is_marked(client: Client, forms) -> None:
    from django.utils import timezone

    send("leaders", orgs=[forms.school_a], deadline=timezone.localdate() + dt.timedelta(days=3))
    page = login(client, "school_a").get("/monitoring/").content.decode()
    assert 'data-testid="due-soon">срок истекает: 3 дн.' in page
