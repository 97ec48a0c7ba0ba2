"""Who a user is in the hierarchy: role plus the territory or organization they belong to."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from soko.core.models import TimeStampedModel


class Role(models.TextChoices):
    AUTHORITY = "authority", "орган управления образованием"
    METHODOLOGIST = "methodologist", "методист"
    SCHOOL = "school", "образовательная организация"


class Membership(TimeStampedModel):
    """A user's role. Authority and methodologist users belong to a territory (a region covers
    its municipalities); school users belong to one organization."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    role = models.CharField("роль", max_length=16, choices=Role.choices)
    territory = models.ForeignKey(
        "registry.Territory",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name="территория",
    )
    organization = models.ForeignKey(
        "registry.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name="организация",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "роль пользователя"
        verbose_name_plural = "роли пользователей"
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(role="school", organization__isnull=False)
                    | (~models.Q(role="school") & models.Q(territory__isnull=False))
                ),
                name="membership_anchor",
            )
        ]

    def __str__(self) -> str:
        anchor = self.organization or self.territory
        return f"{self.user}: {self.get_role_display()} ({anchor})"
