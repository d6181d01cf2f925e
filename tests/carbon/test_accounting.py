"""Hand-worked accounting examples: tce conversion, emissions, intensities and PUE from stored readings."""

from decimal import Decimal

import pytest

from carbon.emissions import factor_select
from carbon.kpis import site_kpis
from carbon.models import ConversionMethod
from carbon.periods import Period
from energy_platform.errors import ApplicationError
from meters.models import Carrier, Meter
from meters.rollup import rollup_sweep
from meters.services.ingest import RawRow, readings_ingest
from plants.models import EconomicData, Site
from tests.factories import EconomicDataFactory, MeterFactory, SiteFactory

pytestmark = pytest.mark.django_db
MONTHLY = 43200  # minutes: read once a month


def _monthly(site, code, carrier, unit, **kw):
    return MeterFactory(site=site, code=code, carrier=carrier, unit=unit, interval_minutes=MONTHLY, **kw)


def _post(site, values: dict[str, float], month="2025-03-01"):
    rows = [RawRow(i, code, f"{month}T00:00:00+08:00", v) for i, (code, v) in enumerate(values.items())]
    result = readings_ingest(site=site, rows=rows)
    assert result.rejected == []
    rollup_sweep()


@pytest.fixture
def factory_site():
    """A Shanghai factory (region 310115 → East China grid) with electricity, coal and gas for March 2025."""
    site = SiteFactory(region_code="310115", enterprise__region_code="310115")
    main = _monthly(site, "E-MAIN", Carrier.ELECTRICITY, "kWh")
    _monthly(site, "E-SUB", Carrier.ELECTRICITY, "kWh", parent=main, role=Meter.Role.SUB, level=Meter.Level.SUB_UNIT)
    _monthly(site, "COAL", Carrier.RAW_COAL, "t")
    _monthly(site, "GAS", Carrier.NATURAL_GAS, "m3")
    _post(site, {"E-MAIN": 100_000, "E-SUB": 30_000, "COAL": 50, "GAS": 20_000})
    EconomicDataFactory(site=site, month="2025-03-01", value_added_10k_cny=Decimal("400"))
    # A correction is a new version; the KPI must use version 2 (500), not 400.
    EconomicData.objects.create(site=site, month="2025-03-01", value_added_10k_cny=Decimal("500"), version=2)
    return site


def test_a_month_of_electricity_coal_and_gas_in_tce(factory_site):
    kpis = site_kpis(site=factory_site, period=Period.parse("2025-03"))
    # GB/T 2589-2020 (DOMAIN.md §1), equivalent value:
    #   electricity 100,000 kWh × 0.1229 kgce/kWh = 12,290 kgce = 12.290 tce  (the 30,000 kWh sub-meter is inside)
    #   raw coal 50 t = 50,000 kg × 0.7143 kgce/kg = 35,715 kgce = 35.715 tce
    #   natural gas 20,000 m³ × 1.2143 kgce/m³ = 24,286 kgce = 24.286 tce
    #   total 72.291 tce
    assert kpis["energy_tce"] == {"value": Decimal("72.2910"), "unit": "tce"}
    by = {c["carrier"]: c["tce"] for c in kpis["energy_by_carrier"]}
    assert by == {"electricity": Decimal("12.2900"), "raw_coal": Decimal("35.7150"), "natural_gas": Decimal("24.2860")}
    # Energy per 10⁴ CNY value added: 72.291 tce / 500 (version 2 of March) = 0.144582 → 0.1446
    assert kpis["energy_per_value_added"]["value"] == Decimal("0.1446")
    assert kpis["electricity_method"] == "equivalent"


def test_a_month_of_emissions_scope_1_and_2(factory_site):
    kpis = site_kpis(site=factory_site, period=Period.parse("2025-03"))
    # Scope 1 (DOMAIN.md §2 fuel defaults, factor = NCV × CC × OF × 44/12):
    #   bituminous coal: 23.204 GJ/t × 26.18 tC/TJ × 0.93 × 44/12 ÷ 1000 = 2.071509 tCO2/t; 50 t → 103.575450
    #   natural gas: 389.31 GJ/10⁴Nm³ × 15.30 × 0.99 × 44/12 ÷ 1000 = 21.621888 tCO2/10⁴Nm³; 2 × 10⁴ → 43.243776
    #   scope 1 = 146.819226
    # Scope 2 (DOMAIN.md §3): Shanghai → East China grid, latest data year ≤ 2025 is 2023: 0.5500 tCO2/MWh;
    #   100 MWh × 0.55 = 55.0
    assert kpis["scope1_tco2"]["value"] == Decimal("146.819226")  # exact: rounded only where it is presented
    assert kpis["scope2_tco2"]["value"] == Decimal("55.0000")
    assert kpis["total_tco2"]["value"] == Decimal("201.819226")  # 146.819226 + 55
    # Carbon intensity 201.819226 / 500 = 0.403638 → 0.4036 tCO2 per 10⁴ CNY
    assert kpis["carbon_intensity"]["value"] == Decimal("0.4036")
    lines = {ln["source"]: ln for ln in kpis["emission_lines"]}
    assert lines["electricity"]["factor_value"] == Decimal("0.550000")
    assert lines["raw_coal"]["tco2"] == Decimal("103.575450")


def test_pue_of_a_data_center():
    site = SiteFactory(kind=Site.Kind.DATA_CENTER)
    total = _monthly(site, "DC-TOTAL", Carrier.ELECTRICITY, "kWh", role=Meter.Role.FACILITY_TOTAL)
    _monthly(site, "DC-IT", Carrier.ELECTRICITY, "kWh", role=Meter.Role.IT_LOAD, parent=total,
             level=Meter.Level.SUB_UNIT)
    _post(site, {"DC-TOTAL": 1_450_000, "DC-IT": 1_000_000})
    kpis = site_kpis(site=site, period=Period.parse("2025-Q1"))
    # PUE = total facility energy / IT equipment energy (DOMAIN.md §5) = 1,450,000 / 1,000,000 = 1.45
    assert kpis["pue"]["value"] == Decimal("1.450")
    # Only the facility total is consumption: 1,450,000 kWh × 0.1229 = 178,205 kgce = 178.205 tce
    assert kpis["energy_tce"]["value"] == Decimal("178.2050")


def test_exported_and_self_generated_electricity_net_out_and_make_the_renewable_share():
    site = SiteFactory()
    _monthly(site, "GRID", Carrier.ELECTRICITY, "kWh")
    _monthly(site, "PV", Carrier.PV_GENERATION, "kWh", role=Meter.Role.GENERATION)
    _monthly(site, "EXP", Carrier.ELECTRICITY, "kWh", role=Meter.Role.EXPORT)
    _post(site, {"GRID": 80_000, "PV": 30_000, "EXP": 10_000})
    kpis = site_kpis(site=site, period=Period.parse("2025-03"))
    # consumed = 80,000 + 30,000 − 10,000 = 100,000 kWh; renewable consumed = 30,000 − 10,000 = 20,000 → 0.2
    assert kpis["electricity_kwh"]["value"] == 100_000
    assert kpis["renewable_share"]["value"] == Decimal("0.2000")
    assert kpis["energy_tce"]["value"] == Decimal("12.2900")


def test_equal_value_method_without_a_loaded_rate_is_a_clear_error(factory_site):
    with pytest.raises(ApplicationError) as exc:
        site_kpis(site=factory_site, period=Period.parse("2025-03"), method=ConversionMethod.EQUAL_VALUE)
    assert exc.value.code == "no_equal_value_rate"


def test_factor_precedence_province_before_region_before_national():
    hebei = SiteFactory(region_code="130100")
    assert factor_select(site=hebei, carrier="electricity", year=2025).value == Decimal("0.725200")
    jiangsu = SiteFactory(region_code="320100")
    assert factor_select(site=jiangsu, carrier="electricity", year=2025).value == Decimal("0.550000")
    assert factor_select(site=jiangsu, carrier="electricity", year=2022).value == Decimal("0.561700")
    tibet_unknown = SiteFactory(region_code="710000")  # Taiwan: no grid region in the table → national
    assert factor_select(site=tibet_unknown, carrier="electricity", year=2025).value == Decimal("0.530600")


def test_period_parse_rejects_nonsense():
    with pytest.raises(ApplicationError):
        Period.parse("2025-13")
    assert str(Period.parse("2025-Q2")) == "2025-Q2"
    assert Period.parse("2025").months()[-1].month == 12


def test_production_unit_and_meter_kpis_without_double_counting():
    from carbon.kpis import meter_kpis, unit_kpis
    from tests.factories import ProductFactory, ProductionDataFactory, ProductionUnitFactory

    site = SiteFactory()
    workshop = ProductionUnitFactory(site=site, code="W")
    furnace = ProductionUnitFactory(site=site, code="F", parent=workshop, kind="equipment")
    main = _monthly(site, "MAIN", Carrier.ELECTRICITY, "kWh")
    ws = _monthly(site, "WS", Carrier.ELECTRICITY, "kWh", parent=main, role=Meter.Role.SUB, production_unit=workshop)
    _monthly(site, "FUR", Carrier.ELECTRICITY, "kWh", parent=ws, role=Meter.Role.SUB, production_unit=furnace)
    product = ProductFactory(site=site, unit_of_production=workshop)
    ProductionDataFactory(product=product, month="2025-03-01", quantity=Decimal("200"))
    _post(site, {"MAIN": 100_000, "WS": 60_000, "FUR": 45_000})
    period = Period.parse("2025-03")
    unit = unit_kpis(unit=workshop, period=period)
    # The furnace meter is below the workshop meter: only WS counts. 60,000 kWh × 0.1229 = 7,374 kgce = 7.374 tce;
    # per tonne of product: 7,374 kgce / 200 t = 36.87 kgce/t
    assert unit["energy_tce"]["value"] == Decimal("7.3740")
    assert unit["per_product"][0]["energy_per_unit"]["value"] == Decimal("36.8700")
    meter = meter_kpis(meter=main, period=period)
    # unmetered below MAIN = 100,000 − 60,000 = 40,000 kWh (FUR is a grandchild, inside WS)
    assert meter["unmetered"]["value"] == 40_000.0
    assert meter["unmetered_share"]["value"] == Decimal("0.4000")
