"""Writes of the energy-carbon management centre: fitting and recording energy baselines, re-baselining."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from accounts.audit import audit_record
from carbon.periods import month_add
from energy_platform.errors import ApplicationError
from plants.models import Site

from .baselines import fit, last_complete_month, observations, parse_variables
from .models import DailyTemperature, EnergyBaseline, MonthlyWeather


@transaction.atomic
def baseline_create(*, site: Site, name: str, start_month: dt.date, variables: list[str],
                    measure: str = EnergyBaseline.Measure.ENERGY_TCE, months: int = 12, reason: str = "",
                    actor=None, request=None) -> EnergyBaseline:
    """Fit a baseline on `months` months from `start_month` and make it the site's active baseline of `measure`.
    When one is already active this is a re-baselining: a reason is required and the old baseline is kept, superseded.
    """
    if measure not in EnergyBaseline.Measure.values:
        raise ApplicationError("invalid_measure", f"measure must be one of {', '.join(EnergyBaseline.Measure.values)}.")
    if start_month.day != 1:
        raise ApplicationError("invalid_month", "The baseline starts on the first day of a month.")
    if not 12 <= months <= 36:
        raise ApplicationError("invalid_months", "A baseline covers 12 to 36 months (usually 12).")
    if not (name or "").strip():
        raise ApplicationError("name_required", "Give the baseline a name.")
    variables = parse_variables(site=site, variables=variables)
    month_list = [month_add(start_month, i) for i in range(months)]
    if month_list[-1] > last_complete_month(site):
        raise ApplicationError("period_not_complete", "The baseline period must end with a complete month.")
    rows = observations(site=site, months=month_list, variables=variables, measure=measure)
    no_energy = [r["month"] for r in rows if r["energy"] is None]
    missing = {r["month"]: r["missing"] for r in rows if r["missing"]}
    if no_energy or missing:
        raise ApplicationError("missing_data", "The baseline period lacks data: enter it first.",
                               extra={"months_without_energy": no_energy, "missing_variables": missing})
    model = fit(rows=rows, variables=variables)
    for r, fitted in zip(rows, model["fitted"], strict=True):
        r["fitted"] = fitted

    previous = EnergyBaseline.objects.select_for_update().filter(site=site, measure=measure, active=True).first()
    if previous is not None and not (reason or "").strip():
        raise ApplicationError("reason_required", "A baseline is already active: re-baselining needs a reason "
                                                  "(e.g. a new line, a boundary change).")
    if previous is not None:
        previous.active = False
        previous.save(update_fields=["active"])
    baseline = EnergyBaseline.objects.create(
        site=site, name=name.strip(), measure=measure, start_month=start_month, months=months, variables=variables,
        coefficients=model["coefficients"], std_errors=model["std_errors"], r_squared=model["r_squared"],
        cv_rmse_pct=model["cv_rmse_pct"], nmbe_pct=model["nmbe_pct"], n_observations=model["n"],
        observations=rows, supersedes=previous, reason=(reason or "").strip(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None)
    audit_record(actor=actor, action="baseline.rebaseline" if previous else "baseline.create", obj=baseline,
                 detail={"site": site.code, "measure": measure, "start_month": start_month, "variables": variables,
                         "supersedes": previous.pk if previous else None, "reason": baseline.reason},
                 request=request)
    return baseline


def _days_in(month: dt.date) -> list[dt.date]:
    end = month_add(month, 1)
    return [month + dt.timedelta(days=i) for i in range((end - month).days)]


@transaction.atomic
def degree_days_compute(*, site: Site, month: dt.date, base_c: Decimal = Decimal(18)) -> MonthlyWeather:
    """Degree days of a month from its daily mean temperatures (base `base_c`, °C):
    HDD = Σ max(0, base − T_day), CDD = Σ max(0, T_day − base) over every day of the month; the month's mean is the
    mean of the days. Stored as the site's MonthlyWeather row (replacing an earlier one for that month)."""
    if month.day != 1:
        raise ApplicationError("invalid_month", "Give the first day of the month.")
    days = _days_in(month)
    temps = dict(DailyTemperature.objects.filter(site=site, day__gte=days[0], day__lte=days[-1])
                 .values_list("day", "mean_c"))
    missing = [d for d in days if d not in temps]
    if missing:
        raise ApplicationError("incomplete_month", f"{len(missing)} day(s) of {month:%Y-%m} have no temperature.",
                               extra={"missing_days": [d.isoformat() for d in missing]})
    hdd = sum((max(Decimal(0), base_c - t) for t in temps.values()), Decimal(0))
    cdd = sum((max(Decimal(0), t - base_c) for t in temps.values()), Decimal(0))
    mean = (sum(temps.values(), Decimal(0)) / len(days)).quantize(Decimal("0.01"))
    weather, _ = MonthlyWeather.objects.update_or_create(site=site, month=month, defaults={
        "hdd": hdd, "cdd": cdd, "base_temperature_c": base_c, "mean_temperature_c": mean,
        "source": f"computed from {len(days)} daily mean temperatures"})
    return weather


@transaction.atomic
def daily_temperatures_record(*, site: Site, rows: list[tuple[dt.date, Decimal]], source: str = "", actor=None,
                              request=None) -> dict:
    """Store daily mean temperatures (a repeated day replaces its value) and recompute the degree days of every
    month touched that is now complete. Returns the months computed and those still incomplete."""
    if not rows:
        raise ApplicationError("no_rows", "Send at least one daily temperature.")
    for day, value in rows:
        DailyTemperature.objects.update_or_create(site=site, day=day, defaults={"mean_c": value, "source": source})
    computed, incomplete = [], {}
    for month in sorted({day.replace(day=1) for day, _ in rows}):
        try:
            weather = degree_days_compute(site=site, month=month)
        except ApplicationError as exc:
            incomplete[f"{month:%Y-%m}"] = len(exc.extra.get("missing_days", []))
        else:
            computed.append({"month": f"{month:%Y-%m}", "hdd": weather.hdd, "cdd": weather.cdd,
                             "mean_temperature_c": weather.mean_temperature_c})
    audit_record(actor=actor, action="weather.daily_import", obj=site,
                 detail={"rows": len(rows), "months_computed": [c["month"] for c in computed]}, request=request)
    return {"stored": len(rows), "computed": computed, "incomplete_days_missing": incomplete}
