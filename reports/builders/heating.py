"""The heating-value disclosure every report prints: each fuel's heating value for energy (GB/T 2589) and for
emissions (the governing GHG guideline, or the month's measured value), each with its source."""

from __future__ import annotations

import re

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ..labels import carrier_name, unit_label
from . import Column, Section, Table

_CJK = re.compile(r"[\u4e00-\u9fff]")
_STANDARD = re.compile(r"^(GB|HJ|DB|ISO|IPCC)\b")


def source_text(text: str) -> str:
    """A source as the document's language words it: in Chinese, the parts naming the published document (Chinese
    titles and standard numbers), without the English remarks stored with the reference row."""
    if not (get_language() or "zh-hans").startswith("zh"):
        return text
    parts = [p.strip() for p in re.split(r"[:;：；]\s*", text) if p.strip()]
    kept = list(dict.fromkeys(p for p in parts if _CJK.search(p) or _STANDARD.match(p)))
    # "GB/T 2589-2020" followed by "GB/T 2589-2020 综合能耗计算通则": keep the longer one only
    kept = [p for p in kept if not any(q != p and q.startswith(p) for q in kept)]
    return "；".join(kept) or text


def emissions_source_text(guideline: str, source: str) -> str:
    """The source of a guideline default: in Chinese, the guideline named in Chinese with the fuel's Chinese name
    (the factor-set names are stored in English)."""
    if not (get_language() or "zh-hans").startswith("zh"):
        return f"{guideline}: {source}"
    fuel = "".join(_CJK_RUN.findall(source))
    return _("GHG accounting guideline default") + (f"（{fuel}）" if fuel else "")


_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


def heating_values_section(rows: list[dict], substitutions: list[str] | None = None) -> Section:
    """`rows`: `carbon.emissions.heating_values` / the KPI answer's `heating_values`."""
    table = Table(
        [Column("carrier_name", _("Fuel")), Column("purpose", _("Purpose")),
         Column("ncv", _("Net calorific value")), Column("unit", _("Unit")), Column("source", _("Source of the value")),
         Column("provisional", _("Provisional"))],
        [row for h in rows for row in (
            [[carrier_name(h["carrier"]), _("energy (standard coal)"), h["energy"]["ncv"],
              unit_label(h["energy"]["unit"]), source_text(f"{h['energy']['edition']}: {h['energy']['source']}"),
              h["energy"]["provisional"]],
             [carrier_name(h["carrier"]), _("emissions (guideline default)"), h["emissions"]["ncv"],
              unit_label(h["emissions"]["unit"]),
              emissions_source_text(h["emissions"]["guideline"], h["emissions"]["source"]),
              h["emissions"]["provisional"]]]
            + [[carrier_name(h["carrier"]), _("emissions, measured %(m)s") % {"m": m["month"]},
                m["ncv"], unit_label(m["unit"]), _("lab report %(n)s") % {"n": m["lab_report_number"]}, False]
               for m in h["measured"]])],
    )
    notes = [_("%(fuel)s: the energy and emissions heating values differ; each purpose uses the source that governs "
               "it.") % {"fuel": carrier_name(h["carrier"])} for h in rows if h["differ"]]
    notes += [_("Substituted: %(s)s") % {"s": s} for s in substitutions or []]
    return Section("heating_values", _("Heating values and coefficients used"), [table], notes)
