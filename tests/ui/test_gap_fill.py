"""Gaps: whole days without readings are listed; filling a range in one action (linear for registers, weekday
profile for interval meters), stored as estimates with reason and method; refusals shown as errors."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from meters.models import GapFill, IngestBatch, MeterRollup, Reading
from meters.rollup import rollup_all
from tests.factories import MeterFactory

CST = dt.timezone(dt.timedelta(hours=8))
DAY = dt.datetime(2026, 3, 2, tzinfo=CST)  # a Monday
NOW = dt.datetime(2026, 3, 20, 12, tzinfo=CST)


@pytest.fixture
def clock():
    with mock.patch.object(timezone, "now", return_value=NOW):
        yield NOW


@pytest.fixture
def register(tenants):
    """Register REG of site A1: 100 at 00:00 and 148 at 12:00 on 2 March, nothing in between."""
    meter = MeterFactory(site=tenants["site_a"], code="REG", reading_kind="cumulative",
                         active_from=dt.datetime(2026, 1, 1, tzinfo=CST))
    Reading.objects.bulk_create([Reading(meter=meter, ts=DAY, value=100.0),
                                 Reading(meter=meter, ts=DAY + dt.timedelta(hours=12), value=148.0)])
    rollup_all()
    return meter


def _fill(client, meter, start, end, reason="gateway offline"):
    return client.post(f"/api/v1/meters/{meter.pk}/gap-fill/", {"start": start.isoformat(), "end": end.isoformat(),
                                                                 "reason": reason}, content_type="application/json")


def test_register_gap_of_12_hours_is_filled_linearly_in_one_action(client, tenants, register, clock):
    client.force_login(tenants["manager_a"])
    response = _fill(client, register, DAY, DAY + dt.timedelta(hours=12))
    assert response.status_code == 201, response.content
    body = response.json()
    # 100 -> 148 over 12 h: 47 estimated readings 101 ... 147 at 00:15 ... 11:45, i.e. 48 quarter-hours of +1.0.
    assert (body["method"], body["readings"], body["reason"]) == ("linear", 47, "gateway offline")
    filled = list(Reading.objects.filter(meter=register, estimated=True).order_by("ts").values_list("ts", "value"))
    assert filled == [(DAY + dt.timedelta(minutes=15 * k), 100.0 + k) for k in range(1, 48)]
    assert set(Reading.objects.filter(meter=register, estimated=True).values_list("batch_id", flat=True)) == {
        body["batch"]}
    assert IngestBatch.objects.get(pk=body["batch"]).source == "estimate"
    fill = GapFill.objects.get()
    assert (fill.meter, fill.method, fill.reason, fill.readings) == (register, "linear", "gateway offline", 47)
    # Through the rollup: 48 hour-quarter deltas of 1.0 = 48.0 that day, 47 of them from estimated readings
    # (the delta belongs to the interval starting at the earlier reading: 00:15 ... 11:45 are estimates).
    day = MeterRollup.objects.get(meter=register, granularity="day")
    assert (day.quantity, day.received_intervals, day.estimated_intervals) == (48.0, 48, 47)
    event = AuditEvent.objects.get(action="quality.gap.fill")
    assert (event.actor, event.enterprise) == (tenants["manager_a"], tenants["a"])


def test_interval_gap_is_filled_with_the_same_weekday_profile_of_previous_weeks(client, tenants, clock):
    meter = MeterFactory(site=tenants["site_a"], code="E1", active_from=dt.datetime(2026, 1, 1, tzinfo=CST))
    # The two Mondays before: 2.0 kWh per quarter-hour a fortnight earlier, 4.0 a week earlier (00:00-12:00).
    Reading.objects.bulk_create(
        [Reading(meter=meter, ts=DAY - dt.timedelta(days=14, minutes=-15 * k), value=2.0) for k in range(48)]
        + [Reading(meter=meter, ts=DAY - dt.timedelta(days=7, minutes=-15 * k), value=4.0) for k in range(48)])
    client.force_login(tenants["manager_a"])
    response = _fill(client, meter, DAY, DAY + dt.timedelta(hours=12))
    assert response.status_code == 201, response.content
    assert (response.json()["method"], response.json()["readings"]) == ("profile", 48)
    # Each quarter-hour = (2.0 + 4.0) / 2 = 3.0; 48 of them = 144.0 kWh for the 12 hours.
    values = list(Reading.objects.filter(meter=meter, estimated=True).values_list("value", flat=True))
    assert values == [3.0] * 48
    day = MeterRollup.objects.get(meter=meter, granularity="day", bucket_start=DAY)
    assert (day.quantity, day.estimated_intervals) == (144.0, 48)


def test_a_range_holding_readings_is_refused_with_a_code_and_nothing_is_written(client, tenants, register, clock):
    Reading.objects.create(meter=register, ts=DAY + dt.timedelta(hours=6), value=124.0)
    client.force_login(tenants["manager_a"])
    response = _fill(client, register, DAY, DAY + dt.timedelta(hours=12))
    assert response.status_code == 409
    assert response.json()["code"] == "readings_in_range"
    assert set(response.json()) >= {"code", "detail"}
    assert not Reading.objects.filter(estimated=True).exists()
    assert not GapFill.objects.exists()


def test_interval_range_without_history_or_reason_is_refused(client, tenants, clock):
    meter = MeterFactory(site=tenants["site_a"], code="E1", active_from=dt.datetime(2026, 1, 1, tzinfo=CST))
    client.force_login(tenants["manager_a"])
    response = _fill(client, meter, DAY, DAY + dt.timedelta(hours=12))
    assert (response.status_code, response.json()["code"]) == (400, "no_profile")
    response = _fill(client, meter, DAY, DAY + dt.timedelta(hours=12), reason=" ")
    assert response.status_code == 400
    response = _fill(client, meter, DAY + dt.timedelta(minutes=7), DAY + dt.timedelta(hours=12))
    assert response.json()["code"] == "not_on_meter_interval"
    assert not Reading.objects.exists()


def test_gap_fill_roles_and_tenancy(client, tenants, register, clock):
    client.force_login(tenants["viewer_a"])
    assert _fill(client, register, DAY, DAY + dt.timedelta(hours=12)).status_code == 403
    client.force_login(tenants["admin_b"])
    assert _fill(client, register, DAY, DAY + dt.timedelta(hours=12)).status_code == 404
    assert not GapFill.objects.exists()


def test_whole_days_without_any_reading_are_listed_as_gaps(client, tenants, clock):
    """E1 active from 18 March 00:00; readings only on the 18th (96 quarter-hours): the 19th has none at all. On the
    20th at 12:00 the 19th ended 12 h ago (more than the 60-minute grace), the 20th has not ended."""
    start = dt.datetime(2026, 3, 18, tzinfo=CST)
    meter = MeterFactory(site=tenants["site_a"], code="E1", active_from=start)
    Reading.objects.bulk_create([Reading(meter=meter, ts=start + dt.timedelta(minutes=15 * k), value=1.0)
                                 for k in range(96)])
    rollup_all()
    client.force_login(tenants["manager_a"])
    gaps = client.get("/quality/").context["gaps"]
    assert [(g.meter_id, g.day, g.received_intervals, g.expected_intervals) for g in gaps] == [
        (meter.pk, dt.date(2026, 3, 19), 0, 96)]
    page = client.get("/quality/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'class="whole-day"' in page and "no readings" in page
    api = client.get(f"/api/v1/enterprises/{tenants['a'].pk}/gaps/").json()
    assert api == [{"meter": meter.pk, "meter_code": "E1", "site": "A1", "day": "2026-03-19",
                    "day_start": "2026-03-18T16:00:00+00:00", "expected_intervals": 96, "received_intervals": 0,
                    "estimated_intervals": 0, "whole_day": True}]
    # Acknowledged (no rollup exists for that day: by meter and day), it leaves the list.
    client.post("/quality/", {"action": "acknowledge_gap", "meter": meter.pk, "day": "2026-03-19", "note": "off"})
    assert client.get("/quality/").context["gaps"] == []


def test_a_partial_first_day_does_not_hide_a_whole_day_without_readings(client, tenants, clock):
    """E2 active from 17 March 12:00: the 17th is its partial first day (48 quarter-hours, a day rollup outside its
    whole days), the 18th has 96, the 19th none. Whole days on the 20th at 12:00: 18th and 19th, with one rollup
    between them (the 17th's does not count), so the 19th is listed."""
    start = dt.datetime(2026, 3, 17, 12, tzinfo=CST)
    meter = MeterFactory(site=tenants["site_a"], code="E2", active_from=start)
    Reading.objects.bulk_create([Reading(meter=meter, ts=start + dt.timedelta(minutes=15 * k), value=1.0)
                                 for k in range(48 + 96)])
    rollup_all()
    client.force_login(tenants["manager_a"])
    gaps = client.get("/quality/").context["gaps"]
    assert [(g.meter_id, g.day, g.received_intervals) for g in gaps if g.whole_day] == [
        (meter.pk, dt.date(2026, 3, 19), 0)]


def test_quality_page_fills_a_range_and_shows_a_refusal_in_the_red_banner(client, tenants, register, clock):
    client.force_login(tenants["manager_a"])
    form = {"action": "fill_gap", "meter": register.pk, "start": "2026-03-02T00:00", "end": "2026-03-02T12:00",
            "reason": "gateway offline"}
    response = client.post("/quality/", form, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert '<p class="msg success">Filled: A1 / REG, 2026-03-02 00:00 – 2026-03-02 12:00, 47 estimated readings ' \
           "(linear between register values).</p>" in page
    response = client.post("/quality/", form, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    # The 47 estimates of the first fill now lie inside the range.
    assert '<p class="msg error" role="alert">47 readings already exist in this range' in page
    assert Reading.objects.filter(estimated=True).count() == 47


def test_gap_fill_works_on_the_embedded_sqlite_default(tmp_path):
    """The same two fills as above on SQLite (recursive CTE instead of generate_series), in a subprocess."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "CELERY_RESULT_BACKEND")}
    env |= {"DATABASE_URL": f"sqlite:///{tmp_path / 'fill.sqlite3'}", "PYTHONPATH": str(root),
            "DJANGO_SETTINGS_MODULE": "energy_platform.settings.local"}
    run = subprocess.run([sys.executable, str(Path(__file__).with_name("embedded_gap_fill.py"))], cwd=root,
                         env=env, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["fills"] == [["linear", 47], ["profile", 48]]
    assert out["register"] == [100.0 + k for k in range(1, 48)]  # 101 ... 147
    assert out["first_ts"] == "2026-03-01T16:15:00+00:00"  # 00:15 in Shanghai
    assert out["interval"] == [3.0] * 48  # (2.0 + 4.0) / 2
    # Register: 48 quarter-hours of +1.0 = 48.0, 47 of them from estimates; interval: 48 x 3.0 = 144.0.
    assert out["days"] == [[48.0, 48, 47], [144.0, 48, 48]]
