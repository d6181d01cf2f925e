"""UI pages of the energy-carbon management centre (numbers from insights.benchmark, .energy_flow, .baselines)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.tenancy import is_regulator, scope, visible_enterprises
from carbon.periods import Period
from energy_platform.errors import ApplicationError
from energy_platform.figures import unit_text
from meters.models import Carrier, Meter
from plants.models import Product, Site
from ui import selectors

from . import baselines as calc
from .benchmark import site_benchmark
from .energy_flow import energy_flow
from .models import EnergyBaseline, MonthlyWeather, SavingsProject
from .services import baseline_create


def _context(request, enterprise, **extra) -> dict:
    return {"enterprise": enterprise, "enterprises": visible_enterprises(request.user).order_by("name"),
            "can_edit": selectors.can_edit(request.user, enterprise), "regulator": is_regulator(request.user),
            **extra}


def _site(request):
    """The site of ?site=<pk> (404 when not visible), else the first site of the current enterprise."""
    if request.GET.get("site"):
        if not request.GET["site"].isdigit():
            raise ApplicationError("invalid_site", _("site must be a site id."))
        site = selectors.site_for(request.user, int(request.GET["site"]))
        return site.enterprise, site
    enterprise = selectors.current_enterprise(request)
    site = scope(Site.objects.filter(enterprise=enterprise), request.user).order_by("code").first()
    return enterprise, site


def _sites(request, enterprise):
    return scope(Site.objects.filter(enterprise=enterprise), request.user).order_by("code")


@login_required
def hub(request):
    enterprise = selectors.current_enterprise(request)
    return render(request, "insights/hub.html", _context(request, enterprise, sites=_sites(request, enterprise)))


def _reference_lines(references: list[dict]) -> list[dict]:
    """One dashed line per reference value; references with the same value share it (their labels joined)."""
    lines: dict[float, list[str]] = {}
    for r in references:
        lines.setdefault(float(r["value"]), []).append(r["label"] or r["kind_label"])
    return [{"name": " / ".join(names), "value": value} for value, names in sorted(lines.items())]


@login_required
def benchmark_page(request):
    enterprise, site = _site(request)
    default = site and calc.last_complete_month(site)
    text = request.GET.get("period") or (str(default.year) if default else "")
    result = None
    if site is not None:
        period = Period.parse(text)
        result = site_benchmark(site=site, period=period, user=request.user)
        for i, ind in enumerate(result["indicators"]):
            ind["chart_id"] = f"trend-{i}"
            ind["chart"] = {
                "labels": [h["period"] for h in ind["history"]],
                "values": [None if h["value"] is None else float(h["value"]) for h in ind["history"]],
                "refs": _reference_lines(ind["references"])}
            # the table the chart's CSV/XLSX link exports (energy_platform.tables, ?chart=trend-<i>)
            ind["chart"]["series"] = [{"name": _("Own history"), "unit": unit_text(ind["unit"]),
                                     "data": ind["chart"]["values"]}]
    return render(request, "insights/benchmark.html", _context(
        request, enterprise, site=site, sites=_sites(request, enterprise), period=text, result=result,
        page="benchmark"))


@login_required
def energy_flow_page(request):
    enterprise, site = _site(request)
    default = site and calc.last_complete_month(site)
    text = request.GET.get("period") or (f"{default:%Y-%m}" if default else "")
    unit = request.GET.get("unit", "tce")
    carrier = request.GET.get("carrier") or ("electricity" if unit == "carrier" else "")
    flow = None
    carriers = []
    if site is not None:
        flow = energy_flow(site=site, period=Period.parse(text), unit=unit, carrier=carrier or None)
        present = set(Meter.objects.filter(site=site).values_list("carrier", flat=True))
        carriers = [(c, label) for c, label in Carrier.choices if c in present and c != Carrier.GREEN_ELECTRICITY]
    return render(request, "insights/energy_flow.html", _context(
        request, enterprise, site=site, sites=_sites(request, enterprise), period=text, unit=unit, carrier=carrier,
        carriers=carriers, flow=flow, page="flow"))


class BaselineForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    measure = forms.ChoiceField(label=gettext_lazy("Energy measure"), choices=EnergyBaseline.Measure.choices)
    start_month = forms.DateField(label=gettext_lazy("First month (12 months)"), input_formats=["%Y-%m"],
                                  widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"))
    variables = forms.MultipleChoiceField(label=gettext_lazy("Relevant variables"), required=False,
                                          widget=forms.CheckboxSelectMultiple)
    reason = forms.CharField(label=gettext_lazy("Reason (required when re-baselining)"), required=False,
                             max_length=500)

    def __init__(self, *args, site: Site, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(f"product:{p.code}", _("Output of %(product)s (%(unit)s)") % {"product": p.name, "unit": p.unit})
                   for p in Product.objects.filter(site=site).order_by("code")]
        choices += [("hdd", _("Heating degree days")), ("cdd", _("Cooling degree days")),
                    ("value_added", _("Value added (10⁴ CNY)"))]
        self.fields["variables"].choices = choices


@login_required
@require_http_methods(["GET", "POST"])
def baselines_page(request):
    enterprise, site = _site(request)
    if site is None:
        return render(request, "insights/baselines.html", _context(request, enterprise, site=None, page="baselines"))
    editable = selectors.can_edit(request.user, site.enterprise)
    active = EnergyBaseline.objects.filter(site=site, active=True).order_by("-created_at").first()
    form = BaselineForm(request.POST if request.method == "POST" else None, site=site,
                        initial={"measure": active.measure if active else EnergyBaseline.Measure.ENERGY_TCE,
                                 "variables": active.variables if active else []})
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        if form.is_valid():
            d = form.cleaned_data
            try:
                baseline = baseline_create(site=site, name=d["name"], measure=d["measure"],
                                           start_month=d["start_month"].replace(day=1), variables=d["variables"],
                                           reason=d["reason"], actor=request.user, request=request)
            except ApplicationError as exc:
                detail = exc.detail
                if exc.extra:
                    detail += " " + "; ".join(f"{k}: {v}" for k, v in exc.extra.items() if v)
                form.add_error(None, detail)
            else:
                messages.success(request, _("Baseline fitted."))
                return redirect(f"{request.path}?site={site.pk}&baseline={baseline.pk}")

    all_baselines = list(scope(EnergyBaseline.objects.filter(site=site), request.user).order_by("-created_at"))
    chosen = None
    if request.GET.get("baseline", "").isdigit():
        chosen = next((b for b in all_baselines if b.pk == int(request.GET["baseline"])), None)
    chosen = chosen or next((b for b in all_baselines if b.active), None)
    last = calc.last_complete_month(site)
    text = request.GET.get("period") or str(last.year)
    report = quality = None
    if chosen is not None:
        months = [m for m in Period.parse(text).months() if m <= last]
        report = calc.baseline_report(baseline=chosen, months=months)
        quality = calc.adequacy(chosen)
    projects = [{"project": p, "assessment": calc.project_assessment(project=p)}
                for p in scope(SavingsProject.objects.filter(site=site), request.user).order_by("commissioned_on")]
    weather = MonthlyWeather.objects.filter(site=site).order_by("-month")[:12]
    chart = None
    if chosen is not None:
        base_months = {o["month"] for o in chosen.observations}
        later = [r for r in report["months"] if r["month"] not in base_months]
        while later and later[-1]["energy"] is None:  # no trailing empty months in the chart
            later.pop()
        chart = {"labels": [o["month"] for o in chosen.observations] + [r["month"] for r in later],
                 "actual": [o["energy"] for o in chosen.observations] + [r["energy"] for r in later],
                 "model": [o.get("fitted") for o in chosen.observations] + [r["adjusted"] for r in later],
                 "split": len(chosen.observations)}
        unit = calc.MEASURE_UNITS[chosen.measure]  # the table the chart's CSV/XLSX link exports (?chart=)
        chart["series"] = [{"name": _("Actual"), "unit": unit, "data": chart["actual"]},
                           {"name": _("Baseline model / adjusted baseline"), "unit": unit, "data": chart["model"]}]
    return render(request, "insights/baselines.html", _context(
        request, enterprise, site=site, sites=_sites(request, enterprise), form=form, editable=editable,
        baselines=[(b, calc.adequacy(b)) for b in all_baselines],
        baseline=chosen, report=report, quality=quality, period=text, projects=projects,
        weather=weather, chart=chart, page="baselines",
        unit=calc.MEASURE_UNITS[chosen.measure] if chosen else ""))
