"""Dirty meter-day marks: the (meter, local day) pairs whose rollups a batch's readings change."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable

from django.db import connection

from meters.hooks import readings_stored
from meters.models import (
    DirtyMeterDay,
)
from plants.models import Site

from .types import array_literal, ingest_cursor
from .validate import MeterInfo, ValidRow

# A mark that exists is locked, not rewritten: ON CONFLICT DO UPDATE locks the conflicting row even when its WHERE is
# false. That lock is what keeps a mark from being lost: a sweep that claimed the mark (FOR UPDATE) is waited for, and
# once it has deleted the mark a new one is inserted; a sweep cannot claim it before this batch commits (SKIP LOCKED).
# marked_at, which no logic reads, is refreshed at most once a minute: a gateway re-marks the same meter-days with
# every batch of the day, and a new row version each time cost twice the statement.
_DIRTY_SQL = """
INSERT INTO meters_dirtymeterday (meter_id, day, marked_at)
SELECT m, d, now() FROM unnest(%s::bigint[], %s::date[]) AS t(m, d)
ORDER BY m, d
ON CONFLICT (meter_id, day) DO UPDATE SET marked_at = EXCLUDED.marked_at
WHERE meters_dirtymeterday.marked_at < EXCLUDED.marked_at - interval '1 minute'
"""


def dirty_pairs(*, site: Site, readings: Iterable[ValidRow], meters: dict[int, MeterInfo]) -> list[tuple[int, dt.date]]:
    """The (meter, site-local day) pairs whose rollups the readings change. A cumulative reading also changes the day
    of the interval that ends at it (its delta belongs to the interval starting at the previous reading, one interval
    earlier), which is the day before for a reading at local midnight."""
    tz = zoneinfo.ZoneInfo(site.timezone)
    readings = readings if isinstance(readings, list) else list(readings)
    back = {mid: (info.interval_minutes if info.cumulative else 0) for mid, info in meters.items()}
    lookbacks = {0, *back.values()}

    def days(ts: dt.datetime, minutes: int) -> tuple[dt.date, ...]:
        day = ts.astimezone(tz).date()
        before = (ts - dt.timedelta(minutes=minutes)).astimezone(tz).date() if minutes else day
        return (day,) if before == day else (day, before)

    # A batch has few distinct timestamps: their days are computed once per look-back.
    stamps = {v.ts for v in readings}
    days_of = {(ts, minutes): days(ts, minutes) for ts in stamps for minutes in lookbacks}
    by_lookback = {minutes: {days_of[ts, minutes] for ts in stamps} for minutes in lookbacks}
    if all(len(found) == 1 for found in by_lookback.values()):
        # Every timestamp falls on the same day(s): the pairs follow from the meters alone.
        only = {minutes: next(iter(found)) for minutes, found in by_lookback.items()}
        return sorted({(m, day) for m in {v.meter_id for v in readings} for day in only[back.get(m, 0)]})
    pairs: set[tuple[int, dt.date]] = set()
    for v in readings:
        for day in days_of[v.ts, back.get(v.meter_id, 0)]:
            pairs.add((v.meter_id, day))
    return sorted(pairs)


def dirty_pairs_mark(pairs: list[tuple[int, dt.date]], *, site: Site | None = None) -> None:
    """Record dirty meter-days in the caller's transaction, in key order (so concurrent batches lock rows in the same
    order); an existing mark is locked until this batch commits, so a sweep cannot consume it first. `site`: the
    site of every meter of the pairs, when the caller knows it."""
    if not pairs:
        return
    # e.g. a closed month becomes "restatement pending" in this transaction
    readings_stored(meter_days=pairs, enterprise_id=site.enterprise_id if site is not None else None)
    if connection.vendor == "postgresql":
        with ingest_cursor() as cur:
            cur.execute(_DIRTY_SQL, [array_literal(m for m, _ in pairs), array_literal(d for _, d in pairs)])
        return
    DirtyMeterDay.objects.bulk_create([DirtyMeterDay(meter_id=m, day=d) for m, d in pairs], update_conflicts=True,
                                      unique_fields=["meter", "day"], update_fields=["marked_at"])


def dirty_mark(*, site: Site, readings: Iterable[tuple[int, dt.datetime]]) -> int:
    """Record the meter-days (site-local) that need new rollups, in the caller's transaction."""
    tz = zoneinfo.ZoneInfo(site.timezone)
    pairs = {(mid, ts.astimezone(tz).date()) for mid, ts in readings}
    # A register delta belongs to the interval starting at the previous reading, which may be the day before.
    pairs |= {(mid, day - dt.timedelta(days=1)) for mid, day in list(pairs)}
    readings_stored(meter_days=pairs)  # e.g. a closed month becomes "restatement pending" in this transaction
    # Sorted, so concurrent batches lock the rows in the same order; marked_at is refreshed so a sweep that started
    # before this batch does not consume the mark.
    DirtyMeterDay.objects.bulk_create([DirtyMeterDay(meter_id=m, day=d) for m, d in sorted(pairs)],
                                      update_conflicts=True, unique_fields=["meter", "day"],
                                      update_fields=["marked_at"])
    return len(pairs)
