"""Writes for accounts: memberships and personal API tokens."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from .models import ApiToken
from .tokens import token_generate


@transaction.atomic
def api_token_create(*, user: User, name: str = "default") -> tuple[ApiToken, str]:
    """Create a personal API token; the plain token is returned once and never stored."""
    token, digest = token_generate("ntu_")
    return ApiToken.objects.create(user=user, name=name, prefix=token[:12], key_hash=digest), token


def api_token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
