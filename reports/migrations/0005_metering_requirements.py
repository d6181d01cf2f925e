"""GB 17167-2006 required equipping rates by carrier and level (DOMAIN.md §6 table)."""

from django.db import migrations

# DOMAIN.md §6: (platform carriers, enterprise, sub-unit, main equipment)
ROWS = [
    (["electricity"], 100, 100, 95),
    (["raw_coal", "washed_coal", "coke"], 100, 100, 90),
    (["diesel", "gasoline"], 100, 100, 95),
    (["fuel_oil"], 100, 100, 90),
    (["natural_gas", "lpg"], 100, 100, 90),
    (["coke_oven_gas"], 100, 90, 80),
    (["steam"], 100, 80, 70),
    (["water"], 100, 95, 80),
]


def load(apps, schema_editor):
    M = apps.get_model("reports", "MeteringRequirement")
    M.objects.bulk_create([M(carrier=c, level=lvl, required_rate_pct=rate)
                           for carriers, ent, sub, eq in ROWS for c in carriers
                           for lvl, rate in (("enterprise", ent), ("sub_unit", sub), ("equipment", eq))])


def unload(apps, schema_editor):
    apps.get_model("reports", "MeteringRequirement").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0004_meteringrequirement")]
    operations = [migrations.RunPython(load, unload)]
