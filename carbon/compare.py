"""Comparisons of two periods (同比 year on year, 环比 the previous period, or any other) for an enterprise, a site,
a production unit or a meter: each side's figures are the KPI answer of that period (carbon.kpis, periods cut at
today by carbon.periods.period_coverage, closed months as recorded at close by carbon.closed), set side by side."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from energy_platform.errors import ApplicationError

from .closed import period_status
from .kpis import enterprise_kpis, meter_kpis, site_kpis, unit_kpis
from .models import ConversionMethod
from .periods import Period, month_add, period_coverage

AGAINST = ("yoy", "previous", "custom")
SCOPES = ("enterprise", "site", "unit", "meter")


def previous_period(period: Period) -> Period:
    """The period of the same length just before `period` (环比: March → February, Q2 → Q1, 2025 → 2024). A period
    in progress (cut at today) is set against the same number of days from the start of the previous one, so that
    the spans compared are equal."""
    first = month_add(period.first, -period.n_months)
    until = None
    if period.until is not None:
        days = (period.until - period.first).days
        until = first + dt.timedelta(days=days)
        if until >= period.first:  # the previous period is shorter than the days counted: taken whole
            until = None
    return Period(first, period.n_months, until)


def comparison_periods(*, period: Period, against: str, other: str | None = None,
                       today: dt.date | None = None) -> tuple[Period, Period]:
    """(A, B): the period (cut at today when in progress) and the one it is compared with: the same span a year
    earlier (`yoy`), the previous period (`previous`), or `other` parsed as a period (`custom`, taken whole or, when
    in progress, to date)."""
    if against not in AGAINST:
        raise ApplicationError("invalid_against", f"against must be one of {', '.join(AGAINST)}.")
    a = period_coverage(period=period, today=today).period
    if a.first > (today or _today()):
        raise ApplicationError("future_period", _("%(period)s has not started yet: nothing to compare.")
                               % {"period": str(a)})
    if against == "yoy":
        return a, a.previous_year()
    if against == "previous":
        return a, previous_period(a)
    if not other:
        raise ApplicationError("invalid_period", _("Give the period to compare with (2025-03, 2025-Q1 or 2025)."))
    b = period_coverage(period=Period.parse(other), today=today).period
    if b.first > (today or _today()):
        raise ApplicationError("future_period", _("%(period)s has not started yet: nothing to compare.")
                               % {"period": str(b)})
    return a, b


def _today() -> dt.date:
    from django.utils import timezone

    return timezone.localdate()


def _value(answer: dict, key: str) -> Any:
    entry = answer.get(key)
    return entry.get("value") if isinstance(entry, dict) else None


def _rows_site_or_enterprise(answer: dict) -> list[tuple[str, str, str, Any]]:
    rows = [("energy_tce", _("Energy consumption"), "tce", _value(answer, "energy_tce"))]
    rows += [(f"energy_tce:{c['carrier']}", _("Energy: %(carrier)s") % {"carrier": _carrier(c["carrier"])}, "tce",
              c["tce"]) for c in answer.get("energy_by_carrier", [])]
    rows += [("electricity_kwh", _("Electricity consumed"), "kWh", _value(answer, "electricity_kwh")),
             ("scope1_tco2", _("Scope 1 emissions"), "tCO2", _value(answer, "scope1_tco2")),
             ("scope2_tco2", _("Scope 2 emissions"), "tCO2", _value(answer, "scope2_tco2")),
             ("total_tco2", _("Total emissions"), "tCO2", _value(answer, "total_tco2")),
             ("value_added_10k_cny", _("Value added"), "10^4 CNY", _value(answer, "value_added_10k_cny")),
             ("energy_per_value_added", _("Energy per 10⁴ CNY value added"), "tce/10^4 CNY",
              _value(answer, "energy_per_value_added")),
             ("carbon_intensity", _("Carbon intensity"), "tCO2/10^4 CNY", _value(answer, "carbon_intensity"))]
    if "pue" in answer:
        rows.append(("pue", "PUE", "ratio", _value(answer, "pue")))
    for p in answer.get("per_product", []):
        rows.append((f"energy_per_unit:{p['product']}", _("Energy per unit of %(product)s") % {
            "product": p.get("name") or p["product"]}, p["energy_per_unit"]["unit"], p["energy_per_unit"]["value"]))
    return rows


def _rows_unit(answer: dict) -> list[tuple[str, str, str, Any]]:
    rows = [("energy_tce", _("Energy consumption"), "tce", _value(answer, "energy_tce"))]
    for c in answer.get("energy_by_carrier", []):
        rows.append((f"quantity:{c['carrier']}", _carrier(c["carrier"]), c["unit"], c["quantity"]))
        rows.append((f"energy_tce:{c['carrier']}", _("Energy: %(carrier)s") % {"carrier": _carrier(c["carrier"])},
                     "tce", c["tce"]))
    rows += [(f"energy_per_unit:{p['product']}", _("Energy per unit of %(product)s") % {"product": p["product"]},
              p["energy_per_unit"]["unit"], p["energy_per_unit"]["value"]) for p in answer.get("per_product", [])]
    return rows


def _rows_meter(answer: dict) -> list[tuple[str, str, str, Any]]:
    quantity = answer.get("quantity") or {}
    rows = [("quantity", _("Quantity"), quantity.get("unit") or "", quantity.get("value"))]
    if "energy_tce" in answer:
        rows.append(("energy_tce", _("Energy consumption"), "tce", _value(answer, "energy_tce")))
    return rows


def _carrier(code: str) -> str:
    from meters.models import Carrier

    try:
        return str(Carrier(code).label)
    except ValueError:
        return code


def _dec(value: Any) -> Decimal | None:
    if value is None:
        return None
    return value if isinstance(value, Decimal) else Decimal(repr(value)) if isinstance(value, float) else \
        Decimal(value)


def _answer(scope: str, obj: Any, period: Period, method: str) -> dict:
    if scope == "enterprise":
        return enterprise_kpis(enterprise=obj, period=period, method=method, with_yoy=False)
    if scope == "site":
        return site_kpis(site=obj, period=period, method=method, with_yoy=False)
    if scope == "unit":
        return unit_kpis(unit=obj, period=period, method=method)
    return meter_kpis(meter=obj, period=period, method=method)


def _enterprise_id(scope: str, obj: Any) -> int:
    if scope == "enterprise":
        return obj.pk
    if scope == "site":
        return obj.enterprise_id
    return obj.site.enterprise_id


def _side(scope: str, obj: Any, period: Period, method: str) -> tuple[dict, list[tuple[str, str, str, Any]]]:
    cov = period_coverage(period=period)
    answer = _answer(scope, obj, period, method)
    rows = {"enterprise": _rows_site_or_enterprise, "site": _rows_site_or_enterprise, "unit": _rows_unit,
            "meter": _rows_meter}[scope](answer)
    info = {"period": str(period), "first_day": period.first, "until": period.until, "coverage": cov.as_dict(),
            "period_status": period_status(enterprise_id=_enterprise_id(scope, obj), period=period)}
    return info, rows


def compare(*, scope: str, obj: Any, period: Period, against: str, other: str | None = None,
            method: str = ConversionMethod.EQUIVALENT, today: dt.date | None = None) -> dict:
    """Period A against period B for `obj` (an Enterprise, Site, ProductionUnit or Meter): one row per figure with
    both values, the change (A − B, in the figure's unit) and the relative change ((A − B) / B × 100, rounded to
    0.01 %; none when B is zero or missing). Figures are the KPI answer's own values, unrounded."""
    if scope not in SCOPES:
        raise ApplicationError("invalid_scope", f"scope must be one of {', '.join(SCOPES)}.")
    a, b = comparison_periods(period=period, against=against, other=other, today=today)
    info_a, rows_a = _side(scope, obj, a, method)
    info_b, rows_b = _side(scope, obj, b, method)
    values_b = {key: value for key, _label, _unit, value in rows_b}
    keys = [r[0] for r in rows_a] + [r[0] for r in rows_b if r[0] not in {k for k, *_ in rows_a}]
    meta = {r[0]: r for r in rows_a} | {r[0]: r for r in rows_b if r[0] not in {k for k, *_ in rows_a}}
    values_a = {key: value for key, _label, _unit, value in rows_a}
    rows = []
    for key in keys:
        _key, label, unit, _v = meta[key]
        va, vb = _dec(values_a.get(key)), _dec(values_b.get(key))
        change = va - vb if va is not None and vb is not None else None
        pct = (change / vb * 100).quantize(Decimal("0.01")) if change is not None and vb else None
        rows.append({"key": key, "label": label, "unit": unit, "a": va, "b": vb, "change": change,
                     "change_pct": pct})
    return {"scope": scope, "id": obj.pk, "code": getattr(obj, "code", None) or getattr(obj, "name", ""),
            "against": against, "electricity_method": method, "a": info_a, "b": info_b, "rows": rows}
