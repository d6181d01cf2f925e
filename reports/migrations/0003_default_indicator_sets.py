"""Default green-factory indicator sets (GB/T 36132-2025 "new five", GB/T 36132-2018 six groups).

DOMAIN.md §4: exact weights and reference values per industry are [check]; every value below is PROVISIONAL, a
generic placeholder for an administrator to replace per industry. 2018 group weights 20/15/15/10/10/30 [check].
"""

from django.db import migrations

SRC = "DOMAIN.md §4 — provisional placeholder values, to be replaced per industry"
# (group, code, zh, en, unit, weight, direction, baseline, leading, source, metric)
E2025 = [
    ("能源低碳化", "E1", "可再生能源使用比例", "Renewable electricity share", "ratio", 20, "higher_is_better",
     "0.05", "0.30", "computed", "renewable_share"),
    ("能源低碳化", "E2", "单位工业增加值综合能耗", "Energy per value added", "tce/10^4 CNY", 20, "lower_is_better",
     "0.50", "0.20", "computed", "energy_per_value_added"),
    ("资源高效化", "R1", "水重复利用率", "Water reuse rate", "ratio", 15, "higher_is_better", "0.60", "0.90",
     "entered", ""),
    ("生产洁净化", "C1", "单位工业增加值碳排放量", "Carbon per value added", "tCO2/10^4 CNY", 15,
     "lower_is_better", "1.00", "0.40", "computed", "carbon_per_value_added"),
    ("产品绿色化", "P1", "绿色产品产值占比", "Green product output share", "ratio", 15, "higher_is_better", "0.10",
     "0.50", "entered", ""),
    ("用地集约化", "L1", "单位用地面积产值", "Output per unit of land", "10^4 CNY/m2", 15, "higher_is_better",
     "0.50", "1.50", "entered", ""),
]
E2018 = [
    ("基础设施", "I1", "基础设施评价得分", "Infrastructure score", "%", 20, "higher_is_better", "60", "100",
     "entered", ""),
    ("管理体系", "M1", "管理体系评价得分", "Management system score", "%", 15, "higher_is_better", "60", "100",
     "entered", ""),
    ("能源与资源投入", "N1", "能源与资源投入评价得分", "Energy and resource input score", "%", 15,
     "higher_is_better", "60", "100", "entered", ""),
    ("产品", "P1", "产品评价得分", "Products score", "%", 10, "higher_is_better", "60", "100", "entered", ""),
    ("环境排放", "V1", "环境排放评价得分", "Environmental emissions score", "%", 10, "higher_is_better", "60", "100",
     "entered", ""),
    ("绩效", "K1", "单位工业增加值综合能耗", "Energy per value added", "tce/10^4 CNY", 15, "lower_is_better",
     "0.50", "0.20", "computed", "energy_per_value_added"),
    ("绩效", "K2", "单位工业增加值碳排放量", "Carbon per value added", "tCO2/10^4 CNY", 15, "lower_is_better",
     "1.00", "0.40", "computed", "carbon_per_value_added"),
]
REQ = {
    "GB/T 36132-2025": [("B1", "依法设立，近三年无重大安全、环境、质量事故", "Lawfully established, no major "
                         "accidents in three years"),
                        ("B2", "具备碳排放管理能力", "Carbon-management capability"),
                        ("B3", "绿色供应链管理与信息披露", "Green supply chain management and disclosure")],
    "GB/T 36132-2018": [("B1", "依法设立，近三年无重大安全、环境、质量事故", "Lawfully established, no major "
                         "accidents in three years"),
                        ("B2", "建立能源管理体系", "Energy management system in place")],
}


def load(apps, schema_editor):
    IndicatorSet = apps.get_model("reports", "IndicatorSet")
    Indicator = apps.get_model("reports", "Indicator")
    BasicRequirement = apps.get_model("reports", "BasicRequirement")
    for edition, rows in (("GB/T 36132-2025", E2025), ("GB/T 36132-2018", E2018)):
        s = IndicatorSet.objects.create(edition=edition, industry_prefix="", name="generic (provisional)",
                                        provisional=True, source=SRC,
                                        thresholds={"provincial": 80, "national": 90})
        Indicator.objects.bulk_create([
            Indicator(indicator_set=s, group=g, code=c, name_zh=zh, name_en=en, unit=u, weight=w, direction=d,
                      baseline_value=b, leading_value=lv, source=src, metric_key=m, provisional=True)
            for g, c, zh, en, u, w, d, b, lv, src, m in rows])
        BasicRequirement.objects.bulk_create([BasicRequirement(indicator_set=s, code=c, text_zh=zh, text_en=en)
                                              for c, zh, en in REQ[edition]])


def unload(apps, schema_editor):
    apps.get_model("reports", "IndicatorSet").objects.filter(source=SRC).delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0002_indicatorset_indicator_basicrequirement_and_more")]
    operations = [migrations.RunPython(load, unload)]
