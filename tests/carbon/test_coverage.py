"""One definition of a period's coverage (carbon.periods.period_coverage): a period in progress is counted to date,
through yesterday; a month in progress has no intensity; year-to-date intensities divide the complete months' energy
by the complete months' value added. The KPI API, the UI, the site charts, forecasts and all four reports agree."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from alerts.forecast import site_forecast
from carbon.kpis import enterprise_kpis, site_kpis
from carbon.periods import MONTH_IN_PROGRESS, Period, period_coverage
from meters.models import Reading
from meters.rollup import rollup_all
from plants.models import Site
from reports.builders import builders
from tests.factories import EconomicDataFactory, MeterFactory, SiteFactory
from tests.paths import site_api
from ui.selectors import site_kpi_trend

pytestmark = pytest.mark.django_db
CST = dt.timezone(dt.timedelta(hours=8))
TODAY = dt.date(2025, 12, 7)  # the patched local date: December 2025 is in progress, counted through 6 December
ELEVEN_MONTHS = [f"2025-{m:02d}" for m in range(1, 12)]

# Every site below reads 1,000 kWh a day from 1 January to 7 December 2025 (East China grid, 0.5500 tCO2/MWh) and
# enters 100 (10⁴ CNY) of value added in each of the twelve months. By hand (GB/T 2589-2020, 0.1229 kgce/kWh):
#   Jan–Nov = 31+28+31+30+31+30+31+31+30+31+30 = 334 days = 334,000 kWh; December to date (1–6) = 6,000 kWh
#   year to date: 340,000 kWh × 0.1229 = 41,786 kgce = 41.7860 tce; 340 MWh × 0.55 = 187.0 tCO2
#   December to date: 6,000 kWh × 0.1229 = 737.4 kgce = 0.7374 tce
#   YTD intensity, complete months alike: 334,000 × 0.1229 = 41.0486 tce / (11 × 100) = 0.0373169 → 0.0373
#     (not 41.786 / 1,200 = 0.0348, which divides 11.2 months of energy by 12 months of value added)
#   YTD carbon intensity: 334 MWh × 0.55 = 183.7 tCO2 / 1,100 = 0.1670


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    return TODAY


def _daily_site(site):
    meter = MeterFactory(site=site, code=f"{site.code}-E", interval_minutes=1440)
    first = dt.datetime(2025, 1, 1, tzinfo=CST)
    Reading.objects.bulk_create([Reading(meter=meter, ts=first + dt.timedelta(days=i), value=1000)
                                 for i in range((dt.date(2025, 12, 7) - dt.date(2025, 1, 1)).days + 1)])
    for month in range(1, 13):
        EconomicDataFactory(site=site, month=dt.date(2025, month, 1), value_added_10k_cny=Decimal("100"))
    return site


@pytest.fixture
def factory(tenants):
    site = _daily_site(tenants["site_a"])
    rollup_all()
    return site


def test_coverage_of_a_month_and_a_year_in_progress():
    month = period_coverage(period=Period.parse("2025-12"), today=TODAY)
    assert (month.in_progress, month.through, month.complete, month.intensity_reason) == (
        True, dt.date(2025, 12, 6), None, MONTH_IN_PROGRESS)
    year = period_coverage(period=Period.parse("2025"), today=TODAY)
    assert year.complete == Period(dt.date(2025, 1, 1), 11)
    assert year.complete_months == ELEVEN_MONTHS
    assert str(year.complete) == "2025-01..2025-11"
    past = period_coverage(period=Period.parse("2025-11"), today=TODAY)
    assert (past.in_progress, past.through, past.complete_months) == (False, None, ["2025-11"])


def test_month_in_progress_has_no_intensity_and_says_through_when(factory, today, api_client, tenants):
    api_client.force_authenticate(tenants["viewer_a"])
    k = api_client.get(site_api("A1") + "kpis/?period=2025-12").json()
    assert k["energy_tce"]["value"] == 0.7374
    assert k["coverage"] == {"in_progress": True, "through": "2025-12-06", "complete_months": []}
    assert k["energy_per_value_added"] == {"value": None, "unit": "tce/10^4 CNY", "months": [],
                                           "reason": "month_in_progress"}
    assert k["carbon_intensity"]["value"] is None and k["carbon_intensity"]["reason"] == "month_in_progress"
    ent = enterprise_kpis(enterprise=tenants["a"], period=Period.parse("2025-12"))
    assert ent["energy_per_value_added"]["value"] is None
    assert ent["energy_per_value_added"]["reason"] == MONTH_IN_PROGRESS


def test_year_to_date_intensity_uses_the_complete_months_for_numerator_and_denominator(factory, today):
    k = site_kpis(site=factory, period=Period.parse("2025"))
    assert k["energy_tce"]["value"] == Decimal("41.7860")
    assert k["total_tco2"]["value"] == Decimal("187.0000")
    assert k["energy_per_value_added"] == {"value": Decimal("0.0373"), "unit": "tce/10^4 CNY",
                                           "months": ELEVEN_MONTHS}
    assert k["carbon_intensity"]["value"] == Decimal("0.1670")
    assert k["coverage"]["through"] == dt.date(2025, 12, 6)
    # A whole past month is unaffected: November 30,000 kWh × 0.1229 = 3.687 tce / 100 = 0.0369 (0.03687)
    nov = site_kpis(site=factory, period=Period.parse("2025-11"))
    assert nov["energy_per_value_added"] == {"value": Decimal("0.0369"), "unit": "tce/10^4 CNY"}
    assert nov["coverage"] == {"in_progress": False, "through": None, "complete_months": ["2025-11"]}


def test_december_point_of_the_base_station_chart_does_not_collapse(tenants):
    fleet = _daily_site(SiteFactory(enterprise=tenants["a"], code="BS", kind=Site.Kind.BASE_STATION_FLEET,
                                    base_station_count=10))
    rollup_all()
    trend = site_kpi_trend(site=fleet, metric="base_station", today=TODAY)
    data = dict(zip(trend["labels"], trend["series"][0]["data"], strict=True))
    # November: 30 days × 1,000 kWh / 10 stations = 3,000 kWh per station; December in progress has no point
    # (6,000 / 10 = 600 would look like a collapse)
    assert data["2025-11"] == 3000.0
    assert data["2025-12"] is None
    assert (trend["through"], trend["in_progress"]) == ("2025-12-06", ["2025-12"])


def test_overview_shows_month_in_progress_and_through_date(factory, today, client, tenants):
    client.force_login(tenants["viewer_a"])
    html = client.get(f"/?enterprise={tenants['a'].pk}").content.decode()
    assert "本月进行中" in html
    assert "截至 2025-12-06" in html
    assert "完整月份 2025-01 至 2025-11" in html


def test_all_four_reports_cut_a_year_in_progress_at_the_same_date_and_say_so(factory, today, tenants):
    # (the CBAM export needs installation data and reports complete months only: tests/reports/test_cbam.py)
    docs = {kind: build(enterprise=tenants["a"], year=2025) for kind, build in builders().items() if kind != "cbam"}
    assert {kind: doc.meta["through"] for kind, doc in docs.items()} == {
        "energy": "2025-12-06", "ghg": "2025-12-06", "footprint": "2025-12-06", "green_factory": "2025-12-06"}
    for doc in docs.values():
        notes = [n for s in doc.sections for n in s.notes]
        assert any("2025-12-06" in str(n) for n in notes), doc.kind
    ghg_total = next(s for s in docs["ghg"].sections if s.key == "summary").tables[0].rows[2][1]
    # 340 MWh × 0.55 = 187.0 tCO2 (the reading of 7 December, today, is not counted: that would be 187.55)
    assert ghg_total == Decimal("187.0")
    summary = next(s for s in docs["energy"].sections if s.key == "summary").tables[0].rows
    assert (summary[0][1], summary[2][1]) == (Decimal("41.7860"), Decimal("0.0373"))


def test_forecast_names_the_same_coverage(factory):
    f = site_forecast(site=factory, period=Period.parse("2025"), as_of=TODAY)
    assert f["coverage"] == {"in_progress": True, "through": dt.date(2025, 12, 6), "complete_months": ELEVEN_MONTHS}
    # to date: 340,000 kWh × 0.1229 = 41.786 tce
    assert f["quantities"]["energy_tce"]["to_date"] == Decimal("41.7860")
