"""Redis (cache + Celery broker) killed while gateways post batches: every batch is still accepted and stored, and
once Redis is back, beat's rollup sweep catches up on the dirty meter-days; the rollups equal a clean run."""

from __future__ import annotations

import pytest

from meters.models import DirtyMeterDay, IngestBatch, MeterRollup, Reading

from .conftest import assert_day_totals, batches, clean_run_snapshot, rollup_snapshot
from .procs import AppServer, CeleryWorker, RedisServer, django_test_database_url, post_batch, wait_until

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def test_batches_accepted_while_redis_is_down_and_rollups_catch_up(plant, tmp_workdir):
    redis = RedisServer(tmp_workdir)
    redis.start()
    db_url = django_test_database_url()
    app = AppServer(database_url=db_url, redis_url=redis.url, workdir=tmp_workdir)
    worker = CeleryWorker(database_url=db_url, redis_url=redis.url, workdir=tmp_workdir, beat=True)
    app.start()
    worker.start()
    try:
        todo = batches()
        # Redis up: the first two batches, swept by beat as usual.
        for batch_id, rows in todo[:2]:
            answer = post_batch(app.base, plant["token"], batch_id, rows)
            assert answer.status == 200 and answer.json['accepted'] == len(rows), (answer, app.logs())
        wait_until(lambda: not DirtyMeterDay.objects.exists() and MeterRollup.objects.exists(), timeout=180,
                   what="the first sweep")

        redis.kill()
        stored = Reading.objects.count()
        for batch_id, rows in todo[2:6]:
            answer = post_batch(app.base, plant["token"], batch_id, rows)
            assert answer.status == 200, (answer, app.logs())
            assert answer.json["accepted"] == len(rows)
            stored += len(rows)
            assert Reading.objects.count() == stored  # durable before the answer, without Redis
        # The requests did meet the dead Redis (the gateway throttle's cache) and went on without it.
        assert "gateway throttle cache unavailable" in app.log.read_text(errors="replace"), app.logs()

        redis.start()
        for batch_id, rows in todo[6:]:
            answer = post_batch(app.base, plant["token"], batch_id, rows)
            assert answer.status == 200 and answer.json['accepted'] == len(rows), (answer, app.logs())
        assert Reading.objects.count() == 2 * 192
        assert IngestBatch.objects.count() == len(todo)

        # The worker reconnects and beat sends the sweep again: the dirty meter-days are consumed.
        wait_until(lambda: not DirtyMeterDay.objects.exists(), timeout=180,
                   what=lambda: f"the sweep after Redis came back; worker log:\n{worker.logs()}")
        swept = rollup_snapshot()
    finally:
        worker.stop()
        app.stop()
        redis.kill()
    assert_day_totals(swept)
    assert swept == clean_run_snapshot()
