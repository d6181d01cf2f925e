"""Every past year is computable (issue #13): coefficient editions and grid factors by year with the substitution rule
named in the answer, both heating values of a fuel disclosed, measured NCV/CC months, and equal-value year-on-year."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from accounts.models import AuditEvent
from carbon.emissions import factor_select, heating_values
from carbon.kpis import site_kpis
from carbon.models import (
    ConversionMethod,
    EmissionFactor,
    EnergyCoefficient,
    FactorSet,
    MeasuredFuelProperty,
    Target,
)
from carbon.periods import Period
from meters.models import Carrier
from meters.rollup import rollup_sweep
from meters.services.ingest import RawRow, readings_ingest
from reports.builders.energy import build_energy
from reports.builders.ghg import build_ghg
from tests.factories import EnterpriseFactory, MeterFactory, SiteFactory
from tests.paths import site_api

pytestmark = pytest.mark.django_db
MONTHLY = 43200  # minutes: read once a month
SINCE_2006 = dt.datetime(2006, 1, 1, tzinfo=dt.UTC)


def _monthly(site, code, carrier, unit, **kw):
    return MeterFactory(site=site, code=code, carrier=carrier, unit=unit, interval_minutes=MONTHLY,
                        active_from=SINCE_2006, **kw)


def _post(site, month: str, values: dict[str, float]):
    rows = [RawRow(i, code, f"{month}T00:00:00+08:00", v) for i, (code, v) in enumerate(values.items())]
    assert readings_ingest(site=site, rows=rows).rejected == []
    rollup_sweep()


def _q3(value) -> Decimal:
    """The figure to three decimals, whatever the answer's own presentation precision."""
    return Decimal(str(value)).quantize(Decimal("0.001"))


@pytest.fixture
def shanghai():
    """A Shanghai factory (region 310115 → East China grid, industry C3120) with grid electricity and raw coal."""
    site = SiteFactory(region_code="310115", enterprise__region_code="310115")
    _monthly(site, "E", Carrier.ELECTRICITY, "kWh")
    _monthly(site, "COAL", Carrier.RAW_COAL, "t")
    return site


def test_a_2018_month_uses_the_2008_edition_and_the_2015_grid_factor_named_as_substituted(shanghai):
    _post(shanghai, "2018-06-01", {"E": 100_000, "COAL": 40})
    kpis = site_kpis(site=shanghai, period=Period.parse("2018-06"))
    # GB/T 2589-2008 (DOMAIN.md §1, earlier years: same published values as 2020):
    #   electricity 100,000 kWh × 0.1229 kgce/kWh = 12,290 kgce = 12.290 tce
    #   raw coal 40 t = 40,000 kg × 0.7143 kgce/kg = 28,572 kgce = 28.572 tce;   total 40.862 tce
    by = {c["carrier"]: c for c in kpis["energy_by_carrier"]}
    assert by["electricity"]["tce"] == Decimal("12.290")
    assert by["raw_coal"]["tce"] == Decimal("28.572")
    assert _q3(kpis["energy_tce"]["value"]) == Decimal("40.862")
    assert {c["coefficient_edition"] for c in by.values()} == {"GB/T 2589-2008"}
    assert kpis["coefficient_editions"] == ["GB/T 2589-2008"]
    assert by["raw_coal"]["coefficient_valid_to"] == dt.date(2021, 3, 31)
    assert by["raw_coal"]["coefficient_substituted"] is False
    # Scope 2 (DOMAIN.md §3): no factor of data year 2018, none earlier in the East China region, so the national
    # 2015 factor 0.6101 (nearest earlier data year): 100 MWh × 0.6101 = 61.010 tCO2, named as substituted.
    # Scope 1: bituminous-coal default 2.071509 tCO2/t (23.204 × 26.18 × 0.93 × 44/12 ÷ 1000) × 40 t = 82.860360
    lines = {ln["source"]: ln for ln in kpis["emission_lines"]}
    assert lines["electricity"]["factor_value"] == Decimal("0.6101")
    assert lines["electricity"]["tco2"] == Decimal("61.010000")
    assert lines["electricity"]["factor_data_year"] == 2015
    assert lines["electricity"]["factor_substituted"] is True
    assert "data year 2015" in lines["electricity"]["factor_substitution"]
    assert "nearest earlier" in lines["electricity"]["factor_substitution"]
    assert lines["raw_coal"]["tco2"] == Decimal("82.860360")
    assert lines["raw_coal"]["factor_substituted"] is False
    # 61.010 + 82.86036 = 143.87036
    assert _q3(kpis["total_tco2"]["value"]) == Decimal("143.870")
    assert any("data year 2015" in s for s in kpis["substitutions"])


def test_the_2020_baseline_year_is_computable(shanghai):
    _post(shanghai, "2020-03-01", {"E": 60_000})
    _post(shanghai, "2020-09-01", {"E": 40_000})
    kpis = site_kpis(site=shanghai, period=Period.parse("2020"))
    # 60,000 + 40,000 = 100,000 kWh × 0.1229 = 12.290 tce (GB/T 2589-2008); × 0.6101 (2015 factor) = 61.010 tCO2
    assert _q3(kpis["energy_tce"]["value"]) == Decimal("12.290")
    assert _q3(kpis["scope2_tco2"]["value"]) == Decimal("61.010")
    assert kpis["coefficient_editions"] == ["GB/T 2589-2008"]


def test_january_to_march_2021_uses_the_2008_edition_and_the_2021_factor(shanghai, tenants, api_client):
    _post(shanghai, "2021-02-01", {"E": 100_000})
    kpis = site_kpis(site=shanghai, period=Period.parse("2021-Q1"))
    # 100,000 kWh × 0.1229 = 12.290 tce under GB/T 2589-2008 (in force until 2021-03-31)
    assert _q3(kpis["energy_tce"]["value"]) == Decimal("12.290")
    assert kpis["coefficient_editions"] == ["GB/T 2589-2008"]
    # National average of data year 2021: 0.5568 tCO2/MWh (DOMAIN.md §3) × 100 MWh = 55.680, the year's own factor
    line = kpis["emission_lines"][0]
    assert (line["factor_value"], line["tco2"], line["factor_substituted"]) == (
        Decimal("0.5568"), Decimal("55.680000"), False)
    assert kpis["substitutions"] == []


def test_a_year_across_the_edition_change_names_both_editions(shanghai):
    _post(shanghai, "2021-02-01", {"E": 50_000})
    _post(shanghai, "2021-06-01", {"E": 50_000})
    kpis = site_kpis(site=shanghai, period=Period.parse("2021"))
    # 100,000 kWh × 0.1229 = 12.290 tce: both editions publish 0.1229 kgce/kWh
    assert _q3(kpis["energy_tce"]["value"]) == Decimal("12.290")
    assert kpis["energy_by_carrier"][0]["coefficient_editions"] == ["GB/T 2589-2008", "GB/T 2589-2020"]
    assert kpis["coefficient_editions"] == ["GB/T 2589-2008", "GB/T 2589-2020"]


def test_a_month_before_the_2008_edition_substitutes_it_and_says_so(tenants, api_client):
    site = tenants["site_a"]  # Shanghai
    _monthly(site, "E", Carrier.ELECTRICITY, "kWh")
    _post(site, "2007-03-01", {"E": 10_000})
    api_client.force_authenticate(tenants["viewer_a"])
    r = api_client.get(site_api("A1") + "kpis/?period=2007-03")
    assert r.status_code == 200, r.content
    body = r.json()
    carrier = body["energy_by_carrier"][0]
    # 10,000 kWh × 0.1229 kgce/kWh = 1.229 tce, with the 2008 edition substituted (no edition loaded for 2007)
    assert _q3(body["energy_tce"]["value"]) == Decimal("1.229")
    assert carrier["coefficient_edition"] == "GB/T 2589-2008"
    assert carrier["coefficient_substituted"] is True
    assert "2007-03-01" in carrier["coefficient_substitution"]
    # No grid factor of 2007 or earlier: the nearest later data year, 2015 (0.6101): 10 MWh × 0.6101 = 6.101 tCO2
    line = body["emission_lines"][0]
    assert line["factor_substituted"] is True
    assert "nearest later" in line["factor_substitution"]
    assert _q3(body["scope2_tco2"]["value"]) == Decimal("6.101")
    assert len(body["substitutions"]) == 2


def test_equal_value_rates_are_loaded_per_year_and_provisional(shanghai):
    _post(shanghai, "2018-06-01", {"E": 100_000})
    kpis = site_kpis(site=shanghai, period=Period.parse("2018-06"), method=ConversionMethod.EQUAL_VALUE)
    # 2018 thermal power supply coal rate 0.308 kgce/kWh [check]: 100,000 × 0.308 = 30,800 kgce = 30.800 tce
    assert _q3(kpis["energy_tce"]["value"]) == Decimal("30.800")
    carrier = kpis["energy_by_carrier"][0]
    assert carrier["provisional"] is True
    assert carrier["coefficient_edition"] == "equal value 2018 供电标准煤耗"
    years = set(EnergyCoefficient.objects.filter(carrier="electricity", method="equal_value")
                .values_list("year", flat=True))
    assert set(range(2006, 2023)) <= years


def test_an_equal_value_year_without_the_previous_years_rate_answers_with_an_empty_yoy_and_the_reason(
        tenants, api_client):
    site = tenants["site_a"]
    _monthly(site, "E", Carrier.ELECTRICITY, "kWh")
    _post(site, "2025-03-01", {"E": 10_000})
    EnergyCoefficient.objects.create(carrier="electricity", method="equal_value", coefficient=Decimal("0.3000"),
                                     coefficient_unit="kgce/kWh", year=2025, valid_from=dt.date(2025, 1, 1),
                                     valid_to=dt.date(2025, 12, 31), source="test rate", edition="equal value 2025")
    # A target whose baseline year (2024) has no rate either: no baseline, no failure.
    Target.objects.create(enterprise=tenants["a"], indicator=Target.Indicator.ENERGY_TCE, baseline_year=2024,
                          target_year=2025, reduction_pct=Decimal("5"))
    api_client.force_authenticate(tenants["viewer_a"])
    for url in (site_api("A1") + "kpis/?period=2025-03&method=equal_value",
                f"/api/v1/enterprises/{tenants['a'].pk}/kpis/?period=2025-03&method=equal_value"):
        r = api_client.get(url)
        assert r.status_code == 200, r.content
        body = r.json()
        # 10,000 kWh × 0.3000 kgce/kWh = 3,000 kgce = 3.000 tce
        assert _q3(body["energy_tce"]["value"]) == Decimal("3.000")
        assert body["yoy_change_pct"] == {"energy_tce": None, "energy_per_value_added": None, "total_tco2": None,
                                          "carbon_intensity": None}
        assert body["yoy_unavailable"]["code"] == "no_equal_value_rate"
        assert "2024" in body["yoy_unavailable"]["detail"]
    assert [(t["baseline_year"], t["baseline"], _q3(t["current"])) for t in body["targets"]] == [
        (2024, None, Decimal("3.000"))]


def test_raw_coal_and_natural_gas_show_both_heating_values_with_sources(shanghai):
    _monthly(shanghai, "GAS", Carrier.NATURAL_GAS, "m3")
    _post(shanghai, "2025-03-01", {"COAL": 50, "GAS": 20_000})
    kpis = site_kpis(site=shanghai, period=Period.parse("2025-03"))
    hv = {h["carrier"]: h for h in kpis["heating_values"]}
    coal = hv["raw_coal"]
    # GB/T 2589-2020: raw coal 20,908 kJ/kg = 20.908 GJ/t; GHG default (bituminous coal): 23.204 GJ/t (DOMAIN.md §2)
    assert (coal["energy"]["ncv"], coal["energy"]["unit"]) == (Decimal("20.908"), "GJ/t")
    assert coal["energy"]["edition"] == "GB/T 2589-2020"
    assert "GB/T 2589-2020" in coal["energy"]["source"]
    assert (coal["emissions"]["ncv"], coal["emissions"]["unit"]) == (Decimal("23.204"), "GJ/t")
    assert "bituminous" in coal["emissions"]["source"]
    assert coal["differ"] is True
    # Natural gas: 1.2143 kgce/m³ × 29,307 kJ/kgce = 35,587.4 kJ/m³ = 355.874 GJ/10⁴m³, against 389.31 GJ/10⁴Nm³
    gas = hv["natural_gas"]
    assert (gas["energy"]["ncv"], gas["emissions"]["ncv"]) == (Decimal("355.874"), Decimal("389.31"))
    # The reports print both (built in English: a report's language is its own, not the request's).
    with translation.override("en"):
        documents = [build_energy(enterprise=shanghai.enterprise, year=2025, site=shanghai),
                     build_ghg(enterprise=shanghai.enterprise, year=2025, site=shanghai)]
    for document in documents:
        section = next(s for s in document.sections if s.key == "heating_values")
        # Columns: fuel (its name, not its code), purpose, heating value, unit, source, provisional.
        rows = [(r[0], r[2], r[3]) for r in section.tables[0].rows]
        assert ("raw coal", Decimal("20.908"), "GJ/t") in rows
        assert ("raw coal", Decimal("23.204"), "GJ/t") in rows
        assert any("differ" in n for n in section.notes)


def test_a_measured_ncv_and_carbon_content_month_overrides_the_default(shanghai):
    _post(shanghai, "2025-03-01", {"COAL": 50})
    _post(shanghai, "2025-06-01", {"COAL": 20})
    MeasuredFuelProperty.objects.create(
        enterprise=shanghai.enterprise, carrier="raw_coal", month=dt.date(2025, 3, 1),
        ncv_gj_per_unit=Decimal("21.5000"), activity_unit="t", carbon_content_tc_per_tj=Decimal("26.000"),
        lab_report_number="LAB-2025-031", review_status="confirmed")  # only confirmed months feed the emissions
    march = site_kpis(site=shanghai, period=Period.parse("2025-03"))
    # Measured: 21.5 GJ/t × 26.00 tC/TJ × 0.93 (default OF) × 44/12 ÷ 1000 = 519.87 × 44/12 ÷ 1000 = 1.906190 tCO2/t;
    #   50 t × 1.906190 = 95.309500 tCO2 (the default would give 50 × 2.071509 = 103.575450)
    (line,) = [ln for ln in march["emission_lines"] if ln["source"] == "raw_coal"]
    assert (line["factor_value"], line["tco2"]) == (Decimal("1.906190"), Decimal("95.309500"))
    assert line["measured"]["lab_report_number"] == "LAB-2025-031"
    assert "LAB-2025-031" in line["factor_source"]
    assert march["heating_values"][0]["measured"][0]["ncv"] == Decimal("21.5")
    year = site_kpis(site=shanghai, period=Period.parse("2025"))
    # Year: March measured 95.309500 + June default 20 t × 2.071509 = 41.430180 → 136.739680 tCO2
    lines = {ln.get("month"): (ln["activity_amount"], ln["tco2"]) for ln in year["emission_lines"]
             if ln["source"] == "raw_coal"}
    assert lines == {"2025-03": (Decimal(50), Decimal("95.309500")), None: (Decimal(20), Decimal("41.430180"))}
    assert _q3(year["scope1_tco2"]["value"]) == Decimal("136.740")


def test_compliance_grid_factors_follow_their_data_years():
    site = SiteFactory(region_code="310115")
    compliance = FactorSet.Purpose.COMPLIANCE
    # 0.5703: the 2022 national average used for 2023–2025 reporting; 0.6101: the 2015 factor (DOMAIN.md §3)
    assert factor_select(site=site, carrier="electricity", year=2024, purpose=compliance).value == Decimal("0.5703")
    older = factor_select(site=site, carrier="electricity", year=2018, purpose=compliance)
    assert (older.value, older.factor_set.data_year) == (Decimal("0.6101"), 2015)


def test_a_sector_guideline_governs_its_industry_and_the_general_one_the_rest():
    steel = SiteFactory(enterprise=EnterpriseFactory(industry_code="C3120"))
    electronics = SiteFactory(enterprise=EnterpriseFactory(industry_code="C3971"))
    sector = FactorSet.objects.create(name="Steel sector guideline (test)", version="t1", publisher="test",
                                      source="test", industry_prefixes="C31, C32")
    EmissionFactor.objects.create(factor_set=sector, kind="fuel", carrier="raw_coal", geography="national",
                                  value=Decimal("1.900000"), activity_unit="t", ncv_gj_per_unit=Decimal("20.908"),
                                  source="sector row (test)")
    assert factor_select(site=steel, carrier="raw_coal", year=2025).value == Decimal("1.900000")
    # bituminous coal default of the general set: 2.071509 tCO2/t
    assert factor_select(site=electronics, carrier="raw_coal", year=2025).value == Decimal("2.071509")
    assert heating_values(site=steel, period=Period.parse("2025"), carriers={"raw_coal"})[0]["differ"] is False


def test_measured_fuel_properties_api_is_tenant_scoped_audited_and_keeps_the_evidence(
        tenants, api_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    api_client.force_authenticate(tenants["manager_a"])
    report = SimpleUploadedFile("lab.pdf", b"%PDF-1.4 lab report", content_type="application/pdf")
    r = api_client.post("/api/v1/measured-fuel-properties/", {
        "enterprise": tenants["a"].pk, "carrier": "raw_coal", "month": "2025-03-01", "ncv_gj_per_unit": "21.5",
        "activity_unit": "t", "carbon_content_tc_per_tj": "26", "lab_report_number": "LAB-7",
        "evidence_file": report}, format="multipart")
    assert r.status_code == 201, r.content
    row = MeasuredFuelProperty.objects.get()
    assert (row.created_by, row.lab_report_number) == (tenants["manager_a"], "LAB-7")
    assert row.evidence_file.name.startswith("fuel-analyses/2025/") or row.evidence_file.name.startswith(
        "fuel-analyses/")
    assert AuditEvent.objects.filter(action="measuredfuelproperty.create", enterprise=tenants["a"]).count() == 1
    # Not the first day of the month, and a foreign enterprise: 400 with a code
    bad = api_client.post("/api/v1/measured-fuel-properties/", {
        "enterprise": tenants["a"].pk, "carrier": "raw_coal", "month": "2025-04-02", "ncv_gj_per_unit": "21.5",
        "activity_unit": "t", "carbon_content_tc_per_tj": "26", "lab_report_number": "LAB-8"}, format="json")
    assert bad.status_code == 400 and "code" in bad.json()
    foreign = api_client.post("/api/v1/measured-fuel-properties/", {
        "enterprise": tenants["b"].pk, "carrier": "raw_coal", "month": "2025-04-01", "ncv_gj_per_unit": "21.5",
        "activity_unit": "t", "carbon_content_tc_per_tj": "26", "lab_report_number": "LAB-9"}, format="json")
    assert foreign.status_code == 400
    api_client.force_authenticate(tenants["admin_b"])
    assert api_client.get("/api/v1/measured-fuel-properties/").json()["results"] == []
    assert api_client.get(f"/api/v1/measured-fuel-properties/{row.pk}/").status_code == 404
    api_client.force_authenticate(tenants["viewer_a"])
    denied = api_client.post("/api/v1/measured-fuel-properties/", {
        "enterprise": tenants["a"].pk, "carrier": "diesel", "month": "2025-04-01", "ncv_gj_per_unit": "43",
        "activity_unit": "t", "carbon_content_tc_per_tj": "20", "lab_report_number": "LAB-10"}, format="json")
    assert denied.status_code == 403


def test_the_2008_edition_rows_carry_the_same_published_values_as_2020_and_are_provisional():
    # DOMAIN.md §1 "Earlier years": raw coal 0.7143, …, electricity 0.1229, heat 0.03412 in both editions
    rows = EnergyCoefficient.objects.filter(enterprise__isnull=True, method="equivalent")
    old = {c.carrier: c for c in rows.filter(edition="GB/T 2589-2008")}
    new = {c.carrier: c for c in rows.filter(edition="GB/T 2589-2020")}
    assert set(old) == set(new)
    assert {k: (c.coefficient, c.coefficient_unit) for k, c in old.items()} == {
        k: (c.coefficient, c.coefficient_unit) for k, c in new.items()}
    assert {(c.valid_from, c.valid_to, c.provisional) for c in old.values()} == {
        (dt.date(2008, 6, 1), dt.date(2021, 3, 31), True)}
    assert (old["raw_coal"].ncv_kj, new["raw_coal"].ncv_kj) == (Decimal("20908"), Decimal("20908"))


def test_the_factor_substitution_note_reads_in_the_documents_language_and_stays_english_in_the_answer(shanghai):
    _post(shanghai, "2018-06-01", {"E": 100_000})
    # No grid factor of data year 2018: the national 2015 factor 0.6101 tCO2/MWh is substituted (nearest earlier).
    with translation.override("zh-hans"):
        kpis = site_kpis(site=shanghai, period=Period.parse("2018-06"))
        ghg = build_ghg(enterprise=shanghai.enterprise, year=2018, site=shanghai)
    (english,) = [s for s in kpis["substitutions"] if s.startswith("electricity: ")]
    assert english.startswith("electricity: No electricity (purchased) factor of data year 2018: ")
    assert english.endswith("(data year 2015, 0.610100 tCO2/MWh) is substituted (nearest earlier).")
    notes = next(s for s in ghg.sections if s.key == "heating_values").notes
    (chinese,) = [n for n in notes if "0.6101" in n]
    assert "electricity: 无2018数据年份的电力（外购）排放因子：以" in chinese
    assert chinese.endswith("（数据年份2015，0.610100 tCO2/MWh）替代（采用最近的较早年份）。")
    assert "No " not in chinese and "substituted" not in chinese
