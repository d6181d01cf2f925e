"""Reports API: start (POST /api/v1/reports/), status, download, list; regulator exports.

- `POST /api/v1/reports/` {kind, enterprise | site, year, format, lang[, allocation]} → 202 snapshot (queued; Celery
  task on commit); with `site` the report covers that site only
- `GET /api/v1/reports/` snapshots of visible enterprises; `GET /api/v1/reports/<id>/` status/progress
- `GET /api/v1/reports/<id>/download/?file=<file id>` the stored file
- `GET|POST /api/v1/sites/<id>/green-factory-entries/[?year=]` entered green-factory indicator values of a factory
  with their evidence (POST multipart: indicator id, year, value, evidence, evidence_file)
- `GET /api/v1/regulator/exports/?year=&kind=energy|ghg&format=csv|json|xlsx` aggregated figures, scoped
- `GET /api/v1/exports/rollups/?meter=|site=|unit=<id>&granularity=hour|day|month&start=&end=&format=csv|xlsx
  [&rows=total|meters]` rolled-up data, streamed
"""

from __future__ import annotations

from django.db import transaction
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import tenancy
from accounts.models import Role
from energy_platform.errors import ApplicationError
from meters.models import Meter
from plants.models import ProductionUnit, Site

from . import dataexports
from .exports import regulator_export
from .models import Indicator, IndicatorEntry, ReportFile, ReportSnapshot
from .renderers import render_csv, render_json, render_xlsx
from .services import indicator_entry_upsert, report_create, report_snapshots_supersede
from .tasks import report_generate_task


class ReportFileSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReportFile
        fields = ["id", "name", "sha256", "size"]


class ReportSnapshotSerializer(serializers.ModelSerializer):
    files = ReportFileSerializer(many=True, read_only=True)

    class Meta:
        model = ReportSnapshot
        fields = ["id", "kind", "enterprise", "site", "year", "format", "lang", "version", "status", "progress",
                  "error", "options", "period_start", "period_end", "factor_versions", "ledger_head", "superseded",
                  "superseded_by", "created_by", "created_at", "files"]


PK_MAX = 2**63 - 1


class StartSerializer(serializers.Serializer):
    kind = serializers.CharField()
    enterprise = serializers.IntegerField(required=False, min_value=1, max_value=PK_MAX,
                                          help_text="enterprise id (or give site)")
    site = serializers.IntegerField(required=False, min_value=1, max_value=PK_MAX,
                                    help_text="site id: a report of that site only")
    year = serializers.IntegerField()
    format = serializers.CharField()
    lang = serializers.CharField(default="zh-hans")
    allocation = serializers.CharField(required=False, help_text="footprint: mass | economic | energy")


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _audit(request, action: str, obj=None, detail=None, enterprise=None) -> None:
    """Write a download to the audit log."""
    from accounts.audit import audit_record

    audit_record(request=request, action=action, obj=obj, detail=detail, enterprise=enterprise)


def _visible(user):
    return tenancy.scope(ReportSnapshot.objects.prefetch_related("files"), user)


def _snapshot(request, pk: int) -> ReportSnapshot:
    if pk > PK_MAX:  # beyond bigint: a 404, not a database error
        raise ApplicationError("not_found", "No such report.", status_code=404)
    return get_object_or_404(_visible(request.user), pk=pk)


class ReportListApi(APIView):
    @extend_schema(responses=ReportSnapshotSerializer(many=True), operation_id="reports_list", tags=["reports"],
                   summary="Report snapshots of the enterprises you can see")
    def get(self, request):
        return Response(ReportSnapshotSerializer(_visible(request.user)[:200], many=True).data)

    @extend_schema(request=StartSerializer, responses={202: ReportSnapshotSerializer}, operation_id="reports_start",
                   tags=["reports"], summary="Start generating a report (new snapshot version)")
    def post(self, request):
        s = StartSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        site = None
        if d.get("site") is not None:
            site = get_object_or_404(tenancy.scope(Site.objects.select_related("enterprise"), request.user),
                                     pk=d["site"])
            if d.get("enterprise") not in (None, site.enterprise_id):
                raise ApplicationError("invalid_site", "The site does not belong to the enterprise.", status_code=400)
            enterprise = site.enterprise
        elif d.get("enterprise") is not None:
            enterprise = get_object_or_404(tenancy.visible_enterprises(request.user), pk=d["enterprise"])
        else:
            raise ApplicationError("invalid_subject", "Give an enterprise or a site.", status_code=400)
        if not tenancy.has_role(request.user, enterprise, Role.ENERGY_MANAGER):
            raise ApplicationError("forbidden", "Generating reports needs the energy manager role.", status_code=403)
        options = {"allocation": d["allocation"]} if d.get("allocation") else None
        with transaction.atomic():
            snap = report_create(kind=d["kind"], enterprise=enterprise, site=site, year=d["year"], fmt=d["format"],
                                 lang=d["lang"], user=request.user, options=options)
            _audit(request, "report.create", snap, {"kind": snap.kind, "year": snap.year, "format": snap.format},
                   enterprise=enterprise)
            transaction.on_commit(lambda: report_generate_task.delay(snap.pk))
        return Response(ReportSnapshotSerializer(snap).data, status=status.HTTP_202_ACCEPTED)


class ReportDetailApi(APIView):
    @extend_schema(responses=ReportSnapshotSerializer, operation_id="reports_status", tags=["reports"],
                   summary="Status, progress and files of a report snapshot")
    def get(self, request, pk: int):
        snap = _snapshot(request, pk)
        report_snapshots_supersede(enterprise=snap.enterprise)
        return Response(ReportSnapshotSerializer(get_object_or_404(_visible(request.user), pk=pk)).data)


class ReportDownloadApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("file", int, description="file id (default: the first)")],
                   responses={(200, "application/octet-stream"): OpenApiTypes.BINARY}, operation_id="reports_download",
                   tags=["reports"], summary="Download a stored report file")
    def get(self, request, pk: int):
        snap = _snapshot(request, pk)
        files = snap.files.all()
        if request.query_params.get("file"):
            if not request.query_params["file"].isdigit() or int(request.query_params["file"]) > PK_MAX:
                raise ApplicationError("invalid_file", "file must be a file id.", status_code=400)
            files = files.filter(pk=int(request.query_params["file"]))
        rf = files.first()
        if rf is None:
            raise ApplicationError("not_found", "No stored file for this report.", status_code=404)
        _audit(request, "report.download", rf, {"snapshot": snap.pk, "sha256": rf.sha256})
        return FileResponse(rf.file.open("rb"), as_attachment=True, filename=rf.name)


class RegulatorExportApi(APIView):
    def perform_content_negotiation(self, request, force=False):
        # ?format= names the export format here, not a DRF renderer: never 404 on format=csv/xlsx.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(parameters=[OpenApiParameter("year", int, required=True),
                               OpenApiParameter("kind", str, enum=["energy", "ghg"]),
                               OpenApiParameter("format", str, enum=["csv", "json", "xlsx"])],
                   responses={(200, "text/csv"): OpenApiTypes.BINARY}, operation_id="regulator_export",
                   tags=["regulator"], summary="Jurisdiction export of annual figures (regulators)")
    def get(self, request):
        if not (tenancy.is_regulator(request.user) or request.user.is_superuser):
            raise ApplicationError("forbidden", "Regulator exports are for regulators.", status_code=403)
        q = request.query_params
        kind, fmt = q.get("kind", "energy"), q.get("format", "json")
        if kind not in ("energy", "ghg") or fmt not in ("csv", "json", "xlsx") or not q.get("year", "").isdigit() \
                or not 2000 <= int(q["year"]) <= 2100:
            raise ApplicationError("invalid_export", "Use year=YYYY, kind=energy|ghg, format=csv|json|xlsx.",
                                   status_code=400)
        doc = regulator_export(user=request.user, year=int(q["year"]), kind=kind)
        render, ctype = {"csv": (render_csv, "text/csv"), "json": (render_json, "application/json"),
                         "xlsx": (render_xlsx, XLSX_TYPE)}[fmt]
        _audit(request, "regulator.export", None, {"year": int(q["year"]), "kind": kind, "format": fmt,
                                                   "enterprises": len(doc.sections[0].tables[0].rows)})
        resp = HttpResponse(render(doc), content_type=ctype)
        resp["Content-Disposition"] = f'attachment; filename="{kind}_{q["year"]}.{fmt}"'
        return resp



class RollupExportApi(APIView):
    """Rolled-up data of a meter, site or production unit as streamed CSV or an XLSX built in write-only mode."""

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)  # ?format= is the export format

    @extend_schema(parameters=[
        OpenApiParameter("meter", int), OpenApiParameter("site", int), OpenApiParameter("unit", int),
        OpenApiParameter("granularity", str, enum=list(dataexports.GRANULARITIES), required=True),
        OpenApiParameter("start", OpenApiTypes.DATE, required=True, description="first local day"),
        OpenApiParameter("end", OpenApiTypes.DATE, required=True, description="local day after the last"),
        OpenApiParameter("format", str, enum=["csv", "xlsx"]),
        OpenApiParameter("rows", str, enum=list(dataexports.ROWS),
                         description="total per carrier (default) or every meter of the site/unit")],
        responses={(200, "text/csv"): OpenApiTypes.BINARY}, operation_id="rollups_export", tags=["exports"],
        summary="Export hourly/daily/monthly rolled-up data with start, end and unit columns")
    def get(self, request):
        q = request.query_params
        given = [k for k in ("meter", "site", "unit") if q.get(k)]
        if len(given) != 1 or not q[given[0]].isdigit() or int(q[given[0]]) > PK_MAX:
            raise ApplicationError("invalid_subject", "Give exactly one of meter, site or unit (an id).",
                                   status_code=400)
        pk = int(q[given[0]])
        if given[0] == "meter":
            subject = dataexports.subject_for_meter(get_object_or_404(
                tenancy.scope(Meter.objects.select_related("site__enterprise"), request.user), pk=pk))
        elif given[0] == "site":
            subject = dataexports.subject_for_site(get_object_or_404(
                tenancy.scope(Site.objects.select_related("enterprise"), request.user), pk=pk))
        else:
            subject = dataexports.subject_for_unit(get_object_or_404(
                tenancy.scope(ProductionUnit.objects.select_related("site__enterprise"), request.user), pk=pk))
        fmt, granularity, rows = q.get("format", "csv"), q.get("granularity", ""), q.get("rows", "total")
        if fmt not in ("csv", "xlsx"):
            raise ApplicationError("invalid_format", "format must be csv or xlsx.", status_code=400)
        start, end = dataexports.parse_range(start=q.get("start"), end=q.get("end"), tz=subject.site.timezone)
        data = dataexports.iter_rows(subject=subject, granularity=granularity, start=start, end=end, rows=rows)
        head = dataexports.header(subject, rows, granularity)
        first = next(data, None)  # validates the parameters (4xx) before the response starts streaming
        data = dataexports.chain_first(first, data)
        name = f"{subject.kind}_{subject.code}_{granularity}_{q['start']}_{q['end']}.{fmt}"
        _audit(request, "data.export", None, {"subject": subject.kind, "code": subject.code, "granularity": granularity,
                                              "start": q["start"], "end": q["end"], "format": fmt, "rows": rows},
               enterprise=subject.enterprise)
        if fmt == "csv":
            resp = StreamingHttpResponse(dataexports.csv_chunks(head, data), content_type="text/csv; charset=utf-8")
            resp["Content-Disposition"] = f'attachment; filename="{name}"'
            return resp
        return FileResponse(dataexports.xlsx_file(head, data, title=f"{subject.code}_{granularity}"),
                            as_attachment=True, filename=name, content_type=XLSX_TYPE)


class IndicatorEntrySerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="indicator.code", read_only=True)
    name = serializers.CharField(source="indicator.name_zh", read_only=True)
    unit = serializers.CharField(source="indicator.unit", read_only=True)

    class Meta:
        model = IndicatorEntry
        fields = ["id", "site", "year", "indicator", "code", "name", "unit", "value", "evidence", "evidence_file",
                  "entered_at"]


class IndicatorEntryInputSerializer(serializers.Serializer):
    indicator = serializers.IntegerField(min_value=1, max_value=PK_MAX)
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    value = serializers.DecimalField(max_digits=18, decimal_places=6)
    evidence = serializers.CharField(required=False, allow_blank=True, default="")
    evidence_file = serializers.FileField(required=False)


class SiteGreenFactoryEntriesApi(APIView):
    """Entered green-factory indicator values of a factory site, with their evidence."""

    def _site(self, request, pk: int) -> Site:
        if pk > PK_MAX:
            raise ApplicationError("not_found", "No such site.", status_code=404)
        return get_object_or_404(tenancy.scope(Site.objects.select_related("enterprise"), request.user), pk=pk)

    @extend_schema(responses=IndicatorEntrySerializer(many=True), operation_id="site_green_factory_entries_list",
                   tags=["reports"], summary="Entered green-factory indicator values of a factory site",
                   parameters=[OpenApiParameter("year", OpenApiTypes.INT)])
    def get(self, request, id: int):  # noqa: A002 - the path parameter is named id
        site = self._site(request, id)
        qs = IndicatorEntry.objects.filter(site=site).select_related("indicator").order_by("year", "indicator__order")
        year = request.query_params.get("year")
        if year is not None:
            if not year.isdigit():
                raise ApplicationError("invalid_year", "year must be a number.", status_code=400)
            qs = qs.filter(year=int(year))
        return Response(IndicatorEntrySerializer(qs, many=True).data)

    @extend_schema(request=IndicatorEntryInputSerializer, responses={201: IndicatorEntrySerializer},
                   operation_id="site_green_factory_entries_enter", tags=["reports"],
                   summary="Enter a green-factory indicator value of a factory site with its evidence")
    def post(self, request, id: int):  # noqa: A002
        site = self._site(request, id)
        if not tenancy.has_role(request.user, site.enterprise, Role.ENERGY_MANAGER):
            raise ApplicationError("forbidden", "Entering indicator values needs the energy manager role.",
                                   status_code=403)
        s = IndicatorEntryInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        indicator = Indicator.objects.filter(pk=d["indicator"]).first()
        if indicator is None:
            raise ApplicationError("invalid_indicator", "No such indicator.", status_code=400)
        with transaction.atomic():
            entry = indicator_entry_upsert(site=site, indicator=indicator, year=d["year"], value=d["value"],
                                           evidence=d["evidence"], evidence_file=d.get("evidence_file"),
                                           user=request.user)
            _audit(request, "green_factory_entry.enter", entry,
                   {"site": site.code, "indicator": indicator.code, "year": d["year"], "value": str(d["value"])},
                   enterprise=site.enterprise)
        return Response(IndicatorEntrySerializer(entry).data, status=status.HTTP_201_CREATED)
