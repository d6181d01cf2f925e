"""Monthly range partitions of the readings table on PostgreSQL (no-op on SQLite).

`meters_reading` is `PARTITION BY RANGE (ts)` with one partition per calendar month (UTC bounds) plus a DEFAULT
partition that catches anything outside the prepared months, so an insert never fails for want of a partition.
`reading_partitions_ensure` creates missing months; when the DEFAULT partition already holds rows of that month they
are moved into the new partition in the same transaction. It is called by the migration, by the ingestion service for
the months of each batch (cached per process) and by the beat task `meters.tasks.reading_partitions_ahead`.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import DatabaseError, connection, transaction

logger = logging.getLogger(__name__)

PARENT = "meters_reading"
DEFAULT = f"{PARENT}_default"
_LOCK_KEY = 7_283_001  # pg_advisory_xact_lock key serialising partition DDL
_known: set[str] = set()


def month_add(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    return dt.date(day.year + y, m + 1, 1)


def _create_month(cur, month: dt.date) -> bool:
    nxt = month_add(month, 1)
    name = f"{PARENT}_{month:%Y%m}"
    cur.execute("SELECT to_regclass(%s)", [name])
    if cur.fetchone()[0] is not None:
        return False
    lo, hi = f"{month.isoformat()} 00:00+00", f"{nxt.isoformat()} 00:00+00"
    cur.execute(f"SELECT EXISTS (SELECT 1 FROM {DEFAULT} WHERE ts >= %s AND ts < %s)", [lo, hi])  # noqa: S608
    if not cur.fetchone()[0]:
        cur.execute(f"CREATE TABLE {name} PARTITION OF {PARENT} FOR VALUES FROM ('{lo}') TO ('{hi}')")
        return True
    # Rows of that month already sit in the DEFAULT partition: move them into a new table, then attach it.
    cur.execute(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    cur.execute(
        f"WITH moved AS (DELETE FROM {DEFAULT} WHERE ts >= %s AND ts < %s RETURNING *) "  # noqa: S608
        f"INSERT INTO {name} SELECT * FROM moved", [lo, hi])
    cur.execute(f"ALTER TABLE {PARENT} ATTACH PARTITION {name} FOR VALUES FROM ('{lo}') TO ('{hi}')")
    return True


def reading_partitions_ensure(*, start: dt.date, end: dt.date, using=None) -> list[str]:
    """Create the monthly partitions covering [start, end) that do not exist yet; return the names created."""
    conn = using or connection
    if conn.vendor != "postgresql":
        return []
    created = []
    with conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        month = dt.date(start.year, start.month, 1)
        while month < end:
            if _create_month(cur, month):
                created.append(f"{PARENT}_{month:%Y%m}")
            month = month_add(month, 1)
    return created


def reading_partitions_for(*, timestamps_min: dt.datetime, timestamps_max: dt.datetime) -> None:
    """Make sure the months spanned by a batch have partitions (called before the ingest transaction). Failures are
    logged, never raised: rows then land in the DEFAULT partition, which is correct, only less tidy."""
    if connection.vendor != "postgresql":
        return
    lo = dt.date(timestamps_min.year, timestamps_min.month, 1)
    hi = month_add(dt.date(timestamps_max.year, timestamps_max.month, 1), 1)
    months: list[dt.date] = []
    m = lo
    while m < hi and len(months) < 24:
        months.append(m)
        m = month_add(m, 1)
    missing = [m for m in months if f"{PARENT}_{m:%Y%m}" not in _known]
    if not missing:
        return
    try:
        with transaction.atomic():
            reading_partitions_ensure(start=missing[0], end=month_add(missing[-1], 1))
        _known.update(f"{PARENT}_{m:%Y%m}" for m in missing)
    except DatabaseError:
        logger.warning("could not create reading partitions for %s..%s", lo, hi, exc_info=True)


def reading_partitions_ahead(*, months: int = 3) -> list[str]:
    """Create the partitions of the current month and the next `months` months (beat task)."""
    today = dt.datetime.now(dt.UTC).date()
    first = dt.date(today.year, today.month, 1)
    with transaction.atomic():
        return reading_partitions_ensure(start=first, end=month_add(first, months + 1))
