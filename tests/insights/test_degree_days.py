"""Degree days from entered daily mean temperatures (base 18 °C), by the service, the API and the admin action."""

import datetime as dt
from decimal import Decimal

import pytest

from accounts.models import AuditEvent
from energy_platform.errors import ApplicationError
from insights.models import DailyTemperature, MonthlyWeather
from insights.services import daily_temperatures_record, degree_days_compute

pytestmark = pytest.mark.django_db

# January 2025: 10 days at −2 °C, 11 days at 5 °C, 10 days at 20 °C (31 days), base 18 °C:
#   HDD = 10 × (18 − (−2)) + 11 × (18 − 5) + 10 × 0 = 200 + 143 = 343 °C·d
#   CDD = 10 × (20 − 18) = 20 °C·d;  mean = (10 × −2 + 11 × 5 + 10 × 20) / 31 = 235 / 31 = 7.58 °C
JANUARY = [Decimal(-2)] * 10 + [Decimal(5)] * 11 + [Decimal(20)] * 10


def _rows(month=dt.date(2025, 1, 1), temps=JANUARY):
    return [(month + dt.timedelta(days=i), t) for i, t in enumerate(temps)]


def test_a_complete_month_becomes_degree_days(tenants):
    result = daily_temperatures_record(site=tenants["site_a"], rows=_rows(), source="station 54534")
    assert result["computed"] == [{"month": "2025-01", "hdd": Decimal("343.00"), "cdd": Decimal("20.00"),
                                   "mean_temperature_c": Decimal("7.58")}]
    w = MonthlyWeather.objects.get(site=tenants["site_a"], month=dt.date(2025, 1, 1))
    assert (w.hdd, w.cdd, w.base_temperature_c) == (Decimal("343"), Decimal("20"), Decimal("18"))
    assert w.source == "computed from 31 daily mean temperatures"
    assert AuditEvent.objects.filter(action="weather.daily_import").count() == 1
    # A corrected day replaces its value and the month is recomputed: day 31 at 18 °C instead of 20 → CDD 18.
    daily_temperatures_record(site=tenants["site_a"], rows=[(dt.date(2025, 1, 31), Decimal(18))])
    w.refresh_from_db()
    assert (w.hdd, w.cdd) == (Decimal("343"), Decimal("18"))


def test_an_incomplete_month_is_reported_not_computed(tenants):
    result = daily_temperatures_record(site=tenants["site_a"], rows=_rows(temps=JANUARY[:30]))
    assert result == {"stored": 30, "computed": [], "incomplete_days_missing": {"2025-01": 1}}
    assert not MonthlyWeather.objects.exists()
    with pytest.raises(ApplicationError) as exc:
        degree_days_compute(site=tenants["site_a"], month=dt.date(2025, 1, 1))
    assert exc.value.code == "incomplete_month" and exc.value.extra["missing_days"] == ["2025-01-31"]


def test_daily_temperature_api(api_client, tenants):
    body = {"site": tenants["site_a"].pk, "source": "station",
            "temperatures": [{"day": d.isoformat(), "mean_c": str(t)} for d, t in _rows()]}
    api_client.force_authenticate(tenants["viewer_a"])
    assert api_client.post("/api/v1/weather/daily/", body, format="json").status_code == 403
    api_client.force_authenticate(tenants["admin_b"])
    r = api_client.post("/api/v1/weather/daily/", body, format="json")
    assert (r.status_code, list(r.json()["errors"])) == (400, ["site"])  # another enterprise's site
    api_client.force_authenticate(tenants["manager_a"])
    r = api_client.post("/api/v1/weather/daily/", body, format="json")
    assert r.status_code == 201 and r.json()["computed"][0]["hdd"] == 343.0
    bad = {**body, "temperatures": [{"day": "2025-02-01", "mean_c": "75"}]}
    r = api_client.post("/api/v1/weather/daily/", bad, format="json")
    assert (r.status_code, r.json()["code"]) == (400, "invalid")
    dup = {**body, "temperatures": [{"day": "2025-02-01", "mean_c": "1"}, {"day": "2025-02-01", "mean_c": "2"}]}
    assert api_client.post("/api/v1/weather/daily/", dup, format="json").json()["code"] == "duplicate_day"
    assert api_client.post("/api/v1/weather/daily/", {**body, "temperatures": []},
                           format="json").status_code == 400


def test_admin_action_computes_the_selected_months(client, tenants):
    for day, t in _rows():
        DailyTemperature.objects.create(site=tenants["site_a"], day=day, mean_c=t)
    client.force_login(tenants["staff"])
    r = client.post("/admin/insights/dailytemperature/", {
        "action": "compute_degree_days", "_selected_action": [DailyTemperature.objects.first().pk]}, follow=True)
    assert r.status_code == 200
    assert MonthlyWeather.objects.get(site=tenants["site_a"]).hdd == Decimal("343")
