"""A provisional national power-factor table (0.90) and a provisional Hebei time-of-use calendar."""

from django.db import migrations


def load(apps, schema_editor):
    from costs.reference_data import load_reference

    load_reference(apps)


class Migration(migrations.Migration):
    dependencies = [("costs", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
