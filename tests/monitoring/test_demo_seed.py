"""The demo content goes through the real services and every demo value passes the rules."""

from __future__ import annotations

import datetime as dt

import pytest

from soko.monitoring.models import (
    Campaign,
    FormValue,
    Submission,
    SurveyOrganization,
    SurveyResponse,
)
from soko.monitoring.services import seed_demo_monitoring
from soko.registry.models import Organization

pytestmark = pytest.mark.django_db


def test_seed_demo_monitoring(personas) -> None:
    report = seed_demo_monitoring(seed=3, years=(2025, 2026), today=dt.date(2026, 11, 22))
    assert report["campaigns"] == 2 * 9
    assert Organization.objects.filter(kind="preschool").count() == 6
    assert Campaign.objects.filter(year=2025, status="closed").count() == 9
    assert Submission.objects.filter(status="accepted").count() == report["submissions"][
        "accepted"]
    assert FormValue.objects.filter(name="submitted.preschool", year=2026).count() == 6
    assert SurveyOrganization.objects.filter(survey__questionnaire__code="parents_quality"
                                             ).count() == 3  # every school of the instance
    assert SurveyResponse.objects.exists()
    again = seed_demo_monitoring(seed=3, years=(2025, 2026), today=dt.date(2026, 11, 22))
    assert again["skipped"] == "кампании уже созданы"
