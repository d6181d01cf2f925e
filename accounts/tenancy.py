"""The tenancy layer: the one place that decides which enterprises a user may see and what they may change.

Every model that belongs to a tenant declares `TENANT_PATH`, the lookup from it to its Enterprise ("" for Enterprise
itself). Selectors, API viewsets, admin pages and UI views all call `scope()`; nothing filters by enterprise by hand.
"""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
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


# -- the write rule: one definition for the API, the admin and the UI ------------------------------------------------

def is_tenant_model(model: type[Model]) -> bool:
    """True for models whose rows can belong to an enterprise (a `TENANT_PATH`, or a nullable `enterprise` field on
    reference data that is otherwise global)."""
    if hasattr(model, "TENANT_PATH"):
        return True
    return any(f.name == "enterprise" for f in model._meta.concrete_fields)


def enterprise_or_none(obj: Model) -> Enterprise | None:
    """The enterprise `obj` belongs to, or None for a global reference row (a coefficient, emission factor, benchmark
    or indicator set shared by every tenant) and for an object not yet attached to an enterprise."""
    path = getattr(type(obj), "TENANT_PATH", None)
    if path is None:
        return getattr(obj, "enterprise", None)
    try:
        return enterprise_of(obj)
    except (AttributeError, ObjectDoesNotExist):  # an unsaved object whose parent is not set yet
        return None


def may_write(user, obj: Model, minimum: str = Role.ENERGY_MANAGER) -> bool:
    """THE write rule. Platform staff (superusers) write everything. A global reference row (no enterprise) and a new
    enterprise are written by platform staff only. Any other row needs a membership role of at least `minimum` in
    its enterprise: regulators (no membership) and viewers (rank too low) never write."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    enterprise = enterprise_or_none(obj)
    if enterprise is None or enterprise.pk is None:
        return False
    return has_role(user, enterprise, minimum)


def may_create(user, model: type[Model], minimum: str = Role.ENERGY_MANAGER) -> bool:
    """Whether `user` may create `model` rows at all (for the admin's add views): enterprises and rows that cannot
    belong to an enterprise only for platform staff; others for a role of at least `minimum` somewhere. Which
    enterprise the new row may name is then checked by `may_write` on the row itself."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if model is Enterprise or not is_tenant_model(model):
        return False
    return writable_enterprises(user, minimum).exists()
