"""The register rollover value is the modulus (the value at which the register returns to zero), as the rollup
always computed it; values entered under the old help text as the largest display (all nines) get one more step."""

from decimal import Decimal

from django.db import migrations, models


def modulus_of(value: Decimal) -> Decimal:
    """99999.9 → 100000.0, 9999999 → 10000000; any other value (1000000, 12345) is kept as the modulus it was."""
    normalized = value.normalize()
    sign, digits, exponent = normalized.as_tuple()
    if sign or not digits or exponent > 0 or any(d != 9 for d in digits):  # exponent > 0: 999000, not a display max
        return value
    return value + Decimal(1).scaleb(exponent)


def forwards(apps, schema_editor):
    Meter = apps.get_model("meters", "Meter")
    for meter in Meter.objects.filter(rollover_value__isnull=False).only("pk", "rollover_value"):
        modulus = modulus_of(meter.rollover_value)
        if modulus != meter.rollover_value:
            Meter.objects.filter(pk=meter.pk).update(rollover_value=modulus)


class Migration(migrations.Migration):

    dependencies = [
        ("meters", "0008_import_job_shared_upload_fields"),
    ]

    operations = [
        migrations.AlterField(
            model_name="meter",
            name="rollover_value",
            field=models.DecimalField(
                blank=True, decimal_places=4, max_digits=20, null=True, verbose_name="register rollover modulus",
                help_text="The value at which the register returns to zero: the largest value it can show plus one "
                          "step of its resolution (a register showing at most 99,999.9 has 100,000). Across a wrap "
                          "the consumption is new + modulus − previous, times the multiplier.",
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
