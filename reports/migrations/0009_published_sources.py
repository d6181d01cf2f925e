"""Source texts name the published document, not the team's internal reference file (DOMAIN.md §N): rewrite the
rows loaded by 0003/0005 and the metering requirement's default. Provisional flags are kept as they are."""

from django.db import migrations, models


def rewrite(apps, schema_editor):
    from carbon.reference_data import published_source

    IndicatorSet = apps.get_model("reports", "IndicatorSet")
    for s in IndicatorSet.objects.filter(source__contains="DOMAIN.md"):
        s.source = published_source(s.source)
        s.save(update_fields=["source"])
    for s in IndicatorSet.objects.filter(thresholds_source__contains="DOMAIN.md"):
        s.thresholds_source = published_source(s.thresholds_source)
        s.save(update_fields=["thresholds_source"])
    Requirement = apps.get_model("reports", "MeteringRequirement")
    for r in Requirement.objects.filter(source__contains="DOMAIN.md"):
        r.source = published_source(r.source)
        r.save(update_fields=["source"])


class Migration(migrations.Migration):
    dependencies = [("reports", "0008_green_factory_indicator_data")]
    operations = [
        migrations.AlterField(model_name="meteringrequirement", name="source",
                              field=models.CharField(default="GB 17167-2006", max_length=200, verbose_name="source")),
        migrations.RunPython(rewrite, migrations.RunPython.noop),
    ]
