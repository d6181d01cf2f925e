"""Month-end and year-end projections of energy, emissions and intensities, compared with targets and quotas.

Method (docs/alerts.md): the previous year's seasonal profile scaled by the data so far.

    projected = actual_to_date × previous_year_total / previous_year_same_span_to_date          (seasonal)

where "same span" is the same calendar days one year earlier (Period.previous_year keeps `until`). The previous year
is used only when its whole period has data (completeness ≥ MIN_PREVIOUS_COMPLETENESS) and a non-zero quantity to
date; otherwise the run rate:

    projected = actual_to_date × days_in_period / days_elapsed                                   (run rate)

Energy (tce) and emissions (tCO2) come from carbon.energy / carbon.emissions, which read the meters' day and month
rollups in one aggregate query per span (meters.rollup). Value added is monthly data: its projection scales the months
entered so far by the previous year's months in the same way (run rate over entered months otherwise); intensities are
projected energy or emissions over projected value added.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from carbon.kpis import (
    _current,  # the "latest version per month" rule of the versioned monthly tables
    closed_month_cores,
    site_figures,
)
from carbon.models import ConversionMethod, Target
from carbon.periods import Period, period_coverage
from energy_platform.errors import ApplicationError
from plants.models import EconomicData, Enterprise, Site

from .models import CarbonAllowance, EnergyQuota

Q4 = Decimal("0.0001")
MIN_PREVIOUS_COMPLETENESS = 0.9
SEASONAL, RUN_RATE, ACTUAL = "seasonal", "run_rate", "actual"


@dataclass(frozen=True)
class Projection:
    value: Decimal | None
    method: str | None
    seasonal: Decimal | None
    run_rate: Decimal | None


def project(*, actual_to_date: Decimal, days_elapsed: int, days_total: int, previous_to_date: Decimal | None = None,
            previous_total: Decimal | None = None, previous_usable: bool = True) -> Projection:
    """Project a period total from its value so far: seasonal when the previous year is usable, else run rate."""
    actual = Decimal(actual_to_date)
    run_rate = (actual * days_total / days_elapsed) if days_elapsed > 0 else None
    seasonal = None
    if previous_usable and previous_to_date and previous_total and previous_to_date > 0:
        seasonal = actual * Decimal(previous_total) / Decimal(previous_to_date)
    if seasonal is not None:
        return Projection(seasonal, SEASONAL, seasonal, run_rate)
    return Projection(run_rate, RUN_RATE if run_rate is not None else None, None, run_rate)


def span_actuals(*, site: Site, period: Period, method: str = ConversionMethod.EQUIVALENT) -> dict:
    """Energy (tce) and emissions (tCO2) of a site over a period (cut at `period.until` when set), and the data
    completeness of its boundary meters; closed months as recorded at close (`carbon.kpis.site_figures`)."""
    figures = site_figures(site=site, period=period, method=method)
    return {"energy_tce": figures["energy"]["energy_tce"], "total_tco2": figures["emissions"]["total_tco2"],
            "completeness": figures["energy"]["completeness"]}


def _months_entered(*, sites, months: list[dt.date]) -> dict[dt.date, Decimal]:
    """Value added per month (the sites' sum); a closed month's as recorded at close."""
    qs = _current(EconomicData.objects.filter(site__in=sites, month__in=months), "site")
    per_site = {(r["site"], r["month"]): r["s"]
                for r in qs.values("site", "month").annotate(s=Sum("value_added_10k_cny")).order_by()}
    for site in sites:
        for month, core in closed_month_cores(site=site, months=months, method=ConversionMethod.EQUIVALENT).items():
            if core["value_added"] is None:
                per_site.pop((site.pk, month), None)
            else:
                per_site[(site.pk, month)] = core["value_added"]
    out: dict[dt.date, Decimal] = {}
    for (_site, month), value in per_site.items():
        out[month] = out.get(month, Decimal(0)) + value
    return out


def _value_added(*, sites, period: Period, as_of: dt.date) -> dict:
    """Value added entered so far (months that started before `as_of`) and its projection over the period."""
    months = [m for m in period.months() if m < as_of]
    entered = _months_entered(sites=sites, months=months)
    if not entered:
        return {"to_date": None, "months_entered": 0, "projected": None, "method": None}
    so_far = sum(entered.values(), Decimal(0))
    n_entered = len(entered)
    if n_entered == period.n_months:
        return {"to_date": so_far, "months_entered": n_entered, "projected": so_far, "method": ACTUAL}
    previous = _months_entered(sites=sites, months=[m.replace(year=m.year - 1) for m in period.months()])
    same = [m.replace(year=m.year - 1) for m in entered]
    if len(previous) == period.n_months and all(m in previous for m in same):
        prev_same = sum((previous[m] for m in same), Decimal(0))
        if prev_same > 0:
            return {"to_date": so_far, "months_entered": n_entered, "method": SEASONAL,
                    "projected": so_far * sum(previous.values(), Decimal(0)) / prev_same}
    return {"to_date": so_far, "months_entered": n_entered, "method": RUN_RATE,
            "projected": so_far * period.n_months / n_entered}


def _q(value) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Q4)


def _ratio(a, b) -> Decimal | None:
    if a is None or not b:
        return None
    return (Decimal(a) / Decimal(b)).quantize(Q4)


def _check_period(period: Period, as_of: dt.date) -> None:
    if period.n_months not in (1, 12):
        raise ApplicationError("invalid_forecast_period",
                               "Projections are made for a year (2026) or a month (2026-11).")
    if as_of <= period.first:
        raise ApplicationError("period_not_started", f"{period} has not started on {as_of}: there is nothing to "
                                                     "project from.")


def _site_quantities(*, site: Site, period: Period, as_of: dt.date, method: str) -> dict:
    complete = as_of >= period.end_month
    to_date = period_coverage(period=period, today=as_of).period  # the one coverage rule (carbon.periods)
    elapsed = ((min(as_of, period.end_month)) - period.first).days
    total_days = (period.end_month - period.first).days
    now = span_actuals(site=site, period=to_date, method=method)
    out = {}
    if complete:
        for key in ("energy_tce", "total_tco2"):
            out[key] = {"to_date": now[key], "projected": now[key], "method": ACTUAL, "seasonal": None,
                        "run_rate": None, "previous_year_to_date": None, "previous_year_total": None}
        return {"quantities": out, "completeness": now["completeness"], "complete": True, "days_elapsed": elapsed,
                "days_total": total_days}
    before = span_actuals(site=site, period=to_date.previous_year(), method=method)
    before_total = span_actuals(site=site, period=period.previous_year(), method=method)
    usable = (before_total["completeness"] or 0) >= MIN_PREVIOUS_COMPLETENESS
    for key in ("energy_tce", "total_tco2"):
        p = project(actual_to_date=now[key], days_elapsed=elapsed, days_total=total_days,
                    previous_to_date=before[key], previous_total=before_total[key], previous_usable=usable)
        out[key] = {"to_date": now[key], "projected": p.value, "method": p.method, "seasonal": p.seasonal,
                    "run_rate": p.run_rate, "previous_year_to_date": before[key] if usable else None,
                    "previous_year_total": before_total[key] if usable else None}
    return {"quantities": out, "completeness": now["completeness"], "complete": False, "days_elapsed": elapsed,
            "days_total": total_days}


def _shape(core: dict, va: dict) -> dict:
    units = {"energy_tce": "tce", "total_tco2": "tCO2"}
    q = {key: {"unit": units[key], **{k: (_q(v) if k != "method" else v) for k, v in row.items()}}
         for key, row in core["quantities"].items()}
    q["value_added_10k_cny"] = {"unit": "10^4 CNY", "to_date": _q(va["to_date"]), "projected": _q(va["projected"]),
                                "months_entered": va["months_entered"], "method": va["method"]}
    q["energy_per_value_added"] = {"unit": "tce/10^4 CNY", "projected": _ratio(
        core["quantities"]["energy_tce"]["projected"], va["projected"])}
    q["carbon_intensity"] = {"unit": "tCO2/10^4 CNY", "projected": _ratio(
        core["quantities"]["total_tco2"]["projected"], va["projected"])}
    return q


def _baseline(target: Target, actual_of_year) -> Decimal | None:
    if target.baseline_value is not None:
        return Decimal(target.baseline_value)
    return actual_of_year(target.baseline_year).get(target.indicator)


TARGET_KEYS = {Target.Indicator.ENERGY_TCE: ("energy_tce", "tce"),
               Target.Indicator.EMISSIONS_TCO2: ("total_tco2", "tCO2"),
               Target.Indicator.ENERGY_PER_VALUE_ADDED: ("energy_per_value_added", "tce/10^4 CNY"),
               Target.Indicator.CARBON_PER_VALUE_ADDED: ("carbon_intensity", "tCO2/10^4 CNY")}


def target_limit(*, baseline: Decimal, reduction_pct: Decimal, baseline_year: int, target_year: int,
                 year: int) -> Decimal | None:
    """The value allowed in `year` on a straight path from the baseline to the goal (the goal itself from the target
    year on): baseline × (1 − reduction × min(1, (year − baseline_year) / (target_year − baseline_year)))."""
    if year <= baseline_year:
        return None
    span = max(target_year - baseline_year, 1)
    share = min(Decimal(1), Decimal(year - baseline_year) / Decimal(span))
    return Decimal(baseline) * (1 - Decimal(reduction_pct) / 100 * share)


def _comparisons(*, period: Period, quantities: dict, targets, quotas, allowances, actual_of_year) -> list[dict]:
    if period.n_months != 12:
        return []  # targets, quotas and allowances are yearly
    year = period.first.year
    out = []
    for t in targets:
        if t.indicator not in TARGET_KEYS:
            continue  # PUE targets are not projected
        key, unit = TARGET_KEYS[t.indicator]
        baseline = _baseline(t, actual_of_year)
        # Compared as shown (4 decimals), so the margin is the difference of the two figures on the page.
        limit = _q(target_limit(baseline=baseline, reduction_pct=t.reduction_pct, baseline_year=t.baseline_year,
                                target_year=t.target_year, year=year) if baseline is not None else None)
        projected = quantities[key]["projected"]
        out.append({"kind": "target", "id": t.pk, "indicator": key, "unit": unit, "baseline": _q(baseline),
                    "baseline_year": t.baseline_year, "target_year": t.target_year,
                    "reduction_pct": t.reduction_pct, "limit": limit, "projected": projected,
                    "breach": None if limit is None or projected is None else projected > limit,
                    "margin": None if limit is None or projected is None else _q(limit - projected),
                    "source": t.note})
    for row, kind, key, field, unit in [(q, "energy_quota", "energy_tce", "energy_tce", "tce") for q in quotas] + [
            (a, "carbon_allowance", "total_tco2", "allowance_tco2", "tCO2") for a in allowances]:
        limit = getattr(row, field)
        projected = quantities[key]["projected"]
        to_date = quantities[key]["to_date"]
        out.append({"kind": kind, "id": row.pk, "indicator": key, "unit": unit, "limit": _q(limit),
                    "projected": projected, "breach": None if projected is None else projected > limit,
                    "margin": None if projected is None else _q(limit - projected),
                    "used_to_date_pct": _q(to_date / limit * 100) if to_date is not None else None,
                    "source": row.source})
    return out


def _year_actuals(sites: list[Site], method: str):
    cache: dict[int, dict] = {}

    def actual(year: int) -> dict:
        if year not in cache:
            period = Period.year(year)
            rows = [span_actuals(site=s, period=period, method=method) for s in sites]
            e = sum((r["energy_tce"] for r in rows), Decimal(0))
            c = sum((r["total_tco2"] for r in rows), Decimal(0))
            va = sum(_months_entered(sites=sites, months=period.months()).values(), Decimal(0)) or None
            cache[year] = {Target.Indicator.ENERGY_TCE: e, Target.Indicator.EMISSIONS_TCO2: c,
                           Target.Indicator.ENERGY_PER_VALUE_ADDED: _ratio(e, va),
                           Target.Indicator.CARBON_PER_VALUE_ADDED: _ratio(c, va)}
        return cache[year]
    return actual


def site_forecast(*, site: Site, period: Period, as_of: dt.date,
                  method: str = ConversionMethod.EQUIVALENT) -> dict:
    """Projection of a site's period (year or month) as of a local day (exclusive: data up to the day before)."""
    _check_period(period, as_of)
    core = _site_quantities(site=site, period=period, as_of=as_of, method=method)
    va = _value_added(sites=[site], period=period, as_of=as_of)
    quantities = _shape(core, va)
    year = period.first.year
    return {"scope": "site", "site": site.code, "site_id": site.pk, "enterprise": site.enterprise_id,
            "period": str(period), "as_of": as_of, "complete": core["complete"], "days_elapsed": core["days_elapsed"],
            "coverage": period_coverage(period=period, today=as_of).as_dict(),
            "days_total": core["days_total"], "electricity_method": method,
            "data_completeness": round(core["completeness"], 4) if core["completeness"] is not None else None,
            "quantities": quantities,
            "comparisons": _comparisons(
                period=period, quantities=quantities, targets=Target.objects.filter(site=site).order_by("pk"),
                quotas=EnergyQuota.objects.filter(site=site, year=year),
                allowances=CarbonAllowance.objects.filter(site=site, year=year),
                actual_of_year=_year_actuals([site], method))}


def enterprise_forecast(*, enterprise: Enterprise, period: Period, as_of: dt.date,
                        method: str = ConversionMethod.EQUIVALENT) -> dict:
    """The sum of the sites' projections (each site by its own method); intensities over the enterprise's value
    added."""
    _check_period(period, as_of)
    sites = list(enterprise.sites.order_by("code"))
    per_site = [(s, _site_quantities(site=s, period=period, as_of=as_of, method=method)) for s in sites]
    total: dict[str, dict] = {}
    for key in ("energy_tce", "total_tco2"):
        rows = [core["quantities"][key] for _, core in per_site]
        methods = {r["method"] for r in rows if r["method"]}
        projected = [r["projected"] for r in rows]
        total[key] = {"to_date": sum((r["to_date"] for r in rows), Decimal(0)),
                      "projected": None if any(p is None for p in projected) else sum(projected, Decimal(0)),
                      "method": methods.pop() if len(methods) == 1 else ("mixed" if methods else None)}
    completeness = [core["completeness"] for _, core in per_site if core["completeness"] is not None]
    core = {"quantities": total}
    va = _value_added(sites=sites, period=period, as_of=as_of)
    quantities = _shape(core, va)
    year = period.first.year
    complete = as_of >= period.end_month
    return {"scope": "enterprise", "enterprise": enterprise.pk, "period": str(period), "as_of": as_of,
            "complete": complete, "days_elapsed": (min(as_of, period.end_month) - period.first).days,
            "coverage": period_coverage(period=period, today=as_of).as_dict(),
            "days_total": (period.end_month - period.first).days, "electricity_method": method,
            "data_completeness": round(min(completeness), 4) if completeness else None,
            "quantities": quantities,
            "sites": [{"site": s.code, "site_id": s.pk,
                       **{key: {"to_date": _q(core["quantities"][key]["to_date"]),
                                "projected": _q(core["quantities"][key]["projected"]),
                                "method": core["quantities"][key]["method"]} for key in ("energy_tce", "total_tco2")}}
                      for s, core in per_site],
            "comparisons": _comparisons(
                period=period, quantities=quantities,
                targets=Target.objects.filter(enterprise=enterprise, site__isnull=True).order_by("pk"),
                quotas=EnergyQuota.objects.filter(enterprise=enterprise, site__isnull=True, year=year),
                allowances=CarbonAllowance.objects.filter(enterprise=enterprise, site__isnull=True, year=year),
                actual_of_year=_year_actuals(sites, method))}
