"""REST endpoints of the cost: a site's, an enterprise's and a production unit's cost for a period."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import tenancy
from accounts.audit import audit_record
from carbon.apis import PERIOD_PARAM, site_for
from carbon.periods import Period
from energy_platform.cells import cell_row
from energy_platform.errors import ApplicationError
from plants.models import ProductionUnit

from .selectors import EXPORT_HEADER, cost_export_rows, enterprise_costs, site_costs, unit_costs

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
    @extend_schema(parameters=[PERIOD_PARAM], responses=_costs, tags=["costs"],
                   summary="Energy cost of a site: lines per time-of-use band, capacity, power factor and carrier")
    def get(self, request, pk: int):
        site = site_for(request.user, pk)
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


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_FORMAT_PARAM = OpenApiParameter("format", str, enum=["csv", "xlsx"], description="csv (default) or xlsx")


def _export_xlsx(rows: list[list]) -> bytes:
    """The export's rows as one XLSX sheet: the same header and cells as the CSV (through the cell rule)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "costs"
    ws.append(cell_row(EXPORT_HEADER))
    for row in rows:
        ws.append(cell_row(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


class SiteCostsExportApi(APIView):
    """A site's cost per meter and month as CSV or XLSX (quantities, charges, maximum demand, tariff, frozen)."""

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)  # ?format= is the export format

    @extend_schema(parameters=[PERIOD_PARAM, EXPORT_FORMAT_PARAM],
                   responses={(200, "text/csv"): OpenApiTypes.BINARY, (200, XLSX_TYPE): OpenApiTypes.BINARY},
                   tags=["exports"], operation_id="site_costs_export",
                   summary="Export a site's cost per meter and month as CSV or XLSX")
    def get(self, request, pk: int):
        site = site_for(request.user, pk)
        period = _period(request)
        fmt = request.query_params.get("format", "csv")
        if fmt not in ("csv", "xlsx"):
            raise ApplicationError("invalid_format", "Use format=csv or format=xlsx.", status_code=400)
        rows = cost_export_rows(site=site, period=period)
        audit_record(action="data.export", request=request, enterprise=site.enterprise,
                     detail={"subject": "site_costs", "code": site.code, "period": str(period), "format": fmt})
        if fmt == "xlsx":
            resp = HttpResponse(_export_xlsx(rows), content_type=XLSX_TYPE)
        else:
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerow(EXPORT_HEADER)
            writer.writerows(cell_row(row) for row in rows)
            resp = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        resp["Content-Disposition"] = f'attachment; filename="costs_{site.code}_{period}.{fmt}"'
        return resp
