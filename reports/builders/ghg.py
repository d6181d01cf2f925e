"""GHG emissions report (GB/T 32150 structure) from `carbon.emissions.enterprise_emissions` and the ledger head."""

from __future__ import annotations

from django.utils.translation import gettext as _

from carbon.emissions import enterprise_emissions
from carbon.ledger import ledger_head
from carbon.periods import Period

from . import Column, Document, Section, Table


def _lines_table(lines: list[dict]) -> Table:
    return Table(
        [Column("site", _("Site")), Column("source", _("Source")), Column("activity_amount", _("Activity data")),
         Column("activity_unit", _("Unit")), Column("factor_value", _("Emission factor")),
         Column("factor_unit", _("Factor unit")), Column("factor_version", _("Factor version")),
         Column("factor_source", _("Factor source")), Column("tco2", _("Emissions"), "tCO2")],
        [[ln["site"], ln["source"], ln["activity_amount"], ln["activity_unit"], ln["factor_value"], ln["factor_unit"],
          ln["factor_version"], ln["factor_source"], ln["tco2"]] for ln in lines],
    )


def build_ghg(*, enterprise, year: int) -> Document:
    period = Period.year(year)
    e = enterprise_emissions(enterprise=enterprise, period=period)
    lines = [{**ln, "site": s["site"]} for s in e["sites"] for ln in s["lines"]]
    head = ledger_head(enterprise=enterprise)
    summary = Table(
        [Column("indicator", _("Indicator")), Column("value", _("Value")), Column("unit", _("Unit"))],
        [[_("Scope 1 (direct)"), e["scope1_tco2"], "tCO2"], [_("Scope 2 (purchased energy)"), e["scope2_tco2"], "tCO2"],
         [_("Total"), e["total_tco2"], "tCO2"]],
    )
    green = Table(
        [Column("site", _("Site")), Column("metered_green_power_mwh", _("Metered green power"), "MWh"),
         Column("certificates_mwh", _("Green certificates"), "MWh")],
        [[s["site"], s["green_electricity"]["metered_green_power_mwh"], s["green_electricity"]["certificates_mwh"]]
         for s in e["sites"]],
    )
    return Document(
        kind="ghg", title=_("Greenhouse gas emissions report %(year)s") % {"year": year},
        meta={"enterprise": enterprise.name, "credit_code": enterprise.credit_code, "year": year,
              "period": str(period), "standard": "GB/T 32150", "ledger_head": head},
        sections=[
            Section("summary", _("Summary"), [summary]),
            Section("scope1", _("Scope 1 by source"), [_lines_table([ln for ln in lines if ln["scope"] == "scope1"])]),
            Section("scope2", _("Scope 2 by carrier"), [_lines_table([ln for ln in lines if ln["scope"] == "scope2"])]),
            Section("green_electricity", _("Green electricity (reported separately, not netted)"), [green]),
            Section("ledger", _("Ledger"), [], [_("Hash-chain head: %(h)s") % {"h": head}]),
        ],
        factor_versions=e["factor_versions"], ledger_head=head,
    )
