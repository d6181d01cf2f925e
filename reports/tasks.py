"""Celery task over `report_run`: thin, idempotent (a done snapshot is returned as is), acks late, time-limited (an
annual report takes seconds; the limit only stops a runaway render, which then shows as a failed snapshot)."""

from __future__ import annotations

from celery import shared_task

from energy_platform.errors import ApplicationError

from .models import ReportSnapshot
from .services import report_run


@shared_task(acks_late=True, time_limit=10 * 60, soft_time_limit=9 * 60)
def report_generate_task(snapshot_id: int) -> int:
    snapshot = ReportSnapshot.objects.select_related("enterprise").get(pk=snapshot_id)
    try:
        report_run(snapshot=snapshot)
    except ApplicationError:  # a data problem, recorded on the snapshot (status failed, error); no retry
        return snapshot_id
    return snapshot_id

