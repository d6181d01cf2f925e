"""Monthly MRV records of an enterprise (DOMAIN.md §10): per month and fuel or material the consumption, measured
heating value and carbon content, evidence files and review status; the data-quality control plan; the export."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q
from django.utils.translation import get_language

from energy_platform.cells import cell_row
from plants.models import Enterprise

from .models import DataQualityPlanItem, MeasuredFuelProperty, MrvEvidence, ProcessActivity, ReviewStatus

COLUMNS = ["month", "kind", "code", "name", "site", "consumption", "unit", "ncv_gj_per_unit",
           "carbon_content_tc_per_tj", "evidence", "review_status", "checked_by", "checked_at", "confirmed_by",
           "confirmed_at", "record_id"]


def _who(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _evidence(rows: list[MrvEvidence]) -> list[dict]:
    return [{"id": e.pk, "kind": e.kind, "reference": e.reference, "file": e.file.name or None} for e in rows]


def mrv_records(*, enterprise: Enterprise, months: list[dt.date]) -> list[dict]:
    """Every MRV record of the months: fuels (measured properties) and process materials (activity data), in month
    order. Read-only; the caller has checked that the user may see the enterprise."""
    ev = Prefetch("evidence", queryset=MrvEvidence.objects.order_by("kind", "reference"))
    users = ("checked_by", "confirmed_by")
    zh = (get_language() or "").startswith("zh")
    fuels = (MeasuredFuelProperty.objects.filter(enterprise=enterprise, month__in=months)
             .select_related(*users).prefetch_related(ev))
    activities = (ProcessActivity.objects.filter(site__enterprise=enterprise, month__in=months)
                  .select_related("factor", "site", *users).prefetch_related(ev))
    out = [{"record_id": r.pk, "record": "fuel", "month": r.month, "kind": "fuel", "code": r.carrier,
                    "name": str(r.get_carrier_display()), "site": "", "consumption": r.consumption,
                    "unit": r.activity_unit, "ncv_gj_per_unit": r.ncv_gj_per_unit,
                    "carbon_content_tc_per_tj": r.carbon_content_tc_per_tj,
                    "evidence": [{"id": None, "kind": "lab_report", "reference": r.lab_report_number,
                                  "file": r.evidence_file.name or None}] + _evidence(list(r.evidence.all())),
                    "review_status": r.review_status, "checked_by": _who(r.checked_by), "checked_at": r.checked_at,
                    "confirmed_by": _who(r.confirmed_by), "confirmed_at": r.confirmed_at} for r in fuels]
    out += [{"record_id": a.pk, "record": "process", "month": a.month, "kind": "material",
                    "code": a.factor.code, "name": a.factor.name_zh if zh else a.factor.name_en, "site": a.site.code,
                    "consumption": a.amount, "unit": a.factor.activity_unit, "ncv_gj_per_unit": None,
                    "carbon_content_tc_per_tj": None, "evidence": _evidence(list(a.evidence.all())),
                    "review_status": a.review_status, "checked_by": _who(a.checked_by), "checked_at": a.checked_at,
                    "confirmed_by": _who(a.confirmed_by), "confirmed_at": a.confirmed_at} for a in activities]
    return sorted(out, key=lambda r: (r["month"], r["kind"], r["site"], r["code"]))


def mrv_status(*, enterprise: Enterprise, months: list[dt.date]) -> dict:
    """Which months are fully confirmed (every record confirmed) and which records are not yet."""
    fuel = MeasuredFuelProperty.objects.filter(enterprise=enterprise, month__in=months)
    proc = ProcessActivity.objects.filter(site__enterprise=enterprise, month__in=months)
    not_confirmed = ~Q(review_status=ReviewStatus.CONFIRMED)
    open_months = set(fuel.filter(not_confirmed).values_list("month", flat=True)) | set(
        proc.filter(not_confirmed).values_list("month", flat=True))
    with_records = set(fuel.values_list("month", flat=True)) | set(proc.values_list("month", flat=True))
    return {"confirmed_months": sorted(with_records - open_months), "unconfirmed_months": sorted(open_months),
            "months_without_records": sorted(set(months) - with_records),
            "unconfirmed": [(m, c, s) for m, c, s in fuel.filter(not_confirmed)
                            .values_list("month", "carrier", "review_status").order_by("month", "carrier")]
            + [(m, c, s) for m, c, s in proc.filter(not_confirmed)
               .values_list("month", "factor__code", "review_status").order_by("month", "factor__code")]}


def plan_items(*, enterprise: Enterprise) -> list[DataQualityPlanItem]:
    return list(DataQualityPlanItem.objects.filter(enterprise=enterprise))


def _flat(r: dict) -> list:
    evidence = "; ".join(f"{e['kind']} {e['reference']}" + (f" ({e['file']})" if e["file"] else "")
                         for e in r["evidence"])
    return [r["month"].strftime("%Y-%m"), r["kind"], r["code"], r["name"], r["site"], r["consumption"], r["unit"],
            r["ncv_gj_per_unit"], r["carbon_content_tc_per_tj"], evidence, r["review_status"], r["checked_by"],
            _naive(r["checked_at"]), r["confirmed_by"], _naive(r["confirmed_at"]), r["record_id"]]


def _naive(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def mrv_export(*, enterprise: Enterprise, months: list[dt.date], fmt: str) -> bytes:
    """The months' MRV records as CSV (UTF-8 with BOM, for Excel) or XLSX (sheet `mrv` and the plan sheet)."""
    rows = [_flat(r) for r in mrv_records(enterprise=enterprise, months=months)]
    plan = [[p.subject, p.parameter, p.method, p.frequency, p.responsible, p.evidence_kind]
            for p in plan_items(enterprise=enterprise)]
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(cell_row(COLUMNS))
        for row in rows:
            w.writerow(cell_row(row))
        return ("\ufeff" + buf.getvalue()).encode()
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "mrv"
    ws.append(cell_row(COLUMNS))
    for row in rows:
        ws.append(cell_row([float(v) if isinstance(v, Decimal) else v for v in row]))
    qs = wb.create_sheet("quality_plan")
    qs.append(cell_row(["subject", "parameter", "method", "frequency", "responsible", "evidence"]))
    for row in plan:
        qs.append(cell_row(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
