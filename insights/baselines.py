"""Energy baselines and savings (ISO 50001 / ISO 50006, DOMAIN.md §7): the monthly data of a baseline, the regression
fitted with statsmodels, the adjusted baseline of a reporting period, savings, and project assessment.

Model: E = b₀ + Σ bⱼ·Xⱼ by ordinary least squares over the baseline months (statsmodels OLS).
Quality (ASHRAE Guideline 14 definitions, n observations, p parameters including b₀, ȳ the mean of E):
  CV(RMSE) = √(Σ(E − Ê)² / (n − p)) / ȳ × 100;   NMBE = Σ(E − Ê) / ((n − p) · ȳ) × 100.
Adjusted baseline of a reporting month = the model on that month's variables; savings = adjusted − actual;
improvement = 1 − actual / adjusted.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
from django.utils import timezone

from carbon.kpis import product_output, value_added
from carbon.models import ConversionMethod
from carbon.periods import Period, month_add
from energy_platform.errors import ApplicationError
from plants.models import Product, Site

from .measures import measure_value
from .models import EnergyBaseline, MonthlyWeather, QualityCriterion, SavingsProject

WEATHER_VARIABLES = ("hdd", "cdd")


def parse_variables(*, site: Site, variables: list[str]) -> list[str]:
    """Validate relevant-variable names: "product:<code>" (monthly output), "hdd", "cdd", "value_added"."""
    if not isinstance(variables, list) or not all(isinstance(v, str) for v in variables):
        raise ApplicationError("invalid_variables", "variables must be a list of names.")
    seen = []
    codes = set(Product.objects.filter(site=site).values_list("code", flat=True))
    for v in variables:
        if v in seen:
            raise ApplicationError("invalid_variables", f"Variable {v!r} is given twice.")
        if v.startswith("product:"):
            if v.split(":", 1)[1] not in codes:
                raise ApplicationError("invalid_variables", f"Site {site.code} has no product {v.split(':', 1)[1]!r}.")
        elif v not in (*WEATHER_VARIABLES, "value_added"):
            raise ApplicationError("invalid_variables",
                                   f"Unknown variable {v!r}: use product:<code>, hdd, cdd or value_added.")
        seen.append(v)
    return seen


def variable_values(*, site: Site, months: list[dt.date], variables: list[str]) -> dict[dt.date, dict[str, float]]:
    """Each month's value of each variable (missing values are absent)."""
    out: dict[dt.date, dict[str, float]] = {m: {} for m in months}
    weather = {w.month: w for w in MonthlyWeather.objects.filter(site=site, month__in=months)}
    products = {p.code: p for p in Product.objects.filter(site=site)}
    for month in months:
        period = Period(month, 1)
        for v in variables:
            value = None
            if v in WEATHER_VARIABLES:
                w = weather.get(month)
                value = getattr(w, v) if w else None
            elif v == "value_added":
                value = value_added(sites=[site], period=period)
            else:
                value = product_output(product=products[v.split(":", 1)[1]], period=period)
            if value is not None:
                out[month][v] = float(value)
    return out


def observations(*, site: Site, months: list[dt.date], variables: list[str], measure: str,
                 method: str = ConversionMethod.EQUIVALENT) -> list[dict]:
    xs = variable_values(site=site, months=months, variables=variables)
    rows = []
    for month in months:
        value, completeness = measure_value(site=site, period=Period(month, 1), measure=measure, method=method)
        rows.append({"month": f"{month:%Y-%m}", "energy": float(value) if value is not None else None,
                     "completeness": round(completeness, 4) if completeness is not None else None,
                     "x": xs[month], "missing": [v for v in variables if v not in xs[month]]})
    return rows


def fit(*, rows: list[dict], variables: list[str]) -> dict:
    """OLS of energy on the variables (statsmodels), with R², CV(RMSE) and NMBE."""
    y = np.array([r["energy"] for r in rows], dtype=float)
    X = np.column_stack([np.ones(len(rows))] + [[r["x"][v] for r in rows] for v in variables])
    n, p = X.shape
    if n <= p:
        raise ApplicationError("too_few_months", f"{n} months cannot fit {p} parameters.")
    if np.linalg.matrix_rank(X) < p:
        raise ApplicationError("collinear_variables", "The variables are constant or collinear over the baseline "
                                                      "months: the model cannot be fitted.")
    ybar = float(y.mean())
    if ybar <= 0:
        raise ApplicationError("no_energy", "The baseline months have no energy use.")
    import statsmodels.api as sm  # imported here: it pulls in scipy and pandas (seconds), only fitting needs it

    result = sm.OLS(y, X).fit()
    resid = y - result.fittedvalues
    names = ["intercept", *variables]
    return {
        "coefficients": {k: float(b) for k, b in zip(names, result.params, strict=True)},
        "std_errors": {k: float(b) for k, b in zip(names, result.bse, strict=True)},
        "r_squared": float(result.rsquared) if p > 1 else 0.0,
        "cv_rmse_pct": math.sqrt(float((resid ** 2).sum()) / (n - p)) / ybar * 100,
        "nmbe_pct": float(resid.sum()) / ((n - p) * ybar) * 100,
        "n": n,
        "fitted": [float(v) for v in result.fittedvalues],
    }


def predict(baseline: EnergyBaseline, x: dict[str, float]) -> float:
    c = baseline.coefficients
    return c["intercept"] + sum(c[v] * x[v] for v in baseline.variables)


def quality(baseline: EnergyBaseline) -> list[dict]:
    """Each quality statistic against its criterion (data rows; provisional ones flagged)."""
    stats = {"cv_rmse": baseline.cv_rmse_pct, "nmbe": baseline.nmbe_pct}
    return [{"statistic": c.statistic, "label": c.get_statistic_display(), "value_pct": stats[c.statistic],
             "limit_pct": float(c.max_abs_pct), "passes": abs(stats[c.statistic]) <= float(c.max_abs_pct),
             "source": c.source, "provisional": c.provisional}
            for c in QualityCriterion.objects.all()]


#: The least R² of a baseline regression with relevant variables: 0.75, the threshold of ASHRAE Guideline 14-2014
#: "Measurement of Energy, Demand, and Water Savings" practice as stated in Bonneville Power Administration,
#: "Regression for M&V: Reference Guide" (2012, §5.1.1 R-squared), and the IPMVP (EVO, "IPMVP Core Concepts"
#: 2016, Appendix B) treatment of R² as the test that the variables explain the energy use. Not in DOMAIN.md, so
#: shown as provisional ([check]) next to its source.
R2_MIN = 0.75
R2_SOURCE = ("ASHRAE Guideline 14-2014; BPA Regression for M&V: Reference Guide (2012) §5.1.1; "
             "IPMVP Core Concepts (EVO 10000-1:2016) Appendix B")
#: The least number of monthly observations: a full year, so that every season is in the model (ASHRAE Guideline 14
#: and ISO 50006 baseline period of 12 months, DOMAIN.md §7).
N_MIN = 12
N_SOURCE = "ISO 50006:2014; ASHRAE Guideline 14-2014 (a 12-month baseline period)"


def adequacy(baseline: EnergyBaseline) -> dict:
    """Whether a fitted baseline may be used to compute savings: every adequacy check passes. The checks: R² ≥
    R2_MIN when the model has relevant variables (a model of the mean explains nothing, R² does not apply), the
    CV(RMSE) and NMBE criteria (data rows, `quality`), and at least N_MIN months. A baseline that fails any check is
    shown as not usable, never as active with every check passed."""
    checks = []
    if baseline.variables:
        checks.append({"statistic": "r_squared", "label": "R²", "value": baseline.r_squared, "limit": R2_MIN,
                       "comparison": ">=", "passes": baseline.r_squared >= R2_MIN, "source": R2_SOURCE,
                       "provisional": True})
    checks += [{"statistic": q["statistic"], "label": q["label"], "value": q["value_pct"], "limit": q["limit_pct"],
                "comparison": "abs<=", "passes": q["passes"], "source": q["source"], "provisional": q["provisional"]}
               for q in quality(baseline)]
    checks.append({"statistic": "n", "label": "n", "value": baseline.n_observations, "limit": N_MIN,
                   "comparison": ">=", "passes": baseline.n_observations >= N_MIN, "source": N_SOURCE,
                   "provisional": False})
    usable = all(c["passes"] for c in checks)
    return {"usable": usable, "active": baseline.active and usable, "checks": checks,
            "failed": [c["statistic"] for c in checks if not c["passes"]]}


def last_complete_month(site: Site) -> dt.date:
    """The first day of the month before the current local month (reporting uses complete months)."""
    import zoneinfo

    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(site.timezone))
    return month_add(today.replace(day=1), -1)


def baseline_report(*, baseline: EnergyBaseline, months: list[dt.date],
                    method: str = ConversionMethod.EQUIVALENT) -> dict:
    """Adjusted baseline, actual, savings and improvement for each reporting month and in total (months whose energy
    or variables are missing are listed but not totalled)."""
    rows = observations(site=baseline.site, months=months, variables=baseline.variables, measure=baseline.measure,
                        method=method)
    total_actual = total_adjusted = 0.0
    counted = 0
    for r in rows:
        r["adjusted"] = r["savings"] = r["improvement_pct"] = None
        if r["missing"] or r["energy"] is None:
            continue
        adjusted = predict(baseline, r["x"])
        r["adjusted"] = adjusted
        r["savings"] = adjusted - r["energy"]
        r["improvement_pct"] = (1 - r["energy"] / adjusted) * 100 if adjusted else None
        total_actual += r["energy"]
        total_adjusted += adjusted
        counted += 1
    return {
        "baseline": baseline.pk, "measure": baseline.measure, "unit": MEASURE_UNITS[baseline.measure],
        "months": rows, "months_counted": counted,
        "actual": total_actual if counted else None, "adjusted": total_adjusted if counted else None,
        "savings": total_adjusted - total_actual if counted else None,
        "improvement_pct": (1 - total_actual / total_adjusted) * 100 if counted and total_adjusted else None,
    }


MEASURE_UNITS = {"energy_tce": "tce", "electricity_kwh": "kWh", "emissions_tco2": "tCO2"}


def active_baseline(site: Site, measure: str) -> EnergyBaseline | None:
    return EnergyBaseline.objects.filter(site=site, measure=measure, active=True).first()


def project_months(project: SavingsProject) -> list[dt.date]:
    """Complete months after commissioning: from the commissioning month when commissioned on its first day,
    otherwise from the next month, up to the last complete month."""
    first = project.commissioned_on.replace(day=1)
    if project.commissioned_on.day != 1:
        first = month_add(first, 1)
    last = last_complete_month(project.site)
    out = []
    while first <= last:
        out.append(first)
        first = month_add(first, 1)
    return out


def _measured(baseline: EnergyBaseline | None, months: list[dt.date], expected_per_year, method) -> dict | None:
    if baseline is None:
        return None
    report = baseline_report(baseline=baseline, months=months, method=method)
    n = report["months_counted"]
    out = {"baseline": baseline.pk, "baseline_name": baseline.name, "unit": report["unit"], "months_counted": n,
           "baseline_usable": adequacy(baseline)["usable"],
           "measured_savings": report["savings"], "improvement_pct": report["improvement_pct"],
           "annualised_savings": report["savings"] * 12 / n if n else None,
           "expected_to_date": None, "realisation_pct": None}
    base_end = month_add(baseline.start_month, baseline.months)
    out["baseline_overlaps"] = bool(months) and months[0] < base_end
    if expected_per_year is not None and n:
        expected = float(expected_per_year) * n / 12
        out["expected_to_date"] = expected
        out["realisation_pct"] = report["savings"] / expected * 100 if expected else None
    return out


def project_assessment(*, project: SavingsProject, method: str = ConversionMethod.EQUIVALENT) -> dict:
    """A project's measured savings against the baseline since commissioning, next to its expected savings
    (pro rata: expected per year × months counted / 12). Savings are the whole site's, shared by every project
    commissioned in the same months (listed as `concurrent_projects`)."""
    months = project_months(project)
    energy_baseline = project.baseline or active_baseline(project.site, EnergyBaseline.Measure.ENERGY_TCE)
    emissions_baseline = project.emissions_baseline or active_baseline(project.site,
                                                                      EnergyBaseline.Measure.EMISSIONS_TCO2)
    concurrent = []
    if months:
        concurrent = list(SavingsProject.objects.filter(site=project.site, commissioned_on__lte=months[-1])
                          .exclude(pk=project.pk).values_list("name", flat=True))
    return {
        "project": project.pk, "name": project.name, "kind": project.kind, "site": project.site.code,
        "commissioned_on": project.commissioned_on,
        "months": [f"{m:%Y-%m}" for m in months],
        "expected_savings_tce_per_year": project.expected_savings_tce_per_year,
        "expected_reduction_tco2_per_year": project.expected_reduction_tco2_per_year,
        "energy": _measured(energy_baseline, months, project.expected_savings_tce_per_year, method),
        "emissions": _measured(emissions_baseline, months, project.expected_reduction_tco2_per_year, method),
        "concurrent_projects": concurrent,
    }
