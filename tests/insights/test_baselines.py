"""Baselines (ISO 50006): a regression with known coefficients, its quality, the adjusted baseline, savings,
re-baselining, and project assessment against the baseline."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditEvent
from carbon.periods import Period
from energy_platform.errors import ApplicationError
from insights import baselines as calc
from insights.models import EnergyBaseline, MonthlyWeather, SavingsProject
from insights.services import baseline_create
from tests.factories import ProductFactory, ProductionDataFactory, SiteFactory

from .conftest import monthly_meter, post_month

pytestmark = pytest.mark.django_db

# Baseline year 2024: output x = 100, 200, …, 1200 t; HDD as below; a residual pattern e = (+1, −1, −1, +1) × 3 that
# is orthogonal to 1, x and HDD (Σe = 0, Σe·x = 100·(1−2−3+4+5−6−7+8+9−10−11+12) = 0,
# Σe·HDD = 320−250−150+50+10−0−0+0+20−100−200+300 = 0), so least squares returns exactly
#   E (kWh) = 10,000 + 5·x + 20·HDD   with residuals 100·e.
X = [100 * i for i in range(1, 13)]
HDD = [320, 250, 150, 50, 10, 0, 0, 0, 20, 100, 200, 300]
E = [1, -1, -1, 1] * 3
KWH = [10_000 + 5 * x + 20 * h + 100 * e for x, h, e in zip(X, HDD, E, strict=True)]
# Reporting months: 2025-01 x = 500, HDD = 100 → adjusted 10,000 + 2,500 + 2,000 = 14,500, actual 13,775;
#                   2025-02 x = 800, HDD = 0   → adjusted 14,000, actual 14,000.
REPORTING = {"2025-01": (500, 100, 13_775), "2025-02": (800, 0, 14_000)}


@pytest.fixture
def plant(tenants):
    site = SiteFactory(enterprise=tenants["a"], code="P1")
    product = ProductFactory(site=site, code="STEEL", unit="t")
    monthly_meter(site, "E")
    months = [(f"2024-{m:02d}", x, h, kwh) for m, x, h, kwh in zip(range(1, 13), X, HDD, KWH, strict=True)]
    months += [(m, x, h, kwh) for m, (x, h, kwh) in REPORTING.items()]
    for month, x, hdd, kwh in months:
        post_month(site, month, {"E": kwh})
        first = dt.date.fromisoformat(f"{month}-01")
        ProductionDataFactory(product=product, month=first, quantity=x)
        MonthlyWeather.objects.create(site=site, month=first, hdd=hdd, cdd=0, source="test")
    return site


def _fit(site, user, measure="electricity_kwh", **kw):
    return baseline_create(site=site, name=kw.pop("name", "2024"), measure=measure, start_month=dt.date(2024, 1, 1),
                           variables=kw.pop("variables", ["product:STEEL", "hdd"]), actor=user, **kw)


def test_regression_recovers_the_known_coefficients_and_quality(plant, tenants):
    b = _fit(plant, tenants["manager_a"])
    assert b.coefficients == pytest.approx({"intercept": 10_000, "product:STEEL": 5, "hdd": 20}, abs=1e-6)
    # Residuals 100·e: SSE = 12 × 100² = 120,000; n = 12, p = 3.
    # ȳ = 10,000 + 5 × 650 + 20 × (1,400 / 12) = 15,583.33
    # CV(RMSE) = √(120,000 / 9) / 15,583.33 = 115.470 / 15,583.33 = 0.740984 %
    # NMBE = Σ residuals / ((n − p)·ȳ) = 0
    # SST = 25·Σ(x − 650)² + 400·Σ(HDD − h̄)² + 200·Σ(x − 650)(HDD − h̄) + 120,000
    #     = 25 × 1,430,000 + 400 × 167,066.67 + 200 × (−60,000) + 120,000 = 90,696,666.67
    # R² = 1 − 120,000 / 90,696,666.67 = 0.9986769
    assert b.cv_rmse_pct == pytest.approx(0.740984, abs=1e-6)
    assert b.nmbe_pct == pytest.approx(0, abs=1e-9)
    assert b.r_squared == pytest.approx(0.9986769, abs=1e-7)
    assert b.n_observations == 12 and b.active and b.supersedes is None
    assert [o["energy"] for o in b.observations] == KWH
    quality = {q["statistic"]: q for q in calc.quality(b)}
    # DOMAIN.md §7 [check]: CV(RMSE) ≤ 15 %, |NMBE| ≤ 5 % — loaded as provisional data
    assert (quality["cv_rmse"]["limit_pct"], quality["cv_rmse"]["passes"], quality["cv_rmse"]["provisional"]) == (
        15.0, True, True)
    assert (quality["nmbe"]["limit_pct"], quality["nmbe"]["passes"]) == (5.0, True)


def test_adjusted_baseline_savings_and_improvement(plant, tenants):
    b = _fit(plant, tenants["manager_a"])
    report = calc.baseline_report(baseline=b, months=Period.parse("2025-Q1").months())
    rows = {r["month"]: r for r in report["months"]}
    assert rows["2025-01"]["adjusted"] == pytest.approx(14_500)
    assert rows["2025-01"]["savings"] == pytest.approx(725)
    # improvement 1 − 13,775 / 14,500 = 5 %
    assert rows["2025-01"]["improvement_pct"] == pytest.approx(5.0)
    assert rows["2025-02"]["savings"] == pytest.approx(0, abs=1e-6)
    assert rows["2025-03"]["energy"] is None and rows["2025-03"]["adjusted"] is None  # no data: not totalled
    # Totals: adjusted 28,500, actual 27,775, savings 725, improvement 1 − 27,775 / 28,500 = 2.5438596 %
    assert report["months_counted"] == 2
    assert (report["adjusted"], report["actual"], report["savings"]) == pytest.approx((28_500, 27_775, 725))
    assert report["improvement_pct"] == pytest.approx(2.5438596, abs=1e-6)


def test_rebaselining_needs_a_reason_and_keeps_the_old_baseline(plant, tenants):
    first = _fit(plant, tenants["manager_a"])
    with pytest.raises(ApplicationError) as exc:
        _fit(plant, tenants["manager_a"], name="again")
    assert exc.value.code == "reason_required"
    second = _fit(plant, tenants["manager_a"], name="output only", variables=["product:STEEL"],
                  reason="New bar line commissioned: boundary change")
    first.refresh_from_db()
    assert not first.active and second.active and second.supersedes == first
    assert second.reason == "New bar line commissioned: boundary change"
    event = AuditEvent.objects.filter(action="baseline.rebaseline").get()
    assert event.detail["supersedes"] == first.pk
    # A measure has one active baseline at a time; another measure is independent.
    energy = _fit(plant, tenants["manager_a"], measure="energy_tce")
    assert energy.active and EnergyBaseline.objects.filter(site=plant, active=True).count() == 2


def test_energy_in_tce_scales_the_coefficients_by_the_electricity_coefficient(plant, tenants):
    b = _fit(plant, tenants["manager_a"], measure="energy_tce")
    # E (tce) = kWh × 0.1229 kgce/kWh ÷ 1000: 10,000 → 1.229, 5 → 0.0006145, 20 → 0.002458; CV(RMSE) unchanged.
    assert b.coefficients == pytest.approx({"intercept": 1.229, "product:STEEL": 0.0006145, "hdd": 0.002458},
                                           abs=1e-9)
    assert b.cv_rmse_pct == pytest.approx(0.740984, abs=1e-6)


@pytest.mark.parametrize(("variables", "code"), [
    (["cdd"], "collinear_variables"),  # CDD is 0 every month: collinear with the intercept
    (["product:NOPE"], "invalid_variables"), (["hdd", "hdd"], "invalid_variables"), (["rain"], "invalid_variables")])
def test_unfittable_variables_are_application_errors(plant, tenants, variables, code):
    with pytest.raises(ApplicationError) as exc:
        _fit(plant, tenants["manager_a"], variables=variables)
    assert exc.value.code == code


def test_baseline_api_roles_missing_data_and_report(plant, api_client, tenants):
    body = {"site": plant.pk, "name": "2024", "measure": "electricity_kwh", "start_month": "2024-01-01",
            "variables": ["product:STEEL", "hdd"]}
    api_client.force_authenticate(tenants["viewer_a"])
    assert api_client.post("/api/v1/baselines/", body, format="json").status_code == 403
    api_client.force_authenticate(tenants["admin_b"])
    r = api_client.post("/api/v1/baselines/", body, format="json")  # another enterprise's site: an invalid pk
    assert (r.status_code, r.json()["code"], list(r.json()["errors"])) == (400, "invalid", ["site"])
    api_client.force_authenticate(tenants["manager_a"])
    MonthlyWeather.objects.filter(site=plant, month="2024-05-01").delete()
    r = api_client.post("/api/v1/baselines/", body, format="json")
    assert r.status_code == 400
    assert (r.json()["code"], r.json()["missing_variables"]) == ("missing_data", {"2024-05": ["hdd"]})
    MonthlyWeather.objects.create(site=plant, month="2024-05-01", hdd=10, cdd=0)
    assert api_client.post("/api/v1/baselines/", {**body, "start_month": "2026-06-01"},
                           format="json").json()["code"] == "period_not_complete"
    assert api_client.post("/api/v1/baselines/", {**body, "start_month": "2024-01-15"},
                           format="json").json()["code"] == "invalid_month"
    r = api_client.post("/api/v1/baselines/", body, format="json")
    assert r.status_code == 201
    assert r.json()["coefficients"]["hdd"] == pytest.approx(20)
    r = api_client.get(f"/api/v1/baselines/{r.json()['id']}/report/?period=2025")
    assert r.status_code == 200 and r.json()["savings"] == pytest.approx(725)
    assert r.json()["quality"][0]["statistic"] == "cv_rmse"
    bad = api_client.get(f"/api/v1/baselines/{r.json()['baseline']}/report/?period=2025-14")
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_period")
    api_client.force_authenticate(tenants["admin_b"])
    assert api_client.get(f"/api/v1/baselines/{r.json()['baseline']}/report/?period=2025").status_code == 404


def test_project_measured_against_energy_and_emissions_baselines(plant, tenants, api_client):
    _fit(plant, tenants["manager_a"], measure="energy_tce")
    _fit(plant, tenants["manager_a"], measure="emissions_tco2")
    project = SavingsProject.objects.create(
        site=plant, name="VFD on rolling-line fans", kind="energy_saving", commissioned_on=dt.date(2024, 12, 15),
        expected_savings_tce_per_year=Decimal("0.6"), expected_reduction_tco2_per_year=Decimal("2.4"))
    a = calc.project_assessment(project=project)
    # Commissioned mid-December: measured from January 2025; only January and February have data.
    assert a["months"][:2] == ["2025-01", "2025-02"]
    # Energy: savings 725 kWh × 0.1229 kgce/kWh = 0.0891025 tce; expected 0.6 × 2 / 12 = 0.1 tce → 89.1025 %
    assert a["energy"]["months_counted"] == 2
    assert a["energy"]["measured_savings"] == pytest.approx(0.0891025, abs=1e-9)
    assert a["energy"]["expected_to_date"] == pytest.approx(0.1)
    assert a["energy"]["realisation_pct"] == pytest.approx(89.1025, abs=1e-6)
    assert a["energy"]["annualised_savings"] == pytest.approx(0.534615, abs=1e-9)
    # Emissions: Shanghai → East China grid, data year 2023 (latest ≤ 2024/2025): 0.5500 tCO2/MWh (DOMAIN.md §3)
    #   725 kWh × 0.55 / 1000 = 0.39875 tCO2; expected 2.4 × 2 / 12 = 0.4 → 99.6875 %
    assert a["emissions"]["measured_savings"] == pytest.approx(0.39875, abs=1e-9)
    assert a["emissions"]["realisation_pct"] == pytest.approx(99.6875, abs=1e-6)
    assert a["energy"]["baseline_overlaps"] is False

    api_client.force_authenticate(tenants["manager_a"])
    r = api_client.post("/api/v1/savings-projects/", {
        "site": plant.pk, "name": "Coal to gas boiler", "kind": "fuel_switching", "commissioned_on": "2025-01-01",
        "expected_savings_tce_per_year": "0.3"}, format="json")
    assert r.status_code == 201
    r = api_client.get(f"/api/v1/savings-projects/{r.json()['id']}/assessment/")
    assert r.status_code == 200 and r.json()["concurrent_projects"] == ["VFD on rolling-line fans"]
    api_client.force_authenticate(tenants["viewer_a"])
    assert api_client.post("/api/v1/savings-projects/", {
        "site": plant.pk, "name": "x", "kind": "energy_saving", "commissioned_on": "2025-01-01",
        "expected_savings_tce_per_year": "1"}, format="json").status_code == 403


def test_a_project_takes_a_baseline_of_its_own_site_and_measure(plant, tenants):
    kwh = _fit(plant, tenants["manager_a"])
    other = SiteFactory(enterprise=tenants["a"])
    project = SavingsProject(site=other, name="x", kind="energy_saving", commissioned_on=dt.date(2025, 1, 1),
                             expected_savings_tce_per_year=1, baseline=kwh, emissions_baseline=kwh)
    with pytest.raises(ValidationError) as exc:
        project.full_clean()
    assert set(exc.value.message_dict) == {"baseline", "emissions_baseline"}
    project.site = plant
    with pytest.raises(ValidationError) as exc:
        project.full_clean()
    assert "kWh" not in str(exc.value) and set(exc.value.message_dict) == {"baseline", "emissions_baseline"}


@pytest.fixture
def flat_plant(tenants):
    """A site whose energy the variables do not explain: E = 10,000 + 100·e kWh with the residual pattern e above,
    orthogonal to 1, output x and HDD."""
    site = SiteFactory(enterprise=tenants["a"], code="FLAT")
    product = ProductFactory(site=site, code="STEEL", unit="t")
    monthly_meter(site, "E")
    for m, x, h, e in zip(range(1, 13), X, HDD, E, strict=True):
        post_month(site, f"2024-{m:02d}", {"E": 10_000 + 100 * e})
        first = dt.date(2024, m, 1)
        ProductionDataFactory(product=product, month=first, quantity=x)
        MonthlyWeather.objects.create(site=site, month=first, hdd=h, cdd=0, source="test")
    return site


def test_a_baseline_whose_variables_explain_nothing_is_not_usable_although_cv_and_nmbe_pass(flat_plant, tenants,
                                                                                             client):
    b = _fit(flat_plant, tenants["manager_a"])
    # e ⟂ 1, x, HDD, so least squares gives E = 10,000 + 0·x + 0·HDD with residuals 100·e:
    # R² = 1 − SSE/SST = 1 − 120,000/120,000 = 0 (below 0.75, ASHRAE Guideline 14 / BPA §5.1.1)
    # CV(RMSE) = √(120,000 / (12 − 3)) / 10,000 × 100 = 115.470 / 100 = 1.1547 % (≤ 15 %: passes)
    # NMBE = 0 (passes); n = 12 (passes). Today's code showed this baseline 生效 with every check 通过.
    assert b.r_squared == pytest.approx(0, abs=1e-9)
    assert b.cv_rmse_pct == pytest.approx(1.154701, abs=1e-6)
    result = calc.adequacy(b)
    assert result["usable"] is False and result["active"] is False
    assert result["failed"] == ["r_squared"]
    client.force_login(tenants["manager_a"])
    html = client.get(f"/insights/baselines/?site={flat_plant.pk}").content.decode()
    assert 'id="baseline-status"' in html and "不可用" in html
    assert '<td id="check-r_squared"><span class="bad">' in html
    assert ", 生效)" not in html


def test_a_baseline_that_explains_the_energy_is_usable(plant, tenants):
    b = _fit(plant, tenants["manager_a"])
    # R² = 0.9986769 ≥ 0.75, CV(RMSE) 0.741 % ≤ 15 %, NMBE 0 %, n = 12 (hand-worked in the test above)
    result = calc.adequacy(b)
    assert result["usable"] is True and result["active"] is True and result["failed"] == []
    assert [c["statistic"] for c in result["checks"]] == ["r_squared", "cv_rmse", "nmbe", "n"]


def test_a_project_measured_against_an_unusable_baseline_says_so_on_the_page(flat_plant, tenants, client):
    b = _fit(flat_plant, tenants["manager_a"])  # R² = 0: not usable (hand-worked in the test above)
    project = SavingsProject.objects.create(
        site=flat_plant, name="Fans", kind="energy_saving", commissioned_on=dt.date(2024, 12, 1),
        expected_savings_tce_per_year=Decimal("0.6"), baseline=b)
    assert calc.project_assessment(project=project)["energy"]["baseline_usable"] is False
    client.force_login(tenants["manager_a"])
    html = client.get(f"/insights/baselines/?site={flat_plant.pk}").content.decode()
    assert f'<span class="bad" id="unusable-{project.pk}">基准不可用——节能量不可靠</span>' in html
    client.cookies["django_language"] = "en"
    html = client.get(f"/insights/baselines/?site={flat_plant.pk}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'id="unusable-{project.pk}">baseline not usable — savings not reliable</span>' in html


def test_a_project_measured_against_a_usable_baseline_shows_no_warning(plant, tenants, client):
    b = _fit(plant, tenants["manager_a"])
    SavingsProject.objects.create(site=plant, name="Fans", kind="energy_saving", commissioned_on=dt.date(2024, 12, 1),
                                  expected_savings_tce_per_year=Decimal("0.6"), baseline=b)
    client.force_login(tenants["manager_a"])
    html = client.get(f"/insights/baselines/?site={plant.pk}").content.decode()
    assert 'class="baseline-unusable"' not in html and 'data-project="' in html
