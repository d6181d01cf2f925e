"""Reads of the computed cost: a site's, an enterprise's or a production unit's cost for a period, as lines that add
up to the total, with the tariff versions used (the API and the cost page share these)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from carbon.kpis import product_output, value_added
from carbon.periods import Period, month_add, period_coverage
from energy_platform.errors import ApplicationError
from meters.models import CARRIER_UNITS, Carrier, Meter
from plants.models import Enterprise, Product, ProductionUnit, Site

from .models import BANDS, Band, CarrierPrice, ElectricityTariff, MeterBandDay, MeterCostDay, MeterCostMonth

CENT = Decimal("0.01")
#: Meters whose cost is the site's: top-level meters buying energy into the site (the bills' meters).
SITE_COST_METERS = Q(parent__isnull=True, role__in=[Meter.Role.PURCHASE, Meter.Role.FACILITY_TOTAL])


def _cny(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP)


def _days(period: Period) -> tuple[dt.date, dt.date]:
    """The days counted: the period's, cut at `until` (exclusive) for a period in progress (carbon.periods)."""
    return period.first, period.until or period.end_month


def cost_summary(*, meters: list[Meter], period: Period) -> dict:
    """The cost of these meters in the period: one line per time-of-use band, government funds, capacity charge,
    power-factor adjustment and one line per other carrier; each line rounded to the fen and the total their sum
    (as on a bill). Names the tariff versions and carrier prices used, and the meters without a price."""
    ids = [m.pk for m in meters]
    lo, hi = _days(period)
    months = MeterCostMonth.objects.filter(meter_id__in=ids, month__gte=lo, month__lt=hi)
    elec = months.filter(meter__carrier=Carrier.ELECTRICITY)
    bands = {row["band"]: row for row in MeterBandDay.objects.filter(meter_id__in=ids, day__gte=lo, day__lt=hi)
             .values("band").annotate(kwh=Sum("energy_kwh"), cny=Sum("energy_cny"))}
    lines = [{"kind": "energy", "band": b.value, "label": str(b.label), "quantity": bands[b.value]["kwh"],
              "unit": "kWh", "cost_cny": _cny(bands[b.value]["cny"])} for b in BANDS if b.value in bands]
    totals = elec.aggregate(funds=Sum("funds_cny"), capacity=Sum("capacity_cny"), pf=Sum("pf_adjustment_cny"),
                            kwh=Sum("quantity"))
    days = MeterCostDay.objects.filter(meter_id__in=ids, day__gte=lo, day__lt=hi)
    if period.until is not None:
        # A period in progress (cut at `until`): the per-day quantities, funds and carriers of the days counted; the
        # monthly charges (capacity, power factor) of each month begun, as the month's bill would carry them.
        totals.update(days.filter(meter__carrier=Carrier.ELECTRICITY).aggregate(funds=Sum("funds_cny"),
                                                                                kwh=Sum("quantity")))
    electricity_kwh = totals["kwh"] or Decimal(0)
    for kind, key in (("funds", "funds"), ("capacity", "capacity"), ("power_factor", "pf")):
        if totals[key]:
            lines.append({"kind": kind, "cost_cny": _cny(totals[key])})
    others = (days if period.until is not None else months).exclude(meter__carrier=Carrier.ELECTRICITY)
    others = (others.filter(energy_cny__isnull=False)
              .values("meter__carrier").annotate(q=Sum("quantity"), cny=Sum("energy_cny")).order_by("meter__carrier"))
    for row in others:
        carrier = row["meter__carrier"]
        lines.append({"kind": "carrier", "carrier": carrier, "label": str(Carrier(carrier).label),
                      "quantity": row["q"], "unit": CARRIER_UNITS.get(Carrier(carrier), ""),
                      "cost_cny": _cny(row["cny"])})
    used = days
    tariff_ids = set(used.exclude(tariff=None).values_list("tariff_id", flat=True).distinct())
    price_ids = set(used.exclude(carrier_price=None).values_list("carrier_price_id", flat=True).distinct())
    unpriced = sorted(set(used.filter(energy_cny__isnull=True, quantity__gt=0)
                          .values_list("meter__code", flat=True).distinct()))
    demand = [{"month": f"{r['month']:%Y-%m}", "meter": r["meter__code"], "max_demand_kw": r["max_demand_kw"],
               "at": r["max_demand_at"]}
              for r in elec.filter(billing=True, max_demand_kw__isnull=False).order_by("month", "meter__code")
              .values("month", "meter__code", "max_demand_kw", "max_demand_at")]
    state = months.aggregate(n=Count("pk"), frozen=Count("pk", filter=Q(frozen_at__isnull=False)))
    return {
        "period": str(period), "currency": "CNY",
        "lines": lines,
        "total_cny": sum((line["cost_cny"] for line in lines), Decimal("0.00")),
        "electricity_kwh": electricity_kwh,
        "max_demand": demand,
        "tariff_versions": [
            {"id": t.pk, "name": t.name, "site": t.site.code, "kind": t.kind, "valid_from": t.valid_from,
             "valid_to": t.valid_to, "source": t.source, "provisional": t.provisional,
             "calendar": str(t.calendar), "calendar_provisional": t.calendar.provisional}
            for t in ElectricityTariff.objects.filter(pk__in=tariff_ids).select_related("site", "calendar")],
        "carrier_prices": [
            {"id": p.pk, "carrier": p.carrier, "label": str(Carrier(p.carrier).label),
             "unit": CARRIER_UNITS.get(Carrier(p.carrier), ""), "price_text": f"{p.price_cny.normalize():f}",
             "price_cny": p.price_cny, "valid_from": p.valid_from,
             "valid_to": p.valid_to, "source": p.source, "provisional": p.provisional}
            for p in CarrierPrice.objects.filter(pk__in=price_ids)],
        "unpriced_meters": unpriced,
        "frozen": bool(state["n"]) and state["n"] == state["frozen"],
    }


def site_cost_meters(site: Site) -> list[Meter]:
    return list(Meter.objects.filter(SITE_COST_METERS, site=site))


def _per_value_added(summary: dict, va: Decimal | None) -> dict:
    value = (summary["total_cny"] / va).quantize(CENT) if va else None
    return {"value": value, "unit": "CNY/10^4 CNY"}


def site_costs(*, site: Site, period: Period) -> dict:
    """A site's cost (its billing meters and other purchased carriers), per 10⁴ CNY of value added and per unit of
    each product (the product's production-unit meters' cost when it has metered ones, else the site's)."""
    summary = cost_summary(meters=site_cost_meters(site), period=period)
    summary.update({"scope": "site", "site": site.code, "enterprise": site.enterprise_id})
    summary["cost_per_value_added"] = _per_value_added(summary, value_added(sites=[site], period=period))
    products = []
    for product in Product.objects.filter(site=site).select_related("unit_of_production"):
        output = product_output(product=product, period=period)
        allocation, total = "site", summary["total_cny"]
        if product.unit_of_production_id:
            unit_meters = unit_cost_meters(product.unit_of_production)
            if unit_meters:
                allocation = "production_unit_meters"
                total = cost_summary(meters=unit_meters, period=period)["total_cny"]
        products.append({"product": product.code, "name": product.name, "output": output, "unit": product.unit,
                         "cost_cny": total, "allocation": allocation,
                         "cost_per_unit": (total / output).quantize(Decimal("0.0001")) if output else None,
                         "cost_per_unit_unit": f"CNY/{product.unit}"})
    summary["per_product"] = products
    return summary


def enterprise_costs(*, enterprise: Enterprise, period: Period) -> dict:
    sites = list(enterprise.sites.all())
    meters = list(Meter.objects.filter(SITE_COST_METERS, site__in=sites))
    summary = cost_summary(meters=meters, period=period)
    summary.update({"scope": "enterprise", "enterprise": enterprise.pk})
    summary["cost_per_value_added"] = _per_value_added(summary, value_added(sites=sites, period=period))
    summary["sites"] = [{"site": s.code, "total_cny": cost_summary(meters=site_cost_meters(s), period=period)
                         ["total_cny"]} for s in sites]
    return summary


def unit_cost_meters(unit: ProductionUnit) -> list[Meter]:
    """A production unit's meters (its sub-units' too) that are not below another of its meters."""
    ids, frontier = {unit.pk}, [unit.pk]
    while frontier:
        frontier = list(ProductionUnit.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids.update(frontier)
    meters = list(Meter.objects.filter(production_unit_id__in=ids))
    inside = {m.pk for m in meters}
    return [m for m in meters if m.parent_id not in inside]


def unit_costs(*, unit: ProductionUnit, period: Period) -> dict:
    meters = unit_cost_meters(unit)
    summary = cost_summary(meters=meters, period=period)
    summary.update({"scope": "production_unit", "unit": unit.code, "site": unit.site.code,
                    "meters": [m.code for m in meters]})
    return summary


def site_daily_load(*, site: Site, day: dt.date) -> dict:
    """The billing meters' load of one local day by quarter-hour (kW) with each quarter-hour's band: the cost
    page's curve."""
    from .services import tariff_slots

    meters = [m for m in site_cost_meters(site) if m.carrier == Carrier.ELECTRICITY]
    tariff = (ElectricityTariff.objects.filter(site=site, valid_from__lte=day)
              .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day)).order_by("meter_id", "-valid_from").first())
    from .services import quarter_hour_load

    load = quarter_hour_load(meter_ids=[m.pk for m in meters], day=day, tz=site.timezone)
    holiday = bool(tariff and tariff.calendar.holidays.filter(day=day).exists())
    bands = tariff_slots(tariff)[(day.month, holiday)] if tariff else [None] * 96
    return {"day": day, "slots": [{"time": f"{k // 4:02d}:{k % 4 * 15:02d}", "kw": load.get(k),
                                   "band": bands[k]} for k in range(96)],
            "tariff": tariff.name if tariff else None}


def site_monthly_demand(*, site: Site, year: int) -> list[dict]:
    """Each month's maximum demand of the site's billing meters (the highest of them) in a year."""
    rows = (MeterCostMonth.objects.filter(meter__in=site_cost_meters(site), billing=True,
                                          month__year=year, max_demand_kw__isnull=False)
            .values("month").annotate(kw=Max("max_demand_kw")).order_by("month"))
    return [{"month": f"{r['month']:%Y-%m}", "max_demand_kw": r["kw"]} for r in rows]



def load_shift_saving(*, site: Site, month: dt.date, kwh_per_day: Decimal, from_band: str, to_band: str,
                      demand_cap_kw: Decimal | None = None) -> dict:
    """What-if on the current tariff: moving `kwh_per_day` from one band to another every day of the month, and
    capping the month's maximum demand at `demand_cap_kw`, saves (price difference × kWh × days) + (demand above
    the cap × demand price, for a tariff charged by maximum demand)."""
    if from_band not in Band.values or to_band not in Band.values:
        raise ApplicationError("invalid_band", f"Bands are {', '.join(Band.values)}.")
    if kwh_per_day < 0 or (demand_cap_kw is not None and demand_cap_kw < 0):
        raise ApplicationError("invalid_amount", "Amounts must not be negative.")
    month = month.replace(day=1)
    end = (month + dt.timedelta(days=32)).replace(day=1)
    last = end - dt.timedelta(days=1)
    tariff = (ElectricityTariff.objects.filter(site=site, meter__isnull=True, valid_from__lte=last)
              .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=last)).order_by("-valid_from").first())
    if tariff is None:
        raise ApplicationError("no_tariff", f"Site {site.code} has no tariff valid in {month:%Y-%m}.")
    p_from, p_to = tariff.price(from_band), tariff.price(to_band)
    if p_from is None or p_to is None:
        raise ApplicationError("invalid_band", "The tariff has no price for that band.")
    days = (end - month).days
    energy = (p_from - p_to) * kwh_per_day * days
    demand = Decimal(0)
    current = (MeterCostMonth.objects.filter(meter__in=site_cost_meters(site), month=month, billing=True)
               .aggregate(kw=Max("max_demand_kw"))["kw"])
    if (demand_cap_kw is not None and current is not None and current > demand_cap_kw
            and tariff.capacity_basis == ElectricityTariff.CapacityBasis.MAX_DEMAND_KW):
        demand = (current - demand_cap_kw) * (tariff.capacity_price_cny or 0)
    return {"tariff": tariff.name, "days": days, "energy_saving_cny": _cny(energy),
            "demand_saving_cny": _cny(demand), "saving_cny": _cny(energy) + _cny(demand),
            "current_max_demand_kw": current}


def bill_reconciliation(*, bills, tolerance: Decimal) -> list[dict]:
    """Each bill beside the metered quantity and the computed cost of its meter over the billing period (days from
    `MeterCostDay`; plus the capacity charge and power-factor adjustment of the months starting inside the period),
    with the differences as shares; `flagged` when either exceeds `tolerance` (e.g. 0.02). One query."""
    from django.db.models import DecimalField, F, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    money = DecimalField(max_digits=18, decimal_places=4)
    days = MeterCostDay.objects.filter(meter_id=OuterRef("meter_id"), day__gte=OuterRef("period_start"),
                                       day__lte=OuterRef("period_end")).values("meter_id")
    months = MeterCostMonth.objects.filter(meter_id=OuterRef("meter_id"), month__gte=OuterRef("period_start"),
                                           month__lte=OuterRef("period_end")).values("meter_id")
    zero = Decimal(0)
    rows = bills.select_related("meter__site").annotate(
        metered=Subquery(days.annotate(s=Sum("quantity")).values("s")),
        energy=Subquery(days.annotate(s=Sum(F("energy_cny") + Coalesce("funds_cny", zero, output_field=money),
                                            output_field=money)).values("s")),
        unpriced=Subquery(days.annotate(n=Count("pk", filter=Q(energy_cny__isnull=True))).values("n")),
        charges=Subquery(months.annotate(s=Sum(Coalesce("capacity_cny", zero, output_field=money)
                                               + Coalesce("pf_adjustment_cny", zero, output_field=money),
                                               output_field=money)).values("s")),
    ).order_by("meter__site__code", "meter__code", "period_start")
    out = []
    for bill in rows:
        computed = None if bill.energy is None or bill.unpriced else bill.energy + (bill.charges or zero)
        q_share = ((bill.quantity - bill.metered) / bill.metered).quantize(Decimal("0.0001")) \
            if bill.metered else None
        c_share = ((bill.amount_cny - computed) / computed).quantize(Decimal("0.0001")) \
            if computed and bill.amount_cny is not None else None
        flagged = any(s is not None and abs(s) > tolerance for s in (q_share, c_share)) or (
            bill.metered is None and bill.quantity > 0)
        out.append({"bill": bill, "meter": bill.meter, "metered_quantity": bill.metered,
                    "computed_cny": _cny(computed) if computed is not None else None,
                    "quantity_difference": q_share, "cost_difference": c_share, "flagged": flagged,
                    "quantity_difference_pct": None if q_share is None else q_share * 100,
                    "cost_difference_pct": None if c_share is None else c_share * 100})
    return out


def bill_mismatches(*, enterprise: Enterprise, user) -> list[dict]:
    """The bills of an enterprise (that the user may read) whose quantity or amount differs from the meter's by more
    than settings.COST_BILL_TOLERANCE: the data-quality page's list."""
    from django.conf import settings

    from accounts.tenancy import scope
    from meters.models import Bill

    bills = scope(Bill.objects.filter(meter__site__enterprise=enterprise), user)
    tolerance = Decimal(str(settings.COST_BILL_TOLERANCE))
    return [row for row in bill_reconciliation(bills=bills, tolerance=tolerance) if row["flagged"]]


EXPORT_HEADER = ["site", "meter", "carrier", "unit", "month", "billing_meter", "quantity", "energy_cny", "funds_cny",
                 "capacity_cny", "power_factor", "pf_adjustment_cny", "total_cny", "max_demand_kw", "max_demand_at",
                 "tariff", "tariff_provisional", "frozen"]


def cost_export_rows(*, site: Site, period: Period) -> list[list]:
    """Every meter-month of a site in the period (one query), for the CSV export; timestamps in the site's zone."""
    import zoneinfo

    zone = zoneinfo.ZoneInfo(site.timezone)
    rows = (MeterCostMonth.objects.filter(meter__site=site, month__gte=period.first, month__lt=period.end_month)
            .select_related("meter", "tariff").order_by("meter__code", "month"))
    return [[site.code, r.meter.code, r.meter.carrier, r.meter.unit, f"{r.month:%Y-%m}", r.billing, r.quantity,
             r.energy_cny, r.funds_cny, r.capacity_cny, r.power_factor, r.pf_adjustment_cny, r.total_cny,
             r.max_demand_kw, r.max_demand_at.astimezone(zone).isoformat() if r.max_demand_at else None,
             r.tariff.name if r.tariff else None, r.tariff.provisional if r.tariff else None,
             r.frozen_at is not None] for r in rows]


def site_cost_cards(*, site: Site, month: dt.date) -> list[dict]:
    """The cost page's cards for a chosen month: the month and the year to its end, computed as the cost API does
    (`_cost_cards`, one definition with the overview's and the site page's cards), a month in progress cut at today."""
    has_tariff = ElectricityTariff.objects.filter(site=site).exists()
    return _cost_cards(meters=site_cost_meters(site), has_tariff=has_tariff, today=timezone.localdate(),
                       month=month)["cards"]


def enterprise_cost_cards(*, enterprise: Enterprise, today: dt.date) -> dict:
    """The overview's cost cards: the enterprise's cost (the enterprise cost API's total, `cost_summary` over the
    same meters) for the current month and the year, each cut at `today` by the coverage rule of the KPIs
    (carbon.periods.period_coverage: "to date, through <day>"), with the same spans a year earlier and the change
    in percent. `has_tariff` is False when no site of the enterprise has an electricity tariff."""
    meters = list(Meter.objects.filter(SITE_COST_METERS, site__enterprise=enterprise))
    has_tariff = ElectricityTariff.objects.filter(site__enterprise=enterprise).exists()
    return _cost_cards(meters=meters, has_tariff=has_tariff, today=today)


def site_cost_cards_to_date(*, site: Site, today: dt.date) -> dict:
    """The site page's cost cards: as the overview's (`enterprise_cost_cards`), over the site's own cost meters
    (the site cost API's total)."""
    meters = list(Meter.objects.filter(SITE_COST_METERS, site=site))
    has_tariff = ElectricityTariff.objects.filter(site=site).exists()
    return _cost_cards(meters=meters, has_tariff=has_tariff, today=today)


def _cost_cards(*, meters: list, has_tariff: bool, today: dt.date, month: dt.date | None = None) -> dict:
    """Cards for `month` (default: today's): the month, and the year from January to the month's end; a period in
    progress is cut at today by the coverage rule and compared with the same span a year earlier."""
    month = (month or today).replace(day=1)
    if (month.year, month.month) == (today.year, today.month) or month.month == 12:
        year = Period.year(month.year)
    else:  # January to the end of a past (or later) month: a year cut at the first day of the next month
        year = Period(dt.date(month.year, 1, 1), 12, month_add(month, 1))
    cards: dict[str, dict] = {}
    for key, whole in (("month", Period.month(month.year, month.month)), ("ytd", year)):
        coverage = period_coverage(period=whole, today=today)
        now, then = (cost_summary(meters=meters, period=p) for p in (coverage.period, coverage.period.previous_year()))
        value = now["total_cny"] if now["lines"] else None
        before = then["total_cny"] if then["lines"] else None
        cards[key] = {"key": key, "value": value, "before": before, "coverage": coverage.as_dict(),
                      "reason": None if has_tariff else "no_tariff",
                      "yoy": ((value - before) / before * 100).quantize(CENT) if value is not None and before else None}
    return {"has_tariff": has_tariff, "cards": [cards["month"], cards["ytd"]]}
