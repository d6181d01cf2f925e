"""Celery tasks of the meters app: thin, idempotent wrappers over services."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import OperationalError, connection

from .models import DirtyMeterDay, Meter
from .rollup import REBUILD_CHUNK_METERS, rebuild_begin, rebuild_fill, rebuild_finish, rollup_all, rollup_sweep
from .services.imports import import_job_run, import_job_validate
from .services.maintenance import rejected_rows_purge
from .services.partitions import reading_partitions_ahead


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def reading_partitions_ahead_task(months: int = 3) -> list[str]:
    """Beat: create the readings partitions of the coming months."""
    return reading_partitions_ahead(months=months)


@shared_task(acks_late=True)
def rejected_rows_purge_task() -> int:
    """Beat: delete rejected rows older than INGEST_REJECTED_RETENTION_DAYS."""
    return rejected_rows_purge()


@shared_task(acks_late=True, time_limit=60 * 60, soft_time_limit=55 * 60)
def import_job_validate_task(job_id: int) -> None:
    import_job_validate(job_id=job_id)


@shared_task(acks_late=True, time_limit=4 * 60 * 60, soft_time_limit=4 * 60 * 60 - 60)
def import_job_run_task(job_id: int) -> None:
    """Ingest a committed upload in chunks; resumes after the last committed chunk when retried."""
    import_job_run(job_id=job_id)
    rollups_after_write()


ROLLUP_RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "retry_backoff_max": 300,
                "max_retries": 8, "acks_late": True}


@shared_task(**ROLLUP_RETRY)
def rollup_sweep_task(limit: int = 20_000) -> int:
    """Beat (every minute): process dirty meter-days; fans out while work remains, so several workers share it."""
    done = rollup_sweep(limit=limit)
    if done and not settings.CELERY_TASK_ALWAYS_EAGER and DirtyMeterDay.objects.exists():
        rollup_sweep_task.delay(limit)
    return done


@shared_task(**ROLLUP_RETRY)
def rollup_meters_task(meter_ids: list[int]) -> int:
    """Full recompute of a range of meters: the unit of parallel work of a full recompute."""
    return rollup_all(meter_ids=meter_ids)


@shared_task(**ROLLUP_RETRY)
def rollup_rebuild_fill_task(number: int, groups: dict[str, list[int]]) -> bool:
    """One chunk of a full rebuild; the task that completes the last chunk enqueues the finish (after its commit)."""
    last = rebuild_fill(number, groups)
    if last:
        rollup_rebuild_finish_task.delay()
    return last


@shared_task(**ROLLUP_RETRY)
def rollup_rebuild_finish_task() -> bool:
    """Index the rebuilt rollups and swap them in, then sweep the dirty meter-days marked meanwhile."""
    done = rebuild_finish()
    if done:
        rollup_sweep_task.delay()
    return done


def rollup_full_enqueue(*, chunk: int = REBUILD_CHUNK_METERS) -> int:
    """Split a full recompute into independent tasks for the workers. On PostgreSQL: a rebuild of the rollup table,
    one task per `chunk` meters filling it, and a finishing task that indexes and swaps it in (started by the task
    that completes the last chunk). On SQLite: per-meter-range recomputes in place."""
    if connection.vendor == "postgresql":
        chunks = rebuild_begin(chunk=chunk)
        for number, groups in enumerate(chunks, start=1):
            rollup_rebuild_fill_task.delay(number, groups)
        if not chunks:  # no readings at all: swap in the empty table now
            rollup_rebuild_finish_task.delay()
        return sum(len(ids) for groups in chunks for ids in groups.values())
    ids = list(Meter.objects.order_by("pk").values_list("pk", flat=True))
    for i in range(0, len(ids), chunk):
        rollup_meters_task.delay(ids[i:i + chunk])
    return len(ids)


def rollups_after_write() -> None:
    """On the embedded default (no broker, no beat) roll up right after a write; in production beat sweeps."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # The service directly: `.delay().get()` is refused by Celery when this runs inside an (eager) task, such as
        # the upload task import_job_run_task.
        while rollup_sweep():
            pass
