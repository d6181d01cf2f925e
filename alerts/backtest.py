"""Error of the projection method measured on stored data: month-end and year-to-horizon projections made at past
cut-off days, compared with what was then actually recorded (docs/alerts.md quotes the figures on the demo data)."""

from __future__ import annotations

import datetime as dt

from carbon.periods import Period, month_add
from plants.models import Site

from .forecast import RUN_RATE, SEASONAL, project, span_actuals

CUTOFF_DAYS = (8, 15, 22)
KEYS = ("energy_tce", "total_tco2")


def _cached_actuals(site: Site):
    cache: dict[Period, dict] = {}

    def get(period: Period) -> dict:
        if period not in cache:
            cache[period] = span_actuals(site=site, period=period)
        return cache[period]
    return get


def _errors(site: Site, year: int, today: dt.date) -> list[dict]:
    """One row per (horizon, cut-off, quantity, method): the projection, the actual and the relative error."""
    actual = _cached_actuals(site)
    this_month = today.replace(day=1)
    complete = [m for m in Period.year(year).months() if month_add(m, 1) <= this_month]
    rows: list[dict] = []

    def add(horizon: str, span: Period, as_of: dt.date):
        to_date = Period(span.first, span.n_months, as_of)
        now, before, before_total, truth = (actual(to_date), actual(to_date.previous_year()),
                                            actual(span.previous_year()), actual(span))
        usable = (before_total["completeness"] or 0) >= 0.9
        for key in KEYS:
            p = project(actual_to_date=now[key], days_elapsed=(as_of - span.first).days,
                        days_total=(span.end_month - span.first).days, previous_to_date=before[key],
                        previous_total=before_total[key], previous_usable=usable)
            for method, value in ((SEASONAL, p.seasonal), (RUN_RATE, p.run_rate)):
                if value is None or not truth[key]:
                    continue
                rows.append({"site": site.code, "horizon": horizon, "as_of": as_of, "quantity": key,
                             "method": method, "projected": value, "actual": truth[key],
                             "error_pct": float((value - truth[key]) / truth[key] * 100)})

    for month in complete:  # month-end projections made on the 8th, 15th and 22nd
        for day in CUTOFF_DAYS:
            add("month_end", Period(month, 1), month.replace(day=day))
    if len(complete) >= 2:  # the horizon the data allows: January to the last complete month
        horizon = Period(dt.date(year, 1, 1), len(complete))
        for month in complete[1:]:
            add("year_to_last_complete_month", horizon, month)
    return rows


def forecast_backtest(*, sites, year: int, today: dt.date) -> dict:
    """Mean and largest absolute percentage error per horizon, quantity and method, over every site given."""
    rows = [r for s in sites for r in _errors(s, year, today)]
    summary: dict[tuple, dict] = {}
    for r in rows:
        for key in ((r["horizon"], r["quantity"], r["method"], r["site"]), (r["horizon"], r["quantity"],
                                                                          r["method"], "all")):
            agg = summary.setdefault(key, {"n": 0, "sum": 0.0, "max": 0.0})
            agg["n"] += 1
            agg["sum"] += abs(r["error_pct"])
            agg["max"] = max(agg["max"], abs(r["error_pct"]))
    table = [{"horizon": h, "quantity": q, "method": m, "site": s, "n": a["n"],
              "mape_pct": round(a["sum"] / a["n"], 2), "max_ape_pct": round(a["max"], 2)}
             for (h, q, m, s), a in sorted(summary.items())]
    return {"year": year, "today": today, "rows": rows, "summary": table}


def as_markdown(result: dict) -> str:
    lines = [f"Back-test of {result['year']} (data up to {result['today']}); error = (projected − actual) / actual.",
             "", "| horizon | quantity | method | site | projections | MAPE % | max APE % |",
             "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['horizon']} | {r['quantity']} | {r['method']} | {r['site']} | {r['n']} | {r['mape_pct']:.2f} | "
              f"{r['max_ape_pct']:.2f} |" for r in result["summary"]]
    return "\n".join(lines)



