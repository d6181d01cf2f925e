"""Template context shared by every UI page."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from accounts.models import Role
from accounts.tenancy import writable_enterprises


def roles(request) -> dict:
    """`is_enterprise_admin`: whether to show the audit-log link (evaluated only when a template asks)."""
    user = getattr(request, "user", None)
    return {"is_enterprise_admin": SimpleLazyObject(
        lambda: bool(user and user.is_authenticated and writable_enterprises(user, Role.ENTERPRISE_ADMIN).exists()))}
