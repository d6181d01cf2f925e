"""REST endpoint of data quality: fill a meter's gap over a range with estimates (energy managers)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import tenancy
from accounts.models import Role
from energy_platform.errors import ApplicationError

from .models import Meter
from .services.review import readings_gap_fill


class GapFillSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="Start of the range, ISO 8601 with offset.")
    end = serializers.DateTimeField(help_text="End of the range, ISO 8601 with offset.")
    reason = serializers.CharField(max_length=300)


_fill_out = inline_serializer("GapFill", {
    "id": serializers.IntegerField(), "meter": serializers.IntegerField(), "start": serializers.DateTimeField(),
    "end": serializers.DateTimeField(), "method": serializers.CharField(), "readings": serializers.IntegerField(),
    "reason": serializers.CharField(), "batch": serializers.IntegerField()})


class MeterGapFillApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Fill a gap over a range with estimated readings (energy manager)",
        description="Cumulative registers: linear between the register values at or before `start` and at or after "
                    "`end`. Interval meters: the average measured quantity of the same weekday and time in the "
                    "previous 4 weeks. 409 `readings_in_range` when the range already holds readings. The "
                    "readings are stored with estimated=true and the fill's batch, then rolled up.",
        request=GapFillSerializer, responses={201: _fill_out}, tags=["meters"],
        examples=[OpenApiExample("12 hours", value={"start": "2026-03-02T00:00:00+08:00",
                                                    "end": "2026-03-02T12:00:00+08:00",
                                                    "reason": "gateway offline"}, request_only=True)])
    def post(self, request, pk: int):
        meter = tenancy.scope(Meter.objects.select_related("site"), request.user).filter(pk=pk).first()
        if meter is None:
            raise ApplicationError("not_found", "No such meter.", status_code=404)
        if not tenancy.has_role(request.user, meter.site.enterprise_id, Role.ENERGY_MANAGER):
            raise ApplicationError("permission_denied", "Your role does not allow this here.", status_code=403)
        body = GapFillSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        fill = readings_gap_fill(meter=meter, start=d["start"], end=d["end"], reason=d["reason"], user=request.user)
        return Response({"id": fill.pk, "meter": meter.pk, "start": fill.start, "end": fill.end,
                         "method": fill.method, "readings": fill.readings, "reason": fill.reason,
                         "batch": fill.batch_id}, status=201)
