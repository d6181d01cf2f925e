"""REST endpoints for meters; scoped by the tenancy layer."""

from __future__ import annotations

import django_filters

from accounts.api import TenantScopedSerializer, TenantScopedViewSet

from .models import Meter


class MeterFilter(django_filters.FilterSet):
    class Meta:
        model = Meter
        fields = {"site": ["exact"], "carrier": ["exact"], "level": ["exact"], "role": ["exact"],
                  "parent": ["exact", "isnull"], "production_unit": ["exact"], "code": ["exact"]}


class MeterSerializer(TenantScopedSerializer):
    class Meta:
        model = Meter
        fields = ["id", "site", "production_unit", "code", "name", "carrier", "unit", "reading_kind", "multiplier",
                  "rollover_value", "interval_minutes", "parent", "level", "role", "accuracy_class",
                  "last_calibration", "next_calibration", "active_from", "active_to"]


class MeterViewSet(TenantScopedViewSet):
    queryset = Meter.objects.select_related("site")
    serializer_class = MeterSerializer
    filterset_class = MeterFilter
    search_fields = ["code", "name"]
    ordering_fields = ["code", "carrier", "level"]
