"""Comparisons of two periods (同比, 环比, custom) for an enterprise, a site, a production unit and a meter: the API by
id, the page (chart and table) and its CSV and XLSX; every table page and chart endpoint exports what it shows."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from carbon.compare import compare, previous_period
from carbon.models import Target
from carbon.periods import Period
from tests.factories import ProductionUnitFactory
from tests.insights.conftest import monthly_meter, post_month

TODAY = dt.date(2025, 7, 3)


@pytest.fixture
def plant(tenants, monkeypatch):
    """Site A1 on 2025-07-03, one monthly electricity meter E in production unit U1:
    2024-03 50,000 kWh; 2025-02 32,000 kWh; 2025-03 40,000 kWh."""
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    unit = ProductionUnitFactory(site=tenants["site_a"], code="U1")
    meter = monthly_meter(tenants["site_a"], "E", production_unit=unit)
    for month, kwh in (("2024-03", 50_000), ("2025-02", 32_000), ("2025-03", 40_000)):
        post_month(tenants["site_a"], month, {"E": kwh})
    return {**tenants, "unit": unit, "meter": meter}


# Electricity, equivalent value 0.1229 kgce/kWh (DOMAIN.md §1):
#   2025-03: 40,000 × 0.1229 = 4,916 kgce = 4.916 tce;  2024-03: 50,000 × 0.1229 = 6.145 tce;
#   2025-02: 32,000 × 0.1229 = 3.9328 tce.
# 同比: 4.916 − 6.145 = −1.229 tce, −1.229 / 6.145 = −20.00 %.  环比: 4.916 − 3.9328 = 0.9832 tce, / 3.9328 = +25.00 %.
def _row(result, key):
    return next(r for r in result["rows"] if r["key"] == key)


@pytest.mark.parametrize("scope", ["enterprise", "site", "unit"])
def test_year_on_year_of_energy_for_enterprise_site_and_unit(plant, scope):
    obj = {"enterprise": plant["a"], "site": plant["site_a"], "unit": plant["unit"]}[scope]
    result = compare(scope=scope, obj=obj, period=Period.parse("2025-03"), against="yoy")
    assert (result["a"]["period"], result["b"]["period"]) == ("2025-03", "2024-03")
    row = _row(result, "energy_tce")
    assert (row["a"], row["b"], row["change"], row["change_pct"]) == (
        Decimal("4.916"), Decimal("6.145"), Decimal("-1.229"), Decimal("-20.00"))


def test_previous_period_and_custom_period_of_a_meter(plant):
    result = compare(scope="meter", obj=plant["meter"], period=Period.parse("2025-03"), against="previous")
    assert result["b"]["period"] == "2025-02"
    quantity = _row(result, "quantity")
    # 40,000 − 32,000 = 8,000 kWh; 8,000 / 32,000 = +25.00 %
    assert (quantity["a"], quantity["b"], quantity["change"], quantity["change_pct"], quantity["unit"]) == (
        Decimal("40000"), Decimal("32000"), Decimal("8000"), Decimal("25.00"), "kWh")
    assert _row(result, "energy_tce")["change"] == Decimal("0.9832")
    custom = compare(scope="meter", obj=plant["meter"], period=Period.parse("2025-03"), against="custom",
                     other="2024-03")
    assert _row(custom, "quantity")["change_pct"] == Decimal("-20.00")  # (40,000 − 50,000) / 50,000


def test_the_previous_period_of_a_period_in_progress_covers_the_same_days():
    # July 2025 to date on 2025-07-03 counts 07-01 and 07-02 (until 07-03): June is taken for 06-01 and 06-02.
    july = Period(dt.date(2025, 7, 1), 1, dt.date(2025, 7, 3))
    assert previous_period(july) == Period(dt.date(2025, 6, 1), 1, dt.date(2025, 6, 3))
    assert previous_period(Period.parse("2025-Q2")) == Period.parse("2025-Q1")


def test_compare_api_by_id_answers_the_comparison_and_refuses_bad_input(plant, api_client):
    api_client.force_authenticate(plant["viewer_a"])
    site = plant["site_a"].pk
    body = api_client.get(f"/api/v1/sites/{site}/compare/?period=2025-03&against=previous").json()
    assert (body["a"]["period"], body["b"]["period"]) == ("2025-03", "2025-02")
    assert _row(body, "energy_tce")["change_pct"] == 25.0
    meter = api_client.get(f"/api/v1/meters/{plant['meter'].pk}/compare/?period=2025-03").json()
    assert _row(meter, "quantity")["change_pct"] == -20.0
    unit = api_client.get(f"/api/v1/production-units/{plant['unit'].pk}/compare/?period=2025-03").json()
    assert _row(unit, "energy_tce")["a"] == 4.916
    assert api_client.get(f"/api/v1/enterprises/{plant['a'].pk}/compare/?period=2025-03").status_code == 200
    bad = api_client.get(f"/api/v1/sites/{site}/compare/?period=2025-03&against=sideways")
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_against")
    future = api_client.get(f"/api/v1/sites/{site}/compare/?period=2025-09")
    assert (future.status_code, future.json()["code"]) == (400, "future_period")
    assert api_client.get(f"/api/v1/sites/{plant['site_b'].pk}/compare/?period=2025-03").status_code == 404


def test_compare_page_shows_chart_and_table_and_exports_the_same_table(plant, client):
    client.force_login(plant["viewer_a"])
    url = f"/compare/?enterprise={plant['a'].pk}&subject=site:{plant['site_a'].pk}&period=2025-03&against=yoy"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="compare-chart"' in html and 'id="compare-table"' in html
    chart = page.context["chart"]
    assert chart["unit"] == "tce" and chart["series"][0]["data"][0] == 4.916 and chart["series"][1]["data"][0] == 6.145
    # The table shows tce to 3 decimals (energy_platform.numbers.PLACES): 4.916, 6.145, −1.229, −20.00 %.
    exported = client.get(url + "&export=csv", HTTP_ACCEPT_LANGUAGE="en")
    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    energy = next(r for r in rows if r and r[0] == "Energy consumption")
    assert energy == ["Energy consumption", "tce", "4.916", "6.145", "-1.229", "-20.00"]
    xlsx = load_workbook(io.BytesIO(client.get(url + "&export=xlsx", HTTP_ACCEPT_LANGUAGE="en").content))
    sheet_rows = [list(r) for ws in xlsx.worksheets for r in ws.iter_rows(values_only=True)]
    energy_x = next(r for r in sheet_rows if r and r[0] == "Energy consumption")
    assert energy_x[1:6] == ["tce", 4.916, 6.145, -1.229, -20]


def test_compare_page_of_a_future_period_says_so(plant, client):
    client.force_login(plant["viewer_a"])
    page = client.get(f"/compare/?subject=site:{plant['site_a'].pk}&period=2025-12", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 400
    assert "2025-12 has not started yet" in page.content.decode()


def test_compare_page_refuses_another_enterprises_meter(plant, client):
    from tests.factories import MeterFactory

    foreign = MeterFactory(site=plant["site_b"], code="X")
    client.force_login(plant["viewer_a"])
    assert client.get(f"/compare/?subject=meter:{foreign.pk}&period=2025-03").status_code == 404


def test_every_table_page_exports_what_it_shows(plant, client):
    Target.objects.create(enterprise=plant["a"], site=plant["site_a"], indicator="energy_tce", baseline_year=2024,
                          baseline_value=Decimal("10"), target_year=2026, reduction_pct=Decimal("60"))
    client.force_login(plant["viewer_a"])
    site = plant["site_a"].pk
    for url in ("/", f"/sites/{site}/", f"/sites/{site}/meters/", "/quality/", "/targets/",
                f"/costs/sites/{site}/", "/insights/", f"/insights/benchmark/?site={site}"):
        for fmt in ("csv", "xlsx"):
            sep = "&" if "?" in url else "?"
            response = client.get(f"{url}{sep}export={fmt}")
            assert response.status_code == 200, url
            assert response["Content-Disposition"].startswith("attachment;"), url
    # The targets page's file holds the row as shown: 2025 to date = 2025-02 + 2025-03 = 72,000 kWh × 0.1229
    # = 8.8488 tce; goal 10 × (1 − 60 %) = 4; progress (10 − 8.8488) / (10 − 4) = 19.19 % → 19.2 %; tce shown to
    # 3 decimals (energy_platform.numbers.PLACES): 4.000 and 8.849.
    rows = list(csv.reader(io.StringIO(client.get("/targets/?export=csv").content.decode("utf-8-sig"))))
    target = next(r for r in rows if len(r) > 8 and r[1] == "A1")
    assert target[6:9] == ["4.000", "8.849", "19.2%"]
    # A chart endpoint's series as a table: 2025-03 electricity 4.916 tce.
    chart = list(csv.reader(io.StringIO(client.get(f"/api/v1/ui/sites/{site}/monthly/?export=csv").content
                                        .decode("utf-8-sig"))))
    march = next(r for r in chart if r and r[0] == "2025-03")
    assert march[1] == "4.916"
