"""Celery tasks of the meters app: thin, idempotent wrappers over services."""

from __future__ import annotations

from celery import shared_task

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
