"""Celery tasks of the costs app."""

from celery import shared_task

from .services import costs_sweep


@shared_task(acks_late=True, time_limit=30 * 60, soft_time_limit=25 * 60)
def costs_sweep_task() -> int:
    """Recompute the cost of meter-days whose rollups changed (idempotent: a second run finds nothing stale)."""
    return costs_sweep()
