"""The cost pages: the enterprise's sites, a site's band split, load curve, demand, products and the what-if."""

import pytest

pytestmark = pytest.mark.django_db


def test_cost_page_lists_the_sites_with_their_total(costed, client):
    client.force_login(costed["viewer_a"])
    r = client.get(f"/costs/?enterprise={costed['a'].pk}&period=2025-07")
    assert r.status_code == 200
    assert "5,803.40" in r.content.decode()  # the API test's hand-worked total, grouped by thousands
    assert "A1 两部制" in r.content.decode()


def test_site_cost_page_shows_lines_total_and_chart_data(costed, client):
    client.force_login(costed["viewer_a"])
    r = client.get(f"/costs/sites/{costed['site_a'].pk}/?period=2025-07&day=2025-07-01")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="cost-total">5,803.40<' in html
    assert 'id="cost-chart-data"' in html
    assert r.context["chart"]["load"]["kw"][76] == 120.0  # 19:00 is quarter-hour 76: 30 kWh / 0.25 h
    assert r.context["chart"]["load"]["bands"][76] == "critical_peak"
    assert r.context["chart"]["demand"] == [{"month": "2025-07", "max_demand_kw": 120.0}]


def test_load_shifting_what_if_gives_the_monthly_saving(costed, client):
    client.force_login(costed["viewer_a"])
    r = client.get(f"/costs/sites/{costed['site_a'].pk}/?period=2025-07&kwh_per_day=100&from_band=peak"
                   "&to_band=valley&demand_cap_kw=100")
    whatif = r.context["whatif"]
    # 100 kWh × (1.0 − 0.3) × 31 days = 2170; demand 120 → 100 kW: 20 kW × 40 = 800; 2170 + 800 = 2970.
    assert (str(whatif["energy_saving_cny"]), str(whatif["demand_saving_cny"]), str(whatif["saving_cny"])) == (
        "2170.00", "800.00", "2970.00")
    bad = client.get(f"/costs/sites/{costed['site_a'].pk}/?period=2025-07&kwh_per_day=x&from_band=peak&to_band=flat")
    assert bad.status_code == 200
    assert bad.context["whatif_error"] == "Enter a number."


def test_foreign_site_cost_page_is_not_found(costed, client):
    client.force_login(costed["admin_b"])
    assert client.get(f"/costs/sites/{costed['site_a'].pk}/?period=2025-07").status_code == 404
    assert client.get(f"/costs/?enterprise={costed['a'].pk}").status_code == 404


def test_site_cost_page_speaks_chinese_and_english(costed, client):
    client.force_login(costed["viewer_a"])
    url = f"/costs/sites/{costed['site_a'].pk}/?period=2025-07"
    zh = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "按分时时段和费用项目的费用" in zh and "基本电费" in zh and ">尖峰<" in zh
    en = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Cost by time-of-use band and charge" in en and "Capacity charge" in en


def test_cost_cards_give_month_and_year_to_date_with_year_on_year(costed, client):
    from costs.models import MeterBandDay, MeterCostMonth

    # A year earlier the same billing meter cost 5000.00 in July (a stored band-day row stands in for last year's data;
    # the cards are computed as the cost API computes a total).
    MeterBandDay.objects.create(meter=MeterCostMonth.objects.get(meter__code="E").meter, day="2024-07-01",
                                band="peak", energy_kwh=5000, energy_cny=5000)
    client.force_login(costed["viewer_a"])
    cards = client.get(f"/costs/sites/{costed['site_a'].pk}/?period=2025-07").context["cards"]
    month, ytd = cards
    # This July: 5803.40 (E 5453.40 + gas 350); (5803.40 − 5000) / 5000 = 16.068 % → 16.07.
    assert (str(month["value"]), str(month["before"]), str(month["yoy"])) == ("5803.40", "5000.00", "16.07")
    assert (str(ytd["value"]), str(ytd["yoy"])) == ("5803.40", "16.07")


def test_site_cost_charts_export_the_data_they_draw(costed, client):
    client.force_login(costed["viewer_a"])
    url = f"/costs/sites/{costed['site_a'].pk}/?period=2025-07&day=2025-07-01"
    html = client.get(url).content.decode()
    for name in ("split", "load", "demand"):
        assert f'data-export-json="cost-chart-data:{name}"' in html
    r = client.get(url + "&chart=cost-chart-data:demand&export=csv")
    assert r["Content-Type"].startswith("text/csv")
    # in the page's language (zh-hans by default)
    assert r.content.decode("utf-8-sig").splitlines() == [",最大需量 (kW)", "2025-07,120.0"]
    load = client.get(url + "&chart=cost-chart-data:load&export=csv").content.decode("utf-8-sig").splitlines()
    # 19:00 is quarter-hour 76 (row 77 after the header): 30 kWh / 0.25 h = 120 kW in the critical-peak band
    assert load[77].split(",")[:2] == ["19:00", "120.0"]
    assert len(load) == 1 + 96
