"""UI pages. Numbers come from the backend services (carbon.kpis, rollups); tenancy via accounts.tenancy."""

from __future__ import annotations

import base64
import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.tenancy import is_regulator, scope, visible_enterprises
from carbon.kpis import enterprise_kpis_current
from carbon.periods import Period
from energy_platform.errors import ApplicationError
from meters.models import RegisterEvent, RejectedRow
from meters.services.review import register_reset_accept
from plants.models import Product, Site
from plants.services import monthly_data_import, monthly_value_record

from . import selectors, services
from .forms import EstimateForm, MonthlyValueForm, UploadForm

KPI_KEYS = [  # (key, unit, decimals shown)
    ("energy_tce", "tce", 2),
    ("energy_per_value_added", "tce/10⁴ CNY", 4),
    ("total_tco2", "tCO₂", 2),
    ("carbon_intensity", "tCO₂/10⁴ CNY", 4),
    ("renewable_share", "%", 1),
]


def _kpi_cards(kpis: dict) -> list[dict]:
    labels = {"energy_tce": _("Energy consumption"), "energy_per_value_added": _("Energy per 10⁴ CNY value added"),
              "total_tco2": _("Emissions"), "carbon_intensity": _("Carbon intensity"),
              "renewable_share": _("Renewable share")}
    yoy = kpis.get("yoy_change_pct", {})
    cards = []
    for key, unit, decimals in KPI_KEYS:
        value = kpis[key]["value"]
        if key == "renewable_share" and value is not None:
            value = value * 100
        cards.append({"key": key, "label": labels[key], "value": value, "unit": unit, "yoy": yoy.get(key),
                      "fmt": f"{decimals}g"})
    return cards


def _common(request, enterprise, **extra) -> dict:
    return {"enterprise": enterprise, "enterprises": visible_enterprises(request.user).order_by("name"),
            "can_edit": selectors.can_edit(request.user, enterprise), "regulator": is_regulator(request.user),
            **extra}


@login_required
def overview(request):
    enterprise = selectors.current_enterprise(request)
    today = timezone.localdate()
    month = Period.month(today.year, today.month)
    year = Period.year(today.year)
    current = enterprise_kpis_current(enterprise=enterprise, today=today)  # month + YTD (+ prior year), one pass
    month_kpis, year_kpis = current["month"], current["year"]
    sites = sorted(year_kpis["sites"], key=lambda s: -(s["energy_tce"]["value"] or 0))
    site_ids = dict(scope(Site.objects.filter(enterprise=enterprise), request.user).values_list("code", "pk"))
    for s in sites:
        s["pk"] = site_ids.get(s["site"])
    return render(request, "ui/overview.html", _common(
        request, enterprise, month=month, year=year, month_cards=_kpi_cards(month_kpis),
        year_cards=_kpi_cards(year_kpis), targets=year_kpis.get("targets", []), sites=sites,
        month_kpis=month_kpis, year_kpis=year_kpis))


@login_required
def site_page(request, pk: int):
    site = selectors.site_for(request.user, pk)
    day = selectors.latest_day(site=site, user=request.user) or timezone.localdate()
    return render(request, "ui/site.html", _common(request, site.enterprise, site=site, day=day.isoformat()))


@login_required
def meters_page(request, pk: int):
    site = selectors.site_for(request.user, pk)
    return render(request, "ui/meters.html", _common(request, site.enterprise, site=site,
                                                     rows=selectors.meter_tree(site=site, user=request.user)))


@login_required
@require_http_methods(["GET", "POST"])
def quality_page(request):
    enterprise = selectors.current_enterprise(request)
    if request.method == "POST":
        if not selectors.can_edit(request.user, enterprise):
            raise PermissionDenied
        try:
            if request.POST.get("action") == "acknowledge":
                row = scope(RejectedRow.objects.filter(batch__site__enterprise=enterprise), request.user).filter(
                    pk=request.POST.get("row") or 0).first()
                if row is None:
                    raise Http404
                services.rejected_row_acknowledge(row=row, user=request.user)
            elif request.POST.get("action") == "accept_reset":
                event = scope(RegisterEvent.objects.filter(meter__site__enterprise=enterprise), request.user).filter(
                    pk=request.POST.get("event") or 0).first()
                if event is None:
                    raise Http404
                if not register_reset_accept(event=event):
                    raise ApplicationError("not_accepted", _("This event cannot be accepted."))
            elif request.POST.get("action") == "estimate":
                form = EstimateForm(request.POST)
                if not form.is_valid():
                    raise ApplicationError("invalid_estimate", "; ".join(
                        f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
                d = form.cleaned_data
                meter = selectors.meter_for(request.user, d["meter"])
                if meter.site.enterprise_id != enterprise.pk:
                    raise Http404
                services.reading_estimate(meter=meter, ts=d["ts"], value=d["value"], reason=d["reason"],
                                          user=request.user)
            messages.success(request, _("Saved."))
        except ApplicationError as exc:
            messages.error(request, exc.detail)
        return redirect(f"{request.path}?enterprise={enterprise.pk}")
    return render(request, "ui/quality.html", _common(
        request, enterprise, estimate_form=EstimateForm(),
        **selectors.quality_issues(enterprise=enterprise, user=request.user)))


@login_required
@require_http_methods(["GET", "POST"])
def entry_page(request):
    enterprise = selectors.current_enterprise(request)
    editable = selectors.can_edit(request.user, enterprise)
    if request.method == "POST" and not editable:
        raise PermissionDenied
    sites = scope(Site.objects.filter(enterprise=enterprise), request.user).order_by("code")
    products = scope(Product.objects.filter(site__enterprise=enterprise), request.user).order_by("code")
    choices = [(s.pk, f"{_('Site')} {s.code}") for s in sites] + [(p.pk, f"{_('Product')} {p.code}")
                                                                 for p in products]
    form = MonthlyValueForm(request.POST if request.method == "POST" and "value" in request.POST else None)
    form.fields["target"].widget.choices = choices
    upload = UploadForm()
    preview = None
    if request.method == "POST" and "value" in request.POST and form.is_valid():
        d = form.cleaned_data
        target = (sites if d["kind"] == "economic" else products).filter(pk=d["target"]).first()
        if target is None:
            form.add_error("target", _("Choose a site for value added and a product for output."))
        else:
            monthly_value_record(kind=d["kind"], target=target, month=d["month"].replace(day=1), value=d["value"],
                                 user=request.user, note=d["note"])
            messages.success(request, _("Saved."))
            return redirect(f"{request.path}?enterprise={enterprise.pk}")
    elif request.method == "POST" and "file" in request.FILES:
        upload = UploadForm(request.POST, request.FILES)
        if upload.is_valid():
            f = upload.cleaned_data["file"]
            data = f.read()
            try:
                preview = monthly_data_import(kind=upload.cleaned_data["kind"], name=f.name, data=data,
                                              user=request.user, commit=False)
                request.session["ui_upload"] = {"kind": upload.cleaned_data["kind"], "name": f.name,
                                                "data": base64.b64encode(data).decode()}
            except ApplicationError as exc:
                upload.add_error("file", exc.detail)
    elif request.method == "POST" and request.POST.get("commit") == "1" and "ui_upload" in request.session:
        held = request.session.pop("ui_upload")
        try:
            preview = monthly_data_import(kind=held["kind"], name=held["name"], data=base64.b64decode(held["data"]),
                                          user=request.user, commit=True)
        except ApplicationError as exc:
            upload.add_error("file", exc.detail)
    return render(request, "ui/entry.html", _common(request, enterprise, form=form, upload=upload, preview=preview,
                                                    editable=editable))


@login_required
def reports_page(request):
    enterprise = selectors.current_enterprise(request)
    from reports.models import ReportSnapshot

    return render(request, "ui/reports.html", _common(
        request, enterprise, kinds=ReportSnapshot.Kind.choices, formats=ReportSnapshot.Format.choices,
        year=timezone.localdate().year - 1))


def _parse_day(text: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(text) if text else timezone.localdate()
    except ValueError as exc:
        raise ApplicationError("invalid_day", _("day must be YYYY-MM-DD")) from exc
