"""KPIs of a site or an enterprise for a month, quarter or year, read from rollups (instant, no raw readings).

Every value carries its unit; the result names the electricity conversion method and the factor-set versions used.
"""

from __future__ import annotations

from decimal import Decimal
from typing import cast

from django.db.models import Max, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from energy_platform.errors import ApplicationError
from energy_platform.numbers import exact
from meters.models import Carrier, Meter
from plants.models import EconomicData, Enterprise, Product, ProductionData, Site

from .closed import closed_month_cores, combine_cores, open_runs, period_status
from .emissions import heating_values, site_emissions, substitution_text
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
from .periods import Coverage, Period, period_coverage

Q4 = Decimal("0.0001")


def _current(qs, key: str):
    """Rows of a versioned monthly table holding the highest version per (key, month)."""
    latest = qs.model.objects.filter(**{key: OuterRef(key), "month": OuterRef("month")}).order_by("-version")
    return qs.filter(version=Subquery(latest.values("version")[:1]))


def _current_sum_memo(model, key: str, owners: list, months: list, field: str) -> Decimal | None:
    """Inside `lookup_memo()`: the same sum as `_current(...).aggregate(Sum(field))`, from each owner's rows read once
    (highest version per (owner, month); None when no row)."""
    memo = memo_active()
    assert memo is not None  # called only inside lookup_memo()
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


def _disclosure(by_carrier: list[dict], lines: list[dict]) -> dict:
    """The coefficient editions and emission factors an answer used, and every substitution (docs/accounting.md)."""
    editions = {e for c in by_carrier for e in c.get("coefficient_editions") or [c.get("coefficient_edition")] if e}
    subs = [f"{c['carrier']}: {c['coefficient_substitution']}" for c in by_carrier if c.get("coefficient_substituted")]
    coefficient_subs = list(subs)
    subs += sorted({f"{ln['source']}: {ln['factor_substitution']}" for ln in lines if ln.get("factor_substituted")})
    # the same notes worded in the active language (documents): `substitutions` stays English for the API
    notes = coefficient_subs + sorted({f"{ln['source']}: {substitution_text(ln)}" for ln in lines
                                       if ln.get("factor_substituted")})
    return {"coefficient_editions": sorted(editions), "substitutions": subs, "substitution_notes": notes}


def _yoy(out: dict, previous) -> None:
    """Year-on-year change against the same span a year earlier; when the earlier year cannot be computed for want
    of a coefficient (an equal-value rate not loaded), the change is left empty with the reason."""
    keys = ("energy_tce", "energy_per_value_added", "total_tco2", "carbon_intensity")
    try:
        before = previous()
    except ApplicationError as exc:
        if exc.code not in ("no_equal_value_rate", "no_coefficient"):
            raise
        out["yoy_change_pct"] = dict.fromkeys(keys)
        out["yoy_unavailable"] = {"code": exc.code, "detail": str(exc.detail)}
        return
    out["yoy_change_pct"] = {k: _change(out[k]["value"], before[k]["value"]) for k in keys}


def _iv(value, unit, cov: Coverage) -> dict:
    """An intensity (per value added, per product, per base station) under the coverage rule: over the complete
    months of a period in progress, named; no value with a reason when no month is complete."""
    out = _v(value if cov.intensity_reason is None else None, unit)
    if cov.in_progress:
        out["months"] = cov.complete_months
    if cov.intensity_reason is not None:
        out["reason"] = cov.intensity_reason
    return out


def kpi_periods(cov: Coverage, *, with_yoy: bool) -> list[Period]:
    """The periods whose meter quantities a KPI answer reads: the period, the span of its complete months when that
    differs (intensities), and the same spans a year earlier for the year-on-year change."""
    out = [cov.period]
    if cov.complete is not None and cov.complete != cov.period:
        out.append(cov.complete)
    if with_yoy:
        out += [p.previous_year() for p in list(out)]
    return out


def _excluded(core: dict) -> list[dict]:
    """The meters the energy and emissions left out, once each."""
    seen, out = set(), []
    for e in core["energy"].get("excluded_meters", []) + core["emissions"].get("excluded_meters", []):
        if (e["meter"], e["reason"]) not in seen:
            seen.add((e["meter"], e["reason"]))
            out.append(e)
    return out


def _live_core(site: Site, period: Period, method: str, quantities=None) -> dict:
    """A site's figures of a period recomputed from the rollups (open months)."""
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
    products = {}
    for product in _site_products(site):
        tce, allocation = _product_energy(site, period, quantities, energy["energy_tce"], method, product)
        products[product.code] = {"output": product_output(product=product, period=period), "tce": tce,
                                  "allocation": allocation}
    return {"energy": energy, "emissions": emissions, "value_added": va, "electricity_kwh": consumed_kwh,
            "renewable_kwh": renewable_kwh, "products": products,
            "facility_kwh": electricity_kwh(quantities=quantities, roles={Meter.Role.FACILITY_TOTAL}),
            "it_kwh": electricity_kwh(quantities=quantities, roles={Meter.Role.IT_LOAD}, top_level_only=False)}


def _site_core(site: Site, period: Period, method: str, quantities=None) -> dict:
    """A site's figures of a period: closed months as recorded at close (`ClosingSnapshot`), open months
    recomputed from the rollups; closed figures never move until restated."""
    frozen = closed_month_cores(site=site, months=period.months(), method=method)
    if not frozen:
        return _live_core(site, period, method, quantities)
    live = [_live_core(site, run, method) for run in open_runs(period, set(frozen))]
    return combine_cores([frozen[m] for m in sorted(frozen)] + live)


def site_figures(*, site: Site, period: Period, method: str = ConversionMethod.EQUIVALENT) -> dict:
    """A site's unrounded figures of a period (energy, emissions with their lines, value added, output), closed
    months as recorded at close: what reports read instead of recomputing from the rollups."""
    return _site_core(site, period, method)


def site_emissions_frozen(*, site: Site, period: Period) -> dict:
    """`carbon.emissions.site_emissions`' answer with closed months as recorded at close."""
    em = dict(site_figures(site=site, period=period)["emissions"])
    em.update(site=site.code, period=str(period))
    return em


def site_kpis(*, site: Site, period: Period, method: str = ConversionMethod.EQUIVALENT,
              with_yoy: bool = True, quantities: dict | None = None) -> dict:
    """`quantities`: meter quantities already read per period (`meter_quantities_multi`), used where present.
    A period in progress is cut at today (`carbon.periods.period_coverage`); its intensities cover its complete
    months only (numerator and denominator alike)."""
    return _site_kpis(site=site, period=period, method=method, with_yoy=with_yoy, quantities=quantities)[0]


def _site_kpis(*, site: Site, period: Period, method: str, with_yoy: bool,
               quantities: dict | None) -> tuple[dict, tuple]:
    """`site_kpis` and its intensity basis (tce, tCO2, value added of the complete months, unrounded)."""
    cov = period_coverage(period=period)
    period = cov.period
    if with_yoy and quantities is None:
        with lookup_memo():
            quantities = meter_quantities_multi(site=site, periods=kpi_periods(cov, with_yoy=True))
            return _site_kpis(site=site, period=period, method=method, with_yoy=True, quantities=quantities)
    core = _site_core(site, period, method, (quantities or {}).get(period))
    e_tce = core["energy"]["energy_tce"]
    total = core["emissions"]["total_tco2"]
    va = core["value_added"]
    # Intensities divide like by like: the complete months' energy by the complete months' value added.
    icore = core if cov.complete in (None, period) else _site_core(site, cov.complete, method,
                                                                  (quantities or {}).get(cov.complete))
    i_tce, i_total, i_va = icore["energy"]["energy_tce"], icore["emissions"]["total_tco2"], icore["value_added"]
    out = {
        "scope": "site", "site": site.code, "site_id": site.pk, "kind": site.kind, "period": str(period),
        "to_date": period.until, "coverage": cov.as_dict(),
        "period_status": period_status(enterprise_id=site.enterprise_id, period=period),
        "electricity_method": method,
        "energy_tce": _v(e_tce, "tce"),
        "energy_by_carrier": core["energy"]["by_carrier"],
        "value_added_10k_cny": _v(va, "10^4 CNY"),
        "energy_per_value_added": _iv(_ratio(i_tce, i_va), "tce/10^4 CNY", cov),
        "scope1_tco2": _v(core["emissions"]["scope1_tco2"], "tCO2"),
        "scope2_tco2": _v(core["emissions"]["scope2_tco2"], "tCO2"),
        "total_tco2": _v(total, "tCO2"),
        "carbon_intensity": _iv(_ratio(i_total, i_va), "tCO2/10^4 CNY", cov),
        "electricity_kwh": _v(round(core["electricity_kwh"], 3), "kWh"),
        "renewable_share": _v(_ratio(core["renewable_kwh"], core["electricity_kwh"]) if core["electricity_kwh"] else
                              None, "ratio"),
        "data_completeness": _v(round(core["energy"]["completeness"], 4) if core["energy"]["completeness"] is not None
                                else None, "ratio"),
        "factor_versions": core["emissions"]["factor_versions"],
        "emission_lines": core["emissions"]["lines"],
        "green_electricity": core["emissions"]["green_electricity"],
        "per_product": _per_product(site, core, cov, icore),
        # Meters left out because their stored data cannot be accounted (carbon.energy.meter_quantities).
        "excluded_meters": _excluded(core), "complete": not _excluded(core),
    }
    if site.kind == Site.Kind.DATA_CENTER:
        facility, it = core["facility_kwh"], core["it_kwh"]
        out["pue"] = _v(_ratio(facility, it, Decimal("0.001")) if it else None, "ratio")
    if site.kind == Site.Kind.BASE_STATION_FLEET:
        out["energy_per_base_station_kwh"] = _iv(
            _ratio(icore["electricity_kwh"], site.base_station_count, Decimal("0.01"))
            if site.base_station_count else None, "kWh/site", cov)
    out |= _disclosure(core["energy"]["by_carrier"], core["emissions"]["lines"])
    out["heating_values"] = heating_values(site=site, period=period,
                                           carriers={c["carrier"] for c in core["energy"]["by_carrier"]})
    if with_yoy:
        _yoy(out, lambda: site_kpis(site=site, period=period.previous_year(), method=method, with_yoy=False,
                                    quantities=quantities))
        out["targets"] = _targets(Target.objects.filter(site=site), out, lambda y: site_kpis(
            site=site, period=Period.year(y), method=method, with_yoy=False, quantities=quantities))
    return out, (i_tce, i_total, i_va)


def _product_energy(site: Site, period: Period, quantities, site_tce: Decimal, method: str,
                    product: Product) -> tuple[Decimal, str]:
    """(tce, allocation) of a product: the energy of the meters of its production unit when it has any, otherwise
    the whole site's energy."""
    if product.unit_of_production_id:
        unit_meters = [m for m in quantities if m.production_unit_id == product.unit_of_production_id
                       and m.carrier != Carrier.GREEN_ELECTRICITY]
        if unit_meters:
            tce = Decimal(0)
            for m in unit_meters:
                try:
                    tce += to_tce(quantity=exact(m.quantity), meter_unit=m.unit,
                                  coefficient=coefficient_for(carrier=m.carrier, on=period.first,
                                                              enterprise=site.enterprise, method=method))
                except ApplicationError:  # a unit with no tce (reactive energy), or one the coefficient cannot take:
                    continue              # such a meter is listed by the site's figures, not counted here
            return tce, "production_unit_meters"
    return site_tce, "site"


def _per_product(site: Site, core: dict, cov: Coverage, icore: dict) -> list[dict]:
    """Energy per unit of product (the allocation is stated); the ratio over the coverage's complete months."""
    rows = []
    for product in _site_products(site):
        p = core["products"].get(product.code) or {"output": None, "tce": Decimal(0), "allocation": "site"}
        i = icore["products"].get(product.code) or p
        ratio = _ratio(i["tce"] * 1000, i["output"]) if cov.complete is not None else None
        rows.append({"product": product.code, "name": product.name, "output": _v(p["output"], product.unit),
                     "energy_tce": _v(p["tce"], "tce"), "allocation": p["allocation"],
                     "energy_per_unit": _iv(ratio, f"kgce/{product.unit}", cov)})
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
            try:
                baseline = year_kpis(t.baseline_year).get(key, {}).get("value")
            except ApplicationError as exc:  # e.g. no equal-value rate for the baseline year: no baseline, no failure
                if exc.code not in ("no_equal_value_rate", "no_coefficient"):
                    raise
        now = current.get(key, {}).get("value")
        goal = baseline * (1 - t.reduction_pct / 100) if baseline is not None else None
        achieved = _change(now, baseline)
        progress = None
        if goal is not None and baseline not in (None, 0) and now is not None and t.reduction_pct:
            progress = ((Decimal(baseline) - Decimal(now)) / (Decimal(baseline) - goal) * 100).quantize(
                Decimal("0.1"))
        out.append({"id": t.pk, "indicator": t.indicator, "unit": t.unit, "baseline_year": t.baseline_year,
                    "baseline": baseline,
                    "target_year": t.target_year, "reduction_pct": t.reduction_pct,
                    "goal": goal.quantize(Q4) if goal is not None else None, "current": now,
                    "change_pct": achieved, "progress_pct": progress})
    return out


def enterprise_kpis(*, enterprise: Enterprise, period: Period, method: str = ConversionMethod.EQUIVALENT,
                    with_yoy: bool = True, quantities: dict | None = None) -> dict:
    """`quantities`: {site id: {period: meter quantities}} already read (see `enterprise_kpis_current`)."""
    cov = period_coverage(period=period)
    period = cov.period
    if with_yoy:
        if quantities is None:
            # The period and the year before it: one rollup aggregate per site, shared coefficient/factor lookups.
            periods = kpi_periods(cov, with_yoy=True)
            with lookup_memo():
                quantities = {s.pk: meter_quantities_multi(site=s, periods=periods)
                              for s in _enterprise_sites(enterprise)}
                return enterprise_kpis(enterprise=enterprise, period=period, method=method, quantities=quantities)
    quantities = quantities or {}
    sites = _enterprise_sites(enterprise)
    rows_bases = [_site_kpis(site=s, period=period, method=method, with_yoy=False, quantities=quantities.get(s.pk))
                  for s in sites]
    site_rows = [r for r, _b in rows_bases]
    bases = [b for _r, b in rows_bases]
    # Value added is entered per site: the enterprise's is the sum of its sites' (None when no site has any).
    site_va = [r["value_added_10k_cny"]["value"] for r in site_rows if r["value_added_10k_cny"]["value"] is not None]
    va = sum(site_va, Decimal(0)) if site_va else None
    # Intensities over the complete months (like by like): the sites' complete-month sums.
    i_tce = sum((b[0] for b in bases), Decimal(0))
    i_total = sum((b[1] for b in bases), Decimal(0))
    i_vas = [b[2] for b in bases if b[2] is not None]
    i_va = sum(i_vas, Decimal(0)) if i_vas else None
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
    e_tce, total = cast(Decimal, energy["energy_tce"]), emissions["total_tco2"]
    out = {
        "scope": "enterprise", "enterprise": enterprise.pk, "period": str(period), "to_date": period.until,
        "coverage": cov.as_dict(), "period_status": period_status(enterprise_id=enterprise.pk, period=period),
        "electricity_method": method,
        "energy_tce": _v(e_tce, "tce"), "energy_by_carrier": energy["by_carrier"],
        "value_added_10k_cny": _v(va, "10^4 CNY"),
        "energy_per_value_added": _iv(_ratio(i_tce, i_va), "tce/10^4 CNY", cov),
        "scope1_tco2": _v(emissions["scope1_tco2"], "tCO2"),
        "scope2_tco2": _v(emissions["scope2_tco2"], "tCO2"),
        "total_tco2": _v(total, "tCO2"),
        "carbon_intensity": _iv(_ratio(i_total, i_va), "tCO2/10^4 CNY", cov),
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
    out["coefficient_editions"] = sorted({e for r in site_rows for e in r["coefficient_editions"]})
    out["substitutions"] = sorted({x for r in site_rows for x in r["substitutions"]})
    out["substitution_notes"] = sorted({x for r in site_rows for x in r.get("substitution_notes", [])})
    out["heating_values"] = list({(h["carrier"], h["energy"]["source"], h["emissions"]["source"]): h
                                  for r in site_rows for h in r["heating_values"]}.values())
    if with_yoy:
        _yoy(out, lambda: enterprise_kpis(enterprise=enterprise, period=period.previous_year(), method=method,
                                          with_yoy=False, quantities=quantities))
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
    month = period_coverage(period=Period.month(today.year, today.month), today=today).period
    year = period_coverage(period=Period.year(today.year), today=today).period
    periods = list(dict.fromkeys(kpi_periods(Coverage(month), with_yoy=True) + kpi_periods(Coverage(year),
                                                                                          with_yoy=True)))
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
            "electricity_method": method, "energy_tce": _v(total, "tce"),
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
