"""Celery tasks of the early-warning engine: thin, idempotent, retried with backoff, acks late."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from .services import alert_rules_evaluate


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, retry_backoff_max=300, max_retries=5,
             acks_late=True, time_limit=15 * 60, soft_time_limit=14 * 60)
def alert_rules_evaluate_task() -> dict:
    """Beat: evaluate every alert rule and e-mail new alerts (the same condition never raises a second alert)."""
    return alert_rules_evaluate()
