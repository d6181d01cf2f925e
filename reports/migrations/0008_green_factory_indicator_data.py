"""Full green-factory indicator sets: GB/T 36132-2018 (six groups, second-level indicators, performance indicators)
and GB/T 36132-2025 (the five first-level indicators with second-level indicators, baseline and leading values).

Group weights, second-level lists and reference values that could not be checked against a copy of the standard are
loaded PROVISIONAL (flag on each row) for an administrator to confirm or replace per industry; the 2025 first-level
indicators, the 2018 groups and the 2018 performance indicators named in the standard are not provisional as
indicators, but their weights and reference values are, which is why those rows carry the flag too.
Rows are updated in place by code so entered values keep their indicator; an old placeholder with no entries is
removed.
"""

from django.db import migrations

S2018 = "GB/T 36132-2018《绿色工厂评价通则》"
S2025 = "GB/T 36132-2025《绿色工厂评价通则》"
GRADING = ("工业和信息化部《绿色工厂梯度培育及管理暂行办法》；评分门槛（省级 80 分、国家级 90 分）为暂定值，"
           "以省级工业和信息化主管部门发布的评价细则为准")

# name, name_en, weight, description zh, description en
G2018 = [
    ("基础设施", "Infrastructure", 20, "厂房建筑、照明、专用及通用设备、计量设备和污染物处理设施的绿色化水平。",
     "Buildings, lighting, special and general equipment, metering and pollution-treatment facilities."),
    ("管理体系", "Management system", 15, "质量、职业健康安全、环境、能源管理体系的建立与运行，社会责任报告。",
     "Quality, occupational health and safety, environmental and energy management systems; CSR report."),
    ("能源与资源投入", "Energy and resource input", 15, "用能结构优化、可再生能源利用、资源节约与绿色采购。",
     "Energy mix, renewable energy, resource saving and green purchasing."),
    ("产品", "Products", 10, "生态设计、有害物质限制、节能、碳足迹与可回收利用。",
     "Eco-design, hazardous substances, energy saving, carbon footprint and recyclability."),
    ("环境排放", "Environmental emissions", 10, "大气、水体污染物，固体废物，噪声与温室气体排放的控制与核算。",
     "Air and water pollutants, solid waste, noise and greenhouse-gas emissions."),
    ("绩效", "Performance", 30, "用地集约化、原料无害化、生产洁净化、废物资源化、能源低碳化的量化绩效。",
     "Quantified performance: land, materials, clean production, waste recovery, low-carbon energy."),
]
G2025 = [
    ("能源低碳化", "Low-carbon energy", 30, "单位产品能耗与碳排放、可再生能源利用、单位工业增加值能耗与碳排放。",
     "Energy and carbon per unit of product, renewable energy, energy and carbon per value added."),
    ("资源高效化", "Efficient resources", 30, "取水、水重复利用、固体废物综合利用与原材料消耗。",
     "Water withdrawal and reuse, solid-waste utilisation, raw-material consumption."),
    ("生产洁净化", "Clean production", 15, "主要污染物与废水的产生及回用。",
     "Generation of main pollutants and wastewater, wastewater reuse."),
    ("产品绿色化", "Green products", 15, "绿色产品产值占比与绿色物料使用。",
     "Share of green products in output value, green materials."),
    ("用地集约化", "Intensive land use", 10, "容积率、建筑密度与单位用地面积产值。",
     "Floor-area ratio, building density and output per unit of land."),
]
# group, subgroup, code, zh, en, unit, weight, direction, baseline, leading, source, metric, mandatory, provisional
L, H = "lower_is_better", "higher_is_better"
I2018 = [
    ("基础设施", "建筑", "I1", "厂房建筑满足节材、节能、节水、节地、无害化及可再生能源利用要求",
     "Buildings meet material, energy, water and land saving requirements", "%", 6, H, 60, 100, "entered", "", 1, 1),
    ("基础设施", "照明", "I2", "充分利用自然光，采用节能灯具，分级设计照明", "Daylight, efficient and zoned lighting",
     "%", 4, H, 60, 100, "entered", "", 1, 1),
    ("基础设施", "设备设施", "I3", "专用及通用设备符合产业准入与能效标准", "Equipment meets admission and efficiency "
     "standards", "%", 4, H, 60, 100, "entered", "", 1, 1),
    ("基础设施", "计量设备", "I4", "按 GB 17167 配备能源计量器具", "Energy meters equipped per GB 17167", "%", 3, H,
     60, 100, "entered", "", 1, 1),
    ("基础设施", "污染物处理设备设施", "I5", "污染物处理设施处理能力与排放相适应", "Pollution-treatment capacity "
     "matches discharges", "%", 3, H, 60, 100, "entered", "", 1, 1),
    ("管理体系", "质量管理体系", "M1", "建立、实施并保持质量管理体系（GB/T 19001）", "Quality management system "
     "(GB/T 19001)", "%", 3, H, 60, 100, "entered", "", 1, 1),
    ("管理体系", "职业健康安全管理体系", "M2", "建立、实施并保持职业健康安全管理体系（GB/T 45001）",
     "Occupational health and safety management system (GB/T 45001)", "%", 3, H, 60, 100, "entered", "", 1, 1),
    ("管理体系", "环境管理体系", "M3", "建立、实施并保持环境管理体系（GB/T 24001）", "Environmental management system "
     "(GB/T 24001)", "%", 3, H, 60, 100, "entered", "", 1, 1),
    ("管理体系", "能源管理体系", "M4", "建立、实施并保持能源管理体系（GB/T 23331）", "Energy management system "
     "(GB/T 23331)", "%", 4, H, 60, 100, "entered", "", 1, 1),
    ("管理体系", "社会责任", "M5", "每年发布社会责任报告", "Annual social-responsibility report", "%", 2, H, 60, 100,
     "entered", "", 0, 1),
    ("能源与资源投入", "能源投入", "N1", "优化用能结构，利用可再生能源、余热余压", "Energy mix, renewables, waste "
     "heat and pressure", "%", 5, H, 60, 100, "entered", "", 1, 1),
    ("能源与资源投入", "资源投入", "N2", "减少材料使用，以无害原料替代有害原料", "Less material, harmless substitutes",
     "%", 5, H, 60, 100, "entered", "", 1, 1),
    ("能源与资源投入", "采购", "N3", "制定并实施绿色采购要求", "Green purchasing requirements", "%", 5, H, 60, 100,
     "entered", "", 1, 1),
    ("产品", "生态设计", "P1", "开展产品生态设计", "Product eco-design", "%", 3, H, 60, 100, "entered", "", 0, 1),
    ("产品", "有害物质使用", "P2", "产品有害物质限制使用", "Hazardous substances restricted", "%", 2, H, 60, 100,
     "entered", "", 1, 1),
    ("产品", "节能", "P3", "用能产品能效达到相关标准", "Energy-using products meet efficiency standards", "%", 2, H, 60,
     100, "entered", "", 1, 1),
    ("产品", "减碳", "P4", "开展产品碳足迹核算（GB/T 24067）", "Product carbon footprint (GB/T 24067)", "%", 2, H, 60,
     100, "entered", "", 0, 1),
    ("产品", "可回收利用率", "P5", "提高产品可回收利用率", "Product recyclability", "%", 1, H, 60, 100, "entered", "",
     0, 1),
    ("环境排放", "大气污染物", "V1", "大气污染物排放符合标准及总量控制要求", "Air pollutants within limits", "%", 2, H,
     60, 100, "entered", "", 1, 1),
    ("环境排放", "水体污染物", "V2", "水体污染物排放符合标准及总量控制要求", "Water pollutants within limits", "%", 2,
     H, 60, 100, "entered", "", 1, 1),
    ("环境排放", "固体废物", "V3", "固体废物依法处置，危险废物交有资质单位", "Solid and hazardous waste disposed "
     "lawfully", "%", 2, H, 60, 100, "entered", "", 1, 1),
    ("环境排放", "噪声", "V4", "厂界环境噪声符合 GB 12348", "Boundary noise within GB 12348", "%", 2, H, 60, 100,
     "entered", "", 1, 1),
    ("环境排放", "温室气体", "V5", "按 GB/T 32150 核算温室气体排放并公布", "GHG accounted per GB/T 32150 and "
     "disclosed", "%", 2, H, 60, 100, "entered", "", 1, 1),
    ("绩效", "用地集约化", "K1", "容积率", "Floor-area ratio", "", 3, H, "0.6", "1.2", "entered", "", 1, 1),
    ("绩效", "用地集约化", "K2", "建筑密度", "Building density", "%", 3, H, 30, 40, "entered", "", 1, 1),
    ("绩效", "用地集约化", "K3", "单位用地面积产值", "Output value per unit of land", "万元/亩", 3, H, 300, 600,
     "entered", "", 1, 1),
    ("绩效", "原料无害化", "K4", "绿色物料使用率", "Green material use rate", "%", 2, H, 10, 50, "entered", "", 0, 1),
    ("绩效", "生产洁净化", "K5", "单位产品主要污染物产生量", "Main pollutants per unit of product", "kg/t", 3, L,
     "0.50", "0.20", "entered", "", 1, 1),
    ("绩效", "生产洁净化", "K6", "单位产品废水产生量", "Wastewater per unit of product", "m³/t", 1, L, "0.50", "0.20",
     "entered", "", 1, 1),
    ("绩效", "废物资源化", "K7", "单位产品主要原材料消耗量", "Main raw material per unit of product", "t/t", 2, L,
     "1.10", "1.03", "entered", "", 1, 1),
    ("绩效", "废物资源化", "K8", "工业固体废物综合利用率", "Industrial solid-waste comprehensive utilisation", "%",
     3, H, 70, 95, "entered", "", 1, 1),
    ("绩效", "废物资源化", "K9", "废水处理回用率", "Treated wastewater reuse rate", "%", 2, H, 60, 90, "entered", "",
     0, 1),
    ("绩效", "废物资源化", "K12", "单位产品取水量", "Water withdrawal per unit of product", "t/t", 1, L, "2.0", "1.0",
     "computed", "water_per_unit_product", 0, 1),
    ("绩效", "能源低碳化", "K10", "单位产品综合能耗", "Comprehensive energy per unit of product", "kgce/t", 4, L, 60,
     45, "computed", "energy_per_unit_product", 1, 1),
    ("绩效", "能源低碳化", "K11", "单位产品碳排放量", "CO₂ emissions per unit of product", "kgCO₂/t", 3, L, 200, 120,
     "computed", "carbon_per_unit_product", 1, 1),
]
I2025 = [
    ("能源低碳化", "能源消耗", "E1", "单位产品综合能耗", "Comprehensive energy per unit of product", "kgce/t", 8, L, 60,
     45, "computed", "energy_per_unit_product", 1, 1),
    ("能源低碳化", "碳排放", "E2", "单位产品碳排放量", "CO₂ emissions per unit of product", "kgCO₂/t", 8, L, 200, 120,
     "computed", "carbon_per_unit_product", 1, 1),
    ("能源低碳化", "可再生能源", "E3", "可再生能源使用比例", "Renewable electricity share", "%", 6, H, 5, 30,
     "computed", "renewable_share", 1, 1),
    ("能源低碳化", "能源消耗", "E4", "单位工业增加值综合能耗", "Energy per value added", "tce/万元", 4, L, "0.50",
     "0.20", "computed", "energy_per_value_added", 0, 1),
    ("能源低碳化", "碳排放", "E5", "单位工业增加值碳排放量", "CO₂ per value added", "tCO₂/万元", 4, L, "1.00", "0.40",
     "computed", "carbon_per_value_added", 0, 1),
    ("资源高效化", "水资源", "R1", "单位产品取水量", "Water withdrawal per unit of product", "t/t", 8, L, "2.0", "1.0",
     "computed", "water_per_unit_product", 1, 1),
    ("资源高效化", "水资源", "R2", "水重复利用率", "Water reuse rate", "%", 7, H, 60, 90, "entered", "", 1, 1),
    ("资源高效化", "固体废物", "R3", "工业固体废物综合利用率", "Industrial solid-waste comprehensive utilisation", "%",
     8, H, 70, 95, "entered", "", 1, 1),
    ("资源高效化", "原材料", "R4", "单位产品主要原材料消耗量", "Main raw material per unit of product", "t/t", 7, L,
     "1.10", "1.03", "entered", "", 1, 1),
    ("生产洁净化", "污染物", "C1", "单位产品主要污染物产生量", "Main pollutants per unit of product", "kg/t", 6, L,
     "0.50", "0.20", "entered", "", 1, 1),
    ("生产洁净化", "废水", "C2", "单位产品废水产生量", "Wastewater per unit of product", "m³/t", 4, L, "0.50", "0.20",
     "entered", "", 1, 1),
    ("生产洁净化", "废水", "C3", "废水处理回用率", "Treated wastewater reuse rate", "%", 5, H, 60, 90, "entered", "",
     0, 1),
    ("产品绿色化", "绿色产品", "P1", "绿色产品产值占比", "Green products' share of output value", "%", 8, H, 10, 50,
     "entered", "", 1, 1),
    ("产品绿色化", "绿色物料", "P2", "绿色物料使用率", "Green material use rate", "%", 7, H, 10, 50, "entered", "", 0,
     1),
    ("用地集约化", "容积率", "L1", "容积率", "Floor-area ratio", "", 4, H, "0.6", "1.2", "entered", "", 1, 1),
    ("用地集约化", "建筑密度", "L2", "建筑密度", "Building density", "%", 3, H, 30, 40, "entered", "", 1, 1),
    ("用地集约化", "用地产出", "L3", "单位用地面积产值", "Output value per unit of land", "万元/亩", 3, H, 300, 600,
     "entered", "", 1, 1),
]
# code, zh, en, provisional
R2018 = [
    ("B1", "依法设立，遵守国家和地方法律法规、标准和政策", "Lawfully established; complies with laws, standards and "
     "policies", 1),
    ("B2", "近三年（成立不足三年的自成立起）无较大及以上安全、环保、质量事故", "No major safety, environmental or "
     "quality accident in the last three years", 1),
    ("B3", "对利益相关方的环境要求作出承诺", "Commitment to stakeholders' environmental requirements", 1),
    ("B4", "最高管理者对绿色工厂建设作出承诺并提供资源", "Top management commits to and resources the green factory",
     1),
    ("B5", "设有绿色工厂管理机构，制定中长期规划及年度目标", "Green-factory organisation, long-term plan and annual "
     "targets", 1),
    ("B6", "开展绿色制造相关培训", "Green-manufacturing training", 1),
]
R2025 = R2018 + [
    ("B7", "具备碳排放管理能力（核算、监测与管理制度）", "Carbon-management capability (accounting, monitoring, "
     "procedures)", 0),
    ("B8", "开展绿色供应链管理", "Green supply-chain management", 0),
    ("B9", "依法披露环境信息", "Environmental information disclosure", 0),
]
SETS = {"GB/T 36132-2018": (S2018, G2018, I2018, R2018), "GB/T 36132-2025": (S2025, G2025, I2025, R2025)}


def load(apps, schema_editor):
    IndicatorSet = apps.get_model("reports", "IndicatorSet")
    Indicator = apps.get_model("reports", "Indicator")
    BasicRequirement = apps.get_model("reports", "BasicRequirement")
    for edition, (src, groups, rows, reqs) in SETS.items():
        s = IndicatorSet.objects.filter(edition=edition, industry_prefix="").order_by("pk").first()
        if s is None:
            s = IndicatorSet(edition=edition, industry_prefix="")
        s.name = "通用（暂定值）"
        s.provisional = True
        s.source = f"{src}；权重与基准值、引领值为暂定值，待按行业确认"
        s.thresholds = {"provincial": 80, "national": 90}
        s.thresholds_source = GRADING
        s.groups = [{"name": n, "name_en": en, "weight": w, "description_zh": dz, "description_en": de}
                    for n, en, w, dz, de in groups]
        s.save()
        codes = set()
        for i, (g, sub, code, zh, en, unit, w, d, b, lv, source, metric, mand, prov) in enumerate(rows):
            codes.add(code)
            Indicator.objects.update_or_create(
                indicator_set=s, code=code,
                defaults={"group": g, "subgroup": sub, "name_zh": zh, "name_en": en, "unit": unit, "weight": w,
                          "direction": d, "baseline_value": b, "leading_value": lv, "source": source,
                          "metric_key": metric, "mandatory": bool(mand), "provisional": bool(prov), "order": i + 1,
                          "reference": src})
        for ind in Indicator.objects.filter(indicator_set=s).exclude(code__in=codes):
            if not ind.entries.exists():
                ind.delete()
            else:  # keep entered values; the retired indicator no longer scores
                ind.weight = 0
                ind.order = 999
                ind.save()
        rcodes = set()
        for code, zh, en, prov in reqs:
            rcodes.add(code)
            BasicRequirement.objects.update_or_create(
                indicator_set=s, code=code,
                defaults={"text_zh": zh, "text_en": en, "provisional": bool(prov), "reference": f"{src} 基本要求"})
        BasicRequirement.objects.filter(indicator_set=s, entries__isnull=True).exclude(code__in=rcodes).delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0007_green_factory_site_entries")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
