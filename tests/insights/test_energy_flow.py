"""Energy flow (Sankey): flows through a hand-built meter tree sum to the inputs, in tce and in the carrier's unit."""

from decimal import Decimal

import pytest

from carbon.energy import site_energy
from carbon.periods import Period
from energy_platform.errors import ApplicationError
from insights.energy_flow import energy_flow
from meters.models import Meter
from tests.factories import ProductionUnitFactory, SiteFactory

from .conftest import monthly_meter, post_month

pytestmark = pytest.mark.django_db


@pytest.fixture
def mill(tenants):
    """MAIN 1000 kWh → W1 600 (→ RF 250, L1 400: 50 more than W1 read), W2 300, 100 kWh unmetered; PV 200 kWh;
    natural gas 1000 m³ to unit U1; 50 kWh supplied to others."""
    site = SiteFactory(enterprise=tenants["a"], code="MILL")
    u1 = ProductionUnitFactory(site=site, code="U1", name="Hot rolling")
    rf = ProductionUnitFactory(site=site, code="RF", name="Furnace", parent=u1)
    l1 = ProductionUnitFactory(site=site, code="L1", name="Line", parent=u1)
    main = monthly_meter(site, "MAIN")
    w1 = monthly_meter(site, "W1", parent=main, production_unit=u1)
    monthly_meter(site, "W2", parent=main)
    monthly_meter(site, "RF", parent=w1, production_unit=rf)
    monthly_meter(site, "L1", parent=w1, production_unit=l1)
    monthly_meter(site, "PV", carrier="pv_generation", role=Meter.Role.GENERATION)
    monthly_meter(site, "GAS", carrier="natural_gas", unit="m3", production_unit=u1)
    monthly_meter(site, "EXP", role=Meter.Role.EXPORT)
    post_month(site, "2025-03", {"MAIN": 1000, "W1": 600, "W2": 300, "RF": 250, "L1": 400, "PV": 200, "GAS": 1000,
                                 "EXP": 50})
    return site


def _sum(links, pred):
    return sum((lk["value"] for lk in links if pred(lk)), Decimal(0))


def test_flows_in_tce_sum_to_the_inputs_at_every_node(mill):
    flow = energy_flow(site=mill, period=Period.parse("2025-03"))
    # GB/T 2589-2020 (DOMAIN.md §1): electricity 0.1229 kgce/kWh, natural gas 1.2143 kgce/m³ (gas-field default).
    #   inputs: MAIN 1000 kWh → 0.1229 tce; PV 200 kWh → 0.02458; GAS 1000 m³ → 1.2143; total 1.36178 tce
    #   MAIN − (W1 600 + W2 300) = 100 kWh → loss 0.01229 tce
    #   W1 600 − (RF 250 + L1 400) = −50 kWh → metering surplus 0.006145 tce fed into W1
    #   end uses: RF 0.030725 + L1 0.04916 + W2 0.03687 + PV 0.02458 + GAS→U1 1.2143 = 1.355635 tce
    #   1.36178 + 0.006145 = 1.367925 = 1.355635 + 0.01229
    assert flow["unit"] == "tce"
    assert flow["inputs_total"] == Decimal("1.36178")
    assert flow["surplus_total"] == Decimal("0.006145")
    assert flow["end_use_total"] == Decimal("1.355635")
    assert flow["loss_total"] == Decimal("0.01229")
    assert flow["balance"] == 0
    nodes = {n["id"]: n for n in flow["nodes"]}
    links = flow["links"]
    # Every node that is neither an input nor a sink passes on exactly what it receives.
    for node_id, node in nodes.items():
        incoming = _sum(links, lambda lk, n=node_id: lk["target"] == n)
        outgoing = _sum(links, lambda lk, n=node_id: lk["source"] == n)
        if incoming and outgoing:
            assert incoming == outgoing, node["label"]
    # The sinks together receive the inputs plus the surplus.
    sinks = [n for n in nodes if not any(lk["source"] == n for lk in links)]
    assert _sum(links, lambda lk: lk["target"] in sinks) == Decimal("1.367925")
    units = {n["label"]: n for n in flow["nodes"] if n["id"].startswith("unit:")}
    assert _sum(links, lambda lk: lk["target"] == units["U1 Hot rolling"]["id"]) == Decimal("1.2143")
    assert {x["meter"]: x["value"] for x in flow["losses"]} == {"MAIN": Decimal("0.01229"),
                                                               "W1": Decimal("-0.006145")}
    assert flow["exports"] == [{"meter": "EXP", "carrier": "electricity", "value": Decimal("0.006145")}]
    # The diagram's inputs less what is supplied to others is the site's comprehensive energy consumption.
    energy = site_energy(site=mill, period=Period.parse("2025-03"))["energy_tce"]
    assert flow["inputs_total"] - flow["exports"][0]["value"] == energy == Decimal("1.355635")


def test_flows_in_the_carriers_unit(mill):
    flow = energy_flow(site=mill, period=Period.parse("2025-03"), unit="carrier", carrier="electricity")
    # Electricity only (PV is its own carrier): inputs MAIN 1000; surplus 50 at W1; loss 100 at MAIN;
    # end uses RF 250 + L1 400 + W2 300 = 950; 1000 + 50 = 950 + 100.
    assert flow["unit"] == "kWh"
    assert (flow["inputs_total"], flow["surplus_total"], flow["end_use_total"], flow["loss_total"]) == (
        Decimal(1000), Decimal(50), Decimal(950), Decimal(100))
    gas = energy_flow(site=mill, period=Period.parse("2025-03"), unit="carrier", carrier="natural_gas")
    assert gas["unit"] == "m3" and gas["inputs_total"] == gas["end_use_total"] == Decimal(1000)


@pytest.mark.parametrize(("unit", "carrier", "code"), [
    ("kg", None, "invalid_unit"), ("carrier", None, "carrier_required"), ("carrier", "plutonium", "invalid_carrier"),
    ("tce", "electricity", "invalid_carrier")])
def test_bad_flow_parameters_are_application_errors(mill, unit, carrier, code):
    with pytest.raises(ApplicationError) as exc:
        energy_flow(site=mill, period=Period.parse("2025-03"), unit=unit, carrier=carrier)
    assert exc.value.code == code


def test_energy_flow_api_answers_json_and_4xx(mill, api_client, tenants):
    api_client.force_authenticate(tenants["viewer_a"])
    r = api_client.get(f"/api/v1/sites/{mill.pk}/energy-flow/?period=2025-03")
    assert r.status_code == 200
    body = r.json()
    inputs = sum(lk["value"] for lk in body["links"] if lk["source"].startswith("input:"))
    assert inputs == pytest.approx(1.36178) == pytest.approx(body["inputs_total"])
    assert body["balance"] == 0
    r = api_client.get(f"/api/v1/sites/{mill.pk}/energy-flow/?period=2025-13")
    assert (r.status_code, r.json()["code"]) == (400, "invalid_period")
    r = api_client.get(f"/api/v1/sites/{mill.pk}/energy-flow/?period=2025-03&unit=carrier")
    assert (r.status_code, r.json()["code"]) == (400, "carrier_required")
    api_client.force_authenticate(tenants["admin_b"])
    assert api_client.get(f"/api/v1/sites/{mill.pk}/energy-flow/?period=2025-03").status_code == 404
