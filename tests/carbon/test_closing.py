"""Closed means frozen: a closed month's figures come from its closing snapshot in the KPI API, the reports and the
regulator portal; late or corrected data is flagged "restatement pending" in the request that stored it and changes
nothing until the month is restated; the ledger (with its snapshots) still verifies."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from carbon.kpis import site_kpis
from carbon.ledger import ledger_verify, period_close, period_restate, restatement_check, snapshot_loads
from carbon.models import AccountingPeriod, ClosingSnapshot, EnergyCoefficient, LedgerEntry
from carbon.periods import Period
from meters.models import Carrier
from meters.rollup import rollup_sweep
from meters.services.gateways import gateway_provision
from meters.services.ingest import RawRow, readings_ingest
from plants.models import EconomicData
from reports.builders import builders
from tests.factories import EconomicDataFactory, MeterFactory
from tests.paths import site_api
from ui import selectors

pytestmark = pytest.mark.django_db
MARCH = dt.date(2025, 3, 1)
MONTHLY = 43200  # minutes: read once a month

# The closed figures of March 2025 (site A1, Shanghai 310115 → East China grid), by hand:
#   electricity 200,000 kWh × 0.1229 kgce/kWh = 24,580 kgce = 24.580 tce (GB/T 2589-2020, DOMAIN.md §1)
#   diesel 10 t = 10,000 kg × 1.4571 kgce/kg = 14,571 kgce = 14.571 tce
#   energy = 39.151 tce
#   scope 2: 200 MWh × 0.5500 tCO2/MWh (East China 2023, DOMAIN.md §3) = 110.0
#   scope 1: diesel 43.33 GJ/t × 20.20 tC/TJ × 0.98 × 44/12 ÷ 1000 = 3.1451225, kept as 3.145122 tCO2/t
#            (DOMAIN.md §2; factors to 6 decimals); 10 t → 31.45122 tCO2 (31.4512)
#   value added 100 (10⁴ CNY): energy per value added 39.151 / 100 = 0.3915
CLOSED_TCE = Decimal("39.1510")
CLOSED_VA = Decimal("100")


@pytest.fixture
def closed(tenants):
    site = tenants["site_a"]
    MeterFactory(site=site, code="E", carrier=Carrier.ELECTRICITY, unit="kWh", interval_minutes=MONTHLY)
    MeterFactory(site=site, code="DSL", carrier=Carrier.DIESEL, unit="t", interval_minutes=MONTHLY)
    readings_ingest(site=site, rows=[RawRow(0, "E", "2025-03-01T00:00:00+08:00", 200_000),
                                     RawRow(1, "DSL", "2025-03-01T00:00:00+08:00", 10)])
    rollup_sweep()
    EconomicDataFactory(site=site, month=MARCH, value_added_10k_cny=CLOSED_VA)
    period_close(enterprise=tenants["a"], month=MARCH, actor=tenants["admin_a"])
    return tenants


def test_closing_records_energy_by_carrier_value_added_and_emissions_in_a_snapshot(closed):
    snap = ClosingSnapshot.objects.get(site=closed["site_a"], month=MARCH, method="equivalent")
    figures = snapshot_loads(snap.payload)
    by = {c["carrier"]: c for c in figures["core"]["energy"]["by_carrier"]}
    # physical units and tce with the coefficient's edition and the method (see the module's arithmetic)
    assert (by["electricity"]["quantity"], by["electricity"]["unit"], by["electricity"]["tce"]) == (
        Decimal("200000"), "kWh", Decimal("24.58"))
    assert (by["diesel"]["quantity"], by["diesel"]["unit"], by["diesel"]["tce"]) == (Decimal("10"), "t",
                                                                                      Decimal("14.571"))
    assert by["electricity"]["method"] == "equivalent"
    assert by["electricity"]["coefficient"] == "0.122900"
    assert "coefficient_edition" in by["diesel"]
    assert figures["core"]["value_added"] == Decimal("100")
    assert figures["core"]["emissions"]["scope2_tco2"] == Decimal("110.000000")
    # every entry posted at close carries the snapshots' hash, and the chain verifies
    entries = list(LedgerEntry.objects.filter(enterprise=closed["a"]))
    assert len({e.snapshot_sha256 for e in entries}) == 1
    assert len(entries[0].snapshot_sha256) == 64
    assert snap.ledger_seq == max(e.seq for e in entries)
    assert ledger_verify(enterprise=closed["a"])["ok"] is True


def test_late_reading_after_close_is_flagged_at_once_and_changes_nothing_until_restated(closed, api_client):
    site = closed["site_a"]
    api_client.force_authenticate(closed["viewer_a"])
    before = api_client.get(site_api("A1") + "kpis/?period=2025-03").json()
    assert before["energy_tce"]["value"] == 39.151
    assert before["period_status"]["closed"] is True
    assert before["period_status"]["restatement_pending"] is False
    assert before["scope1_tco2"]["value"] == 31.45122  # exact in the answer; presented to 3 places

    # A late diesel reading of 1 t for March arrives through the gateway API (one request, no beat task, no sweep).
    _, token = gateway_provision(site=site, name="gw-late", meter_codes=["DSL"])
    gateway = APIClient()
    gateway.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    r = gateway.post("/api/v1/readings/", {"batch_id": "late-1", "readings": [
        {"meter": "DSL", "ts": "2025-03-20T00:00:00+08:00", "value": 1}]}, format="json")
    assert r.status_code in (200, 201) and r.json()["accepted"] == 1, r.content
    period = AccountingPeriod.objects.get(enterprise=closed["a"], month=MARCH)
    assert period.restatement_pending is True  # flagged by the request that stored the reading
    assert "late or corrected readings" in period.restatement_reason

    rollup_sweep()  # the rollups now hold 11 t of diesel for March
    after = api_client.get(site_api("A1") + "kpis/?period=2025-03").json()
    assert after["energy_tce"]["value"] == 39.151  # unchanged: the closed figure
    assert after["scope1_tco2"]["value"] == 31.45122
    assert after["period_status"] == {"closed": True, "restatement_pending": True, "closed_months": ["2025-03"],
                                      "restatement_pending_months": ["2025-03"]}

    period_restate(enterprise=closed["a"], month=MARCH, reason="late diesel delivery note", actor=closed["admin_a"])
    restated = site_kpis(site=site, period=Period.parse("2025-03"))
    # 11 t diesel × 1.4571 = 16.0281 tce; + 24.580 = 40.6081 tce
    assert restated["energy_tce"]["value"] == Decimal("40.6081")
    # scope 1: 11 t × 3.145122 = 34.596342 tCO2
    assert restated["scope1_tco2"]["value"] == Decimal("34.596342")
    assert restated["period_status"]["restatement_pending"] is False
    assert ClosingSnapshot.objects.filter(site=site, month=MARCH, method="equivalent").count() == 2
    assert ledger_verify(enterprise=closed["a"])["ok"] is True


def test_corrected_value_added_for_a_closed_month_is_flagged_in_the_same_request(closed, api_client):
    api_client.force_authenticate(closed["manager_a"])
    r = api_client.post("/api/v1/economic-data/", {"site": closed["site_a"].pk, "month": "2025-03-01",
                                                   "value_added_10k_cny": "200"}, format="json")
    assert r.status_code == 201, r.content
    period = AccountingPeriod.objects.get(enterprise=closed["a"], month=MARCH)
    assert (period.restatement_pending, period.restatement_reason) == (True, "corrected value added stored")
    kpis = api_client.get(site_api("A1") + "kpis/?period=2025-03").json()
    # still the closed value added (100) and intensity 39.151 / 100 = 0.3915, not 39.151 / 200 = 0.1958
    assert kpis["value_added_10k_cny"]["value"] == 100.0
    assert kpis["energy_per_value_added"]["value"] == 0.3915
    assert kpis["period_status"]["restatement_pending"] is True


def test_the_same_closed_figure_in_the_kpi_api_a_report_and_the_regulator_portal(closed, api_client, client):
    site = closed["site_a"]
    # April is open: 50,000 kWh × 0.1229 = 6.145 tce
    readings_ingest(site=site, rows=[RawRow(0, "E", "2025-04-01T00:00:00+08:00", 50_000),
                                     RawRow(1, "DSL", "2025-03-25T00:00:00+08:00", 2)])  # late, for closed March
    rollup_sweep()
    # 2025: closed March 39.151 (not 39.151 + 2 × 1.4571 = 42.0652) + open April 6.145 = 45.296 tce
    api_client.force_authenticate(closed["viewer_a"])
    year = api_client.get(site_api("A1") + "kpis/?period=2025").json()
    assert year["energy_tce"]["value"] == 45.296
    assert year["period_status"]["closed_months"] == ["2025-03"]
    assert year["period_status"]["restatement_pending"] is True
    month = api_client.get(f"/api/v1/enterprises/{closed['a'].pk}/kpis/?period=2025-03").json()
    assert month["energy_tce"]["value"] == 39.151

    doc = builders()["energy"](enterprise=closed["a"], year=2025)
    summary = next(s for s in doc.sections if s.key == "summary").tables[0].rows
    assert summary[0][1] == Decimal("45.2960")
    ghg = builders()["ghg"](enterprise=closed["a"], year=2025)
    ghg_total = next(s for s in ghg.sections if s.key == "summary").tables[0].rows[2][1]
    # emissions: closed March 110 + 31.45122 = 141.45122 plus April's 50 MWh × 0.55 = 27.5 → 168.95122 tCO2;
    # the late 2 t of diesel (6.290244 tCO2) are not in it
    assert ghg_total == Decimal("168.95122")

    client.force_login(closed["regulator_sh"])
    page = client.get("/regulator/?period=2025-03")
    assert page.status_code == 200
    row = next(r for r in page.context["rows"] if r["enterprise"] == closed["a"])
    assert row["kpis"]["energy_tce"] == CLOSED_TCE


def test_a_tampered_snapshot_breaks_verification(closed):
    snap = ClosingSnapshot.objects.filter(enterprise=closed["a"]).first()
    with connection.cursor() as cur:
        cur.execute("UPDATE carbon_closingsnapshot SET payload = replace(payload, '24.58', '20.58') WHERE id = %s",
                    [snap.pk])
    result = ledger_verify(enterprise=closed["a"])
    assert result["ok"] is False
    assert "does not match its hash" in result["first_broken"]["problem"]


def test_data_quality_page_lists_a_closed_month_with_restatement_pending(closed, client):
    readings_ingest(site=closed["site_a"], rows=[RawRow(0, "DSL", "2025-03-28T00:00:00+08:00", 3)])
    client.force_login(closed["manager_a"])
    html = client.get(f"/quality/?enterprise={closed['a'].pk}").content.decode()
    assert 'id="restatements"' in html
    assert "<td>2025-03</td><td>late or corrected readings stored</td>" in html
    assert "已结账月份：待重述" in html


def test_forecast_reads_a_closed_month_as_closed(closed, api_client):
    from alerts.forecast import site_forecast

    readings_ingest(site=closed["site_a"], rows=[RawRow(0, "DSL", "2025-03-28T00:00:00+08:00", 2)])  # late
    rollup_sweep()
    api_client.force_authenticate(closed["manager_a"])
    assert api_client.post("/api/v1/economic-data/", {"site": closed["site_a"].pk, "month": "2025-03-01",
                                                      "value_added_10k_cny": "200"}, format="json").status_code == 201
    f = site_forecast(site=closed["site_a"], period=Period.parse("2025"), as_of=dt.date(2026, 1, 1))
    # the whole year's data is March alone: the closed 39.151 tce (not 42.0652 with the late 2 t × 1.4571) and value
    # added 100 (not the corrected 200); value added is projected by run rate over the one month entered:
    # 100 × 12 / 1 = 1,200, so 39.151 / 1,200 = 0.0326 (with the corrected 200: 39.151 / 2,400 = 0.0163)
    assert f["quantities"]["energy_tce"]["to_date"] == CLOSED_TCE
    assert f["quantities"]["value_added_10k_cny"]["to_date"] == Decimal("100.0000")
    assert f["quantities"]["energy_per_value_added"]["projected"] == Decimal("0.0326")


def test_restatement_check_flags_a_change_in_energy_alone(closed):
    # Nothing changed since the close: the recomputation equals the snapshot and the ledger.
    assert restatement_check(enterprise=closed["a"]) == []
    # The enterprise loads its own diesel coefficient for 2025 (a supplier's measured value; no hook flags it):
    # March diesel 10 t = 10,000 kg × 1.5000 kgce/kg = 15.000 tce against 14.571 closed; the emissions do not move
    # (they use the guideline's 43.33 GJ/t, DOMAIN.md §2: still 31.45122 tCO2), so the ledger's entries agree.
    EnergyCoefficient.objects.create(carrier=Carrier.DIESEL, coefficient=Decimal("1.5000"), coefficient_unit="kgce/kg",
                                     valid_from=dt.date(2025, 1, 1), enterprise=closed["a"], source="test: supplier")
    booked = sum(e.tco2 for e in LedgerEntry.objects.filter(enterprise=closed["a"]))
    assert restatement_check(enterprise=closed["a"]) == [MARCH]
    period = AccountingPeriod.objects.get(enterprise=closed["a"], month=MARCH)
    assert period.restatement_pending is True
    assert period.restatement_reason == "recomputed figures differ for: A1 energy diesel"
    # the flag only: the ledger and the closed figure (39.151 tce) stay as closed until restated
    assert sum(e.tco2 for e in LedgerEntry.objects.filter(enterprise=closed["a"])) == booked
    assert site_kpis(site=closed["site_a"], period=Period.parse("2025-03"))["energy_tce"]["value"] == CLOSED_TCE
    # restated: 24.580 + 15.000 = 39.580 tce, and the check finds nothing more
    period_restate(enterprise=closed["a"], month=MARCH, reason="supplier's diesel value", actor=closed["admin_a"])
    assert site_kpis(site=closed["site_a"], period=Period.parse("2025-03"))["energy_tce"]["value"] == Decimal(
        "39.5800")
    assert restatement_check(enterprise=closed["a"]) == []


def test_restatement_check_flags_a_change_in_value_added_alone(closed):
    # A value added changed behind the services' back (100 → 120 10⁴ CNY, no hook): energy and emissions agree,
    # the snapshot's value added (100) does not.
    EconomicData.objects.filter(site=closed["site_a"], month=MARCH).update(value_added_10k_cny=Decimal("120"))
    assert restatement_check(enterprise=closed["a"]) == [MARCH]
    assert AccountingPeriod.objects.get(enterprise=closed["a"], month=MARCH).restatement_reason == (
        "recomputed figures differ for: A1 value added")


def test_late_reading_after_close_leaves_the_monthly_chart_and_monthly_export_unchanged(closed, api_client):
    site = closed["site_a"]
    # A late diesel reading of 1 t on 20 March after the close; the rollups now hold 10 + 1 = 11 t for March.
    readings_ingest(site=site, rows=[RawRow(0, "DSL", "2025-03-20T00:00:00+08:00", 1)])
    rollup_sweep()
    # The site page's chart of quantities by carrier (window wide enough to reach March 2025): March shows the closed
    # figures, 200,000 kWh and 10 t (not 11), and is named closed.
    chart = selectors.monthly_by_carrier(site=site, user=closed["viewer_a"], months=30)
    march = chart["labels"].index("2025-03")
    # The bars are in tce (never kWh and t stacked); each series carries its carrier's own quantities and unit.
    by = {s["quantity_unit"]: s["quantities"][march] for s in chart["series"]}
    assert (by["kWh"], by["t"]) == (200000, 10)
    assert chart["closed"] == ["2025-03"]
    # The monthly rows of the site's rollup export: March as closed (10 t, flagged), April open from the rollups.
    readings_ingest(site=site, rows=[RawRow(0, "E", "2025-04-01T00:00:00+08:00", 50_000)])
    rollup_sweep()
    api_client.force_authenticate(closed["viewer_a"])
    params = {"site": site.pk, "start": "2025-03-01", "end": "2025-05-01", "format": "csv"}
    rows = _csv_rows(api_client.get("/api/v1/exports/rollups/", {**params, "granularity": "month"}))
    got = {(r["carrier"], r["start"][:7]): (r["quantity"], r["closed"]) for r in rows}
    assert got == {("diesel", "2025-03"): ("10.0", "true"), ("electricity", "2025-03"): ("200000.0", "true"),
                   ("electricity", "2025-04"): ("50000.0", "false")}
    # Daily buckets stay the raw rollups: the late 1 t on 20 March is there.
    days = _csv_rows(api_client.get("/api/v1/exports/rollups/", {**params, "granularity": "day"}))
    assert {(r["carrier"], r["start"][:10]): r["quantity"] for r in days}[("diesel", "2025-03-20")] == "1.0"
    assert "closed" not in days[0]


def _csv_rows(resp) -> list[dict]:
    assert resp.status_code == 200, resp
    text = b"".join(resp.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))
