"""REST endpoints: projections of sites and enterprises, quotas and allowances, alert rules, alerts and their
acknowledgement. Everything passes through the tenancy layer."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import tenancy
from accounts.api import TenantScopedSerializer, TenantScopedViewSet
from accounts.audit import audit_record
from carbon.apis import METHOD_PARAM, _method, site_for
from carbon.periods import Period
from energy_platform.errors import ApplicationError

from . import selectors
from .forecast import enterprise_forecast, site_forecast
from .messages import alert_text
from .models import Alert, AlertRule, CarbonAllowance, EnergyQuota
from .services import alert_acknowledge

FORECAST_PERIOD = OpenApiParameter("period", str, required=True,
                                   description="a year (2026: year-end projection) or a month (2026-11: month-end)")
AS_OF = OpenApiParameter("as_of", str, required=False,
                         description="project with the data before this local day (YYYY-MM-DD); default today")
_forecast = inline_serializer("Forecast", {"period": serializers.CharField(), "as_of": serializers.DateField(),
                                           "quantities": serializers.DictField(),
                                           "comparisons": serializers.ListField()})


def _as_of(request) -> dt.date:
    text = request.query_params.get("as_of")
    if not text:
        return timezone.localdate()
    try:
        day = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ApplicationError("invalid_as_of", "as_of must be a day, YYYY-MM-DD.") from exc
    if not 2000 <= day.year <= 2100:
        raise ApplicationError("invalid_as_of", "as_of must lie between 2000 and 2100.")
    return day


def _period(request) -> Period:
    try:
        period = Period.parse(request.query_params.get("period", ""))
    except ValueError as exc:  # e.g. year 0000, which matches the pattern but is no date
        raise ApplicationError("invalid_period", "The year must lie between 2000 and 2100.") from exc
    if not 2000 <= period.first.year <= 2100:
        raise ApplicationError("invalid_period", "The year must lie between 2000 and 2100.")
    return period


class SiteForecastApi(APIView):
    @extend_schema(parameters=[FORECAST_PERIOD, AS_OF, METHOD_PARAM],
                   responses=_forecast, tags=["forecast"],
                   summary="Month-end or year-end projection of a site, compared with its targets and quotas")
    def get(self, request, pk: int):
        site = site_for(request.user, pk)
        return Response(site_forecast(site=site, period=_period(request), as_of=_as_of(request),
                                      method=_method(request)))


class EnterpriseForecastApi(APIView):
    @extend_schema(parameters=[FORECAST_PERIOD, AS_OF, METHOD_PARAM], responses=_forecast, tags=["forecast"],
                   summary="Month-end or year-end projection of an enterprise, compared with its targets and quotas")
    def get(self, request, pk: int):
        enterprise = get_object_or_404(tenancy.visible_enterprises(request.user), pk=pk)
        return Response(enterprise_forecast(enterprise=enterprise, period=_period(request), as_of=_as_of(request),
                                            method=_method(request)))


class EnergyQuotaSerializer(TenantScopedSerializer):
    class Meta:
        model = EnergyQuota
        fields = ["id", "enterprise", "site", "year", "energy_tce", "source"]


class CarbonAllowanceSerializer(TenantScopedSerializer):
    class Meta:
        model = CarbonAllowance
        fields = ["id", "enterprise", "site", "year", "allowance_tco2", "source"]


class EnergyQuotaViewSet(TenantScopedViewSet):
    queryset = EnergyQuota.objects.all()
    serializer_class = EnergyQuotaSerializer
    filterset_fields = ["enterprise", "site", "year"]


class CarbonAllowanceViewSet(TenantScopedViewSet):
    queryset = CarbonAllowance.objects.all()
    serializer_class = CarbonAllowanceSerializer
    filterset_fields = ["enterprise", "site", "year"]


class AlertRuleSerializer(TenantScopedSerializer):
    class Meta:
        model = AlertRule
        fields = ["id", "enterprise", "site", "meter", "name", "kind", "enabled", "metric", "window", "operator",
                  "threshold", "intervals", "offline_minutes", "baseline_days", "email_to", "created_by", "created_at",
                  "last_evaluated_at", "last_error"]
        read_only_fields = ["created_by", "created_at", "last_evaluated_at", "last_error"]

    def validate_email_to(self, value):
        for address in AlertRule(email_to=value).recipients():
            serializers.EmailField().run_validation(address)
        return value


class AlertRuleViewSet(TenantScopedViewSet):
    queryset = AlertRule.objects.select_related("enterprise", "site", "meter")
    serializer_class = AlertRuleSerializer
    filterset_fields = ["enterprise", "site", "meter", "kind", "enabled"]

    def perform_create(self, serializer):
        self._apply(serializer, AlertRule())
        rule = serializer.save(created_by=self.request.user)
        audit_record(action="alertrule.create", obj=rule, request=self.request, detail={"via": "api"})


class AlertSerializer(serializers.ModelSerializer):
    message = serializers.SerializerMethodField()
    site_code = serializers.CharField(source="site.code", read_only=True, default=None)
    meter_code = serializers.CharField(source="meter.code", read_only=True, default=None)
    rule_name = serializers.CharField(source="rule.name", read_only=True)
    kind = serializers.CharField(source="rule.kind", read_only=True)

    class Meta:
        model = Alert
        fields = ["id", "rule", "rule_name", "kind", "enterprise", "site", "site_code", "meter", "meter_code",
                  "condition_key", "status", "message", "value", "limit", "unit", "detail", "raised_at",
                  "last_seen_at", "acknowledged_at", "acknowledged_by", "acknowledgement_note", "resolved_at",
                  "emailed_at"]

    def get_message(self, obj) -> str:
        return alert_text(obj)


class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Alerts (raised by the evaluation only). `?status=open|acknowledged|resolved|active`."""

    serializer_class = AlertSerializer
    queryset = Alert.objects.none()
    filterset_fields = ["enterprise", "site", "meter", "rule"]

    def get_queryset(self):
        status = self.request.query_params.get("status")
        if status and status not in {*Alert.Status.values, "active"}:
            raise ApplicationError("invalid_status", "status must be open, acknowledged, resolved or active.")
        return selectors.alerts_list(user=self.request.user, status=status)

    @extend_schema(request=inline_serializer("AlertAck", {"note": serializers.CharField(required=False)}),
                   responses=AlertSerializer, summary="Acknowledge an open alert (energy manager or admin)")
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        alert = self.get_object()
        note = request.data.get("note", "") if isinstance(request.data, dict) else ""
        if not isinstance(note, str):
            raise ApplicationError("invalid_note", "note must be text.")
        return Response(AlertSerializer(alert_acknowledge(alert=alert, user=request.user, note=note,
                                                          request=request)).data)
