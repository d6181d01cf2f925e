"""The GHG report by sector guideline (GB/T 32150-2015 + GB/T 32151.5-2015): the GB/T 32150 breakdown with process
emissions, electricity supplied to others, biomass as a memo item, the province's grid factor named with its
announcement, on-site PV, the gases with GWP, the monthly MRV status and the ledger status."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from carbon.models import GhgSectorSetting, MeasuredFuelProperty, ProcessActivity, ProcessFactor
from meters.models import Carrier, Meter
from meters.rollup import rollup_sweep
from meters.services.ingest import RawRow, readings_ingest
from reports.builders.ghg import build_ghg
from tests.factories import MeterFactory

pytestmark = pytest.mark.django_db
MARCH = dt.date(2025, 3, 1)


@pytest.fixture
def steel(site):
    """The Shanghai factory (100 MWh purchased, 50 t coal, 2 × 10⁴ m³ gas in March 2025) as a steel works, with
    20 MWh supplied to others, 5 MWh of rooftop PV, 1,000 t of limestone and 100 t of biomass pellets."""
    GhgSectorSetting.objects.create(enterprise=site.enterprise, sector="steel")
    mk = {"site": site, "interval_minutes": 43200, "unit": "kWh"}
    MeterFactory(code="E-OUT", carrier=Carrier.ELECTRICITY, role=Meter.Role.EXPORT, **mk)
    MeterFactory(code="PV", carrier=Carrier.PV_GENERATION, role=Meter.Role.GENERATION, **mk)
    rows = [RawRow(0, "E-OUT", "2025-03-01T00:00:00+08:00", 20_000), RawRow(1, "PV", "2025-03-01T00:00:00+08:00",
                                                                            5_000)]
    assert readings_ingest(site=site, rows=rows).rejected == []
    rollup_sweep()
    for sector, code, amount in (("steel", "limestone", 1000), ("general", "biomass_pellets", 100)):
        ProcessActivity.objects.create(site=site, month=MARCH, amount=Decimal(amount),
                                       factor=ProcessFactor.objects.get(sector=sector, code=code))
    return site


def _section(doc, key):
    return next(s for s in doc.sections if s.key == key)


def test_the_breakdown_follows_gb_t_32150_with_process_supply_and_biomass_apart(steel):
    with translation.override("en"):
        doc = build_ghg(enterprise=steel.enterprise, year=2025)
    rows = _section(doc, "summary").tables[1].rows
    # combustion: coal 50 t × 2.071509 = 103.575450 + gas 2 × 21.621888 = 43.243776 → 146.819226
    # process: limestone 1,000 t × 0.440 = 440
    # electricity, East China grid 2023 0.55 tCO2/MWh: purchased 100 MWh = 55, supplied 20 MWh = −11 (net 80 → 44)
    # total 146.819226 + 440 + 55 − 11 = 630.819226; biomass 100 t × 1.792 = 179.2, not in the total
    assert [r[1] for r in rows] == [Decimal("146.819226"), Decimal("440.000000"), Decimal("55.000000"), Decimal(0),
                                    Decimal("-11.000000"), Decimal(0), Decimal("630.819226"), Decimal("179.200000")]
    assert _section(doc, "summary").tables[0].rows[2][1] == Decimal("630.819226")
    eh = _section(doc, "electricity_heat")
    assert [(r[1], r[2], r[6]) for r in eh.tables[0].rows] == [
        ("purchased electricity", Decimal("100"), Decimal("55.000000")),
        ("electricity supplied to others", Decimal("-20"), Decimal("-11.000000"))]
    assert eh.tables[0].rows[0][5] == ("East China grid average, data year 2023: MEE/NBS announcement on the 2023 "
                                       "electricity CO2 emission factors")
    assert "On-site PV generation: 5 MWh" in eh.notes[1]
    process = _section(doc, "process").tables[0].rows
    assert [(r[1], r[3], r[6], r[10]) for r in process] == [("limestone", Decimal("1000.0000"),
                                                             Decimal("0.440000000"), Decimal("440.000000"))]
    assert doc.meta["standard"] == "GB/T 32150-2015; GB/T 32151.5-2015"


def test_the_chinese_report_names_the_province_sources_and_gwp_and_says_the_figures_are_provisional(steel):
    MeasuredFuelProperty.objects.create(
        enterprise=steel.enterprise, carrier="raw_coal", month=MARCH, ncv_gj_per_unit=Decimal("21.5"),
        activity_unit="t", carbon_content_tc_per_tj=Decimal("26"), lab_report_number="LAB-3")  # entered only
    with translation.override("zh-hans"):
        doc = build_ghg(enterprise=steel.enterprise, year=2025)
    comb = {r[1]: r for r in _section(doc, "combustion").tables[0].rows}
    # Not confirmed: the default parameters and their published source
    assert (comb["原煤"][5], comb["原煤"][8]) == (Decimal("23.204"), "缺省值")
    assert comb["原煤"][9] == "温室气体排放核算与报告要求（GB/T 32151系列）燃料缺省值"
    assert _section(doc, "process").tables[0].rows[0][8].startswith("GB/T 32151.5-2015《温室气体排放核算与报告要求")
    gwp = {r[0]: r[1] for r in _section(doc, "gases").tables[0].rows}
    assert (gwp["CH4"], gwp["N2O"], gwp["CF4"]) == (Decimal(21), Decimal(310), Decimal(6500))
    assert "本指南不要求核算燃料燃烧产生的CH4和N2O" in _section(doc, "gases").notes[1]
    assert doc.meta["ledger_status"].startswith("暂定：存在未关账期间")
    mrv = _section(doc, "mrv")
    assert [r[1] for r in mrv.tables[0].rows][2] == "未确认"  # March has an entered record
    assert "2025-03 原煤（已填报）" in mrv.notes[1].replace(" (", "（").replace(")", "）")
    assert [r[1] for r in _section(doc, "biomass").tables[0].rows] == ["生物质成型燃料"]
