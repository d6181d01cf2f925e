"""Rollups of readings into hourly, daily and monthly consumption per meter, computed in SQL next to the data.

Semantics (documented in docs/accounting.md):
- an interval meter's value is the quantity of the interval starting at its timestamp;
- a cumulative register's delta between two consecutive readings is the quantity of the interval starting at the
  earlier reading (LEAD over the readings); a negative delta is a rollover when the register wrapped from its top tenth
  to its bottom tenth of `rollover_value` (delta + rollover_value), otherwise a reset (the new value counts from 0);
- quantities are multiplied by the meter's multiplier (CT/PT ratio) and kept in the meter's unit;
- buckets are hours, days and months of the site's local time; each knows its expected intervals
  (bucket length / meter interval; a meter read monthly or less often expects one reading per month) and the
  intervals received, so gaps show as incompleteness instead of silently low figures.

Incremental work: ingestion records `DirtyMeterDay` rows in the readings' transaction; `rollup_sweep()` claims them,
widens each meter's range back to the day of the reading before it (whose delta the new reading changes), and
recomputes exactly those hour and day buckets and the months around them. `rollup_all()` recomputes everything;
both go through `rollup_ranges()`, so an incremental result equals a full recompute.
"""

# ruff: noqa: S608  -- SQL is assembled from fixed fragments, validated time-zone names and integers only.
from __future__ import annotations

import datetime as dt
import functools
import threading
import zoneinfo
from collections import defaultdict

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from .models import DirtyMeterDay, Meter, Reading

MONTHLY_MINUTES = 28 * 1440  # meters read this rarely (bills) expect one reading per month


def _tz_literal(tz: str) -> str:
    zoneinfo.ZoneInfo(tz)  # validates; time-zone names contain no quotes
    return "'" + tz + "'"


def _offset_minutes(tz: str) -> int:
    """SQLite has no time-zone database: the embedded default uses the zone's current UTC offset (China has no DST)."""
    off = timezone.now().astimezone(zoneinfo.ZoneInfo(tz)).utcoffset()
    return int(off.total_seconds() // 60)


@functools.cache
def _whole_hour_zone(tz: str) -> bool:
    """True when every UTC offset the zone used from 1970 to 2100 is a whole number of hours (Asia/Shanghai: +8,
    and +9 in its 1986-1991 summers); False for zones such as Asia/Kolkata (+5:30)."""
    zone = zoneinfo.ZoneInfo(tz)
    start = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return all(
        (start + dt.timedelta(days=15 * k)).astimezone(zone).utcoffset() % dt.timedelta(hours=1) == dt.timedelta(0)
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


def _ranges_table(cur, rows: list[tuple[int, dt.datetime, dt.datetime]]) -> None:
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


def _hour_insert(sql: _Sql, *, table: str, source: str, where: str, order: bool) -> str:
    """INSERT of hour buckets into `table` from `source`, a subquery `x` of readings with their next value
    (columns meter_id, ts, v, est, kind, ivl, mult, roll, nv) restricted by `where`."""
    hour = sql.trunc("hour", "x.ts")
    return f"""
        INSERT INTO {table} ({_ROLLUP_COLUMNS})
        SELECT x.meter_id, 'hour', {hour},
               SUM(CASE WHEN x.kind = 'interval' THEN x.v
                        WHEN x.nv >= x.v THEN x.nv - x.v
                        WHEN x.roll IS NOT NULL AND x.v >= 0.9 * x.roll AND x.nv <= 0.1 * x.roll
                             THEN x.nv + x.roll - x.v
                        ELSE x.nv END * x.mult),
               MAX(CASE WHEN x.ivl <= 60 THEN 60 / x.ivl ELSE 0 END),
               COUNT(*),
               SUM(CASE WHEN x.est THEN 1 ELSE 0 END),
               {sql.now}
        FROM {source} x
        WHERE {where} AND (x.kind = 'interval' OR x.nv IS NOT NULL)
        GROUP BY x.meter_id, {hour}
        {"ORDER BY 1, 3" if order else ""}
    """


def _day_insert(sql: _Sql, *, table: str, ranges_join: str) -> str:
    day = sql.trunc("day", "h.bucket_start")
    return f"""
        INSERT INTO {table} ({_ROLLUP_COLUMNS})
        SELECT h.meter_id, 'day', {day}, SUM(h.quantity),
               MAX(CASE WHEN m.interval_minutes <= 1440 THEN 1440 / m.interval_minutes ELSE 0 END),
               SUM(h.received_intervals), SUM(h.estimated_intervals), {sql.now}
        FROM {table} h {ranges_join}
        JOIN meters_meter m ON m.id = h.meter_id
        WHERE h.granularity = 'hour'
        GROUP BY h.meter_id, {day}
    """


def _month_insert(sql: _Sql, *, table: str, where: str) -> str:
    month = sql.trunc("month", "d.bucket_start")
    return f"""
        INSERT INTO {table} ({_ROLLUP_COLUMNS})
        SELECT d.meter_id, 'month', {month}, SUM(d.quantity),
               MAX(CASE WHEN m.interval_minutes >= {MONTHLY_MINUTES} THEN 1
                        ELSE {sql.days_in_month(month)} * 1440 / m.interval_minutes END),
               SUM(d.received_intervals), SUM(d.estimated_intervals), {sql.now}
        FROM {table} d
        JOIN meters_meter m ON m.id = d.meter_id
        WHERE d.granularity = 'day' AND {where.format(month=month)}
        GROUP BY d.meter_id, {month}
    """


def _per_range_plans(cur, sql: _Sql, on: bool) -> None:
    """The deletes and inserts of the ranges must walk the unique index once per range. With a few dozen ranges
    PostgreSQL sometimes prefers a merge join over the whole index of a granularity (a million entries: 0.2 s instead
    of 10 ms), so merge and hash joins are switched off around them, for this transaction only."""
    if sql.pg:
        value = "off" if on else "on"
        cur.execute(f"SET LOCAL enable_mergejoin = {value}")
        cur.execute(f"SET LOCAL enable_hashjoin = {value}")


def _recompute(cur, sql: _Sql) -> None:
    """Recompute hour, day and month rollups of the meter ranges in the temp table `rollup_ranges`."""
    cur.execute("UPDATE rollup_ranges SET next_ts = (SELECT MIN(r.ts) FROM meters_reading r "
                "WHERE r.meter_id = rollup_ranges.meter_id AND r.ts >= rollup_ranges.hi)")
    _per_range_plans(cur, sql, True)
    for granularity in ("hour", "day"):
        # One index range scan per meter on (meter_id, granularity, bucket_start), never a scan of all rollups.
        if sql.pg:
            cur.execute("DELETE FROM meters_meterrollup r USING rollup_ranges g WHERE r.meter_id = g.meter_id "
                        f"AND r.granularity = '{granularity}' AND r.bucket_start >= g.lo AND r.bucket_start < g.hi")
        else:
            cur.execute(f"DELETE FROM meters_meterrollup WHERE granularity = '{granularity}' AND EXISTS ("
                        "SELECT 1 FROM rollup_ranges g WHERE g.meter_id = meters_meterrollup.meter_id "
                        "AND meters_meterrollup.bucket_start >= g.lo AND meters_meterrollup.bucket_start < g.hi)")
    source = f"""(
            SELECT r.meter_id, r.ts, r.value AS v, r.estimated AS est, g.hi, m.reading_kind AS kind,
                   m.interval_minutes AS ivl, CAST(m.multiplier AS double precision) AS mult,
                   CAST(m.rollover_value AS double precision) AS roll,
                   LEAD(r.value) OVER (PARTITION BY r.meter_id ORDER BY r.ts) AS nv
            FROM rollup_ranges g
            JOIN meters_reading r ON r.meter_id = g.meter_id AND r.ts >= g.lo
                                  AND r.ts <= COALESCE(g.next_ts, {sql.infinity})
            JOIN meters_meter m ON m.id = g.meter_id
        )"""
    cur.execute(_hour_insert(sql, table="meters_meterrollup", source=source, where="x.ts < x.hi", order=True))
    cur.execute(_day_insert(sql, table="meters_meterrollup", ranges_join=(
        "JOIN rollup_ranges g ON g.meter_id = h.meter_id AND h.bucket_start >= g.lo AND h.bucket_start < g.hi")))
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
    cur.execute(_month_insert(sql, table="meters_meterrollup", where=(
        "EXISTS (SELECT 1 FROM rollup_ranges g WHERE g.meter_id = d.meter_id "
        f"AND {{month}} >= {month_lo} AND {{month}} <= {month_hi})")))


_REBUILD = "meters_meterrollup_rebuild"


def _rebuild_fill(cur, groups: dict[str, list[int]]) -> None:
    """Write hour, day and month rollups of the given meters (per time zone) into the rebuild table."""
    for tz, ids in groups.items():
        if not ids:
            continue
        sql = _Sql(tz)
        ids_sql = ",".join(str(int(i)) for i in ids)
        # The window runs over the readings alone (an ordered merge of the partitions' primary-key scans); the
        # meters join after it.
        source = f"""(
            SELECT w.meter_id, w.ts, w.v, w.est, m.reading_kind AS kind, m.interval_minutes AS ivl,
                   CAST(m.multiplier AS double precision) AS mult,
                   CAST(m.rollover_value AS double precision) AS roll, w.nv
            FROM (SELECT r.meter_id, r.ts, r.value AS v, r.estimated AS est,
                         LEAD(r.value) OVER (PARTITION BY r.meter_id ORDER BY r.ts) AS nv
                  FROM meters_reading r WHERE r.meter_id IN ({ids_sql})) w
            JOIN meters_meter m ON m.id = w.meter_id
        )"""
        cur.execute(_hour_insert(sql, table=_REBUILD, source=source, where=sql.true, order=False))
        cur.execute(_day_insert(sql, table=_REBUILD, ranges_join="").replace(
            "WHERE h.granularity = 'hour'", f"WHERE h.granularity = 'hour' AND h.meter_id IN ({ids_sql})"))
        cur.execute(_month_insert(sql, table=_REBUILD, where=f"d.meter_id IN ({ids_sql})"))


def _rebuild_fill_session(groups: dict[str, list[int]], errors: list) -> None:
    """One extra database session of a parallel rebuild (runs in its own thread and connection)."""
    from django.db import connections

    try:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET LOCAL work_mem = '256MB'")
            _rebuild_fill(cur, groups)
    except Exception as exc:  # noqa: BLE001 -- handed to the main thread, which re-raises it
        errors.append(exc)
    finally:
        connections.close_all()


def _rebuild_all_pg(groups: dict[str, list[int]], *, sessions: int) -> None:
    """Full recompute on PostgreSQL: build every rollup into a fresh table without indexes, index it once (a sorted
    build instead of millions of index insertions), then swap it in. Readers see the old rollups until the swap;
    writers (the sweep) wait on the lock. With `sessions` > 1 (and outside a caller's transaction, whose rows other
    sessions could not see), the meters are split over that many database sessions filling the table in parallel,
    as PostgreSQL's own parallel query does for a single GROUP BY."""
    parallel = sessions > 1 and not connection.in_atomic_block
    if parallel:
        with connection.cursor() as cur:  # committed, so that the other sessions can write into it
            cur.execute(f"DROP TABLE IF EXISTS {_REBUILD}")
            cur.execute(f"CREATE TABLE {_REBUILD} (LIKE meters_meterrollup INCLUDING DEFAULTS INCLUDING IDENTITY "
                        "INCLUDING CONSTRAINTS)")
    try:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET LOCAL work_mem = '256MB'")
            cur.execute("SET LOCAL maintenance_work_mem = '512MB'")  # the two index builds sort in memory
            cur.execute("LOCK TABLE meters_meterrollup IN EXCLUSIVE MODE")
            if parallel:
                shares: list[dict[str, list[int]]] = [defaultdict(list) for _ in range(sessions)]
                for tz, ids in groups.items():
                    for k, meter_id in enumerate(ids):
                        shares[k % sessions][tz].append(meter_id)
                errors: list[Exception] = []
                threads = [threading.Thread(target=_rebuild_fill_session, args=(share, errors)) for share in shares]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                if errors:
                    raise errors[0]
            else:
                cur.execute(f"DROP TABLE IF EXISTS {_REBUILD}")
                cur.execute(f"CREATE TABLE {_REBUILD} (LIKE meters_meterrollup INCLUDING DEFAULTS INCLUDING IDENTITY "
                            "INCLUDING CONSTRAINTS)")
                _rebuild_fill(cur, groups)
            cur.execute(f"ALTER TABLE {_REBUILD} ADD CONSTRAINT {_REBUILD}_pkey PRIMARY KEY (id)")
            cur.execute(f"ALTER TABLE {_REBUILD} ADD CONSTRAINT {_REBUILD}_unique "
                        "UNIQUE (meter_id, granularity, bucket_start)")
            cur.execute(f"SELECT pg_get_serial_sequence('{_REBUILD}', 'id')")
            sequence = cur.fetchone()[0]
            cur.execute("DROP TABLE meters_meterrollup")
            cur.execute(f"ALTER TABLE {_REBUILD} RENAME TO meters_meterrollup")
            cur.execute(f"ALTER TABLE meters_meterrollup RENAME CONSTRAINT {_REBUILD}_pkey TO meters_meterrollup_pkey")
            cur.execute(f"ALTER TABLE meters_meterrollup RENAME CONSTRAINT {_REBUILD}_unique TO meter_rollup_unique")
            cur.execute(f"ALTER SEQUENCE {sequence} RENAME TO meters_meterrollup_id_seq")
            cur.execute("ANALYZE meters_meterrollup")
    except BaseException:
        if parallel:
            with connection.cursor() as cur:
                cur.execute(f"DROP TABLE IF EXISTS {_REBUILD}")
        raise


def _local_day_start(day: dt.date, tz: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), zoneinfo.ZoneInfo(tz))


def rollup_ranges(*, ranges: dict[int, tuple[dt.datetime, dt.datetime]], widen: bool = True) -> int:
    """Recompute the rollups of each meter over [lo, hi) (local-day aligned). With `widen`, lo moves back to the day of
    the reading before it, whose delta a new reading may have changed. Returns the number of meters done."""
    if not ranges:
        return 0
    tzs = dict(Meter.objects.filter(pk__in=ranges).values_list("pk", "site__timezone"))
    by_tz: dict[str, dict[int, tuple[dt.datetime, dt.datetime]]] = defaultdict(dict)
    for meter_id, rng in ranges.items():
        if meter_id in tzs:
            by_tz[tzs[meter_id]][meter_id] = rng
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL work_mem = '64MB'")  # keep the hourly aggregation in memory
        for tz, group in by_tz.items():
            if widen:
                _ranges_table(cur, [(m, lo, hi) for m, (lo, hi) in group.items()])
                cur.execute("SELECT g.meter_id, (SELECT MAX(r.ts) FROM meters_reading r WHERE r.meter_id = g.meter_id "
                            "AND r.ts < g.lo) FROM rollup_ranges g")
                zone = zoneinfo.ZoneInfo(tz)
                for meter_id, prev in cur.fetchall():
                    if prev is not None:
                        if isinstance(prev, str):
                            prev = dt.datetime.fromisoformat(prev).replace(tzinfo=dt.UTC)
                        lo, hi = group[meter_id]
                        prev_day = _local_day_start(prev.astimezone(zone).date(), tz)
                        group[meter_id] = (min(lo, prev_day), hi)
            _ranges_table(cur, [(m, lo, hi) for m, (lo, hi) in group.items()])
            _recompute(cur, _Sql(tz))
    return sum(len(g) for g in by_tz.values())


def rollup_meter_days(*, meter_days: dict[int, set[dt.date]]) -> int:
    """Recompute the given local days of each meter (and the months around them)."""
    tzs = dict(Meter.objects.filter(pk__in=meter_days).values_list("pk", "site__timezone"))
    ranges = {}
    for meter_id, days in meter_days.items():
        if meter_id in tzs and days:
            tz = tzs[meter_id]
            ranges[meter_id] = (_local_day_start(min(days), tz),
                                _local_day_start(max(days) + dt.timedelta(days=1), tz))
    return rollup_ranges(ranges=ranges)


def rollup_sweep(*, limit: int = 20_000, meter_ids: list[int] | None = None) -> int:
    """Claim dirty meter-days (SKIP LOCKED, so several workers share the work), recompute them, delete the claims.
    Returns the number of meter-days processed."""
    with transaction.atomic():
        qs = DirtyMeterDay.objects.order_by("meter_id", "day")
        if meter_ids is not None:
            qs = qs.filter(meter_id__in=meter_ids)
        if connection.vendor == "postgresql":
            qs = qs.select_for_update(skip_locked=True)
        claimed = list(qs.values_list("pk", "meter_id", "day")[:limit])
        if not claimed:
            return 0
        meter_days: dict[int, set[dt.date]] = defaultdict(set)
        for _, meter_id, day in claimed:
            meter_days[meter_id].add(day)
        rollup_meter_days(meter_days=meter_days)
        DirtyMeterDay.objects.filter(pk__in=[pk for pk, _, _ in claimed]).delete()
    return len(claimed)


def rollup_all(*, meter_ids: list[int] | None = None) -> int:
    """Full recompute from raw readings of every meter (or the given ones)."""
    if meter_ids is None and connection.vendor == "postgresql":
        # Dirty marks that arrive while the rebuild runs stay for the next sweep.
        claimed_up_to = DirtyMeterDay.objects.aggregate(m=Max("pk"))["m"] or 0
        groups: dict[str, list[int]] = defaultdict(list)
        with_readings = Meter.objects.filter(Exists(Reading.objects.filter(meter=OuterRef("pk"))))
        for meter_id, tz in with_readings.values_list("pk", "site__timezone"):
            groups[tz].append(meter_id)
        _rebuild_all_pg(groups, sessions=settings.ROLLUP_REBUILD_SESSIONS)
        DirtyMeterDay.objects.filter(pk__lte=claimed_up_to).delete()
        return sum(len(ids) for ids in groups.values())
    with connection.cursor() as cur:
        sql = "SELECT meter_id, MIN(ts), MAX(ts) FROM meters_reading"
        params: list = []
        if meter_ids is not None:
            if not meter_ids:
                return 0
            sql += " WHERE meter_id IN (" + ",".join(["%s"] * len(meter_ids)) + ")"
            params = list(meter_ids)
        cur.execute(sql + " GROUP BY meter_id", params)
        spans = cur.fetchall()
    tzs = dict(Meter.objects.filter(pk__in=[s[0] for s in spans]).values_list("pk", "site__timezone"))
    ranges = {}
    for meter_id, lo, hi in spans:
        if isinstance(lo, str):
            lo = dt.datetime.fromisoformat(lo).replace(tzinfo=dt.UTC)
            hi = dt.datetime.fromisoformat(hi).replace(tzinfo=dt.UTC)
        zone = zoneinfo.ZoneInfo(tzs[meter_id])
        ranges[meter_id] = (_local_day_start(lo.astimezone(zone).date(), tzs[meter_id]),
                            _local_day_start(hi.astimezone(zone).date() + dt.timedelta(days=1), tzs[meter_id]))
    done = rollup_ranges(ranges=ranges, widen=False)
    DirtyMeterDay.objects.filter(meter_id__in=list(ranges)).delete()
    return done
