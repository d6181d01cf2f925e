"""The tenancy layer: the one place that decides which enterprises a user may see and what they may change.

Every model that belongs to a tenant declares `TENANT_PATH`, the lookup from it to its Enterprise ("" for Enterprise
itself). Selectors, API viewsets, admin pages and UI views all call `scope()`; nothing filters by enterprise by hand.
"""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Model, Q, QuerySet

from plants.models import Enterprise

from .models import ROLE_RANK, Membership, RegulatorJurisdiction, Role


def _enterprise_q(user) -> Q | None:
    """Q over Enterprise for what `user` may read; None means everything (superusers)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_superuser:
        return None
    cached = getattr(user, "_tenancy_q", None)
    if cached is not None:
        return cached
    q = Q(pk__in=Membership.objects.filter(user=user).values("enterprise_id"))
    prefixes = list(RegulatorJurisdiction.objects.filter(user=user).values_list("region_prefix", flat=True))
    if prefixes:
        q = q | reduce(or_, (Q(region_code__startswith=p) for p in prefixes))
    user._tenancy_q = q
    return q


def visible_enterprises(user) -> QuerySet[Enterprise]:
    q = _enterprise_q(user)
    return Enterprise.objects.all() if q is None else Enterprise.objects.filter(q)


def scope(queryset: QuerySet, user) -> QuerySet:
    """Restrict any tenant-owned queryset to what `user` may read."""
    model = queryset.model
    path = getattr(model, "TENANT_PATH", None)
    if path is None:
        raise TypeError(f"{model.__name__} declares no TENANT_PATH; it cannot be scoped to a tenant.")
    q = _enterprise_q(user)
    if q is None:
        return queryset
    ids = Enterprise.objects.filter(q).values("pk")
    return queryset.filter(**{f"{path}__in" if path else "pk__in": ids})


def enterprise_of(obj: Model) -> Enterprise:
    path = type(obj).TENANT_PATH  # type: ignore[attr-defined]  # every tenant model declares it (no common base)
    node: Any = obj
    for part in path.split("__") if path else []:
        node = getattr(node, part)
    return node


def role_in(user, enterprise: Enterprise | int) -> str | None:
    if user is None or not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.ENTERPRISE_ADMIN
    ent_id = enterprise if isinstance(enterprise, int) else enterprise.pk
    memberships = getattr(user, "_tenancy_roles", None)
    if memberships is None:
        memberships = dict(Membership.objects.filter(user=user).values_list("enterprise_id", "role"))
        user._tenancy_roles = memberships
    return memberships.get(ent_id)


def has_role(user, enterprise: Enterprise | int, minimum: str) -> bool:
    """True when the user's membership in `enterprise` is at least `minimum`. Regulators never have a role."""
    role = role_in(user, enterprise)
    return role is not None and ROLE_RANK[Role(role)] >= ROLE_RANK[Role(minimum)]


def is_regulator(user) -> bool:
    return bool(user and user.is_authenticated and RegulatorJurisdiction.objects.filter(user=user).exists())


def writable_enterprises(user, minimum: str = Role.ENERGY_MANAGER) -> QuerySet[Enterprise]:
    if user is None or not user.is_authenticated:
        return Enterprise.objects.none()
    if user.is_superuser:
        return Enterprise.objects.all()
    allowed = [r for r, rank in ROLE_RANK.items() if rank >= ROLE_RANK[Role(minimum)]]
    return Enterprise.objects.filter(memberships__user=user, memberships__role__in=allowed)
