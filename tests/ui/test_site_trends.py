"""Site page KPI trends (PUE, energy per base station, energy per unit of product, emissions by scope), each month
computed by carbon.kpis.site_kpis; and the overview's single KPI pass."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from carbon.kpis import enterprise_kpis, enterprise_kpis_current, site_kpis
from carbon.periods import Period, month_add
from meters.models import Reading
from meters.rollup import rollup_all
from tests.factories import MeterFactory, ProductFactory, ProductionDataFactory, SiteFactory

CST = dt.timezone(dt.timedelta(hours=8))


def _last_month():
    return month_add(timezone.localdate().replace(day=1), -1)


def _day_of(meter, first: dt.date, kwh: float):
    """96 quarter-hours of `kwh` on the first day of the month."""
    start = dt.datetime(first.year, first.month, 1, tzinfo=CST)
    Reading.objects.bulk_create([Reading(meter=meter, ts=start + dt.timedelta(minutes=15 * i), value=kwh)
                                 for i in range(96)])


def _trend(client, site, metric):
    response = client.get(f"/api/v1/ui/sites/{site.pk}/kpi-trend/?metric={metric}")
    assert response.status_code == 200, response.content
    data = response.json()
    return data, data["labels"].index(f"{_last_month():%Y-%m}")


def test_pue_trend_of_a_data_center(client, tenants):
    dc = SiteFactory(enterprise=tenants["a"], code="DC1", kind="data_center")
    facility = MeterFactory(site=dc, code="FAC", role="facility_total")
    it = MeterFactory(site=dc, code="IT", role="it_load", parent=facility, level="sub_unit")
    first = _last_month()
    _day_of(facility, first, 150.0)
    _day_of(it, first, 100.0)
    rollup_all()
    client.force_login(tenants["viewer_a"])
    assert "pue" in client.get(f"/sites/{dc.pk}/").context["trend_metrics"]
    data, i = _trend(client, dc, "pue")
    # PUE = facility / IT = (96 x 150) / (96 x 100) = 14400 / 9600 = 1.5
    assert len(data["labels"]) == 12
    assert data["series"][0]["data"][i] == 1.5
    assert site_kpis(site=dc, period=Period.month(first.year, first.month), with_yoy=False)["pue"]["value"] == \
        Decimal("1.500")
    assert data["series"][0]["data"][i - 1] is None  # no IT energy that month: no PUE, not 0


def test_energy_per_base_station_trend_of_a_fleet(client, tenants):
    fleet = SiteFactory(enterprise=tenants["a"], code="BS1", kind="base_station_fleet", base_station_count=50)
    _day_of(MeterFactory(site=fleet, code="GRID"), _last_month(), 100.0)
    rollup_all()
    client.force_login(tenants["viewer_a"])
    assert client.get(f"/sites/{fleet.pk}/").context["trend_metrics"] == ["base_station", "emissions"]
    data, i = _trend(client, fleet, "base_station")
    # 96 x 100 kWh = 9600 kWh over 50 base stations = 192 kWh/site
    assert data["series"][0]["data"][i] == 192.0


def test_energy_per_unit_of_product_trend(client, tenants):
    first = _last_month()
    _day_of(MeterFactory(site=tenants["site_a"], code="E1"), first, 100.0)
    product = ProductFactory(site=tenants["site_a"], code="HRC", name="Hot-rolled coil")
    ProductionDataFactory(product=product, month=first, quantity=Decimal("20"))
    rollup_all()
    client.force_login(tenants["manager_a"])
    data, i = _trend(client, tenants["site_a"], "product")
    # 9600 kWh x 0.1229 kgce/kWh (GB/T 2589-2020, equivalent value; DOMAIN.md §1) = 1179.84 kgce / 20 t = 58.992 kgce/t
    assert data["series"][0]["name"] == "Hot-rolled coil (kgce/t)"  # the product's name, not its code
    assert data["series"][0]["data"][i] == pytest.approx(58.992)
    emissions, i = _trend(client, tenants["site_a"], "emissions")
    expected = site_kpis(site=tenants["site_a"], period=Period.month(first.year, first.month), with_yoy=False)
    assert emissions["series"][1]["data"][i] == pytest.approx(float(expected["scope2_tco2"]["value"]))
    assert emissions["series"][1]["data"][i] > 0


def test_trend_rejects_unknown_metric_and_other_enterprise(client, tenants):
    client.force_login(tenants["manager_a"])
    response = client.get(f"/api/v1/ui/sites/{tenants['site_a'].pk}/kpi-trend/?metric=foo")
    assert (response.status_code, response.json()["code"]) == (400, "invalid_metric")
    assert client.get(f"/api/v1/ui/sites/{tenants['site_b'].pk}/kpi-trend/?metric=emissions").status_code == 404


def test_overview_kpis_in_one_pass_equal_separate_calls_with_fewer_queries(tenants):
    today = timezone.localdate()
    meter = MeterFactory(site=tenants["site_a"], code="E1")
    sub = MeterFactory(site=tenants["site_a"], code="SUB", parent=meter, role="sub", level="sub_unit")
    _day_of(meter, today.replace(day=1), 100.0)
    _day_of(meter, today.replace(year=today.year - 1, day=1), 80.0)
    _day_of(sub, today.replace(day=1), 30.0)  # inside the boundary: read by neither path's KPIs
    rollup_all()
    with CaptureQueriesContext(connection) as separate:
        month = enterprise_kpis(enterprise=tenants["a"], period=Period.month(today.year, today.month))
        year = enterprise_kpis(enterprise=tenants["a"], period=Period.year(today.year))
    with CaptureQueriesContext(connection) as once:
        current = enterprise_kpis_current(enterprise=tenants["a"])
    assert current == {"month": month, "year": year}
    # 9600 kWh x 0.1229 kgce/kWh = 1.17984 tce this month, 7680 kWh -> 0.943872 tce a year earlier (exact, not
    # rounded before the comparison): (1.17984 - 0.943872) / 0.943872 = 0.25 -> +25.00 % year on year.
    assert current["month"]["yoy_change_pct"]["energy_tce"] == Decimal("25.00")
    assert len(once) < len(separate)
