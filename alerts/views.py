"""The forecasting and early-warning page: projections against targets and quotas, alerts, rules."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.tenancy import is_regulator, visible_enterprises
from carbon.periods import Period
from energy_platform.errors import ApplicationError
from ui import selectors as ui_selectors

from . import selectors
from .forecast import enterprise_forecast
from .messages import alert_text
from .services import alert_acknowledge

STATUS_FILTERS = ("active", "open", "acknowledged", "resolved", "all")


def _labels() -> dict:
    return {"energy_tce": _("Energy consumption"), "total_tco2": _("Emissions"),
            "value_added_10k_cny": _("Value added"), "energy_per_value_added": _("Energy per 10⁴ CNY value added"),
            "carbon_intensity": _("Carbon intensity"), "target": _("target path"),
            "energy_quota": _("energy-use quota"), "carbon_allowance": _("carbon allowance"),
            "seasonal": _("seasonal (previous year's profile)"), "run_rate": _("run rate"), "actual": _("actual"),
            "mixed": _("per site")}


def _forecasts(enterprise, today) -> list[dict]:
    """The year-end and month-end projections of the enterprise, shaped as table rows with labels."""
    periods = []
    if (today.month, today.day) != (1, 1):
        periods.append(Period.year(today.year))
    if today.day > 1:
        periods.append(Period.month(today.year, today.month))
    labels = _labels()
    out = []
    for period in periods:
        f = enterprise_forecast(enterprise=enterprise, period=period, as_of=today)
        rows = [{"key": k, "label": labels[k], "unit": v["unit"], "to_date": v.get("to_date"),
                 "projected": v["projected"], "method": labels.get(v.get("method"), v.get("method"))}
                for k, v in f["quantities"].items()]
        comparisons = [{**c, "label": f"{labels[c['indicator']]} — {labels[c['kind']]}"} for c in f["comparisons"]]
        for s in f["sites"]:
            s["method_label"] = labels.get(s["energy_tce"]["method"], s["energy_tce"]["method"])
        out.append({"forecast": f, "rows": rows, "comparisons": comparisons,
                    "title": _("Year-end projection %(p)s") % {"p": period} if period.n_months == 12
                    else _("Month-end projection %(p)s") % {"p": period}})
    return out


@login_required
@require_http_methods(["GET", "POST"])
def alerts_page(request):
    enterprise = ui_selectors.current_enterprise(request)
    can_edit = ui_selectors.can_edit(request.user, enterprise)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        alert = selectors.alerts_list(user=request.user, enterprise=enterprise).filter(
            pk=request.POST.get("alert") if str(request.POST.get("alert", "")).isdigit() else 0).first()
        if alert is None:
            raise Http404
        try:
            alert_acknowledge(alert=alert, user=request.user, note=request.POST.get("note", ""), request=request)
            messages.success(request, _("Alert acknowledged."))
        except ApplicationError as exc:
            messages.error(request, exc.detail)
        return redirect(f"{request.path}?enterprise={enterprise.pk}")
    status = request.GET.get("status", "active")
    if status not in STATUS_FILTERS:
        status = "active"
    alerts = list(selectors.alerts_list(user=request.user, enterprise=enterprise,
                                        status=None if status == "all" else status)[:200])
    for a in alerts:
        a.text = alert_text(a)
    today = timezone.localdate()
    return render(request, "alerts/alerts.html", {
        "enterprise": enterprise, "enterprises": visible_enterprises(request.user).order_by("name"),
        "can_edit": can_edit, "regulator": is_regulator(request.user), "alerts": alerts, "status": status,
        "statuses": STATUS_FILTERS, "rules": selectors.alert_rules_list(user=request.user, enterprise=enterprise),
        "forecasts": _forecasts(enterprise, today), "today": today})
