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


BOUNDARY_NAMES = {"cradle-to-gate": _("cradle-to-gate"), "gate-to-gate": _("gate-to-gate"),
                  "mixed": _("mixed: cradle-to-gate where upstream data exists, otherwise gate-to-gate")}


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


#: Province-level divisions (first two digits of GB/T 2260) by their names in each report language.
PROVINCES = {
    "11": ("北京市", "Beijing"), "12": ("天津市", "Tianjin"), "13": ("河北省", "Hebei"), "14": ("山西省", "Shanxi"),
    "15": ("内蒙古自治区", "Inner Mongolia"), "21": ("辽宁省", "Liaoning"), "22": ("吉林省", "Jilin"),
    "23": ("黑龙江省", "Heilongjiang"), "31": ("上海市", "Shanghai"), "32": ("江苏省", "Jiangsu"),
    "33": ("浙江省", "Zhejiang"), "34": ("安徽省", "Anhui"), "35": ("福建省", "Fujian"), "36": ("江西省", "Jiangxi"),
    "37": ("山东省", "Shandong"), "41": ("河南省", "Henan"), "42": ("湖北省", "Hubei"), "43": ("湖南省", "Hunan"),
    "44": ("广东省", "Guangdong"), "45": ("广西壮族自治区", "Guangxi"), "46": ("海南省", "Hainan"),
    "50": ("重庆市", "Chongqing"), "51": ("四川省", "Sichuan"), "52": ("贵州省", "Guizhou"), "53": ("云南省", "Yunnan"),
    "54": ("西藏自治区", "Tibet"), "61": ("陕西省", "Shaanxi"), "62": ("甘肃省", "Gansu"), "63": ("青海省", "Qinghai"),
    "64": ("宁夏回族自治区", "Ningxia"), "65": ("新疆维吾尔自治区", "Xinjiang"),
}

GRID_REGION_NAMES = {"north": _("North China grid"), "northeast": _("Northeast China grid"),
                     "east": _("East China grid"), "central": _("Central China grid"),
                     "northwest": _("Northwest China grid"), "south": _("China Southern grid"),
                     "southwest": _("Southwest China grid"), "national": _("national grid")}


def _zh() -> bool:
    from django.utils.translation import get_language

    return (get_language() or "").startswith("zh")


def province_name(code: str) -> str:
    names = PROVINCES.get(code[:2])
    return code if names is None else names[0 if _zh() else 1]


def localized(zh: str, en: str) -> str:
    """The Chinese or English text of a reference row that stores both (process factors)."""
    return zh if _zh() else en


def published_factor_source(*, kind: str, carrier: str, geography: str, data_year: int | None, set_name: str,
                            publisher: str, purpose: str, measured: bool = False) -> str:
    """The published source of an emission factor, named in the report's language: the announcement for grid
    factors (with the province or grid region), the guideline for fuel and heat defaults."""
    if measured:
        return str(_("enterprise measurement, lab report %(n)s; measured values take precedence over defaults "
                     "(GB/T 32150-2015)") % {"n": set_name})
    if kind == "grid_electricity":
        if purpose == "compliance":
            return str(_("MEE compliance grid emission factor for key-emitter reporting (%(name)s)")
                       % {"name": set_name})
        where = (province_name(geography) if geography[:2].isdigit()
                 else str(GRID_REGION_NAMES.get(geography, geography)))
        if data_year is None:
            return where
        return str(_("%(where)s average, data year %(year)s: MEE/NBS announcement on the %(year)s electricity CO2 "
                     "emission factors") % {"where": where, "year": data_year})
    if kind == "fuel":
        return str(_("Sector GHG accounting guidelines (GB/T 32151 series), fuel default values"))
    if kind in ("heat", "steam"):
        return str(_("GB/T 32150-2015 default for purchased heat, 0.11 tCO2/GJ"))
    return set_name or publisher
