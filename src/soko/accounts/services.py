"""Writes for users and their roles."""

from __future__ import annotations

import secrets

from django.contrib.auth.models import User
from django.db import transaction
from rest_framework.authtoken.models import Token

from soko.accounts.models import Membership, Role
from soko.core.errors import ValidationFailed
from soko.registry.models import Organization, Territory


def generate_password() -> str:
    return secrets.token_urlsafe(9)


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    role: str,
    territory: Territory | None = None,
    organization: Organization | None = None,
    full_name: str = "",
    email: str = "",
) -> User:
    """Create a user with a role anchored at a territory (authority, methodologist) or an
    organization (school). Returns the user."""
    if User.objects.filter(username=username).exists():
        raise ValidationFailed(f"Пользователь «{username}» уже существует.")
    if role == Role.SCHOOL and organization is None:
        raise ValidationFailed("Пользователю ОО нужно указать организацию.")
    if role != Role.SCHOOL and territory is None:
        raise ValidationFailed("Пользователю органа управления или методисту нужна территория.")
    first, _, last = full_name.partition(" ")
    user = User.objects.create_user(
        username=username, password=password, email=email, first_name=first, last_name=last
    )
    Membership.objects.create(
        user=user,
        role=role,
        territory=territory if role != Role.SCHOOL else None,
        organization=organization if role == Role.SCHOOL else None,
    )
    return user


def admin_ensure(*, username: str, password: str | None) -> tuple[User, str | None]:
    """Create the instance administrator if missing. Returns the user and the password set
    (None when the user already existed)."""
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        return existing, None
    password = password or generate_password()
    user = User.objects.create_superuser(username=username, password=password, email="")
    return user, password


def api_token_for(user: User) -> str:
    token, _ = Token.objects.get_or_create(user=user)
    return str(token.key)
