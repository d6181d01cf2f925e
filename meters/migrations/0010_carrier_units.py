"""Units of measure and the units allowed per carrier, as data, with a default plausibility limit per reading.

Sizes are exact unit definitions (1 t = 1,000 kg, 1 MWh = 1,000 kWh, 1 GJ = 1,000 MJ, 10^4 m3 = 10,000 m3). The
default limits are deliberately generous bounds that no single reading of a real meter reaches (issue #13: values
such as 1e308 were accepted); a meter's own `max_reading` tightens them.
"""

from decimal import Decimal

import django.db.models.deletion
from django.db import migrations, models

# (code, dimension, size in the dimension's base unit)
UNITS = [
    ("kWh", "electrical energy", "1"), ("MWh", "electrical energy", "1000"),
    # Reactive energy (power-factor metering, costs): an electricity unit of its own dimension, never converted to tce.
    ("kvarh", "reactive energy", "1"), ("Mvarh", "reactive energy", "1000"),
    ("kg", "mass", "1"), ("t", "mass", "1000"),
    ("m3", "volume", "1"), ("10^4 m3", "volume", "10000"),
    ("MJ", "heat", "1"), ("GJ", "heat", "1000"),
]
ELECTRIC = {"kWh": "1e10", "MWh": "1e7"}
REACTIVE = {"kvarh": "1e10", "Mvarh": "1e7"}
SOLID_LIQUID = {"t": "1e7", "kg": "1e10"}
GAS = {"m3": "1e11", "10^4 m3": "1e7"}
# carrier -> {unit: default max reading}
CARRIER_UNITS = {
    "electricity": {**ELECTRIC, **REACTIVE}, "pv_generation": ELECTRIC, "green_electricity": ELECTRIC,
    "raw_coal": SOLID_LIQUID, "washed_coal": SOLID_LIQUID, "coke": SOLID_LIQUID,
    "fuel_oil": SOLID_LIQUID, "diesel": SOLID_LIQUID, "gasoline": SOLID_LIQUID, "lpg": SOLID_LIQUID,
    "natural_gas": GAS, "coke_oven_gas": GAS,
    "heat": {"GJ": "1e8", "MJ": "1e11"},
    "steam": {"t": "1e7"},
    "water": {"t": "1e9"},
    "compressed_air": {"m3": "1e11"}, "oxygen": {"m3": "1e11"},
}


def load(apps, schema_editor):
    MeasurementUnit = apps.get_model("meters", "MeasurementUnit")
    CarrierUnit = apps.get_model("meters", "CarrierUnit")
    for code, dimension, size in UNITS:
        MeasurementUnit.objects.create(code=code, dimension=dimension, base_factor=Decimal(size))
    for carrier, units in CARRIER_UNITS.items():
        for unit, limit in units.items():
            CarrierUnit.objects.create(carrier=carrier, unit_id=unit, default_max_reading=Decimal(limit))


class Migration(migrations.Migration):

    dependencies = [
        ('meters', '0009_rollover_modulus'),
    ]

    operations = [
        migrations.AddField(
            model_name='meter',
            name='max_reading',
            field=models.DecimalField(blank=True, decimal_places=4, help_text="The largest plausible value of one reading in the meter's unit (an interval's quantity, or the register's value); empty: the default of the carrier's unit. Larger readings are refused (implausible_value).", max_digits=24, null=True, verbose_name='plausibility limit of one reading'),
        ),
        migrations.CreateModel(
            name='MeasurementUnit',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=10, unique=True, verbose_name='unit')),
                ('dimension', models.CharField(max_length=30, verbose_name='dimension')),
                ('base_factor', models.DecimalField(decimal_places=6, help_text="1 of this unit = this many of the dimension's base unit.", max_digits=24, verbose_name="size in the dimension's base unit")),
            ],
            options={
                'verbose_name': 'unit of measure',
                'verbose_name_plural': 'units of measure',
                'ordering': ['dimension', 'base_factor'],
                'constraints': [models.CheckConstraint(condition=models.Q(('base_factor__gt', 0)), name='unit_base_factor_positive')],
            },
        ),
        migrations.CreateModel(
            name='CarrierUnit',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('carrier', models.CharField(choices=[('electricity', 'electricity (purchased)'), ('pv_generation', 'on-site PV generation'), ('green_electricity', 'purchased green electricity'), ('raw_coal', 'raw coal'), ('washed_coal', 'washed coal'), ('coke', 'coke'), ('natural_gas', 'natural gas'), ('coke_oven_gas', 'coke-oven gas'), ('fuel_oil', 'fuel oil'), ('diesel', 'diesel'), ('gasoline', 'gasoline'), ('lpg', 'LPG'), ('steam', 'steam'), ('heat', 'heat'), ('water', 'new water'), ('compressed_air', 'compressed air'), ('oxygen', 'oxygen')], max_length=30, verbose_name='energy carrier')),
                ('default_max_reading', models.DecimalField(decimal_places=4, help_text="The largest value one reading can plausibly have in this unit: an interval meter's quantity of one interval, a cumulative register's value.", max_digits=24, verbose_name='default plausibility limit of one reading')),
                ('unit', models.ForeignKey(db_column='unit', on_delete=django.db.models.deletion.PROTECT, related_name='carriers', to='meters.measurementunit', to_field='code')),
            ],
            options={
                'verbose_name': 'allowed unit of a carrier',
                'verbose_name_plural': 'allowed units of carriers',
                'ordering': ['carrier', 'unit'],
                'constraints': [models.UniqueConstraint(fields=('carrier', 'unit'), name='carrier_unit_unique')],
            },
        ),
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
