"""The audit log: one call records who changed or downloaded what, for enterprise admins and auditors to read."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from django.db.models import Model, Q, QuerySet

from . import tenancy
from .models import AuditEvent, Role

#: Shared reference data: a change to one of its global rows (no enterprise) concerns every tenant, so its audit events
#: are read by every enterprise admin. tests/accounts/test_admin_roles.py checks that every model of the reference
#: data admin is listed.
GLOBAL_REFERENCE_TYPES = frozenset({
    "carbon.EnergyCoefficient", "carbon.FactorSet", "carbon.EmissionFactor", "insights.BenchmarkReference",
    "insights.QualityCriterion", "reports.IndicatorSet", "reports.MeteringRequirement", "meters.MeasurementUnit",
    "meters.CarrierUnit", "costs.TouCalendar", "costs.PowerFactorTable", "carbon.ProcessFactor",
    "reports.LimitStandard",
})


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, decimal.Decimal | dt.date | dt.datetime | dt.time | uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, Model):
        return value.pk
    return str(value)


def _client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def _enterprise_for(obj: Model | None):
    if obj is None:
        return None
    if hasattr(type(obj), "TENANT_PATH"):
        try:
            return tenancy.enterprise_of(obj)
        except AttributeError:
            return None
    # Reference data (factors, coefficients) may belong to an enterprise or be national (None).
    return getattr(obj, "enterprise", None)


def audit_record(*, actor=None, action: str, obj: Model | None = None, enterprise=None,
                 detail: dict | None = None, request=None) -> AuditEvent:
    """Append one audit event. `enterprise` defaults to the object's tenant; `request` supplies actor and IP."""
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if enterprise is None:
        enterprise = _enterprise_for(obj)
    return AuditEvent.objects.create(
        actor=actor,
        actor_name=getattr(actor, "username", "") if actor is not None else "",
        action=action[:60],
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        enterprise=enterprise,
        detail=_jsonable(detail or {}),
        ip=_client_ip(request),
    )


def field_values(obj: Model) -> dict[str, Any]:
    """The concrete field values of `obj`, for a before/after comparison."""
    return {f.attname: f.value_from_object(obj) for f in obj._meta.concrete_fields}


def changes(before: dict[str, Any], obj: Model) -> dict[str, list]:
    """Fields whose value differs between `before` and `obj` now, as {field: [old, new]}."""
    after = field_values(obj)
    return {k: [_jsonable(before.get(k)), _jsonable(v)] for k, v in after.items() if before.get(k) != v}


def audit_events_for(user) -> QuerySet[AuditEvent]:
    """Events an enterprise admin may read: those of the enterprises they administer, and those of global reference
    rows, which every tenant's accounts use (superusers: all)."""
    if user is None or not user.is_authenticated:
        return AuditEvent.objects.none()
    if user.is_superuser:
        return AuditEvent.objects.all()
    administered = tenancy.writable_enterprises(user, Role.ENTERPRISE_ADMIN)
    if not administered.exists():
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(Q(enterprise__in=administered) |
                                     Q(enterprise__isnull=True, object_type__in=GLOBAL_REFERENCE_TYPES))
