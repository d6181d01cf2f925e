"""National energy-consumption limit standards of products as reference data. None of the values was read in a copy of
the standard: every row is provisional until an administrator confirms it against the published text."""

import datetime as dt

from django.db import migrations

SUMMARY = "values from a published summary of the standard, not verified against the standard's text"
ROWS = [
    # standard, title, product zh/en, indicator zh/en, unit, limit, access, advanced, in force, replaced, source note
    ("GB 21346-2013", "电解铝企业单位产品能源消耗限额", "电解铝（铝锭）", "primary aluminium (ingot)",
     "铝锭综合能源单耗", "comprehensive energy per tonne of aluminium ingot", "kgce/t", "1760", "1680", "1660",
     None, dt.date(2023, 12, 31), SUMMARY + "; replaced by GB 21346-2022 (grades 1/2/3, values not loaded)"),
    ("GB 21346-2013", "电解铝企业单位产品能源消耗限额", "电解铝（铝液）", "primary aluminium (liquid)",
     "铝液交流电耗", "AC electricity per tonne of liquid aluminium", "kWh/t", "13700", "12750", "12650",
     None, dt.date(2023, 12, 31), SUMMARY + "; replaced by GB 21346-2022 (grades 1/2/3, values not loaded)"),
    ("GB 16780", "水泥单位产品能源消耗限额", "水泥熟料（≥4000 t/d）", "cement clinker (≥ 4,000 t/d lines)",
     "可比熟料综合能耗", "comparable comprehensive energy per tonne of clinker", "kgce/t", "128", "118", "114",
     None, None, SUMMARY + "; edition not confirmed"),
    ("GB 21256-2013", "粗钢生产主要工序单位产品能源消耗限额", "烧结工序", "sintering", "烧结工序单位产品能耗",
     "energy per tonne of sinter", "kgce/t", None, None, None, dt.date(2014, 10, 1), None,
     "values not loaded (no published source at hand): enter them from the standard"),
    ("GB 21256-2013", "粗钢生产主要工序单位产品能源消耗限额", "高炉工序", "blast furnace", "高炉工序单位产品能耗",
     "energy per tonne of hot metal", "kgce/t", None, None, None, dt.date(2014, 10, 1), None,
     "values not loaded (no published source at hand): enter them from the standard"),
    ("GB 21256-2013", "粗钢生产主要工序单位产品能源消耗限额", "球团工序", "pelletising", "球团工序单位产品能耗",
     "energy per tonne of pellets", "kgce/t", None, None, None, dt.date(2014, 10, 1), None,
     "values not loaded: enter them from the standard"),
    ("GB 21256-2013", "粗钢生产主要工序单位产品能源消耗限额", "转炉工序", "basic oxygen furnace",
     "转炉工序单位产品能耗", "energy per tonne of converter steel", "kgce/t", None, None, None,
     dt.date(2014, 10, 1), None, "values not loaded: enter them from the standard"),
]


def load(apps, schema_editor):
    from decimal import Decimal

    limit_standard = apps.get_model("reports", "LimitStandard")
    for (std, title, pzh, pen, izh, ien, unit, lim, acc, adv, frm, to, note) in ROWS:
        limit_standard.objects.update_or_create(
            standard=std, product_zh=pzh, indicator_zh=izh,
            defaults={"title": title, "product_en": pen, "indicator_en": ien, "unit": unit,
                      "limit_value": lim and Decimal(lim), "access_value": acc and Decimal(acc),
                      "advanced_value": adv and Decimal(adv), "valid_from": frm, "valid_to": to,
                      "source": f"{std} {title}; {note}", "provisional": True})


class Migration(migrations.Migration):
    dependencies = [("reports", "0010_energy_report_data")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
