"""Measure the projection method's error on the stored data (docs/alerts.md quotes its output on the demo data)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from alerts.backtest import as_markdown, forecast_backtest
from plants.models import Site


class Command(BaseCommand):
    help = "Back-test month-end and year projections against recorded data and print the errors as a Markdown table."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="year to test (default: the current year)")
        parser.add_argument("--today", help="pretend today is this day (YYYY-MM-DD); default: today")
        parser.add_argument("--site", action="append", help="site code (repeatable); default: every site")

    def handle(self, *args, **opts):
        try:
            today = dt.date.fromisoformat(opts["today"]) if opts["today"] else timezone.localdate()
        except ValueError as exc:
            raise CommandError("--today must be YYYY-MM-DD") from exc
        sites = Site.objects.order_by("enterprise_id", "code")
        if opts["site"]:
            sites = sites.filter(code__in=opts["site"])
        result = forecast_backtest(sites=list(sites), year=opts["year"] or today.year, today=today)
        self.stdout.write(as_markdown(result))
