"""The heating-value disclosure every report prints: each fuel's heating value for energy (GB/T 2589) and for
emissions (the governing GHG guideline, or the month's measured value), each with its source."""

from __future__ import annotations

from django.utils.translation import gettext as _

from ..labels import carrier_name
from . import Column, Section, Table


def heating_values_section(rows: list[dict], substitutions: list[str] | None = None) -> Section:
    """`rows`: `carbon.emissions.heating_values` / the KPI answer's `heating_values`."""
    table = Table(
        [Column("carrier", _("Carrier code")), Column("carrier_name", _("Fuel")), Column("purpose", _("Purpose")),
         Column("ncv", _("Net calorific value")), Column("unit", _("Unit")), Column("source", _("Source of the value")),
         Column("provisional", _("Provisional"))],
        [row for h in rows for row in (
            [[h["carrier"], carrier_name(h["carrier"]), _("energy (standard coal)"), h["energy"]["ncv"],
              h["energy"]["unit"], f"{h['energy']['edition']}: {h['energy']['source']}", h["energy"]["provisional"]],
             [h["carrier"], carrier_name(h["carrier"]), _("emissions (guideline default)"), h["emissions"]["ncv"],
              h["emissions"]["unit"], f"{h['emissions']['guideline']}: {h['emissions']['source']}",
              h["emissions"]["provisional"]]]
            + [[h["carrier"], carrier_name(h["carrier"]), _("emissions, measured %(m)s") % {"m": m["month"]},
                m["ncv"], m["unit"], _("lab report %(n)s") % {"n": m["lab_report_number"]}, False]
               for m in h["measured"]])],
    )
    notes = [_("%(fuel)s: the energy and emissions heating values differ; each purpose uses the source that governs "
               "it.") % {"fuel": carrier_name(h["carrier"])} for h in rows if h["differ"]]
    notes += [_("Substituted: %(s)s") % {"s": s} for s in substitutions or []]
    return Section("heating_values", _("Heating values and coefficients used"), [table], notes)
