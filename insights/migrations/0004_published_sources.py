"""Source texts name the published document, not the team's internal reference file (DOMAIN.md §N): rewrite the
rows loaded by 0002. [read]/[check] marks and provisional flags are kept as they are."""

from django.db import migrations


def rewrite(apps, schema_editor):
    from carbon.reference_data import published_source

    for model in ("BenchmarkReference", "QualityCriterion"):
        Model = apps.get_model("insights", model)
        for row in Model.objects.filter(source__contains="DOMAIN.md"):
            row.source = published_source(row.source)
            row.save(update_fields=["source"])


class Migration(migrations.Migration):
    dependencies = [("insights", "0003_daily_temperature")]
    operations = [migrations.RunPython(rewrite, migrations.RunPython.noop)]
