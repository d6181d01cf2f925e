"""Fixtures of the report tests: a Shanghai factory with one month of hand-checkable meter data."""

from __future__ import annotations

from decimal import Decimal

import pytest

from meters.models import Carrier, Meter
from meters.rollup import rollup_sweep
from meters.services.ingest import RawRow, readings_ingest
from tests.factories import EconomicDataFactory, MeterFactory, SiteFactory

MONTHLY = 43200


@pytest.fixture
def site():
    """Shanghai factory, March 2025: 100,000 kWh (30,000 sub-metered inside), 50 t coal, 20,000 m³ gas."""
    site = SiteFactory(region_code="310115", enterprise__region_code="310115", enterprise__name="绿色钢铁")
    mk = {"site": site, "interval_minutes": MONTHLY}
    main = MeterFactory(code="E-MAIN", carrier=Carrier.ELECTRICITY, unit="kWh", **mk)
    MeterFactory(code="E-SUB", carrier=Carrier.ELECTRICITY, unit="kWh", parent=main, role=Meter.Role.SUB,
                 level=Meter.Level.SUB_UNIT, **mk)
    MeterFactory(code="COAL", carrier=Carrier.RAW_COAL, unit="t", **mk)
    MeterFactory(code="GAS", carrier=Carrier.NATURAL_GAS, unit="m3", **mk)
    values = {"E-MAIN": 100_000, "E-SUB": 30_000, "COAL": 50, "GAS": 20_000}
    rows = [RawRow(i, c, "2025-03-01T00:00:00+08:00", v) for i, (c, v) in enumerate(values.items())]
    assert readings_ingest(site=site, rows=rows).rejected == []
    rollup_sweep()
    EconomicDataFactory(site=site, month="2025-03-01", value_added_10k_cny=Decimal("500"))
    return site
