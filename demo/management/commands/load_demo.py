"""Load the demo data (idempotent) and print the demo logins."""

import datetime as dt
import time
import zoneinfo

from django.conf import settings
from django.core.management.base import BaseCommand

from demo.loader import demo_load


class Command(BaseCommand):
    help = "Load the demo enterprise, sites, meters, readings since 2025-01-01, economic data and users."

    def add_arguments(self, parser):
        parser.add_argument("--until", help="last day (YYYY-MM-DD, default: now)")
        parser.add_argument("--small", action="store_true", help="a few meters only (tests)")

    def handle(self, *args, until=None, small=False, **options):
        started = time.monotonic()
        end = None
        if until:
            end = dt.datetime.combine(dt.date.fromisoformat(until), dt.time(), zoneinfo.ZoneInfo("Asia/Shanghai"))
        result = demo_load(until=end, small=small, log=lambda m: self.stdout.write(m))
        if result["created"]:
            self.stdout.write(f"Demo loaded: {result['readings']} readings in {time.monotonic() - started:.0f} s.")
        else:
            self.stdout.write("Demo data already present; nothing changed.")
        self.stdout.write(f"Demo logins (password: {settings.DEMO_PASSWORD}):")
        for username, role in result["logins"]:
            self.stdout.write(f"  {username:10s} {role}")
