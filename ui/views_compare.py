"""The comparison page: two periods (同比, 环比 or custom) of an enterprise, site, production unit or meter as a chart
and a table (carbon.compare, the KPI answer of each period), with CSV and XLSX of the table (?export=csv|xlsx)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods

from accounts.tenancy import scope
from carbon.compare import AGAINST, compare
from carbon.periods import Period
from energy_platform.errors import ApplicationError
from energy_platform.figures import unit_text
from energy_platform.numbers import PLACES, kind_of_unit, present_in
from meters.models import Meter
from plants.models import ProductionUnit, Site

from . import selectors
from .views import _common


def _subjects(request, enterprise) -> list[tuple[str, list[tuple[str, str]]]]:
    """The objects a comparison can be about, grouped for the picker: ("site:12", "Site A1 …")."""
    sites = scope(Site.objects.filter(enterprise=enterprise), request.user).order_by("code")
    units = scope(ProductionUnit.objects.filter(site__enterprise=enterprise), request.user).select_related(
        "site").order_by("site__code", "code")
    meters = scope(Meter.objects.filter(site__enterprise=enterprise), request.user).select_related(
        "site").order_by("site__code", "code")
    return [
        (_("Enterprise"), [(f"enterprise:{enterprise.pk}", enterprise.name)]),
        (pgettext("compare picker", "Sites"), [(f"site:{s.pk}", f"{s.code} {s.name}") for s in sites]),
        (pgettext("compare picker", "Production units"),
         [(f"unit:{u.pk}", f"{u.site.code} / {u.code} {u.name}") for u in units]),
        (pgettext("compare picker", "Meters"),
         [(f"meter:{m.pk}", f"{m.site.code} / {m.code} {m.name} ({unit_text(m.unit)})") for m in meters]),
    ]


def _subject(request, enterprise, text: str):
    kind, _sep, pk = (text or "").partition(":")
    if not pk.isdigit():
        return "enterprise", enterprise
    qs = {"enterprise": scope(type(enterprise).objects.filter(pk=enterprise.pk), request.user),
          "site": scope(Site.objects.filter(enterprise=enterprise).select_related("enterprise"), request.user),
          "unit": scope(ProductionUnit.objects.filter(site__enterprise=enterprise).select_related("site"),
                        request.user),
          "meter": scope(Meter.objects.filter(site__enterprise=enterprise).select_related("site"), request.user),
          }.get(kind)
    obj = qs.filter(pk=int(pk)).first() if qs is not None else None
    if obj is None:
        raise Http404
    return kind, obj


def _shown(result: dict) -> list[dict]:
    """The table's rows rounded once for presentation (energy_platform.numbers), with their decimals."""
    rows = []
    for r in result["rows"]:
        places = PLACES[kind_of_unit(r["unit"])]
        rows.append({**r, "a": present_in(r["a"], r["unit"]), "b": present_in(r["b"], r["unit"]),
                     "change": present_in(r["change"], r["unit"]), "fmt": f"{places}g",
                     "unit_shown": unit_text(r["unit"])})
    return rows


def _chart(result: dict, rows: list[dict], label_a: str, label_b: str) -> dict:
    """Bars of A and B for the figures in the first figure's unit (never two units on one axis)."""
    unit = rows[0]["unit"] if rows else ""
    same = [r for r in rows if r["unit"] == unit and (r["a"] is not None or r["b"] is not None)]
    return {"labels": [r["label"] for r in same], "unit": unit, "axes": [{"name": rows[0]["unit_shown"]}] if rows
            else [], "series": [{"name": label_a, "data": [float(r["a"]) if r["a"] is not None else None
                                                            for r in same]},
                                {"name": label_b, "data": [float(r["b"]) if r["b"] is not None else None
                                                           for r in same]}]}


def _label(side: dict) -> str:
    text = side["period"]
    if side["coverage"]["in_progress"] or side["until"] is not None:
        through = side["until"]
        if through is not None:
            import datetime as dt

            text += " " + _("(to %(day)s)") % {"day": (through - dt.timedelta(days=1)).isoformat()}
    return text


@login_required
@require_http_methods(["GET"])
def compare_page(request):
    enterprise = selectors.current_enterprise(request)
    today = timezone.localdate()
    params = {"subject": request.GET.get("subject") or f"enterprise:{enterprise.pk}",
              "period": request.GET.get("period") or f"{today:%Y-%m}",
              "against": request.GET.get("against") if request.GET.get("against") in AGAINST else "yoy",
              "other": request.GET.get("other", "")}
    kind, obj = _subject(request, enterprise, params["subject"])
    result = error = None
    rows: list[dict] = []
    chart = None
    status = 200
    try:
        result = compare(scope=kind, obj=obj, period=Period.parse(params["period"]), against=params["against"],
                         other=params["other"] or None, today=today)
    except ApplicationError as exc:
        error, status = exc.detail, exc.status_code
    if result is not None:
        rows = _shown(result)
        result["label_a"], result["label_b"] = _label(result["a"]), _label(result["b"])
        chart = _chart(result, rows, result["label_a"], result["label_b"])
    return render(request, "ui/compare.html", _common(
        request, enterprise, subjects=_subjects(request, enterprise), params=params, result=result, rows=rows,
        chart=chart, error=error, subject_kind=kind, subject=obj), status=status)
