"""Annual energy-utilisation status report (重点用能单位能源利用状况报告) of an enterprise or one site, in the annual
template's order: basic information; energy consumption structure (purchases, stock change, consumption, coefficients,
totals by equivalent 当量值 and equal value 等价值); working media; physical energy balance; comprehensive energy per
unit product (GB/T 2589) against the product's limit standard; reasons for changes; main equipment; energy-saving
projects; targets; metering (GB 17167); heating values; cost. Figures come from `carbon.kpis` (closed months as recorded
at close), the balance from `insights.energy_flow`, the projects from `insights.baselines`; builders only arrange.

The insights app sits beside reports in the top tier and imports the UI, which imports reports: so that no import cycle
forms, insights hands its functions over at start-up (`PROVIDERS`, filled by `insights.apps.InsightsConfig.ready`)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from carbon.kpis import enterprise_kpis, site_kpis
from carbon.models import ConversionMethod, EnergyCoefficient
from carbon.periods import Period, period_coverage
from costs.reporting import cost_report_rows
from energy_platform.errors import ApplicationError
from energy_platform.numbers import present_in
from meters.models import Carrier, Meter
from plants.models import Product

from ..formatting import FixedDecimal, excluded_note
from ..labels import LEVEL_NAMES, METHOD_NAMES, YOY_NAMES, carrier_name, unit_label
from ..models import CarrierYear, MainEquipment, MeteringPoints, MeteringRequirement, ProductLimit
from . import Chart, Column, Document, Section, Table, coverage_notes, subject_meta
from .heating import heating_values_section

#: Filled by `insights.apps.InsightsConfig.ready`: "energy_flow" (`insights.energy_flow.energy_flow`),
#: "savings_projects" (sites → the `SavingsProject` queryset) and "project_assessment"
#: (`insights.baselines.project_assessment`). Empty when the insights app is not installed: the sections say so.
PROVIDERS: dict[str, Callable] = {}

#: Energy-carrying working media (耗能工质, GB/T 2589): shown apart from the energy carriers.
WORKING_MEDIA = (Carrier.WATER, Carrier.COMPRESSED_AIR, Carrier.OXYGEN)
ELECTRIC = (Carrier.ELECTRICITY, Carrier.PV_GENERATION, Carrier.GREEN_ELECTRICITY)
LEVELS = (Meter.Level.ENTERPRISE, Meter.Level.SUB_UNIT, Meter.Level.EQUIPMENT)


def _zh() -> bool:
    return (get_language() or "zh-hans").startswith("zh")


def _fixed(value: Decimal | None, places: int) -> FixedDecimal | None:
    """A figure rounded once to `places` and printed with exactly those decimals."""
    if value is None:
        return None
    return FixedDecimal(Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def working_media_section(*, k: dict, sites: list, period) -> Section:
    """Working media: purchased across the boundary (counted in comprehensive energy, as `carbon.energy` counts
    boundary meters) and produced inside the boundary (sub-meters: listed, not counted)."""
    from carbon.energy import meter_quantities
    from energy_platform.numbers import exact

    rows = [[carrier_name(c["carrier"]), present_in(c["quantity"], c["unit"]), unit_label(c["unit"]), c["tce"],
             _("purchased from outside the boundary: counted")]
            for c in k["energy_by_carrier"] if c["carrier"] in WORKING_MEDIA]
    inside: dict[tuple[str, str], Decimal] = {}
    for s in sites:
        for m in meter_quantities(site=s, period=period):
            boundary_in = m.parent_id is None and m.role in (Meter.Role.PURCHASE, Meter.Role.FACILITY_TOTAL)
            if m.carrier in WORKING_MEDIA and not boundary_in and m.parent_id is None:
                key = (m.carrier, m.unit)
                inside[key] = inside.get(key, Decimal(0)) + exact(m.quantity)
    rows += [[carrier_name(c), present_in(q, u), unit_label(u), None, _("produced inside the boundary: not counted")]
             for (c, u), q in sorted(inside.items())]
    return Section("working_media", _("Energy-carrying working media"), [Table(
        [Column("medium", _("Working medium")), Column("quantity", _("Quantity")), Column("unit", _("Unit")),
         Column("tce", _("Energy"), "tce"), Column("counted", _("In comprehensive energy consumption"))], rows)],
        [_("Rule (GB/T 2589): energy-carrying working media (new water, softened water, compressed air, oxygen …) "
           "count in comprehensive energy consumption, converted by their equivalent coefficients, only when "
           "purchased from outside the boundary; working media produced inside the boundary are not counted again, "
           "because the energy used to produce them is already counted in the carriers above.")])


TARGET_NAMES = {"energy_per_value_added": gettext_lazy("Energy per value added"),
                "carbon_intensity": gettext_lazy("Carbon intensity"),
                "carbon_per_value_added": gettext_lazy("Carbon intensity"),
                "energy_tce": gettext_lazy("Comprehensive energy consumption"),
                "total_tco2": gettext_lazy("Total emissions"),
                "emissions_tco2": gettext_lazy("Total emissions"), "pue": "PUE"}


# ---- equal value ------------------------------------------------------------------------------------------------

def equal_value_rate(*, enterprise, year: int) -> tuple[EnergyCoefficient | None, bool]:
    """The equal-value electricity rate (thermal power supply coal rate) for `year`: the enterprise's own row first,
    then the national one; when none is loaded for the year, the latest earlier year's, marked substituted."""
    rows = EnergyCoefficient.objects.filter(carrier=Carrier.ELECTRICITY, method=ConversionMethod.EQUAL_VALUE,
                                            year__lte=year).filter(Q(enterprise=enterprise) |
                                                                   Q(enterprise__isnull=True))
    row = rows.order_by("-year", "enterprise").first()  # own rows (non-null enterprise) sort first within a year
    own = rows.filter(year=row.year, enterprise=enterprise).first() if row is not None else None
    row = own or row
    return row, row is not None and row.year != year


def _equal_value_tce(c: dict, rate: EnergyCoefficient | None) -> Decimal | None:
    """A carrier row's tce by equal value: electricity at the rate, every other carrier as by equivalent value."""
    from carbon.energy import to_tce

    if c["carrier"] not in ELECTRIC:
        return c["tce"]
    if rate is None:
        return None
    return to_tce(quantity=c["quantity"], meter_unit=c["unit"], coefficient=rate)


# ---- consumption structure --------------------------------------------------------------------------------------

def _coefficients(site_answers: list[dict]) -> dict[str, dict]:
    """carrier → the coefficient row the sites' answers used (an enterprise answer sums carriers without them); a
    carrier converted with different coefficients at different sites gets `"varies": True`."""
    out: dict[str, dict] = {}
    for k in site_answers:
        for c in k["energy_by_carrier"]:
            if "coefficient" not in c:
                continue
            seen = out.setdefault(c["carrier"], {"coefficient": c["coefficient"], "coefficient_unit":
                                                 c["coefficient_unit"], "provisional": c["provisional"]})
            if (seen["coefficient"], seen["coefficient_unit"]) != (c["coefficient"], c["coefficient_unit"]):
                seen["varies"] = True
            seen["provisional"] = seen["provisional"] or c["provisional"]
    return out


def structure_section(*, k: dict, sites: list, year: int, rate, substituted: bool,
                      site_answers: list[dict]) -> tuple[Section, Decimal | None]:
    coefs = _coefficients(site_answers)
    entries: dict[str, dict] = {}
    for e in CarrierYear.objects.filter(site__in=sites, year=year):
        agg = entries.setdefault(e.carrier, {"opening": Decimal(0), "closing": Decimal(0), "complete": True})
        if e.opening_stock is None or e.closing_stock is None:
            agg["complete"] = False
        else:
            agg["opening"] += e.opening_stock
            agg["closing"] += e.closing_stock
    rows, total_eq, total_ev = [], Decimal(0), Decimal(0)
    ev_missing = False
    # energy carriers first, then the working media purchased across the boundary (counted, GB/T 2589)
    ordered = ([c for c in k["energy_by_carrier"] if c["carrier"] not in WORKING_MEDIA]
               + [c for c in k["energy_by_carrier"] if c["carrier"] in WORKING_MEDIA])
    for c in ordered:
        stock = entries.get(c["carrier"])
        opening = closing = purchases = None
        if stock and stock["complete"]:
            opening, closing = stock["opening"], stock["closing"]
            purchases = c["quantity"] + closing - opening  # purchases = consumption + stock increase
        else:
            purchases = c["quantity"]
        ev = _equal_value_tce(c, rate)
        ev_missing |= ev is None
        total_eq += c["tce"]
        total_ev += ev or Decimal(0)
        ev_coef = (f"{rate.coefficient.normalize():f} {rate.coefficient_unit}" if c["carrier"] in ELECTRIC and rate
                   else "—")
        coef = coefs.get(c["carrier"], {})
        coef_text = ("—" if not coef else _("differs by site") if coef.get("varies") else
                     f"{Decimal(coef['coefficient']).normalize():f} {unit_label(coef['coefficient_unit'])}")
        u = c["unit"]
        name = carrier_name(c["carrier"])
        if c["carrier"] in WORKING_MEDIA:
            name = _("%(medium)s (working medium, purchased)") % {"medium": name}
        rows.append([name, unit_label(u), present_in(opening, u), present_in(purchases, u),
                     present_in(closing, u), present_in(c["quantity"], u),
                     coef_text, c["tce"],
                     unit_label(ev_coef) if c["carrier"] in ELECTRIC else _("as equivalent value"), ev,
                     bool(coef.get("provisional") or (c["carrier"] in ELECTRIC and rate is not None
                                                      and rate.provisional))])
    total_ev_or_none = None if ev_missing else total_ev
    rows.append([_("Total"), "tce", None, None, None, None, None, total_eq, None, total_ev_or_none, None])
    table = Table(
        [Column("carrier", _("Energy carrier")), Column("unit", _("Physical unit")),
         Column("opening_stock", _("Stock at start of year")), Column("purchases", _("Purchases")),
         Column("closing_stock", _("Stock at end of year")), Column("consumption", _("Consumption")),
         Column("coefficient", _("Coefficient (equivalent value)")),
         Column("tce_equivalent", _("Consumption, equivalent value"), "tce"),
         Column("coefficient_equal", _("Coefficient (equal value)")),
         Column("tce_equal_value", _("Consumption, equal value"), "tce"),
         Column("provisional", _("Provisional coefficient"))], rows)
    notes = [_("Purchases = consumption + (stock at end of year − stock at start of year), from the stocks entered per "
               "carrier; a carrier without entered stocks (electricity, gas, steam are not stored) has purchases equal "
               "to its metered consumption. Consumption is the metered energy entering the boundary less energy "
               "supplied to others."),
             _("Equivalent value: electricity at its calorific value 0.1229 kgce/kWh. Equal value: electricity at "
               "the year's national average coal consumption of thermal power supply; every other carrier as by "
               "equivalent value.")]
    if rate is None:
        notes.append(_("No equal-value electricity rate is loaded: the equal-value total is not given."))
    else:
        notes.append(_("Equal-value rate used: %(rate)s kgce/kWh of %(ry)s%(sub)s — %(prov)s source: %(src)s.") % {
            "rate": f"{rate.coefficient.normalize():f}", "ry": rate.year,
            "sub": (_(" (no rate loaded for %(y)s: the latest earlier year's rate is substituted)") % {"y": year}
                    if substituted else ""),
            "prov": _("PROVISIONAL (not verified against the published statistics);") if rate.provisional else "",
            "src": rate.source if rate.enterprise_id else _(
                "national average coal consumption of thermal power supply, China Electricity Council yearly "
                "statistics")})
    chart = Chart(_("Energy by carrier"), "tce", [(carrier_name(c["carrier"]), c["tce"]) for c in k["energy_by_carrier"]
                                                  if c["carrier"] not in WORKING_MEDIA])
    return Section("by_carrier", _("Energy consumption structure"), [table], notes, [chart]), total_ev_or_none


# ---- physical energy balance ------------------------------------------------------------------------------------

def balance_section(*, sites: list, period: Period, enterprise_level: bool) -> Section:
    energy_flow = PROVIDERS.get("energy_flow")
    cols = ([Column("site", _("Site"))] if enterprise_level else []) + [
        Column("part", _("Part of the balance")), Column("item", _("Item")), Column("tce", _("Energy"), "tce"),
        Column("share", _("Share of inputs"), "ratio")]
    rows, notes = [], []
    parts = {"input": _("1 Input"), "conversion": _("2 Conversion"), "end_use": _("3 End use"),
             "loss": _("4 Losses and unmetered"), "surplus": _("metering surplus"), "export": _("supplied to others")}
    for site in sites if energy_flow is not None else []:
        try:
            flow = energy_flow(site=site, period=period)
        except ApplicationError as exc:
            notes.append(f"{site.code}: {exc.detail}")
            continue
        nodes = {n["id"]: n for n in flow["nodes"]}
        into: dict[str, Decimal] = {}
        outgoing = {lk["source"] for lk in flow["links"]}
        for lk in flow["links"]:
            into[lk["target"]] = into.get(lk["target"], Decimal(0)) + lk["value"]
        first = [s for s in flow["links"] if nodes[s["source"]]["kind"] in ("input", "surplus")]
        sums: dict[str, Decimal] = {}
        for lk in first:
            sums[lk["source"]] = sums.get(lk["source"], Decimal(0)) + lk["value"]
        total_in = flow["inputs_total"] + flow["surplus_total"]
        prefix = [site.code] if enterprise_level else []
        start = len(rows)

        def share(v: Decimal, total: Decimal = total_in) -> Decimal | None:
            return (v / total).quantize(Decimal("0.0001")) if total else None

        for nid, v in sums.items():
            kind = "conversion" if nid.startswith("input:generated:") else (
                "surplus" if nid.startswith("surplus:") else "input")
            rows.append([*prefix, str(parts[kind]), nodes[nid]["label"], v, share(v)])
        for nid, v in into.items():
            n = nodes[nid]
            if nid not in outgoing and n["kind"] != "loss":
                rows.append([*prefix, str(parts["end_use"]), n["label"], v, share(v)])
        for nid, v in into.items():
            if nodes[nid]["kind"] == "loss":
                rows.append([*prefix, str(parts["loss"]), nodes[nid]["label"], v, share(v)])
        rows.extend([*prefix, str(parts["export"]), f"{e['meter']} {carrier_name(e['carrier'])}", e["value"], None]
                    for e in flow["exports"])
        n = len(prefix)
        rows[start:] = sorted(rows[start:], key=lambda r: r[n])  # by part: input, conversion, end use, losses
        rows.append([*prefix, _("Balance: inputs − end uses − losses"), "", flow["balance"], None])
    notes[:0] = [
        _("Inputs are the purchased energy at the boundary meters; conversion is energy produced inside the "
          "boundary (on-site generation); end uses are the production units (or the end meters) the metering tree "
          "reaches; all in tce by equivalent value."),
        _("Rule for what is not metered: energy a meter reads beyond the sum of its sub-meters is shown as "
          "\"unmetered / loss\" of that meter (line and transformer losses and users without a meter) and is not "
          "shared out to end uses; a fuel metered only at the boundary (boiler coal, furnace gas) is an end use of "
          "its own boundary meter; conversion inside the boundary that is not metered (coal to steam in an own "
          "boiler) is not shown as a separate step.")]
    return Section("balance", _("Physical energy balance"), [Table(cols, rows)], notes)


# ---- comprehensive energy per unit product ----------------------------------------------------------------------

def product_allocation(*, site_tce: Decimal, products: list[dict]) -> list[dict]:
    """GB/T 2589 product energy: the energy metered at the product's production unit, plus the site energy not
    metered to any product's unit, allocated by output share among products of the same unit of output. `products`:
    `{"product", "output", "unit", "metered_tce"}` (metered_tce None when the product's unit has no meter). When the
    site's products have different units of output the remainder is not allocated (stated)."""
    metered = sum((p["metered_tce"] or Decimal(0) for p in products), Decimal(0))
    remainder = site_tce - metered
    units = {p["unit"] for p in products}
    total_output = sum((p["output"] or Decimal(0) for p in products), Decimal(0))
    out = []
    for p in products:
        share = (p["output"] or Decimal(0)) / total_output if len(units) == 1 and total_output else None
        allocated = remainder * share if share is not None else None
        whole = (p["metered_tce"] or Decimal(0)) + (allocated or Decimal(0))
        per_unit = whole * 1000 / p["output"] if p["output"] else None
        out.append({**p, "share": share, "allocated_tce": allocated, "whole_tce": whole, "per_unit": per_unit,
                    "remainder_tce": remainder})
    return out


def _verdict(value: Decimal | None, std) -> str:
    if std is None:
        return _("no limit standard assigned")
    if value is None:
        return _("no output")
    if std.limit_value is None and std.access_value is None and std.advanced_value is None:
        return _("no values loaded for the standard")
    if std.advanced_value is not None and value <= std.advanced_value:
        return _("meets the advanced value")
    if std.access_value is not None and value <= std.access_value:
        return _("meets the access value")
    if std.limit_value is not None and value <= std.limit_value:
        return _("within the limit value")
    if std.limit_value is not None:
        return _("EXCEEDS the limit value: not compliant")
    return _("above the access value")


def product_section(*, sites: list, k_by_site: dict) -> Section:
    rows, notes = [], []
    limits = {pl.product_id: pl.standard for pl in ProductLimit.objects.filter(
        product__site__in=sites).select_related("standard")}
    names = {p.code: p for p in Product.objects.filter(site__in=sites)}
    for site in sites:
        k = k_by_site[site.pk]
        prods = [{"product": p["product"], "name": p["name"], "output": p["output"]["value"],
                  "unit": p["output"]["unit"],
                  "metered_tce": p["energy_tce"]["value"] if p["allocation"] == "production_unit_meters" else None}
                 for p in k["per_product"]]
        if not prods:
            continue
        alloc = product_allocation(site_tce=k["energy_tce"]["value"], products=prods)
        for a in alloc:
            product = names.get(a["product"])
            std = limits.get(product.pk) if product else None
            per_unit = _fixed(a["per_unit"], 2)
            comparable = std is not None and std.unit == f"kgce/{a['unit']}"
            std_text = (f"{std.standard} {std.product_zh if _zh() else std.product_en} · "
                        f"{std.indicator_zh if _zh() else std.indicator_en}" if std else "—")
            name = a["name"] if len(sites) == 1 else f"{site.code} {a['name']}"
            rows.append([name, a["output"], unit_label(a["unit"]), a["metered_tce"], a["share"],
                         a["allocated_tce"], a["whole_tce"], per_unit, std_text,
                         std.limit_value if comparable else None, std.access_value if comparable else None,
                         std.advanced_value if comparable else None,
                         _verdict(per_unit, std) if comparable or std is None else
                         _("indicator in %(u)s: not comparable") % {"u": unit_label(std.unit)},
                         bool(std and std.provisional)])
            if std and std.provisional:
                notes.append(_("%(std)s (%(p)s): PROVISIONAL values — %(src)s.") % {
                    "std": std.standard, "p": std.product_zh if _zh() else std.product_en, "src": std.source
                    if _zh() else re.sub(r"\s*[\u4e00-\u9fff（）]+", "", std.source)})
        if alloc and alloc[0]["share"] is None:
            notes.append(_("%(site)s: the products have different units of output; the site energy not metered at a "
                           "product's unit (%(r)s tce) is not allocated.") % {
                "site": site.code, "r": _fixed(alloc[0]["remainder_tce"], 3)})
    table = Table(
        [Column("product", _("Product")), Column("output", _("Output")), Column("unit", _("Unit")),
         Column("metered_tce", _("Energy metered at its production unit"), "tce"),
         Column("share", _("Output share"), "ratio"),
         Column("allocated_tce", _("Site energy allocated"), "tce"),
         Column("whole_tce", _("Comprehensive energy of the product"), "tce"),
         Column("per_unit", _("Comprehensive energy per unit product (kgce per unit of output)")),
         Column("standard", _("Limit standard")), Column("limit", _("Limit value")),
         Column("access", _("Access value")), Column("advanced", _("Advanced value")),
         Column("verdict", _("Assessment")), Column("provisional", _("Provisional values"))], rows)
    notes[:0] = [_("Rule (GB/T 2589): a product's comprehensive energy is all the energy its production takes. First "
                   "the energy metered at the product's production unit; then the site energy not metered to any "
                   "product's unit (fuels metered only at the boundary, auxiliaries, offices, losses) is allocated to "
                   "the products by their share of output (same unit of output). Electricity by equivalent value; "
                   "figures of the whole period, output and energy alike.")]
    return Section("by_product", _("Comprehensive energy per unit product"), [table], list(dict.fromkeys(notes)))


# ---- reasons for changes ------------------------------------------------------------------------------------------

def changes_section(*, k: dict, previous: dict | None, sites: list, year: int) -> Section:
    reasons: dict[str, list[str]] = {}
    for e in CarrierYear.objects.filter(site__in=sites, year=year).exclude(change_reason="").order_by("site__code"):
        reasons.setdefault(e.carrier, []).append(e.change_reason if len(sites) == 1 else
                                                 f"{e.site.code}: {e.change_reason}")
    before = {c["carrier"]: c for c in (previous or {}).get("energy_by_carrier", [])}
    rows = []
    carriers = [c["carrier"] for c in k["energy_by_carrier"]] + [c for c in before if c not in
                                                                  {x["carrier"] for x in k["energy_by_carrier"]}]
    now = {c["carrier"]: c for c in k["energy_by_carrier"]}
    for code in carriers:
        a, b = now.get(code), before.get(code)
        tce_now, tce_before = (a["tce"] if a else Decimal(0)), (b["tce"] if b else None)
        change = ((tce_now - tce_before) / tce_before * 100).quantize(Decimal("0.01")) if tce_before else None
        rows.append([carrier_name(code), unit_label((a or b)["unit"]), a["quantity"] if a else Decimal(0),
                     b["quantity"] if b else None, tce_now, tce_before, change,
                     " ".join(reasons.get(code, [])) or _("(no reason entered)")])
    table = Table(
        [Column("carrier", _("Energy carrier")), Column("unit", _("Unit")),
         Column("quantity", _("Consumption %(y)s") % {"y": year}),
         Column("quantity_before", _("Consumption %(y)s") % {"y": year - 1}),
         Column("tce", _("Energy %(y)s") % {"y": year}, "tce"),
         Column("tce_before", _("Energy %(y)s") % {"y": year - 1}, "tce"),
         Column("change_pct", _("Year-on-year change"), "%"), Column("reason", _("Reason for the change"))], rows)
    yoy = Table(
        [Column("name", _("Indicator")), Column("change_pct", _("Year-on-year change"), "%")],
        [[str(YOY_NAMES.get(key, key)), value] for key, value in k.get("yoy_change_pct", {}).items()])
    notes = [k["yoy_unavailable"]["detail"]] if k.get("yoy_unavailable") else []
    notes.append(_("Reasons are entered per site, year and carrier (carrier year entries); the comparison is over the "
                   "same period length of the previous year."))
    return Section("yoy", _("Changes against the previous year and their reasons"), [table, yoy], notes)


def equipment_section(*, sites: list) -> Section:
    rows = [([e.site.code] if len(sites) > 1 else []) + [
        e.name, e.model or "—", carrier_name(e.carrier) if e.carrier else "—", e.quantity, _fixed(e.rated_power_kw, 0),
        e.commissioned_year, e.efficiency_note or "—",
        _("yes: to be replaced") if e.obsolete else _("no")]
        for e in MainEquipment.objects.filter(site__in=sites).select_related("site").order_by("site__code", "name")]
    cols = ([Column("site", _("Site"))] if len(sites) > 1 else []) + [
        Column("name", _("Equipment")), Column("model", _("Model")), Column("carrier", _("Energy carrier")),
        Column("quantity", _("Units")), Column("rated_power_kw", _("Rated power or capacity"), "kW"),
        Column("commissioned_year", _("Year commissioned")), Column("efficiency", _("Efficiency / grade")),
        Column("obsolete", _("In the elimination catalogue"))]
    return Section("equipment", _("Main energy-using equipment"), [Table(cols, rows)],
                   [] if rows else [_("No main equipment entered for this site.")])


def savings_section(*, sites: list) -> Section:
    projects, project_assessment = PROVIDERS.get("savings_projects"), PROVIDERS.get("project_assessment")
    rows, notes = [], []
    for p in (projects(sites) if projects is not None else []):
        measured = realisation = None
        try:
            a = project_assessment(project=p)
            if a["energy"] and a["energy"]["months_counted"]:
                measured = Decimal(str(a["energy"]["measured_savings"]))
                realisation = a["energy"]["realisation_pct"]
        except ApplicationError as exc:
            notes.append(f"{p.name}: {exc.detail}")
        rows.append([p.name, str(p.get_kind_display()), p.commissioned_on.isoformat(),
                     p.investment_10k_cny, p.expected_savings_tce_per_year, p.expected_reduction_tco2_per_year,
                     measured, _fixed(Decimal(str(realisation)), 2) if realisation is not None else None])
    cols = [Column("project", _("Project")), Column("kind", _("Kind")), Column("commissioned", _("Commissioned")),
            Column("investment", _("Investment"), "10^4 CNY"),
            Column("expected_tce", _("Expected savings per year"), "tce"),
            Column("expected_tco2", _("Expected reduction per year"), "tCO2"),
            Column("measured_tce", _("Measured savings since commissioning"), "tce"),
            Column("realisation", _("Realisation of the expected savings"), "%")]
    notes.insert(0, _("Measured savings = adjusted baseline − actual over the complete months since commissioning "
                      "(ISO 50006 method; the savings are the whole site's)."))
    return Section("savings", _("Energy-saving projects and their savings"), [Table(cols, rows)], notes)


# ---- metering ---------------------------------------------------------------------------------------------------

def metering_sections(*, sites: list, year: int, period: Period) -> list[Section]:
    start, end = period.start(), period.end()
    meters = Meter.objects.filter(site__in=sites, active_from__lt=end).filter(
        Q(active_to__isnull=True) | Q(active_to__gt=start))
    installed = {(c, lvl): n for c, lvl, n in meters.values_list("carrier", "level").annotate(
        n=Count("pk")).values_list("carrier", "level", "n")}
    points: dict[tuple[str, str], int] = {}
    for c, lvl, n in MeteringPoints.objects.filter(site__in=sites).values_list("carrier", "level", "points"):
        points[(c, lvl)] = points.get((c, lvl), 0) + n
    required = {(r.carrier, r.level): r.required_rate_pct for r in MeteringRequirement.objects.all()}
    carriers = sorted({c for c, _l in installed} | {c for c, _l in points})
    rows, flagged = [], []
    for c in carriers:
        for lvl in LEVELS:
            req = required.get((c, lvl))
            n = installed.get((c, lvl), 0)
            pts = points.get((c, lvl))
            if req is None and pts is None and n == 0:
                continue
            if pts == 0 and n == 0:  # entered: nothing to meter at this level
                rows.append([carrier_name(c), str(LEVEL_NAMES.get(lvl, lvl)), req, 0, 0, None,
                             _("no metering point at this level")])
                continue
            rate = (Decimal(n) / Decimal(pts) * 100).quantize(Decimal("0.01")) if pts else (
                Decimal("0.00") if n == 0 and req else None)
            if req is None:
                status = _("no required rate loaded")
            elif rate is None:
                status = _("metering points not entered: rate unknown")
            elif rate >= req:
                status = _("compliant")
            else:
                status = _("NOT COMPLIANT")
                flagged.append(_("%(c)s, %(l)s: %(n)s of %(p)s metering points metered (%(r)s %%) against %(q)s %% "
                                 "required.") % {"c": carrier_name(c), "l": LEVEL_NAMES.get(lvl, lvl), "n": n,
                                                 "p": pts if pts is not None else "—", "r": rate,
                                                 "q": f"{req.normalize():f}"})
            rows.append([carrier_name(c), str(LEVEL_NAMES.get(lvl, lvl)), req, pts, n, rate, status])
    table = Table(
        [Column("carrier", _("Energy carrier")), Column("level", _("Level (GB 17167)")),
         Column("required_rate", _("Required equipping rate"), "%"),
         Column("points", _("Metering points to be metered")), Column("installed", _("Meters installed")),
         Column("actual_rate", _("Actual equipping rate"), "%"), Column("status", _("Compliance"))], rows)
    edition = "GB 17167-2025" if year >= 2026 else "GB 17167-2006"
    notes = [_("Actual equipping rate = meters installed / metering points to be metered (entered per site, carrier "
               "and level); a level with no meter at all against a required rate counts as zero even without "
               "entered points, unless its metering points are entered as none.")]
    if year >= 2026:
        notes.append(_("GB 17167-2025 is in force from 2026-02-01; the required rates shown are those of GB 17167-2006 "
                       "until the 2025 edition's rates are loaded and verified."))
    notes += [str(_("Non-compliance: %(x)s") % {"x": f}) for f in flagged]

    # the period's last day; a year in progress: the day before the day it runs to (`until`, exclusive)
    as_of = (period.until or end.date()) - dt.timedelta(days=1)
    meter_rows = []
    for m in meters.select_related("site").order_by("site__code", "carrier", "level", "code"):
        if m.next_calibration is None:
            cal = _("not recorded")
        elif m.next_calibration < as_of:
            cal = _("OVERDUE")
        else:
            cal = _("valid")
        meter_rows.append([m.code, m.name or "—", carrier_name(m.carrier), str(LEVEL_NAMES.get(m.level, m.level)),
                           m.accuracy_class or _("not recorded"),
                           m.last_calibration.isoformat() if m.last_calibration else "—",
                           m.next_calibration.isoformat() if m.next_calibration else "—", cal])
    meter_table = Table(
        [Column("meter", _("Meter")), Column("name", _("Name")), Column("carrier", _("Energy carrier")),
         Column("level", _("Level")), Column("accuracy_class", _("Accuracy class")),
         Column("last_calibration", _("Last calibration")), Column("next_calibration", _("Next calibration due")),
         Column("calibration_status", _("Calibration status"))], meter_rows)
    overdue = sum(1 for r in meter_rows if r[-1] == _("OVERDUE"))
    meter_notes = [_("Calibration status as of %(d)s: %(n)s of %(t)s meters overdue.") % {
        "d": as_of.isoformat(), "n": overdue, "t": len(meter_rows)}]
    return [Section("metering", _("Metering equipping rates (%(ed)s)") % {"ed": edition}, [table], notes),
            Section("meters", _("Meters: accuracy class and calibration"), [meter_table], meter_notes)]


def substitution_notes(*, k: dict, on) -> list[str]:
    """The coefficient substitutions an answer made (an energy report converts energy only: emission factors do not
    enter it), worded in the document's language with carrier names, not codes."""
    notes = [_("%(carrier)s: no edition of GB/T 2589 is in force on %(date)s; %(edition)s (valid from %(from)s) is "
               "substituted, the nearest edition in time.") % {
        "carrier": carrier_name(c["carrier"]), "date": on, "edition": c.get("coefficient_edition"),
        "from": c.get("coefficient_valid_from")} for c in k["energy_by_carrier"] if c.get("coefficient_substituted")]
    return notes


# ---- the document -------------------------------------------------------------------------------------------------

def build_energy(*, enterprise, year: int, site=None, options=None) -> Document:
    period = period_coverage(period=Period.year(year)).period  # cut at today when in progress, like every report
    sites = [site] if site is not None else list(enterprise.sites.order_by("code"))
    k = (site_kpis(site=site, period=period) if site is not None
         else enterprise_kpis(enterprise=enterprise, period=period))
    k_by_site = {s.pk: (k if site is not None else site_kpis(site=s, period=period, with_yoy=False)) for s in sites}
    try:
        previous = (site_kpis(site=site, period=period.previous_year(), with_yoy=False) if site is not None
                    else enterprise_kpis(enterprise=enterprise, period=period.previous_year(), with_yoy=False))
    except ApplicationError:
        previous = None
    rate, substituted = equal_value_rate(enterprise=enterprise, year=year)
    structure, total_ev = structure_section(k=k, sites=sites, year=year, rate=rate, substituted=substituted,
                                            site_answers=list(k_by_site.values()))
    summary = Table(
        [Column("indicator", _("Indicator")), Column("value", _("Value")), Column("unit", _("Unit"))],
        [[_("Comprehensive energy consumption (equivalent value)"), k["energy_tce"]["value"], "tce"],
         [_("Value added"), k["value_added_10k_cny"]["value"], "10^4 CNY"],
         [_("Energy per value added"), k["energy_per_value_added"]["value"], "tce/10^4 CNY"],
         [_("Electricity consumed"), k["electricity_kwh"]["value"], "kWh"],
         [_("Comprehensive energy consumption (equal value)"), total_ev, "tce"],
         [_("Renewable share"), k["renewable_share"]["value"], "ratio"],
         [_("Data completeness (worst site)") if site is None else _("Data completeness"),
          k["data_completeness"]["value"], "ratio"]],
    )
    media = working_media_section(k=k, sites=sites, period=period)
    by_site = []
    if site is None:
        by_site = [Section("by_site", _("Consumption by site"), [Table(
            [Column("site", _("Site")), Column("energy_tce", _("Energy"), "tce"),
             Column("energy_per_value_added", _("Energy per value added"), "tce/10^4 CNY")],
            [[s["site"], s["energy_tce"]["value"], s["energy_per_value_added"]["value"]] for s in k["sites"]])],
            charts=[Chart(_("Energy by site"), "tce", [(s["site"], s["energy_tce"]["value"]) for s in k["sites"]])])]
    targets = Table(
        [Column("name", _("Target")), Column("baseline_year", _("Baseline year")), Column("baseline", _("Baseline")),
         Column("target_year", _("Target year")), Column("reduction_pct", _("Reduction"), "%"),
         Column("goal", _("Goal")), Column("current", _("Current")), Column("progress_pct", _("Progress"), "%")],
        [[str(TARGET_NAMES.get(t["indicator"], t["indicator"])), t["baseline_year"], t["baseline"],
          t["target_year"], t["reduction_pct"], t["goal"], t["current"], t["progress_pct"]]
         for t in k.get("targets", [])],
    )
    cost = cost_report_rows(enterprise=enterprise, site=site, period=period)
    cost_table = Table(
        [Column("name", _("Line")), Column("quantity", _("Quantity")),
         Column("unit", _("Unit")), Column("cost_cny", _("Cost"), "CNY")],
        [[r["name"], r["quantity"], unit_label(r["unit"]), r["cost_cny"]] for r in cost["rows"]])
    meta = subject_meta(enterprise=enterprise, site=site, year=year, period=period)
    meta["electricity_method"] = k["electricity_method"]
    return Document(
        kind="energy", title=_("Annual energy-use report %(year)s") % {"year": year},
        meta=meta,
        sections=[
            Section("summary", _("Basic information and summary"), [summary],
                    [*coverage_notes(period),
                     _("Conversion to tce by %(ed)s, electricity by the %(m)s method; the equal-value total is given "
                       "beside it.") % {"m": METHOD_NAMES.get(k["electricity_method"], k["electricity_method"]),
                                        "ed": ", ".join(k["coefficient_editions"]) or "GB/T 2589"},
                     *excluded_note(k.get("excluded_meters", []))]),
            structure,
            media,
            balance_section(sites=sites, period=period, enterprise_level=site is None),
            *by_site,
            product_section(sites=sites, k_by_site=k_by_site),
            changes_section(k=k, previous=previous, sites=sites, year=year),
            equipment_section(sites=sites),
            savings_section(sites=sites),
            Section("targets", _("Targets and progress"), [targets]),
            *metering_sections(sites=sites, year=year, period=period),
            heating_values_section(k["heating_values"], substitution_notes(k=k, on=period.first)),
            Section("cost", _("Energy cost"), [cost_table], cost["notes"]),
        ],
        factor_versions=k["factor_versions"],
    )
