"""Annual energy-use report of an enterprise or one site, from `carbon.kpis` (GB/T 2589 conversion)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carbon.kpis import enterprise_kpis, site_kpis
from carbon.periods import Period, period_coverage
from costs.reporting import cost_report_rows
from energy_platform.numbers import exact
from meters.models import Carrier, Meter

from ..formatting import excluded_note
from ..labels import LEVEL_NAMES, METHOD_NAMES, YOY_NAMES, carrier_name
from ..models import MeteringRequirement
from . import Chart, Column, Document, Section, Table, coverage_notes, subject_meta
from .heating import heating_values_section

#: Energy-carrying working media (耗能工质, GB/T 2589): shown apart from the energy carriers.
WORKING_MEDIA = (Carrier.WATER, Carrier.COMPRESSED_AIR, Carrier.OXYGEN)


def working_media_section(*, k: dict, sites: list, period) -> Section:
    """Working media: purchased across the boundary (counted in comprehensive energy, as `carbon.energy` counts
    boundary meters) and produced inside the boundary (sub-meters: listed, not counted)."""
    from carbon.energy import meter_quantities

    rows = [[carrier_name(c["carrier"]), c["quantity"], c["unit"], c["tce"],
             _("purchased from outside the boundary: counted")]
            for c in k["energy_by_carrier"] if c["carrier"] in WORKING_MEDIA]
    inside: dict[tuple[str, str], Decimal] = {}
    for s in sites:
        for m in meter_quantities(site=s, period=period):
            boundary_in = m.parent_id is None and m.role in (Meter.Role.PURCHASE, Meter.Role.FACILITY_TOTAL)
            if m.carrier in WORKING_MEDIA and not boundary_in and m.parent_id is None:
                key = (m.carrier, m.unit)
                inside[key] = inside.get(key, Decimal(0)) + exact(m.quantity)
    rows += [[carrier_name(c), q, u, None, _("produced inside the boundary: not counted")]
             for (c, u), q in sorted(inside.items())]
    return Section("working_media", _("Energy-carrying working media"), [Table(
        [Column("medium", _("Working medium")), Column("quantity", _("Quantity")), Column("unit", _("Unit")),
         Column("tce", _("Energy"), "tce"), Column("counted", _("In comprehensive energy consumption"))], rows)],
        [_("Rule (GB/T 2589): energy-carrying working media (new water, softened water, compressed air, oxygen …) "
           "count in comprehensive energy consumption, converted by their equivalent coefficients, only when "
           "purchased from outside the boundary; working media produced inside the boundary are not counted again, "
           "because the energy used to produce them is already counted in the carriers above.")])


TARGET_NAMES = {"energy_per_value_added": gettext_lazy("Energy per value added"),
                "carbon_per_value_added": gettext_lazy("Carbon intensity"),
                "energy_tce": gettext_lazy("Comprehensive energy consumption"),
                "emissions_tco2": gettext_lazy("Total emissions"), "pue": "PUE"}


def build_energy(*, enterprise, year: int, site=None, options=None) -> Document:
    period = period_coverage(period=Period.year(year)).period  # cut at today when in progress, like every report
    k = (site_kpis(site=site, period=period) if site is not None
         else enterprise_kpis(enterprise=enterprise, period=period))
    summary = Table(
        [Column("indicator", _("Indicator")), Column("value", _("Value")), Column("unit", _("Unit"))],
        [[_("Comprehensive energy consumption"), k["energy_tce"]["value"], "tce"],
         [_("Value added"), k["value_added_10k_cny"]["value"], "10^4 CNY"],
         [_("Energy per value added"), k["energy_per_value_added"]["value"], "tce/10^4 CNY"],
         [_("Electricity consumed"), k["electricity_kwh"]["value"], "kWh"],
         [_("Renewable share"), k["renewable_share"]["value"], "ratio"],
         [_("Data completeness (worst site)") if site is None else _("Data completeness"),
          k["data_completeness"]["value"], "ratio"]],
    )
    carriers = Table(
        [Column("carrier", _("Carrier code")), Column("carrier_name", _("Carrier")), Column("quantity", _("Quantity")),
         Column("unit", _("Unit")), Column("tce", _("Energy"), "tce")],
        [[c["carrier"], carrier_name(c["carrier"]), c["quantity"], c["unit"], c["tce"]]
         for c in k["energy_by_carrier"] if c["carrier"] not in WORKING_MEDIA],
    )
    carrier_chart = Chart(_("Energy by carrier"), "tce",
                          [(carrier_name(c["carrier"]), c["tce"]) for c in k["energy_by_carrier"]
                           if c["carrier"] not in WORKING_MEDIA])
    media = working_media_section(k=k, sites=[site] if site is not None else list(enterprise.sites.all()),
                                  period=period)
    if site is None:
        second = Section("by_site", _("Consumption by site"), [Table(
            [Column("site", _("Site")), Column("energy_tce", _("Energy"), "tce"),
             Column("energy_per_value_added", _("Energy per value added"), "tce/10^4 CNY")],
            [[s["site"], s["energy_tce"]["value"], s["energy_per_value_added"]["value"]] for s in k["sites"]])],
            charts=[Chart(_("Energy by site"), "tce", [(s["site"], s["energy_tce"]["value"]) for s in k["sites"]])])
    else:
        second = Section("by_product", _("Energy per unit of product"), [Table(
            [Column("product", _("Product")), Column("name", _("Name")), Column("output", _("Output")),
             Column("unit", _("Unit")), Column("energy_tce", _("Energy"), "tce"),
             Column("allocation", _("Energy boundary")), Column("energy_per_unit", _("Energy per unit"), "kgce/unit")],
            [[p["product"], p["name"], p["output"]["value"], p["output"]["unit"], p["energy_tce"]["value"],
              _("production unit meters") if p["allocation"] == "production_unit_meters" else _("whole site"),
              p["energy_per_unit"]["value"]] for p in k["per_product"]])])
    yoy = Table(
        [Column("indicator", _("Indicator code")), Column("name", _("Indicator")),
         Column("change_pct", _("Year-on-year change"), "%")],
        [[key, str(YOY_NAMES.get(key, key)), value] for key, value in k.get("yoy_change_pct", {}).items()],
    )
    targets = Table(
        [Column("indicator", _("Indicator code")), Column("name", _("Target")),
         Column("baseline_year", _("Baseline year")), Column("baseline", _("Baseline")),
         Column("target_year", _("Target year")), Column("reduction_pct", _("Reduction"), "%"),
         Column("goal", _("Goal")), Column("current", _("Current")), Column("progress_pct", _("Progress"), "%")],
        [[t["indicator"], str(TARGET_NAMES.get(t["indicator"], t["indicator"])), t["baseline_year"], t["baseline"],
          t["target_year"], t["reduction_pct"], t["goal"], t["current"], t["progress_pct"]]
         for t in k.get("targets", [])],
    )
    meters = Meter.objects.filter(site=site) if site is not None else Meter.objects.filter(site__enterprise=enterprise)
    installed = {(c, lvl): n for c, lvl, n in meters.values_list("carrier", "level").annotate(
        n=Count("pk")).values_list("carrier", "level", "n")}
    required = {(r.carrier, r.level): r.required_rate_pct for r in MeteringRequirement.objects.all()}
    metered_carriers = {c for c, _l in installed}
    metering = Table(
        [Column("carrier", _("Carrier code")), Column("carrier_name", _("Carrier")),
         Column("level", _("Level code")), Column("level_name", _("Level (GB 17167)")),
         Column("meters_installed", _("Meters installed")), Column("required_rate", _("Required rate"), "%")],
        [[c, carrier_name(c), lvl, str(LEVEL_NAMES.get(lvl, lvl)), installed.get((c, lvl), 0), required.get((c, lvl))]
         for c, lvl in sorted(set(installed) | {key for key in required if key[0] in metered_carriers})],
    )
    cost = cost_report_rows(enterprise=enterprise, site=site, period=period)
    cost_table = Table(
        [Column("line", _("Line code")), Column("name", _("Line")), Column("quantity", _("Quantity")),
         Column("unit", _("Unit")), Column("cost_cny", _("Cost"), "CNY")],
        [[r["line"], r["name"], r["quantity"], r["unit"], r["cost_cny"]] for r in cost["rows"]])
    meta = subject_meta(enterprise=enterprise, site=site, year=year, period=period)
    meta["electricity_method"] = k["electricity_method"]
    return Document(
        kind="energy", title=_("Annual energy-use report %(year)s") % {"year": year},
        meta=meta,
        sections=[
            Section("summary", _("Summary"), [summary],
                    [*coverage_notes(period),
                     _("Conversion to tce by %(ed)s, electricity by the %(m)s method.")
                     % {"m": METHOD_NAMES.get(k["electricity_method"], k["electricity_method"]),
                        "ed": ", ".join(k["coefficient_editions"]) or "GB/T 2589"},
                     *excluded_note(k.get("excluded_meters", []))]),
            Section("by_carrier", _("Consumption by carrier"), [carriers], charts=[carrier_chart]),
            media,
            second,
            heating_values_section(k["heating_values"], k.get("substitution_notes", k["substitutions"])),
            Section("yoy", _("Year-on-year change"), [yoy],
                    [k["yoy_unavailable"]["detail"]] if k.get("yoy_unavailable") else []),
            Section("targets", _("Target progress"), [targets]),
            Section("metering", _("Metering coverage (GB 17167-2006)"), [metering],
                    [_("Equipping rate = meters installed / meters required; the platform holds no inventory of "
                       "required metering points, so only installed meters and the required rates are shown.")]),
            Section("cost", _("Energy cost"), [cost_table], cost["notes"]),
        ],
        factor_versions=k["factor_versions"],
    )
