"""Reference values found in /work/shared/DOMAIN.md, and nothing else.

DOMAIN.md §5 has data-centre PUE values only; it gives no national energy-consumption limit, access or advanced values
per product and no green-factory baseline or leading values (GB/T 36132: "[check] — make them data an administrator
can load and edit"). Those are left for administrators to add in the admin, with their source.
"""

from decimal import Decimal

from django.db import migrations

DC = "data_center"
PUE_ROWS = [
    # (kind, label, value, source, edition, provisional)
    ("policy", "new large data centre", "1.30", "National data-centre policy: new large data centres PUE < 1.3 "
     "(DOMAIN.md §5 [read])", "", False),
    ("policy", "national hub node", "1.25", "National data-centre policy: national hub nodes PUE < 1.25 "
     "(DOMAIN.md §5 [read])", "", False),
    ("policy", "national average by end-2025", "1.50", "National data-centre action plan: national average PUE < 1.5 "
     "by end-2025 (DOMAIN.md §5 [read])", "", False),
    ("grade", "grade 1", "1.20", "GB 40879-2021 energy-efficiency grades (DOMAIN.md §5 [check])", "GB 40879-2021",
     True),
    ("grade", "grade 2", "1.30", "GB 40879-2021 energy-efficiency grades (DOMAIN.md §5 [check])", "GB 40879-2021",
     True),
    ("grade", "grade 3", "1.50", "GB 40879-2021 energy-efficiency grades (DOMAIN.md §5 [check])", "GB 40879-2021",
     True),
]
CRITERIA = [("cv_rmse", "15"), ("nmbe", "5")]


def load(apps, schema_editor):
    Reference = apps.get_model("insights", "BenchmarkReference")
    Criterion = apps.get_model("insights", "QualityCriterion")
    for kind, label, value, source, edition, provisional in PUE_ROWS:
        Reference.objects.get_or_create(
            indicator="pue", site_kind=DC, kind=kind, label=label, enterprise=None,
            defaults={"value": Decimal(value), "unit": "ratio", "source": source, "edition": edition,
                      "provisional": provisional})
    for statistic, limit in CRITERIA:
        Criterion.objects.get_or_create(statistic=statistic, defaults={
            "max_abs_pct": Decimal(limit), "provisional": True,
            "source": "ASHRAE Guideline 14, monthly models: CV(RMSE) ≤ 15 %, NMBE within ±5 % (DOMAIN.md §7 [check])"})


def unload(apps, schema_editor):
    apps.get_model("insights", "BenchmarkReference").objects.filter(enterprise=None, indicator="pue").delete()
    apps.get_model("insights", "QualityCriterion").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("insights", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
