"""Load the sector guidelines' process-emission factors (carbon.reference_data.PROCESS_FACTORS, provisional where
unverified) and mark the measured fuel properties entered before the MRV review existed as confirmed (they were
already used in the emissions)."""

from decimal import Decimal

from django.db import migrations


def load(apps, schema_editor):
    from carbon import reference_data as ref

    ProcessFactor = apps.get_model("carbon", "ProcessFactor")
    for (sector, code, name_zh, name_en, direction, gas, value, unit, formula, src_zh, src_en,
         provisional) in ref.PROCESS_FACTORS:
        ProcessFactor.objects.update_or_create(
            sector=sector, code=code, gas=gas,
            defaults={"name_zh": name_zh, "name_en": name_en, "direction": direction, "value": Decimal(value),
                      "activity_unit": unit, "gwp": Decimal(ref.GWP[gas]), "gwp_source": ref.GWP_SOURCE_EN,
                      "formula": formula, "source_zh": src_zh, "source_en": src_en, "provisional": provisional})
    apps.get_model("carbon", "MeasuredFuelProperty").objects.update(review_status="confirmed")


class Migration(migrations.Migration):
    dependencies = [("carbon", "0009_mrv_process_activity")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
