"""The access scope of a request: what part of the hierarchy it may see and whether it may edit.

Every selector that returns organization-bound data takes a :class:`Scope` and filters with it,
so pages, the API, exports and the CLI obey the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from soko.accounts.models import Membership, Role


@dataclass(frozen=True)
class Scope:
    """Visibility of one caller.

    ``territory_ids`` is None for unrestricted (superuser / system), otherwise the set of
    territories whose organizations are visible. ``organization_id`` restricts to one school.
    """

    role: str
    territory_ids: frozenset[int] | None
    organization_id: int | None = None
    can_edit: bool = False
    is_public: bool = False
    user_id: int | None = None

    @property
    def is_school(self) -> bool:
        return self.role == Role.SCHOOL

    @property
    def sees_personal_data(self) -> bool:
        """Pupil-level rows are visible to the authority and to the pupil's own school only."""
        return not self.is_public and self.role in {Role.AUTHORITY, Role.SCHOOL}

    def org_q(self, field: str = "") -> Q:
        """A filter for the organizations visible in this scope.

        ``field`` is the path from the filtered model to its organization foreign key
        (empty when filtering :class:`~soko.registry.models.Organization` itself).
        """
        prefix = f"{field}__" if field else ""
        if self.is_public:
            return Q(**{f"{prefix}pk__in": []})
        if self.organization_id is not None:
            return Q(**{f"{prefix}pk": self.organization_id})
        if self.territory_ids is None:
            return Q()
        return Q(**{f"{prefix}territory_id__in": sorted(self.territory_ids)})

    def territory_q(self) -> Q:
        """A filter on territories visible in this scope (public sees all published ones)."""
        if self.territory_ids is None or self.is_public:
            return Q()
        return Q(pk__in=sorted(self.territory_ids))

    def allows_org(self, org: Any) -> bool:
        if self.is_public:
            return False
        if self.organization_id is not None:
            return bool(org.pk == self.organization_id)
        return self.territory_ids is None or org.territory_id in self.territory_ids


SYSTEM = Scope(role=Role.AUTHORITY, territory_ids=None, can_edit=True)
PUBLIC = Scope(role="public", territory_ids=None, is_public=True)


def _descendants(territory_id: int) -> frozenset[int]:
    from soko.registry.models import Territory

    found = {territory_id}
    frontier = {territory_id}
    while frontier:
        frontier = (
            set(Territory.objects.filter(parent_id__in=frontier).values_list("id", flat=True))
            - found
        )
        found |= frontier
    return frozenset(found)


def scope_for_user(user: Any) -> Scope:
    """Build the scope of a (possibly anonymous) user."""
    if user is None or not getattr(user, "is_authenticated", False):
        return PUBLIC
    if user.is_superuser:
        return Scope(role=Role.AUTHORITY, territory_ids=None, can_edit=True, user_id=user.pk)
    membership = Membership.objects.filter(user=user).select_related("organization").first()
    if membership is None:
        return PUBLIC
    if membership.role == Role.SCHOOL and membership.organization is not None:
        return Scope(
            role=Role.SCHOOL,
            territory_ids=frozenset({membership.organization.territory_id}),
            organization_id=membership.organization_id,
            can_edit=True,
            user_id=user.pk,
        )
    assert membership.territory_id is not None
    return Scope(
        role=membership.role,
        territory_ids=_descendants(membership.territory_id),
        can_edit=membership.role == Role.AUTHORITY,
        user_id=user.pk,
    )
