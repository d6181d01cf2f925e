"""The living demo: Celery beat embedded in the server process runs the scheduled jobs in-process, and the simulated
gateway posts the current quarter-hour with its faults (a silent meter, a conflict, a rejected row)."""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo

import pytest
from django.conf import settings
from django.test import Client

from alerts.models import AlertRule
from demo.loader import DEMO_CODE, demo_load
from demo.management.commands.run_demo import demo_schedule
from demo.simulator import demo_gateway_tick
from energy_platform.celery import app
from energy_platform.scheduler import embedded_beat_start
from meters.models import DirtyMeterDay, IngestBatch, Meter, Reading, ReadingConflict, RejectedRow
from meters.services.ingest import RawRow, readings_ingest
from plants.models import Enterprise
from tests.factories import MeterFactory

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
UNTIL = dt.datetime(2025, 7, 1, tzinfo=SH)  # the demo's data ends here
Q = dt.timedelta(minutes=15)


def _wait(condition, seconds: float = 30.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.django_db(transaction=True)  # the scheduler's thread uses its own database connection
def test_the_embedded_scheduler_runs_the_rollup_sweep_and_alert_evaluation_repeatedly(tenants):
    meter = MeterFactory(site=tenants["site_a"], code="A-E-1")
    readings_ingest(site=tenants["site_a"], rows=[RawRow(0, "A-E-1", "2025-03-01T08:00:00+08:00", 1.5)])
    rule = AlertRule.objects.create(enterprise=tenants["a"], name="silent", kind=AlertRule.Kind.SILENT_METER,
                                    intervals=8)
    assert DirtyMeterDay.objects.filter(meter=meter).exists()
    previous = app.conf.beat_schedule
    service = embedded_beat_start(app, schedule={
        "sweep": {"task": "meters.tasks.rollup_sweep_task", "schedule": 0.5},
        "alerts": {"task": "alerts.tasks.alert_rules_evaluate_task", "schedule": 0.5}})
    try:
        assert _wait(lambda: AlertRule.objects.get(pk=rule.pk).last_evaluated_at is not None)
        first = AlertRule.objects.get(pk=rule.pk).last_evaluated_at
        # The last evaluation moves: the clock runs the job again at its next time.
        assert _wait(lambda: AlertRule.objects.get(pk=rule.pk).last_evaluated_at > first)
        assert _wait(lambda: not DirtyMeterDay.objects.exists())
        assert rule.alerts.filter(meter=meter, resolved_at__isnull=True).count() == 1  # silent since March 2025
    finally:
        service.stop()
        app.conf.beat_schedule = previous
    assert not service.is_alive()


def test_the_demo_schedule_is_the_production_schedule_plus_the_simulator():
    schedule = demo_schedule()
    assert {k: v for k, v in schedule.items() if k != "demo-gateway-simulator"} == settings.CELERY_BEAT_SCHEDULE
    assert schedule["demo-gateway-simulator"] == {"task": "demo.tasks.demo_gateway_tick_task", "schedule": 60}
    app.loader.import_default_modules()
    tasks = {entry["task"] for entry in schedule.values()}
    # The rollup sweep, the alert evaluation and the closing with its restatement check are among them, registered.
    assert {"meters.tasks.rollup_sweep_task", "alerts.tasks.alert_rules_evaluate_task",
            "carbon.tasks.periods_autoclose_task", "demo.tasks.demo_gateway_tick_task"} <= tasks
    assert tasks <= set(app.tasks)


@pytest.mark.django_db
def test_the_simulated_gateway_posts_the_current_quarter_hour_with_its_faults_shown_on_the_quality_page():
    demo_load(until=UNTIL, small=True, log=lambda m: None)
    w1, main = Meter.objects.get(code="RM-E-W1"), Meter.objects.get(code="RM-E-MAIN")
    stored_before = Reading.objects.filter(meter=w1, ts__lt=UNTIL).order_by("-ts").first()

    # A tick at 01:00:30: the last whole interval of RM-E-W1 starts at 00:45, RM-E-MAIN's register is read at 01:00.
    at_one = UNTIL + dt.timedelta(hours=1, seconds=30)
    first = demo_gateway_tick(now=at_one, silent="DC-E-IT")

    slot = UNTIL + 3 * Q  # 00:45
    posted = Reading.objects.get(meter=w1, ts=slot).value
    # An interval meter repeats the same slot one week earlier (rounded to 3 decimals).
    assert posted == round(Reading.objects.get(meter=w1, ts=slot - dt.timedelta(days=7)).value, 3)
    assert Reading.objects.filter(meter=main, ts=UNTIL + 4 * Q).exists()
    assert not Reading.objects.filter(meter__code="DC-E-IT", ts__gte=UNTIL).exists()  # the silent meter
    # On the whole hour the interval before the batch's new ones is offered again, 5 % higher plus 1.
    conflict = ReadingConflict.objects.get(meter=w1)
    assert conflict.ts == stored_before.ts
    assert conflict.offered_value == round(stored_before.value * 1.05 + 1, 3)
    assert first.conflicts == 1 and first.rejected == 0
    assert IngestBatch.objects.filter(gateway__name="sim-gw", source="http:simulated").count() == first.batches

    # At 01:15:30 the interval starting 01:00 (a whole hour) arrives negative: a rejected row.
    later = UNTIL + dt.timedelta(hours=1, minutes=15, seconds=30)
    second = demo_gateway_tick(now=later, silent="DC-E-IT")
    rejected = RejectedRow.objects.get(meter_code="RM-E-W1")
    assert rejected.code == "negative_interval_quantity"
    assert rejected.ts_text == (UNTIL + 4 * Q).astimezone(dt.UTC).isoformat()
    assert float(rejected.value_text) < 0
    assert second.rejected == 1
    # The same quarter-hour again is a replay of its batch: nothing new.
    assert demo_gateway_tick(now=later + dt.timedelta(minutes=1), silent="DC-E-IT").batches == 0
    # The next hour: the conflict still waits for review, so no second one is offered.
    assert demo_gateway_tick(now=at_one + dt.timedelta(hours=1), silent="DC-E-IT").conflicts == 0
    assert ReadingConflict.objects.count() == 1

    client = Client()
    client.force_login(Enterprise.objects.get(credit_code=DEMO_CODE).memberships.get(user__username="manager").user)
    html = client.get("/quality/").content.decode()
    conflicts = html.split('id="conflicts"')[1].split("</table>")[0]
    assert "RM-E-W1" in conflicts
    assert rejected.value_text in html and "negative_interval_quantity" in html
