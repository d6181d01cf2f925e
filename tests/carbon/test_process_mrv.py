"""Process emissions by sector guideline (GB/T 32151 series) and the monthly MRV review (DOMAIN.md §2, §10)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import AuditEvent
from carbon.emissions import site_emissions
from carbon.models import GhgSectorSetting, MeasuredFuelProperty, MrvEvidence, ProcessActivity, ProcessFactor
from carbon.periods import Period
from carbon.process import ghg_sector
from meters.models import Carrier
from meters.rollup import rollup_sweep
from meters.services.ingest import RawRow, readings_ingest
from tests.factories import EnterpriseFactory, MeterFactory, SiteFactory

pytestmark = pytest.mark.django_db
MARCH = dt.date(2025, 3, 1)


def _factor(sector: str, code: str, gas: str = "CO2") -> ProcessFactor:
    return ProcessFactor.objects.get(sector=sector, code=code, gas=gas)


def _enter(site, sector: str, amounts: dict[str, str], month: dt.date = MARCH, **kw) -> None:
    for code, amount in amounts.items():
        gas = {"anode_effect_cf4": "CF4", "anode_effect_c2f6": "C2F6"}.get(code, "CO2")
        ProcessActivity.objects.create(site=site, month=month, factor=_factor(sector, code, gas),
                                       amount=Decimal(amount), **kw)


def _process(site) -> dict[str, Decimal]:
    em = site_emissions(site=site, period=Period.parse("2025-03"))
    return {ln["source"]: ln["tco2"] for ln in em["lines"] if ln["source"].startswith("process: ")} | {
        "scope1": em["scope1_tco2"]}


def test_steel_process_emissions_add_flux_and_electrodes_and_subtract_carbon_fixed_in_crude_steel():
    site = SiteFactory(enterprise=EnterpriseFactory(industry_code="C3120"))
    _enter(site, "steel", {"limestone": "1000", "dolomite": "500", "electrode": "20", "crude_steel": "10000"})
    # limestone 1,000 t × 0.440 = 440; dolomite 500 t × 0.471 = 235.5; electrodes 20 t × 3.663 = 73.26;
    # crude steel 10,000 t × 0.0154 = 154 subtracted → 440 + 235.5 + 73.26 − 154 = 594.76 tCO2
    assert _process(site) == {"process: limestone": Decimal("440.000000"), "process: dolomite": Decimal("235.500000"),
                              "process: electrode": Decimal("73.260000"),
                              "process: crude_steel": Decimal("-154.000000"), "scope1": Decimal("594.760000")}


def test_cement_process_emissions_are_clinker_calcination_and_raw_meal_organic_carbon():
    site = SiteFactory(enterprise=EnterpriseFactory(industry_code="C3011"))
    _enter(site, "cement", {"clinker": "100000", "raw_meal_toc": "160000"})
    # clinker 100,000 t × 0.525 = 52,500; raw meal 160,000 t × 0.003667 (0.1 % × 44/12) = 586.72 → 53,086.72
    assert _process(site)["scope1"] == Decimal("53086.720000")


def test_aluminium_process_emissions_are_anode_consumption_and_anode_effect_pfcs_in_co2e():
    site = SiteFactory(enterprise=EnterpriseFactory(industry_code="C3216"))
    _enter(site, "aluminium", {"anode": "4000", "anode_effect_cf4": "10000", "anode_effect_c2f6": "10000"})
    got = _process(site)
    # anode 4,000 t × (1 − 0.02 − 0.004) × 44/12 = 4,000 × 3.578667 = 14,314.668
    assert got["process: anode"] == Decimal("14314.668000")
    # CF4: 10,000 t Al × 0.034 kg/t = 0.34 t CF4 × GWP 6,500 = 2,210 tCO2e
    assert got["process: anode_effect_cf4"] == Decimal("2210.000000")
    # C2F6: 10,000 t Al × 0.0034 kg/t = 0.034 t C2F6 × GWP 9,200 = 312.8 tCO2e
    assert got["process: anode_effect_c2f6"] == Decimal("312.800000")
    # 14,314.668 + 2,210 + 312.8 = 16,837.468
    assert got["scope1"] == Decimal("16837.468000")


def test_biomass_co2_is_reported_separately_and_not_in_the_total():
    site = SiteFactory(enterprise=EnterpriseFactory(industry_code="C3982"))
    _enter(site, "general", {"biomass_pellets": "100"})
    em = site_emissions(site=site, period=Period.parse("2025-03"))
    # 100 t × 1.792 tCO2/t (16 GJ/t × 112 kgCO2/GJ) = 179.2 tCO2 biogenic, outside scope 1
    assert [(ln["source"], ln["tco2"]) for ln in em["biomass_lines"]] == [("process: biomass_pellets",
                                                                          Decimal("179.200000"))]
    assert em["scope1_tco2"] == Decimal(0)


def test_the_sector_follows_the_industry_code_unless_chosen_on_the_enterprise_or_the_site():
    cement = EnterpriseFactory(industry_code="C3011")
    site = SiteFactory(enterprise=cement)
    other = SiteFactory(enterprise=cement)
    assert ghg_sector(enterprise=cement, site=site) == "cement"
    assert ghg_sector(enterprise=EnterpriseFactory(industry_code="C3982")) == "general"
    GhgSectorSetting.objects.create(enterprise=cement, site=site, sector="aluminium")
    assert (ghg_sector(enterprise=cement, site=site), ghg_sector(enterprise=cement, site=other)) == (
        "aluminium", "cement")
    GhgSectorSetting.objects.create(enterprise=cement, sector="general")
    assert ghg_sector(enterprise=cement, site=other) == "general"


def test_the_loaded_process_factors_name_their_published_source_and_unverified_ones_are_provisional():
    limestone = _factor("steel", "limestone")
    assert limestone.source_zh.startswith("GB/T 32151.5-2015《温室气体排放核算与报告要求 第5部分：钢铁生产企业》")
    assert (limestone.value, limestone.provisional) == (Decimal("0.440000000"), True)
    assert (_factor("aluminium", "anode_effect_cf4", "CF4").gwp, _factor("aluminium", "anode_effect_c2f6",
                                                                          "C2F6").gwp) == (Decimal(6500),
                                                                                           Decimal(9200))


@pytest.fixture
def coal_site(tenants):
    """Enterprise A's site with 50 t of raw coal metered in March 2025."""
    site = tenants["site_a"]
    MeterFactory(site=site, code="COAL", carrier=Carrier.RAW_COAL, unit="t", interval_minutes=43200)
    assert readings_ingest(site=site, rows=[RawRow(0, "COAL", "2025-03-01T00:00:00+08:00", 50)]).rejected == []
    rollup_sweep()
    return site


def _coal_tco2(site) -> Decimal:
    em = site_emissions(site=site, period=Period.parse("2025-03"))
    return sum((ln["tco2"] for ln in em["lines"] if ln["source"] == "raw_coal"), Decimal(0))


def test_monthly_review_walks_entered_checked_confirmed_and_only_confirmed_values_feed_the_emissions(
        tenants, coal_site, api_client):
    api_client.force_authenticate(tenants["manager_a"])
    r = api_client.post("/api/v1/measured-fuel-properties/", {
        "enterprise": tenants["a"].pk, "carrier": "raw_coal", "month": "2025-03-01", "ncv_gj_per_unit": "21.5",
        "activity_unit": "t", "carbon_content_tc_per_tj": "26", "lab_report_number": "LAB-31", "consumption": "50"},
        format="json")
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    assert r.json()["review_status"] == "entered"
    # Entered: the default applies, 50 t × 2.071509 (23.204 × 26.18 × 0.93 × 44/12 ÷ 1000) = 103.575450
    assert _coal_tco2(coal_site) == Decimal("103.575450")
    # Out of order: confirm before check is a 409 with a code
    api_client.force_authenticate(tenants["admin_a"])
    early = api_client.post(f"/api/v1/measured-fuel-properties/{pk}/confirm/")
    assert (early.status_code, early.json()["code"]) == (409, "invalid_review_state")
    # A viewer may not check
    api_client.force_authenticate(tenants["viewer_a"])
    assert api_client.post(f"/api/v1/measured-fuel-properties/{pk}/check/").status_code == 403
    api_client.force_authenticate(tenants["manager_a"])
    checked = api_client.post(f"/api/v1/measured-fuel-properties/{pk}/check/")
    assert checked.status_code == 200 and checked.json()["review_status"] == "checked"
    assert checked.json()["checked_by"] == tenants["manager_a"].pk and checked.json()["checked_at"]
    # An energy manager checks, an enterprise admin confirms
    assert api_client.post(f"/api/v1/measured-fuel-properties/{pk}/confirm/").status_code == 403
    assert _coal_tco2(coal_site) == Decimal("103.575450")
    api_client.force_authenticate(tenants["admin_b"])
    assert api_client.post(f"/api/v1/measured-fuel-properties/{pk}/confirm/").status_code == 404
    api_client.force_authenticate(tenants["admin_a"])
    confirmed = api_client.post(f"/api/v1/measured-fuel-properties/{pk}/confirm/")
    assert confirmed.status_code == 200 and confirmed.json()["confirmed_by"] == tenants["admin_a"].pk
    # Confirmed: 21.5 × 26 × 0.93 × 44/12 ÷ 1000 = 1.906190 tCO2/t; 50 t × 1.906190 = 95.309500
    assert _coal_tco2(coal_site) == Decimal("95.309500")
    actions = list(AuditEvent.objects.filter(enterprise=tenants["a"], action__startswith="measuredfuelproperty.")
                   .order_by("pk").values_list("action", flat=True))
    assert actions == ["measuredfuelproperty.create", "measuredfuelproperty.check", "measuredfuelproperty.confirm"]
    # A change sends the record back to entered, and the default applies again
    changed = api_client.patch(f"/api/v1/measured-fuel-properties/{pk}/", {"ncv_gj_per_unit": "21.0"},
                               format="json")
    assert changed.status_code == 200 and changed.json()["review_status"] == "entered"
    assert changed.json()["confirmed_by"] is None
    assert _coal_tco2(coal_site) == Decimal("103.575450")


def test_process_activity_review_and_evidence_through_the_api(tenants, api_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    limestone = _factor("steel", "limestone")
    api_client.force_authenticate(tenants["manager_a"])
    r = api_client.post("/api/v1/process-activities/", {"site": tenants["site_a"].pk, "month": "2025-03-01",
                                                        "factor": limestone.pk, "amount": "1000"}, format="json")
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    bad = api_client.post("/api/v1/process-activities/", {"site": tenants["site_a"].pk, "month": "2025-03-02",
                                                          "factor": limestone.pk, "amount": "1"}, format="json")
    assert bad.status_code == 400 and "code" in bad.json()
    weighbridge = SimpleUploadedFile("wb.pdf", b"%PDF-1.4 weighbridge", content_type="application/pdf")
    e = api_client.post("/api/v1/mrv-evidence/", {"process_activity": pk, "kind": "weighbridge",
                                                  "reference": "WB-2025-03-17", "file": weighbridge},
                        format="multipart")
    assert e.status_code == 201, e.content
    assert MrvEvidence.objects.get().enterprise == tenants["a"]
    # Evidence for another enterprise's record: its id is not found for this user (400)
    other = ProcessActivity.objects.create(site=tenants["site_b"], month=MARCH, factor=limestone,
                                           amount=Decimal(1))
    foreign = api_client.post("/api/v1/mrv-evidence/", {"process_activity": other.pk, "kind": "invoice",
                                                        "reference": "X"}, format="json")
    assert foreign.status_code == 400
    assert api_client.post(f"/api/v1/process-activities/{pk}/check/").json()["review_status"] == "checked"
    api_client.force_authenticate(tenants["admin_a"])
    assert api_client.post(f"/api/v1/process-activities/{pk}/confirm/").json()["review_status"] == "confirmed"
    assert AuditEvent.objects.filter(action="processactivity.confirm", enterprise=tenants["a"]).count() == 1


def test_the_monthly_mrv_export_lists_each_record_with_evidence_and_review(tenants, api_client):
    fuel = MeasuredFuelProperty.objects.create(
        enterprise=tenants["a"], carrier="raw_coal", month=MARCH, ncv_gj_per_unit=Decimal("21.5"),
        activity_unit="t", carbon_content_tc_per_tj=Decimal("26"), lab_report_number="LAB-31",
        consumption=Decimal("50"), review_status="confirmed", confirmed_by=tenants["admin_a"])
    MrvEvidence.objects.create(enterprise=tenants["a"], fuel_property=fuel, kind="invoice", reference="INV-7")
    _enter(tenants["site_a"], "steel", {"limestone": "1000"})
    api_client.force_authenticate(tenants["viewer_a"])
    r = api_client.get(f"/api/v1/enterprises/{tenants['a'].pk}/mrv-export/?period=2025-03&file_format=csv")
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [(x["month"], x["kind"], x["code"], x["consumption"], x["review_status"]) for x in rows] == [
        ("2025-03", "fuel", "raw_coal", "50.0000", "confirmed"), ("2025-03", "material", "limestone", "1000.0000",
                                                                 "entered")]
    assert rows[0]["evidence"] == "lab_report LAB-31; invoice INV-7"
    assert rows[0]["confirmed_by"] == "admin_a"
    xlsx = api_client.get(f"/api/v1/enterprises/{tenants['a'].pk}/mrv-export/?period=2025&file_format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert api_client.get(f"/api/v1/enterprises/{tenants['b'].pk}/mrv-export/?period=2025").status_code == 404
    assert api_client.get(f"/api/v1/enterprises/{tenants['a'].pk}/mrv-export/?period=2025&file_format=pdf"
                          ).status_code == 400


def test_closing_a_month_posts_its_process_lines_to_the_ledger_and_the_report_reads_them_frozen(tenants):
    from carbon.kpis import site_emissions_frozen
    from carbon.ledger import period_close
    from carbon.models import LedgerEntry

    site = tenants["site_a"]
    _enter(site, "steel", {"limestone": "1000", "crude_steel": "10000"})
    period_close(enterprise=tenants["a"], month=MARCH, actor=tenants["admin_a"])
    # limestone 1,000 t × 0.440 = 440; crude steel 10,000 t × 0.0154 = −154
    assert sorted(LedgerEntry.objects.filter(enterprise=tenants["a"], source__startswith="process: ")
                  .values_list("source", "tco2")) == [("process: crude_steel", Decimal("-154.000000")),
                                                      ("process: limestone", Decimal("440.000000"))]
    # Entered after the close: the closed month keeps its figures (440 − 154 = 286) until restated
    _enter(site, "steel", {"electrode": "10"})
    frozen = site_emissions_frozen(site=site, period=Period.parse("2025-03"))
    assert frozen["scope1_tco2"] == Decimal("286.000000")
