"""Numbers (issue #13 Deliver 8): exact decimals from rollup to document, one rounding rule at presentation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from energy_platform.numbers import exact, present, present_in
from meters.models import Carrier
from meters.rollup import rollup_sweep
from meters.services.ingest import RawRow, readings_ingest
from reports.formatting import fmt_cell, row_units
from tests.factories import MeterFactory, SiteFactory
from tests.paths import site_api


@pytest.mark.django_db
def test_enterprise_electricity_is_an_exact_decimal_in_json(tenants, api_client):
    # Two sites of enterprise A with 0.1 and 0.2 kWh in March 2025: as floats 0.1 + 0.2 = 0.30000000000000004.
    a2 = SiteFactory(enterprise=tenants["a"], code="A2")
    for site, code, value in ((tenants["site_a"], "E-A1", 0.1), (a2, "E-A2", 0.2)):
        MeterFactory(site=site, code=code, carrier=Carrier.ELECTRICITY, unit="kWh", interval_minutes=43200)
        assert readings_ingest(site=site, rows=[RawRow(0, code, "2025-03-01T00:00:00+08:00", value)]).rejected == []
    rollup_sweep()
    api_client.force_authenticate(tenants["manager_a"])
    resp = api_client.get(f"/api/v1/enterprises/{tenants['a'].pk}/kpis/?period=2025-03")
    assert resp.status_code == 200
    assert b'"electricity_kwh":{"value":0.3,' in resp.content.replace(b" ", b"")  # 0.1 + 0.2 = 0.3 exactly
    assert b"0.30000000000000004" not in resp.content


def test_exact_takes_a_float_as_it_prints():
    assert exact(6612.836) == Decimal("6612.836")  # not 6612.83599999999960709...
    assert exact(0.1) + exact(0.2) == Decimal("0.3")
    with pytest.raises(ValueError, match="not a finite number"):
        exact(float("inf"))


def test_presentation_rounds_once_by_quantity_half_up():
    assert present(Decimal("12.2905"), "tce") == Decimal("12.291")  # tce to 3 decimals, half up
    assert present(Decimal("55.0004"), "tco2") == Decimal("55.000")  # tCO2 to 3 decimals
    assert present(Decimal("0.26614"), "ratio") == Decimal("0.2661")  # ratios to 4
    assert present_in(Decimal("0.04385"), "tce/10^4 CNY") == Decimal("0.0439")  # an intensity is a ratio
    assert present_in(6612.835999999999, "kWh") == Decimal("6612.836")  # physical quantities to 3


def test_report_cells_print_no_six_decimal_noise():
    # The PDF printed 94,968,233.073000 kWh: now rounded once by the unit, or exact without trailing zeros.
    assert fmt_cell(Decimal("94968233.073000"), "kWh") == "94,968,233.073"
    assert fmt_cell(Decimal("94968233.073000")) == "94,968,233.073"
    assert fmt_cell(Decimal("517.160000"), "tCO2") == "517.160"
    assert fmt_cell(Decimal("100000.000000")) == "100,000"
    # [label, value, unit] rows: the value's unit is the text after it.
    assert row_units(["Electricity consumed", Decimal("1.5"), "kWh"], ["", "", ""]) == [None, "kWh", None]


@pytest.mark.django_db
def test_rollup_float_noise_does_not_reach_the_kpi_answer(tenants, api_client):
    # Three quarter-hours of 0.1 kWh: the rollups sum doubles, 0.1 + 0.1 + 0.1 = 0.30000000000000004.
    site = tenants["site_a"]
    MeterFactory(site=site, code="E-Q", carrier=Carrier.ELECTRICITY, unit="kWh")
    rows = [RawRow(k, "E-Q", f"2025-03-01T00:{15 * k:02d}:00+08:00", 0.1) for k in range(3)]
    assert readings_ingest(site=site, rows=rows).accepted == 3
    rollup_sweep()
    api_client.force_authenticate(tenants["manager_a"])
    body = api_client.get(site_api("A1") + "kpis/?period=2025-03")
    assert body.status_code == 200
    assert body.json()["energy_by_carrier"][0]["quantity"] == 0.3  # 3 × 0.1 kWh
    assert b"0.30000000000000004" not in body.content
