"""The rollup sweep run by a real Celery worker (Redis broker, PostgreSQL) equals the in-process service."""

import pytest

from meters.models import DirtyMeterDay, MeterRollup
from meters.rollup import rollup_all
from meters.services.ingest import RawRow, readings_ingest
from meters.tasks import rollup_full_enqueue, rollup_sweep_task
from tests.factories import MeterFactory, SiteFactory
from tests.worker import celery_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _snapshot():
    return sorted(MeterRollup.objects.values_list("meter_id", "granularity", "bucket_start", "quantity",
                                                  "received_intervals", "expected_intervals"))


def test_worker_sweep_and_parallel_full_recompute_equal_the_service(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    site = SiteFactory()
    meters = [MeterFactory(site=site, code=f"M{i}", reading_kind="cumulative" if i % 2 else "interval")
              for i in range(4)]
    rows = [RawRow(j * 4 + i, m.code, f"2025-03-0{1 + j // 96}T{(j % 96) // 4:02d}:{15 * (j % 4):02d}:00+08:00",
                   float(j * 3 + i))
            for j in range(192) for i, m in enumerate(meters)]
    assert readings_ingest(site=site, rows=rows).accepted == len(rows)
    with celery_worker(concurrency=2) as proc:
        rollup_sweep_task.delay()
        assert wait_for(lambda: not DirtyMeterDay.objects.exists() and MeterRollup.objects.exists()), \
            proc.stdout.read() if proc.poll() is not None else "worker did not finish the sweep"
        swept = _snapshot()
        MeterRollup.objects.all().delete()
        assert rollup_full_enqueue(chunk=1) == 4
        assert wait_for(lambda: MeterRollup.objects.filter(granularity="month").count() == 4)
        assert wait_for(lambda: _snapshot() == swept, timeout=20)
    MeterRollup.objects.all().delete()
    rollup_all()
    assert _snapshot() == swept
