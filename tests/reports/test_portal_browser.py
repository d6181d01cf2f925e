"""Regulator portal in headless Debian Chromium (Playwright, never downloads a browser): the demo regulator signs in,
sees the demo enterprise of its region with the KPI service's figure, opens it and downloads a report (audited)."""

from __future__ import annotations

import pytest
from django.conf import settings

from accounts.models import AuditEvent
from carbon.kpis import enterprise_kpis
from carbon.periods import Period
from demo.loader import DEMO_CODE, demo_load
from energy_platform.numbers import present
from plants.models import Enterprise
from reports.formatting import fmt_number
from reports.services import report_generate
from tests.browser import SHOTS, open_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_regulator_signs_in_sees_its_region_and_downloads_a_report(live_server, transactional_db):
    import datetime as dt
    import zoneinfo

    demo_load(until=dt.datetime(2025, 7, 1, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")), small=True,
              log=lambda m: None)
    ent = Enterprise.objects.get(credit_code=DEMO_CODE)
    snap = report_generate(kind="energy", enterprise=ent, year=2025, fmt="pdf", lang="zh-hans")
    tce = enterprise_kpis(enterprise=ent, period=Period.year(2025), with_yoy=False)["energy_tce"]["value"]
    with open_page(viewport={"width": 1400, "height": 800}, accept_downloads=True) as (page, _hosts):
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", "regulator")
        page.fill("input[name=password]", settings.DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.get_by_role("link", name="监管门户").click()
        page.wait_for_selector("#portal-jurisdiction")
        row = page.locator("#portal-jurisdiction tbody tr", has_text=DEMO_CODE)
        assert row.count() == 1
        assert fmt_number(present(tce, "tce")) in row.inner_text()  # presented once, tce to 3 places
        page.goto(f"{live_server.url}/regulator/?period=2025")
        page.screenshot(path=str(SHOTS / "regulator_portal.png"), full_page=True)
        page.locator("#portal-jurisdiction a", has_text=ent.name).click()
        page.wait_for_selector("#portal-reports")
        with page.expect_download() as info:
            page.locator("#portal-reports a", has_text="PDF").first.click()
        assert info.value.suggested_filename == snap.files.get().name
    assert AuditEvent.objects.filter(action="report.download", actor__username="regulator",
                                     enterprise=ent).count() == 1
