"""Reads of the early-warning engine; tenancy filtering happens here, through accounts.tenancy.scope()."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.tenancy import scope
from plants.models import Enterprise

from .models import Alert, AlertRule


def alerts_list(*, user, enterprise: Enterprise | None = None, status: str | None = None) -> QuerySet[Alert]:
    qs = scope(Alert.objects.select_related("rule", "site", "meter", "enterprise", "acknowledged_by"), user)
    if enterprise is not None:
        qs = qs.filter(enterprise=enterprise)
    if status == "active":
        qs = qs.filter(resolved_at__isnull=True)
    elif status:
        qs = qs.filter(status=status)
    return qs.order_by("-raised_at", "-pk")


def alert_rules_list(*, user, enterprise: Enterprise | None = None) -> QuerySet[AlertRule]:
    qs = scope(AlertRule.objects.select_related("site", "meter"), user)
    if enterprise is not None:
        qs = qs.filter(enterprise=enterprise)
    return qs.order_by("name", "pk")
