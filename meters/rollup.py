"""Rollups of readings into hourly, daily and monthly consumption per meter, computed in SQL next to the data.

Semantics (documented in docs/accounting.md):
- an interval meter's value is the quantity of the interval starting at its timestamp;
- a cumulative register's delta between two consecutive readings is the quantity of the interval starting at the
  earlier reading (LEAD over the readings); a negative delta is a rollover when the register wrapped from its top tenth
  to its bottom tenth of `rollover_value` (delta + rollover_value; the value is the register's modulus, the value at
  which it returns to zero: 100,000 for a register showing at most 99,999.9), otherwise a reset (new counts from 0);
- quantities are multiplied by the meter's multiplier (CT/PT ratio) and kept in the meter's unit;
- buckets are hours, days and months of the site's local time; each knows its expected intervals
  (bucket length / meter interval; a meter read monthly or less often expects one reading per month) and the
  intervals received, so gaps show as incompleteness instead of silently low figures.

Incremental work: ingestion records `DirtyMeterDay` rows in the readings' transaction; `rollup_sweep()` claims them,
widens each meter's range back to the day of the reading before it (whose delta the new reading changes), and
recomputes exactly those hour and day buckets and the months around them (`rollup_ranges()`).

Full recompute (`rollup_all()`): on SQLite through `rollup_ranges()` over every meter; on PostgreSQL a rebuild of the
rollup table in chunks of meters (`rebuild_begin` / `rebuild_fill` / `rebuild_finish`, in-process or as Celery
tasks), swapped in when complete. The rebuild computes the same buckets with the same arithmetic; tests check that
both paths agree.
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
from .units import READING_VALUE_CEILING

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


def _per_range_plans(cur, sql: _Sql, on: bool) -> None:
    """The deletes and inserts of the ranges must walk a unique index once per range. With a few dozen ranges
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


_REBUILD = "meters_meterrollup_rebuild"


REBUILD_CHUNK_METERS = 50  # meters per statement of a full rebuild: its hash tables stay small and in memory


@functools.lru_cache(maxsize=256)
def _fixed_offset(tz: str, first: dt.date, last: dt.date) -> dt.timedelta | None:
    """The zone's UTC offset when it is the same on every day from `first` to `last` (Asia/Shanghai since 1991),
    else None (a zone with daylight saving time in that span)."""
    zone = zoneinfo.ZoneInfo(tz)
    offsets = {dt.datetime.combine(first + dt.timedelta(days=k), dt.time(12), zone).utcoffset()
               for k in range(-1, (last - first).days + 2)}
    return offsets.pop() if len(offsets) == 1 else None


def _bin(sql: _Sql, unit: str, expr: str, offset: dt.timedelta | None) -> str:
    """Local hour or day start of `expr`. With a fixed offset, `date_bin` does it by integer arithmetic (no
    time-zone lookup per row); the result equals `date_trunc` in the zone."""
    if offset is None or unit not in ("hour", "day"):
        return sql.trunc(unit, expr)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    origin = f"'2000-01-01 00:00:00{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}'"
    return f"date_bin('1 {unit}', {expr}, TIMESTAMPTZ {origin})"


def _rebuild_chunk_sql(sql: _Sql, offset: dt.timedelta | None) -> str:
    """One statement that writes the hour, day and month rollups of a chunk of meters into the rebuild table.
    Parameters: arrays of meter ids by kind: `interval` meters (a plain GROUP BY, no window), `cumulative` registers
    without a rollover value and `rollover` registers (their deltas need the meter's rollover value per reading).
    Hours are aggregated first and multiplied after (the same order as the incremental `_hour_insert`); days come from
    the hours and months from the days, in memory, without reading the new table back."""
    hour = _bin(sql, "hour", "ts", offset)
    day = _bin(sql, "day", "h.b", offset)
    month = sql.trunc("month", "d.b")
    value = sql.sane("r.value")
    window = f"LEAD({value}) OVER (PARTITION BY r.meter_id ORDER BY r.ts) AS nv"
    columns = f"INSERT INTO {_REBUILD} ({_ROLLUP_COLUMNS})"
    return f"""
        WITH hi AS (
            SELECT meter_id, {hour} AS b, SUM({sql.sane("value")}) AS q, COUNT(*) AS c,
                   COUNT(*) FILTER (WHERE estimated) AS e
            FROM meters_reading WHERE meter_id = ANY(%(interval)s) GROUP BY 1, 2
        ), hc AS (
            SELECT meter_id, {hour} AS b,
                   SUM(CASE WHEN v > {_CEIL} OR nv > {_CEIL} THEN {sql.inf} WHEN nv >= v THEN nv - v ELSE nv END) AS q,
                   COUNT(*) AS c, COUNT(*) FILTER (WHERE est) AS e
            FROM (SELECT r.meter_id, r.ts, {value} AS v, r.estimated AS est, {window}
                  FROM meters_reading r WHERE r.meter_id = ANY(%(cumulative)s)) w
            WHERE nv IS NOT NULL GROUP BY 1, 2
        ), hr AS (
            SELECT meter_id, {hour} AS b,
                   SUM(CASE WHEN v > {_CEIL} OR nv > {_CEIL} THEN {sql.inf}
                            WHEN nv >= v THEN nv - v
                            WHEN v >= 0.9 * roll AND nv <= 0.1 * roll THEN nv + roll - v
                            ELSE nv END) AS q,
                   COUNT(*) AS c, COUNT(*) FILTER (WHERE est) AS e
            FROM (SELECT r.meter_id, r.ts, {value} AS v, r.estimated AS est, {window},
                         CAST(m.rollover_value AS double precision) AS roll
                  FROM meters_reading r JOIN meters_meter m ON m.id = r.meter_id
                  WHERE r.meter_id = ANY(%(rollover)s)) w
            WHERE nv IS NOT NULL GROUP BY 1, 2
        ), h AS MATERIALIZED (
            SELECT a.meter_id, a.b, a.q * CAST(m.multiplier AS double precision) AS q, a.c, a.e,
                   m.interval_minutes AS ivl
            FROM (SELECT * FROM hi UNION ALL SELECT * FROM hc UNION ALL SELECT * FROM hr) a
            JOIN meters_meter m ON m.id = a.meter_id
        ), hours AS (
            {columns}
            SELECT meter_id, 'hour', b, q, CASE WHEN ivl <= 60 THEN 60 / ivl ELSE 0 END, c, e, now() FROM h
        ), d AS MATERIALIZED (
            SELECT h.meter_id, {day} AS b, SUM(h.q) AS q, SUM(h.c) AS c, SUM(h.e) AS e, MAX(h.ivl) AS ivl
            FROM h GROUP BY 1, 2
        ), days AS (
            {columns}
            SELECT meter_id, 'day', b, q, CASE WHEN ivl <= 1440 THEN 1440 / ivl ELSE 0 END, c, e, now() FROM d
            ORDER BY meter_id, b  -- a meter's days on a few pages: the dashboard's KPI reads are day and month reads
        )
        {columns}
        SELECT d.meter_id, 'month', {month}, SUM(d.q),
               MAX(CASE WHEN d.ivl >= {MONTHLY_MINUTES} THEN 1 ELSE {sql.days_in_month(month)} * 1440 / d.ivl END),
               SUM(d.c), SUM(d.e), now()
        FROM d GROUP BY d.meter_id, {month}
    """


def _rebuild_fill(cur, groups: dict[str, list[int]]) -> None:
    """Write hour, day and month rollups of a chunk of meters ({time zone: meter ids}, from `rebuild_begin`) into the
    rebuild table, one statement per time zone."""
    for tz, ids in groups.items():
        if not ids:
            continue
        sql = _Sql(tz)
        cur.execute("SELECT m.id, m.reading_kind, m.rollover_value IS NOT NULL, s.first, s.last "
                    "FROM meters_meter m CROSS JOIN LATERAL (SELECT MIN(r.ts) AS first, MAX(r.ts) AS last "
                    "FROM meters_reading r WHERE r.meter_id = m.id) s WHERE m.id = ANY(%s) ORDER BY m.id", [list(ids)])
        meters = cur.fetchall()
        spans = [(first, last) for *_, first, last in meters if first is not None]
        if not spans:
            continue
        zone = zoneinfo.ZoneInfo(tz)
        offset = _fixed_offset(tz, min(f for f, _ in spans).astimezone(zone).date(),
                               max(last for _, last in spans).astimezone(zone).date())
        cur.execute(_rebuild_chunk_sql(sql, offset), {
            "interval": [m for m, kind, *_ in meters if kind == "interval"],
            "cumulative": [m for m, kind, roll, *_ in meters if kind != "interval" and not roll],
            "rollover": [m for m, kind, roll, *_ in meters if kind != "interval" and roll]})


def _in_session(work, errors: list) -> None:
    """Run `work()` in a database session of its own (a thread's own connection)."""
    from django.db import connections

    try:
        work()
    except Exception as exc:  # noqa: BLE001 -- handed to the main thread, which re-raises it
        errors.append(exc)
    finally:
        connections.close_all()


def _in_parallel(works: list) -> None:
    errors: list[Exception] = []
    threads = [threading.Thread(target=_in_session, args=(work, errors)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


_REBUILD_LOG = "meters_meterrollup_rebuild_log"


def _exists(cur, table: str) -> bool:
    cur.execute("SELECT to_regclass(%s) IS NOT NULL", [table])
    return cur.fetchone()[0]


def _rebuild_fresh(cur) -> bool:
    """A rebuild's log exists and it started less than ROLLUP_REBUILD_TIMEOUT ago."""
    if not _exists(cur, _REBUILD_LOG):
        return False
    cur.execute(f"SELECT at > now() - make_interval(secs => %s) FROM {_REBUILD_LOG} WHERE chunk = 0",
                [settings.ROLLUP_REBUILD_TIMEOUT])
    row = cur.fetchone()
    return bool(row and row[0])


def rebuild_in_progress() -> bool:
    """A full rebuild has started and not finished (nor been abandoned for longer than ROLLUP_REBUILD_TIMEOUT)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cur:
        return _rebuild_fresh(cur)


def rebuild_begin(*, chunk: int = REBUILD_CHUNK_METERS) -> list[dict[str, list[int]]]:
    """Start a full rebuild (PostgreSQL): an empty rebuild table and its log, committed so that other sessions or
    Celery workers can fill it. Returns the chunks of work, `chunk` meters each ({time zone: meter ids}); chunk k
    (from 1) is filled by `rebuild_fill(k, ...)`. Dirty meter-days marked from now on stay for the sweep after
    the swap; sweeps skip while the rebuild runs (their writes to the old table would be lost at the swap)."""
    claimed_up_to = DirtyMeterDay.objects.aggregate(m=Max("pk"))["m"] or 0
    groups: dict[str, list[int]] = defaultdict(list)
    with_readings = Meter.objects.filter(Exists(Reading.objects.filter(meter=OuterRef("pk"))))
    for meter_id, tz in with_readings.order_by("pk").values_list("pk", "site__timezone"):
        groups[tz].append(meter_id)
    chunks = [{tz: ids[k:k + chunk]} for tz, ids in groups.items() for k in range(0, len(ids), chunk)]
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {_REBUILD}, {_REBUILD_LOG}")
        cur.execute(f"CREATE TABLE {_REBUILD} (LIKE meters_meterrollup INCLUDING DEFAULTS INCLUDING IDENTITY "
                    "INCLUDING CONSTRAINTS)")
        # Row 0: the rebuild itself; row k: chunk k is in the table (a retried task skips it).
        cur.execute(f"CREATE TABLE {_REBUILD_LOG} (chunk integer PRIMARY KEY, chunks integer, claimed_up_to bigint, "
                    "at timestamptz NOT NULL DEFAULT now())")
        cur.execute(f"INSERT INTO {_REBUILD_LOG} (chunk, chunks, claimed_up_to) VALUES (0, %s, %s)",
                    [len(chunks), claimed_up_to])
    return chunks


def _fill_settings(cur) -> None:
    cur.execute("SET LOCAL work_mem = '256MB'")  # a chunk's hash aggregation stays in memory
    cur.execute("SET LOCAL jit = off")  # compiling costs more than it saves on these statements
    # The registers' LEAD window needs readings in (meter, time) order: ordered index scans of the partitions,
    # merged, instead of a bitmap scan followed by a sort of the chunk's readings.
    cur.execute("SET LOCAL enable_bitmapscan = off")


def rebuild_fill(number: int, groups: dict[str, list[int]]) -> bool:
    """Write chunk `number` of a started rebuild into the rebuild table, in one transaction; idempotent (a chunk
    already written is skipped). Returns True when the rebuild has all its chunks after this one: exactly one
    caller sees True, since completions are counted under a lock on the log's row 0."""
    with transaction.atomic(), connection.cursor() as cur:
        if not _rebuild_fresh(cur):
            return False  # finished or abandoned meanwhile (sweeps may have written since: it must not swap in)
        cur.execute(f"SELECT 1 FROM {_REBUILD_LOG} WHERE chunk = %s", [number])
        if cur.fetchone() is None:
            _fill_settings(cur)
            _rebuild_fill(cur, groups)
            cur.execute(f"INSERT INTO {_REBUILD_LOG} (chunk) VALUES (%s)", [number])
        cur.execute(f"SELECT chunks FROM {_REBUILD_LOG} WHERE chunk = 0 FOR UPDATE")
        chunks = cur.fetchone()[0]
        cur.execute(f"SELECT count(*) FROM {_REBUILD_LOG} WHERE chunk > 0")
        return cur.fetchone()[0] == chunks


_GRANULARITIES = ("hour", "day", "month")


def _index_sql(kind: str) -> str:
    """The primary key's index, or the partial unique index of one granularity (see MeterRollup.Meta)."""
    if kind == "pkey":
        return f"CREATE UNIQUE INDEX {_REBUILD}_pkey ON {_REBUILD} (id)"
    return f"CREATE UNIQUE INDEX {_REBUILD}_{kind} ON {_REBUILD} (meter_id, bucket_start) WHERE granularity = '{kind}'"


def _index_session(kinds: tuple[str, ...]):
    def work() -> None:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET LOCAL maintenance_work_mem = '512MB'")  # the sort stays in memory
            for kind in kinds:
                cur.execute(_index_sql(kind))
    return work


def rebuild_finish() -> bool:
    """Index the filled rebuild table and swap it in for the rollups: the indexes are built once (a sorted build
    instead of millions of index insertions); outside a caller's transaction the hour index (most of the rows)
    is built in one session while another builds the primary key and the day and month indexes. Then, under a lock
    on the old table, the table, its primary key, indexes and id sequence are renamed to what the migrations
    created. Idempotent: returns False when there is no complete rebuild. An abandoned one (older than
    ROLLUP_REBUILD_TIMEOUT, so sweeps have written to the live table since) is dropped instead of swapped in."""
    with connection.cursor() as cur:
        if not _exists(cur, _REBUILD_LOG):
            return False
        if not _rebuild_fresh(cur):
            rebuild_abort()
            return False
        cur.execute(f"SELECT count(*) FILTER (WHERE chunk > 0) = max(chunks), max(claimed_up_to) FROM {_REBUILD_LOG}")
        complete, claimed_up_to = cur.fetchone()
        if not complete:
            return False
    if connection.in_atomic_block:
        _index_session(("pkey", *_GRANULARITIES))()
    else:
        _in_parallel([_index_session(("hour",)), _index_session(("pkey", "day", "month"))])
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("LOCK TABLE meters_meterrollup IN ACCESS EXCLUSIVE MODE")
        cur.execute(f"ALTER TABLE {_REBUILD} ADD CONSTRAINT {_REBUILD}_pkey PRIMARY KEY USING INDEX {_REBUILD}_pkey")
        cur.execute(f"SELECT pg_get_serial_sequence('{_REBUILD}', 'id')")
        sequence = cur.fetchone()[0]
        cur.execute("DROP TABLE meters_meterrollup")
        cur.execute(f"ALTER TABLE {_REBUILD} RENAME TO meters_meterrollup")
        cur.execute(f"ALTER TABLE meters_meterrollup RENAME CONSTRAINT {_REBUILD}_pkey TO meters_meterrollup_pkey")
        for g in _GRANULARITIES:
            cur.execute(f"ALTER INDEX {_REBUILD}_{g} RENAME TO meter_rollup_{g}_unique")
        cur.execute(f"ALTER SEQUENCE {sequence} RENAME TO meters_meterrollup_id_seq")
        cur.execute(f"DROP TABLE {_REBUILD_LOG}")
        cur.execute("ANALYZE meters_meterrollup")
        DirtyMeterDay.objects.filter(pk__lte=claimed_up_to).delete()
    return True


def rebuild_abort() -> None:
    """Drop a started rebuild (its tables); the rollups stay as they were."""
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {_REBUILD}, {_REBUILD_LOG}")


def _rebuild_all_pg(*, sessions: int) -> int:
    """Full recompute on PostgreSQL in this process: begin, fill the chunks from `sessions` database sessions in
    parallel (outside a caller's transaction, whose uncommitted tables other sessions could not see; PostgreSQL's
    own parallel query does the same for a single GROUP BY), finish. Returns the number of meters."""
    parallel = sessions > 1 and not connection.in_atomic_block
    try:
        chunks = rebuild_begin()
        numbered = list(enumerate(chunks, start=1))
        if parallel:
            def fill(share):
                def work() -> None:  # a transaction per chunk
                    for number, groups in share:
                        rebuild_fill(number, groups)
                return work

            _in_parallel([fill(numbered[k::sessions]) for k in range(sessions)])
        else:
            for number, groups in numbered:
                rebuild_fill(number, groups)
        rebuild_finish()
    except BaseException:
        if not connection.in_atomic_block:
            rebuild_abort()
        raise
    return sum(len(ids) for chunk in chunks for ids in chunk.values())


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
            # JIT compilation of these statements took 0.2-0.7 s, longer than a typical sweep's whole work.
            cur.execute("SET LOCAL jit = off")
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
    Returns the number of meter-days processed; 0 while a full rebuild runs (the marks wait for it to finish)."""
    if rebuild_in_progress():
        return 0
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
        return _rebuild_all_pg(sessions=settings.ROLLUP_REBUILD_SESSIONS)
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
