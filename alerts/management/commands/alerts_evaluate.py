"""Evaluate every alert rule once and e-mail new alerts — what the beat task does, for the embedded default (which
runs no beat) or a cron job."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from alerts.services import alert_rules_evaluate


class Command(BaseCommand):
    help = "Evaluate every alert rule once (idempotent) and e-mail new alerts."

    def handle(self, *args, **opts):
        result = alert_rules_evaluate()
        self.stdout.write(f"{result['raised']} raised, {result['resolved']} resolved, {result['emailed']} e-mailed.")
