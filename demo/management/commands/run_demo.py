"""`make demo`'s server: Django's runserver plus, on the embedded default, Celery beat in a thread of the server
process (energy_platform.scheduler) running the production schedule (rollup sweep, alert evaluation, period closing
and restatement check, cost sweep) and the demo's simulated gateway, so the demo keeps living."""

from __future__ import annotations

from django.conf import settings
from django.contrib.staticfiles.management.commands.runserver import Command as RunserverCommand

from energy_platform.celery import app
from energy_platform.scheduler import embedded_beat_start

#: The simulated gateway posts every minute (one batch per site and quarter-hour; repeats within it are replays).
SIMULATOR_ENTRY = {"task": "demo.tasks.demo_gateway_tick_task", "schedule": 60}


def demo_schedule(*, simulate: bool = True) -> dict[str, dict]:
    """The production beat schedule, plus the simulated gateway."""
    schedule = dict(settings.CELERY_BEAT_SCHEDULE)
    if simulate:
        schedule["demo-gateway-simulator"] = SIMULATOR_ENTRY
    return schedule


class Command(RunserverCommand):
    help = "Serve the demo with the scheduled jobs and a simulated gateway running in-process (embedded default)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--no-simulator", action="store_true", help="Run the scheduled jobs without the "
                            "simulated gateway.")

    def inner_run(self, *args, **options):
        # inner_run runs in the serving process (the autoreloader's child), so the clock starts once per server.
        if settings.CELERY_TASK_ALWAYS_EAGER:
            embedded_beat_start(app, schedule=demo_schedule(simulate=not options.get("no_simulator")))
            self.stdout.write("Scheduled jobs run in-process (Celery beat embedded); simulated gateway "
                              f"{'off' if options.get('no_simulator') else 'on'}.")
        else:
            self.stdout.write("REDIS_URL is set: the scheduled jobs are Celery beat's and the workers' "
                              "(celery -A energy_platform beat / worker), not this server's.")
        super().inner_run(*args, **options)
