"""Reference coefficients and emission factors loaded by data migrations, transcribed from shared/DOMAIN.md with the
sources and marks given there. Rows marked [check] there are loaded as provisional."""

from __future__ import annotations

import datetime as dt
import re

GBT2589 = "GB/T 2589-2020 综合能耗计算通则"
GBT2589_2008B = "GB/T 2589-2008 Annex B, reference values"

# (carrier, coefficient, unit, provisional, note)
COEFFICIENTS = [
    ("raw_coal", "0.7143", "kgce/kg", False, "raw coal 20,908 kJ/kg"),
    ("washed_coal", "0.9000", "kgce/kg", False, "washed coal 26,344 kJ/kg"),
    ("coke", "0.9714", "kgce/kg", False, "coke 28,435 kJ/kg"),
    ("fuel_oil", "1.4286", "kgce/kg", False, "crude oil, fuel oil 41,816 kJ/kg"),
    ("gasoline", "1.4714", "kgce/kg", False, "gasoline, kerosene 43,070 kJ/kg"),
    ("diesel", "1.4571", "kgce/kg", False, "diesel 42,652 kJ/kg"),
    ("lpg", "1.7143", "kgce/kg", False, "LPG 50,179 kJ/kg"),
    # Natural gas: 1.1000–1.3300 kgce/m3; gas-field default 1.2143 [code]; a supplier's measured value replaces it.
    ("natural_gas", "1.2143", "kgce/m3", True, "natural gas, gas-field default; use the supplier's measured value"),
    ("coke_oven_gas", "0.5714", "kgce/m3", True, "coke-oven gas, lower end of 0.5714–0.6143"),
    ("electricity", "0.1229", "kgce/kWh", False, "electricity, equivalent value 3,600 kJ/kWh"),
    ("pv_generation", "0.1229", "kgce/kWh", False, "electricity, equivalent value 3,600 kJ/kWh"),
    ("green_electricity", "0.1229", "kgce/kWh", False, "electricity, equivalent value 3,600 kJ/kWh"),
    ("heat", "0.03412", "kgce/MJ", False, "heat 34.12 kgce/GJ"),
    ("steam", "0.1286", "kgce/kg", True, "low-pressure steam 3,763 MJ/t [check]"),
    ("water", "0.0857", "kgce/t", True, "new water (2008 Annex B) [check]"),
    ("compressed_air", "0.0400", "kgce/m3", True, "compressed air (2008 Annex B) [check]"),
    ("oxygen", "0.4000", "kgce/m3", True, "oxygen (2008 Annex B) [check]"),
]

MEE = "Ministry of Ecology and Environment / National Bureau of Statistics"

# National grid factors (tCO2/MWh): data year -> (announced, average, excl. market non-fossil, fossil only). §3 [read]
NATIONAL_GRID = {
    2021: ("2024-04", "0.5568", None, "0.8426"),
    2022: ("2024-12", "0.5366", "0.5856", "0.8325"),
    2023: ("2026-01", "0.5306", "0.6096", "0.8273"),
}

GRID_REGIONS = ["north", "northeast", "east", "central", "northwest", "south", "southwest"]
REGIONAL_GRID = {  # §3 [read]
    2022: ["0.6776", "0.5564", "0.5617", "0.5395", "0.5857", "0.3869", "0.2268"],
    2023: ["0.6361", "0.5122", "0.5500", "0.5271", "0.5543", "0.4042", "0.2472"],
}
PROVINCIAL_GRID_2022 = {"13": "0.7252", "14": "0.7096", "12": "0.7041", "63": "0.1567", "51": "0.1404",
                        "53": "0.1073"}  # Hebei, Shanxi, Tianjin, Qinghai, Sichuan, Yunnan §3 [read]

# Compliance factors for key-emitter reporting: (name, value, mark-provisional, note)
COMPLIANCE_GRID = [
    ("2022 national grid average (compliance, 2023–2025 reporting)", "0.5703", False, "[code]"),
    ("earlier compliance notice", "0.5810", True, "[check]"),
    ("2015 factor (older templates)", "0.6101", False, "[read]"),
]

# Fuel defaults §2 [code]: carrier, fuel name, NCV, NCV unit (activity unit), CC tC/TJ, OF
FUELS = [
    ("raw_coal", "bituminous coal 烟煤 (default for raw coal)", "23.204", "t", "26.18", "0.93"),
    ("washed_coal", "washed coal 洗精煤", "26.344", "t", "25.40", "0.93"),
    ("coke", "coke 焦炭", "28.446", "t", "29.40", "0.93"),
    ("fuel_oil", "fuel oil 燃料油", "40.19", "t", "21.10", "0.98"),
    ("gasoline", "gasoline 汽油", "44.80", "t", "18.90", "0.98"),
    ("diesel", "diesel 柴油", "43.33", "t", "20.20", "0.98"),
    ("lpg", "LPG 液化石油气", "47.31", "t", "17.20", "0.99"),
    ("natural_gas", "natural gas 天然气", "389.31", "10^4 m3", "15.30", "0.99"),
    ("coke_oven_gas", "coke-oven gas 焦炉煤气", "173.854", "10^4 m3", "13.60", "0.99"),
]

HEAT_FACTOR = "0.11"  # tCO2/GJ where no supplier value is available, §2 [read]
STEAM_GJ_PER_T = "3.763"  # low-pressure steam 3,763 MJ/t, §1 [check]

# Province (first two digits of GB/T 2260) -> regional grid, following the MEE regional grid division
# (华北, 东北, 华东, 华中, 西北, 南方, 西南). Inner Mongolia is split between North (west) and Northeast (east) in the
# MEE tables; it maps to North here. The division itself is not in DOMAIN.md: treat it as [check].
PROVINCE_GRID_REGION = {
    "11": "north", "12": "north", "13": "north", "14": "north", "37": "north", "15": "north",
    "21": "northeast", "22": "northeast", "23": "northeast",
    "31": "east", "32": "east", "33": "east", "34": "east", "35": "east",
    "41": "central", "42": "central", "43": "central", "36": "central",
    "61": "northwest", "62": "northwest", "63": "northwest", "64": "northwest", "65": "northwest",
    "44": "south", "45": "south", "46": "south", "52": "south", "53": "south",
    "50": "southwest", "51": "southwest", "54": "southwest",
}

COEFFICIENTS_VALID_FROM = dt.date(2021, 4, 1)  # GB/T 2589-2020 in force

# ---- History (issue #13): earlier editions, equal-value rates per year, earlier grid factors --------------------

GBT2589_2008 = "GB/T 2589-2008 综合能耗计算通则 (earlier years)"
EDITION_2020 = "GB/T 2589-2020"
EDITION_2008 = "GB/T 2589-2008"
EDITION_2008_VALID = (dt.date(2008, 6, 1), dt.date(2021, 3, 31))  # in force 2008-06-01 to 2021-03-31 [read]
#: Before 2008-06-01 (GB/T 2589-1990 was not transcribed): the earliest edition loaded is substituted, and the answer
#: says so. See docs/accounting.md, "Substitution rules".
HISTORY_FROM = dt.date(2006, 1, 1)

#: Net calorific value behind each GB/T 2589 coefficient, kJ per unit of the coefficient's denominator (§1 [read]).
#: Natural gas has no single published value in DOMAIN.md: 1.2143 kgce/m3 × 29,307 kJ/kgce = 35,587.4 kJ/m3 is the
#: value the gas-field default implies [check]. Steam 3,763 kJ/kg [check].
COEFFICIENT_NCV_KJ = {
    "raw_coal": "20908", "washed_coal": "26344", "coke": "28435", "fuel_oil": "41816", "gasoline": "43070",
    "diesel": "42652", "lpg": "50179", "natural_gas": "35587.4", "coke_oven_gas": "16726", "electricity": "3600",
    "pv_generation": "3600", "green_electricity": "3600", "steam": "3763",
}

#: Equal-value (等价值) electricity: the year's national average coal consumption of thermal power supply
#: (供电标准煤耗, China Electricity Council statistics), g/kWh → kgce/kWh. DOMAIN.md §1 gives the method [read] and
#: only approximate values ("about 0.315 in 2015 falling to about 0.30 in the early 2020s") [check]: every row is
#: loaded provisional until an enterprise confirms it against the published statistics. Later years are added by an
#: administrator when published.
EQUAL_VALUE_RATES = {
    2006: "0.367", 2007: "0.356", 2008: "0.345", 2009: "0.340", 2010: "0.333", 2011: "0.329", 2012: "0.325",
    2013: "0.321", 2014: "0.319", 2015: "0.315", 2016: "0.312", 2017: "0.309", 2018: "0.308", 2019: "0.306",
    2020: "0.3055", 2021: "0.3025", 2022: "0.3007",
}
#: The values are NOT verified against the published statistics (entered from a colleague's notes, not from a copy
#: of the source): every row is provisional and says so until an enterprise or an auditor confirms it.
EQUAL_VALUE_SOURCE = ("national average coal consumption of thermal power supply 供电标准煤耗 (China Electricity "
                      "Council yearly statistics); method per GB/T 2589; value unverified, provisional until "
                      "confirmed against the published statistics")

#: Earlier national grid factors (tCO2/MWh) that DOMAIN.md §3 cites: data year → (value, provisional, note).
EARLIER_NATIONAL_GRID = {2015: ("0.6101", False, "2015 national grid factor (older templates) [read]")}
#: Data years of the compliance factor sets (loaded in 0002 with versions c1..c3); 0.5810 has none we can cite.
COMPLIANCE_DATA_YEARS = {"c1": 2022, "c3": 2015}


_DOMAIN_PAREN = re.compile(r"\s*\(DOMAIN\.md §\d+(?:,\s*([^()\[\]]*?))?\s*(\[[a-z]+\])?\)")
_DOMAIN_TAIL = re.compile(r",\s*DOMAIN\.md §\d+\s*$")
_DOMAIN_LEAD = re.compile(r"^DOMAIN\.md §\d+\s*[:—-]?\s*")


def published_source(text: str, *, lead: str = "") -> str:
    """A source text without the internal reference to the team's DOMAIN.md (data migrations rewrite stored rows with
    it): '(DOMAIN.md §1)' is dropped, its [read]/[check] mark kept; a text that began with the reference begins with
    `lead` (the publisher or published document) instead."""

    def paren(m: re.Match[str]) -> str:
        return (f" ({m.group(1)})" if m.group(1) else "") + (f" {m.group(2)}" if m.group(2) else "")

    text = _DOMAIN_TAIL.sub("", _DOMAIN_PAREN.sub(paren, text))
    m = _DOMAIN_LEAD.match(text)
    if m:
        rest = text[m.end():]
        if not rest or rest.startswith("["):
            text = f"{lead} {rest}".strip()
        elif lead:
            text = f"{lead}: {rest}"
        else:
            text = rest[:1].upper() + rest[1:]
    return text


# ---- Process emissions (issue #16): sector-guideline factors, DOMAIN.md §10 [code; load factors as data] ---------
#: 100-year GWP values of the gases the sector guidelines account. The values are those of the IPCC Second Assessment
#: Report as tabulated in China's sector accounting guidelines; not verified against the guideline texts: [check].
GWP_SOURCE_EN = "IPCC Second Assessment Report (SAR), 100-year GWP, as tabulated in the sector guidelines [check]"
GWP_SOURCE_ZH = "IPCC第二次评估报告（SAR）100年全球变暖潜势，行业核算指南所列 [待核]"
GWP = {"CO2": "1", "CH4": "21", "N2O": "310", "CF4": "6500", "C2F6": "9200"}

_STEEL_ZH = "GB/T 32151.5-2015《温室气体排放核算与报告要求 第5部分：钢铁生产企业》缺省值"
_STEEL_EN = "GB/T 32151.5-2015 Requirements of GHG accounting and reporting, Part 5: iron and steel, default values"
_CEMENT_ZH = "GB/T 32151.8-2015《温室气体排放核算与报告要求 第8部分：水泥生产企业》"
_CEMENT_EN = "GB/T 32151.8-2015 Requirements of GHG accounting and reporting, Part 8: cement"
_ALU_ZH = "GB/T 32151.4-2015《温室气体排放核算与报告要求 第4部分：铝冶炼企业》缺省值"
_ALU_EN = "GB/T 32151.4-2015 Requirements of GHG accounting and reporting, Part 4: aluminium smelting, default values"
_GEN_ZH = "GB/T 32150-2015《工业企业温室气体排放核算和报告通则》"
_GEN_EN = "GB/T 32150-2015 General guideline of GHG emissions accounting and reporting for industrial enterprises"

#: (sector, code, name_zh, name_en, direction, gas, value t gas per unit, unit, formula, source_zh, source_en,
#: provisional). Stoichiometric values (limestone CaCO3 44/100) are derivations; every other default is [check]
#: until compared with the guideline's table.
PROCESS_FACTORS = [
    ("steel", "limestone", "石灰石", "limestone", "add", "CO2", "0.440", "t", "CaCO3 → CaO + CO2: 44/100",
     _STEEL_ZH, _STEEL_EN, True),
    ("steel", "dolomite", "白云石", "dolomite", "add", "CO2", "0.471", "t", "CaMg(CO3)2 decomposition",
     _STEEL_ZH, _STEEL_EN, True),
    ("steel", "electrode", "电极", "electrodes", "add", "CO2", "3.663", "t", "carbon content 99.9 % × 44/12",
     _STEEL_ZH, _STEEL_EN, True),
    ("steel", "purchased_pig_iron", "外购生铁", "purchased pig iron", "add", "CO2", "0.172", "t",
     "carbon content 4.7 % × 44/12", _STEEL_ZH, _STEEL_EN, True),
    ("steel", "direct_reduced_iron", "直接还原铁", "direct reduced iron", "add", "CO2", "0.073", "t",
     "carbon content 2 % × 44/12", _STEEL_ZH, _STEEL_EN, True),
    ("steel", "ferroalloy", "铁合金（铬铁）", "ferroalloy (ferrochrome)", "add", "CO2", "0.275", "t",
     "carbon content 7.5 % × 44/12", _STEEL_ZH, _STEEL_EN, True),
    ("steel", "crude_steel", "粗钢（固碳产品）", "crude steel (carbon fixed)", "subtract", "CO2", "0.0154", "t",
     "carbon content 0.42 % × 44/12", _STEEL_ZH, _STEEL_EN, True),
    ("steel", "pig_iron_output", "生铁（固碳产品）", "pig iron sold (carbon fixed)", "subtract", "CO2", "0.172", "t",
     "carbon content 4.7 % × 44/12", _STEEL_ZH, _STEEL_EN, True),
    ("cement", "clinker", "熟料煅烧", "clinker calcination", "add", "CO2", "0.525", "t",
     "(CaO share × 44/56 + MgO share × 44/40) per t clinker; default until the kiln's analysis is entered",
     _CEMENT_ZH, _CEMENT_EN, True),
    ("cement", "raw_meal_toc", "生料中非燃料碳", "organic carbon in raw meal", "add", "CO2", "0.003667", "t",
     "organic carbon 0.1 % × 44/12 per t raw meal", _CEMENT_ZH, _CEMENT_EN, True),
    ("aluminium", "anode", "阳极消耗", "anode consumption", "add", "CO2", "3.578667", "t",
     "(1 − sulphur 2 % − ash 0.4 %) × 44/12 per t net anode", _ALU_ZH, _ALU_EN, True),
    ("aluminium", "anode_effect_cf4", "阳极效应 CF4", "anode effect CF4", "add", "CF4", "0.000034", "t",
     "0.034 kg CF4 per t primary aluminium", _ALU_ZH, _ALU_EN, True),
    ("aluminium", "anode_effect_c2f6", "阳极效应 C2F6", "anode effect C2F6", "add", "C2F6", "0.0000034", "t",
     "0.0034 kg C2F6 per t primary aluminium", _ALU_ZH, _ALU_EN, True),
    ("general", "carbonate", "碳酸盐使用", "carbonate use", "add", "CO2", "0.440", "t",
     "CaCO3 → CaO + CO2: 44/100", _GEN_ZH, _GEN_EN, True),
    ("general", "biomass_pellets", "生物质成型燃料", "biomass pellets (biogenic CO2)", "memo", "CO2", "1.792", "t",
     "16 GJ/t × 112 kgCO2/GJ (IPCC 2006 default)", _GEN_ZH, _GEN_EN, True),
]

#: GB/T 4754 prefixes → sector guideline (used when no `GhgSectorSetting` row chooses one).
SECTOR_BY_INDUSTRY = [("C31", "steel"), ("C3011", "cement"), ("C3216", "aluminium")]
