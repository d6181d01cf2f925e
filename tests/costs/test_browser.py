"""The site cost page in headless Debian chromium: the load curve is drawn in band colours from local assets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.browser import SHOTS, open_page
from tests.costs.test_compute import five_band_calendar, ingest, quarter_hours, tariff
from tests.factories import EnterpriseFactory, MeterFactory, SiteFactory, UserFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_site_cost_page_draws_band_split_load_curve_and_demand(live_server, transactional_db):
    ent = EnterpriseFactory(name="Demo Steel", region_code="310115")
    site = SiteFactory(enterprise=ent, code="S1", name="Rolling mill")
    user = UserFactory(username="mgr")
    user.set_password("pw-123456")
    user.save()
    member(user, ent)
    MeterFactory(site=site, code="E")
    tariff(site, five_band_calendar(), name="S1 两部制", kind="two_part", capacity_basis="kw",
           capacity_price_cny=Decimal("40"))
    ingest(site, quarter_hours("E", dt.date(2025, 7, 1), 10.0, {dt.time(19): 30.0}))
    with open_page() as (page, hosts):
        errors: list[str] = []  # script errors (a blocked inline script, a failing chart) and missing assets
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("response", lambda r: errors.append(r.url) if r.status >= 400 and "favicon" not in r.url else None)
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", "mgr")
        page.fill("input[name=password]", "pw-123456")
        page.get_by_role("button", name="登录").click()
        page.get_by_role("link", name="能源费用").click()
        page.get_by_role("link", name="Rolling mill").click()
        assert f"/costs/sites/{site.pk}/" in page.url
        page.goto(f"{live_server.url}/costs/sites/{site.pk}/?period=2025-07&day=2025-07-01")
        page.wait_for_selector("#band-load[data-points]")
        # 96 quarter-hours drawn; total 624 + 29.4 + 120 kW × 40 = 5453.40 (test_compute's day, two-part by kW).
        assert page.get_attribute("#band-load", "data-points") == "96"
        assert page.inner_text("#cost-total") == "5,453.40"  # grouped by thousands in both languages
        assert page.locator("#band-split canvas").count() == 1
        # Each chart offers the data it draws (energy_platform.tables, ?chart=cost-chart-data:<name>).
        base = f"/costs/sites/{site.pk}/?period=2025-07&day=2025-07-01"
        for chart_id, name in (("band-split", "split"), ("band-load", "load"), ("max-demand", "demand")):
            link = page.locator(f"#{chart_id}").locator("xpath=preceding-sibling::p[1]").locator("a[data-export=csv]")
            assert link.get_attribute("href") == f"{base}&chart=cost-chart-data%3A{name}&export=csv"
        with page.expect_download() as dl:
            page.locator("#max-demand").locator("xpath=preceding-sibling::p[1]").locator("a[data-export=xlsx]").click()
        assert dl.value.suggested_filename.endswith(".xlsx")
        page.screenshot(path=str(SHOTS / "costs_site.png"), full_page=True)
        assert errors == []
        assert set(hosts) <= {"localhost", "127.0.0.1"}


def test_pages_fit_a_phone_screen_without_sideways_scrolling(live_server, transactional_db):
    ent = EnterpriseFactory(name="Demo Steel", region_code="310115")
    site = SiteFactory(enterprise=ent, code="S1", name="Rolling mill")
    user = UserFactory(username="mgr")
    user.set_password("pw-123456")
    user.save()
    member(user, ent)
    MeterFactory(site=site, code="E")
    tariff(site, five_band_calendar(), name="S1 两部制", kind="two_part", capacity_basis="kw",
           capacity_price_cny=Decimal("40"))
    ingest(site, quarter_hours("E", dt.date(2025, 7, 1), 10.0, {dt.time(19): 30.0}))
    with open_page(viewport={"width": 390, "height": 844}) as (page, _hosts):
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", "mgr")
        page.fill("input[name=password]", "pw-123456")
        page.get_by_role("button", name="登录").click()
        widths = {}
        for path in ("/", "/quality/", "/targets/", "/costs/", f"/sites/{site.pk}/",
                     f"/costs/sites/{site.pk}/?period=2025-07&day=2025-07-01"):
            page.goto(live_server.url + path)
            page.wait_for_load_state("networkidle")
            widths[path] = page.evaluate("document.documentElement.scrollWidth")
        # The header wraps and wide tables scroll inside themselves: no page is wider than the 390 px screen.
        assert {p: w for p, w in widths.items() if w > 390} == {}
