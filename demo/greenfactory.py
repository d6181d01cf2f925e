"""Demo green-factory data of the rolling mill: profile, entered indicators with evidence files (solid waste, land,
water reuse …) and basic requirements for 2025 (GB/T 36132-2018, one requirement failed so the gate shows) and 2026
(GB/T 36132-2025, all met)."""

from __future__ import annotations

from decimal import Decimal

from django.core.files.base import ContentFile

from plants.models import Site
from reports.greenfactory import indicator_set_for
from reports.models import GreenFactoryProfile, Indicator, IndicatorEntry, RequirementEntry

#: entered values by indicator name (the same names in both editions) and the evidence behind them
VALUES = {
    "容积率": ("0.92", "规划许可证及测绘报告", "land-survey-report.pdf"),
    "建筑密度": ("38.5", "规划许可证及测绘报告", "land-survey-report.pdf"),
    "单位用地面积产值": ("468.0", "统计年报（产值）与土地证（占地 560 亩）", "land-certificate.pdf"),
    "工业固体废物综合利用率": ("91.2", "固体废物管理台账（氧化铁皮、废钢全部回用）", "solid-waste-ledger.xlsx"),
    "水重复利用率": ("96.3", "水平衡测试报告", "water-balance-test.pdf"),
    "废水处理回用率": ("82.0", "污水处理站运行记录", "wastewater-records.pdf"),
    "单位产品主要原材料消耗量": ("1.045", "钢坯消耗统计（成材率 95.7 %）", "billet-yield.xlsx"),
    "单位产品主要污染物产生量": ("0.180", "排污许可执行报告（颗粒物、SO₂、NOx）", "emission-permit-report.pdf"),
    "单位产品废水产生量": ("0.260", "排污许可执行报告", "emission-permit-report.pdf"),
    "绿色产品产值占比": ("22.0", "绿色设计产品证书", "green-product-certificate.jpg"),
    "绿色物料使用率": ("18.0", "采购台账", "purchase-ledger.xlsx"),
}
SELF_SCORE = "85"  # 2018 qualitative items: self-assessed score rate %, evidence: management-system certificates


def _file(name: str, text: str) -> ContentFile:
    return ContentFile(f"Demo evidence: {text}\n".encode(), name=name)


def demo_green_factory(*, site: Site) -> None:
    """Idempotent per site and year (update_or_create)."""
    ent = site.enterprise
    for year in (2025, 2026):
        GreenFactoryProfile.objects.update_or_create(site=site, year=year, defaults={
            "address": "河北省唐山市路北区", "legal_representative": "张建国", "contact_name": "李明",
            "contact_phone": "0315-0000000", "employees": 1260, "land_area_m2": Decimal("373520"),
            "enterprise_overview": "冀东精轧钢铁有限公司主营热轧卷板和螺纹钢，下设轧钢厂、数据中心和基站群。",
            "plant_overview": "唐山轧钢厂 2012 年投产，热轧车间（加热炉、热轧线）和棒材车间两条生产线，屋顶光伏；"
                              "能源品种为电力、天然气、锅炉用煤和新水。",
            "improvement_plan": "1. 扩建屋顶光伏并采购绿电，提高可再生能源比例；2. 加热炉余热回收改造，降低单位产品"
                                "综合能耗；3. 完善碳排放管理制度和供应商环境要求。"})
        iset = indicator_set_for(enterprise=ent, year=year)
        for ind in iset.indicators.filter(source=Indicator.Source.ENTERED, weight__gt=0):
            value, text, fname = VALUES.get(ind.name_zh, (SELF_SCORE, "管理体系认证证书及现场照片",
                                                          "certificates-and-photos.pdf"))
            entry, _ = IndicatorEntry.objects.update_or_create(
                site=site, year=year, indicator=ind,
                defaults={"enterprise": ent, "value": Decimal(value), "evidence": text})
            if not entry.evidence_file:
                entry.evidence_file.save(f"{year}-{fname}", _file(fname, text), save=True)
        for req in iset.requirements.all():
            failed = year == 2025 and req.code == "B2"
            RequirementEntry.objects.update_or_create(
                site=site, year=year, requirement=req,
                defaults={"enterprise": ent, "passed": not failed,
                          "evidence": "2025 年 3 月发生一起较大突发环境事件（已整改）" if failed else "自评价核查记录"})
