"""UI pages. Numbers come from the backend services (carbon.kpis, rollups); tenancy via accounts.tenancy."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.tenancy import is_regulator, scope, visible_enterprises
from carbon.kpis import enterprise_kpis_current
from carbon.models import Target
from carbon.periods import Period
from costs.selectors import bill_mismatches, enterprise_cost_cards, site_cost_cards_to_date
from energy_platform.errors import ApplicationError
from energy_platform.figures import unit_text
from energy_platform.numbers import PLACES
from meters.models import Carrier, ImportPreset, Meter, MeterRollup, ReadingConflict, RegisterEvent, RejectedRow
from meters.services.imports import import_job_commit, import_job_create, import_preset_save
from meters.services.review import readings_gap_fill, register_reset_accept
from meters.tasks import import_job_run_task, import_job_validate_task, rollups_after_write
from plants.models import Enterprise, Product, Site
from plants.services import monthly_value_record

from . import selectors, services
from .forms import BillForm, EstimateForm, GapFillForm, MonthlyValueForm, TargetForm, UploadForm
from .tasks import monthly_upload_run_task, monthly_upload_validate_task

KPI_KEYS = [  # (key, unit, decimals shown: the one presentation rule, energy_platform.numbers.PLACES)
    ("energy_tce", "tce", PLACES["tce"]),
    ("energy_per_value_added", "tce/10⁴ CNY", PLACES["ratio"]),
    ("total_tco2", "tCO₂", PLACES["tco2"]),
    ("carbon_intensity", "tCO₂/10⁴ CNY", PLACES["ratio"]),
    ("renewable_share", "%", PLACES["percent"]),
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
                      "fmt": f"{decimals}g", "reason": kpis[key].get("reason"), "months": kpis[key].get("months")})
    return cards


def _targets(rows: list[dict]) -> list[dict]:
    """Target progress rows of the KPI service with the indicator's translated name."""
    return [{**t, "label": Target.Indicator(t["indicator"]).label} for t in rows]


def _common(request, enterprise, **extra) -> dict:
    return {"enterprise": enterprise, "enterprises": visible_enterprises(request.user).order_by("name"),
            "can_edit": selectors.can_edit(request.user, enterprise), "regulator": is_regulator(request.user),
            **extra}


def _form_valid_or_refuse(form, code: str) -> None:
    """A quality-page action's form: invalid → ApplicationError `code` naming each field and its errors (shown in
    the red banner)."""
    if not form.is_valid():
        raise ApplicationError(code, "; ".join(f"{form.fields[k].label if k in form.fields else k}: {' '.join(v)}"
                                               for k, v in form.errors.items()))


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
        year_cards=_kpi_cards(year_kpis), targets=_targets(year_kpis.get("targets", [])), sites=sites,
        month_kpis=month_kpis, year_kpis=year_kpis, costs=enterprise_cost_cards(enterprise=enterprise, today=today),
        estimated=selectors.estimated_flags(
            enterprise=enterprise, user=request.user, year_start=year.start(), month_start=month.start())))


@login_required
def site_page(request, pk: int):
    site = selectors.site_for(request.user, pk)
    day = selectors.latest_day(site=site, user=request.user) or timezone.localdate()
    costs = site_cost_cards_to_date(site=site, today=timezone.localdate())
    kpis = selectors.site_year_kpis(site=site)
    return render(request, "ui/site.html", _common(request, site.enterprise, site=site, day=day.isoformat(),
                                                   trend_metrics=selectors.site_trend_metrics(site), costs=costs,
                                                   targets=_targets(kpis.get("targets", [])),
                                                   kpi_rows=_site_kpi_rows(kpis), year=timezone.localdate().year))


def _site_kpi_rows(kpis: dict) -> list[dict]:
    """The site's year-to-date KPIs as table rows (label, value rounded once, unit), as the site KPI API gives them."""
    from energy_platform.numbers import kind_of_unit, present_in

    rows = [(_("Energy consumption"), kpis.get("energy_tce")), (_("Scope 1 emissions"), kpis.get("scope1_tco2")),
            (_("Scope 2 emissions"), kpis.get("scope2_tco2")), (_("Total emissions"), kpis.get("total_tco2"))]
    if "pue" in kpis:
        rows.append((_("PUE"), kpis["pue"]))
    if "energy_per_base_station_kwh" in kpis:
        rows.append((_("Energy per base station"), kpis["energy_per_base_station_kwh"]))
    rows += [(f'{_("Energy per unit of product")} {p.get("name") or p["product"]}', p["energy_per_unit"])
             for p in kpis.get("per_product", [])]
    out = []
    for label, v in rows:
        v = v or {}
        unit = v.get("unit") or ""
        out.append({"label": label, "value": present_in(v.get("value"), unit),
                    "fmt": f'{PLACES[kind_of_unit(unit)]}g',
                    "unit": "" if unit == "ratio" else unit.replace("CO2", "CO₂").replace("10^4", "10⁴")})
    return out


@login_required
def meters_page(request, pk: int):
    site = selectors.site_for(request.user, pk)
    return render(request, "ui/meters.html", _common(request, site.enterprise, site=site,
                                                     rows=selectors.meter_tree(site=site, user=request.user)))


def _editable(request, enterprise) -> None:
    if not selectors.can_edit(request.user, enterprise):
        raise PermissionDenied


def _scoped(qs, user, pk):
    obj = scope(qs, user).filter(pk=pk if str(pk or "").isdigit() else 0).first()
    if obj is None:
        raise Http404
    return obj


def _enterprise_meters(request, enterprise, **filters):
    return scope(Meter.objects.filter(site__enterprise=enterprise, **filters), request.user).select_related(
        "site").order_by("site__code", "code")


@login_required
@require_http_methods(["GET", "POST"])
def quality_page(request):
    enterprise = selectors.current_enterprise(request)
    meters = _enterprise_meters(request, enterprise)
    if request.method == "POST":
        _editable(request, enterprise)
        action = request.POST.get("action")
        try:
            if action == "acknowledge":
                row = _scoped(RejectedRow.objects.filter(batch__site__enterprise=enterprise), request.user,
                              request.POST.get("row"))
                services.rejected_row_acknowledge(row=row, user=request.user)
            elif action == "acknowledge_gap" and request.POST.get("rollup"):
                gap = _scoped(MeterRollup.objects.filter(meter__site__enterprise=enterprise, granularity="day"),
                              request.user, request.POST.get("rollup"))
                services.gap_acknowledge(meter=gap.meter, day_start=gap.bucket_start,
                                         note=request.POST.get("note", ""), user=request.user)
            elif action == "acknowledge_gap":  # a whole day without readings has no rollup: meter and day
                meter = _scoped(Meter.objects.filter(site__enterprise=enterprise).select_related("site"),
                                request.user, request.POST.get("meter"))
                day = _parse_day(request.POST.get("day") or "-")
                day_start = dt.datetime.combine(day, dt.time(0), tzinfo=zoneinfo.ZoneInfo(meter.site.timezone))
                services.gap_acknowledge(meter=meter, day_start=day_start, note=request.POST.get("note", ""),
                                         user=request.user)
            elif action == "fill_gap":
                form = GapFillForm(request.POST)
                form.fields["meter"].widget.choices = [(m.pk, f"{m.site.code} / {m.code}") for m in meters]
                _form_valid_or_refuse(form, "invalid_gap_fill")
                d = form.cleaned_data
                meter = _scoped(Meter.objects.filter(site__enterprise=enterprise).select_related("site"),
                                request.user, d["meter"])
                fill = readings_gap_fill(meter=meter, start=d["start"], end=d["end"], reason=d["reason"],
                                         user=request.user)
                messages.success(request, _gap_fill_message(fill))
                return redirect(f"{request.path}?enterprise={enterprise.pk}")
            elif action == "resolve_conflict":
                conflict = _scoped(ReadingConflict.objects.filter(meter__site__enterprise=enterprise), request.user,
                                   request.POST.get("conflict"))
                choice = request.POST.get("keep")
                if choice not in ("stored", "offered"):
                    raise ApplicationError("invalid_choice", _("Choose the stored or the offered value."))
                services.conflict_resolve(conflict=conflict, take_offered=choice == "offered", user=request.user)
            elif action == "accept_reset":
                event = _scoped(RegisterEvent.objects.filter(meter__site__enterprise=enterprise), request.user,
                                request.POST.get("event"))
                if not register_reset_accept(event=event):
                    raise ApplicationError("not_accepted", _("This event cannot be accepted."))
            elif action == "estimate":
                form = EstimateForm(request.POST)
                form.fields["meter"].widget.choices = [(m.pk, f"{m.site.code} / {m.code}") for m in meters]
                _form_valid_or_refuse(form, "invalid_estimate")
                d = form.cleaned_data
                meter = _scoped(Meter.objects.filter(site__enterprise=enterprise).select_related("site"),
                                request.user, d["meter"])
                services.reading_estimate(meter=meter, ts=d["ts"], value=d["value"], reason=d["reason"],
                                          user=request.user)
            else:
                raise ApplicationError("invalid_action", _("Unknown action."))
            messages.success(request, _("Saved."))
        except ApplicationError as exc:
            messages.error(request, exc.detail)
        return redirect(f"{request.path}?enterprise={enterprise.pk}")
    estimate_form = EstimateForm()
    estimate_form.fields["meter"].widget.choices = [(m.pk, f"{m.site.code} / {m.code}") for m in meters]
    fill_form = GapFillForm()
    fill_form.fields["meter"].widget.choices = [(m.pk, f"{m.site.code} / {m.code}") for m in meters
                                                if m.interval_minutes <= 1440]
    return render(request, "ui/quality.html", _common(
        request, enterprise, estimate_form=estimate_form, fill_form=fill_form,
        bill_mismatches=bill_mismatches(enterprise=enterprise, user=request.user),
        **selectors.quality_issues(enterprise=enterprise, user=request.user)))


def _gap_fill_message(fill) -> str:
    """What a gap fill stored: meter, local range, number of estimated readings and the method."""
    zone = zoneinfo.ZoneInfo(fill.meter.site.timezone)
    return _("Filled: %(meter)s, %(start)s – %(end)s, %(count)d estimated readings (%(method)s).") % {
        "meter": f"{fill.meter.site.code} / {fill.meter.code}", "count": fill.readings,
        "start": f"{timezone.localtime(fill.start, zone):%Y-%m-%d %H:%M}",
        "end": f"{timezone.localtime(fill.end, zone):%Y-%m-%d %H:%M}", "method": fill.get_method_display()}


def _entry_forms(request, enterprise, data=None, files=None, which=None):
    sites = scope(Site.objects.filter(enterprise=enterprise), request.user).order_by("code")
    products = scope(Product.objects.filter(site__enterprise=enterprise), request.user).select_related(
        "site").order_by("site__code", "code")
    monthly = MonthlyValueForm(data if which == "monthly" else None)
    # Typed values ("site-3", "product-1") in two groups: the script offers only the group that fits the kind, and
    # the form refuses a product for value added (and a site for output) whatever is posted.
    monthly.fields["target"].choices = [
        (_("Sites (value added)"), [(f"site-{s.pk}", s.code) for s in sites]),
        (_("Products (output)"), [(f"product-{p.pk}", f"{p.site.code} / {p.code}") for p in products])]
    bill = BillForm(data if which == "bill" else None)
    carriers = {k: str(v) for k, v in Carrier.choices}  # get_FOO_display() hashes the choices on every call
    bill.fields["meter"].widget.choices = [
        (m.pk, f"{m.site.code} / {m.code} ({carriers.get(m.carrier, m.carrier)}, {unit_text(m.unit)})")
        for m in _enterprise_meters(request, enterprise, reading_kind=Meter.ReadingKind.INTERVAL)]
    upload = UploadForm(data if which == "upload" else None, files if which == "upload" else None)
    upload.fields["site"].widget.choices = [("", "—")] + [(s.pk, s.code) for s in sites]
    presets = scope(ImportPreset.objects.filter(enterprise=enterprise), request.user)
    upload.fields["preset"].widget.choices = [("", "—")] + [(p.pk, p.name) for p in presets]
    return {"sites": sites, "products": products, "form": monthly, "bill_form": bill, "upload": upload,
            "presets": presets}


def _upload_create(request, enterprise, forms) -> tuple[str, object]:
    """Store an upload from the form: value added and output as monthly uploads, readings and bills through the
    mapped importer (a typed mapping, saved as a preset when named, or the chosen preset's)."""
    form = forms["upload"]
    d = form.cleaned_data
    preset = forms["presets"].filter(pk=d["preset"]).first() if d.get("preset") else None
    if preset is not None and preset.kind != d["kind"]:
        raise ApplicationError("invalid_preset", _("This preset maps another kind of file."))
    if d["kind"] in ("economic", "production"):
        # The same mapping form and presets as readings and bills, read by plants.services.monthly_mapping_clean.
        fixed = forms["sites"].filter(pk=d["site"] or 0).first()
        mapping = form.monthly_mapping(site_code=fixed.code if fixed else "")
        if mapping and d["save_preset"]:
            preset = import_preset_save(enterprise=enterprise, name=d["save_preset"], kind=d["kind"],
                                        mapping=mapping, user=request.user)
        return "monthly", services.monthly_upload_create(
            enterprise=enterprise, kind=d["kind"], uploaded_file=d["file"], user=request.user,
            enqueue=monthly_upload_validate_task.delay, decimal_comma=d["decimal_comma"],
            mapping=mapping or (preset.mapping if preset else None))
    site = forms["sites"].filter(pk=d["site"] or 0).first()
    if site is None:
        raise ApplicationError("site_required", _("Choose the site of the meters in the file."))
    mapping = form.mapping()
    if mapping and d["save_preset"]:
        preset = import_preset_save(enterprise=enterprise, name=d["save_preset"], kind=d["kind"], mapping=mapping,
                                    user=request.user)
    return "meters", import_job_create(site=site, kind=d["kind"], uploaded_file=d["file"], user=request.user,
                                       enqueue=import_job_validate_task.delay, mapping=mapping or None, preset=preset)


def _amount(value, unit: str) -> str:
    """A monthly value as entered (up to 4 decimals, thousands grouped) with its unit."""
    shown = value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()
    return f"{shown:,} {unit}"  # grouped by thousands in both languages (zh-hans' format leaves grouping off)


def _monthly_description(*, kind: str, target, month: dt.date) -> dict:
    """What a monthly entry names: site or product, month, quantity and unit (for the confirmation and the message)."""
    if kind == "economic":
        label = _("value added of site %(site)s for %(month)s") % {"site": target.code, "month": f"{month:%Y-%m}"}
        return {"label": label, "unit": _("10⁴ CNY")}
    label = _("output of %(product)s for %(month)s") % {"product": f"{target.site.code} / {target.code}",
                                                        "month": f"{month:%Y-%m}"}
    return {"label": label, "unit": target.get_unit_display()}


@login_required
@require_http_methods(["GET", "POST"])
def entry_page(request):
    enterprise = selectors.current_enterprise(request)
    editable = selectors.can_edit(request.user, enterprise)
    which = request.POST.get("form") if request.method == "POST" else None
    if request.method == "POST":
        _editable(request, enterprise)
    forms = _entry_forms(request, enterprise, request.POST, request.FILES, which)
    back = f"{request.path}?enterprise={enterprise.pk}"
    try:
        if which == "monthly" and forms["form"].is_valid():
            d = forms["form"].cleaned_data
            table, _sep, pk = d["target"].partition("-")
            target = (forms["sites"] if table == "site" else forms["products"]).filter(pk=int(pk)).first()
            if target is None:  # the choices are the scoped sites and products: only a vanished row gets here
                raise Http404
            month = d["month"].replace(day=1)
            stored = selectors.monthly_value_latest(kind=d["kind"], target=target, month=month)
            what = _monthly_description(kind=d["kind"], target=target, month=month)
            if stored is not None and stored["value"] == d["value"]:
                messages.success(request, _("Unchanged: %(what)s is already %(value)s.") % {
                    "what": what["label"], "value": _amount(d["value"], what["unit"])})
                return redirect(back)
            if stored is not None and d["confirm_version"] != stored["version"]:
                # Overwriting needs the user's explicit yes to exactly this old -> new change.
                return render(request, "ui/entry_confirm.html", _common(
                    request, enterprise, form=forms["form"], what=what, version=stored["version"],
                    old=_amount(stored["value"], what["unit"]), new=_amount(d["value"], what["unit"])),
                    status=409)
            monthly_value_record(kind=d["kind"], target=target, month=month, value=d["value"], user=request.user,
                                 note=d["note"])
            messages.success(request, _("Saved: %(what)s = %(value)s.") % {
                "what": what["label"], "value": _amount(d["value"], what["unit"])})
            return redirect(back)
        elif which == "bill" and forms["bill_form"].is_valid():
            d = forms["bill_form"].cleaned_data
            meter = _scoped(Meter.objects.filter(site__enterprise=enterprise).select_related("site"), request.user,
                            d["meter"])
            services.bill_record(meter=meter, period_start=d["period_start"], period_end=d["period_end"],
                                 quantity=d["quantity"], amount_cny=d["amount_cny"], document_no=d["document_no"],
                                 user=request.user)
            rollups_after_write()
            messages.success(request, _("Saved."))
            return redirect(back)
        elif which == "upload" and forms["upload"].is_valid():
            source, job = _upload_create(request, enterprise, forms)
            return redirect(f"{back}&upload={source}-{job.pk}#upload-panel")
    except ApplicationError as exc:
        target_form = {"monthly": "form", "bill": "bill_form", "upload": "upload"}[which]
        forms[target_form].add_error(None, exc.detail)
    status = 400 if which else 200
    current = None
    if request.GET.get("upload"):
        source, _sep, pk = request.GET["upload"].partition("-")
        job = selectors.upload_for(request.user, source, int(pk) if pk.isdigit() else 0)
        if selectors.upload_enterprise_id(job) != enterprise.pk:
            raise Http404
        current = selectors.upload_state(job, page=_page(request))
    uploads = [u for u in selectors.recent_uploads(enterprise=enterprise, user=request.user)
               if not current or (u["source"], u["id"]) != (current["source"], current["id"])]
    return render(request, "ui/entry.html", _common(
        request, enterprise, editable=editable, job=current, uploads=uploads, **forms), status=status)


@login_required
@require_http_methods(["GET"])
def upload_panel(request, source: str, pk: int):
    """The upload's progress panel (htmx polls it every second while the job is queued or running)."""
    job = selectors.upload_for(request.user, source, pk)
    enterprise = Enterprise.objects.get(pk=selectors.upload_enterprise_id(job))
    return render(request, "ui/_upload.html", {"job": selectors.upload_state(job, page=_page(request)),
                                               "can_edit": selectors.can_edit(request.user, enterprise)})


def _page(request) -> int:
    text = request.GET.get("page", "1")
    return int(text) if text.isdigit() and 0 < int(text) < 100000 else 1


@login_required
@require_http_methods(["POST"])
def upload_commit(request, source: str, pk: int):
    """Save the valid rows of a validated upload (queued as a background job)."""
    job = selectors.upload_for(request.user, source, pk)
    enterprise = Enterprise.objects.get(pk=selectors.upload_enterprise_id(job))
    _editable(request, enterprise)
    status = 200
    try:
        if source == "monthly":
            services.monthly_upload_commit(upload=job, user=request.user, enqueue=monthly_upload_run_task.delay)
        else:
            import_job_commit(job=job, user=request.user, enqueue=import_job_run_task.delay)
    except ApplicationError as exc:
        messages.error(request, exc.detail)
        status = exc.status_code
    job.refresh_from_db()
    if request.headers.get("HX-Request"):
        return render(request, "ui/_upload.html", {"job": selectors.upload_state(job), "can_edit": True},
                      status=status)
    return redirect(f"{reverse('ui-entry')}?enterprise={enterprise.pk}&upload={source}-{job.pk}#upload-panel")


def _target_form(request, enterprise, data=None, initial=None):
    form = TargetForm(data, initial=initial)
    form.fields["site"].widget.choices = [("", "—")] + [
        (s.pk, s.code) for s in scope(Site.objects.filter(enterprise=enterprise), request.user).order_by("code")]
    return form


def _target_data(request, enterprise, form) -> dict:
    d = dict(form.cleaned_data)
    d["site"] = _scoped(Site.objects.filter(enterprise=enterprise), request.user, d["site"]) if d["site"] else None
    return d


@login_required
@require_http_methods(["GET", "POST"])
def targets_page(request):
    """Reduction targets of the enterprise and its sites: list with progress, and a form to add one (editors)."""
    enterprise = selectors.current_enterprise(request)
    form = _target_form(request, enterprise, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        _editable(request, enterprise)
        if form.is_valid():
            try:
                services.target_save(enterprise=enterprise, data=_target_data(request, enterprise, form),
                                     user=request.user)
                messages.success(request, _("Saved."))
                return redirect(f"{request.path}?enterprise={enterprise.pk}")
            except ApplicationError as exc:
                form.add_error(None, exc.detail)
    targets = list(scope(Target.objects.filter(enterprise=enterprise), request.user).select_related("site"))
    progress = selectors.target_progress(enterprise=enterprise, user=request.user) if targets else {}
    for t in targets:
        t.progress = progress.get(t.pk)
    return render(request, "ui/targets.html", _common(request, enterprise, form=form, targets=targets,
                                                      year=timezone.localdate().year),
                  status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def target_edit(request, pk: int):
    target = _scoped(Target.objects.select_related("enterprise", "site"), request.user, pk)
    enterprise = target.enterprise
    if not selectors.can_edit(request.user, enterprise):
        raise PermissionDenied
    initial = {f: getattr(target, f) for f in ("indicator", "baseline_year", "baseline_value", "target_year",
                                                "reduction_pct", "note")} | {"site": target.site_id}
    form = _target_form(request, enterprise, request.POST if request.method == "POST" else None, initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.target_save(enterprise=enterprise, data=_target_data(request, enterprise, form),
                                 user=request.user, target=target)
            messages.success(request, _("Saved."))
            return redirect(f"{reverse('ui-targets')}?enterprise={enterprise.pk}")
        except ApplicationError as exc:
            form.add_error(None, exc.detail)
    return render(request, "ui/target_edit.html", _common(request, enterprise, form=form, target=target),
                  status=400 if request.method == "POST" else 200)


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
