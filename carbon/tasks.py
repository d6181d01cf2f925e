"""Celery tasks of the accounting engine: thin, idempotent, retried with backoff, acks late."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from plants.models import Enterprise

from .ledger import months_due_for_close, period_close, restatement_check

RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "retry_backoff_max": 300, "max_retries": 8,
         "acks_late": True}


@shared_task(**RETRY)
def periods_autoclose_task() -> int:
    """Close months ended more than LEDGER_AUTO_CLOSE_DAYS ago, then flag closed months needing restatement."""
    days = settings.LEDGER_AUTO_CLOSE_DAYS
    closed = 0
    today = timezone.localdate()
    for enterprise in Enterprise.objects.all():
        if days > 0:
            for month in months_due_for_close(enterprise=enterprise, days_after=days, today=today):
                period_close(enterprise=enterprise, month=month, actor=None)
                closed += 1
        restatement_check(enterprise=enterprise)
    return closed


__all__ = ["periods_autoclose_task"]
