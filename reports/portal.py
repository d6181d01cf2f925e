"""Regulator portal (read-only pages): enterprises and sites of the regulator's jurisdiction with their KPIs, their
report snapshots to download, and the bulk KPI export. Regulators only (403 for anyone else); an enterprise or
report outside the jurisdiction is a 404. Every download and export is written to the audit log."""

from __future__ import annotations

import re
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from carbon.periods import MONTH_IN_PROGRESS, Period
from energy_platform.errors import ApplicationError
from energy_platform.figures import figure, unit_text

from . import dataexports, selectors
from .labels import is_share
from .models import ReportSnapshot

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _regulator(request) -> None:
    if not selectors.jurisdiction_prefixes(request.user):
        raise PermissionDenied(_("The regulator portal is for regulators."))


#: A period written the Chinese way: "2025年", "2025年3月", "2025年第1季度" / "2025年Q1".
_CHINESE_PERIOD = re.compile(
    r"^(?P<y>\d{4})\s*年\s*(?:(?P<m>\d{1,2})\s*月|第?\s*[Qq]?(?P<q>[1-4一二三四])\s*(?:季度?)?)?$")
_QUARTERS = {"一": "1", "二": "2", "三": "3", "四": "4"}


def _period(request) -> Period:
    text = (request.GET.get("period") or str(timezone.localdate().year - 1)).strip()
    match = _CHINESE_PERIOD.match(text)
    if match:  # a regulator types the period as it is written in Chinese documents
        if match["m"] and 1 <= int(match["m"]) <= 12:
            text = f"{match['y']}-{int(match['m']):02d}"
        elif match["q"]:
            text = f"{match['y']}-Q{_QUARTERS.get(match['q'], match['q'])}"
        elif not match["m"]:
            text = match["y"]
    return Period.parse(text)


def _labels() -> dict:
    return {"energy_tce": _("Energy"), "value_added_10k_cny": _("Value added"),
            "energy_per_value_added": _("Energy per value added"), "scope1_tco2": _("Scope 1 (direct)"),
            "scope2_tco2": _("Scope 2 (purchased energy)"), "total_tco2": _("Total emissions"),
            "carbon_intensity": _("Carbon intensity"), "renewable_share": _("Renewable share"),
            "data_completeness": _("Data completeness")}


def _columns() -> list[dict]:
    # Unit keys are shown as people read them (tce/万元 in Chinese; a share as %), never as the key itself.
    labels = _labels()
    return [{"key": key, "label": labels[key], "unit": "%" if is_share(unit) else unit_text(unit)}
            for key, unit in selectors.KPI_COLUMNS]


def _reason_text(reason: str) -> str:
    # The KPI answer's reason for an empty intensity, said in words instead of an empty cell.
    return _("— month in progress") if reason == MONTH_IN_PROGRESS else "—"


def _cell(value, unit: str) -> str:
    # A share (unit "ratio") prints as a percentage with the percentage's decimals: 0.0509 → 5.09.
    if is_share(unit) and value is not None:
        return figure(value * 100, "percent")
    return figure(value, unit or None)


def _cells(kpis: dict, reasons: dict | None = None) -> list[str]:
    reasons = reasons or {}
    return [_reason_text(reasons[key]) if kpis[key] is None and key in reasons else _cell(kpis[key], unit)
            for key, unit in selectors.KPI_COLUMNS]


def _context(request, **extra) -> dict:
    # `regulator` shows the portal link in the navigation; no enterprise picker on these pages.
    return {"regulator": True, "enterprise": None, "enterprises": None,
            "prefixes": selectors.jurisdiction_prefixes(request.user), **extra}


@login_required
def portal_home(request):
    _regulator(request)
    period = _period(request)
    rows = [{**r, "cells": _cells(r["kpis"], r["reasons"])}
            for r in selectors.enterprise_rows(user=request.user, period=period)]
    return render(request, "reports/portal/home.html", _context(request, period=period, rows=rows,
                                                                 columns=_columns()))


@login_required
def portal_enterprise(request, pk: int):
    _regulator(request)
    ent = selectors.jurisdiction_enterprise(request.user, pk)
    period = _period(request)
    sites = [{**r, "cells": _cells(r["kpis"], r["reasons"])}
             for r in selectors.site_rows(enterprise=ent, period=period)]
    return render(request, "reports/portal/enterprise.html", _context(
        request, ent=ent, period=period, sites=sites, columns=_columns(),
        snapshots=selectors.enterprise_snapshots(enterprise=ent)))


@login_required
def portal_download(request, pk: int, file_id: int):
    _regulator(request)
    snap: ReportSnapshot = selectors.jurisdiction_snapshot(request.user, pk)
    rf = snap.files.filter(pk=file_id).first() if file_id <= selectors.PK_MAX else None
    if rf is None:
        raise Http404
    audit_record(request=request, action="report.download", obj=rf, enterprise=snap.enterprise,
                 detail={"snapshot": snap.pk, "sha256": rf.sha256, "via": "regulator portal"})
    return FileResponse(rf.file.open("rb"), as_attachment=True, filename=rf.name)


@login_required
def portal_export(request):
    _regulator(request)
    period = _period(request)
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        raise ApplicationError("invalid_format", _("format must be csv or xlsx."), status_code=400)
    enterprises = list(selectors.jurisdiction_enterprises(request.user).values_list("credit_code", flat=True))
    audit_record(request=request, action="regulator.export", detail={
        "period": str(period), "format": fmt, "prefixes": selectors.jurisdiction_prefixes(request.user),
        "enterprises": enterprises, "via": "regulator portal"})
    rows = selectors.kpi_export_rows(user=request.user, period=period)
    name = f"kpis_{period}.{fmt}"
    if fmt == "csv":
        # Decimals go to the CSV writer as numbers (str() by csv), so a negative value is not taken for a formula.
        resp = StreamingHttpResponse(dataexports.csv_chunks(selectors.KPI_EXPORT_HEADER, rows),
                                     content_type="text/csv; charset=utf-8")
        resp["Content-Disposition"] = f'attachment; filename="{name}"'
        return resp
    numbers = ([float(v) if isinstance(v, Decimal) else v for v in row] for row in rows)
    return FileResponse(dataexports.xlsx_file(selectors.KPI_EXPORT_HEADER, numbers, title=f"kpis_{period}"),
                        as_attachment=True, filename=name, content_type=XLSX_TYPE)
