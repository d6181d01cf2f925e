"""The energy cost as report rows (the energy report's cost section; reports import this, never the reverse)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from carbon.periods import Period
from plants.models import Enterprise, Site

from .selectors import enterprise_costs, site_costs


def cost_report_rows(*, enterprise: Enterprise, site: Site | None, period: Period) -> dict:
    """Lines (label, quantity, unit, CNY) adding up to the total, and notes naming the tariff versions used."""
    summary = (site_costs(site=site, period=period) if site is not None
               else enterprise_costs(enterprise=enterprise, period=period))
    names = {"funds": _("Government funds and surcharges"), "capacity": _("Capacity charge"),
             "power_factor": _("Power-factor adjustment")}
    rows = [{"line": line.get("band") or line.get("carrier") or line["kind"],
             "name": line.get("label") or names.get(line["kind"], line["kind"]),
             "quantity": line.get("quantity"), "unit": line.get("unit", ""), "cost_cny": line["cost_cny"]}
            for line in summary["lines"]]
    rows.append({"line": "total", "name": _("Total"), "quantity": None, "unit": "", "cost_cny": summary["total_cny"]})
    versions = [f"{t['name']} ({t['valid_from']:%Y-%m-%d}{', ' + _('provisional') if t['provisional'] else ''})"
                for t in summary["tariff_versions"]]
    notes = [_("Tariff versions used: %(v)s") % {"v": "; ".join(versions)} if versions
             else _("No electricity tariff is recorded: the cost covers only priced carriers.")]
    if summary["unpriced_meters"]:
        notes.append(_("Meters without a price (not in the total): %(m)s")
                     % {"m": ", ".join(summary["unpriced_meters"])})
    return {"rows": rows, "notes": notes, "total_cny": summary["total_cny"]}
