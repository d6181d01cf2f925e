"""The monthly MRV review page in headless Debian Chromium: an energy manager checks a fuel month, an enterprise
admin confirms it; the page shows who and when, in Chinese and at 390 px without horizontal scroll of the page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accounts.models import AuditEvent
from carbon.models import MeasuredFuelProperty, MrvEvidence
from tests.browser import SHOTS, open_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, url: str, username: str) -> None:
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-for-tests-1")
    page.locator("button[type=submit]").click()
    page.wait_for_load_state()


def test_monthly_review_entered_checked_confirmed_in_the_browser(live_server, tenants):
    row = MeasuredFuelProperty.objects.create(
        enterprise=tenants["a"], carrier="raw_coal", month=dt.date(2025, 3, 1), ncv_gj_per_unit=Decimal("21.5"),
        activity_unit="t", carbon_content_tc_per_tj=Decimal("26"), consumption=Decimal("540"),
        lab_report_number="CMA-202503-C")
    MrvEvidence.objects.create(enterprise=tenants["a"], fuel_property=row, kind="weighbridge", reference="WB-202503")
    mrv = f"{live_server.url}/mrv/?enterprise={tenants['a'].pk}&year=2025"
    record = f"tr[data-record='fuel-{row.pk}']"
    with open_page() as (page, _hosts):
        _login(page, live_server.url, "manager_a")
        page.goto(mrv)
        assert page.locator(f"{record} td.status").inner_text() == "已填报"
        assert "过磅单 WB-202503" in page.locator(record).inner_text()
        page.locator(f"{record} button", has_text="标记为已核对").click()
        page.wait_for_selector(f"{record} td.status-checked")
        assert page.locator(f"{record} td.status").inner_text() == "已核对"
        assert page.locator(f"{record} button").count() == 0  # an energy manager does not confirm
        page.context.clear_cookies()
        _login(page, live_server.url, "admin_a")
        page.goto(mrv)
        page.locator(f"{record} button", has_text="确认").click()
        page.wait_for_selector(f"{record} td.status-confirmed")
        text = page.locator(record).inner_text()
        assert "manager_a" in text and "admin_a" in text
        page.screenshot(path=str(SHOTS / "mrv_review.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(mrv)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(SHOTS / "mrv_review_390.png"), full_page=True)
    row.refresh_from_db()
    assert (row.review_status, row.checked_by, row.confirmed_by) == ("confirmed", tenants["manager_a"],
                                                                     tenants["admin_a"])
    assert list(AuditEvent.objects.filter(object_type__icontains="measuredfuelproperty").order_by("pk")
                .values_list("action", flat=True)) == ["measuredfuelproperty.check", "measuredfuelproperty.confirm"]
