"""The demo's simulated gateway as a task, scheduled only by `manage.py run_demo` (never by production beat)."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task

from .simulator import demo_gateway_tick


@shared_task(acks_late=True, time_limit=10 * 60)
def demo_gateway_tick_task() -> dict:
    """Post the demo meters' new quarter-hours (with the simulator's faults)."""
    return asdict(demo_gateway_tick())
