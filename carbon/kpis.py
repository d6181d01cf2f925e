"""KPIs of a site or an enterprise for a month, quarter or year, read from rollups (instant, no raw readings).

Every value carries its unit; the result names the electricity conversion method and the factor-set versions used.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Max, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from energy_platform.numbers import exact
from meters.models import Carrier, Meter
from plants.models import EconomicData, Enterprise, Product, ProductionData, Site

from .emissions import site_emissions
from .energy import (
    coefficient_for,
    electricity_kwh,
    lookup_memo,
    memo_active,
    meter_quantities,
    meter_quantities_multi,
    site_energy,
    to_tce,
)
from .models import ConversionMethod, Target
from .periods import Period

Q4 = Decimal("0.0001")


def _current(qs, key: str):
    """Rows of a versioned monthly table holding the highest version per (key, month)."""
    latest = qs.model.objects.filter(**{key: OuterRef(key), "month": OuterRef("month")}).order_by("-version")
    return qs.filter(version=Subquery(latest.values("version")[:1]))


def _current_sum_memo(model, key: str, owners: list, months: list, field: str) -> Decimal | None:
    """Inside `lookup_memo()`: the same sum as `_current(...).aggregate(Sum(field))`, from each owner's rows read once
    (highest version per (owner, month); None when no row)."""
    memo = memo_active()
    rows = []
    for owner in owners:
        memo_key = (model.__name__, owner.pk)
        if memo_key not in memo:
            latest: dict = {}
            for month, version, value in model.objects.filter(**{key: owner}).values_list("month", "version", field):
                if month not in latest or version > latest[month][0]:
                    latest[month] = (version, value)
            memo[memo_key] = {m: v for m, (_version, v) in latest.items()}
        rows += [memo[memo_key][m] for m in months if m in memo[memo_key]]
    return sum(rows, Decimal(0)) if rows else None


def value_added(*, sites, period: Period) -> Decimal | None:
    if memo_active() is not None:
        return _current_sum_memo(EconomicData, "site", list(sites), period.months(), "value_added_10k_cny")
    qs = _current(EconomicData.objects.filter(site__in=sites, month__in=period.months()), "site")
    total = qs.aggregate(s=Sum("value_added_10k_cny"))["s"]
    return total


def product_output(*, product: Product, period: Period) -> Decimal | None:
    if memo_active() is not None:
        return _current_sum_memo(ProductionData, "product", [product], period.months(), "quantity")
    qs = _current(ProductionData.objects.filter(product=product, month__in=period.months()), "product")
    return qs.aggregate(s=Sum("quantity"))["s"]


def _enterprise_sites(enterprise: Enterprise) -> list[Site]:
    memo = memo_active()
    if memo is None:
        return list(enterprise.sites.all())
    if ("sites", enterprise.pk) not in memo:
        memo[("sites", enterprise.pk)] = list(enterprise.sites.select_related("enterprise"))
    return memo[("sites", enterprise.pk)]


def _site_products(site: Site) -> list[Product]:
    memo = memo_active()
    if memo is None:
        return list(Product.objects.filter(site=site))
    if ("products", site.pk) not in memo:
        memo[("products", site.pk)] = list(Product.objects.filter(site=site))
    return memo[("products", site.pk)]


def _ratio(a, b, q=Q4):
    if a is None or b in (None, 0):
        return None
    return (Decimal(a) / Decimal(b)).quantize(q)


def _change(now, before):
    if now is None or before in (None, 0):
        return None
    return ((Decimal(now) - Decimal(before)) / Decimal(before) * 100).quantize(Decimal("0.01"))


def _v(value, unit):
    return {"value": value, "unit": unit}


def _excluded(core: dict) -> list[dict]:
    """The meters the energy and emissions left out, once each."""
    seen, out = set(), []
    for e in core["energy"]["excluded_meters"] + core["emissions"]["excluded_meters"]:
        if (e["meter"], e["reason"]) not in seen:
            seen.add((e["meter"], e["reason"]))
            out.append(e)
    return out


def _site_core(site: Site, period: Period, method: str, quantities=None) -> dict:
    if quantities is None:
        quantities = meter_quantities(site=site, period=period)
    energy = site_energy(site=site, period=period, method=method, quantities=quantities)
    emissions = site_emissions(site=site, period=period, quantities=quantities)
    va = value_added(sites=[site], period=period)
    incoming = electricity_kwh(quantities=quantities, roles={Meter.Role.PURCHASE, Meter.Role.FACILITY_TOTAL})
    generated = electricity_kwh(quantities=quantities, roles={Meter.Role.GENERATION},
                                carriers=(Carrier.PV_GENERATION, Carrier.ELECTRICITY))
    exported = electricity_kwh(quantities=quantities, roles={Meter.Role.EXPORT},
                               carriers=(Carrier.ELECTRICITY, Carrier.PV_GENERATION))
    green_mwh = emissions["green_electricity"]["metered_green_power_mwh"] + \
        emissions["green_electricity"]["certificates_mwh"]
    consumed_kwh = incoming + generated - exported
    # Renewable share = (self-generated renewable consumed + purchased green power) / electricity consumed (§5).
    renewable_kwh = max(generated - exported, Decimal(0)) + green_mwh * 1000
    return {"energy": energy, "emissions": emissions, "value_added": va, "electricity_kwh": consumed_kwh,
            "renewable_kwh": renewable_kwh, "quantities": quantities}


def site_kpis(*, site: Site, period: Period, method: str = ConversionMethod.EQUIVALENT,
              with_yoy: bool = True, quantities: dict | None = None) -> dict:
    """`quantities`: meter quantities already read per period (`meter_quantities_multi`), used where present."""
    if with_yoy:
        period = period.to_date(timezone.localdate())
        if quantities is None:
            with lookup_memo():
                quantities = meter_quantities_multi(site=site, periods=[period, period.previous_year()])
                return site_kpis(site=site, period=period, method=method, quantities=quantities)
    core = _site_core(site, period, method, (quantities or {}).get(period))
    e_tce = core["energy"]["energy_tce"]
    total = core["emissions"]["total_tco2"]
    va = core["value_added"]
    out = {
        "scope": "site", "site": site.code, "site_id": site.pk, "kind": site.kind, "period": str(period),
        "to_date": period.until,
        "electricity_method": method,
        "energy_tce": _v(e_tce.quantize(Q4), "tce"),
        "energy_by_carrier": core["energy"]["by_carrier"],
        "value_added_10k_cny": _v(va, "10^4 CNY"),
        "energy_per_value_added": _v(_ratio(e_tce, va), "tce/10^4 CNY"),
        "scope1_tco2": _v(core["emissions"]["scope1_tco2"].quantize(Q4), "tCO2"),
        "scope2_tco2": _v(core["emissions"]["scope2_tco2"].quantize(Q4), "tCO2"),
        "total_tco2": _v(total.quantize(Q4), "tCO2"),
        "carbon_intensity": _v(_ratio(total, va), "tCO2/10^4 CNY"),
        "electricity_kwh": _v(round(core["electricity_kwh"], 3), "kWh"),
        "renewable_share": _v(_ratio(core["renewable_kwh"], core["electricity_kwh"]) if core["electricity_kwh"] else
                              None, "ratio"),
        "data_completeness": _v(round(core["energy"]["completeness"], 4) if core["energy"]["completeness"] is not None
                                else None, "ratio"),
        "factor_versions": core["emissions"]["factor_versions"],
        "emission_lines": core["emissions"]["lines"],
        "green_electricity": core["emissions"]["green_electricity"],
        "per_product": _per_product(site, period, core, method),
        # Meters left out because their stored data cannot be accounted (carbon.energy.meter_quantities).
        "excluded_meters": _excluded(core), "complete": not _excluded(core),
    }
    if site.kind == Site.Kind.DATA_CENTER:
        facility = electricity_kwh(quantities=core["quantities"], roles={Meter.Role.FACILITY_TOTAL})
        it = electricity_kwh(quantities=core["quantities"], roles={Meter.Role.IT_LOAD}, top_level_only=False)
        out["pue"] = _v(_ratio(facility, it, Decimal("0.001")) if it else None, "ratio")
    if site.kind == Site.Kind.BASE_STATION_FLEET:
        out["energy_per_base_station_kwh"] = _v(
            _ratio(core["electricity_kwh"], site.base_station_count, Decimal("0.01"))
            if site.base_station_count else None, "kWh/site")
    if with_yoy:
        before = site_kpis(site=site, period=period.previous_year(), method=method, with_yoy=False,
                           quantities=quantities)
        out["yoy_change_pct"] = {k: _change(out[k]["value"], before[k]["value"]) for k in (
            "energy_tce", "energy_per_value_added", "total_tco2", "carbon_intensity")}
        out["targets"] = _targets(Target.objects.filter(site=site), out, lambda y: site_kpis(
            site=site, period=Period.year(y), method=method, with_yoy=False, quantities=quantities))
    return out


def _per_product(site: Site, period: Period, core: dict, method: str) -> list[dict]:
    """Energy per unit of product: the energy of the meters of the product's production unit when it has any,
    otherwise the whole site's energy (stated as the allocation)."""
    rows = []
    for product in _site_products(site):
        output = product_output(product=product, period=period)
        allocation = "site"
        tce = core["energy"]["energy_tce"]
        if product.unit_of_production_id:
            unit_meters = [m for m in core["quantities"] if m.production_unit_id == product.unit_of_production_id
                           and m.carrier != Carrier.GREEN_ELECTRICITY]
            if unit_meters:
                allocation = "production_unit_meters"
                tce = sum((to_tce(quantity=Decimal(repr(m.quantity)), meter_unit=m.unit,
                                  coefficient=coefficient_for(carrier=m.carrier, on=period.first,
                                                              enterprise=site.enterprise, method=method))
                           for m in unit_meters), Decimal(0))
        rows.append({"product": product.code, "name": product.name, "output": _v(output, product.unit),
                     "energy_tce": _v(tce.quantize(Q4), "tce"), "allocation": allocation,
                     "energy_per_unit": _v(_ratio(tce * 1000, output), f"kgce/{product.unit}")})
    return rows


def _targets(targets, current: dict, year_kpis) -> list[dict]:
    key_of = {Target.Indicator.ENERGY_PER_VALUE_ADDED: "energy_per_value_added",
              Target.Indicator.CARBON_PER_VALUE_ADDED: "carbon_intensity",
              Target.Indicator.ENERGY_TCE: "energy_tce", Target.Indicator.EMISSIONS_TCO2: "total_tco2",
              Target.Indicator.PUE: "pue"}
    out = []
    for t in targets:
        key = key_of[t.indicator]
        baseline = t.baseline_value
        if baseline is None:
            baseline = year_kpis(t.baseline_year).get(key, {}).get("value")
        now = current.get(key, {}).get("value")
        goal = baseline * (1 - t.reduction_pct / 100) if baseline is not None else None
        achieved = _change(now, baseline)
        progress = None
        if baseline not in (None, 0) and now is not None and t.reduction_pct:
            progress = ((Decimal(baseline) - Decimal(now)) / (Decimal(baseline) - goal) * 100).quantize(
                Decimal("0.1"))
        out.append({"indicator": t.indicator, "baseline_year": t.baseline_year, "baseline": baseline,
                    "target_year": t.target_year, "reduction_pct": t.reduction_pct,
                    "goal": goal.quantize(Q4) if goal is not None else None, "current": now,
                    "change_pct": achieved, "progress_pct": progress})
    return out


def enterprise_kpis(*, enterprise: Enterprise, period: Period, method: str = ConversionMethod.EQUIVALENT,
                    with_yoy: bool = True, quantities: dict | None = None) -> dict:
    """`quantities`: {site id: {period: meter quantities}} already read (see `enterprise_kpis_current`)."""
    if with_yoy:
        period = period.to_date(timezone.localdate())
        if quantities is None:
            # The period and the year before it: one rollup aggregate per site, shared coefficient/factor lookups.
            periods = [period, period.previous_year()]
            with lookup_memo():
                quantities = {s.pk: meter_quantities_multi(site=s, periods=periods)
                              for s in _enterprise_sites(enterprise)}
                return enterprise_kpis(enterprise=enterprise, period=period, method=method, quantities=quantities)
    quantities = quantities or {}
    sites = _enterprise_sites(enterprise)
    site_rows = [site_kpis(site=s, period=period, method=method, with_yoy=False, quantities=quantities.get(s.pk))
                 for s in sites]
    # Value added is entered per site: the enterprise's is the sum of its sites' (None when no site has any).
    site_va = [r["value_added_10k_cny"]["value"] for r in site_rows if r["value_added_10k_cny"]["value"] is not None]
    va = sum(site_va, Decimal(0)) if site_va else None
    by_carrier: dict[str, dict] = {}
    for row in site_rows:
        for c in row["energy_by_carrier"]:
            agg = by_carrier.setdefault(c["carrier"], {"carrier": c["carrier"], "unit": c["unit"],
                                                       "quantity": Decimal(0), "tce": Decimal(0)})
            agg["quantity"] += c["quantity"]
            agg["tce"] += c["tce"]
    energy = {"energy_tce": sum((r["energy_tce"]["value"] for r in site_rows), Decimal(0)),
              "by_carrier": sorted(by_carrier.values(), key=lambda e: e["carrier"])}
    emissions = {k: sum((r[k]["value"] for r in site_rows), Decimal(0)) for k in ("scope1_tco2", "scope2_tco2",
                                                                                 "total_tco2")}
    emissions["factor_versions"] = sorted({v for r in site_rows for v in r["factor_versions"]})
    elec = sum((s["electricity_kwh"]["value"] for s in site_rows), Decimal(0))
    renewable = sum((s["renewable_share"]["value"] or 0) * exact(s["electricity_kwh"]["value"])
                    for s in site_rows)
    completeness = [s["data_completeness"]["value"] for s in site_rows if s["data_completeness"]["value"] is not None]
    e_tce, total = energy["energy_tce"], emissions["total_tco2"]
    out = {
        "scope": "enterprise", "enterprise": enterprise.pk, "period": str(period), "to_date": period.until,
        "electricity_method": method,
        "energy_tce": _v(e_tce.quantize(Q4), "tce"), "energy_by_carrier": energy["by_carrier"],
        "value_added_10k_cny": _v(va, "10^4 CNY"),
        "energy_per_value_added": _v(_ratio(e_tce, va), "tce/10^4 CNY"),
        "scope1_tco2": _v(emissions["scope1_tco2"].quantize(Q4), "tCO2"),
        "scope2_tco2": _v(emissions["scope2_tco2"].quantize(Q4), "tCO2"),
        "total_tco2": _v(total.quantize(Q4), "tCO2"),
        "carbon_intensity": _v(_ratio(total, va), "tCO2/10^4 CNY"),
        "electricity_kwh": _v(round(elec, 3), "kWh"),
        "renewable_share": _v(_ratio(renewable, exact(elec)) if elec else None, "ratio"),
        "data_completeness": _v(round(min(completeness), 4) if completeness else None, "ratio (worst site)"),
        "factor_versions": emissions["factor_versions"],
        "sites": [{"site": s["site"], "kind": s["kind"], "energy_tce": s["energy_tce"], "total_tco2": s["total_tco2"],
                   "energy_per_value_added": s["energy_per_value_added"], **({"pue": s["pue"]} if "pue" in s else {})}
                  for s in site_rows],
        "excluded_meters": [e for s in site_rows for e in s["excluded_meters"]],
        "complete": all(s["complete"] for s in site_rows),
    }
    if with_yoy:
        before = enterprise_kpis(enterprise=enterprise, period=period.previous_year(), method=method, with_yoy=False,
                                 quantities=quantities)
        out["yoy_change_pct"] = {k: _change(out[k]["value"], before[k]["value"]) for k in (
            "energy_tce", "energy_per_value_added", "total_tco2", "carbon_intensity")}
        out["targets"] = _targets(Target.objects.filter(enterprise=enterprise, site__isnull=True), out,
                                  lambda y: enterprise_kpis(enterprise=enterprise, period=Period.year(y),
                                                            method=method, with_yoy=False, quantities=quantities))
    return out


#: The meters whose quantities the KPIs read: boundary (top-level) meters, IT load (PUE) at any level, and meters of
#: production units (energy per unit of product). Other sub-meters never enter a KPI, so a dashboard skips them.
KPI_METERS = Q(parent__isnull=True) | Q(role=Meter.Role.IT_LOAD) | Q(production_unit__isnull=False)


def enterprise_kpis_current(*, enterprise: Enterprise, today=None,
                            method: str = ConversionMethod.EQUIVALENT) -> dict:
    """The dashboard's figures in one call: `{"month": …, "year": …}`, each exactly `enterprise_kpis` of the current
    month / year to date with year-on-year change and targets. The meter quantities of all four periods (month,
    year to date, and the same spans a year earlier) are read in one aggregate per site, and coefficient and factor
    lookups are shared between the periods."""
    today = today or timezone.localdate()
    month = Period.month(today.year, today.month).to_date(today)
    year = Period.year(today.year).to_date(today)
    periods = [month, year, month.previous_year(), year.previous_year()]
    with lookup_memo():
        quantities = {s.pk: meter_quantities_multi(site=s, periods=periods, meter_filter=KPI_METERS)
                      for s in _enterprise_sites(enterprise)}
        return {"month": enterprise_kpis(enterprise=enterprise, period=month, method=method, quantities=quantities),
                "year": enterprise_kpis(enterprise=enterprise, period=year, method=method, quantities=quantities)}


def latest_month_with_data(*, site: Site):
    from meters.models import MeterRollup

    ids = list(Meter.objects.filter(site=site).values_list("pk", flat=True))  # index walk per meter, see energy.py
    return MeterRollup.objects.filter(meter_id__in=ids, granularity="month").aggregate(m=Max("bucket_start"))["m"]


def unit_kpis(*, unit, period: Period, method: str = ConversionMethod.EQUIVALENT) -> dict:
    """KPIs of a production unit (workshop, line, equipment) and its sub-units: the energy of its meters that are not
    below another of its meters (no double counting), per carrier and in tce, energy per unit of its products, and
    data completeness."""
    from plants.models import ProductionUnit

    ids, frontier = {unit.pk}, [unit.pk]
    while frontier:
        frontier = list(ProductionUnit.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids.update(frontier)
    site = unit.site
    quantities = [m for m in meter_quantities(site=site, period=period) if m.production_unit_id in ids]
    inside = {m.meter_id for m in quantities}
    top = [m for m in quantities if m.parent_id not in inside and m.carrier != Carrier.GREEN_ELECTRICITY]
    by_carrier: dict[str, dict] = {}
    total = Decimal(0)
    for m in top:
        coef = coefficient_for(carrier=m.carrier, on=period.first, enterprise=site.enterprise, method=method)
        tce = to_tce(quantity=Decimal(repr(m.quantity)), meter_unit=m.unit, coefficient=coef)
        entry = by_carrier.setdefault(m.carrier, {"carrier": m.carrier, "unit": m.unit, "quantity": Decimal(0),
                                                  "tce": Decimal(0)})
        entry["quantity"] += Decimal(repr(m.quantity))
        entry["tce"] += tce
        total += tce
    received = sum(m.received for m in top)
    expected = sum(m.expected for m in top)
    products = []
    for product in Product.objects.filter(unit_of_production_id__in=ids):
        output = product_output(product=product, period=period)
        products.append({"product": product.code, "output": _v(output, product.unit),
                         "energy_per_unit": _v(_ratio(total * 1000, output), f"kgce/{product.unit}")})
    return {"scope": "production_unit", "unit": unit.code, "site": site.code, "period": str(period),
            "electricity_method": method, "energy_tce": _v(total.quantize(Q4), "tce"),
            "energy_by_carrier": sorted(by_carrier.values(), key=lambda e: e["carrier"]),
            "meters": [m.code for m in top], "per_product": products,
            "data_completeness": _v(round(received / expected, 4) if expected else None, "ratio")}


def meter_kpis(*, meter, period: Period, method: str = ConversionMethod.EQUIVALENT) -> dict:
    """A meter's consumption, its standard-coal equivalent, completeness, and the unmetered remainder below it
    (its quantity minus the sum of its direct children)."""
    rows = meter_quantities(site=meter.site, period=period)
    quantities = {m.meter_id: m for m in rows}
    own = quantities.get(meter.pk)
    if own is None:  # inactive in the period, or left out because its data cannot be accounted (with the reason)
        return {"scope": "meter", "meter": meter.code, "period": str(period), "quantity": _v(None, meter.unit),
                "excluded": next((e for e in getattr(rows, "excluded", []) if e["meter"] == meter.code), None)}
    children = [m for m in quantities.values() if m.parent_id == meter.pk]
    tce = None
    if meter.carrier != Carrier.GREEN_ELECTRICITY:
        coef = coefficient_for(carrier=meter.carrier, on=period.first, enterprise=meter.site.enterprise,
                               method=method)
        tce = to_tce(quantity=Decimal(repr(own.quantity)), meter_unit=own.unit, coefficient=coef).quantize(Q4)
    out = {"scope": "meter", "meter": meter.code, "period": str(period), "carrier": meter.carrier,
           "quantity": _v(round(own.quantity, 3), own.unit), "energy_tce": _v(tce, "tce"),
           "data_completeness": _v(round(own.received / own.expected, 4) if own.expected else None, "ratio")}
    if children:
        child_sum = sum(c.quantity for c in children)
        out["children_sum"] = _v(round(child_sum, 3), own.unit)
        out["unmetered"] = _v(round(own.quantity - child_sum, 3), own.unit)
        out["unmetered_share"] = _v(_ratio(Decimal(repr(own.quantity - child_sum)), Decimal(repr(own.quantity)))
                                    if own.quantity else None, "ratio")
    return out
