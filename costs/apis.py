"""REST endpoints of the cost: a site's, an enterprise's and a production unit's cost for a period."""

from __future__ import annotations

from decimal import Decimal

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import tenancy
from carbon.apis import PERIOD_PARAM, site_by_code
from carbon.periods import Period
from plants.models import ProductionUnit

from .selectors import enterprise_costs, site_costs, unit_costs

_costs = inline_serializer("Costs", {
    "period": serializers.CharField(), "lines": serializers.ListField(), "total_cny": serializers.DecimalField(
        max_digits=18, decimal_places=2), "tariff_versions": serializers.ListField()})


def _exact(value):
    """Money and quantities as decimal strings (the JSON encoder would turn Decimals into floats)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _exact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_exact(v) for v in value]
    return value


def _period(request) -> Period:
    return Period.parse(request.query_params.get("period", ""))


class SiteCostsApi(APIView):
    @extend_schema(parameters=[PERIOD_PARAM, OpenApiParameter("enterprise", int)], responses=_costs, tags=["costs"],
                   summary="Energy cost of a site: lines per time-of-use band, capacity, power factor and carrier")
    def get(self, request, code: str):
        site = site_by_code(request.user, code, request.query_params.get("enterprise"))
        return Response(_exact(site_costs(site=site, period=_period(request))))


class EnterpriseCostsApi(APIView):
    @extend_schema(parameters=[PERIOD_PARAM], responses=_costs, tags=["costs"], summary="Energy cost of an enterprise")
    def get(self, request, pk: int):
        enterprise = get_object_or_404(tenancy.visible_enterprises(request.user), pk=pk)
        return Response(_exact(enterprise_costs(enterprise=enterprise, period=_period(request))))


class UnitCostsApi(APIView):
    @extend_schema(parameters=[PERIOD_PARAM], responses=_costs, tags=["costs"],
                   summary="Energy cost of a production unit and its sub-units")
    def get(self, request, pk: int):
        unit = get_object_or_404(tenancy.scope(ProductionUnit.objects.select_related("site__enterprise"),
                                               request.user), pk=pk)
        return Response(_exact(unit_costs(unit=unit, period=_period(request))))
