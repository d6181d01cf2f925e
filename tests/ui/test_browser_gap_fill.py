"""Browser journey (headless Debian chromium): filling a 12-hour gap on the data-quality page in Chinese at desktop
width and in English at 390 px; a refused fill appears in the red error banner, never the green one."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from meters.models import GapFill, Reading
from meters.rollup import rollup_all
from tests.browser import SHOTS, open_page
from tests.factories import MeterFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SH = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def registers(tenants):
    """Registers REG1 and REG2 of site A1: 100 at 00:00 and 148 at 12:00 three days ago, nothing in between."""
    day = dt.datetime.combine(timezone.localdate() - dt.timedelta(days=3), dt.time(0), tzinfo=SH)
    meters = {}
    for code in ("REG1", "REG2"):
        meter = MeterFactory(site=tenants["site_a"], code=code, reading_kind="cumulative", active_from=day)
        Reading.objects.bulk_create([Reading(meter=meter, ts=day, value=100.0),
                                     Reading(meter=meter, ts=day + dt.timedelta(hours=12), value=148.0)])
        meters[code] = meter
    rollup_all()
    return {**tenants, **meters, "day": day}


def _login(page, url: str, button: str) -> None:
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", "manager_a")
    page.fill("input[name=password]", "pw-for-tests-1")
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()


def _fill(page, meter_pk: int, start: str, end: str, reason: str) -> None:
    form = page.locator("#gap-fill-form")
    form.locator("select[name=meter]").select_option(str(meter_pk))
    form.locator("input[name=start]").fill(start)
    form.locator("input[name=end]").fill(end)
    form.locator("input[name=reason]").fill(reason)
    form.locator("button").click()
    page.wait_for_load_state()


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_filling_a_12_hour_gap_in_chinese_and_in_english_at_390px(live_server, registers):
    url, day = live_server.url, registers["day"]
    d = f"{day:%Y-%m-%d}"
    with open_page() as (page, _hosts):
        _login(page, url, "登录")
        page.goto(f"{url}/quality/")
        # The gap day is listed; "补录这一天" fills meter and the whole day into the range form.
        button = page.locator(f'[data-fill-meter="{registers["REG1"].pk}"][data-fill-day="{d}"]')
        assert button.inner_text() == "补录这一天"
        button.click()
        form = page.locator("#gap-fill-form")
        assert form.locator("input[name=start]").input_value() == f"{d}T00:00"
        assert form.locator("input[name=end]").input_value() == f"{(day + dt.timedelta(days=1)):%Y-%m-%d}T00:00"
        # The whole day holds the 12:00 register value: refused, in the red banner.
        form.locator("input[name=reason]").fill("网关离线")
        form.locator("button").click()
        page.wait_for_load_state()
        error = page.locator("p.msg.error")
        assert error.inner_text() == "该时间段内已有 1 条读数：缺口补录只能填补没有读数的时间段。"
        assert page.locator("p.msg.success").count() == 0
        assert error.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(253, 236, 234)"
        page.screenshot(path=str(SHOTS / "gap-fill-refused-zh.png"), full_page=False)
        # The 12 hours between the two register values: 47 estimated readings, 48 quarter-hours of +1.
        _fill(page, registers["REG1"].pk, f"{d}T00:00", f"{d}T12:00", "网关离线")
        ok = page.locator("p.msg.success")
        assert ok.inner_text() == (f"已补录：A1 / REG1，{d} 00:00 – {d} 12:00，47 条估算读数（按表底读数线性插值）。")
        page.screenshot(path=str(SHOTS / "gap-fill-zh.png"), full_page=False)

    with open_page(locale="en-US", viewport={"width": 390, "height": 844}) as (page, _hosts):
        _login(page, url, "Sign in")
        page.goto(f"{url}/quality/")
        page.locator("#gap-fill").scroll_into_view_if_needed()
        _fill(page, registers["REG2"].pk, f"{d}T00:00", f"{d}T12:00", "gateway offline")
        assert page.locator("p.msg.success").inner_text() == (
            f"Filled: A1 / REG2, {d} 00:00 – {d} 12:00, 47 estimated readings (linear between register values).")
        assert _no_horizontal_scroll(page)  # the gaps table scrolls inside itself at 390 px
        page.screenshot(path=str(SHOTS / "gap-fill-en-390.png"), full_page=False)
        # The same range again: its readings now exist, so the fill is refused in the red banner.
        _fill(page, registers["REG2"].pk, f"{d}T00:00", f"{d}T12:00", "gateway offline")
        assert page.locator("p.msg.error").inner_text().startswith("47 readings already exist in this range")
        assert page.locator("p.msg.success").count() == 0
        assert page.locator("p.msg.error").bounding_box()["width"] <= 390
        page.screenshot(path=str(SHOTS / "gap-fill-refused-en-390.png"), full_page=False)
    values = list(Reading.objects.filter(meter=registers["REG2"], estimated=True).order_by("ts")
                  .values_list("value", flat=True))
    assert values == [100.0 + k for k in range(1, 48)]  # 101 ... 147
    assert GapFill.objects.count() == 2


def test_entry_form_offers_only_what_fits_the_kind_and_confirms_an_overwrite(live_server, tenants):
    """类型 = 增加值 offers sites only; 产量 offers products only; replacing a stored value asks old -> new first."""
    from decimal import Decimal

    from plants.models import EconomicData, ProductionData
    from tests.factories import ProductFactory, SiteFactory

    rm1 = SiteFactory(enterprise=tenants["a"], code="RM1")
    rebar = ProductFactory(site=rm1, code="REBAR", unit="t")
    EconomicData.objects.create(site=rm1, month=dt.date(2025, 9, 1), value_added_10k_cny=Decimal("1000"))
    with open_page() as (page, _hosts):
        _login(page, live_server.url, "登录")
        page.goto(f"{live_server.url}/entry/")
        form = page.locator("#monthly-form")
        enabled = "els => els.filter(e => !e.disabled && !e.parentElement.disabled).map(e => e.value)"
        form.locator("select[name=kind]").select_option("economic")
        assert form.locator("select[name=target] option").evaluate_all(enabled) == [
            f"site-{tenants['site_a'].pk}", f"site-{rm1.pk}"]
        form.locator("select[name=kind]").select_option("production")
        assert form.locator("select[name=target] option").evaluate_all(enabled) == [f"product-{rebar.pk}"]
        form.locator("input[name=month]").fill("2025-09")
        form.locator("input[name=value]").fill("1234")
        form.locator("button").click()
        page.wait_for_load_state()
        assert page.locator("p.msg.success").inner_text() == "已保存：RM1 / REBAR 2025-09 的产量 = 1,234 吨。"
        # Value added of RM1 for September is stored (1,000): the page asks before replacing it.
        form = page.locator("#monthly-form")
        form.locator("select[name=kind]").select_option("economic")
        form.locator("select[name=target]").select_option(f"site-{rm1.pk}")
        form.locator("input[name=month]").fill("2025-09")
        form.locator("input[name=value]").fill("1234")
        form.locator("button").click()
        page.wait_for_load_state()
        assert page.locator("#overwrite-old").inner_text() == "1,000 万元"
        assert page.locator("#overwrite-new").inner_text() == "1,234 万元"
        page.screenshot(path=str(SHOTS / "entry-overwrite-confirm-zh.png"), full_page=False)
        assert EconomicData.objects.get().value_added_10k_cny == Decimal("1000")
        page.locator("#overwrite-form button").click()
        page.wait_for_load_state()
        assert page.locator("p.msg.success").inner_text() == "已保存：厂区 RM1 2025-09 的工业增加值 = 1,234 万元。"
    assert list(ProductionData.objects.values_list("product__code", "quantity")) == [("REBAR", Decimal("1234"))]
    assert EconomicData.objects.order_by("-version").first().value_added_10k_cny == Decimal("1234")
    assert not EconomicData.objects.filter(site=tenants["site_a"]).exists()
