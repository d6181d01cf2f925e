"""The cost API: band lines that add up to the total, the tariff version named, tenancy and bad input."""

import datetime as dt
from decimal import Decimal

import pytest

from costs.models import CarrierPrice
from meters.models import Carrier, Meter
from plants.models import ProductionUnit
from tests.costs.test_compute import five_band_calendar, ingest, quarter_hours, tariff
from tests.factories import EconomicDataFactory, MeterFactory, ProductFactory, ProductionDataFactory

pytestmark = pytest.mark.django_db
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


def test_site_costs_lines_add_up_to_the_total_and_name_the_tariff(costed, api_client):
    api_client.force_authenticate(costed["viewer_a"])
    r = api_client.get("/api/v1/sites/A1/costs/?period=2025-07")
    assert r.status_code == 200
    body = r.json()
    lines = {(line["kind"], line.get("band") or line.get("carrier")): D(line["cost_cny"]) for line in body["lines"]}
    # The billing meter only (the sub-meter is inside it): the hand-worked day of test_compute, 120 kW × 40 = 4800
    # capacity, funds 980 × 0.03 = 29.4; gas: the day starting 08:00 local (00:00 UTC) 100 m³ × 3.5 = 350.
    assert lines == {("energy", "critical_peak"): D("120.00"), ("energy", "peak"): D("240.00"),
                     ("energy", "flat"): D("192.00"), ("energy", "valley"): D("24.00"),
                     ("energy", "deep_valley"): D("48.00"), ("funds", None): D("29.40"),
                     ("capacity", None): D("4800.00"), ("carrier", "natural_gas"): D("350.00")}
    assert D(body["total_cny"]) == sum(lines.values()) == D("5803.40")  # 624 + 29.4 + 4800 + 350
    assert [t["name"] for t in body["tariff_versions"]] == ["A1 两部制"]
    assert body["max_demand"][0]["max_demand_kw"] == "120.0000"
    assert body["cost_per_value_added"]["value"] == "580.34"  # 5803.40 / 10
    # The product's unit has a metered workshop: 96 × 4 = 384 kWh, funds 384 × 0.03 = 11.52, and by band (4 kWh
    # every quarter-hour, no capacity charge for a sub-meter):
    # 24 × 4 × 0.2 + 8 × 4 × 0.3 + 32 × 4 × 0.6 + 24 × 4 × 1.0 + 8 × 4 × 1.2 = 19.2 + 9.6 + 76.8 + 96 + 38.4 = 240
    # + 11.52 = 251.52; per tonne 251.52 / 12 = 20.96.
    assert body["per_product"][0]["cost_per_unit"] == "20.9600"


def test_enterprise_and_unit_costs(costed, api_client):
    api_client.force_authenticate(costed["viewer_a"])
    ent = api_client.get(f"/api/v1/enterprises/{costed['a'].pk}/costs/?period=2025").json()
    assert ent["total_cny"] == "5803.40"
    unit = api_client.get(f"/api/v1/production-units/{costed['unit'].pk}/costs/?period=2025-07").json()
    assert unit["total_cny"] == "251.52"  # see the site test: 240 + 11.52
    assert unit["meters"] == ["E-W1"]


def test_foreign_costs_are_not_found_and_bad_period_is_400(costed, api_client):
    api_client.force_authenticate(costed["admin_b"])
    assert api_client.get("/api/v1/sites/A1/costs/?period=2025-07").status_code == 404
    assert api_client.get(f"/api/v1/enterprises/{costed['a'].pk}/costs/?period=2025").status_code == 404
    assert api_client.get(f"/api/v1/production-units/{costed['unit'].pk}/costs/?period=2025").status_code == 404
    api_client.force_authenticate(costed["viewer_a"])
    r = api_client.get("/api/v1/sites/A1/costs/?period=2025-13")
    assert r.status_code == 400
    assert r.json()["code"] == "invalid_period"
