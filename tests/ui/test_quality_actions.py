"""Data-quality actions: resolve a conflicting reading, acknowledge a gap, estimates marked in the meter chart."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from meters.models import MeterRollup, Reading, ReadingConflict
from meters.rollup import rollup_all
from tests.factories import MeterFactory
from ui.models import GapAcknowledgement

CST = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def partial(tenants):
    """Meter E1 of site A1 with 10 of 96 quarter-hours of 50 kWh on the 3rd of last month (an incomplete day)."""
    first = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    day = dt.datetime(first.year, first.month, 3, tzinfo=CST)
    meter = MeterFactory(site=tenants["site_a"], code="E1")
    other = MeterFactory(site=tenants["site_b"], code="BE1")
    Reading.objects.bulk_create([Reading(meter=meter, ts=day + dt.timedelta(minutes=15 * i), value=50.0)
                                 for i in range(10)])
    Reading.objects.create(meter=other, ts=day, value=1.0)
    rollup_all()
    return {**tenants, "meter": meter, "other": other, "day": day}


def test_conflict_keep_stored_resolves_without_changing_the_reading(client, partial):
    c = ReadingConflict.objects.create(meter=partial["meter"], ts=partial["day"], stored_value=50.0,
                                       offered_value=70.0)
    client.force_login(partial["manager_a"])
    assert [x.pk for x in client.get("/quality/").context["conflicts"]] == [c.pk]
    response = client.post("/quality/", {"action": "resolve_conflict", "conflict": c.pk, "keep": "stored"})
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.status == "resolved"
    assert Reading.objects.get(meter=partial["meter"], ts=partial["day"]).value == 50.0
    assert client.get("/quality/").context["conflicts"] == []


def test_conflict_take_offered_replaces_the_reading_and_recomputes_the_day(client, partial,
                                                                          django_capture_on_commit_callbacks):
    c = ReadingConflict.objects.create(meter=partial["meter"], ts=partial["day"], stored_value=50.0,
                                       offered_value=70.0)
    client.force_login(partial["manager_a"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/quality/", {"action": "resolve_conflict", "conflict": c.pk, "keep": "offered"})
    assert Reading.objects.get(meter=partial["meter"], ts=partial["day"]).value == 70.0
    # Day total: 9 x 50 + 70 = 520 kWh (was 10 x 50 = 500).
    day = MeterRollup.objects.get(meter=partial["meter"], granularity="day", bucket_start=partial["day"])
    assert day.quantity == pytest.approx(520.0)
    # A second decision on the same conflict is refused with a message, not a 500.
    assert client.post("/quality/", {"action": "resolve_conflict", "conflict": c.pk, "keep": "stored"}).status_code \
        == 302
    assert Reading.objects.get(meter=partial["meter"], ts=partial["day"]).value == 70.0


def test_conflict_bad_choice_viewer_and_other_enterprise(client, partial):
    c = ReadingConflict.objects.create(meter=partial["meter"], ts=partial["day"], stored_value=50.0,
                                       offered_value=70.0)
    foreign = ReadingConflict.objects.create(meter=partial["other"], ts=partial["day"], stored_value=1.0,
                                             offered_value=2.0)
    client.force_login(partial["viewer_a"])
    assert client.post("/quality/", {"action": "resolve_conflict", "conflict": c.pk, "keep": "offered"}
                       ).status_code == 403
    client.force_login(partial["manager_a"])
    assert client.post("/quality/", {"action": "resolve_conflict", "conflict": foreign.pk, "keep": "offered"}
                       ).status_code == 404
    client.post("/quality/", {"action": "resolve_conflict", "conflict": c.pk, "keep": "both"})
    c.refresh_from_db()
    foreign.refresh_from_db()
    assert (c.status, foreign.status) == ("open", "open")
    assert Reading.objects.get(meter=partial["meter"], ts=partial["day"]).value == 50.0


def test_gap_is_listed_then_acknowledged_with_a_note(client, partial):
    client.force_login(partial["manager_a"])
    # The days after the 3rd have no reading at all: listed too, as whole-day gaps (test_gap_fill.py).
    gaps = [g for g in client.get("/quality/").context["gaps"] if not g.whole_day]
    assert [(g.meter_id, g.received_intervals, g.expected_intervals) for g in gaps] == [
        (partial["meter"].pk, 10, 96)]
    client.force_login(partial["viewer_a"])
    assert client.post("/quality/", {"action": "acknowledge_gap", "rollup": gaps[0].pk}).status_code == 403
    client.force_login(partial["manager_a"])
    response = client.post("/quality/", {"action": "acknowledge_gap", "rollup": gaps[0].pk, "note": "line stopped"})
    assert response.status_code == 302
    ack = GapAcknowledgement.objects.get()
    assert (ack.meter, ack.day_start, ack.note, ack.acknowledged_by) == (
        partial["meter"], partial["day"], "line stopped", partial["manager_a"])
    assert [g for g in client.get("/quality/").context["gaps"] if not g.whole_day] == []


def test_gap_of_another_enterprise_cannot_be_acknowledged(client, partial):
    foreign = MeterRollup.objects.get(meter=partial["other"], granularity="day")
    client.force_login(partial["manager_a"])
    assert client.post("/quality/", {"action": "acknowledge_gap", "rollup": foreign.pk}).status_code == 404
    assert not GapAcknowledgement.objects.exists()


def test_estimate_is_marked_in_the_meter_chart_and_quality_page(client, partial):
    client.force_login(partial["manager_a"])
    ts = partial["day"] + dt.timedelta(hours=12)
    client.post("/quality/", {"action": "estimate", "meter": partial["meter"].pk,
                              "ts": ts.strftime("%Y-%m-%dT%H:%M"), "value": "40", "reason": "gateway offline"})
    data = client.get(f"/api/v1/ui/meters/{partial['meter'].pk}/series/").json()
    label = partial["day"].strftime("%Y-%m-%d")
    i = data["labels"].index(label)
    measured, estimated = data["series"]
    # 10 x 50 measured + 40 estimated = 540 kWh that day; the estimated series marks only that day.
    assert measured["data"][i] == pytest.approx(540.0)
    assert estimated["estimated"] is True
    assert [v for v in estimated["data"] if v is not None] == [pytest.approx(540.0)]
    page = client.get("/quality/").content.decode()
    assert 'class="est"' in page


def test_month_in_progress_completeness_counts_only_elapsed_intervals():
    from ui.selectors import _completeness

    meter = MeterFactory.build(interval_minutes=15)
    start = dt.datetime(2026, 3, 1, tzinfo=CST)
    month = {"bucket_start": start, "expected_intervals": 31 * 96, "received_intervals": 96}
    # One day in: 96 received of 96 elapsed quarter-hours = 100 %; two days in: 96 / 192 = 50 %.
    assert _completeness(month, meter, start + dt.timedelta(days=1)) == 1.0
    assert _completeness(month, meter, start + dt.timedelta(days=2)) == 0.5
    # A past month: 96 of the month's 2976 quarter-hours.
    assert _completeness(month, meter, start + dt.timedelta(days=40)) == pytest.approx(96 / 2976)


def test_estimates_are_marked_in_the_load_curve_and_on_the_overview(client, partial):
    client.force_login(partial["manager_a"])
    ts = partial["day"] + dt.timedelta(hours=6)
    client.post("/quality/", {"action": "estimate", "meter": partial["meter"].pk,
                              "ts": ts.strftime("%Y-%m-%dT%H:%M"), "value": "40", "reason": "gateway offline"})
    data = client.get(f"/api/v1/ui/sites/{partial['site_a'].pk}/load/?day={partial['day']:%Y-%m-%d}&days=1").json()
    measured, estimated = data["series"]
    # Slot 24 (06:00) holds the 40 kWh estimate; slots 0-9 the measured 50 kWh readings.
    assert measured["data"][:10] == [50.0] * 10
    assert measured["data"][24] == 40.0
    assert [i for i, v in enumerate(estimated["data"]) if v is not None] == [24]
    page = client.get("/").content.decode()
    # The estimate lies in last month: the year-to-date figures include it (unless last month is in last year).
    assert ('id="year-estimated"' in page) is (partial["day"].year == timezone.localdate().year)
    assert 'id="month-estimated"' not in page


def test_a_day_is_listed_as_a_gap_only_after_the_grace_period(client, tenants, settings):
    """A register's last quarter-hour of a day is known only once the next day's first reading arrives: the day
    just ended is not a gap yet. 95 of 96 quarter-hours on 3 March; the grace period is 60 minutes."""
    settings.QUALITY_GAP_GRACE_MINUTES = 60
    day = dt.datetime(2026, 3, 3, tzinfo=CST)
    meter = MeterFactory(site=tenants["site_a"], code="E1", active_from=day)  # no whole-day gaps before
    Reading.objects.bulk_create([Reading(meter=meter, ts=day + dt.timedelta(minutes=15 * i), value=5.0)
                                 for i in range(95)])
    rollup_all()
    client.force_login(tenants["manager_a"])
    with mock.patch.object(timezone, "now", return_value=dt.datetime(2026, 3, 4, 0, 50, tzinfo=CST)):
        assert client.get("/quality/").context["gaps"] == []
    with mock.patch.object(timezone, "now", return_value=dt.datetime(2026, 3, 4, 1, 10, tzinfo=CST)):
        gaps = client.get("/quality/").context["gaps"]
    assert [(g.meter_id, g.received_intervals, g.expected_intervals) for g in gaps] == [(meter.pk, 95, 96)]
