"""REST endpoints for meters; scoped by the tenancy layer."""

from __future__ import annotations

import django_filters
from rest_framework import serializers

from accounts.api import TenantScopedSerializer, TenantScopedViewSet
from energy_platform.errors import ApplicationError

from .models import Meter
from .units import allowed_units, unit_allowed, unit_not_allowed_message


class MeterFilter(django_filters.FilterSet):
    class Meta:
        model = Meter
        fields = {"site": ["exact"], "carrier": ["exact"], "level": ["exact"], "role": ["exact"],
                  "parent": ["exact", "isnull"], "production_unit": ["exact"], "code": ["exact"]}


class MeterSerializer(TenantScopedSerializer):
    class Meta:
        model = Meter
        fields = ["id", "site", "production_unit", "code", "name", "carrier", "unit", "reading_kind", "multiplier",
                  "rollover_value", "max_reading", "interval_minutes", "parent", "level", "role", "accuracy_class",
                  "last_calibration", "next_calibration", "active_from", "active_to"]

    def _plausible(self, value):
        # Before 1901 Asia/Shanghai is local mean time (+08:05:43), which the answer cannot express as RFC 3339.
        if value is not None and not 1970 <= value.year <= 2100:
            raise serializers.ValidationError("Give a time between 1970 and 2100.")
        return value

    validate_active_from = validate_active_to = _plausible

    def validate(self, attrs):
        """The unit must be one the carrier allows (table CarrierUnit), on create and on any update."""
        carrier = attrs.get("carrier", getattr(self.instance, "carrier", None))
        unit = attrs.get("unit", getattr(self.instance, "unit", None))
        if carrier and unit is not None and not unit_allowed(carrier=carrier, unit=unit):
            raise ApplicationError("unit_not_allowed", unit_not_allowed_message(carrier=carrier, unit=unit),
                                   extra={"allowed_units": allowed_units(carrier)})
        return attrs


class MeterViewSet(TenantScopedViewSet):
    queryset = Meter.objects.select_related("site")
    serializer_class = MeterSerializer
    filterset_class = MeterFilter
    search_fields = ["code", "name"]
    ordering_fields = ["code", "carrier", "level"]
