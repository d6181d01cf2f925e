"""Celery beat embedded in the web process, for the embedded default (no broker, no worker, no beat container).

Why Celery's own beat and not a scheduler of our own or APScheduler: the schedule is already defined once, as
`CELERY_BEAT_SCHEDULE`, for the beat container of production; `celery.beat.EmbeddedService(thread=True)` is the
maintained way Celery runs that same schedule inside another process (it is what `celery worker -B` uses). The one
difference on the embedded default is how a due task runs: there is no worker to send it to, so `InProcessScheduler`
runs it in the beat thread (`task.apply()`, as CELERY_TASK_ALWAYS_EAGER would) and closes the thread's database
connection afterwards. Every entry is due at start-up, so a fresh demo shows current figures at once."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery import Celery
from celery.beat import EmbeddedService, ScheduleEntry, Scheduler
from django.db import connections

log = logging.getLogger(__name__)


class InProcessScheduler(Scheduler):
    """Celery's in-memory scheduler that runs due tasks in its own thread instead of sending them to a broker."""

    producer = None  # never connect to a broker: nothing is sent

    def install_default_entries(self, data: Any) -> None:
        """No `celery.backend_cleanup`: there is no result backend to clean."""

    def setup_schedule(self) -> None:
        super().setup_schedule()
        for entry in self.data.values():  # due at once: the first tick runs every job
            entry.last_run_at = entry.default_now() - dt.timedelta(days=366)

    def apply_async(self, entry: ScheduleEntry, producer: Any = None, advance: bool = True, **kwargs: Any) -> Any:
        entry = self.reserve(entry) if advance else entry
        task = self.app.tasks.get(entry.task)
        if task is None:
            log.error("scheduled task %s is not registered", entry.task)
            return None
        try:
            return task.apply(entry.args, entry.kwargs, throw=True)
        except Exception:  # one failing job must not stop the clock; it runs again at its next time
            log.exception("scheduled task %s failed", entry.task)
            return None
        finally:
            connections.close_all()  # this thread's connections: the next run opens fresh ones


def embedded_beat_start(app: Celery, *, schedule: dict[str, dict[str, Any]] | None = None) -> Any:
    """Start Celery beat in a daemon thread of this process, running `schedule` (default: the app's
    CELERY_BEAT_SCHEDULE) in-process. Returns the thread; `.stop()` ends it."""
    app.loader.import_default_modules()  # registers the apps' tasks (autodiscovery is lazy)
    if schedule is not None:
        app.conf.beat_schedule = schedule
    service = EmbeddedService(app, thread=True, scheduler_cls=f"{__name__}:InProcessScheduler")
    service.start()
    return service
