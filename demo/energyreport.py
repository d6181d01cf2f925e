"""Demo data of the rolling mill's energy-utilisation report: main equipment, coal stocks and reasons for changes per
carrier, metering points per GB 17167 level (natural gas has no sub-unit or equipment meter: the deliberate
non-compliance), meter accuracy classes and calibration dates (one meter overdue, one class not recorded), a savings
project, a site target and a limit standard for hot-rolled coil.

The hot-rolled coil's standard is a demo row, labelled so: GB 21256-2013 covers sintering, pelletising, blast furnace
and converter processes, not rolling, and no national rolling-mill limit could be verified; the national rows loaded
by the reports migration (GB 21256, GB 16780, GB 21346) stay untouched."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from carbon.models import Target
from insights.models import SavingsProject
from meters.models import Carrier, Meter
from plants.models import Product, Site
from reports.models import CarrierYear, LimitStandard, MainEquipment, MeteringPoints, ProductLimit

EQUIPMENT = [
    # name, model, carrier, units, rated kW, year, efficiency note, in the elimination catalogue
    ("步进式加热炉 Walking-beam reheating furnace", "BJL-260t/h", Carrier.NATURAL_GAS, 1, "52000", 2012,
     "热效率 62 %（2025 年热平衡测试）", False),
    ("热连轧主电机 Hot strip mill main drives", "YJK-8000", Carrier.ELECTRICITY, 6, "8000", 2012, "IE3", False),
    ("棒材轧机电机 Bar mill drives", "YR-1250", Carrier.ELECTRICITY, 18, "1250", 2014, "IE2", False),
    ("燃煤蒸汽锅炉 Coal-fired steam boiler", "SZL20-1.25", Carrier.RAW_COAL, 1, "14000", 2010,
     "热效率 78 %", False),
    ("空压机 Air compressors", "LG-40/8", Carrier.ELECTRICITY, 4, "250", 2009, "能效 3 级", True),
    ("循环水泵 Circulating water pumps", "S500-590", Carrier.ELECTRICITY, 6, "400", 2012, "能效 2 级", False),
]

REASONS = {
    2025: {Carrier.ELECTRICITY: "热轧产量增加 4 %，轧线节电改造未完成。",
           Carrier.NATURAL_GAS: "加热炉热装热送比例下降，单耗上升。",
           Carrier.RAW_COAL: "冬季采暖期延长一个月。",
           Carrier.WATER: "循环水系统补水量增加（冷却塔检修）。",
           Carrier.PV_GENERATION: "屋顶光伏全年运行。"},
    2026: {Carrier.ELECTRICITY: "空压站变频改造投运，压缩空气系统电耗下降；产量持平。",
           Carrier.NATURAL_GAS: "加热炉余热回收投运，煤气单耗下降。",
           Carrier.RAW_COAL: "锅炉负荷降低，部分蒸汽由余热锅炉替代。",
           Carrier.WATER: "冷却塔检修完成，补水量恢复正常。",
           Carrier.PV_GENERATION: "光伏组件清洗频次提高。"},
}
COAL_STOCK = {2025: ("850", "620"), 2026: ("620", "900")}  # t at the start and end of the year

#: metering points to be metered per carrier and level: electricity complete; natural gas feeds the furnace and the
#: canteen but has only the boundary meter (0 of 2 at sub-unit and equipment level: not compliant)
POINTS = [(Carrier.ELECTRICITY, Meter.Level.ENTERPRISE, 1), (Carrier.ELECTRICITY, Meter.Level.SUB_UNIT, 3),
          (Carrier.ELECTRICITY, Meter.Level.EQUIPMENT, 2), (Carrier.NATURAL_GAS, Meter.Level.ENTERPRISE, 1),
          (Carrier.NATURAL_GAS, Meter.Level.SUB_UNIT, 2), (Carrier.NATURAL_GAS, Meter.Level.EQUIPMENT, 2),
          (Carrier.RAW_COAL, Meter.Level.ENTERPRISE, 1), (Carrier.WATER, Meter.Level.ENTERPRISE, 1),
          # boiler coal is weighed once, at the boundary scale feeding the only boiler: no further metering point
          (Carrier.RAW_COAL, Meter.Level.SUB_UNIT, 0), (Carrier.RAW_COAL, Meter.Level.EQUIPMENT, 0)]


def demo_energy_report(*, site: Site) -> None:
    """Idempotent per site (update_or_create / get_or_create)."""
    for name, model, carrier, n, kw, year, note, obsolete in EQUIPMENT:
        MainEquipment.objects.update_or_create(site=site, name=name, defaults={
            "model": model, "carrier": carrier, "quantity": n, "rated_power_kw": Decimal(kw),
            "commissioned_year": year, "efficiency_note": note, "obsolete": obsolete})
    for year, reasons in REASONS.items():
        for carrier, reason in reasons.items():
            stock = COAL_STOCK[year] if carrier == Carrier.RAW_COAL else (None, None)
            CarrierYear.objects.update_or_create(site=site, year=year, carrier=carrier, defaults={
                "change_reason": reason, "opening_stock": stock[0] and Decimal(stock[0]),
                "closing_stock": stock[1] and Decimal(stock[1])})
    for carrier, level, points in POINTS:
        MeteringPoints.objects.update_or_create(site=site, carrier=carrier, level=level, defaults={"points": points})
    # one meter overdue for calibration, one without a recorded accuracy class
    Meter.objects.filter(site=site, code="RM-COAL").update(accuracy_class="1.0", last_calibration=dt.date(2024, 11, 1),
                                                           next_calibration=dt.date(2025, 11, 1))
    Meter.objects.filter(site=site, code="RM-E-AUX").update(accuracy_class="")
    if not SavingsProject.objects.filter(site=site, name__startswith="空压站变频").exists():
        SavingsProject.objects.create(
            site=site, name="空压站变频改造 Air-compressor VFD retrofit (demo)", kind="energy_saving",
            commissioned_on=dt.date(2025, 7, 1), expected_savings_tce_per_year=Decimal("160"),
            expected_reduction_tco2_per_year=Decimal("520"), investment_10k_cny=Decimal("180"),
            description="Demo project: expected savings are illustrative.")
    standard, _ = LimitStandard.objects.update_or_create(
        standard="演示限额 DEMO", product_zh="热轧钢材（演示）", indicator_zh="热轧工序单位产品能耗",
        defaults={"title": "演示用热轧工序能耗限额 Demo hot-rolling limit", "product_en": "hot-rolled steel (demo)",
                  "indicator_en": "energy per tonne of hot-rolled product", "unit": "kgce/t",
                  "limit_value": Decimal("36"), "access_value": Decimal("32"), "advanced_value": Decimal("28"),
                  "source": "演示数值，仅用于展示对比，不是国家标准 (demo values for showing the comparison, not a "
                            "national standard)", "provisional": True})
    Target.objects.get_or_create(
        enterprise=site.enterprise, site=site, indicator=Target.Indicator.ENERGY_PER_VALUE_ADDED,
        defaults={"baseline_year": 2025, "target_year": 2030, "reduction_pct": Decimal("13.5"),
                  "note": "厂区目标：单位增加值能耗较 2025 年下降 13.5 % (demo)"})
    hrc = Product.objects.filter(site=site, code="HRC").first()
    if hrc is not None:
        ProductLimit.objects.update_or_create(product=hrc, defaults={"standard": standard})
