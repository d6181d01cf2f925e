"""Every chart on the insights pages offers CSV/XLSX of the data it draws (energy_platform.tables)."""

import csv
import io

import pytest

from .test_pages import site  # noqa: F401  (the page plant fixture)

pytestmark = pytest.mark.django_db


def _rows(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_energy_flow_chart_links_its_endpoint_which_exports_one_row_per_link(client, tenants, site):  # noqa: F811
    client.force_login(tenants["viewer_a"])
    page = client.get(f"/insights/energy-flow/?site={site.pk}&period=2024-03&unit=carrier&carrier=electricity")
    url = f"/api/v1/sites/{site.pk}/energy-flow/?period=2024-03&amp;unit=carrier&amp;carrier=electricity"
    assert f'data-export-url="{url}"'.encode() in page.content
    rows = _rows(client.get(url.replace("&amp;", "&") + "&export=csv"))
    assert rows[0][2] == "value (kWh)"
    # March: MAIN = 1000 + 10 × 3 + 0 = 1030 kWh, of which W1 800 kWh; the remainder 1030 − 800 = 230 kWh
    assert sorted(r[2] for r in rows[1:]) == ["1030.0", "230.0", "800.0"]


def test_baseline_chart_exports_actual_and_model_per_month(client, tenants, site):  # noqa: F811
    client.force_login(tenants["manager_a"])
    form = {"name": "2024", "measure": "electricity_kwh", "start_month": "2024-01",
            "variables": ["product:BAR", "hdd"], "reason": ""}
    assert client.post(f"/insights/baselines/?site={site.pk}", form).status_code == 302
    page = client.get(f"/insights/baselines/?site={site.pk}")
    assert b'data-export-json="baseline-chart-data"' in page.content
    rows = _rows(client.get(f"/insights/baselines/?site={site.pk}&chart=baseline-chart-data&export=csv"))
    assert rows[0][:2] == ["", "实际 (kWh)"]  # the page's language, zh-hans by default
    # January: MAIN = 1000 + 10 × 1 + (1 mod 3) × 7 = 1017 kWh
    assert rows[1][:2] == ["2024-01", "1017.0"]
    assert len(rows) == 1 + 12


def test_benchmark_trend_chart_exports_the_own_history(client, tenants, site):  # noqa: F811
    client.force_login(tenants["viewer_a"])
    page = client.get(f"/insights/benchmark/?site={site.pk}&period=2024-12")
    assert b'data-export-json="trend-0"' in page.content
    rows = _rows(client.get(f"/insights/benchmark/?site={site.pk}&period=2024-12&chart=trend-0&export=csv"))
    # energy per 10⁴ CNY value added, in the page's language (zh-hans by default); no value added entered: empty
    assert rows[0] == ["", "自身历史 (tce/万元)"]
    assert rows[1:] == [[f"2024-{m:02d}", ""] for m in range(1, 13)]
    xlsx = client.get(f"/insights/benchmark/?site={site.pk}&period=2024-12&chart=trend-0&export=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_an_unknown_chart_id_gives_the_page_not_a_file(client, tenants, site):  # noqa: F811
    client.force_login(tenants["viewer_a"])
    r = client.get(f"/insights/benchmark/?site={site.pk}&period=2024-12&chart=nope&export=csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/html")
