"""Read endpoints for the UI's charts under /api/v1/ui/ (served from rollups; tenancy via accounts.tenancy).

Internal: their shapes follow the charts (ECharts labels and series) and change with them, so they are left out of the
published OpenAPI schema (`exclude=True`). Integrators read the same data from the public endpoints: a meter's or a
site's series from /api/v1/exports/rollups/ (hour, day or month), KPIs from /api/v1/sites/{id}/kpis/ and
/api/v1/meters/{id}/kpis/ (README "API")."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.tenancy import visible_enterprises
from energy_platform.errors import ApplicationError

from . import selectors
from .views import _parse_day

SERIES = {"type": "object", "properties": {"labels": {"type": "array", "items": {"type": "string"}},
                                           "series": {"type": "array", "items": {"type": "object"}}}}


class SiteMonthlyApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Monthly energy of a site by carrier in tce, the last 12 months (carbon.kpis.site_kpis)",
                   responses={200: SERIES}, tags=["ui"], exclude=True)
    def get(self, request, pk: int):
        site = selectors.site_for(request.user, pk)
        return Response(selectors.monthly_by_carrier(site=site, user=request.user))


class SiteLoadApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="15-minute electricity load of a site's main meters for a day or the Monday-Sunday week "
                           "containing the day (from readings: interval quantities, or register deltas x multiplier); "
                           "slots without data are null; a day after today answers a message",
                   parameters=[OpenApiParameter("day", OpenApiTypes.DATE), OpenApiParameter("days", int,
                                                                                           enum=[1, 7])],
                   responses={200: SERIES}, tags=["ui"], exclude=True)
    def get(self, request, pk: int):
        site = selectors.site_for(request.user, pk)
        days = request.query_params.get("days", "1")
        if days not in ("1", "7"):
            raise ApplicationError("invalid_days", "days must be 1 or 7")
        day = _parse_day(request.query_params.get("day"))
        return Response(selectors.load_curve(site=site, user=request.user, day=day, days=int(days)))


class SiteKpiTrendApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="A site KPI for each of the last 12 months (carbon.kpis.site_kpis per month; the current "
                           "month to date): pue (data centres), base_station (kWh per base station, fleets), product "
                           "(energy per unit of each product, kgce/unit), emissions (scope 1 and 2, tCO2)",
                   parameters=[OpenApiParameter("metric", str, enum=list(selectors.TREND_METRICS))],
                   responses={200: SERIES}, tags=["ui"], exclude=True)
    def get(self, request, pk: int):
        site = selectors.site_for(request.user, pk)
        metric = request.query_params.get("metric", "emissions")
        if metric not in selectors.TREND_METRICS:
            raise ApplicationError("invalid_metric", f"metric must be one of {', '.join(selectors.TREND_METRICS)}")
        return Response(selectors.site_kpi_trend(site=site, metric=metric))


class MeterSeriesApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="A meter's daily quantities for the last 60 days (day rollups); gaps are null",
                   responses={200: SERIES}, tags=["ui"], exclude=True)
    def get(self, request, pk: int):
        meter = selectors.meter_for(request.user, pk)
        return Response(selectors.meter_series(meter=meter))


class EnterpriseGapsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Open gaps of an enterprise's meters (last 3 months, newest first): days with fewer "
                           "readings than expected, including whole days without any reading (received 0)",
                   responses={200: {"type": "array", "items": {"type": "object"}}}, tags=["quality"])
    def get(self, request, pk: int):
        enterprise = visible_enterprises(request.user).filter(pk=pk).first()
        if enterprise is None:
            raise ApplicationError("not_found", "No such enterprise.", status_code=404)
        since = timezone.now() - selectors.QUALITY_WINDOW
        return Response([{"meter": g.meter_id, "meter_code": g.meter.code, "site": g.meter.site.code,
                          "day": g.day.isoformat(), "day_start": g.bucket_start.isoformat(),
                          "expected_intervals": g.expected_intervals, "received_intervals": g.received_intervals,
                          "estimated_intervals": g.estimated_intervals, "whole_day": g.whole_day}
                         for g in selectors.gap_days(enterprise=enterprise, user=request.user, since=since)])
