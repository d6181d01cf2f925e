"""The cost pages: an enterprise's sites with their cost, and a site's cost (band split, load curve coloured by
band, maximum demand per month, cost per product, load-shifting what-if)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.tenancy import is_regulator, scope, visible_enterprises
from carbon.periods import Period
from energy_platform.errors import ApplicationError
from plants.models import Enterprise, Site

from .models import BANDS, MeterCostMonth
from .selectors import (
    load_shift_saving,
    site_cost_cards,
    site_cost_meters,
    site_costs,
    site_daily_load,
    site_monthly_demand,
)


def _common(request, enterprise: Enterprise, **extra) -> dict:
    return {"enterprise": enterprise, "enterprises": visible_enterprises(request.user).order_by("name"),
            "regulator": is_regulator(request.user), **extra}


def _period(request) -> Period:
    text = request.GET.get("period") or ""
    if not text:
        today = timezone.localdate()
        return Period.month(today.year, today.month)
    try:
        return Period.parse(text)
    except ApplicationError as exc:
        raise Http404 from exc


@login_required
def costs_page(request):
    qs = visible_enterprises(request.user).order_by("pk")
    pk = request.GET.get("enterprise")
    enterprise = qs.filter(pk=int(pk)).first() if pk and str(pk).isdigit() else (None if pk else qs.first())
    if enterprise is None:
        raise Http404
    period = _period(request)
    sites = [{"site": s, "costs": site_costs(site=s, period=period)}
             for s in scope(Site.objects.filter(enterprise=enterprise), request.user).order_by("code")]
    return render(request, "costs/costs.html", _common(request, enterprise, period=period, sites=sites,
                                                       month_value=f"{period.first:%Y-%m}"))


def _decimal(text: str | None) -> Decimal | None:
    if text in (None, ""):
        return None
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise ApplicationError("invalid_amount", "Enter a number.") from exc


@login_required
def site_costs_page(request, pk: int):
    site = scope(Site.objects.select_related("enterprise"), request.user).filter(pk=pk).first()
    if site is None:
        raise Http404
    period = _period(request)
    costs = site_costs(site=site, period=period)
    last = (MeterCostMonth.objects.filter(meter__in=site_cost_meters(site), month__lt=period.end_month,
                                          month__gte=period.first).order_by("-max_demand_at").first())
    try:
        day = dt.date.fromisoformat(request.GET["day"]) if request.GET.get("day") else None
    except ValueError as exc:
        raise Http404 from exc
    if day is None:
        day = last.max_demand_at.astimezone(timezone.get_current_timezone()).date() if last and \
            last.max_demand_at else period.first
    whatif, whatif_error = None, None
    if "kwh_per_day" in request.GET:
        try:
            whatif = load_shift_saving(site=site, month=period.first, kwh_per_day=_decimal(
                request.GET.get("kwh_per_day")) or Decimal(0), from_band=request.GET.get("from_band", ""),
                to_band=request.GET.get("to_band", ""), demand_cap_kw=_decimal(request.GET.get("demand_cap_kw")))
        except ApplicationError as exc:
            whatif_error = exc.detail
    load = site_daily_load(site=site, day=day)
    band_labels = {b.value: str(b.label) for b in BANDS}
    chart = {
        "load": {"labels": [s["time"] for s in load["slots"]], "kw": [s["kw"] for s in load["slots"]],
                 "bands": [s["band"] for s in load["slots"]], "band_labels": band_labels},
        "split": [{"name": line["label"], "band": line["band"], "value": float(line["cost_cny"])}
                  for line in costs["lines"]
                  if line["kind"] == "energy"],
        "demand": site_monthly_demand(site=site, year=period.first.year),
    }
    for row in chart["demand"]:
        row["max_demand_kw"] = float(row["max_demand_kw"])
    # What each chart draws, as the table its CSV/XLSX link exports (energy_platform.tables, ?chart=cost-chart-data:x).
    chart["tables"] = {
        "split": {"labels": [r["name"] for r in chart["split"]],
                  "series": [{"name": _("Energy charge"), "unit": "CNY",
                              "data": [r["value"] for r in chart["split"]]}]},
        "load": {"labels": chart["load"]["labels"],
                 "series": [{"name": _("Load"), "unit": "kW", "data": chart["load"]["kw"]},
                            {"name": _("Band"), "data": [band_labels.get(b, "") if b else ""
                                                         for b in chart["load"]["bands"]]}]},
        "demand": {"labels": [r["month"] for r in chart["demand"]],
                   "series": [{"name": _("Maximum demand"), "unit": "kW",
                               "data": [r["max_demand_kw"] for r in chart["demand"]]}]},
    }
    return render(request, "costs/site_costs.html", _common(
        request, site.enterprise, site=site, period=period, costs=costs, day=day.isoformat(), chart=chart,
        bands=BANDS, cards=site_cost_cards(site=site, month=period.first),
        whatif=whatif, whatif_error=whatif_error, month_value=f"{period.first:%Y-%m}",
        query=request.GET))
