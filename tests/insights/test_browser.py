"""Real-browser tests of the centre's pages (headless Debian chromium via Playwright, never a downloaded browser):
each page shows the services' numbers, draws its chart with the vendored ECharts, and requests nothing external."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from carbon.periods import Period
from insights.benchmark import site_benchmark
from insights.energy_flow import energy_flow
from insights.models import BenchmarkReference, EnergyBaseline, MonthlyWeather, ProductCategory, SavingsProject
from insights.services import baseline_create
from meters.models import Meter
from tests.browser import SHOTS, open_page
from tests.factories import (
    EconomicDataFactory,
    EnterpriseFactory,
    ProductFactory,
    ProductionDataFactory,
    ProductionUnitFactory,
    SiteFactory,
    UserFactory,
    member,
)

from .conftest import monthly_meter, post_month

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MONTHS = [dt.date(2024, 1, 1) + dt.timedelta(days=31 * i) for i in range(18)]
MONTHS = [m.replace(day=1) for m in MONTHS]  # 2024-01 … 2025-06


@pytest.fixture
def browser_page(live_server):
    with open_page() as opened:
        yield opened


@pytest.fixture
def centre(transactional_db):
    """A rolling mill with a metering tree, 18 months of monthly data, weather, a baseline and a project, and a
    second mill making the same product category."""
    ent = EnterpriseFactory(name="冀东示范钢铁 Demo Steel", region_code="130203")
    user = UserFactory(username="mgr")
    user.set_password("pw-123456")
    user.save()
    member(user, ent)
    rm = SiteFactory(enterprise=ent, code="RM", name="轧钢厂 Rolling mill", region_code="130203")
    rm2 = SiteFactory(enterprise=ent, code="RM2", name="二号轧钢厂 Mill 2", region_code="130203")
    w1 = ProductionUnitFactory(site=rm, code="W1", name="热轧车间 Hot rolling")
    rf = ProductionUnitFactory(site=rm, code="RF", name="加热炉 Furnace", parent=w1)
    l1 = ProductionUnitFactory(site=rm, code="L1", name="轧线 Rolling line", parent=w1)
    w2 = ProductionUnitFactory(site=rm, code="W2", name="棒材车间 Bar workshop")
    main = monthly_meter(rm, "MAIN", name="进线 Main incomer")
    mw1 = monthly_meter(rm, "E-W1", parent=main, production_unit=w1, name="热轧 Hot rolling")
    monthly_meter(rm, "E-RF", parent=mw1, production_unit=rf)
    monthly_meter(rm, "E-L1", parent=mw1, production_unit=l1)
    monthly_meter(rm, "E-W2", parent=main, production_unit=w2)
    monthly_meter(rm, "E-AUX", parent=main, name="办公 Offices")
    monthly_meter(rm, "PV", carrier="pv_generation", role=Meter.Role.GENERATION, name="光伏 Rooftop PV")
    monthly_meter(rm, "GAS", carrier="natural_gas", unit="m3", production_unit=rf, name="天然气 Natural gas")
    monthly_meter(rm2, "RM2-MAIN")
    hrc = ProductFactory(site=rm, code="HRC", name="热轧卷 Hot-rolled coil", unit="t")
    coil2 = ProductFactory(site=rm2, code="COIL", name="热轧卷 Coil", unit="t")
    for p in (hrc, coil2):
        ProductCategory.objects.create(product=p, category="hot-rolled coil")
    for kind, value in (("limit", 60), ("advanced", 40)):
        BenchmarkReference.objects.create(indicator="energy_per_unit", product_category="hot-rolled coil",
                                          kind=kind, value=value, unit="kgce/t", enterprise=ent,
                                          source="test data: enterprise standard, not a national value")
    for i, month in enumerate(MONTHS):
        out = 50_000 + 400 * ((i * 7) % 9)
        hdd = max(0, int(420 * abs(6.5 - (i % 12)) / 6.5) - 120)
        after = 0.95 if month >= dt.date(2025, 2, 1) else 1.0  # the project saves 5 % from February 2025
        main_kwh = (2_000_000 + 18 * out + 900 * hdd + ((i * 37) % 11 - 5) * 4000) * after
        w1_kwh, w2_kwh = main_kwh * 0.62, main_kwh * 0.27
        post_month(rm, f"{month:%Y-%m}", {
            "MAIN": round(main_kwh), "E-W1": round(w1_kwh), "E-RF": round(w1_kwh * 0.3), "E-L1": round(w1_kwh * 0.64),
            "E-W2": round(w2_kwh), "E-AUX": round(main_kwh * 0.06), "PV": 90_000 + 2_000 * (i % 6),
            "GAS": round((400_000 + 2 * out) * after)})
        post_month(rm2, f"{month:%Y-%m}", {"RM2-MAIN": 1_500_000 + 10 * i})
        ProductionDataFactory(product=hrc, month=month, quantity=out)
        ProductionDataFactory(product=coil2, month=month, quantity=30_000)
        EconomicDataFactory(site=rm, month=month, value_added_10k_cny=Decimal(8000 + 40 * i))
        EconomicDataFactory(site=rm2, month=month, value_added_10k_cny=Decimal(5000))
        MonthlyWeather.objects.create(site=rm, month=month, hdd=hdd, cdd=max(0, 200 - hdd) // 2,
                                      source="test data")
    baseline = baseline_create(site=rm, name="2024 基准", start_month=dt.date(2024, 1, 1),
                               variables=["product:HRC", "hdd"], actor=user)
    SavingsProject.objects.create(site=rm, name="轧线变频改造 VFD retrofit", kind="energy_saving",
                                  commissioned_on=dt.date(2025, 1, 20), expected_savings_tce_per_year=Decimal(1500))
    return {"enterprise": ent, "site": rm, "user": user, "baseline": baseline}


def _login(page, live_server):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "mgr")
    page.fill("input[name=password]", "pw-123456")
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector("[data-kpi=energy_tce]")


def test_benchmark_page_shows_gaps_and_ranking(browser_page, live_server, centre):
    page, hosts = browser_page
    _login(page, live_server)
    page.click("text=能碳中心")
    page.click("text=能效对标 >> nth=0")
    page.goto(f"{live_server.url}/insights/benchmark/?site={centre['site'].pk}&period=2025-03")
    result = site_benchmark(site=centre["site"], period=Period.parse("2025-03"), user=centre["user"])
    row = next(i for i in result["indicators"] if i["key"] == "energy_per_unit:HRC")
    section = page.locator('section[data-indicator="energy_per_unit:HRC"]')
    assert section.locator("h2 .num").inner_text() == str(row["value"])
    current = section.locator("table.rank tr.current td").first.inner_text()
    assert current == str(row["rank"])
    assert section.locator("table.refs tbody tr").count() == 3  # limit, advanced, own best month
    # The site's own monthly history 2024-01 … 2025-03 (15 months) drawn with the references as lines.
    section.locator(".chart.trend[data-points] canvas").wait_for()
    assert section.locator(".chart.trend").get_attribute("data-points") == str(len(row["history"])) == "15"
    page.screenshot(path=str(SHOTS / "insights-benchmark.png"), full_page=True)
    assert set(hosts) <= {"localhost", "127.0.0.1"}


def test_energy_flow_page_draws_the_sankey(browser_page, live_server, centre):
    page, hosts = browser_page
    _login(page, live_server)
    page.goto(f"{live_server.url}/insights/energy-flow/?site={centre['site'].pk}&period=2025-03")
    page.wait_for_selector("#flow-chart[data-links] canvas")
    flow = energy_flow(site=centre["site"], period=Period.parse("2025-03"))
    assert page.locator("#flow-chart").get_attribute("data-links") == str(len(flow["links"]))
    assert float(page.locator("#flow-chart").get_attribute("data-inputs")) == pytest.approx(
        float(flow["inputs_total"]))
    assert page.locator("#flow-balance").inner_text() == "0.000"  # tce to 3 places (energy_platform.numbers)
    page.screenshot(path=str(SHOTS / "insights-energy-flow.png"), full_page=True)
    page.select_option("select[name=unit]", "carrier")
    page.select_option("select[name=carrier]", "electricity")
    page.locator("form.inline button").click()
    page.wait_for_selector("#flow-chart[data-links] canvas")
    flow = energy_flow(site=centre["site"], period=Period.parse("2025-03"), unit="carrier", carrier="electricity")
    assert page.locator("#flow-chart").get_attribute("data-links") == str(len(flow["links"]))
    page.screenshot(path=str(SHOTS / "insights-energy-flow-kwh.png"), full_page=True)
    assert set(hosts) <= {"localhost", "127.0.0.1"}


def test_baselines_page_shows_quality_savings_projects_and_rebaselines(browser_page, live_server, centre):
    page, hosts = browser_page
    _login(page, live_server)
    page.goto(f"{live_server.url}/insights/baselines/?site={centre['site'].pk}&period=2025")
    page.wait_for_selector("#baseline-chart[data-points] canvas")
    b = centre["baseline"]
    assert page.locator("#stat-r2").inner_text() == f"{b.r_squared:.4f}"
    assert page.locator("#stat-cv_rmse").inner_text() == f"{b.cv_rmse_pct:.2f}%"
    assert page.locator("#projects tr[data-project]").count() == 1
    page.screenshot(path=str(SHOTS / "insights-baselines.png"), full_page=True)

    page.fill("#baseline-form input[name=name]", "2024-02 起 re-baseline")
    page.select_option("#baseline-form select[name=measure]", "energy_tce")
    page.fill("#baseline-form input[name=start_month]", "2024-02")
    # The form starts from the active baseline (tce on output and HDD): keep output, drop HDD.
    assert page.is_checked("#baseline-form input[value='hdd']")
    page.check("#baseline-form input[value='product:HRC']")
    page.uncheck("#baseline-form input[value='hdd']")
    page.fill("#baseline-form input[name=reason]", "新增棒材线 New bar line: boundary change")
    page.locator("#baseline-form button").click()
    page.wait_for_selector("p.msg")
    new = EnergyBaseline.objects.get(site=centre["site"], active=True)
    assert new.supersedes_id == b.pk and new.variables == ["product:HRC"]
    assert page.locator("#stat-r2").inner_text() == f"{new.r_squared:.4f}"
    assert set(hosts) <= {"localhost", "127.0.0.1"}


def test_charts_drawn_by_the_insights_script_offer_their_data_as_csv_and_xlsx(browser_page, live_server, centre):
    page, hosts = browser_page
    _login(page, live_server)
    site = centre["site"].pk
    page.goto(f"{live_server.url}/insights/energy-flow/?site={site}&period=2025-03")
    page.wait_for_selector("#flow-chart[data-links] canvas")
    links = page.locator("p.chart-exports a[data-export]")
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == [
        f"/api/v1/sites/{site}/energy-flow/?period=2025-03&unit=tce&export={fmt}" for fmt in ("csv", "xlsx")]
    with page.expect_download() as dl:
        links.first.click()
    body = open(dl.value.path(), encoding="utf-8-sig").read().splitlines()
    flow = energy_flow(site=centre["site"], period=Period.parse("2025-03"))
    assert len(body) == 1 + len(flow["links"])  # header, then one row per link drawn
    page.goto(f"{live_server.url}/insights/benchmark/?site={site}&period=2025-03")
    page.locator(".chart.trend[data-points] canvas").first.wait_for()
    first = page.locator("section.bench p.chart-exports").first.locator("a[data-export=csv]")
    assert first.get_attribute("href") == f"/insights/benchmark/?site={site}&period=2025-03&chart=trend-0&export=csv"
    assert set(hosts) <= {"localhost", "127.0.0.1"}
