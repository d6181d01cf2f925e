"""Real-browser tests: headless Debian chromium via Playwright (never downloads a browser) against live_server."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.utils import timezone

from carbon.kpis import enterprise_kpis
from carbon.periods import Period
from meters.models import Reading
from meters.rollup import rollup_all
from plants.models import EconomicData
from tests.factories import EconomicDataFactory, EnterpriseFactory, MeterFactory, SiteFactory, UserFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[1] / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def browser_page(live_server):
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 900}, locale="zh-CN")
        hosts: list[str] = []
        page.on("request", lambda req: hosts.append(urlparse(req.url).hostname or ""))
        yield page, hosts
        browser.close()


@pytest.fixture
def demo(transactional_db):
    ent = EnterpriseFactory(name="Demo Steel", region_code="310115")
    site = SiteFactory(enterprise=ent, code="S1", name="Rolling mill")
    user = UserFactory(username="mgr")
    user.set_password("pw-123456")
    user.save()
    member(user, ent)
    today = timezone.localdate()
    start = dt.datetime(today.year, today.month, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    meter = MeterFactory(site=site, code="MAIN")
    Reading.objects.bulk_create([Reading(meter=meter, ts=start + dt.timedelta(minutes=15 * i), value=250.0)
                                 for i in range(96)])
    rollup_all()
    EconomicDataFactory(site=site, month=today.replace(day=1), value_added_10k_cny=Decimal("800"))
    return {"enterprise": ent, "site": site, "user": user}


def test_sign_in_language_kpis_chart_entry_and_no_external_requests(browser_page, live_server, demo):
    page, hosts = browser_page
    page.goto(f"{live_server.url}/login/")
    assert page.get_by_role("button", name="登录").is_visible()
    page.fill("input[name=username]", "mgr")
    page.fill("input[name=password]", "pw-123456")
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector("[data-kpi=energy_tce]")
    assert page.get_by_text("综合能耗").first.is_visible()

    today = timezone.localdate()
    expected = enterprise_kpis(enterprise=demo["enterprise"], period=Period.month(today.year, today.month))
    shown = page.locator(".cards").first.locator("[data-kpi=energy_tce] .num").inner_text()
    assert Decimal(shown.replace(",", "")) == expected["energy_tce"]["value"].quantize(Decimal("0.01"))
    page.wait_for_selector(".chart[data-points] canvas")
    assert int(page.locator(".chart[data-points]").first.get_attribute("data-points")) >= 1
    page.screenshot(path=str(SHOTS / "overview-zh.png"), full_page=True)

    page.select_option("select[name=language]", "en")
    page.wait_for_selector("text=Energy consumption")
    assert page.get_by_role("link", name="Data entry").is_visible()
    page.screenshot(path=str(SHOTS / "overview-en.png"), full_page=True)

    page.goto(f"{live_server.url}/sites/{demo['site'].pk}/")
    page.wait_for_selector("#load-chart[data-points] canvas")
    # The load curve opens on the latest day with data: 96 quarter-hours of 250 kWh.
    assert page.locator("#load-chart").get_attribute("data-points") == "96"
    page.screenshot(path=str(SHOTS / "site.png"), full_page=True)
    page.goto(f"{live_server.url}/sites/{demo['site'].pk}/meters/")
    page.screenshot(path=str(SHOTS / "meters.png"), full_page=True)

    page.goto(f"{live_server.url}/entry/")
    page.select_option("select[name=kind]", "economic")
    page.select_option("select[name=target]", str(demo["site"].pk))
    page.fill("input[name=month]", "2025-01")
    page.fill("input[name=value]", "42.5")
    page.locator("#monthly-form button").click()
    page.wait_for_selector("text=Saved.")
    assert EconomicData.objects.get(site=demo["site"], month="2025-01-01").value_added_10k_cny == Decimal("42.5")
    page.screenshot(path=str(SHOTS / "entry.png"), full_page=True)

    page.goto(f"{live_server.url}/reports/")
    page.select_option("#report-start select[name=kind]", "energy")
    page.select_option("#report-start select[name=format]", "csv")
    page.locator("#report-start button").click()
    page.wait_for_selector("#reports progress")
    from reports.models import ReportSnapshot

    assert ReportSnapshot.objects.filter(enterprise=demo["enterprise"], kind="energy", format="csv").count() == 1
    page.screenshot(path=str(SHOTS / "reports.png"), full_page=True)
    page.goto(f"{live_server.url}/quality/")
    page.screenshot(path=str(SHOTS / "quality.png"), full_page=True)

    assert set(hosts) <= {"localhost", "127.0.0.1"}
