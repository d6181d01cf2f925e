"""Source texts name the published document, not the team's internal reference file (DOMAIN.md §N): rewrite the
rows loaded by 0002/0006. [read]/[check] marks and provisional flags are kept as they are."""

from django.db import migrations


def rewrite(apps, schema_editor):
    from carbon.reference_data import published_source

    FactorSet = apps.get_model("carbon", "FactorSet")
    for fs in FactorSet.objects.filter(source__contains="DOMAIN.md"):
        lead = ", ".join(x for x in (fs.publisher, fs.name, fs.announcement) if x)
        fs.source = published_source(fs.source, lead=lead)[:300]
        fs.save(update_fields=["source"])
    Factor = apps.get_model("carbon", "EmissionFactor")
    for f in Factor.objects.filter(source__contains="DOMAIN.md").select_related("factor_set"):
        f.source = published_source(f.source, lead=f.factor_set.publisher)[:300]
        f.save(update_fields=["source"])
    Coefficient = apps.get_model("carbon", "EnergyCoefficient")
    for c in Coefficient.objects.filter(source__contains="DOMAIN.md"):
        c.source = published_source(c.source, lead=c.edition)[:300]
        c.save(update_fields=["source"])


class Migration(migrations.Migration):
    dependencies = [("carbon", "0007_merge_20261206_1136")]
    operations = [migrations.RunPython(rewrite, migrations.RunPython.noop)]
