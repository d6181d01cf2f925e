"""Recompute rollups: the pending dirty meter-days (default), everything (--full), or hand a full recompute to the
Celery workers as per-meter-range tasks (--full --workers)."""

from django.core.management.base import BaseCommand

from meters.rollup import rollup_all, rollup_sweep
from meters.tasks import rollup_full_enqueue


class Command(BaseCommand):
    help = "Recompute meter rollups (dirty meter-days, or everything with --full)."

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="recompute every meter from raw readings")
        parser.add_argument("--workers", action="store_true", help="with --full: enqueue tasks for the workers")

    def handle(self, *args, full=False, workers=False, **options):
        if full and workers:
            self.stdout.write(f"Enqueued a full recompute of {rollup_full_enqueue()} meters.")
        elif full:
            self.stdout.write(f"Recomputed {rollup_all()} meters.")
        else:
            total = 0
            while done := rollup_sweep():
                total += done
            self.stdout.write(f"Recomputed {total} dirty meter-days.")
