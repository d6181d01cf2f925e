"""Settings of the servers and workers the fault-injection tests start: the test settings, with the rollup sweep
scheduled every second (instead of every minute) so a test can watch beat catch up without waiting a minute."""

from energy_platform.settings.test import *  # noqa: F403

CELERY_BEAT_SCHEDULE = {"carbon-rollup-sweep": {"task": "meters.tasks.rollup_sweep_task", "schedule": 1.0}}
