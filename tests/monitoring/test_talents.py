"""The «Одарённые дети» bank: built from imported ВсОШ results and accepted contest forms;
pupil-level data for the authority and the pupil's own school only."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client

from soko.imports.services import import_file
from soko.monitoring import selectors, services
from soko.monitoring.models import TalentRecord, TalentStudent
from tests.monitoring.conftest import scope_of, send, submission_of, valid_raw

pytestmark = pytest.mark.django_db

OLYMPIAD = """Логин ОО;Код обучающегося;Этап;Предмет;Класс;Статус;Балл;Год
sch990001;A1;школьный;МА;8;победитель;95;2025
sch990001;A1;муниципальный;МА;8;призёр;61;2025
sch990001;A1;школьный;ФИ;8;участник;40;2025
sch990001;A2;школьный;РУ;7;победитель;88;2025
sch990001;A3;региональный;ИС;10;участник;30;2025
sch990002;B1;муниципальный;РУ;9;участник;35;2025
sch990002;B2;муниципальный;БИ;9;победитель;70;2025
"""


@pytest.fixture
def bank(forms, tmp_path: Path):
    path = tmp_path / "olympiad_2025.csv"
    path.write_text(OLYMPIAD, encoding="utf-8")
    import_file(path, kind="olympiad")  # the post-import hook refreshes the bank
    return forms


def test_the_bank_keeps_qualifying_pupils_with_their_history(bank) -> None:
    # A1: municipal prize → in, with all three records; A2: school-stage winner only → out;
    # A3: regional participant → in; B1: municipal participant → out; B2: municipal winner → in
    assert set(TalentStudent.objects.values_list("student_code", flat=True)) == {"A1", "A3",
                                                                                 "B2"}
    a1 = TalentStudent.objects.get(student_code="A1")
    assert (a1.achievements, a1.prizes, a1.best_level, a1.best_result) == (
        3, 2, "муниципальный этап", "winner")
    assert a1.subjects == ["Математика", "Физика"] and a1.years == [2025]
    assert TalentRecord.objects.filter(student_code="A2").count() == 0


def test_accepted_contest_forms_add_pupils(bank) -> None:
    campaign = send("talents", orgs=[bank.school_a])
    sub = submission_of(campaign, bank.school_a)
    contests = [
        {"student_code": "A2", "grade": "7", "contest": "Живая классика", "level": "regional",
         "field": "artistic", "result": "prize"},
        {"student_code": "C9", "grade": "6", "contest": "Старт в науку", "level": "school",
         "field": "intellectual", "result": "winner"},
    ]
    services.submission_submit(scope=scope_of(bank.user_a), submission=sub,
                               raw=valid_raw(campaign.template.spec, talent_contests=contests))
    assert not TalentStudent.objects.filter(student_code="A2").exists()  # not accepted yet
    services.submission_accept(scope=scope_of(bank.authority), submission=sub)
    a2 = TalentStudent.objects.get(student_code="A2")
    assert (a2.best_level, a2.prizes, a2.years) == ("региональный", 1, [2026])
    assert not TalentStudent.objects.filter(student_code="C9").exists()  # school level only
    services.submission_return(scope=scope_of(bank.authority), submission=sub, comment="Код?")
    assert not TalentStudent.objects.filter(student_code="A2").exists()


def test_visibility_per_role(client: Client, bank) -> None:
    uo = selectors.talent_students(scope_of(bank.authority))
    assert {s.student_code for s in uo} == {"A1", "A3", "B2"}
    own = selectors.talent_students(scope_of(bank.user_a))
    assert {s.student_code for s in own} == {"A1", "A3"}
    with pytest.raises(Http404):
        selectors.talent_student_get(scope_of(bank.user_a), "B2")
    with pytest.raises(PermissionDenied):
        selectors.talent_students(scope_of(bank.methodologist))
    counts = selectors.talent_counts(scope_of(bank.methodologist))
    assert {c.organization.code: c.students for c in counts} == {"sch990001": None,
                                                                 "sch990002": None}
    assert selectors.talent_totals(scope_of(bank.methodologist))["students"] == 3

    assert client.login(username="metod", password="pass-12345")
    page = client.get("/monitoring/talents/").content.decode()
    assert "A1" not in page and "скрыто (менее 10)" in page
    assert client.get("/monitoring/talents/A1/").status_code == 403
    client.logout()
    assert client.login(username="school_b", password="pass-12345")
    assert client.get("/monitoring/talents/A1/").status_code == 404
    page = client.get("/monitoring/talents/B2/").content.decode()
    assert "Биология" in page and "победитель" in page
    client.logout()
    assert client.login(username="uo", password="pass-12345")
    page = client.get("/monitoring/talents/?org=sch990001").content.decode()
    assert "A1" in page and "A3" in page and "B2" not in page
    export = client.get("/monitoring/talents/export.xlsx")
    assert export.status_code == 200 and export.content[:2] == b"PK"
