"""A costed site for the API and page tests."""

import datetime as dt
from decimal import Decimal

import pytest

from costs.models import CarrierPrice
from meters.models import Carrier, Meter
from plants.models import ProductionUnit
from tests.costs.test_compute import five_band_calendar, ingest, quarter_hours, tariff
from tests.factories import EconomicDataFactory, MeterFactory, ProductFactory, ProductionDataFactory

D = Decimal


@pytest.fixture
def costed(tenants):
    """Site A1: a billing meter (one hand-worked day, two-part by kW at 40), a workshop sub-meter and a gas meter."""
    site = tenants["site_a"]
    unit = ProductionUnit.objects.create(site=site, code="W1", name="W1", kind="workshop")
    main = MeterFactory(site=site, code="E", role=Meter.Role.PURCHASE)
    MeterFactory(site=site, code="E-W1", role=Meter.Role.SUB, parent=main, production_unit=unit,
                 level=Meter.Level.SUB_UNIT)
    MeterFactory(site=site, code="G", carrier=Carrier.NATURAL_GAS, unit="m3", interval_minutes=1440)
    t = tariff(site, five_band_calendar(), name="A1 两部制", kind="two_part", capacity_basis="kw",
               capacity_price_cny=D("40"))
    CarrierPrice.objects.create(site=site, carrier=Carrier.NATURAL_GAS, price_cny=D("3.5"), source="contract",
                                valid_from=dt.date(2025, 1, 1))
    day = dt.date(2025, 7, 1)
    rows = quarter_hours("E", day, 10.0, {dt.time(19): 30.0})
    rows += [type(r)(200 + r.index, "E-W1", r.ts, 4.0) for r in quarter_hours("E-W1", day, 0)]
    rows.append(type(rows[0])(999, "G", dt.datetime.combine(day, dt.time(), dt.UTC).isoformat(), 100.0))
    ingest(site, rows)
    product = ProductFactory(site=site, code="P", unit="t", unit_of_production=unit)
    ProductionDataFactory(product=product, month=dt.date(2025, 7, 1), quantity=D("12"))
    EconomicDataFactory(site=site, month=dt.date(2025, 7, 1), value_added_10k_cny=D("10"))
    return {**tenants, "tariff": t, "unit": unit}
