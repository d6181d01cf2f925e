"""Celery tasks of the costs app."""

from celery import shared_task

from .services import costs_sweep


@shared_task(acks_late=True, time_limit=30 * 60, soft_time_limit=25 * 60)
def costs_sweep_task() -> int:
    """Recompute the cost of meter-days whose rollups changed (idempotent: a second run finds nothing stale)."""
    return costs_sweep()


@shared_task(acks_late=True, time_limit=60 * 60, soft_time_limit=55 * 60)
def costs_recompute_task(site_id: int, since: str | None = None) -> int:
    """Recompute the cost of a site's meters (from `since`, ISO date) after a tariff or price edit; frozen months
    stay. Idempotent."""
    import datetime as dt

    from meters.models import Meter

    from .services import costs_recompute

    ids = list(Meter.objects.filter(site_id=site_id).values_list("pk", flat=True))
    return costs_recompute(meter_ids=ids, since=dt.date.fromisoformat(since) if since else None)
