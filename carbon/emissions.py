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

from collections.abc import Callable
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import translation
from django.utils.translation import gettext

from energy_platform.errors import ApplicationError
from energy_platform.numbers import exact
from meters.models import Carrier, Meter
from meters.units import unit_scale
from plants.models import Enterprise, Site

from .energy import MeterQuantity, _sign, coefficient_for, excluded_of, memo_active, memoized, meter_quantities
from .models import (
    EmissionFactor,
    EnergyCoefficient,
    FactorSet,
    GreenCertificate,
    MeasuredFuelProperty,
    ProcessEmission,
    ReviewStatus,
)
from .periods import Period
from .process import process_lines
from .reference_data import PROVINCE_GRID_REGION

FUEL_CARRIERS = {Carrier.RAW_COAL, Carrier.WASHED_COAL, Carrier.COKE, Carrier.NATURAL_GAS, Carrier.COKE_OVEN_GAS,
                 Carrier.FUEL_OIL, Carrier.DIESEL, Carrier.GASOLINE, Carrier.LPG}
SCOPE2_CARRIERS: dict[str, str] = {Carrier.ELECTRICITY: EmissionFactor.Kind.GRID,
                                   Carrier.HEAT: EmissionFactor.Kind.HEAT, Carrier.STEAM: EmissionFactor.Kind.STEAM}


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
            .filter(kind=kind, carrier=carrier, factor_set__purpose=purpose))
    if kind == EmissionFactor.Kind.GRID:
        base = base.filter(basis=basis)
    region = grid_region_of(site)
    # Precedence: the enterprise's own factor, then the province's, the grid region's, the national one. A fuel's
    # guideline: the sector guideline of the enterprise's industry (GB/T 4754 prefix) before the general one.
    industry = site.enterprise.industry_code or ""

    def sector(f: EmissionFactor) -> bool:
        prefixes = [p.strip() for p in f.factor_set.industry_prefixes.split(",") if p.strip()]
        return bool(prefixes) and any(industry.startswith(p) for p in prefixes)

    def general(f: EmissionFactor) -> bool:
        return not f.factor_set.industry_prefixes.strip()

    tiers: list[Callable[..., bool]] = [
        lambda f: f.enterprise_id == site.enterprise_id or f.factor_set.enterprise_id == site.enterprise_id]
    geographies = [site.region_code[:2]] + ([region] if region else []) + ["national"]
    for g in geographies:
        tiers += [lambda f, g=g, guideline=guideline: f.enterprise_id is None and f.factor_set.enterprise_id is None
                  and f.geography == g and guideline(f) for guideline in (sector, general)]
    rows = list(base.filter(Q(enterprise=site.enterprise) | Q(factor_set__enterprise=site.enterprise)
                            | Q(enterprise__isnull=True, factor_set__enterprise__isnull=True,
                                geography__in=geographies))
                .order_by("-pk"))
    # Substitution rule (docs/accounting.md): within the precedence, the factor of the reporting year, else the
    # newest earlier data year (else an undated row); only when no tier has one, the nearest later data year of any
    # tier (the precedence deciding between tiers of that year).
    # A dated factor of another data year is named as substituted.
    for tier in tiers:
        mine = [f for f in rows if tier(f) and (f.factor_set.data_year or 0) <= year]
        if mine:
            row = max(mine, key=lambda f: (f.factor_set.data_year is not None, f.factor_set.data_year or 0, f.pk))
            return _mark_substitution(row, year)
    later = [(f.factor_set.data_year, i, -f.pk, f) for i, tier in enumerate(tiers) for f in rows
             if tier(f) and f.factor_set.data_year is not None and f.factor_set.data_year > year]
    if later:  # the nearest later data year; within it, the precedence
        return _mark_substitution(min(later, key=lambda t: t[:3])[3], year)
    raise ApplicationError("no_emission_factor", f"No {purpose} emission factor for {carrier} in {year}.")


def factor_substitution_note(params: dict) -> str:
    """The note naming a substituted emission factor, in the active language (`params` as `_mark_substitution` sets
    them on the row and the answer carries them as `factor_substitution_params`)."""
    carrier = params["carrier"]
    name = str(Carrier(carrier).label) if carrier in Carrier.values else carrier
    direction = (gettext("no earlier data year loaded: nearest later") if params["later"]
                 else gettext("nearest earlier"))
    return gettext("No %(carrier)s factor of data year %(year)s: %(set)s (data year %(data_year)s, %(value)s "
                   "tCO2/%(unit)s) is substituted (%(direction)s).") % {**params, "carrier": name,
                                                                         "direction": direction}


def substitution_text(line: dict) -> str | None:
    """An emission line's substitution note in the active language (the stored English text for answers frozen before
    the params were kept)."""
    params = line.get("factor_substitution_params")
    return factor_substitution_note(params) if params else line.get("factor_substitution")


def _mark_substitution(row: EmissionFactor, year: int) -> EmissionFactor:
    data_year = row.factor_set.data_year
    if data_year is not None and data_year != year:
        row.substitution_params = {"carrier": row.carrier, "year": year, "set": row.factor_set.name,
                                   "data_year": data_year, "value": str(row.value), "unit": row.activity_unit,
                                   "later": data_year > year}
        with translation.override("en"):  # the answer's text stays English; documents translate the params
            row.substitution = factor_substitution_note(row.substitution_params)
    return row


def _line(*, scope: str, source: str, amount: Decimal, unit: str, factor: EmissionFactor) -> dict:
    return {"scope": scope, "source": source, "activity_amount": amount, "activity_unit": unit,
            "factor_id": factor.pk, "factor_value": factor.value, "factor_unit": f"tCO2/{factor.activity_unit}",
            "factor_version": f"{factor.factor_set.name} v{factor.factor_set.version}",
            "factor_source": factor.source, "provisional": factor.provisional or factor.factor_set.provisional,
            "factor_data_year": factor.factor_set.data_year,
            "ncv_gj_per_unit": factor.ncv_gj_per_unit, "carbon_content_tc_per_tj": factor.carbon_content_tc_per_tj,
            "oxidation_rate": factor.oxidation_rate,
            "factor_substituted": factor.substitution is not None, "factor_substitution": factor.substitution,
            "factor_substitution_params": factor.substitution_params,
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
    measured = _measured_rows(site, period, {c for c, _u in per_carrier if c in FUEL_CARRIERS})
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
        # Months with the enterprise's measured NCV and carbon content take them instead of the default; the rest of
        # the period keeps the default factor.
        for row in measured.get(carrier, []):
            month_qty = qty if period.n_months == 1 else _month_quantity(site, period, row.month, carrier, unit)
            qty -= month_qty
            lines.append(_measured_line(row=row, amount=month_qty, meter_unit=unit, default=factor))
        if qty or not measured.get(carrier):
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
    # Sector-guideline process activity data (carbon.process); biomass CO2 is reported separately, not in the total.
    process, biomass = process_lines(site=site, months=[m for m in months if period.until is None or m < period.until])
    lines.extend(process)
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
        "excluded_meters": excluded, "complete": not excluded, "biomass_lines": biomass,
    }


def _measured_rows(site: Site, period: Period, carriers: set[str]) -> dict[str, list[MeasuredFuelProperty]]:
    """The enterprise's confirmed measured fuel properties of the period's months (to date), by carrier (MRV review:
    entered or checked values wait, the default applies)."""
    if not carriers:
        return {}
    months = [m for m in period.months() if period.until is None or m < period.until]
    memo = memo_active()
    if memo is None:
        rows = list(MeasuredFuelProperty.objects.filter(enterprise_id=site.enterprise_id, carrier__in=carriers,
                                                        month__in=months, review_status=ReviewStatus.CONFIRMED)
                    .order_by("month"))
    else:  # a dashboard's periods and sites share one read of the enterprise's measurements
        key = ("measured", site.enterprise_id)
        if key not in memo:
            memo[key] = list(MeasuredFuelProperty.objects.filter(enterprise_id=site.enterprise_id,
                                                                 review_status=ReviewStatus.CONFIRMED)
                             .order_by("month"))
        wanted = set(months)
        rows = [r for r in memo[key] if r.carrier in carriers and r.month in wanted]
    out: dict[str, list[MeasuredFuelProperty]] = {}
    for row in rows:
        out.setdefault(row.carrier, []).append(row)
    return out


def _month_quantity(site: Site, period: Period, month, carrier: str, unit: str) -> Decimal:
    """Net boundary quantity of one carrier (meters in `unit`) in one month of a longer period."""
    one = Period(month, 1)
    if period.until is not None:
        one = one.to_date(period.until)
    rows = meter_quantities(site=site, period=one, meter_filter=Q(carrier=carrier, unit=unit))
    return sum((exact(m.quantity) * _sign(m) for m in rows), Decimal(0))


def _measured_line(*, row: MeasuredFuelProperty, amount: Decimal, meter_unit: str, default: EmissionFactor) -> dict:
    """An emission line of a fuel in a month with the enterprise's measured NCV and carbon content (GB/T 32150:
    measured values take precedence over defaults); the oxidation rate is the default's unless measured."""
    scale = unit_scale(from_unit=meter_unit, to_unit=row.activity_unit)  # the units table (meters.units)
    if scale is None:
        raise ApplicationError("unit_mismatch", f"{row.carrier} metered in {meter_unit} but its measured heating "
                                                f"value is per {row.activity_unit}.")
    of = row.oxidation_rate if row.oxidation_rate is not None else default.oxidation_rate
    if of is None:
        raise ApplicationError("no_oxidation_rate", f"The measured {row.carrier} of {row.month:%Y-%m} has no "
                                                    "oxidation rate and its default factor gives none.")
    value = EmissionFactor.fuel_factor(ncv=row.ncv_gj_per_unit, cc=row.carbon_content_tc_per_tj, of=of)
    activity = amount * scale
    evidence = f"lab report {row.lab_report_number}" + (f", {row.laboratory}" if row.laboratory else "")
    return {"scope": "scope1", "source": row.carrier, "month": f"{row.month:%Y-%m}", "activity_amount": activity,
            "activity_unit": row.activity_unit, "factor_id": None, "factor_value": value,
            "factor_unit": f"tCO2/{row.activity_unit}",
            "factor_version": f"measured {row.month:%Y-%m} ({evidence})"[:100],
            "factor_source": (f"enterprise measurement {row.month:%Y-%m}: NCV {row.ncv_gj_per_unit} GJ/"
                              f"{row.activity_unit}, CC {row.carbon_content_tc_per_tj} tC/TJ, OF {of}"
                              f"{'' if row.oxidation_rate is not None else ' (default)'}; {evidence}"),
            "provisional": False, "factor_data_year": row.month.year, "factor_substituted": False,
            "factor_substitution": None, "factor_substitution_params": None, "ncv_gj_per_unit": row.ncv_gj_per_unit,
            "carbon_content_tc_per_tj": row.carbon_content_tc_per_tj, "oxidation_rate": of,
            "measured": {"measured_fuel_property_id": row.pk, "lab_report_number": row.lab_report_number,
                         "evidence_file": row.evidence_file.name or None},
            "tco2": (activity * value).quantize(Decimal("0.000001"))}


#: Coefficient denominator → the emission activity unit and how many GJ one kJ per denominator unit makes per
#: activity unit (kJ/kg = GJ/t; kJ/m3 × 10^4 m3 ÷ 10^6 = GJ/10^4 m3).
_NCV_TO_ACTIVITY = {"kg": ("t", Decimal("0.001")), "m3": ("10^4 m3", Decimal("0.01"))}


def heating_values(*, site: Site, period: Period, carriers: set[str] | None = None) -> list[dict]:
    """For each fuel of the site, the heating value of each purpose with its source: energy (GB/T 2589 coefficient)
    and emissions (the governing GHG guideline's default, and the months with measured values). Where the two differ
    (raw coal 20.908 vs 23.204 GJ/t), both are shown: this is the disclosure every report prints."""
    if carriers is None:
        carriers = set(site.meters.filter(parent__isnull=True, carrier__in=FUEL_CARRIERS)
                       .values_list("carrier", flat=True).distinct())
    carriers = {c for c in carriers if c in FUEL_CARRIERS}
    measured = _measured_rows(site, period, carriers)
    out = []
    for carrier in sorted(carriers):
        coef: EnergyCoefficient = coefficient_for(carrier=carrier, on=period.first, enterprise=site.enterprise)
        factor = factor_select(site=site, carrier=carrier, year=period.first.year)
        denominator = coef.coefficient_unit.split("/")[-1]
        unit, scale = _NCV_TO_ACTIVITY.get(denominator, (None, None))
        energy_ncv = (coef.ncv_kj * scale).normalize() if coef.ncv_kj is not None and scale is not None else None
        emissions_ncv = factor.ncv_gj_per_unit
        out.append({
            "carrier": carrier,
            "energy": {"purpose": "energy (standard coal)", "ncv": energy_ncv, "unit": f"GJ/{unit}" if unit else None,
                       "coefficient": coef.coefficient, "coefficient_unit": coef.coefficient_unit,
                       "edition": coef.edition, "source": coef.source, "provisional": coef.provisional},
            "emissions": {"purpose": "emissions (GHG guideline default)",
                          "ncv": emissions_ncv.normalize() if emissions_ncv is not None else None,
                          "unit": f"GJ/{factor.activity_unit}", "fuel": factor.fuel_name,
                          "carbon_content_tc_per_tj": factor.carbon_content_tc_per_tj,
                          "oxidation_rate": factor.oxidation_rate,
                          "guideline": factor.factor_set.name, "source": factor.source,
                          "provisional": factor.provisional or factor.factor_set.provisional},
            "measured": [{"month": f"{r.month:%Y-%m}", "ncv": r.ncv_gj_per_unit.normalize(),
                          "unit": f"GJ/{r.activity_unit}", "carbon_content_tc_per_tj": r.carbon_content_tc_per_tj,
                          "lab_report_number": r.lab_report_number, "evidence_file": r.evidence_file.name or None}
                         for r in measured.get(carrier, [])],
            "differ": (energy_ncv is not None and emissions_ncv is not None and unit == factor.activity_unit
                       and energy_ncv != emissions_ncv),
        })
    return out


def enterprise_heating_values(*, enterprise: Enterprise, period: Period, site: Site | None = None) -> list[dict]:
    """`heating_values` of every site of an enterprise (or of one), one row per fuel and pair of sources."""
    seen: dict[tuple, dict] = {}
    for s in ([site] if site is not None else list(enterprise.sites.select_related("enterprise"))):
        for row in heating_values(site=s, period=period):
            key = (row["carrier"], row["energy"]["source"], row["emissions"]["source"],
                   tuple(m["month"] for m in row["measured"]))
            seen.setdefault(key, row)
    return sorted(seen.values(), key=lambda r: r["carrier"])


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
