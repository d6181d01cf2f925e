"""Browser journey: a comparison with its chart, table and CSV / XLSX downloads, in Chinese and in English, on a
desktop and at 390 px (no horizontal scrolling); the week view and a future day on the site page."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.browser import SHOTS, open_page

from .test_compare import plant  # noqa: F401  (the fixture: site A1 with 2024-03, 2025-02 and 2025-03 on 2025-07-03)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / name), full_page=True)
    DOCS.mkdir(parents=True, exist_ok=True)
    shutil.copy(SHOTS / name, DOCS / name)


def _login(page, url: str) -> None:
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", "viewer_a")
    page.fill("input[name=password]", "pw-for-tests-1")
    page.locator("form button[type=submit], form button").last.click()
    page.wait_for_selector("main")


@pytest.mark.parametrize(("lang", "width"), [("zh-hans", 1300), ("en", 390)])
def test_a_comparison_with_chart_table_and_downloads(live_server, plant, lang, width):  # noqa: F811
    url = live_server.url
    with open_page(viewport={"width": width, "height": 900}) as (page, hosts):
        _login(page, url)
        if lang == "en":
            page.select_option("select[name=language]", "en")
            page.wait_for_selector("text=Overview")
        page.goto(f"{url}/compare/?enterprise={plant['a'].pk}")
        page.select_option("#compare-subject", f"site:{plant['site_a'].pk}")
        page.fill("#compare-period", "2025-03")
        page.select_option("#compare-against", "previous")
        page.locator("#compare-form button[type=submit]").click()
        page.wait_for_selector("#compare-table")
        page.wait_for_selector("#compare-chart canvas")
        # 2025-03 40,000 kWh = 4.916 tce against 2025-02 32,000 kWh = 3.9328 tce: +0.983 tce (3 decimals), +25.00 %.
        row = page.locator("#compare-table tr[data-key=energy_tce] td")
        assert row.nth(2).inner_text() == "4.916" and row.nth(3).inner_text() == "3.933"
        assert row.nth(4).inner_text() == "0.983" and row.nth(5).inner_text() == "25.00"
        title = page.locator("#compare-title").inner_text()
        assert ("vs" if lang == "en" else "对比") in title
        assert page.locator("#compare-against option:checked").inner_text() == (
            "Previous period (month, quarter or year before)" if lang == "en" else "环比（上一月、季或年）")
        # No horizontal scrolling at 390 px.
        page.wait_for_load_state("networkidle")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        _shot(page, f"compare-{lang}-{width}.png")
        with page.expect_download() as csv_download:
            page.click("#export-csv")
        text = Path(csv_download.value.path()).read_text(encoding="utf-8-sig")
        energy = next(r for r in csv.reader(io.StringIO(text)) if r and r[-1] == "25.00" and r[1] == "tce")
        assert energy[2:5] == ["4.916", "3.933", "0.983"]
        with page.expect_download() as xlsx_download:
            page.click("#export-xlsx")
        wb = load_workbook(io.BytesIO(Path(xlsx_download.value.path()).read_bytes()))
        rows = [list(r) for ws in wb.worksheets for r in ws.iter_rows(values_only=True)]
        assert any(r[1:6] == ["tce", 4.916, 3.933, 0.983, 25] for r in rows if len(r) >= 6)
        assert set(hosts) <= {"localhost", "127.0.0.1", ""}


def test_week_view_and_future_day_on_the_site_page(live_server, plant):  # noqa: F811
    url = live_server.url
    with open_page() as (page, _hosts):
        _login(page, url)
        page.goto(f"{url}/sites/{plant['site_a'].pk}/")
        page.wait_for_selector("#load-chart canvas")
        page.select_option("#load-days", "7")
        page.fill("#load-day", "2025-07-02")  # a Wednesday: the week 2025-06-30 (Mon) – 2025-07-06 (Sun)
        page.dispatch_event("#load-day", "change")
        page.wait_for_selector("#load-chart[data-caption*='2025-06-30']")
        assert "2025-07-06" in page.locator("#load-chart").get_attribute("data-caption")
        _shot(page, "site-week-view-zh.png")
        page.fill("#load-day", "2025-07-09")  # after "today" (2025-07-03)
        page.dispatch_event("#load-day", "change")
        page.locator("#load-chart-message").filter(has_text="2025-07-09").wait_for()
        assert "未来" in page.locator("#load-chart-message").inner_text()
        _shot(page, "site-load-future-day-zh.png")
        assert page.locator("#page-exports a[data-export=csv]").count() == 1
