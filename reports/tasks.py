"""Celery task over `report_run`: thin, idempotent (a done snapshot is returned as is), acks late."""

from __future__ import annotations

from celery import shared_task
from celery.signals import worker_process_init

from energy_platform.errors import ApplicationError

from .models import ReportSnapshot
from .services import report_run


@shared_task(acks_late=True)
def report_generate_task(snapshot_id: int) -> int:
    snapshot = ReportSnapshot.objects.select_related("enterprise").get(pk=snapshot_id)
    try:
        report_run(snapshot=snapshot)
    except ApplicationError:  # a data problem, recorded on the snapshot (status failed, error); no retry
        return snapshot_id
    return snapshot_id


@worker_process_init.connect
def _warm_up_pdf_renderer(**_kwargs) -> None:
    """A worker process loads WeasyPrint and the Noto CJK fonts when it starts, not during its first report."""
    from .renderers import pdf_warm_up

    pdf_warm_up()
