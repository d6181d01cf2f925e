"""Full rebuild of the rollup table on PostgreSQL, in chunks of meters, swapped in when complete."""

# ruff: noqa: S608  -- SQL is assembled from fixed fragments, validated time-zone names and integers only.
from __future__ import annotations

import datetime as dt
import functools
import threading
import zoneinfo
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from django.db.backends.utils import CursorWrapper

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef

from ..models import DirtyMeterDay, Meter, Reading
from .sql import _CEIL, _ROLLUP_COLUMNS, MONTHLY_MINUTES, _Sql

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


def _rebuild_fill(cur: CursorWrapper, groups: dict[str, list[int]]) -> None:
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


def _in_session(work: Callable[[], None], errors: list[Exception]) -> None:
    """Run `work()` in a database session of its own (a thread's own connection)."""
    from django.db import connections

    try:
        work()
    except Exception as exc:  # noqa: BLE001 -- handed to the main thread, which re-raises it
        errors.append(exc)
    finally:
        connections.close_all()


def _in_parallel(works: list[Callable[[], None]]) -> None:
    errors: list[Exception] = []
    threads = [threading.Thread(target=_in_session, args=(work, errors)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


_REBUILD_LOG = "meters_meterrollup_rebuild_log"


def _exists(cur: CursorWrapper, table: str) -> bool:
    cur.execute("SELECT to_regclass(%s) IS NOT NULL", [table])
    return cast(bool, cur.fetchone()[0])


def _rebuild_fresh(cur: CursorWrapper) -> bool:
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


def _fill_settings(cur: CursorWrapper) -> None:
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
        return cast(bool, cur.fetchone()[0] == chunks)


_GRANULARITIES = ("hour", "day", "month")


def _index_sql(kind: str) -> str:
    """The primary key's index, or the partial unique index of one granularity (see MeterRollup.Meta)."""
    if kind == "pkey":
        return f"CREATE UNIQUE INDEX {_REBUILD}_pkey ON {_REBUILD} (id)"
    return f"CREATE UNIQUE INDEX {_REBUILD}_{kind} ON {_REBUILD} (meter_id, bucket_start) WHERE granularity = '{kind}'"


def _index_session(kinds: tuple[str, ...]) -> Callable[[], None]:
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
            def fill(share: list[tuple[int, dict[str, list[int]]]]) -> Callable[[], None]:
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
