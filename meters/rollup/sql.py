"""The SQL of incremental rollups: vendor fragments and the hour, day and month recompute of meter ranges."""

# ruff: noqa: S608  -- SQL is assembled from fixed fragments, validated time-zone names and integers only.
from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.db.backends.utils import CursorWrapper

from django.db import connection
from django.utils import timezone

from ..units import READING_VALUE_CEILING

_CEIL = f"{READING_VALUE_CEILING:.0e}"  # a float literal in SQL: 1e+15

MONTHLY_MINUTES = 28 * 1440  # meters read this rarely (bills) expect one reading per month


def _tz_literal(tz: str) -> str:
    zoneinfo.ZoneInfo(tz)  # validates; time-zone names contain no quotes
    return "'" + tz + "'"


def _offset_minutes(tz: str) -> int:
    """SQLite has no time-zone database: the embedded default uses the zone's current UTC offset (China has no DST)."""
    off = timezone.now().astimezone(zoneinfo.ZoneInfo(tz)).utcoffset()
    assert off is not None  # an aware datetime always has an offset
    return int(off.total_seconds() // 60)


@functools.cache
def _whole_hour_zone(tz: str) -> bool:
    """True when every UTC offset the zone used from 1970 to 2100 is a whole number of hours (Asia/Shanghai: +8,
    and +9 in its 1986-1991 summers); False for zones such as Asia/Kolkata (+5:30)."""
    zone = zoneinfo.ZoneInfo(tz)
    start = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return all(
        (start + dt.timedelta(days=15 * k)).astimezone(zone).utcoffset()  # type: ignore[operator]  # aware: never None
        % dt.timedelta(hours=1) == dt.timedelta(0)
        for k in range(0, 130 * 366 // 15))


class _Sql:
    """Vendor-specific fragments; everything else is one SQL text for PostgreSQL and SQLite."""

    def __init__(self, tz: str):
        self.pg = connection.vendor == "postgresql"
        self.tz = tz
        self.q = _tz_literal(tz)
        self.off = _offset_minutes(tz)

    def trunc(self, unit: str, expr: str) -> str:
        if self.pg:
            # Hours of a zone whose offsets are whole hours start where UTC hours start: truncating in UTC is exact
            # and skips a time-zone conversion per reading (the hottest expression of a full recompute).
            zone = "'UTC'" if unit == "hour" and _whole_hour_zone(self.tz) else self.q
            return f"date_trunc('{unit}', {expr}, {zone})"
        fmt = {"hour": "%Y-%m-%d %H:00:00", "day": "%Y-%m-%d 00:00:00", "month": "%Y-%m-01 00:00:00"}[unit]
        return f"datetime(strftime('{fmt}', {expr}, '{self.off:+d} minutes'), '{-self.off:+d} minutes')"

    def days_in_month(self, month_start_expr: str) -> str:
        if self.pg:
            return (f"CAST(EXTRACT(DAY FROM (date_trunc('month', {month_start_expr} AT TIME ZONE {self.q}) "
                    "+ interval '1 month' - interval '1 day')) AS integer)")
        return (f"CAST(strftime('%d', date({month_start_expr}, '{self.off:+d} minutes', 'start of month', "
                "'+1 month', '-1 day')) AS integer)")

    @property
    def now(self) -> str:
        return "now()" if self.pg else "datetime('now')"

    @property
    def infinity(self) -> str:
        """Upper bound when a meter has no reading after its range (readings then all lie before `hi`)."""
        return "'infinity'::timestamptz" if self.pg else "'9999-12-31 00:00:00'"

    @property
    def true(self) -> str:
        return "true" if self.pg else "1"

    @property
    def inf(self) -> str:
        return "CAST('Infinity' AS double precision)" if self.pg else "9e999"

    def sane(self, expr: str) -> str:
        """A reading's value, or +infinity for one beyond READING_VALUE_CEILING (1e308 stored before ingestion checked
        plausibility): its buckets become infinite, which the accounting leaves out with a reason, instead of an
        overflow error that would stop the rollup of every meter in the statement."""
        return f"(CASE WHEN {expr} BETWEEN -{_CEIL} AND {_CEIL} THEN {expr} ELSE {self.inf} END)"


def _ranges_table(cur: CursorWrapper, rows: list[tuple[int, dt.datetime, dt.datetime]]) -> None:
    if connection.vendor == "postgresql":
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS rollup_ranges (meter_id bigint, lo timestamptz, hi timestamptz, "
                    "next_ts timestamptz) ON COMMIT DROP")
        cur.execute("DELETE FROM rollup_ranges")
        with cur.copy("COPY rollup_ranges (meter_id, lo, hi) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cur.execute("ANALYZE rollup_ranges")
    else:
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS rollup_ranges (meter_id bigint, lo datetime, hi datetime, "
                    "next_ts datetime)")
        cur.execute("DELETE FROM rollup_ranges")
        adapt = connection.ops.adapt_datetimefield_value
        cur.executemany("INSERT INTO rollup_ranges (meter_id, lo, hi) VALUES (%s, %s, %s)",
                        [(m, adapt(lo), adapt(hi)) for m, lo, hi in rows])


_ROLLUP_COLUMNS = ("meter_id, granularity, bucket_start, quantity, expected_intervals, received_intervals, "
                   "estimated_intervals, computed_at")


def _hour_insert(sql: _Sql, *, source: str) -> str:
    """INSERT of the hour buckets of the ranges from `source`, a subquery `x` of readings with their next value
    (columns meter_id, ts, v, est, hi, kind, ivl, mult, roll, nv); readings from `hi` on only supply a next value."""
    hour = sql.trunc("hour", "x.ts")
    return f"""
        INSERT INTO meters_meterrollup ({_ROLLUP_COLUMNS})
        SELECT x.meter_id, 'hour', {hour},
               SUM(CASE WHEN x.kind = 'interval' THEN x.v
                        WHEN x.v > {_CEIL} OR x.nv > {_CEIL} THEN {sql.inf}
                        WHEN x.nv >= x.v THEN x.nv - x.v
                        WHEN x.roll IS NOT NULL AND x.v >= 0.9 * x.roll AND x.nv <= 0.1 * x.roll
                             THEN x.nv + x.roll - x.v
                        ELSE x.nv END) * MAX(x.mult),
               MAX(CASE WHEN x.ivl <= 60 THEN 60 / x.ivl ELSE 0 END),
               COUNT(*),
               SUM(CASE WHEN x.est THEN 1 ELSE 0 END),
               {sql.now}
        FROM {source} x
        WHERE x.ts < x.hi AND (x.kind = 'interval' OR x.nv IS NOT NULL)
        GROUP BY x.meter_id, {hour}
        ORDER BY 1, 3
    """


def _day_insert(sql: _Sql) -> str:
    """Day buckets of the ranges in `rollup_ranges`, from their hour buckets. On PostgreSQL the hours are read per
    range (LATERAL): one range scan of the hour index on (meter, bucket_start) each, not every hour of the meter."""
    day = sql.trunc("day", "h.bucket_start")
    if sql.pg:
        # OFFSET 0 keeps the subquery from being flattened into a join that walks all of each meter's hours.
        source = ("rollup_ranges g CROSS JOIN LATERAL (SELECT r.* FROM meters_meterrollup r "
                  "WHERE r.meter_id = g.meter_id AND r.granularity = 'hour' AND r.bucket_start >= g.lo "
                  "AND r.bucket_start < g.hi OFFSET 0) h")
    else:
        source = ("meters_meterrollup h JOIN rollup_ranges g ON g.meter_id = h.meter_id AND h.bucket_start >= g.lo "
                  "AND h.bucket_start < g.hi")
    return f"""
        INSERT INTO meters_meterrollup ({_ROLLUP_COLUMNS})
        SELECT h.meter_id, 'day', {day}, SUM(h.quantity),
               MAX(CASE WHEN m.interval_minutes <= 1440 THEN 1440 / m.interval_minutes ELSE 0 END),
               SUM(h.received_intervals), SUM(h.estimated_intervals), {sql.now}
        FROM {source}
        JOIN meters_meter m ON m.id = h.meter_id
        WHERE h.granularity = 'hour'
        GROUP BY h.meter_id, {day}
    """


def _month_insert(sql: _Sql, *, where: str) -> str:
    month = sql.trunc("month", "d.bucket_start")
    return f"""
        INSERT INTO meters_meterrollup ({_ROLLUP_COLUMNS})
        SELECT d.meter_id, 'month', {month}, SUM(d.quantity),
               MAX(CASE WHEN m.interval_minutes >= {MONTHLY_MINUTES} THEN 1
                        ELSE {sql.days_in_month(month)} * 1440 / m.interval_minutes END),
               SUM(d.received_intervals), SUM(d.estimated_intervals), {sql.now}
        FROM meters_meterrollup d
        JOIN meters_meter m ON m.id = d.meter_id
        WHERE d.granularity = 'day' AND {where.format(month=month)}
        GROUP BY d.meter_id, {month}
    """


def _per_range_plans(cur: CursorWrapper, sql: _Sql, on: bool) -> None:
    """The deletes and inserts of the ranges must walk a unique index once per range. With a few dozen ranges
    PostgreSQL sometimes prefers a merge join over the whole index of a granularity (a million entries: 0.2 s instead
    of 10 ms), so merge and hash joins are switched off around them, for this transaction only."""
    if sql.pg:
        value = "off" if on else "on"
        cur.execute(f"SET LOCAL enable_mergejoin = {value}")
        cur.execute(f"SET LOCAL enable_hashjoin = {value}")


def _recompute(cur: CursorWrapper, sql: _Sql) -> None:
    """Recompute hour, day and month rollups of the meter ranges in the temp table `rollup_ranges`."""
    cur.execute("UPDATE rollup_ranges SET next_ts = (SELECT MIN(r.ts) FROM meters_reading r "
                "WHERE r.meter_id = rollup_ranges.meter_id AND r.ts >= rollup_ranges.hi)")
    _per_range_plans(cur, sql, True)
    for granularity in ("hour", "day"):
        # One range scan per meter of the granularity's unique index on (meter_id, bucket_start), never a scan of
        # all rollups.
        if sql.pg:
            cur.execute("DELETE FROM meters_meterrollup r USING rollup_ranges g WHERE r.meter_id = g.meter_id "
                        f"AND r.granularity = '{granularity}' AND r.bucket_start >= g.lo AND r.bucket_start < g.hi")
        else:
            cur.execute(f"DELETE FROM meters_meterrollup WHERE granularity = '{granularity}' AND EXISTS ("
                        "SELECT 1 FROM rollup_ranges g WHERE g.meter_id = meters_meterrollup.meter_id "
                        "AND meters_meterrollup.bucket_start >= g.lo AND meters_meterrollup.bucket_start < g.hi)")
    source = f"""(
            SELECT r.meter_id, r.ts, {sql.sane("r.value")} AS v, r.estimated AS est, g.hi, m.reading_kind AS kind,
                   m.interval_minutes AS ivl, CAST(m.multiplier AS double precision) AS mult,
                   CAST(m.rollover_value AS double precision) AS roll,
                   LEAD({sql.sane("r.value")}) OVER (PARTITION BY r.meter_id ORDER BY r.ts) AS nv
            FROM rollup_ranges g
            JOIN meters_reading r ON r.meter_id = g.meter_id AND r.ts >= g.lo
                                  AND r.ts <= COALESCE(g.next_ts, {sql.infinity})
            JOIN meters_meter m ON m.id = g.meter_id
        )"""
    cur.execute(_hour_insert(sql, source=source))
    cur.execute(_day_insert(sql))
    _per_range_plans(cur, sql, False)
    # Months: every month touched by a range is rebuilt from its days.
    month_lo, month_hi = sql.trunc("month", "g.lo"), sql.trunc("month", "g.hi")
    if sql.pg:
        _per_range_plans(cur, sql, True)
        cur.execute(f"""
            DELETE FROM meters_meterrollup r USING rollup_ranges g WHERE r.meter_id = g.meter_id
            AND r.granularity = 'month' AND r.bucket_start >= {month_lo} AND r.bucket_start <= {month_hi}
        """)
        _per_range_plans(cur, sql, False)
    else:
        cur.execute(f"""
            DELETE FROM meters_meterrollup WHERE granularity = 'month' AND EXISTS (
                SELECT 1 FROM rollup_ranges g WHERE g.meter_id = meters_meterrollup.meter_id
                AND meters_meterrollup.bucket_start >= {month_lo} AND meters_meterrollup.bucket_start <= {month_hi})
        """)
    cur.execute(_month_insert(sql, where=(
        "EXISTS (SELECT 1 FROM rollup_ranges g WHERE g.meter_id = d.meter_id "
        f"AND {{month}} >= {month_lo} AND {{month}} <= {month_hi})")))
