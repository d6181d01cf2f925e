"""Closed months as recorded at close: which months of a period are closed, their figures from the closing
snapshots, and open spans added to them (carbon.kpis reads a period through these; closed figures never move until a
restatement)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from plants.models import Site

from .energy import memo_active
from .periods import Period


def period_status(*, enterprise_id: int, period: Period) -> dict[str, Any]:
    """Whether the period's months are closed (figures as recorded at close) and whether late or corrected data
    waits for a restatement of any of them."""
    from .models import AccountingPeriod

    months = [m for m in period.months() if period.until is None or m < period.until]
    key = ("periods", enterprise_id)
    memo = memo_active()
    if memo is not None and key in memo:
        rows = memo[key]
    else:
        rows = {m: pending for m, pending in AccountingPeriod.objects.filter(
            enterprise_id=enterprise_id, status=AccountingPeriod.Status.CLOSED).values_list(
            "month", "restatement_pending")}
        if memo is not None:
            memo[key] = rows
    closed = [m for m in months if m in rows]
    pending = [m for m in closed if rows[m]]
    return {"closed": bool(months) and len(closed) == len(months), "restatement_pending": bool(pending),
            "closed_months": [f"{m:%Y-%m}" for m in closed], "restatement_pending_months": [
                f"{m:%Y-%m}" for m in pending]}


def open_runs(period: Period, closed: set[dt.date]) -> list[Period]:
    """The open months of `period` as contiguous spans (the last cut like the period), for recomputation."""
    runs: list[Period] = []
    for m in period.months():
        if m in closed or (period.until is not None and m >= period.until):
            continue
        if runs and runs[-1].end_month == m:
            runs[-1] = Period(runs[-1].first, runs[-1].n_months + 1)
        else:
            runs.append(Period(m, 1))
    if runs and period.until is not None and runs[-1].end_month > period.until:
        runs[-1] = Period(runs[-1].first, runs[-1].n_months, period.until)
    return runs


def closed_month_cores(*, site: Site, months: list[dt.date], method: str) -> dict[dt.date, dict[str, Any]]:
    """{month: core} of the site's closed months among `months` (the latest snapshot version of each)."""
    from .ledger import snapshot_loads
    from .models import ClosingSnapshot

    memo = memo_active()
    key = ("snapshots", site.pk, method)
    if memo is not None and key in memo:
        rows = memo[key]
    else:
        qs = ClosingSnapshot.objects.filter(site=site, method=method)
        if memo is None:
            qs = qs.filter(month__in=months)
        rows = {}
        for snap in qs.order_by("month", "version"):
            rows[snap.month] = snap  # the highest version wins
        if memo is not None:
            memo[key] = rows
    return {m: snapshot_loads(rows[m].payload)["core"] for m in months if m in rows}


def combine_cores(cores: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of consecutive spans added up (closed months and open spans of one period)."""
    if len(cores) == 1:
        return cores[0]
    by_carrier: dict[str, dict[str, Any]] = {}
    lines: dict[tuple[Any, ...], dict[str, Any]] = {}
    products: dict[str, dict[str, Any]] = {}
    for c in cores:
        for e in c["energy"]["by_carrier"]:
            agg = by_carrier.setdefault(e["carrier"], {**e, "quantity": Decimal(0), "tce": Decimal(0)})
            agg["quantity"] += e["quantity"]
            agg["tce"] += e["tce"]
        for ln in c["emissions"]["lines"]:
            k = (ln["scope"], ln["source"], ln["factor_id"], ln["activity_unit"])
            agg = lines.setdefault(k, {**ln, "activity_amount": Decimal(0), "tco2": Decimal(0)})
            agg["activity_amount"] += ln["activity_amount"]
            agg["tco2"] += ln["tco2"]
        for code, p in c["products"].items():
            agg = products.setdefault(code, {"output": None, "tce": Decimal(0), "allocation": p["allocation"]})
            if p["output"] is not None:
                agg["output"] = (agg["output"] or Decimal(0)) + p["output"]
            agg["tce"] += p["tce"]
    completeness = [c["energy"]["completeness"] for c in cores if c["energy"]["completeness"] is not None]
    vas = [c["value_added"] for c in cores if c["value_added"] is not None]
    em = [c["emissions"] for c in cores]
    return {
        "energy": {"energy_tce": sum((c["energy"]["energy_tce"] for c in cores), Decimal(0)),
                   "by_carrier": sorted(by_carrier.values(), key=lambda e: e["carrier"]),
                   "completeness": min(completeness) if completeness else None,
                   "excluded_meters": [e for c in cores for e in c["energy"].get("excluded_meters", [])]},
        "emissions": {
            "lines": list(lines.values()),
            **{k: sum((e[k] for e in em), Decimal(0)) for k in ("scope1_tco2", "scope2_tco2", "total_tco2")},
            "green_electricity": {
                "metered_green_power_mwh": sum((e["green_electricity"]["metered_green_power_mwh"] for e in em),
                                               Decimal(0)),
                "certificates_mwh": sum((e["green_electricity"]["certificates_mwh"] for e in em), Decimal(0)),
                "note": em[0]["green_electricity"]["note"]},
            "factor_versions": sorted({v for e in em for v in e["factor_versions"]}),
            "excluded_meters": [x for e in em for x in e.get("excluded_meters", [])]},
        "value_added": sum(vas, Decimal(0)) if vas else None,
        "electricity_kwh": sum(c["electricity_kwh"] for c in cores),
        "renewable_kwh": sum(c["renewable_kwh"] for c in cores),
        "facility_kwh": sum(c["facility_kwh"] for c in cores),
        "it_kwh": sum(c["it_kwh"] for c in cores),
        "products": products,
    }
