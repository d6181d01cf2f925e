"""REST endpoints of the monthly MRV: process factors (reference), process activity data, evidence files,
data-quality plan items, the review steps (check, confirm) and the monthly export."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import tenancy
from accounts.api import TenantScopedSerializer, TenantScopedViewSet
from energy_platform.errors import ApplicationError

from .ledger import closed_months_flag
from .models import DataQualityPlanItem, MrvEvidence, ProcessActivity, ProcessFactor
from .mrv import mrv_export
from .periods import Period
from .process import mrv_reset, mrv_review_step

REVIEW_FIELDS = ["review_status", "checked_by", "checked_at", "confirmed_by", "confirmed_at"]

class ReviewActionsMixin:
    """`POST …/{id}/check/` and `…/{id}/confirm/` on a reviewed record; an update sends it back to entered."""

    def _step(self, request, step: str):
        record = self.get_object()  # type: ignore[attr-defined]  # tenancy-scoped: a foreign id is 404
        record = mrv_review_step(record=record, step=step, request=request)
        return Response(self.get_serializer(record).data)  # type: ignore[attr-defined]

    @extend_schema(request=None, summary="Review step: entered → checked (energy manager)", tags=["mrv"])
    @action(detail=True, methods=["post"])
    def check(self, request, pk=None):
        return self._step(request, "check")

    @extend_schema(request=None, summary="Review step: checked → confirmed (enterprise admin)", tags=["mrv"])
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        return self._step(request, "confirm")

    def perform_update(self, serializer):
        mrv_reset(serializer.instance)
        super().perform_update(serializer)  # type: ignore[misc]
        closed_months_flag(enterprise_id=tenancy.enterprise_of(serializer.instance).pk,
                           months=[serializer.instance.month], reason="MRV record changed")


class ProcessFactorSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProcessFactor
        fields = ["id", "sector", "code", "name_zh", "name_en", "direction", "gas", "value", "activity_unit", "gwp",
                  "gwp_source", "formula", "source_zh", "source_en", "provisional"]


class ProcessFactorViewSet(viewsets.ReadOnlyModelViewSet):
    """The sector guidelines' process-emission factors (reference data, written by platform staff in the admin)."""

    queryset = ProcessFactor.objects.all()
    serializer_class = ProcessFactorSerializer
    filterset_fields = ["sector", "code", "direction", "provisional"]


class ProcessActivitySerializer(TenantScopedSerializer):
    class Meta:
        model = ProcessActivity
        fields = ["id", "site", "month", "factor", "amount", "note", "created_by", "created_at", *REVIEW_FIELDS]
        read_only_fields = ["created_by", "created_at", *REVIEW_FIELDS]


class ProcessActivityViewSet(ReviewActionsMixin, TenantScopedViewSet):
    """A site's monthly process activity data (flux, electrodes, clinker, anodes …) with its review status."""

    queryset = ProcessActivity.objects.select_related("factor", "site")
    serializer_class = ProcessActivitySerializer
    filterset_fields = ["site", "month", "factor", "review_status"]

    def perform_create(self, serializer):
        serializer.validated_data["created_by"] = self.request.user
        with transaction.atomic():
            super().perform_create(serializer)
            row = serializer.instance
            closed_months_flag(enterprise_id=row.site.enterprise_id, months=[row.month],
                               reason="process activity data stored")


class MrvEvidenceSerializer(TenantScopedSerializer):
    file = serializers.FileField(required=False, allow_null=True)

    class Meta:
        model = MrvEvidence
        fields = ["id", "enterprise", "fuel_property", "process_activity", "kind", "reference", "file", "created_by",
                  "created_at"]
        read_only_fields = ["enterprise", "created_by", "created_at"]

    def validate_file(self, value):
        if value and value.size > 10 * 1024 * 1024:
            raise serializers.ValidationError("The file exceeds 10 MB.")
        return value

    def validate(self, attrs):
        if "file" in attrs and attrs["file"] is None:
            del attrs["file"]
        record = attrs.get("fuel_property") or attrs.get("process_activity")
        if record is not None:
            attrs["enterprise"] = tenancy.enterprise_of(record)
        return attrs


class MrvEvidenceViewSet(TenantScopedViewSet):
    """Evidence files of MRV records (lab report, invoice, weighbridge record): attached to one record."""

    queryset = MrvEvidence.objects.all()
    serializer_class = MrvEvidenceSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filterset_fields = ["fuel_property", "process_activity", "kind"]

    def perform_create(self, serializer):
        serializer.validated_data["created_by"] = self.request.user
        super().perform_create(serializer)


class DataQualityPlanItemSerializer(TenantScopedSerializer):
    class Meta:
        model = DataQualityPlanItem
        fields = ["id", "enterprise", "subject", "parameter", "method", "frequency", "responsible", "evidence_kind"]


class DataQualityPlanItemViewSet(TenantScopedViewSet):
    queryset = DataQualityPlanItem.objects.all()
    serializer_class = DataQualityPlanItemSerializer
    filterset_fields = ["enterprise"]


class EnterpriseMrvExportApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("period", str, required=True, description="2025-03, 2025-Q1, 2025"),
                               OpenApiParameter("file_format", str, enum=["csv", "xlsx"])],
                   responses={(200, "text/csv"): bytes}, tags=["mrv"],
                   summary="The monthly MRV records of an enterprise as CSV or XLSX")
    def get(self, request, pk: int):
        enterprise = get_object_or_404(tenancy.visible_enterprises(request.user), pk=pk)
        period = Period.parse(request.query_params.get("period", ""))
        fmt = request.query_params.get("file_format", "csv")
        if fmt not in ("csv", "xlsx"):
            raise ApplicationError("invalid_format", "file_format must be csv or xlsx.")
        data = mrv_export(enterprise=enterprise, months=period.months(), fmt=fmt)
        ctype = "text/csv; charset=utf-8" if fmt == "csv" else (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response = HttpResponse(data, content_type=ctype)
        response["Content-Disposition"] = f'attachment; filename="mrv-{enterprise.pk}-{period}.{fmt}"'
        return response



