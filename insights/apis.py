"""REST endpoints of the energy-carbon management centre: benchmarking, energy flow, weather, baselines, projects."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import tenancy
from accounts.api import TenantScopedSerializer, TenantScopedViewSet
from accounts.models import Role
from carbon.apis import site_for
from carbon.models import ConversionMethod
from carbon.periods import Period
from energy_platform.errors import ApplicationError
from plants.models import Site

from . import baselines as baseline_calc
from .benchmark import site_benchmark
from .energy_flow import energy_flow
from .models import BenchmarkReference, EnergyBaseline, MonthlyWeather, SavingsProject
from .services import baseline_create, daily_temperatures_record

PERIOD_PARAM = OpenApiParameter("period", str, required=True, description="2025-03, 2025-Q1 or 2025")
METHOD_PARAM = OpenApiParameter("method", str, required=False, enum=[c.value for c in ConversionMethod],
                                description="electricity conversion method (default equivalent)")


def method_of(request) -> str:
    method = request.query_params.get("method", ConversionMethod.EQUIVALENT)
    if method not in ConversionMethod.values:
        raise ApplicationError("invalid_method", f"method must be one of {', '.join(ConversionMethod.values)}.")
    return method


_benchmark = inline_serializer("SiteBenchmark", {"site": serializers.CharField(), "period": serializers.CharField(),
                                                 "indicators": serializers.ListField(child=serializers.DictField())})
_flow = inline_serializer("EnergyFlow", {
    "unit": serializers.CharField(), "nodes": serializers.ListField(child=serializers.DictField()),
    "links": serializers.ListField(child=serializers.DictField()), "inputs_total": serializers.FloatField(),
    "end_use_total": serializers.FloatField(), "loss_total": serializers.FloatField(),
    "balance": serializers.FloatField()})


class SiteBenchmarkApi(APIView):
    @extend_schema(parameters=[PERIOD_PARAM, METHOD_PARAM], responses=_benchmark, tags=["insights"],
                   summary="Benchmarking: indicators against reference values, own best period and sibling sites")
    def get(self, request, pk: int):
        site = site_for(request.user, pk)
        period = Period.parse(request.query_params.get("period", ""))
        return Response(site_benchmark(site=site, period=period, user=request.user, method=method_of(request)))


class SiteEnergyFlowApi(APIView):
    @extend_schema(parameters=[PERIOD_PARAM, METHOD_PARAM,
                               OpenApiParameter("unit", str, enum=["tce", "carrier"], description="default tce"),
                               OpenApiParameter("carrier", str, description="with unit=carrier: the carrier shown")],
                   responses=_flow, tags=["insights"],
                   summary="Energy flow (Sankey): inputs through the meter tree to end uses, unmetered remainder "
                           "as loss")
    def get(self, request, pk: int):
        site = site_for(request.user, pk)
        period = Period.parse(request.query_params.get("period", ""))
        return Response(energy_flow(site=site, period=period, unit=request.query_params.get("unit", "tce"),
                                    carrier=request.query_params.get("carrier") or None, method=method_of(request)))


class BenchmarkReferenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = BenchmarkReference
        fields = ["id", "indicator", "site_kind", "product_category", "kind", "label", "value", "unit", "source",
                  "edition", "valid_from", "valid_to", "provisional", "enterprise", "note"]


@extend_schema(tags=["insights"])
class BenchmarkReferenceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Reference values: national rows and those of the enterprises the user may see (edited in the admin)."""

    serializer_class = BenchmarkReferenceSerializer
    filterset_fields = ["indicator", "site_kind", "kind", "provisional", "enterprise"]
    queryset = BenchmarkReference.objects.all()

    def get_queryset(self):
        return super().get_queryset().filter(
            Q(enterprise__isnull=True) | Q(enterprise__in=tenancy.visible_enterprises(self.request.user)))


class MonthlyWeatherSerializer(TenantScopedSerializer):
    class Meta:
        model = MonthlyWeather
        fields = ["id", "site", "month", "hdd", "cdd", "base_temperature_c", "mean_temperature_c", "source"]


class ScopedSiteSerializer(serializers.Serializer):
    """A plain serializer whose `site` is a site the requesting user may see: another enterprise's site is an invalid
    pk (400), as in every other create of the API."""

    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.select_related("enterprise"))

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        fields["site"].queryset = tenancy.scope(fields["site"].queryset, getattr(request, "user", None))
        return fields


class DailyTemperatureRowSerializer(serializers.Serializer):
    day = serializers.DateField()
    mean_c = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=-90, max_value=60)


class DailyTemperaturesSerializer(ScopedSiteSerializer):
    source = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    temperatures = DailyTemperatureRowSerializer(many=True, allow_empty=False, max_length=3700)


def writable_site(request, site: Site) -> Site:
    if not tenancy.has_role(request.user, site.enterprise_id, Role.ENERGY_MANAGER):
        raise ApplicationError("permission_denied", "Your role does not allow changing this site's data.",
                               status_code=403)
    return site


@extend_schema(tags=["insights"])
class MonthlyWeatherViewSet(TenantScopedViewSet):
    """Monthly heating and cooling degree days of a site (°C·d), the weather variables of baselines."""

    queryset = MonthlyWeather.objects.select_related("site")
    serializer_class = MonthlyWeatherSerializer
    filterset_fields = ["site", "month"]

    @extend_schema(request=DailyTemperaturesSerializer, tags=["insights"],
                   responses=inline_serializer("DailyTemperaturesResult", {
                       "stored": serializers.IntegerField(), "computed": serializers.ListField(),
                       "incomplete_days_missing": serializers.DictField()}),
                   summary="Enter daily mean temperatures; complete months become degree days (base 18 °C)")
    @action(detail=False, methods=["post"], url_path="daily")
    def daily(self, request):
        data = DailyTemperaturesSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        d = data.validated_data
        days = [row["day"] for row in d["temperatures"]]
        if len(set(days)) != len(days):
            raise ApplicationError("duplicate_day", "A day is given twice.")
        site = writable_site(request, d["site"])
        result = daily_temperatures_record(site=site, rows=[(r["day"], r["mean_c"]) for r in d["temperatures"]],
                                           source=d["source"], actor=request.user, request=request)
        return Response(result, status=201)


class EnergyBaselineSerializer(serializers.ModelSerializer):
    site_code = serializers.CharField(source="site.code", read_only=True)
    adequacy = serializers.SerializerMethodField(
        help_text="Adequacy checks (R², CV(RMSE), NMBE, months) and `usable`: savings may be computed against the "
                  "baseline only when every check passes (insights.baselines.adequacy).")

    class Meta:
        model = EnergyBaseline
        fields = ["id", "site", "site_code", "name", "measure", "start_month", "months", "variables", "coefficients",
                  "std_errors", "r_squared", "cv_rmse_pct", "nmbe_pct", "n_observations", "observations", "active",
                  "adequacy", "supersedes", "reason", "created_by", "created_at"]
        read_only_fields = fields

    def get_adequacy(self, obj) -> dict:
        return baseline_calc.adequacy(obj)


class BaselineCreateSerializer(ScopedSiteSerializer):
    name = serializers.CharField(max_length=200)
    measure = serializers.ChoiceField(choices=EnergyBaseline.Measure.choices, default=EnergyBaseline.Measure.ENERGY_TCE)
    start_month = serializers.DateField()
    months = serializers.IntegerField(default=12)
    variables = serializers.ListField(child=serializers.CharField(max_length=60), allow_empty=True)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


_report = inline_serializer("BaselineReport", {"months": serializers.ListField(child=serializers.DictField()),
                                               "savings": serializers.FloatField(allow_null=True),
                                               "improvement_pct": serializers.FloatField(allow_null=True)})


def report_months(site, text: str) -> list[dt.date]:
    """The months of a reporting period, up to the last complete month."""
    last = baseline_calc.last_complete_month(site)
    return [m for m in Period.parse(text).months() if m <= last]


@extend_schema(tags=["insights"])
class EnergyBaselineViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                            viewsets.GenericViewSet):
    """Baselines are fitted on create (POST: site, name, measure, start_month, variables, and a reason when one is
    already active); they never change afterwards."""

    serializer_class = EnergyBaselineSerializer
    filterset_fields = ["site", "measure", "active"]
    queryset = EnergyBaseline.objects.select_related("site")

    def get_queryset(self):
        return tenancy.scope(super().get_queryset(), self.request.user)

    @extend_schema(request=BaselineCreateSerializer, responses=EnergyBaselineSerializer, tags=["insights"],
                   summary="Fit a baseline (re-baselining needs a reason)")
    def create(self, request, *args, **kwargs):
        data = BaselineCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        d = data.validated_data
        site = writable_site(request, d["site"])
        baseline = baseline_create(site=site, name=d["name"], start_month=d["start_month"], variables=d["variables"],
                                   measure=d["measure"], months=d["months"], reason=d["reason"], actor=request.user,
                                   request=request)
        return Response(EnergyBaselineSerializer(baseline).data, status=201)

    @extend_schema(parameters=[PERIOD_PARAM, METHOD_PARAM], responses=_report, tags=["insights"],
                   summary="Adjusted baseline, actual, savings and improvement for a reporting period")
    @action(detail=True, methods=["get"])
    def report(self, request, pk=None):
        baseline = self.get_object()
        months = report_months(baseline.site, request.query_params.get("period", ""))
        out = baseline_calc.baseline_report(baseline=baseline, months=months, method=method_of(request))
        out["quality"] = baseline_calc.quality(baseline)
        return Response(out)


class SavingsProjectSerializer(TenantScopedSerializer):
    class Meta:
        model = SavingsProject
        fields = ["id", "site", "baseline", "emissions_baseline", "name", "kind", "description", "commissioned_on",
                  "expected_savings_tce_per_year", "expected_reduction_tco2_per_year", "investment_10k_cny"]


@extend_schema(tags=["insights"])
class SavingsProjectViewSet(TenantScopedViewSet):
    """Energy-saving and fuel-switching projects with their expected savings (项目碳评价)."""

    queryset = SavingsProject.objects.select_related("site")
    serializer_class = SavingsProjectSerializer
    filterset_fields = ["site", "kind"]

    @extend_schema(parameters=[METHOD_PARAM], tags=["insights"],
                   responses=inline_serializer("ProjectAssessment", {"energy": serializers.DictField(allow_null=True),
                                                                     "emissions": serializers.DictField(
                                                                         allow_null=True)}),
                   summary="Measured savings since commissioning against the baseline, next to expected savings")
    @action(detail=True, methods=["get"])
    def assessment(self, request, pk=None):
        return Response(baseline_calc.project_assessment(project=self.get_object(), method=method_of(request)))
