"""Projections on the constructed series of tests/alerts/series.py, worked by hand.

Conversion: electricity 0.1229 kgce/kWh (DOMAIN.md §1, equivalent value); grid factor of a Shanghai site for 2026:
East China regional average, data year 2023, 0.5500 tCO2/MWh (DOMAIN.md §3, regional table).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from alerts.backtest import forecast_backtest
from alerts.forecast import enterprise_forecast, project, site_forecast, target_limit
from alerts.models import CarbonAllowance, EnergyQuota
from carbon.emissions import factor_select
from carbon.models import Target
from carbon.periods import Period
from energy_platform.errors import ApplicationError
from tests.factories import SiteFactory

from . import series

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(tenants):
    series.build(tenants["site_a"])
    return tenants["site_a"]


def test_project_prefers_the_previous_years_profile_and_falls_back_to_run_rate():
    # Seasonal: 60 so far, last year 40 to the same day and 200 in all → 60 × 200 / 40 = 300.
    p = project(actual_to_date=Decimal(60), days_elapsed=73, days_total=365, previous_to_date=Decimal(40),
                previous_total=Decimal(200))
    assert (p.value, p.method, p.run_rate) == (Decimal(300), "seasonal", Decimal(300))  # 60 × 365 / 73 = 300 too
    # No usable previous year: run rate 60 × 365 / 73 = 300; nothing so far to the same day: run rate as well.
    p = project(actual_to_date=Decimal(60), days_elapsed=73, days_total=365, previous_to_date=Decimal(40),
                previous_total=Decimal(200), previous_usable=False)
    assert (p.value, p.method, p.seasonal) == (Decimal(300), "run_rate", None)
    p = project(actual_to_date=Decimal(60), days_elapsed=30, days_total=365, previous_to_date=Decimal(0),
                previous_total=Decimal(200))
    assert (p.value, p.method) == (Decimal(730), "run_rate")


def test_grid_factor_used_in_the_hand_worked_numbers_is_east_china_2023(site):
    assert factor_select(site=site, carrier="electricity", year=2026).value == Decimal("0.5500")


def test_year_end_projection_scales_last_years_profile_by_the_year_to_date(site):
    f = site_forecast(site=site, period=Period.year(2026), as_of=dt.date(2026, 3, 1))
    energy = f["quantities"]["energy_tce"]
    # To date: 59 days × 110 = 6,490 kWh × 0.1229 / 1000 = 0.797621 tce.
    assert energy["to_date"] == Decimal("0.7976")
    # Last year to 28 Feb: 3,100 + 3,500 = 6,600 kWh → 0.81114 tce; whole 2025: 67,800 kWh → 8.33262 tce.
    assert energy["previous_year_to_date"] == Decimal("0.8111")
    assert energy["previous_year_total"] == Decimal("8.3326")
    # Seasonal: 6,490 × 67,800 / 6,600 = 66,670 kWh → 8.193743 tce; run rate: 6,490 × 365 / 59 = 40,150 kWh → 4.934435.
    assert (energy["method"], energy["projected"], energy["run_rate"]) == ("seasonal", Decimal("8.1937"),
                                                                           Decimal("4.9344"))
    # Emissions: 66.670 MWh × 0.5500 = 36.6685 tCO2.
    assert f["quantities"]["total_tco2"]["projected"] == Decimal("36.6685")
    # Value added: 22 so far × 120 / 20 (the same months of 2025) = 132; intensity 8.193743 / 132 = 0.062074.
    assert f["quantities"]["value_added_10k_cny"]["projected"] == Decimal("132.0000")
    assert f["quantities"]["energy_per_value_added"]["projected"] == Decimal("0.0621")
    # 36.6685 / 132 = 0.277792.
    assert f["quantities"]["carbon_intensity"]["projected"] == Decimal("0.2778")
    assert (f["days_elapsed"], f["days_total"], f["complete"]) == (59, 365, False)


def test_month_end_projection_uses_the_same_month_of_last_year(site):
    f = site_forecast(site=site, period=Period.month(2026, 2), as_of=dt.date(2026, 2, 15))
    energy = f["quantities"]["energy_tce"]
    # 1–14 Feb 2026: 1,540 kWh; 1–14 Feb 2025: 1,400 of 3,500 → 1,540 × 3,500 / 1,400 = 3,850 kWh → 0.473165 tce.
    assert (energy["method"], energy["projected"]) == ("seasonal", Decimal("0.4732"))
    # Run rate: 1,540 × 28 / 14 = 3,080 kWh → 0.378532 tce.
    assert energy["run_rate"] == Decimal("0.3785")
    # Value added of the month is the entered figure itself: 11; 0.473165 / 11 = 0.043015.
    assert f["quantities"]["value_added_10k_cny"]["projected"] == Decimal("11.0000")
    assert f["quantities"]["energy_per_value_added"]["projected"] == Decimal("0.0430")
    assert f["comparisons"] == []  # targets and quotas are yearly


def test_without_a_previous_year_the_projection_is_the_run_rate(tenants):
    site = SiteFactory(enterprise=tenants["a"], code="NEW")
    series.build(site, with_2025=False)
    f = site_forecast(site=site, period=Period.year(2026), as_of=dt.date(2026, 3, 1))
    # 6,490 kWh × 365 / 59 = 40,150 kWh → 4.934435 tce; value added 22 × 12 / 2 = 132.
    assert (f["quantities"]["energy_tce"]["method"], f["quantities"]["energy_tce"]["projected"]) == (
        "run_rate", Decimal("4.9344"))
    assert f["quantities"]["value_added_10k_cny"]["method"] == "run_rate"
    assert f["quantities"]["value_added_10k_cny"]["projected"] == Decimal("132.0000")


def test_a_finished_period_is_its_actual_value(site):
    f = site_forecast(site=site, period=Period.year(2025), as_of=dt.date(2026, 3, 1))
    assert (f["complete"], f["quantities"]["energy_tce"]["method"]) == (True, "actual")
    assert f["quantities"]["energy_tce"]["projected"] == Decimal("8.3326")  # 67,800 × 0.1229 / 1000 = 8.33262


def test_projection_compared_with_target_path_quota_and_allowance(site, tenants):
    # Energy target: 2025 baseline (computed: 8.33262 tce), −10 % by 2027 → 2026 is half-way: 8.33262 × 0.95.
    target = Target.objects.create(enterprise=tenants["a"], site=site, indicator=Target.Indicator.ENERGY_TCE,
                                   baseline_year=2025, target_year=2027, reduction_pct=Decimal(10))
    EnergyQuota.objects.create(enterprise=tenants["a"], site=site, year=2026, energy_tce=Decimal(9), source="notice")
    CarbonAllowance.objects.create(enterprise=tenants["a"], site=site, year=2026, allowance_tco2=Decimal(30))
    f = site_forecast(site=site, period=Period.year(2026), as_of=dt.date(2026, 3, 1))
    by_kind = {c["kind"]: c for c in f["comparisons"]}
    t = by_kind["target"]
    # 8.33262 × (1 − 0.10 × 1/2) = 7.915989 → 7.9160 shown; projected 8.1937 shown → margin 7.9160 − 8.1937
    # = −0.2777 (comparisons use the figures as shown, to 4 decimals).
    assert (t["id"], t["baseline"], t["limit"], t["breach"], t["margin"]) == (
        target.pk, Decimal("8.3326"), Decimal("7.9160"), True, Decimal("-0.2777"))
    q = by_kind["energy_quota"]
    # 9 − 8.1937 = 0.8063 left; used so far 0.7976 / 9 = 8.8622 %.
    assert (q["breach"], q["margin"], q["used_to_date_pct"], q["source"]) == (
        False, Decimal("0.8063"), Decimal("8.8622"), "notice")
    a = by_kind["carbon_allowance"]
    # 30 − 36.6685 = −6.6685.
    assert (a["breach"], a["margin"]) == (True, Decimal("-6.6685"))


def test_target_path_is_linear_and_holds_the_goal_after_the_target_year():
    # 100 → −20 % from 2025 to 2029: 2026 allows 95, 2027 90, 2029 and later 80; the baseline year has no limit.
    args = {"baseline": Decimal(100), "reduction_pct": Decimal(20), "baseline_year": 2025, "target_year": 2029}
    assert [target_limit(**args, year=y) for y in (2025, 2026, 2027, 2029, 2031)] == [
        None, Decimal(95), Decimal(90), Decimal(80), Decimal(80)]


def test_enterprise_projection_sums_its_sites_and_compares_enterprise_quotas(site, tenants):
    other = SiteFactory(enterprise=tenants["a"], code="NEW")
    series.build(other, with_2025=False, code="E-NEW")
    EnergyQuota.objects.create(enterprise=tenants["a"], year=2026, energy_tce=Decimal(12))
    f = enterprise_forecast(enterprise=tenants["a"], period=Period.year(2026), as_of=dt.date(2026, 3, 1))
    # A1 seasonal 8.193743 + NEW run rate 4.934435 = 13.128178 tce, above the 12 tce quota by 1.128178.
    assert f["quantities"]["energy_tce"]["projected"] == Decimal("13.1282")
    assert f["quantities"]["energy_tce"]["method"] == "mixed"
    assert [(s["site"], s["energy_tce"]["method"]) for s in f["sites"]] == [("A1", "seasonal"), ("NEW", "run_rate")]
    (quota,) = f["comparisons"]
    assert (quota["kind"], quota["breach"], quota["margin"]) == ("energy_quota", True, Decimal("-1.1282"))


def test_periods_that_cannot_be_projected_are_refused(site):
    with pytest.raises(ApplicationError) as exc:
        site_forecast(site=site, period=Period.parse("2026-Q1"), as_of=dt.date(2026, 2, 1))
    assert exc.value.code == "invalid_forecast_period"
    with pytest.raises(ApplicationError) as exc:
        site_forecast(site=site, period=Period.year(2027), as_of=dt.date(2026, 3, 1))
    assert exc.value.code == "period_not_started"


def test_backtest_measures_the_error_of_each_method(site):
    result = forecast_backtest(sites=[site], year=2026, today=dt.date(2026, 3, 1))
    summary = {(r["horizon"], r["quantity"], r["method"], r["site"]): r for r in result["summary"]}
    # Month-end, seasonal: January is flat in both years (error 0 on the 8th, 15th, 22nd). February: on the 8th
    # 770 × 3,500 / 700 = 3,850 vs 3,080 (+25 %); on the 15th 1,540 × 3,500 / 1,400 = 3,850 (+25 %); on the 22nd
    # 2,310 × 3,500 / 2,450 = 3,300 (+7.142857 %). Mean of the six: 57.142857 / 6 = 9.52 %.
    seasonal = summary[("month_end", "energy_tce", "seasonal", "A1")]
    assert (seasonal["n"], seasonal["mape_pct"], seasonal["max_ape_pct"]) == (6, 9.52, 25.0)
    # 2026 is flat, so the run rate is exact here.
    assert summary[("month_end", "energy_tce", "run_rate", "A1")]["mape_pct"] == 0.0
    # January–February from 1 February: 3,410 × 6,600 / 3,100 = 7,260 vs 6,490 → +11.864407 %.
    horizon = summary[("year_to_last_complete_month", "energy_tce", "seasonal", "A1")]
    assert (horizon["n"], horizon["mape_pct"]) == (1, 11.86)
