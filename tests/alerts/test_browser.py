"""The forecast and alerts page in headless Debian chromium (Playwright, never downloads a browser)."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest
from django.utils import timezone

from alerts.forecast import enterprise_forecast
from alerts.models import Alert, AlertRule, EnergyQuota
from alerts.services import alert_rules_evaluate
from carbon.periods import Period
from meters.models import Meter, Reading
from meters.rollup import rollup_all
from tests.browser import SHOTS, open_page
from tests.factories import EconomicDataFactory, EnterpriseFactory, MeterFactory, SiteFactory, UserFactory, member

from .series import SH

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



@pytest.fixture
def browser_page(live_server):
    with open_page() as opened:
        yield opened


@pytest.fixture
def plant(transactional_db):
    """Daily electricity of a mill from January last year to yesterday (summer peak), a quota it will exceed, a
    meter that stopped reporting three hours ago, and rules over both."""
    ent = EnterpriseFactory(name="Demo Steel", region_code="310115")
    site = SiteFactory(enterprise=ent, code="S1", name="Rolling mill")
    user = UserFactory(username="mgr", email="mgr@demo.example")
    user.set_password("pw-123456")
    user.save()
    member(user, ent)
    today = timezone.localdate()
    meter = MeterFactory(site=site, code="MAIN", interval_minutes=1440)
    day, rows = dt.date(today.year - 1, 1, 1), []
    while day < today:
        kwh = 40_000 * (1 + 0.15 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 200) / 365))
        rows.append(Reading(meter=meter, ts=dt.datetime.combine(day, dt.time(), SH), value=round(kwh, 1)))
        day += dt.timedelta(days=1)
    silent = MeterFactory(site=site, code="W2", interval_minutes=15, role=Meter.Role.SUB, level=Meter.Level.SUB_UNIT)
    rows.append(Reading(meter=silent, ts=timezone.now() - dt.timedelta(hours=3), value=12.0))
    Reading.objects.bulk_create(rows)
    rollup_all()
    for year in (today.year - 1, today.year):
        for m in range(1, 13 if year < today.year else today.month + 1):
            EconomicDataFactory(site=site, month=dt.date(year, m, 1), value_added_10k_cny=Decimal(1200))
    last_year = Period.year(today.year - 1)
    EnergyQuota.objects.create(enterprise=ent, year=today.year, energy_tce=Decimal(1700), source="demo quota")
    AlertRule.objects.create(enterprise=ent, name="Year-end above quota", kind=AlertRule.Kind.PROJECTION)
    AlertRule.objects.create(enterprise=ent, site=site, name="Meter silent for 4 intervals",
                             kind=AlertRule.Kind.SILENT_METER, intervals=4)
    alert_rules_evaluate()
    return {"enterprise": ent, "site": site, "user": user, "last_year": last_year}


def test_alerts_page_shows_projection_alerts_and_acknowledges(browser_page, live_server, plant):
    page, hosts = browser_page
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "mgr")
    page.fill("input[name=password]", "pw-123456")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="预测预警").click()
    page.wait_for_selector("#alerts")

    today = timezone.localdate()
    expected = enterprise_forecast(enterprise=plant["enterprise"], period=Period.year(today.year), as_of=today)
    year = page.locator(f"section.forecast[data-period='{today.year}']")
    shown = year.locator("tr[data-quantity=energy_tce] .proj").inner_text()
    assert Decimal(shown.replace(",", "")) == expected["quantities"]["energy_tce"]["projected"]
    # Last year is complete, so the year-end follows its seasonal profile.
    assert expected["quantities"]["energy_tce"]["method"] == "seasonal"
    # ~40,000 kWh/day × 365 × 0.1229 / 1000 ≈ 1,794 tce, above the 1,700 tce quota.
    assert expected["comparisons"][0]["breach"] is True
    assert year.locator("tr[data-comparison=energy_quota] .bad").is_visible()

    rows = page.locator("#alerts tr[data-status=open]")
    assert rows.count() == Alert.objects.filter(enterprise=plant["enterprise"]).count() == 2
    silent = page.locator("#alerts tr", has_text="W2")
    silent.locator("input[name=note]").fill("网关已重启")
    silent.get_by_role("button", name="确认").click()
    page.wait_for_selector("#alerts tr[data-status=acknowledged]")
    alert = Alert.objects.get(rule__kind=AlertRule.Kind.SILENT_METER)
    assert (alert.status, alert.acknowledged_by, alert.acknowledgement_note) == ("acknowledged", plant["user"],
                                                                                "网关已重启")
    page.screenshot(path=str(SHOTS / "alerts.png"), full_page=True)
    assert set(hosts) <= {"localhost", "127.0.0.1"}
