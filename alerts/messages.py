"""Alert texts, rendered from the stored measurement in the reader's language (UI, API, e-mail)."""

from __future__ import annotations

import datetime as dt

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from meters.models_gateways import GatewayState

from .models import Alert, AlertRule


def _n(value) -> str:
    return "—" if value is None else formats.number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)


def _time(text: str | None) -> str:
    if not text:
        return _("never")
    return formats.date_format(timezone.localtime(dt.datetime.fromisoformat(text)), "SHORT_DATETIME_FORMAT")


def _scope(alert: Alert) -> str:
    return alert.site.code if alert.site_id else alert.enterprise.name


def alert_subject(alert: Alert) -> str:
    return _("[Nengtan alert] %(rule)s: %(scope)s") % {"rule": alert.rule.name, "scope": _scope(alert)}


def alert_text(alert: Alert) -> str:
    d = alert.detail or {}
    kind = d.get("kind", alert.rule.kind)
    if kind == AlertRule.Kind.THRESHOLD:
        text = _("%(kpi)s of %(scope)s for %(period)s so far is %(value)s %(unit)s, %(direction)s the limit "
                 "%(limit)s %(unit)s.")
        return text % {"kpi": AlertRule.Metric(d["metric"]).label, "scope": _scope(alert), "period": d["period"],
                       "value": _n(alert.value), "unit": alert.unit, "limit": _n(alert.limit),
                       "direction": _("above") if d.get("operator") == AlertRule.Operator.ABOVE else _("below")}
    if kind == AlertRule.Kind.PROJECTION:
        what = {"target": _("the target path"), "energy_quota": _("the energy-use quota"),
                "carbon_allowance": _("the carbon allowance")}.get(d.get("comparison"), d.get("comparison"))
        indicator = {"energy_tce": _("energy consumption"), "total_tco2": _("emissions"),
                     "energy_per_value_added": _("energy per 10⁴ CNY value added"),
                     "carbon_intensity": _("CO2 per 10⁴ CNY value added")}.get(d.get("indicator"), d.get("indicator"))
        return _("Projected %(indicator)s of %(scope)s for %(period)s is %(value)s %(unit)s, above %(what)s of "
                 "%(limit)s %(unit)s (projected on %(as_of)s).") % {
            "indicator": indicator, "scope": _scope(alert), "period": d["period"], "value": _n(alert.value),
            "unit": alert.unit, "what": what, "limit": _n(alert.limit), "as_of": d.get("as_of")}
    if kind == AlertRule.Kind.SILENT_METER:
        return _("Meter %(meter)s (%(site)s) has sent no reading for %(value)s intervals of %(minutes)s min "
                 "(limit %(limit)s); last reading: %(last)s.") % {
            "meter": d["meter"], "site": d["site"], "value": int(alert.value or 0), "limit": int(alert.limit or 0),
            "minutes": d["interval_minutes"], "last": _time(d.get("last_reading"))}
    if kind == AlertRule.Kind.LOAD_CHANGE:
        return _("Meter %(meter)s (%(site)s) measured %(quantity)s %(unit)s in the hour from %(hour)s, "
                 "%(change)s %% against %(baseline)s %(unit)s, the mean of the same hour on the previous "
                 "%(days)s days (limit ±%(limit)s %%).") % {
            "meter": d["meter"], "site": d["site"], "quantity": _n(d["quantity"]), "unit": d["meter_unit"],
            "hour": _time(d["hour"]), "change": ("+" if (alert.value or 0) > 0 else "") + _n(alert.value),
            "baseline": _n(d["baseline"]), "days": d["baseline_hours"], "limit": _n(alert.limit)}
    if kind == AlertRule.Kind.GATEWAY_OFFLINE:
        return _("Gateway %(gateway)s (%(site)s) has not been heard from for %(value)s min (limit %(limit)s min); "
                 "last seen: %(last)s, session: %(session)s.") % {
            "gateway": d["gateway"], "site": d["site"], "value": int(alert.value or 0),
            "limit": int(alert.limit or 0), "last": _time(d.get("last_seen")),
            "session": _session_label(d.get("session"))}
    return alert.condition_key


def _session_label(code: str | None) -> str:
    """A gateway session state by its translated label (the alert stores the code)."""
    return str(dict(GatewayState.Session.choices).get(code, code or "—"))
