"""Load the GB/T 2589-2020 coefficients and the emission factor sets of DOMAIN.md."""

from decimal import Decimal

from django.db import migrations


def load(apps, schema_editor):
    from carbon import reference_data as ref

    Coefficient = apps.get_model("carbon", "EnergyCoefficient")
    FactorSet = apps.get_model("carbon", "FactorSet")
    Factor = apps.get_model("carbon", "EmissionFactor")
    for carrier, value, unit, provisional, note in ref.COEFFICIENTS:
        source = ref.GBT2589_2008B if unit in ("kgce/t",) or carrier in ("compressed_air", "oxygen") else ref.GBT2589
        Coefficient.objects.create(carrier=carrier, method="equivalent", coefficient=Decimal(value),
                                   coefficient_unit=unit, valid_from=ref.COEFFICIENTS_VALID_FROM,
                                   source=f"{source}: {note}", edition="GB/T 2589-2020", provisional=provisional)

    for year, (announced, avg, excl, fossil) in ref.NATIONAL_GRID.items():
        fs = FactorSet.objects.create(
            name=f"National grid emission factors, data year {year}", version=f"{year}", publisher=ref.MEE,
            announcement=f"announced {announced}", data_year=year, source="DOMAIN.md §3 [read]")
        for basis, value in (("average", avg), ("excl_market_nonfossil", excl), ("fossil", fossil)):
            if value is not None:
                Factor.objects.create(factor_set=fs, kind="grid_electricity", carrier="electricity",
                                      geography="national", basis=basis, value=Decimal(value), activity_unit="MWh",
                                      source=f"{ref.MEE}, data year {year}, announced {announced}")
    for year, values in ref.REGIONAL_GRID.items():
        fs = FactorSet.objects.get(version=f"{year}", name__startswith="National grid")
        for region, value in zip(ref.GRID_REGIONS, values, strict=True):
            Factor.objects.create(factor_set=fs, kind="grid_electricity", carrier="electricity", geography=region,
                                  basis="average", value=Decimal(value), activity_unit="MWh",
                                  source=f"{ref.MEE}, regional grid average, data year {year}")
    fs = FactorSet.objects.get(version="2022", name__startswith="National grid")
    for province, value in ref.PROVINCIAL_GRID_2022.items():
        Factor.objects.create(factor_set=fs, kind="grid_electricity", carrier="electricity", geography=province,
                              basis="average", value=Decimal(value), activity_unit="MWh",
                              source=f"{ref.MEE}, provincial average, data year 2022")
    for i, (name, value, provisional, mark) in enumerate(ref.COMPLIANCE_GRID):
        cfs = FactorSet.objects.create(name=f"Compliance grid factor: {name}", version=f"c{i + 1}",
                                       publisher="MEE", purpose="compliance", provisional=provisional,
                                       source=f"DOMAIN.md §3 {mark}")
        Factor.objects.create(factor_set=cfs, kind="grid_electricity", carrier="electricity", geography="national",
                              basis="average", value=Decimal(value), activity_unit="MWh", provisional=provisional,
                              source=f"{name} {mark}")

    fuels = FactorSet.objects.create(name="Fuel combustion defaults (sector accounting guidelines)", version="1",
                                     publisher="NDRC/MEE sector GHG accounting guidelines",
                                     source="DOMAIN.md §2 fuel defaults [code]")
    for carrier, fuel, ncv, unit, cc, of in ref.FUELS:
        ncv_d, cc_d, of_d = Decimal(ncv), Decimal(cc), Decimal(of)
        value = (ncv_d * cc_d * of_d * Decimal(44) / Decimal(12) / Decimal(1000)).quantize(Decimal("0.000001"))
        Factor.objects.create(factor_set=fuels, kind="fuel", carrier=carrier, fuel_name=fuel, geography="national",
                              ncv_gj_per_unit=ncv_d, carbon_content_tc_per_tj=cc_d, oxidation_rate=of_d, value=value,
                              activity_unit=unit, source=f"{fuel}: NCV {ncv} GJ/{unit}, CC {cc} tC/TJ, OF {of}")
    heat = FactorSet.objects.create(name="Purchased heat and steam defaults", version="1",
                                    publisher="GB/T 32150-2015 / sector guidelines",
                                    source="DOMAIN.md §2: 0.11 tCO2/GJ [read]")
    Factor.objects.create(factor_set=heat, kind="heat", carrier="heat", geography="national",
                          value=Decimal(ref.HEAT_FACTOR), activity_unit="GJ", source="0.11 tCO2/GJ default [read]")
    steam_value = (Decimal(ref.STEAM_GJ_PER_T) * Decimal(ref.HEAT_FACTOR)).quantize(Decimal("0.000001"))
    Factor.objects.create(factor_set=heat, kind="steam", carrier="steam", geography="national", value=steam_value,
                          activity_unit="t", provisional=True,
                          source="3.763 GJ/t low-pressure steam [check] × 0.11 tCO2/GJ [read]")


class Migration(migrations.Migration):
    dependencies = [("carbon", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
