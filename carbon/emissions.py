"""Scope 1 and 2 emissions of a site (GB/T 32150-2015, GHG Protocol location-based), line by line with factors.

E_total = E_combustion + E_process + E_purchased electricity + E_purchased heat − E_supplied electricity − E_supplied
heat (DOMAIN.md §2). Fuel quantities, purchased and exported electricity and heat come from the boundary meters'
monthly rollups (see carbon.energy). Purchased green electricity certificates and green-power meters are reported
in a separate market-based view and never netted from scope 2.

Factor precedence (`factor_select`), for the reporting year and purpose:
enterprise override → province (first two digits of the site's GB/T 2260 code) → grid region → national,
each taking the most recent data year not after the reporting year.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q, Sum

from energy_platform.errors import ApplicationError
from energy_platform.numbers import exact
from meters.models import Carrier, Meter
from meters.units import unit_scale
from plants.models import Enterprise, Site

from .energy import MeterQuantity, _sign, excluded_of, memo_active, memoized, meter_quantities
from .models import EmissionFactor, FactorSet, GreenCertificate, ProcessEmission
from .periods import Period
from .reference_data import PROVINCE_GRID_REGION

FUEL_CARRIERS = {Carrier.RAW_COAL, Carrier.WASHED_COAL, Carrier.COKE, Carrier.NATURAL_GAS, Carrier.COKE_OVEN_GAS,
                 Carrier.FUEL_OIL, Carrier.DIESEL, Carrier.GASOLINE, Carrier.LPG}
SCOPE2_CARRIERS = {Carrier.ELECTRICITY: EmissionFactor.Kind.GRID, Carrier.HEAT: EmissionFactor.Kind.HEAT,
                   Carrier.STEAM: EmissionFactor.Kind.STEAM}


def grid_region_of(site: Site) -> str | None:
    return PROVINCE_GRID_REGION.get(site.region_code[:2])


def factor_select(*, site: Site, carrier: str, year: int, purpose: str = FactorSet.Purpose.REFERENCE,
                  basis: str = EmissionFactor.Basis.AVERAGE) -> EmissionFactor:
    """Choose the emission factor of a carrier for a site and reporting year by the documented precedence."""
    # The choice depends on the site only through its enterprise and region code.
    return memoized(("factor", site.enterprise_id, site.region_code, carrier, year, purpose, basis),
                    lambda: _factor_select(site=site, carrier=carrier, year=year, purpose=purpose, basis=basis))


def _factor_select(*, site: Site, carrier: str, year: int, purpose: str, basis: str) -> EmissionFactor:
    kind = EmissionFactor.Kind.FUEL if carrier in FUEL_CARRIERS else SCOPE2_CARRIERS.get(carrier)
    if kind is None:
        raise ApplicationError("no_factor_kind", f"{carrier} has no emission factor kind.")
    base = (EmissionFactor.objects.select_related("factor_set")
            .filter(kind=kind, carrier=carrier, factor_set__purpose=purpose)
            .filter(Q(factor_set__data_year__isnull=True) | Q(factor_set__data_year__lte=year)))
    if kind == EmissionFactor.Kind.GRID:
        base = base.filter(basis=basis)
    region = grid_region_of(site)
    # Precedence: the enterprise's own factor, then the province's, the grid region's, the national one; within a
    # tier the newest data year (then the newest row). One query reads every candidate, newest first.
    tiers = [lambda f: f.enterprise_id == site.enterprise_id or f.factor_set.enterprise_id == site.enterprise_id]
    geographies = [site.region_code[:2]] + ([region] if region else []) + ["national"]
    tiers += [lambda f, g=g: f.enterprise_id is None and f.factor_set.enterprise_id is None and f.geography == g
              for g in geographies]
    rows = list(base.filter(Q(enterprise=site.enterprise) | Q(factor_set__enterprise=site.enterprise)
                            | Q(enterprise__isnull=True, factor_set__enterprise__isnull=True,
                                geography__in=geographies))
                .order_by("-factor_set__data_year", "-pk"))
    for tier in tiers:
        row = next((f for f in rows if tier(f)), None)
        if row is not None:
            return row
    raise ApplicationError("no_emission_factor", f"No {purpose} emission factor for {carrier} in {year}.")


def _line(*, scope: str, source: str, amount: Decimal, unit: str, factor: EmissionFactor) -> dict:
    return {"scope": scope, "source": source, "activity_amount": amount, "activity_unit": unit,
            "factor_id": factor.pk, "factor_value": factor.value, "factor_unit": f"tCO2/{factor.activity_unit}",
            "factor_version": f"{factor.factor_set.name} v{factor.factor_set.version}",
            "factor_source": factor.source, "provisional": factor.provisional or factor.factor_set.provisional,
            "tco2": (amount * factor.value).quantize(Decimal("0.000001"))}


def site_emissions(*, site: Site, period: Period, purpose: str = FactorSet.Purpose.REFERENCE,
                   quantities: list[MeterQuantity] | None = None) -> dict:
    """Scope 1 by source, scope 2 by purchased carrier (net of supply to others), green electricity separately."""
    year = period.first.year
    per_carrier: dict[tuple[str, str], Decimal] = {}
    green_kwh = Decimal(0)
    if quantities is None:
        quantities = meter_quantities(site=site, period=period)
    for m in quantities:
        sign = _sign(m)
        if m.carrier == Carrier.GREEN_ELECTRICITY and m.parent_id is None and m.role in (
                Meter.Role.PURCHASE, Meter.Role.FACILITY_TOTAL):
            green_kwh += exact(m.quantity) * (unit_scale(from_unit=m.unit, to_unit="kWh") or Decimal(0))
            continue
        if sign == 0 or (m.carrier not in FUEL_CARRIERS and m.carrier not in SCOPE2_CARRIERS):
            continue
        key = (m.carrier, m.unit)
        per_carrier[key] = per_carrier.get(key, Decimal(0)) + exact(m.quantity) * sign

    lines = []
    excluded = excluded_of(quantities)
    for (carrier, unit), qty in sorted(per_carrier.items()):
        factor = factor_select(site=site, carrier=carrier, year=year, purpose=purpose)
        scale = unit_scale(from_unit=unit, to_unit=factor.activity_unit)  # the units table (meters.units)
        if scale is None:  # an allowed unit this factor cannot take: those meters are left out, not the figure
            excluded.extend({"meter": m.code, "site": site.code, "reason": "unit_mismatch",
                             "detail": f"{carrier} metered in {unit} but its factor is per {factor.activity_unit}."}
                            for m in quantities if (m.carrier, m.unit) == (carrier, unit) and _sign(m) != 0)
            continue
        scope = "scope1" if carrier in FUEL_CARRIERS else "scope2"
        lines.append(_line(scope=scope, source=carrier, amount=qty * scale, unit=factor.activity_unit,
                           factor=factor))
    months = period.months()
    lines.extend(
        {"scope": "scope1", "source": f"process: {p.description}", "activity_amount": p.activity_amount,
                      "activity_unit": p.activity_unit, "factor_id": None, "factor_value": p.factor_tco2_per_unit,
                      "factor_unit": f"tCO2/{p.activity_unit}", "factor_version": "entered",
                      "factor_source": p.factor_source, "provisional": False,
                      "tco2": (p.activity_amount * p.factor_tco2_per_unit).quantize(Decimal("0.000001"))}
        for p in _site_month_rows(ProcessEmission, site, months)
    )
    scope1 = sum((ln["tco2"] for ln in lines if ln["scope"] == "scope1"), Decimal(0))
    scope2 = sum((ln["tco2"] for ln in lines if ln["scope"] == "scope2"), Decimal(0))
    if memo_active() is None:
        gec_mwh = GreenCertificate.objects.filter(site=site, month__in=months).aggregate(s=Sum("mwh"))["s"]
    else:
        gec_mwh = sum((g.mwh for g in _site_month_rows(GreenCertificate, site, months)), Decimal(0))
    gec_mwh = gec_mwh or Decimal(0)
    return {
        "site": site.code, "period": str(period), "purpose": purpose, "lines": lines,
        "scope1_tco2": scope1, "scope2_tco2": scope2, "total_tco2": scope1 + scope2,
        "green_electricity": {"metered_green_power_mwh": green_kwh / 1000, "certificates_mwh": gec_mwh,
                              "note": "market-based instruments, reported separately and not netted"},
        "factor_versions": sorted({ln["factor_version"] for ln in lines}),
        "excluded_meters": excluded, "complete": not excluded,
    }


def _site_month_rows(model, site: Site, months: list) -> list:
    """Rows of a per-site monthly table for the given months; inside `lookup_memo()` the site's rows are read once
    and shared by every period computed in the block."""
    memo = memo_active()
    if memo is None:
        return list(model.objects.filter(site=site, month__in=months))
    key = (model.__name__, site.pk)
    if key not in memo:
        memo[key] = list(model.objects.filter(site=site).order_by("pk"))
    wanted = set(months)
    return [r for r in memo[key] if r.month in wanted]


def enterprise_emissions(*, enterprise: Enterprise, period: Period) -> dict:
    sites = [site_emissions(site=s, period=period) for s in enterprise.sites.all()]
    scope1 = sum((s["scope1_tco2"] for s in sites), Decimal(0))
    scope2 = sum((s["scope2_tco2"] for s in sites), Decimal(0))
    excluded = [e for s in sites for e in s["excluded_meters"]]
    return {"enterprise": enterprise.pk, "period": str(period), "scope1_tco2": scope1, "scope2_tco2": scope2,
            "total_tco2": scope1 + scope2, "sites": sites,
            "factor_versions": sorted({v for s in sites for v in s["factor_versions"]}),
            "excluded_meters": excluded, "complete": not excluded}
