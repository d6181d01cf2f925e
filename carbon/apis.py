"""REST endpoints of the accounting engine: KPIs, ledger, periods, economic and production data, targets."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Max
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import tenancy
from accounts.api import TenantScopedSerializer, TenantScopedViewSet
from accounts.audit import audit_record
from accounts.models import Role
from energy_platform.errors import ApplicationError
from meters.models import Meter
from plants.models import EconomicData, Enterprise, ProductionData, ProductionUnit, Site
from plants.services import monthly_data_import

from .apis_mrv import REVIEW_FIELDS, ReviewActionsMixin
from .compare import AGAINST, compare
from .kpis import enterprise_kpis, meter_kpis, site_kpis, unit_kpis
from .ledger import closed_months_flag, ledger_reverse, ledger_verify, period_close, period_restate
from .models import AccountingPeriod, ConversionMethod, LedgerEntry, MeasuredFuelProperty, Target, target_years_check
from .periods import Period

PERIOD_PARAM = OpenApiParameter("period", str, required=True, description="2025-03, 2025-Q1 or 2025")
METHOD_PARAM = OpenApiParameter("method", str, required=False, enum=[c.value for c in ConversionMethod],
                                description="electricity conversion method (default equivalent)")
_kpis = inline_serializer("Kpis", {"period": serializers.CharField(),
                                   "energy_tce": serializers.DictField(), "factor_versions": serializers.ListField()})


def _method(request) -> str:
    method = request.query_params.get("method", ConversionMethod.EQUIVALENT)
    if method not in ConversionMethod.values:
        raise ApplicationError("invalid_method", f"method must be one of {', '.join(ConversionMethod.values)}.")
    return method


def site_for(user, pk: int) -> Site:
    """The site `pk` of every /sites/{id}/… path, among the sites `user` may see (else 404: existence not leaked).
    Sites are addressed by id, as in their CRUD paths: a site code is unique only within its enterprise."""
    site = tenancy.scope(Site.objects.select_related("enterprise"), user).filter(pk=pk).first()
    if site is None:
        raise ApplicationError("not_found", f"No site {pk}.", status_code=404)
    return site


class SiteKpisApi(APIView):
    @extend_schema(parameters=[PERIOD_PARAM, METHOD_PARAM], responses=_kpis,
                   summary="KPIs of a site for a month, quarter or year", tags=["kpis"])
    def get(self, request, pk: int):
        site = site_for(request.user, pk)
        period = Period.parse(request.query_params.get("period", ""))
        return Response(site_kpis(site=site, period=period, method=_method(request)))


class EnterpriseKpisApi(APIView):
    @extend_schema(parameters=[PERIOD_PARAM, METHOD_PARAM], responses=_kpis,
                   summary="KPIs of an enterprise for a month, quarter or year", tags=["kpis"])
    def get(self, request, pk: int):
        enterprise = get_object_or_404(tenancy.visible_enterprises(request.user), pk=pk)
        period = Period.parse(request.query_params.get("period", ""))
        return Response(enterprise_kpis(enterprise=enterprise, period=period, method=_method(request)))


class UnitKpisApi(APIView):
    @extend_schema(parameters=[PERIOD_PARAM, METHOD_PARAM], responses=_kpis, tags=["kpis"],
                   summary="KPIs of a production unit and its sub-units")
    def get(self, request, pk: int):
        unit = get_object_or_404(tenancy.scope(ProductionUnit.objects.select_related("site__enterprise"),
                                               request.user), pk=pk)
        period = Period.parse(request.query_params.get("period", ""))
        return Response(unit_kpis(unit=unit, period=period, method=_method(request)))


class MeterKpisApi(APIView):
    @extend_schema(parameters=[PERIOD_PARAM, METHOD_PARAM], responses=_kpis, tags=["kpis"],
                   summary="A meter's consumption, tce, completeness and unmetered remainder below it")
    def get(self, request, pk: int):
        meter = get_object_or_404(tenancy.scope(Meter.objects.select_related("site__enterprise"), request.user),
                                  pk=pk)
        period = Period.parse(request.query_params.get("period", ""))
        return Response(meter_kpis(meter=meter, period=period, method=_method(request)))


AGAINST_PARAM = OpenApiParameter("against", str, required=False, enum=list(AGAINST),
                                 description="yoy (同比, default): the same span a year earlier; previous (环比): the "
                                             "period just before, of the same length; custom: the period `other`")
OTHER_PARAM = OpenApiParameter("other", str, required=False, description="with against=custom: 2024-11, 2024-Q3 "
                                                                         "or 2024")
_comparison = inline_serializer("Comparison", {"a": serializers.DictField(), "b": serializers.DictField(),
                                               "rows": serializers.ListField(child=serializers.DictField())})


class _CompareApi(APIView):
    """Two periods of one object side by side (carbon.compare): each side is the KPI answer of its period."""

    scope = ""

    def subject(self, request, pk: int):
        raise NotImplementedError

    def get(self, request, pk: int):
        obj = self.subject(request, pk)
        period = Period.parse(request.query_params.get("period", ""))
        return Response(compare(scope=self.scope, obj=obj, period=period,
                                against=request.query_params.get("against", "yoy"),
                                other=request.query_params.get("other"), method=_method(request)))


class EnterpriseCompareApi(_CompareApi):
    scope = "enterprise"

    def subject(self, request, pk: int):
        return get_object_or_404(tenancy.visible_enterprises(request.user), pk=pk)

    @extend_schema(parameters=[PERIOD_PARAM, AGAINST_PARAM, OTHER_PARAM, METHOD_PARAM], responses=_comparison,
                   tags=["kpis"], summary="An enterprise's figures of two periods side by side (同比, 环比, custom)")
    def get(self, request, pk: int):
        return super().get(request, pk)


class SiteCompareApi(_CompareApi):
    scope = "site"

    def subject(self, request, pk: int):
        return site_for(request.user, pk)

    @extend_schema(parameters=[PERIOD_PARAM, AGAINST_PARAM, OTHER_PARAM, METHOD_PARAM], responses=_comparison,
                   tags=["kpis"], summary="A site's figures of two periods side by side (同比, 环比, custom)")
    def get(self, request, pk: int):
        return super().get(request, pk)


class UnitCompareApi(_CompareApi):
    scope = "unit"

    def subject(self, request, pk: int):
        return get_object_or_404(tenancy.scope(ProductionUnit.objects.select_related("site__enterprise"),
                                               request.user), pk=pk)

    @extend_schema(parameters=[PERIOD_PARAM, AGAINST_PARAM, OTHER_PARAM, METHOD_PARAM], responses=_comparison,
                   tags=["kpis"], summary="A production unit's figures of two periods side by side")
    def get(self, request, pk: int):
        return super().get(request, pk)


class MeterCompareApi(_CompareApi):
    scope = "meter"

    def subject(self, request, pk: int):
        return get_object_or_404(tenancy.scope(Meter.objects.select_related("site__enterprise"), request.user),
                                 pk=pk)

    @extend_schema(parameters=[PERIOD_PARAM, AGAINST_PARAM, OTHER_PARAM, METHOD_PARAM], responses=_comparison,
                   tags=["kpis"], summary="A meter's quantity of two periods side by side")
    def get(self, request, pk: int):
        return super().get(request, pk)


class LedgerEntrySerializer(serializers.ModelSerializer):
    site_code = serializers.CharField(source="site.code", read_only=True)

    class Meta:
        model = LedgerEntry
        fields = ["id", "seq", "site", "site_code", "month", "scope", "source", "activity_amount", "activity_unit",
                  "factor", "factor_value", "factor_version", "tco2", "readings_from", "readings_to", "kind",
                  "reverses", "reason", "author", "created_at", "prev_hash", "hash"]


class EnterpriseLedgerApi(APIView):
    @extend_schema(responses=LedgerEntrySerializer(many=True), summary="The carbon ledger of an enterprise",
                   parameters=[OpenApiParameter("month", str, description="YYYY-MM")], tags=["ledger"])
    def get(self, request, pk: int):
        enterprise = get_object_or_404(tenancy.visible_enterprises(request.user), pk=pk)
        qs = LedgerEntry.objects.filter(enterprise=enterprise).select_related("site").order_by("seq")
        if month := request.query_params.get("month"):
            qs = qs.filter(month=_month(month))
        return Response(LedgerEntrySerializer(qs[:5000], many=True).data)


class EnterpriseLedgerVerifyApi(APIView):
    @extend_schema(responses=inline_serializer("LedgerVerify", {"ok": serializers.BooleanField(),
                                                                "entries": serializers.IntegerField(),
                                                                "first_broken": serializers.DictField(allow_null=True),
                                                                "head": serializers.CharField(allow_null=True)}),
                   summary="Verify the hash chain of an enterprise's ledger", tags=["ledger"])
    def get(self, request, pk: int):
        enterprise = get_object_or_404(tenancy.visible_enterprises(request.user), pk=pk)
        return Response(ledger_verify(enterprise=enterprise))


def _month(text: str) -> dt.date:
    period = Period.parse(text)
    if period.n_months != 1:
        raise ApplicationError("invalid_month", "Give a month as YYYY-MM.")
    return period.first


def _admin_enterprise(request, pk: int) -> Enterprise:
    enterprise = get_object_or_404(tenancy.visible_enterprises(request.user), pk=pk)
    if not tenancy.has_role(request.user, enterprise, Role.ENTERPRISE_ADMIN):
        raise ApplicationError("permission_denied", "Only an enterprise admin may do this.", status_code=403)
    return enterprise


_reason = inline_serializer("Reason", {"reason": serializers.CharField()})


class PeriodCloseApi(APIView):
    @extend_schema(request=None, responses=LedgerEntrySerializer(many=True), tags=["ledger"],
                   summary="Close a month: post its ledger entries (enterprise admin)")
    def post(self, request, pk: int, month: str):
        enterprise = _admin_enterprise(request, pk)
        entries = period_close(enterprise=enterprise, month=_month(month), actor=request.user)
        return Response(LedgerEntrySerializer(entries, many=True).data, status=201)


class PeriodRestateApi(APIView):
    @extend_schema(request=_reason, responses=LedgerEntrySerializer(many=True), tags=["ledger"],
                   summary="Restate a closed month with a reason (enterprise admin)")
    def post(self, request, pk: int, month: str):
        enterprise = _admin_enterprise(request, pk)
        reason = str(request.data.get("reason", "")) if isinstance(request.data, dict) else ""
        entries = period_restate(enterprise=enterprise, month=_month(month), reason=reason, actor=request.user)
        return Response(LedgerEntrySerializer(entries, many=True).data, status=201)


class LedgerCorrectionApi(APIView):
    @extend_schema(request=_reason, responses=LedgerEntrySerializer, tags=["ledger"],
                   summary="Reverse one ledger entry with a reason (enterprise admin)")
    def post(self, request, pk: int, entry_id: int):
        enterprise = _admin_enterprise(request, pk)
        entry = get_object_or_404(LedgerEntry, enterprise=enterprise, pk=entry_id)
        reason = str(request.data.get("reason", "")) if isinstance(request.data, dict) else ""
        return Response(LedgerEntrySerializer(ledger_reverse(entry=entry, reason=reason, actor=request.user)).data,
                        status=201)


class PeriodSerializer(serializers.ModelSerializer):
    class Meta:
        model = AccountingPeriod
        fields = ["id", "enterprise", "month", "status", "closed_at", "closed_by", "restatement_pending",
                  "restatement_reason"]


class PeriodViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Accounting periods (read-only here; close and restate through the enterprise endpoints)."""

    serializer_class = PeriodSerializer
    filterset_fields = ["enterprise", "status", "restatement_pending"]
    queryset = AccountingPeriod.objects.all()

    def get_queryset(self):
        return tenancy.scope(super().get_queryset(), self.request.user)


class VersionedDataSerializer(TenantScopedSerializer):
    def validate_month(self, value):
        if value.day != 1:
            raise serializers.ValidationError("Give the first day of the month.")
        return value

    def create(self, validated_data):
        model: Any = self.Meta.model  # EconomicData or ProductionData (the serializer's subclass)
        key = "site" if "site" in validated_data else "product"
        with transaction.atomic():
            latest = model.objects.select_for_update().filter(
                **{key: validated_data[key], "month": validated_data["month"]}).aggregate(v=Max("version"))["v"]
            request = self.context.get("request")
            source = validated_data.pop("source", "") or "api"  # once: a client-sent source was passed twice (500)
            return model.objects.create(**validated_data, version=(latest or 0) + 1,
                                        created_by=request.user if request else None, source=source)


class EconomicDataSerializer(VersionedDataSerializer):
    class Meta:
        model = EconomicData
        fields = ["id", "site", "month", "version", "value_added_10k_cny", "gross_output_10k_cny", "note", "source",
                  "created_by", "created_at"]
        read_only_fields = ["version", "created_by", "created_at"]
        validators: list = []  # a repeated month is a new version, not a duplicate


class ProductionDataSerializer(VersionedDataSerializer):
    class Meta:
        model = ProductionData
        fields = ["id", "product", "month", "version", "quantity", "note", "source", "created_by", "created_at"]
        read_only_fields = ["version", "created_by", "created_at"]
        validators: list = []


class VersionedDataViewSet(TenantScopedViewSet):
    """Monthly data is versioned: POST adds a version (a correction); existing versions never change."""

    http_method_names = ["get", "post", "head", "options"]
    upload_kind = ""

    @extend_schema(
        request={"multipart/form-data": inline_serializer("MonthlyUpload", {"file": serializers.FileField()})},
        parameters=[OpenApiParameter("commit", bool, description="false (default): preview only")],
        responses=inline_serializer("MonthlyUploadResult", {
            "rows": serializers.IntegerField(), "valid": serializers.IntegerField(),
            "rejected": serializers.ListField(child=serializers.DictField()), "created": serializers.IntegerField(),
            "committed": serializers.BooleanField()}),
        summary="Upload monthly figures as CSV or XLSX: preview (default) or commit")
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser])
    def upload(self, request):
        upload = request.FILES.get("file")
        if upload is None:
            raise ApplicationError("file_required", "Send the CSV or XLSX file in the `file` field.")
        if upload.size > 5 * 1024 * 1024:
            raise ApplicationError("payload_too_large", "The file exceeds 5 MB.", status_code=413)
        commit = request.query_params.get("commit", "false").lower() in ("1", "true", "yes")
        result = monthly_data_import(kind=self.upload_kind, name=upload.name, data=upload.read(), user=request.user,
                                     commit=commit)
        return Response(result, status=201 if commit and result["created"] else 200)

    def perform_create(self, serializer):
        instance = serializer.Meta.model(**serializer.validated_data)
        if not tenancy.may_write(self.request.user, instance, self.write_role):
            raise ApplicationError("permission_denied", "Your role does not allow entering data here.",
                                   status_code=403)
        with transaction.atomic():
            row = serializer.save()
            # Late or corrected data for a closed month: flagged at once, the closed figures stay until restated.
            closed_months_flag(enterprise_id=tenancy.enterprise_of(row).pk, months=[row.month],
                               reason=f"corrected {'value added' if self.upload_kind == 'economic' else 'output'} "
                                      "stored")
            audit_record(action=f"{row._meta.model_name}.create", obj=row, request=self.request,
                         detail={"via": "api", "version": row.version})


class EconomicDataViewSet(VersionedDataViewSet):
    upload_kind = "economic"
    queryset = EconomicData.objects.select_related("site")
    serializer_class = EconomicDataSerializer
    filterset_fields = ["site", "month"]


class ProductionDataViewSet(VersionedDataViewSet):
    upload_kind = "production"
    queryset = ProductionData.objects.select_related("product")
    serializer_class = ProductionDataSerializer
    filterset_fields = ["product", "month"]


class TargetSerializer(TenantScopedSerializer):
    class Meta:
        model = Target
        fields = ["id", "enterprise", "site", "indicator", "baseline_year", "baseline_value", "target_year",
                  "reduction_pct", "note"]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        years = {k: attrs.get(k, getattr(self.instance, k, None)) for k in ("baseline_year", "target_year")}
        try:
            target_years_check(**years)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return attrs


class TargetViewSet(TenantScopedViewSet):
    queryset = Target.objects.all()
    serializer_class = TargetSerializer
    filterset_fields = ["enterprise", "site", "indicator"]


class MeasuredFuelPropertySerializer(TenantScopedSerializer):
    # null (what a read returns when no file is attached) leaves the stored lab report as it is
    evidence_file = serializers.FileField(required=False, allow_null=True)

    class Meta:
        model = MeasuredFuelProperty
        fields = ["id", "enterprise", "carrier", "month", "ncv_gj_per_unit", "activity_unit",
                  "carbon_content_tc_per_tj", "oxidation_rate", "lab_report_number", "laboratory", "evidence_file",
                  "note", "consumption", "created_by", "created_at", *REVIEW_FIELDS]
        read_only_fields = ["created_by", "created_at", *REVIEW_FIELDS]

    def validate_month(self, value):
        if value.day != 1:
            raise serializers.ValidationError("Give the first day of the month.")
        return value

    def validate_evidence_file(self, value):
        if value and value.size > 10 * 1024 * 1024:
            raise serializers.ValidationError("The lab report exceeds 10 MB.")
        return value

    def validate(self, attrs):
        if "evidence_file" in attrs and attrs["evidence_file"] is None:
            del attrs["evidence_file"]
        return attrs


class MeasuredFuelPropertyViewSet(ReviewActionsMixin, TenantScopedViewSet):
    """An enterprise's measured NCV and carbon content of a fuel per month, with the lab report (number and file):
    they take precedence over the guideline defaults in that month's emissions. Writes are audited."""

    queryset = MeasuredFuelProperty.objects.all()
    serializer_class = MeasuredFuelPropertySerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filterset_fields = ["enterprise", "carrier", "month", "review_status"]

    def perform_create(self, serializer):
        serializer.validated_data["created_by"] = self.request.user
        super().perform_create(serializer)
