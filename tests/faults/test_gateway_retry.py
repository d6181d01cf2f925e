"""A gateway whose request times out while the server is still writing the batch resends the same batch id: the
batch is stored once, and every answer (the retry's and any later one) is the first batch's answer.

The server is made slow deterministically: the test holds an EXCLUSIVE lock on the dirty meter-day table, which the
ingestion transaction writes last, after it has created the batch record and inserted the readings. The gateway's
first request times out; its retry waits on the unique (gateway, batch id) constraint behind the first, uncommitted
transaction. When the lock is released, the first commits and the retry replays its answer."""

from __future__ import annotations

import threading

import psycopg
import pytest

from meters.models import IngestBatch, Reading

from .conftest import batches
from .procs import AppServer, django_test_database_url, post_batch, wait_until

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def _lock_waiters(conn) -> list[tuple[int, str]]:
    return conn.execute(
        "SELECT pid, query FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
        "AND pid <> pg_backend_pid()").fetchall()


def test_batch_retried_through_a_timeout_is_stored_once(plant, tmp_workdir):
    db_url = django_test_database_url()
    app = AppServer(database_url=db_url, redis_url="", workdir=tmp_workdir, workers=2)
    app.start()
    observer = psycopg.connect(db_url, autocommit=True)
    lock = psycopg.connect(db_url)
    batch_id, rows = batches()[0]
    retry: dict = {}
    try:
        lock.execute("LOCK TABLE meters_dirtymeterday IN EXCLUSIVE MODE")
        with pytest.raises(TimeoutError):
            post_batch(app.base, plant["token"], batch_id, rows, timeout=1.0)
        (first,) = wait_until(lambda: _lock_waiters(observer), what="the first request to wait on the lock")
        assert "meters_dirtymeterday" in first[1]

        def resend():
            retry["answer"] = post_batch(app.base, plant["token"], batch_id, rows, timeout=60)

        thread = threading.Thread(target=resend)
        thread.start()
        # The retry does not see the uncommitted batch and waits on its batch-id key.
        wait_until(lambda: len(_lock_waiters(observer)) == 2, what=lambda: f"the retry to wait; {app.logs()}")
        assert not Reading.objects.exists()
        lock.rollback()
        thread.join(timeout=60)
        assert not thread.is_alive()
        answer = retry["answer"]
        assert answer.status == 200, (answer, app.logs())
        assert answer.json == {"accepted": 48, "duplicates": 0, "conflicts": 0, "rejected": [], "conflict_rows": []}
        again = post_batch(app.base, plant["token"], batch_id, rows)  # a third send, after the commit
        assert (again.status, again.json) == (200, answer.json)
    finally:
        lock.rollback()
        lock.close()
        observer.close()
        app.stop()
    assert Reading.objects.count() == 48
    assert list(IngestBatch.objects.values_list("batch_key", "rows", "accepted")) == [(batch_id, 48, 48)]
    assert set(Reading.objects.values_list("batch_id", flat=True)) == {IngestBatch.objects.get().pk}
