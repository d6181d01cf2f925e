"""The monthly MRV review page: each month's fuel and material records with evidence and review status, and the
check / confirm steps (energy manager checks, enterprise admin confirms)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import Role
from accounts.tenancy import has_role, is_regulator, scope, visible_enterprises
from carbon.models import MeasuredFuelProperty, ProcessActivity
from carbon.mrv import mrv_records, mrv_status, plan_items
from carbon.periods import Period
from carbon.process import mrv_review_step
from energy_platform.errors import ApplicationError

from . import selectors

MODELS = {"fuel": MeasuredFuelProperty, "process": ProcessActivity}


def _year(request) -> int:
    text = request.GET.get("year", "")
    if text.isdigit() and 2000 <= int(text) <= 2100:
        return int(text)
    return timezone.localdate().year


@login_required
@require_http_methods(["GET", "POST"])
def mrv_page(request):
    if request.method == "POST":
        return _review(request)
    enterprise = selectors.current_enterprise(request)
    year = _year(request)
    months = Period.year(year).months()
    records = mrv_records(enterprise=enterprise, months=months)
    status = mrv_status(enterprise=enterprise, months=months)
    can_check = has_role(request.user, enterprise, Role.ENERGY_MANAGER)
    can_confirm = has_role(request.user, enterprise, Role.ENTERPRISE_ADMIN)
    return render(request, "ui/mrv.html", {
        "enterprise": enterprise, "enterprises": visible_enterprises(request.user).order_by("name"),
        "can_edit": can_check, "regulator": is_regulator(request.user), "year": year,
        "years": [year - 1, year, year + 1], "records": records, "status": status, "plan": plan_items(
            enterprise=enterprise), "can_check": can_check, "can_confirm": can_confirm,
        "confirmed_months": {m.strftime("%Y-%m") for m in status["confirmed_months"]}})


def _review(request):
    model = MODELS.get(request.POST.get("record", ""))
    pk = request.POST.get("pk", "")
    if model is None or not pk.isdigit():
        raise Http404
    record = scope(model.objects.all(), request.user).filter(pk=int(pk)).first()
    if record is None:
        raise Http404
    step = request.POST.get("step", "")
    try:
        record = mrv_review_step(record=record, step=step, request=request)
        messages.success(request, _("Review step recorded: %(status)s.") % {
            "status": record.get_review_status_display()})
    except ApplicationError as exc:
        if exc.status_code == 403:
            raise PermissionDenied from exc
        messages.error(request, _("This step is not possible now: the record is %(status)s.") % {
            "status": record.get_review_status_display()})
    enterprise = record.enterprise if isinstance(record, MeasuredFuelProperty) else record.site.enterprise
    return redirect(f"{reverse('ui-mrv')}?enterprise={enterprise.pk}&year={record.month.year}")
