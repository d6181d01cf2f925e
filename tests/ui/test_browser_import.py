"""Real-browser test of importing a vendor's file: a day-first, end-labelled, wide 15-minute export with a decimal
comma is mapped on the upload form, saved as a preset, previewed exactly as stored and saved; the next file is
imported with the preset in English with a refused row; the panel at 390 px."""

from __future__ import annotations

import pytest

from meters.models import ImportPreset, Reading
from tests.browser import SHOTS, open_page
from tests.factories import MeterFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "import-Test-2026"  # noqa: S105  (a test user's password)


@pytest.fixture
def plant(tenants, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # validation and saving run in-process when the request commits
    MeterFactory(site=tenants["site_a"], code="E1")
    MeterFactory(site=tenants["site_a"], code="E2")
    tenants["manager_a"].set_password(PASSWORD)
    tenants["manager_a"].save()
    return tenants


def _login(page, url: str) -> None:
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", "manager_a")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_load_state()


def _shot(page, name: str) -> None:
    page.locator("#upload-panel").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / name), full_page=True)


def _upload(page, url: str, plant, path, *, preset: str | None = None) -> None:
    page.goto(f"{url}/entry/?enterprise={plant['a'].pk}")
    page.select_option("#upload-form select[name=kind]", "readings")
    page.select_option("#upload-form select[name=site]", str(plant["site_a"].pk))
    page.set_input_files("#upload-form input[name=file]", str(path))
    if preset is not None:
        page.select_option("#upload-form select[name=preset]", label=preset)
    else:
        page.locator("#upload-mapping summary").click()
        page.fill("#upload-form input[name=timestamp_column]", "Zeit")
        page.select_option("#upload-form select[name=timestamp_format]", "%d/%m/%Y %H:%M")
        page.select_option("#upload-form select[name=timestamp_label]", "end")
        page.fill("#upload-form textarea[name=columns]", "Haupt = E1\nKühlung = E2 MWh")
        page.check("#upload-form input[name=decimal_comma]")
        page.fill("#upload-form input[name=save_preset]", "Vendor X 15 min")
    page.locator("#upload-form button[type=submit]").click()
    page.wait_for_selector("#upload-counts", timeout=60_000)


def _commit(page) -> None:
    page.locator("#upload-commit button").click()
    page.wait_for_selector("#upload-result", timeout=60_000)


def test_import_a_day_first_end_labelled_file_with_a_saved_preset_in_both_languages_and_at_390px(
        plant, live_server):
    url = live_server.url
    SHOTS.mkdir(exist_ok=True)
    first = SHOTS / "import-vendor-day-first.csv"
    # 00:15 labels the end of 00:00-00:15 Asia/Shanghai = 2026-12-05 16:00 UTC. E1 "1.234,5" kWh = 1234.5 kWh;
    # E2 "0,5" MWh = 0.5 x 1000 = 500 kWh.
    first.write_text("Zeit;Haupt;Kühlung\n06/12/2026 00:15;1.234,5;0,5\n06/12/2026 00:30;1.240,0;0,6\n",
                     encoding="utf-8")
    with open_page() as (page, hosts):
        _login(page, url)
        _upload(page, url, plant, first)
        counts = page.locator("#upload-counts").inner_text()
        assert "共 4 行" in counts and "将保存 4 行" in counts and "拒绝 0 行" in counts
        rows = page.locator("#upload-sample tbody tr")
        assert rows.first.locator("td").all_inner_texts() == [
            "2", "E1", "2026-12-06 00:00", "2026-12-05 16:00", "1234.5", "kWh"]
        assert rows.nth(1).locator("td").all_inner_texts() == [
            "2", "E2", "2026-12-06 00:00", "2026-12-05 16:00", "500.0", "kWh"]
        _shot(page, "import-preview-zh.png")
        _commit(page)
        result = page.locator("#upload-result")
        assert result.get_attribute("data-tone") == "ok" and result.get_attribute("class") == "msg"
        assert "已保存 4 行，拒绝 0 行" in result.inner_text()
        _shot(page, "import-result-zh.png")
        assert Reading.objects.count() == 4
        assert ImportPreset.objects.get().name == "Vendor X 15 min"

        # English; the next month's file with the saved preset, one value unreadable.
        page.select_option("select[name=language]", "en")
        page.wait_for_selector("html[lang=en]")
        second = SHOTS / "import-vendor-next.csv"
        second.write_text("Zeit;Haupt;Kühlung\n06/12/2026 00:45;1.250,0;abc\n", encoding="utf-8")
        _upload(page, url, plant, second, preset="Vendor X 15 min")
        assert "2 rows; 1 will be saved, 1 rejected." in page.locator("#upload-counts").inner_text()
        assert page.locator("#upload-rejected tbody tr").first.locator("td").all_inner_texts() == [
            "2", "Kühlung", "E2", "The value is not a number."]
        _commit(page)
        result = page.locator("#upload-result")
        assert (result.get_attribute("data-tone"), result.get_attribute("class")) == ("warn", "warn")
        assert "Done: 1 rows saved, 1 rejected." in result.inner_text()
        assert page.locator("#upload-refused tbody tr").count() == 1
        _shot(page, "import-result-en.png")
        assert set(hosts) <= {"localhost", "127.0.0.1"}

    with open_page(viewport={"width": 390, "height": 844}) as (page, _hosts):
        _login(page, url)
        _upload(page, url, plant, first, preset="Vendor X 15 min")
        # The same rows again: already stored, nothing new to save.
        assert "4 行已以相同数值存储" in page.locator("#upload-counts").inner_text()
        box = page.locator("#upload-panel").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no horizontal scrolling
        page.locator("#upload-mapping summary").click()  # the mapping fields fit too
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        _shot(page, "import-preview-390.png")
