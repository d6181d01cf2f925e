"""History (issue #13): GB/T 2589-2008 coefficients as their own edition, the heating value behind each coefficient,
equal-value electricity rates per year from 2006 (provisional), and the earlier grid factors DOMAIN.md cites."""

import datetime as dt
from decimal import Decimal

from django.db import migrations


def load(apps, schema_editor):
    from carbon import reference_data as ref

    Coefficient = apps.get_model("carbon", "EnergyCoefficient")
    FactorSet = apps.get_model("carbon", "FactorSet")
    Factor = apps.get_model("carbon", "EmissionFactor")
    national = Coefficient.objects.filter(enterprise__isnull=True, method="equivalent")
    for carrier, ncv in ref.COEFFICIENT_NCV_KJ.items():
        national.filter(carrier=carrier, edition=ref.EDITION_2020, ncv_kj__isnull=True).update(ncv_kj=Decimal(ncv))

    valid_from, valid_to = ref.EDITION_2008_VALID
    if not Coefficient.objects.filter(edition=ref.EDITION_2008).exists():
        # DOMAIN.md §1: the 2008 edition publishes the same values for these carriers [check, compare row by row],
        # so every 2008 row is provisional until compared with a copy of the standard.
        for carrier, value, unit, _provisional, note in ref.COEFFICIENTS:
            ncv = ref.COEFFICIENT_NCV_KJ.get(carrier)
            Coefficient.objects.create(
                carrier=carrier, method="equivalent", coefficient=Decimal(value), coefficient_unit=unit,
                valid_from=valid_from, valid_to=valid_to, edition=ref.EDITION_2008, provisional=True,
                ncv_kj=Decimal(ncv) if ncv else None, source=f"{ref.GBT2589_2008}: {note} [check]")

    for year, rate in ref.EQUAL_VALUE_RATES.items():
        if Coefficient.objects.filter(carrier="electricity", method="equal_value", year=year,
                                      enterprise__isnull=True).exists():
            continue
        for carrier in ("electricity", "pv_generation", "green_electricity"):
            Coefficient.objects.create(
                carrier=carrier, method="equal_value", coefficient=Decimal(rate), coefficient_unit="kgce/kWh",
                year=year, valid_from=dt.date(year, 1, 1), valid_to=dt.date(year, 12, 31), provisional=True,
                edition=f"equal value {year} 供电标准煤耗", source=f"{year} {ref.EQUAL_VALUE_SOURCE}")

    for year, (value, provisional, note) in ref.EARLIER_NATIONAL_GRID.items():
        fs, created = FactorSet.objects.get_or_create(
            name=f"National grid emission factor, data year {year}", version=f"{year}",
            defaults={"publisher": ref.MEE, "data_year": year, "provisional": provisional,
                      "source": f"DOMAIN.md §3: {note}"})
        if created:
            Factor.objects.create(factor_set=fs, kind="grid_electricity", carrier="electricity", geography="national",
                                  basis="average", value=Decimal(value), activity_unit="MWh", provisional=provisional,
                                  source=f"{note}, DOMAIN.md §3")
    for version, year in ref.COMPLIANCE_DATA_YEARS.items():
        FactorSet.objects.filter(purpose="compliance", version=version, data_year__isnull=True).update(data_year=year)


class Migration(migrations.Migration):
    dependencies = [("carbon", "0005_coefficient_history")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
