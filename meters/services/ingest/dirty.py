"""Dirty meter-day marks: the (meter, local day) pairs whose rollups a batch's readings change."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterable

import numpy as np
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
    readings = readings if isinstance(readings, list) else list(readings)
    return _pairs(site=site, meters=meters, stamps={v.ts for v in readings}, meter_ids={v.meter_id for v in readings},
                  rows=lambda: ((v.meter_id, v.ts) for v in readings))


def dirty_pairs_columns(
    *, site: Site, meter_id: np.ndarray, stamp: np.ndarray, stamps: list[tuple[dt.datetime, str]],
    meters: dict[int, MeterInfo],
) -> list[tuple[int, dt.date]]:
    """dirty_pairs of rows given as columns (ValidColumns: meter ids, and each row's index into `stamps`)."""
    return _pairs(site=site, meters=meters, stamps={stamps[k][0] for k in np.unique(stamp).tolist()},
                  meter_ids=set(np.unique(meter_id).tolist()),
                  rows=lambda: zip(meter_id.tolist(), (stamps[k][0] for k in stamp.tolist()), strict=True))


def _pairs(
    *, site: Site, meters: dict[int, MeterInfo], stamps: set[dt.datetime], meter_ids: set[int],
    rows: Callable[[], Iterable[tuple[int, dt.datetime]]],
) -> list[tuple[int, dt.date]]:
    """dirty_pairs from the rows' distinct timestamps and meters, and (only when the timestamps span days) from the
    rows' (meter, timestamp) pairs."""
    tz = zoneinfo.ZoneInfo(site.timezone)
    back = {mid: (info.interval_minutes if info.cumulative else 0) for mid, info in meters.items()}
    lookbacks = {0, *back.values()}

    def days(ts: dt.datetime, minutes: int) -> tuple[dt.date, ...]:
        day = ts.astimezone(tz).date()
        before = (ts - dt.timedelta(minutes=minutes)).astimezone(tz).date() if minutes else day
        return (day,) if before == day else (day, before)

    # A batch has few distinct timestamps: their days are computed once per look-back.
    days_of = {(ts, minutes): days(ts, minutes) for ts in stamps for minutes in lookbacks}
    by_lookback = {minutes: {days_of[ts, minutes] for ts in stamps} for minutes in lookbacks}
    if all(len(found) == 1 for found in by_lookback.values()):
        # Every timestamp falls on the same day(s): the pairs follow from the meters alone.
        only = {minutes: next(iter(found)) for minutes, found in by_lookback.items()}
        return sorted({(m, day) for m in meter_ids for day in only[back.get(m, 0)]})
    pairs: set[tuple[int, dt.date]] = set()
    for meter_id, ts in rows():
        for day in days_of[ts, back.get(meter_id, 0)]:
            pairs.add((meter_id, day))
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
