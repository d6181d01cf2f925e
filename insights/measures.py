"""A site's monthly energy measures and indicators, computed with the accounting engine (carbon.energy, carbon.kpis)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Max, Min

from carbon.emissions import site_emissions
from carbon.energy import electricity_kwh, meter_quantities, site_energy
from carbon.kpis import site_kpis
from carbon.models import ConversionMethod
from carbon.periods import Period, month_add
from meters.models import Carrier, Meter, MeterRollup
from plants.models import Site


def measure_value(*, site: Site, period: Period, measure: str,
                  method: str = ConversionMethod.EQUIVALENT) -> tuple[Decimal | None, float | None]:
    """(value, data completeness) of one measure of a site: comprehensive energy (tce, carbon.energy.site_energy),
    electricity consumed (kWh: incoming + self-generated − exported, as in the KPIs) or scope 1+2 emissions (tCO₂).
    The value is None when no boundary meter received any reading in the period."""
    quantities = meter_quantities(site=site, period=period)
    energy = site_energy(site=site, period=period, method=method, quantities=quantities)
    if not energy["completeness"]:
        return None, energy["completeness"]
    if measure == "energy_tce":
        value = energy["energy_tce"]
    elif measure == "electricity_kwh":
        incoming = electricity_kwh(quantities=quantities, roles={Meter.Role.PURCHASE, Meter.Role.FACILITY_TOTAL})
        generated = electricity_kwh(quantities=quantities, roles={Meter.Role.GENERATION},
                                    carriers=(Carrier.PV_GENERATION, Carrier.ELECTRICITY))
        exported = electricity_kwh(quantities=quantities, roles={Meter.Role.EXPORT},
                                   carriers=(Carrier.ELECTRICITY, Carrier.PV_GENERATION))
        value = incoming + generated - exported  # exact decimals (carbon.energy.electricity_kwh)
    elif measure == "emissions_tco2":
        value = site_emissions(site=site, period=period, quantities=quantities)["total_tco2"]
    else:
        raise ValueError(measure)
    return value, energy["completeness"]


def data_months(*, site: Site) -> tuple[dt.date, dt.date] | None:
    """First and last local month with a monthly rollup of any meter of the site."""
    ids = list(Meter.objects.filter(site=site).values_list("pk", flat=True))  # index walk per meter, not a scan
    span = MeterRollup.objects.filter(meter_id__in=ids, granularity=MeterRollup.Granularity.MONTH).aggregate(
        lo=Min("bucket_start"), hi=Max("bucket_start"))
    if span["lo"] is None:
        return None
    import zoneinfo

    zone = zoneinfo.ZoneInfo(site.timezone)
    return span["lo"].astimezone(zone).date().replace(day=1), span["hi"].astimezone(zone).date().replace(day=1)


def periods_between(first: dt.date, last: dt.date, n_months: int) -> list[Period]:
    """Calendar periods of `n_months` (1, 3 or 12) that overlap [first, last] months."""
    start = first.replace(month=1) if n_months == 12 else first.replace(month=(first.month - 1) // n_months
                                                                         * n_months + 1)
    out, cur = [], start
    while cur <= last:
        out.append(Period(cur, n_months))
        cur = month_add(cur, n_months)
    return out


def site_indicators(*, site: Site, period: Period, method: str = ConversionMethod.EQUIVALENT) -> dict[str, dict]:
    """The benchmarkable indicators of a site in a period, straight from carbon.kpis.site_kpis: energy per unit of each
    product (kgce/unit, the KPI's allocation), energy per 10⁴ CNY value added (tce/10⁴ CNY) and, for data centres,
    PUE. Keyed "energy_per_unit:<product code>", "energy_per_value_added", "pue"."""
    kpis = site_kpis(site=site, period=period, method=method, with_yoy=False)
    out = {"energy_per_value_added": {"indicator": "energy_per_value_added",
                                      "value": kpis["energy_per_value_added"]["value"],
                                      "unit": kpis["energy_per_value_added"]["unit"]}}
    if "pue" in kpis:
        out["pue"] = {"indicator": "pue", "value": kpis["pue"]["value"], "unit": "ratio"}
    for row in kpis["per_product"]:
        out[f"energy_per_unit:{row['product']}"] = {
            "indicator": "energy_per_unit", "product": row["product"], "product_name": row["name"],
            "value": row["energy_per_unit"]["value"], "unit": row["energy_per_unit"]["unit"],
            "allocation": row["allocation"]}
    return out
