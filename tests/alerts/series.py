"""A constructed daily electricity series with hand-workable totals (used by the alerts tests).

Meter: interval quantities once a day at local midnight (interval 1440 min), purchased electricity of a Shanghai site.
2025: January 100 kWh/day (3,100), February 1–14 100 kWh/day (1,400) and 15–28 150 kWh/day (2,100), March–December
200 kWh/day (306 days, 61,200): year 67,800 kWh. 2026: 110 kWh/day from 1 January up to (not including) `until`.
Value added: 10 (10⁴ CNY) in every month of 2025, 11 in January and February 2026.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

from meters.models import Reading
from meters.rollup import rollup_all
from tests.factories import EconomicDataFactory, MeterFactory

SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def kwh_2025(day: dt.date) -> float:
    if day.month == 1 or (day.month == 2 and day.day < 15):
        return 100.0
    if day.month == 2:
        return 150.0
    return 200.0


def build(site, *, with_2025: bool = True, until: dt.date = dt.date(2026, 3, 1), code: str = "E-MAIN"):
    meter = MeterFactory(site=site, code=code, interval_minutes=1440)
    rows = []
    day = dt.date(2025, 1, 1)
    while day < until:
        if day.year == 2025 and with_2025:
            rows.append(Reading(meter=meter, ts=dt.datetime.combine(day, dt.time(), SH), value=kwh_2025(day)))
        elif day.year == 2026:
            rows.append(Reading(meter=meter, ts=dt.datetime.combine(day, dt.time(), SH), value=110.0))
        day += dt.timedelta(days=1)
    Reading.objects.bulk_create(rows)
    rollup_all()
    if with_2025:
        for m in range(1, 13):
            EconomicDataFactory(site=site, month=dt.date(2025, m, 1), value_added_10k_cny=Decimal(10))
    for m in (1, 2):
        EconomicDataFactory(site=site, month=dt.date(2026, m, 1), value_added_10k_cny=Decimal(11))
    return meter
