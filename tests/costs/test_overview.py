"""The overview's cost cards: the enterprise cost API's figure, cut by the coverage rule, and no tariff no error."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from costs.models import MeterBandDay
from meters.models import Meter

pytestmark = pytest.mark.django_db
D = Decimal


def test_overview_cost_cards_show_the_cost_api_total_to_date(costed, client, api_client, monkeypatch):
    # Today is 2025-07-03: the month and the year are counted through 2025-07-02, last year's spans through
    # 2024-07-02.
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2025, 7, 3))
    meter = Meter.objects.get(code="E")
    MeterBandDay.objects.create(meter=meter, day=dt.date(2024, 7, 1), band="peak", energy_kwh=5000, energy_cny=5000)
    # After last year's cut: outside the year-on-year span.
    MeterBandDay.objects.create(meter=meter, day=dt.date(2024, 7, 20), band="peak", energy_kwh=1000, energy_cny=1000)
    api_client.force_authenticate(costed["viewer_a"])
    api = api_client.get(f"/api/v1/enterprises/{costed['a'].pk}/costs/?period=2025-07").json()
    client.force_login(costed["viewer_a"])
    r = client.get(f"/?enterprise={costed['a'].pk}", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200
    month, ytd = r.context["costs"]["cards"]
    # Hand-worked (tests/costs/test_apis.py): bands 120 + 240 + 192 + 24 + 48 = 624, funds 980 × 0.03 = 29.4,
    # capacity 120 kW × 40 = 4800, gas 100 m³ × 3.5 = 350; 624 + 29.4 + 4800 + 350 = 5803.40.
    assert api["total_cny"] == "5803.40"
    assert (str(month["value"]), str(ytd["value"])) == ("5803.40", "5803.40")
    # A year earlier through 2024-07-02: 5000.00 (not the 1000 of 2024-07-20); (5803.40 − 5000) / 5000 = 16.068 %.
    assert (str(month["before"]), str(month["yoy"]), str(ytd["before"]), str(ytd["yoy"])) == (
        "5000.00", "16.07", "5000.00", "16.07")
    assert month["coverage"]["through"] == dt.date(2025, 7, 2)
    html = r.content.decode()
    assert 'data-kpi="cost-month"' in html and "5,803.40" in html and "to date, through 2025-07-02" in html
    zh = client.get(f"/?enterprise={costed['a'].pk}", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "本月费用" in zh and "本年累计费用" in zh and "能源费用" in zh


def test_overview_without_a_tariff_says_so(tenants, client):
    client.force_login(tenants["viewer_a"])
    r = client.get(f"/?enterprise={tenants['a'].pk}", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200
    assert r.context["costs"]["has_tariff"] is False
    assert [c["reason"] for c in r.context["costs"]["cards"]] == ["no_tariff", "no_tariff"]
    assert 'id="cost-no-tariff"' in r.content.decode()
    zh = client.get(f"/?enterprise={tenants['a'].pk}", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "无电价" in zh


def test_site_page_cost_cards_show_the_site_cost_api_total_to_date(costed, client, api_client, monkeypatch):
    # The same hand-worked month as the overview's test above, on the site page of the one costed site: today is
    # 2025-07-03, bands 624 + funds 29.4 + capacity 4800 + gas 350 = 5803.40 CNY through 2025-07-02, which the site
    # cost API also answers for 2025-07; a year earlier 5000.00, so (5803.40 − 5000) / 5000 = 16.07 %.
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2025, 7, 3))
    meter = Meter.objects.get(code="E")
    MeterBandDay.objects.create(meter=meter, day=dt.date(2024, 7, 1), band="peak", energy_kwh=5000, energy_cny=5000)
    site = meter.site
    api_client.force_authenticate(costed["viewer_a"])
    api = api_client.get(f"/api/v1/sites/{site.pk}/costs/?period=2025-07").json()
    client.force_login(costed["viewer_a"])
    r = client.get(f"/sites/{site.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200
    month, ytd = r.context["costs"]["cards"]
    assert api["total_cny"] == "5803.40"
    assert (str(month["value"]), str(month["yoy"]), str(ytd["value"])) == ("5803.40", "16.07", "5803.40")
    assert 'data-kpi="cost-month"' in r.content.decode()


def test_cost_page_month_in_progress_compares_the_same_days_a_year_earlier(costed, client, monkeypatch):
    # Today is 2025-07-03: the cost page's month card for 2025-07 counts 2025-07-01..02 (5803.40 CNY, worked in the
    # tests above) against the same days a year earlier, 2024-07-01..02 (5000.00; the 1000 of 2024-07-20 is after
    # the cut): (5803.40 − 5000) / 5000 = +16.07 %.
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2025, 7, 3))
    meter = Meter.objects.get(code="E")
    MeterBandDay.objects.create(meter=meter, day=dt.date(2024, 7, 1), band="peak", energy_kwh=5000, energy_cny=5000)
    MeterBandDay.objects.create(meter=meter, day=dt.date(2024, 7, 20), band="peak", energy_kwh=1000, energy_cny=1000)
    client.force_login(costed["viewer_a"])
    r = client.get(f"/costs/sites/{meter.site.pk}/?period=2025-07", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200
    month = r.context["cards"][0]
    assert (str(month["value"]), str(month["before"]), str(month["yoy"])) == ("5803.40", "5000.00", "16.07")
