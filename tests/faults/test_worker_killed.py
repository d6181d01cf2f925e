"""A Celery worker process killed with SIGKILL in the middle of the rollup sweep: the message was not acknowledged
(acks_late) and is requeued when the pool process is lost (reject_on_worker_lost), so the sweep runs again and the
rollups equal a clean run.

How the kill lands mid-task, deterministically: the test holds an EXCLUSIVE lock on the rollup table, so the sweep
stops at its first rollup write, after claiming the dirty meter-days (FOR UPDATE SKIP LOCKED) in its transaction;
pg_stat_activity shows it waiting. The pool process is then killed. Its PostgreSQL session only notices the dead
client when the statement ends, and until then it still holds the claimed rows, which the rerun would skip. A second
lock request on the dirty-day table, queued behind the orphan's claim, makes the rerun's claim wait until the
orphan's transaction has rolled back: the rerun is seen waiting there (proof it started), then both locks are
released in order."""

from __future__ import annotations

import os
import signal
import threading

import psycopg
import pytest
from celery import Celery

from meters.models import DirtyMeterDay, MeterRollup
from meters.services.ingest import RawRow, readings_ingest

from .conftest import assert_day_totals, batches, clean_run_snapshot, rollup_snapshot
from .procs import CeleryWorker, RedisServer, django_test_database_url, wait_until

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def _waiting_on_lock(conn, table: str) -> list[int]:
    """Backends (other than the test's) whose current statement touches `table` and waits for a lock."""
    rows = conn.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
        "AND query ILIKE %s AND pid <> pg_backend_pid()", (f"%{table}%",)).fetchall()
    return [r[0] for r in rows]


def test_sweep_killed_mid_task_reruns_and_equals_a_clean_run(plant, tmp_workdir):
    index = 0
    for _batch_id, rows in batches():
        raw = [RawRow(index + i, r["meter"], r["ts"], r["value"]) for i, r in enumerate(rows)]
        index += len(rows)
        assert readings_ingest(site=plant["site"], rows=raw).accepted == len(rows)
    dirty = DirtyMeterDay.objects.count()
    assert dirty > 0 and not MeterRollup.objects.exists()

    redis = RedisServer(tmp_workdir)
    redis.start()
    db_url = django_test_database_url()
    worker = CeleryWorker(database_url=db_url, redis_url=redis.url, workdir=tmp_workdir, concurrency=1)
    observer = psycopg.connect(db_url, autocommit=True)
    rollup_lock = psycopg.connect(db_url)
    claim_lock = psycopg.connect(db_url)
    claim_acquired = threading.Event()

    def lock_claims():
        claim_lock.execute("LOCK TABLE meters_dirtymeterday IN EXCLUSIVE MODE")
        claim_acquired.set()

    locker = threading.Thread(target=lock_claims, daemon=True)
    try:
        rollup_lock.execute("LOCK TABLE meters_meterrollup IN EXCLUSIVE MODE")
        worker.start()
        (pool_pid,) = wait_until(lambda: len(worker.pool_children()) == 1 and worker.pool_children(),
                                 what="the worker's pool process")
        Celery(broker=redis.url, set_as_current=False).send_task("meters.tasks.rollup_sweep_task")

        # The sweep has claimed the dirty meter-days and waits on its first rollup write.
        (orphan,) = wait_until(lambda: _waiting_on_lock(observer, "meters_meterrollup"), timeout=120,
                               what=lambda: f"the sweep to block on the rollup table; worker log:\n{worker.logs()}")
        locker.start()
        wait_until(lambda: _waiting_on_lock(observer, "meters_dirtymeterday"), what="the claim lock to queue")

        worker_pid = worker.proc.pid
        os.kill(pool_pid, signal.SIGKILL)
        # The pool process is replaced and the requeued message runs again: its claim waits behind ours.
        wait_until(lambda: [p for p in _waiting_on_lock(observer, "meters_dirtymeterday")
                            if p not in (orphan, claim_lock.info.backend_pid)],
                   timeout=120, what=lambda: f"the rerun of the sweep; worker log:\n{worker.logs()}")
        assert worker.proc.pid == worker_pid and worker.proc.poll() is None
        assert pool_pid not in worker.pool_children()

        rollup_lock.rollback()  # the orphan session runs its statement, finds its client gone and rolls back
        assert claim_acquired.wait(timeout=60), "the killed sweep's session kept its claim"
        assert observer.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (orphan,)).fetchone()[0] == 0
        claim_lock.rollback()

        wait_until(lambda: not DirtyMeterDay.objects.exists() and MeterRollup.objects.exists(), timeout=120,
                   what=lambda: f"the rerun to finish; worker log:\n{worker.logs()}")
        log = worker.logs()
        assert "WorkerLostError" in log or "SIGKILL" in log, log
    finally:
        for conn in (rollup_lock, claim_lock):
            conn.rollback()
        if locker.is_alive():
            locker.join(timeout=10)
        for conn in (observer, rollup_lock, claim_lock):
            conn.close()
        worker.stop()
        redis.kill()
    swept = rollup_snapshot()
    assert_day_totals(swept)
    assert swept == clean_run_snapshot()


def test_whole_worker_killed_mid_sweep_the_next_beat_sweep_catches_up(plant, tmp_workdir):
    """The whole worker (main process and pool) killed mid-sweep, as when its host dies: the unacknowledged message
    stays in Redis until the broker's visibility timeout, but the work is not lost with it: the dirty meter-days are
    rows in PostgreSQL, the killed run's claim rolls back, and a new worker's beat sweep does the work."""
    index = 0
    for _batch_id, rows in batches():
        raw = [RawRow(index + i, r["meter"], r["ts"], r["value"]) for i, r in enumerate(rows)]
        index += len(rows)
        assert readings_ingest(site=plant["site"], rows=raw).accepted == len(rows)
    redis = RedisServer(tmp_workdir)
    redis.start()
    db_url = django_test_database_url()
    first = CeleryWorker(database_url=db_url, redis_url=redis.url, workdir=tmp_workdir, name="first")
    second = CeleryWorker(database_url=db_url, redis_url=redis.url, workdir=tmp_workdir, name="second", beat=True)
    observer = psycopg.connect(db_url, autocommit=True)
    rollup_lock = psycopg.connect(db_url)
    try:
        rollup_lock.execute("LOCK TABLE meters_meterrollup IN EXCLUSIVE MODE")
        first.start()
        Celery(broker=redis.url, set_as_current=False).send_task("meters.tasks.rollup_sweep_task")
        (orphan,) = wait_until(lambda: _waiting_on_lock(observer, "meters_meterrollup"), timeout=120,
                               what=lambda: f"the sweep to block on the rollup table; worker log:\n{first.logs()}")
        for pid in [first.proc.pid, *first.pool_children()]:
            os.kill(pid, signal.SIGKILL)
        first.proc.wait(timeout=30)
        rollup_lock.rollback()
        # The killed run's session finishes its statement, finds its client gone and rolls its claim back.
        wait_until(lambda: observer.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s",
                                            (orphan,)).fetchone()[0] == 0, what="the killed run's session to end")
        assert DirtyMeterDay.objects.exists() and not MeterRollup.objects.exists()

        second.start()
        wait_until(lambda: not DirtyMeterDay.objects.exists() and MeterRollup.objects.exists(), timeout=120,
                   what=lambda: f"the new worker's beat sweep; worker log:\n{second.logs()}")
    finally:
        rollup_lock.rollback()
        rollup_lock.close()
        observer.close()
        second.stop()
        first.stop()
        redis.kill()
    swept = rollup_snapshot()
    assert_day_totals(swept)
    assert swept == clean_run_snapshot()
