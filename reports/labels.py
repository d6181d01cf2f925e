"""Translated display names of energy carriers and emission sources in reports (codes stay in JSON/CSV keys)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

CARRIER_NAMES = {
    "electricity": _("electricity"), "pv_generation": _("on-site PV generation"),
    "green_electricity": _("green electricity"), "raw_coal": _("raw coal"), "washed_coal": _("washed coal"),
    "coke": _("coke"), "natural_gas": _("natural gas"), "coke_oven_gas": _("coke-oven gas"),
    "fuel_oil": _("fuel oil"), "diesel": _("diesel"), "gasoline": _("gasoline"), "lpg": _("LPG"),
    "steam": _("steam"), "heat": _("heat"), "water": _("new water"), "compressed_air": _("compressed air"),
    "oxygen": _("oxygen"),
}

LEVEL_NAMES = {"enterprise": _("enterprise (level 1)"), "sub_unit": _("secondary unit (level 2)"),
               "equipment": _("main equipment (level 3)")}

YOY_NAMES = {"energy_tce": _("Comprehensive energy consumption"),
             "energy_per_value_added": _("Energy per value added"), "total_tco2": _("Total emissions"),
             "carbon_intensity": _("Carbon intensity")}


METHOD_NAMES = {"equivalent": _("equivalent (calorific) value"), "equal_value": _("equal value (generation-based)")}


ALLOCATION_NAMES = {"mass": _("by output share (mass)"), "economic": _("by economic value"),
                    "energy": _("by metered energy of production units")}


THRESHOLD_NAMES = {"provincial": _("provincial green factory"), "national": _("national green factory")}


def carrier_name(code: str) -> str:
    return str(CARRIER_NAMES.get(code, code))


def source_name(source: str) -> str:
    """An emission line's source: a carrier code, or 'process: <description>'."""
    if source.startswith("process: "):
        return str(_("process: %(d)s") % {"d": source.removeprefix("process: ")})
    return carrier_name(source)


#: English names of the GB/T 36132 first-level groups (the indicator sets store the Chinese names).
GROUP_NAMES_EN = {"能源低碳化": "Low-carbon energy", "资源高效化": "Efficient resources",
                  "生产洁净化": "Clean production", "产品绿色化": "Green products",
                  "用地集约化": "Intensive land use", "基础设施": "Infrastructure",
                  "管理体系": "Management system", "能源与资源投入": "Energy and resource input", "产品": "Products",
                  "环境排放": "Environmental emissions", "绩效": "Performance"}


#: Display labels of units (the unit keys stay internal: formatting rounds by key, JSON/CSV carry the key).
UNIT_LABELS = {"10^4 CNY": _("10^4 CNY"), "tce/10^4 CNY": _("tce/10^4 CNY"), "tCO2/10^4 CNY": _("tCO2/10^4 CNY"),
               "kWh/site": _("kWh/site"), "ratio": "%", "m3": "m³", "10^4 m3": "10⁴ m³", "kgce/m3": "kgce/m³",
               "kgce/10^4 m3": "kgce/10⁴ m³", "Nm3": "Nm³", "kgce/Nm3": "kgce/Nm³",
               "GJ/10^4 m3": "GJ/10⁴ m³", "GJ/10^4 Nm3": "GJ/10⁴ Nm³", "MJ/m3": "MJ/m³", "kJ/m3": "kJ/m³",
               "tCO2/10^4 m3": "tCO2/10⁴ m³", "tCO2/10^4 Nm3": "tCO2/10⁴ Nm³"}


def unit_label(unit: object) -> object:
    """The printed label of a unit key ('tce/10^4 CNY' → 'tce/万元' in Chinese; a share 'ratio' → '%'); other
    units and non-unit values unchanged."""
    if isinstance(unit, str) and unit in UNIT_LABELS:
        return str(UNIT_LABELS[unit])
    return unit


def is_share(unit: object) -> bool:
    """A share (unit key 'ratio') prints as a percentage: 0.0509 → 5.09 %."""
    return unit == "ratio"
