"""GHG emissions report (GB/T 32150 structure) of an enterprise or one site, from `carbon.emissions` and the ledger."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from carbon.emissions import enterprise_heating_values, substitution_text
from carbon.kpis import site_emissions_frozen
from carbon.ledger import ledger_head
from carbon.periods import Period, period_coverage

from ..formatting import excluded_note
from ..labels import source_name
from . import Chart, Column, Document, Section, Table, coverage_notes, subject_meta
from .heating import heating_values_section


def _lines_table(lines: list[dict]) -> Table:
    return Table(
        [Column("site", _("Site")), Column("source", _("Source code")), Column("source_name", _("Source")),
         Column("activity_amount", _("Activity data")), Column("activity_unit", _("Unit")),
         Column("factor_value", _("Emission factor")), Column("factor_unit", _("Factor unit")),
         Column("factor_version", _("Factor version")), Column("factor_source", _("Factor source")),
         Column("tco2", _("Emissions"), "tCO2")],
        [[ln["site"], ln["source"], source_name(ln["source"]), ln["activity_amount"], ln["activity_unit"],
          ln["factor_value"], ln["factor_unit"], ln["factor_version"], ln["factor_source"], ln["tco2"]]
         for ln in lines],
    )


def _by_source(lines: list[dict]) -> list[tuple[str, object]]:
    totals: dict[str, object] = {}
    for ln in lines:
        name = source_name(ln["source"])
        totals[name] = totals.get(name, 0) + ln["tco2"]
    return list(totals.items())


def build_ghg(*, enterprise, year: int, site=None, options=None) -> Document:
    period = period_coverage(period=Period.year(year)).period  # cut at today when in progress, like every report
    # Closed months as recorded at close (carbon.kpis), open months from the rollups.
    per_site = [site_emissions_frozen(site=s, period=period)
                for s in ([site] if site is not None else enterprise.sites.all())]
    e = {k: sum((s[k] for s in per_site), Decimal(0)) for k in ("scope1_tco2", "scope2_tco2", "total_tco2")}
    e.update(sites=per_site, factor_versions=sorted({v for s in per_site for v in s["factor_versions"]}))
    e["excluded_meters"] = [x for s in per_site for x in s.get("excluded_meters", [])]
    lines = [{**ln, "site": s["site"]} for s in e["sites"] for ln in s["lines"]]
    scope1 = [ln for ln in lines if ln["scope"] == "scope1"]
    scope2 = [ln for ln in lines if ln["scope"] == "scope2"]
    # The ledger is kept per enterprise: a site report names the enterprise's chain head it was built against.
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
    meta = subject_meta(enterprise=enterprise, site=site, year=year, period=period)
    meta.update(standard="GB/T 32150-2015", ledger_head=head)
    return Document(
        kind="ghg", title=_("Greenhouse gas emissions report %(year)s") % {"year": year},
        meta=meta,
        sections=[
            Section("summary", _("Summary"), [summary], [*coverage_notes(period), *excluded_note(e["excluded_meters"])],
                    charts=[Chart(_("Emissions by scope"), "tCO2", [(_("Scope 1 (direct)"), e["scope1_tco2"]),
                                                                     (_("Scope 2 (purchased energy)"),
                                                                      e["scope2_tco2"])])]),
            Section("scope1", _("Scope 1 by source"), [_lines_table(scope1)],
                    charts=[Chart(_("Scope 1 by source"), "tCO2", _by_source(scope1))] if scope1 else []),
            Section("scope2", _("Scope 2 by carrier"), [_lines_table(scope2)],
                    charts=[Chart(_("Scope 2 by carrier"), "tCO2", _by_source(scope2))] if scope2 else []),
            heating_values_section(enterprise_heating_values(enterprise=enterprise, period=period, site=site),
                                   sorted({f"{ln['source']}: {substitution_text(ln)}" for ln in lines
                                           if ln.get("factor_substituted")})),
            Section("green_electricity", _("Green electricity (reported separately, not netted)"), [green]),
            Section("ledger", _("Ledger"), [], [_("Hash-chain head: %(h)s") % {"h": head}]),
        ],
        factor_versions=e["factor_versions"], ledger_head=head,
    )
