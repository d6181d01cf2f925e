"""Annual energy-use report of an enterprise, from `carbon.kpis.enterprise_kpis` (GB/T 2589 conversion)."""

from __future__ import annotations

from django.db.models import Count
from django.utils.translation import gettext as _

from carbon.kpis import enterprise_kpis
from carbon.periods import Period
from meters.models import Meter

from ..models import MeteringRequirement
from . import Column, Document, Section, Table


def build_energy(*, enterprise, year: int) -> Document:
    period = Period.year(year)
    k = enterprise_kpis(enterprise=enterprise, period=period)
    summary = Table(
        [Column("indicator", _("Indicator")), Column("value", _("Value")), Column("unit", _("Unit"))],
        [[_("Comprehensive energy consumption"), k["energy_tce"]["value"], "tce"],
         [_("Value added"), k["value_added_10k_cny"]["value"], "10^4 CNY"],
         [_("Energy per value added"), k["energy_per_value_added"]["value"], "tce/10^4 CNY"],
         [_("Electricity consumed"), k["electricity_kwh"]["value"], "kWh"],
         [_("Renewable share"), k["renewable_share"]["value"], "ratio"],
         [_("Data completeness (worst site)"), k["data_completeness"]["value"], "ratio"]],
    )
    carriers = Table(
        [Column("carrier", _("Carrier")), Column("quantity", _("Quantity")), Column("unit", _("Unit")),
         Column("tce", _("Energy"), "tce")],
        [[c["carrier"], c["quantity"], c["unit"], c["tce"]] for c in k["energy_by_carrier"]],
    )
    sites = Table(
        [Column("site", _("Site")), Column("energy_tce", _("Energy"), "tce"),
         Column("energy_per_value_added", _("Energy per value added"), "tce/10^4 CNY")],
        [[s["site"], s["energy_tce"]["value"], s["energy_per_value_added"]["value"]] for s in k["sites"]],
    )
    yoy = Table(
        [Column("indicator", _("Indicator")), Column("change_pct", _("Year-on-year change"), "%")],
        [[key, value] for key, value in k.get("yoy_change_pct", {}).items()],
    )
    targets = Table(
        [Column("target", _("Target")), Column("detail", _("Detail"))],
        [[str(t.get("kind", t.get("metric", ""))), str(t)] for t in k.get("targets", [])],
    )
    installed = dict(((c, lvl), n) for c, lvl, n in Meter.objects.filter(site__enterprise=enterprise).values_list(
        "carrier", "level").annotate(n=Count("pk")).values_list("carrier", "level", "n"))
    required = {(r.carrier, r.level): r.required_rate_pct for r in MeteringRequirement.objects.all()}
    metering = Table(
        [Column("carrier", _("Carrier")), Column("level", _("Level (GB 17167)")),
         Column("meters_installed", _("Meters installed")), Column("required_rate", _("Required rate"), "%")],
        [[c, lvl, installed.get((c, lvl), 0), required.get((c, lvl))]
         for c, lvl in sorted(set(installed) | {k for k in required if k[0] in {c for c, _l in installed}})],
    )
    return Document(
        kind="energy", title=_("Annual energy-use report %(year)s") % {"year": year},
        meta={"enterprise": enterprise.name, "credit_code": enterprise.credit_code, "year": year,
              "electricity_method": k["electricity_method"], "period": str(period)},
        sections=[
            Section("summary", _("Summary"), [summary],
                    [_("Conversion to tce by GB/T 2589-2020, electricity by the %(m)s method.")
                     % {"m": k["electricity_method"]}]),
            Section("by_carrier", _("Consumption by carrier"), [carriers]),
            Section("by_site", _("Consumption by site"), [sites]),
            Section("yoy", _("Year-on-year change"), [yoy]),
            Section("targets", _("Target progress"), [targets]),
            Section("metering", _("Metering coverage (GB 17167-2006)"), [metering],
                    [_("Equipping rate = meters installed / meters required; the platform holds no inventory of "
                       "required metering points, so only installed meters and the required rates are shown.")]),
        ],
        factor_versions=k["factor_versions"],
    )
