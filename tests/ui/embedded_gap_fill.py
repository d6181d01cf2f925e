"""Run by test_gap_fill.py in a subprocess on the embedded default (SQLite): fill a register gap linearly and an
interval gap by profile through the service, print the stored estimates and the day rollups as JSON."""

from __future__ import annotations

import datetime as dt
import json

import django

django.setup()

from django.core.management import call_command  # noqa: E402

call_command("migrate", verbosity=0)

from meters.models import MeterRollup, Reading  # noqa: E402
from meters.rollup import rollup_all  # noqa: E402
from meters.services.review import readings_gap_fill  # noqa: E402
from tests.factories import MeterFactory, SiteFactory  # noqa: E402

CST = dt.timezone(dt.timedelta(hours=8))
DAY = dt.datetime(2026, 3, 2, tzinfo=CST)
NOW = dt.datetime(2026, 3, 20, tzinfo=CST)
site = SiteFactory(code="A1")
reg = MeterFactory(site=site, code="REG", reading_kind="cumulative", active_from=DAY - dt.timedelta(days=30))
Reading.objects.bulk_create([Reading(meter=reg, ts=DAY, value=100.0),
                             Reading(meter=reg, ts=DAY + dt.timedelta(hours=12), value=148.0)])
e1 = MeterFactory(site=site, code="E1", active_from=DAY - dt.timedelta(days=30))
Reading.objects.bulk_create(
    [Reading(meter=e1, ts=DAY - dt.timedelta(days=14, minutes=-15 * k), value=2.0) for k in range(48)]
    + [Reading(meter=e1, ts=DAY - dt.timedelta(days=7, minutes=-15 * k), value=4.0) for k in range(48)])
rollup_all()
fills = [readings_gap_fill(meter=m, start=DAY, end=DAY + dt.timedelta(hours=12), reason="offline", now=NOW)
         for m in (reg, e1)]


def day(meter):
    r = MeterRollup.objects.get(meter=meter, granularity="day", bucket_start=DAY)
    return [r.quantity, r.received_intervals, r.estimated_intervals]


print(json.dumps({
    "fills": [[f.method, f.readings] for f in fills],
    "register": list(Reading.objects.filter(meter=reg, estimated=True).order_by("ts").values_list("value", flat=True)),
    "first_ts": Reading.objects.filter(meter=reg, estimated=True).order_by("ts").first().ts.isoformat(),
    "interval": list(Reading.objects.filter(meter=e1, estimated=True).values_list("value", flat=True)),
    "days": [day(reg), day(e1)]}))
