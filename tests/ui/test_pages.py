"""UI pages: status, tenancy (never another enterprise's site/meter), roles (viewer and regulator read-only)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from carbon.kpis import enterprise_kpis
from carbon.periods import Period
from meters.models import Reading
from meters.rollup import rollup_all
from plants.models import EconomicData
from tests.factories import EconomicDataFactory, MeterFactory


@pytest.fixture
def seeded(tenants):
    """Site A1 with a main electricity meter (100 kWh per 15 min for the first 2 days of the month) and a child."""
    today = timezone.localdate()
    month_start = dt.datetime(today.year, today.month, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    main = MeterFactory(site=tenants["site_a"], code="MAIN")
    child = MeterFactory(site=tenants["site_a"], code="SUB1", parent=main, role="sub", level="workshop")
    other = MeterFactory(site=tenants["site_b"], code="BMAIN")
    rows = [Reading(meter=main, ts=month_start + dt.timedelta(minutes=15 * i), value=100.0) for i in range(192)]
    rows += [Reading(meter=child, ts=month_start + dt.timedelta(minutes=15 * i), value=60.0) for i in range(192)]
    Reading.objects.bulk_create(rows)
    rollup_all()
    EconomicDataFactory(site=tenants["site_a"], month=today.replace(day=1), value_added_10k_cny=Decimal("1000"))
    return {**tenants, "main": main, "child": child, "other": other}


def _day_before_the_month(*, hour: int) -> dt.datetime:
    """A time on the last day of last month: before the seeded readings, and in the past whatever today is."""
    first = timezone.localtime(timezone.now()).replace(day=1, hour=hour, minute=0, second=0, microsecond=0)
    return first - dt.timedelta(days=1)


def _login(client, user):
    client.force_login(user)
    return client


def test_pages_redirect_anonymous_to_login(client, tenants):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_login_page_renders_in_chinese_by_default(client, db):
    response = client.get("/login/")
    assert response.status_code == 200
    assert "登录" in response.content.decode()


def test_overview_kpi_cards_equal_the_kpi_service(client, seeded):
    _login(client, seeded["manager_a"])
    response = client.get("/")
    assert response.status_code == 200
    today = timezone.localdate()
    expected = enterprise_kpis(enterprise=seeded["a"], period=Period.month(today.year, today.month))
    cards = {c["key"]: c["value"] for c in response.context["month_cards"]}
    assert cards["energy_tce"] == expected["energy_tce"]["value"]
    assert cards["energy_tce"] > 0
    assert cards["total_tco2"] == expected["total_tco2"]["value"]
    assert [s["site"] for s in response.context["sites"]] == ["A1"]


def test_user_never_sees_other_enterprise_site_or_meter(client, seeded):
    _login(client, seeded["manager_a"])
    b_site = seeded["site_b"].pk
    assert client.get(f"/sites/{b_site}/").status_code == 404
    assert client.get(f"/sites/{b_site}/meters/").status_code == 404
    assert client.get(f"/api/v1/ui/sites/{b_site}/monthly/").status_code == 404
    assert client.get(f"/api/v1/ui/meters/{seeded['other'].pk}/series/").status_code == 404
    assert client.get(f"/?enterprise={seeded['b'].pk}").status_code == 404


def test_site_and_meter_pages_render_for_own_site(client, seeded):
    _login(client, seeded["viewer_a"])
    site = seeded["site_a"].pk
    assert client.get(f"/sites/{site}/").status_code == 200
    response = client.get(f"/sites/{site}/meters/")
    assert response.status_code == 200
    rows = {r["meter"].code: r for r in response.context["rows"]}
    # Main 192 x 100 = 19200 kWh, child 192 x 60 = 11520 kWh; unmetered loss 19200 - 11520 = 7680 kWh.
    assert rows["MAIN"]["unmetered"] == pytest.approx(7680.0)
    assert rows["SUB1"]["depth"] == 1


def test_meter_series_draws_missing_days_as_null(client, seeded):
    _login(client, seeded["viewer_a"])
    data = client.get(f"/api/v1/ui/meters/{seeded['main'].pk}/series/").json()
    values = [v for v in data["series"][0]["data"] if v is not None]
    assert values == [pytest.approx(9600.0), pytest.approx(9600.0)]
    assert None in data["series"][0]["data"]


def test_load_curve_rejects_bad_range(client, seeded):
    _login(client, seeded["viewer_a"])
    response = client.get(f"/api/v1/ui/sites/{seeded['site_a'].pk}/load/?days=3")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_days"


def test_load_curve_week_has_672_quarter_hours_from_readings(client, seeded):
    _login(client, seeded["viewer_a"])
    first = timezone.localdate().replace(day=1)
    data = client.get(f"/api/v1/ui/sites/{seeded['site_a'].pk}/load/?day={first.isoformat()}&days=7").json()
    assert len(data["labels"]) == 672
    values = data["series"][0]["data"]
    # The week Monday–Sunday containing the 1st: the readings start weekday(1st) × 96 quarter-hours into it.
    # Only the main (top-level) meter counts: 192 quarter-hours of 100 kWh (the child SUB1 is not added); the two
    # days may run past Sunday, so only those inside the week are drawn.
    k = first.weekday() * 96
    inside = min(192, 672 - k)
    assert values[:k] == [None] * k
    assert values[k:k + inside] == [pytest.approx(100.0)] * inside
    assert values[k + inside:] == [None] * (672 - k - inside)


def test_week_view_shows_the_monday_to_sunday_week_containing_the_chosen_day(client, tenants):
    # 2026-03-04 is a Wednesday: its week is Monday 2026-03-02 to Sunday 2026-03-08. One reading of 40 kWh at
    # Monday 2026-03-02 00:00 (+08:00) is slot 0 of the week; today's code started the chart at the Wednesday and
    # drew the 7 days after it (03-04 … 03-10), without the Monday.
    meter = MeterFactory(site=tenants["site_a"], code="WEEK")
    monday = dt.datetime(2026, 3, 2, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    Reading.objects.create(meter=meter, ts=monday, value=40.0)
    _login(client, tenants["viewer_a"])
    data = client.get(f"/api/v1/ui/sites/{tenants['site_a'].pk}/load/?day=2026-03-04&days=7").json()
    assert (data["first_day"], data["last_day"]) == ("2026-03-02", "2026-03-08")
    assert data["labels"][0] == "03-02 00:00" and data["labels"][-1] == "03-08 23:45"  # 7 × 96 = 672 slots
    assert data["series"][0]["data"][0] == 40.0
    assert "2026-03-02" in data["title"] and "2026-03-08" in data["title"]


def test_a_future_day_gives_a_message_instead_of_an_empty_chart(client, tenants):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    _login(client, tenants["viewer_a"])
    data = client.get(f"/api/v1/ui/sites/{tenants['site_a'].pk}/load/?day={tomorrow.isoformat()}&days=1",
                      HTTP_ACCEPT_LANGUAGE="en").json()
    assert data["future"] is True and data["series"] == []
    assert data["message"].startswith(f"{tomorrow.isoformat()} is in the future")


def test_monthly_energy_chart_never_stacks_different_units(client, tenants):
    # One month of 1,000 kWh electricity and 2 t raw coal on site A1. Today's code stacked 1,000 (kWh) on 2 (t) in
    # one bar. Now both are in tce, by the KPIs' coefficients (DOMAIN.md §1, equivalent method):
    #   electricity 1,000 kWh × 0.1229 kgce/kWh = 0.1229 tce; raw coal 2 t × 0.7143 tce/t = 1.4286 tce.
    site = tenants["site_a"]
    local = dt.timezone(dt.timedelta(hours=8))
    elec = MeterFactory(site=site, code="E1", interval_minutes=43200)
    coal = MeterFactory(site=site, code="C1", carrier="raw_coal", unit="t", interval_minutes=43200)
    Reading.objects.bulk_create([Reading(meter=elec, ts=dt.datetime(2026, 1, 1, tzinfo=local), value=1000.0),
                                 Reading(meter=coal, ts=dt.datetime(2026, 1, 1, tzinfo=local), value=2.0)])
    rollup_all()
    from ui.selectors import monthly_by_carrier

    data = monthly_by_carrier(site=site, today=dt.date(2026, 2, 10), months=2)
    assert data["labels"] == ["2026-01", "2026-02"] and data["unit"] == "tce"
    assert {s["stack"] for s in data["series"]} == {"tce"}
    by_unit = {s["quantity_unit"]: s for s in data["series"]}
    assert by_unit["kWh"]["data"][0] == pytest.approx(0.1229) and by_unit["kWh"]["quantities"][0] == 1000.0
    assert by_unit["t"]["data"][0] == pytest.approx(1.4286) and by_unit["t"]["quantities"][0] == 2.0


def test_load_curve_of_cumulative_register_uses_deltas(client, tenants):
    start = dt.datetime(2026, 3, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    meter = MeterFactory(site=tenants["site_a"], code="REG", reading_kind="cumulative", multiplier=Decimal("2"))
    # Register 1000, 1010, 1025, (reset to 5): deltas 10, 15 x multiplier 2 = 20, 30; the reset is left out.
    Reading.objects.bulk_create([Reading(meter=meter, ts=start + dt.timedelta(minutes=15 * i), value=v)
                                 for i, v in enumerate([1000.0, 1010.0, 1025.0, 5.0])])
    _login(client, tenants["viewer_a"])
    data = client.get(f"/api/v1/ui/sites/{tenants['site_a'].pk}/load/?day=2026-03-01&days=1").json()
    assert data["series"][0]["data"][:4] == [20.0, 30.0, None, None]


def test_load_curve_spreads_an_hourly_meter_over_its_quarter_hours(client, tenants):
    start = dt.datetime(2026, 3, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    meter = MeterFactory(site=tenants["site_a"], code="HOURLY", interval_minutes=60)
    Reading.objects.bulk_create([Reading(meter=meter, ts=start, value=100.0),
                                 Reading(meter=meter, ts=start + dt.timedelta(hours=1), value=60.0)])
    _login(client, tenants["viewer_a"])
    data = client.get(f"/api/v1/ui/sites/{tenants['site_a'].pk}/load/?day=2026-03-01&days=1").json()
    # 100 kWh in 00:00-01:00 -> 4 quarter-hours of 25 kWh; 60 kWh in 01:00-02:00 -> 4 of 15 kWh; then no data.
    assert data["series"][0]["data"][:9] == [25.0] * 4 + [15.0] * 4 + [None]


def test_viewer_cannot_post_data_entry(client, seeded):
    _login(client, seeded["viewer_a"])
    response = client.post("/entry/", {"form": "monthly", "kind": "economic",
                                       "target": f"site-{seeded['site_a'].pk}", "month": "2025-01", "value": "5"})
    assert response.status_code == 403
    assert not EconomicData.objects.filter(month="2025-01-01").exists()


def test_manager_saves_value_added_by_form(client, seeded):
    _login(client, seeded["manager_a"])
    response = client.post("/entry/", {"form": "monthly", "kind": "economic",
                                       "target": f"site-{seeded['site_a'].pk}", "month": "2025-01", "value": "123.5"})
    assert response.status_code == 302
    row = EconomicData.objects.get(site=seeded["site_a"], month="2025-01-01")
    assert row.value_added_10k_cny == Decimal("123.5")
    assert row.created_by == seeded["manager_a"]


def test_manager_cannot_enter_data_for_other_enterprise_site(client, seeded):
    _login(client, seeded["manager_a"])
    response = client.post("/entry/", {"form": "monthly", "kind": "economic",
                                       "target": f"site-{seeded['site_b'].pk}", "month": "2025-01", "value": "1"})
    assert response.status_code == 400  # not one of the enterprise's sites
    assert not EconomicData.objects.filter(site=seeded["site_b"]).exists()


def test_regulator_sees_read_only_pages_in_jurisdiction(client, seeded):
    _login(client, seeded["regulator_sh"])
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["enterprise"] == seeded["a"]
    assert response.context["can_edit"] is False
    assert client.get(f"/sites/{seeded['site_b'].pk}/").status_code == 404
    response = client.post("/entry/", {"kind": "economic", "target": f"site-{seeded['site_a'].pk}", "month": "2025-01",
                                       "value": "5"})
    assert response.status_code == 403


def test_quality_and_reports_pages_render(client, seeded):
    _login(client, seeded["manager_a"])
    response = client.get("/quality/")
    assert response.status_code == 200
    # MAIN's two complete days are no gaps; the days since without any reading are (whole-day gaps).
    main_gaps = [g for g in response.context["gaps"] if g.meter_id == seeded["main"].pk]
    assert all(g.whole_day for g in main_gaps)
    first = timezone.localdate().replace(day=1)
    assert not {first, first + dt.timedelta(days=1)} & {g.day for g in main_gaps}
    assert client.get("/reports/").status_code == 200


def test_manager_enters_estimate_with_reason_marked_estimated(client, seeded):
    _login(client, seeded["manager_a"])
    ts = _day_before_the_month(hour=0)
    response = client.post("/quality/", {"action": "estimate", "meter": seeded["main"].pk,
                                         "ts": ts.strftime("%Y-%m-%dT%H:%M"), "value": "80", "reason": "gateway down"})
    assert response.status_code == 302
    reading = Reading.objects.get(meter=seeded["main"], ts=ts)
    assert (reading.value, reading.estimated) == (80.0, True)
    from meters.models import MeterRollup

    day = MeterRollup.objects.get(meter=seeded["main"], granularity="day", bucket_start=ts.replace(hour=0))
    assert (day.quantity, day.received_intervals, day.estimated_intervals) == (80.0, 1, 1)


def test_estimate_without_reason_or_by_viewer_is_refused(client, seeded):
    ts = _day_before_the_month(hour=1)
    data = {"action": "estimate", "meter": seeded["main"].pk, "ts": ts.strftime("%Y-%m-%dT%H:%M"), "value": "80",
            "reason": ""}
    _login(client, seeded["manager_a"])
    client.post("/quality/", data)
    _login(client, seeded["viewer_a"])
    assert client.post("/quality/", {**data, "reason": "x"}).status_code == 403
    assert not Reading.objects.filter(meter=seeded["main"], ts=ts).exists()


def test_estimate_for_other_enterprise_meter_is_404(client, seeded):
    _login(client, seeded["manager_a"])
    response = client.post("/quality/", {"action": "estimate", "meter": seeded["other"].pk, "ts": "2026-01-01T00:00",
                                         "value": "1", "reason": "r"})
    assert response.status_code == 404


def test_overview_shows_target_progress_from_the_kpi_service(client, seeded):
    from carbon.models import Target

    today = timezone.localdate()
    Target.objects.create(enterprise=seeded["a"], indicator=Target.Indicator.ENERGY_TCE, baseline_year=today.year - 1,
                          baseline_value=Decimal("100"), target_year=today.year, reduction_pct=Decimal("10"))
    _login(client, seeded["manager_a"])
    response = client.get("/")
    expected = enterprise_kpis(enterprise=seeded["a"], period=Period.year(today.year))["targets"]
    assert [{k: v for k, v in t.items() if k != "label"} for t in response.context["targets"]] == expected
    assert response.context["targets"][0]["label"] == Target.Indicator.ENERGY_TCE.label
    assert len(expected) == 1
    assert expected[0]["progress_pct"] is not None
    assert f'{expected[0]["progress_pct"]}%</td>' in response.content.decode().replace(",", "")


def test_reset_listed_and_accepted_as_new_baseline(client, seeded):
    from meters.models import RegisterEvent

    ts = timezone.now().replace(microsecond=0) - dt.timedelta(days=1)
    event = RegisterEvent.objects.create(meter=seeded["main"], ts=ts, kind="reset", previous_value=500.0, value=3.0)
    _login(client, seeded["viewer_a"])
    assert [e.pk for e in client.get("/quality/").context["events"]] == [event.pk]
    assert client.post("/quality/", {"action": "accept_reset", "event": event.pk}).status_code == 403
    _login(client, seeded["manager_a"])
    assert client.post("/quality/", {"action": "accept_reset", "event": event.pk}).status_code == 302
    event.refresh_from_db()
    assert event.status == "resolved"
    assert Reading.objects.get(meter=seeded["main"], ts=ts).value == 3.0
    assert client.get("/quality/").context["events"] == []


def test_report_start_form_only_for_editors(client, seeded):
    _login(client, seeded["manager_a"])
    assert 'id="report-start"' in client.get("/reports/").content.decode()
    _login(client, seeded["viewer_a"])
    assert 'id="report-start"' not in client.get("/reports/").content.decode()


def test_estimate_dated_in_the_future_is_refused_with_a_message(client, seeded):
    ts = timezone.localtime(timezone.now() + dt.timedelta(hours=2)).replace(second=0, microsecond=0)
    _login(client, seeded["manager_a"])
    response = client.post("/quality/", {"action": "estimate", "meter": seeded["main"].pk,
                                         "ts": ts.strftime("%Y-%m-%dT%H:%M"), "value": "80", "reason": "guess"},
                           follow=True)
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == ["估算值的时间不能晚于当前时间。"]  # zh-hans by default
    assert not Reading.objects.filter(meter=seeded["main"], ts=ts).exists()
