"""Celery tasks of the UI: background validation and saving of monthly-data uploads (thin wrappers over services)."""

from __future__ import annotations

from celery import shared_task

from .services import monthly_upload_run, monthly_upload_validate


@shared_task(acks_late=True, time_limit=30 * 60, soft_time_limit=29 * 60)
def monthly_upload_validate_task(upload_id: int) -> None:
    monthly_upload_validate(upload_id=upload_id)


@shared_task(acks_late=True, time_limit=60 * 60, soft_time_limit=59 * 60)
def monthly_upload_run_task(upload_id: int) -> None:
    """Resumes after the last committed chunk when retried."""
    monthly_upload_run(upload_id=upload_id)
