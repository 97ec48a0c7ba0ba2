"""Effective-dated attributes keep history; every change is in the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from soko.catalog.models import Subject
from soko.registry.selectors import organization_as_of, organization_audit
from soko.registry.services import organization_change

pytestmark = pytest.mark.django_db


def test_a_change_of_type_keeps_the_earlier_period(personas) -> None:
    org = personas.school_a
    organization_change(
        organization=org,
        effective=dt.date(2024, 9, 1),
        changes={"org_type": "лицей", "in_depth_subjects": [Subject.objects.get(code="МА")]},
        reason="приказ № 12 от 20.08.2024",
    )
    org.refresh_from_db()
    assert org.org_type == "лицей"
    assert list(org.in_depth_subjects.values_list("code", flat=True)) == ["МА"]
    before = organization_as_of(org, dt.date(2023, 5, 20))
    after = organization_as_of(org, dt.date(2025, 5, 20))
    assert before is not None and before.org_type == "СОШ"
    assert before.valid_to == dt.date(2024, 8, 31)
    assert after is not None and after.org_type == "лицей"
    assert after.in_depth_subject_codes == ["МА"]


def test_a_future_change_does_not_touch_todays_values(personas) -> None:
    org = personas.school_a
    organization_change(
        organization=org, effective=dt.date(2099, 1, 1), changes={"short_name": "Лицей № 1"}
    )
    org.refresh_from_db()
    assert org.short_name == "СОШ № 1"
    assert organization_as_of(org, dt.date(2099, 6, 1)).short_name == "Лицей № 1"


def test_the_audit_trail_names_who_changed_what(personas, client: Client) -> None:
    client.login(username="uo", password="pass-12345")
    response = client.post(
        "/orgs/sch990001/edit/",
        {
            "effective": "2025-09-01",
            "name": "МБОУ «СОШ № 1»",
            "short_name": "СОШ № 1",
            "kind": "school",
            "org_type": "СОШ",
            "territory": personas.municipality.pk,
            "settlement": "rural",
            "head_name": "Петрова А. А.",
            "reason": "смена руководителя",
        },
    )
    assert response.status_code == 302
    entries = organization_audit(personas.school_a)
    change = next(e for e in entries if e.what.startswith("ОО") and e.action == "изменение")
    assert change.who == "Ирина Управленцева"
    fields = {f: (old, new) for f, old, new in change.changes}
    assert fields["руководитель"] == ("—", "Петрова А. А.")
    assert fields["местность"] == ("urban", "rural")
    page = client.get("/orgs/sch990001/audit/").content.decode()
    assert "Петрова А. А." in page and "Ирина Управленцева" in page
