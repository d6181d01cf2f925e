"""Set-based writing of a validated batch: staging, register checks, insert, conflicts, outcomes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
from django.db import connection

from meters.models import IngestBatch, ReadingConflict, RegisterEvent, RejectedRow, ReviewStatus

from .dirty import dirty_pairs, dirty_pairs_columns, dirty_pairs_mark
from .types import ROW_ERROR_DETAILS, IngestResult, RowError, array_literal, ingest_cursor, row_columns
from .validate import (
    MeterInfo,
    ValidColumns,
    ValidRow,
    meters_resolve,
    pg_micros,
    rows_validate,
    rows_validate_columns,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from django.db.backends.utils import CursorWrapper

    from meters.models import Gateway
    from plants.models import Site

    from .types import RawRow

_STAGING_DDL = {
    "postgresql": "CREATE TEMP TABLE IF NOT EXISTS ingest_staging (idx integer, meter_id bigint, ts timestamptz, "
                  "value double precision) ON COMMIT DELETE ROWS",
    "sqlite": "CREATE TEMP TABLE IF NOT EXISTS ingest_staging (idx integer, meter_id bigint, ts datetime, "
              "value real)",
}


#: One row of PostgreSQL's binary COPY format for (idx integer, meter_id bigint, ts timestamptz, value double
#: precision): the field count, then each field's length and big-endian value; timestamptz is microseconds since
#: 2000-01-01 UTC. Built column by column with numpy: a fifth of the time of the text format's f-strings, and
#: PostgreSQL need not parse timestamps and floats from text.
_COPY_ROW = np.dtype([("fields", ">i2"), ("idx_len", ">i4"), ("idx", ">i4"), ("meter_len", ">i4"), ("meter", ">i8"),
                      ("ts_len", ">i4"), ("ts", ">i8"), ("value_len", ">i4"), ("value", ">f8")])
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"  # signature, flags, extension
_COPY_TRAILER = b"\xff\xff"


def _copy_binary(rows: ValidColumns) -> bytes:
    """The rows in PostgreSQL's binary COPY format (see _COPY_ROW)."""
    out = np.empty(len(rows), dtype=_COPY_ROW)
    out["fields"], out["idx_len"], out["meter_len"], out["ts_len"], out["value_len"] = 4, 4, 8, 8, 8
    out["idx"], out["meter"], out["ts"], out["value"] = rows.index, rows.meter_id, rows.ts_us, rows.value
    return _COPY_HEADER + out.tobytes() + _COPY_TRAILER


def _staging_prepare(cur: CursorWrapper) -> None:
    cur.execute(_STAGING_DDL[connection.vendor])
    cur.execute("DELETE FROM ingest_staging")  # several batches may share a transaction (an import, a test)


def _stage_copy(cur: CursorWrapper, rows: ValidColumns) -> None:
    """PostgreSQL: stage the rows by binary COPY."""
    _staging_prepare(cur)
    with cur.copy("COPY ingest_staging (idx, meter_id, ts, value) FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(_copy_binary(rows))


def _stage_rows(cur: CursorWrapper, rows: list[ValidRow]) -> None:
    """SQLite: stage the rows."""
    _staging_prepare(cur)
    adapt = connection.ops.adapt_datetimefield_value
    cur.executemany("INSERT INTO ingest_staging (idx, meter_id, ts, value) VALUES (%s, %s, %s, %s)",
                    [(r.index, r.meter_id, adapt(r.ts), r.value) for r in rows])


# PostgreSQL, per row at or before its meter's latest stored reading (a resent or late row): the reading stored at its
# timestamp (value, batch). Primary-key probes; LIMIT 1 keeps PostgreSQL from flattening a probe into a merge join over
# a whole partition, and the constant bounds let the planner prune partitions once, not per probe.
_STORED_AT_SQL = """
SELECT t.idx, e.value, e.batch_id
FROM unnest(%(idxs)s::integer[], %(ids)s::bigint[], %(ts)s::timestamptz[]) AS t(idx, m, ts)
CROSS JOIN LATERAL (
    SELECT r.value, r.batch_id FROM meters_reading r
    WHERE r.meter_id = t.m AND r.ts = t.ts AND r.ts >= %(lo)s AND r.ts <= %(hi)s
    LIMIT 1
) e
"""

# PostgreSQL, per given row: the latest stored reading before it within the look-back (a primary-key probe each; the
# constant bounds let the planner prune partitions once, not per probe).
_STORED_BEFORE_SQL = """
SELECT t.idx, p.ts, p.value
FROM unnest(%(idxs)s::integer[], %(ids)s::bigint[], %(ts)s::timestamptz[]) AS t(idx, m, ts)
LEFT JOIN LATERAL (
    SELECT r.ts, r.value FROM meters_reading r
    WHERE r.meter_id = t.m AND r.ts < t.ts AND r.ts >= t.ts - make_interval(days => %(lookback)s)
      AND r.ts >= %(lo)s AND r.ts < %(hi)s
    ORDER BY r.ts DESC LIMIT 1
) p ON true
"""


def _stored_at(cur: CursorWrapper, candidates: ValidColumns) -> dict[int, tuple[float, int | None]]:
    """PostgreSQL: {idx: (stored value, stored batch id)} of the candidate rows that are stored."""
    if not len(candidates):
        return {}
    stamps = candidates.stamps
    cur.execute(_STORED_AT_SQL, {
        "idxs": array_literal(candidates.index.tolist()), "ids": array_literal(candidates.meter_id.tolist()),
        "ts": array_literal(stamps[k][1] for k in candidates.stamp.tolist()),
        "lo": stamps[candidates.stamp[candidates.ts_us.argmin()]][0],
        "hi": stamps[candidates.stamp[candidates.ts_us.argmax()]][0]})
    return {idx: (value, bid) for idx, value, bid in cur.fetchall()}


# One primary-key probe per meter of the batch: its latest stored reading up to the batch's last timestamp.
_LATEST_PER_METER_SQL = """
SELECT t.m, p.ts, p.value
FROM unnest(%(ids)s::bigint[], %(firsts)s::timestamptz[], %(lasts)s::timestamptz[]) AS t(m, first_ts, last_ts)
LEFT JOIN LATERAL (
    SELECT r.ts, r.value FROM meters_reading r
    WHERE r.meter_id = t.m AND r.ts <= t.last_ts AND r.ts >= t.first_ts - make_interval(days => %(lookback)s)
      AND r.ts >= %(lo)s AND r.ts <= %(hi)s  -- constants: the planner prunes partitions once, not per probe
    ORDER BY r.ts DESC LIMIT 1
) p ON true
"""


_NO_READING = np.iinfo(np.int64).min  # the latest stored timestamp of a meter without one


def _latest_stored(
    cur: CursorWrapper, unique: ValidColumns, starts: np.ndarray, ends: np.ndarray,
    meters_by_id: dict[int, MeterInfo],
) -> dict[int, tuple[dt.datetime | None, float | None]]:
    """PostgreSQL: per meter of the batch, its latest stored (ts, value) up to the batch's last timestamp for it (and
    at most REGISTER_LOOKBACK_DAYS before its first), (None, None) if none. `unique` holds the batch's rows in (meter,
    ts) order, each meter's from starts[k] to ends[k].

    First looked for within a day before each meter's first row (a gateway streaming every few minutes: one partition
    to probe), then, for cumulative meters only, over the whole look-back: an interval meter's latest reading matters
    only when it is not before its first row, which the first probe covers."""
    stamps = unique.stamps
    ids = unique.meter_id[starts].tolist()
    first_of = dict(zip(ids, unique.stamp[starts].tolist(), strict=True))
    last_of = dict(zip(ids, unique.stamp[ends - 1].tolist(), strict=True))
    latest: dict[int, tuple[dt.datetime | None, float | None]] = {}
    for days in (1, REGISTER_LOOKBACK_DAYS):
        if not ids:
            break
        firsts, lasts = [stamps[first_of[m]] for m in ids], [stamps[last_of[m]] for m in ids]
        # Arrays passed as PostgreSQL array literals: much cheaper than adapting hundreds of datetimes one by one.
        cur.execute(_LATEST_PER_METER_SQL, {
            "ids": array_literal(ids), "firsts": array_literal(text for _ts, text in firsts),
            "lasts": array_literal(text for _ts, text in lasts), "lookback": days,
            "hi": max(ts for ts, _text in lasts), "lo": min(ts for ts, _text in firsts) - dt.timedelta(days=days)})
        latest.update({meter_id: (ts, value) for meter_id, ts, value in cur.fetchall()})
        ids = [m for m in ids if latest[m][0] is None and meters_by_id[m].cumulative]
    return latest


def _previous_values_columns(
    cur: CursorWrapper, unique: ValidColumns, starts: np.ndarray, ends: np.ndarray,
    latest: dict[int, tuple[dt.datetime | None, float | None]], latest_us: np.ndarray,
    stored: dict[int, tuple[float, int | None]], meters_by_id: dict[int, MeterInfo],
) -> tuple[list[tuple[int, float, float | None, float | None]], dict[int, ValidRow]]:
    """PostgreSQL: (idx, value, rollover, previous value) of the cumulative rows to be stored that went below their
    predecessor, and those rows by idx. `unique` holds the batch's rows in (meter, ts) order, each meter's from
    starts[k] to ends[k]; `latest` comes from `_latest_stored` (`latest_us`: its timestamps per meter, _NO_READING
    for none) and `stored` from `_stored_at`: a row already stored is a duplicate or a conflict (the stored value
    stays), so it is not checked, but it is the predecessor of the batch's next row.

    A row after its meter's latest stored reading follows that reading (when within the look-back) or its
    predecessor in the batch, whichever is later; a row at or before it (late data, not stored) gets an exact probe of
    its stored predecessor. Computed for the whole batch at once (numpy)."""
    runs = ends - starts
    run_meter = unique.meter_id[starts].tolist()
    cumulative = np.repeat(np.array([meters_by_id[m].cumulative for m in run_meter], dtype=bool), runs)
    if not cumulative.any():
        return [], {}
    latest_us = np.repeat(latest_us, runs)
    latest_value = np.repeat(np.array([np.nan if latest[m][1] is None else latest[m][1] for m in run_meter],
                                      dtype=np.float64), runs)
    ts, value = unique.ts_us, unique.value
    first = np.zeros(len(unique), dtype=bool)
    first[starts] = True
    before_ts = np.where(first, _NO_READING, np.r_[_NO_READING, ts[:-1]])
    before_value = np.where(first, np.nan, np.r_[np.nan, value[:-1]])
    after = ts > latest_us
    in_reach = (latest_us != _NO_READING) & (latest_us >= ts - REGISTER_LOOKBACK_DAYS * 86_400_000_000)
    use_before = ~first & ((before_ts > latest_us) | ~in_reach)
    prev = np.where(use_before, before_value, np.where(in_reach, latest_value, np.nan))
    flagged = np.flatnonzero(cumulative & after & (value < prev)).tolist()
    out: list[tuple[int, float, float | None, float | None]] = [
        (int(unique.index[k]), float(value[k]), meters_by_id[int(unique.meter_id[k])].rollover, float(prev[k]))
        for k in flagged]
    rows = {int(unique.index[k]): unique.row(k) for k in flagged}
    # Rows at or before the latest stored reading that are not stored: the exact check against the stored
    # predecessor (or the batch's own, whichever is later; the stored one on a tie).
    late = [k for k in np.flatnonzero(cumulative & ~after).tolist() if int(unique.index[k]) not in stored]
    if late:
        exact = [(unique.row(k), None if first[k] else unique.row(k - 1)) for k in late]
        lookback = dt.timedelta(days=REGISTER_LOOKBACK_DAYS)
        cur.execute(_STORED_BEFORE_SQL, {
            "idxs": array_literal(v.index for v, _ in exact), "ids": array_literal(v.meter_id for v, _ in exact),
            "ts": array_literal(v.ts_text for v, _ in exact), "lookback": REGISTER_LOOKBACK_DAYS,
            "lo": min(v.ts for v, _ in exact) - lookback, "hi": max(v.ts for v, _ in exact)})
        table_prev = {idx: (stored_ts, stored_value) for idx, stored_ts, stored_value in cur.fetchall()}
        for v, before in exact:
            stored_ts, stored_value = table_prev[v.index]
            previous = before.value if before is not None and (stored_ts is None or before.ts > stored_ts) \
                else stored_value
            if previous is not None and v.value < previous:
                out.append((v.index, v.value, meters_by_id[v.meter_id].rollover, previous))
                rows[v.index] = v
    return out, rows


def _previous_values(cur: CursorWrapper) -> list[tuple[int, float, float | None, float | None]]:
    """SQLite: (idx, value, rollover, previous value) of the staged cumulative readings not stored yet, against their
    predecessor (stored, or staged, whichever is later): _previous_values_columns's rule. A staged row already stored
    is a duplicate or a conflict, not checked, but it is a predecessor of the batch's next row."""
    # SQLite has no LATERAL: correlated scalar subqueries.
    cur.execute("""
        SELECT s.idx, s.value, m.rollover_value,
          (SELECT r.ts FROM meters_reading r WHERE r.meter_id = s.meter_id AND r.ts < s.ts ORDER BY r.ts DESC LIMIT 1),
          (SELECT r.value FROM meters_reading r WHERE r.meter_id = s.meter_id AND r.ts < s.ts
             ORDER BY r.ts DESC LIMIT 1),
          (SELECT p.ts FROM ingest_staging p WHERE p.meter_id = s.meter_id AND p.ts < s.ts ORDER BY p.ts DESC LIMIT 1),
          (SELECT p.value FROM ingest_staging p WHERE p.meter_id = s.meter_id AND p.ts < s.ts
             ORDER BY p.ts DESC LIMIT 1)
        FROM ingest_staging s JOIN meters_meter m ON m.id = s.meter_id AND m.reading_kind = 'cumulative'
        WHERE NOT EXISTS (SELECT 1 FROM meters_reading x WHERE x.meter_id = s.meter_id AND x.ts = s.ts)
    """)
    out = []
    for idx, value, rollover, tts, tval, sts, sval in cur.fetchall():
        prev = sval if sts is not None and (tts is None or sts > tts) else tval
        out.append((idx, value, rollover, prev))
    return out


# SQLite: what is stored for every staged row.
_STORED_SQL = ("SELECT s.idx, r.value, r.batch_id FROM ingest_staging s "
               "JOIN meters_reading r ON r.meter_id = s.meter_id AND r.ts = s.ts")

# In key order, so that concurrent batches lock keys in the same order.
_INSERT_SQL = ("INSERT INTO meters_reading (meter_id, ts, value, batch_id, estimated) "
               "SELECT meter_id, ts, value, %s, false FROM ingest_staging WHERE true ORDER BY meter_id, ts")
_ON_CONFLICT = " ON CONFLICT (meter_id, ts) DO NOTHING"

_CONFLICTS_SQL = """
INSERT INTO meters_readingconflict (meter_id, ts, stored_value, offered_value, batch_id, status, created_at)
SELECT m, t, sv, ov, %s, %s, now()
FROM unnest(%s::bigint[], %s::timestamptz[], %s::double precision[], %s::double precision[]) AS x(m, t, sv, ov)
"""

#: A cumulative reading is compared with the previous stored reading of at most this many days before it.
REGISTER_LOOKBACK_DAYS = 62


def _is_rollover(prev: float, value: float, rollover: float | None) -> bool:
    """A wrap past the rollover value: the register was in its top tenth and restarted in its bottom tenth."""
    return rollover is not None and prev >= 0.9 * rollover and value <= 0.1 * rollover


# PostgreSQL: the batch's id is drawn first (its readings, conflicts and refused rows carry it) and its row is inserted
# at the end, with its counts and answer: one INSERT in place of an INSERT and an UPDATE that rewrote the row with its
# answer (tens of kB when a resent window carries conflicts). The foreign keys to it are deferred to the commit (as
# Django creates them), and a repeated batch id still fails on the unique key, at the end of the transaction.
_BATCH_ID_SQL = "SELECT nextval(pg_get_serial_sequence('meters_ingestbatch', 'id'))"
_BATCH_INSERT_SQL = """
INSERT INTO meters_ingestbatch (id, site_id, gateway_id, batch_key, source, received_at, rows, accepted, duplicates,
                                conflicts, rejected, response)
VALUES (%(id)s, %(site)s, %(gateway)s, %(key)s, %(source)s, now(), %(rows)s, %(accepted)s, %(duplicates)s,
        %(conflicts)s, %(rejected)s, %(response)s::jsonb)
"""


def _batch_create(*, site: Site, gateway: Gateway | None, batch_key: str | None, source: str,
                  rows: int) -> IngestBatch:
    """The batch's record: on SQLite saved now (and updated with its counts at the end); on PostgreSQL only its id is
    drawn here and `_batch_save` inserts it (the model has no signal receivers)."""
    if connection.vendor != "postgresql":
        return IngestBatch.objects.create(site=site, gateway=gateway, batch_key=batch_key, source=source, rows=rows)
    with ingest_cursor() as cur:
        cur.execute(_BATCH_ID_SQL)
        (pk,) = cur.fetchone()
    return IngestBatch(pk=pk, site=site, gateway=gateway, batch_key=batch_key, source=source, rows=rows)


def _batch_save(batch: IngestBatch, counts: dict[str, int], response: dict[str, Any]) -> None:
    """Store the batch's counts and answer (replayed for a repeated batch id)."""
    if connection.vendor != "postgresql":
        IngestBatch.objects.filter(pk=batch.pk).update(**counts, response=response)
        return
    with ingest_cursor() as cur:
        # The answer (hundreds of conflict rows when a window is resent with changed values) serialised by orjson.
        cur.execute(_BATCH_INSERT_SQL, {
            **counts, "id": batch.pk, "site": batch.site_id, "gateway": batch.gateway_id, "key": batch.batch_key,
            "source": batch.source, "rows": batch.rows, "response": orjson.dumps(response).decode()})


@dataclass
class _Written:
    """What writing a batch's valid rows came to (readings_write answers with it)."""

    accepted: int = 0
    dirty: list[tuple[int, dt.date]] = field(default_factory=list)  # (meter, local day) pairs of the accepted rows
    duplicates: int = 0
    conflicts: list[tuple[ValidRow, float]] = field(default_factory=list)  # (row, value stored or first in batch)
    events: list[RegisterEvent] = field(default_factory=list)
    held: list[tuple[int, str]] = field(default_factory=list)  # (idx, detail) of registers that went backwards


def _register_checks(
    out: _Written, backwards: list[tuple[int, float, float | None, float | None]], row_of: dict[int, ValidRow],
    batch: IngestBatch,
) -> set[int]:
    """Register events for cumulative rows below their predecessor: a rollover is accepted, anything else is held for
    review (refused as register_backwards). Returns the indexes of the held rows."""
    held: set[int] = set()
    for idx, value, rollover, prev in backwards:
        if prev is None or value >= prev:
            continue
        v = row_of[idx]
        rollover = float(rollover) if rollover is not None else None
        if _is_rollover(prev, value, rollover):
            out.events.append(RegisterEvent(meter_id=v.meter_id, ts=v.ts, kind=RegisterEvent.Kind.ROLLOVER,
                                            previous_value=prev, value=value, batch=batch, status="acknowledged"))
        else:
            out.events.append(RegisterEvent(meter_id=v.meter_id, ts=v.ts, kind=RegisterEvent.Kind.RESET,
                                            previous_value=prev, value=value, batch=batch))
            out.held.append((idx, f"Register went from {prev:g} to {value:g}; held for review as a reset/anomaly."))
            held.add(idx)
    return held


def _write_postgresql(
    cur: CursorWrapper, *, site: Site, batch: IngestBatch, cols: ValidColumns, meters_by_id: dict[int, MeterInfo],
) -> _Written:
    """PostgreSQL: the batch's valid rows, as columns (numpy), without a Python step per row where the batch is as a
    gateway sends it: new rows, some resent."""
    out = _Written()
    n = len(cols)
    if not n:
        return out
    # In (meter, ts) order, and within a (meter, ts) in batch order: the first row of a (meter, ts) counts; later ones
    # are duplicates or conflicts of it.
    order = np.lexsort((np.arange(n), cols.ts_us, cols.meter_id))
    m_s, t_s = cols.meter_id[order], cols.ts_us[order]
    again = np.zeros(n, dtype=bool)
    again[1:] = (m_s[1:] == m_s[:-1]) & (t_s[1:] == t_s[:-1])
    if again.any():
        first = np.maximum.accumulate(np.where(again, 0, np.arange(n)))
        for k, f in sorted(zip(order[again].tolist(), order[first[again]].tolist(), strict=True)):
            if cols.value[k] == cols.value[f]:
                out.duplicates += 1
            else:
                out.conflicts.append((cols.row(k), float(cols.value[f])))
        order = order[~again]
    unique = cols.take(order)
    starts = np.flatnonzero(np.r_[True, unique.meter_id[1:] != unique.meter_id[:-1]])
    ends = np.r_[starts[1:], len(unique)]

    # Before anything is staged: each meter's latest stored reading, and what is stored for the rows at or before it
    # (the only ones that can be stored already: resent or late rows).
    latest = _latest_stored(cur, unique, starts, ends, meters_by_id)
    latest_us = np.array([pg_micros(ts) if (ts := latest[m][0]) is not None else _NO_READING
                          for m in unique.meter_id[starts].tolist()], dtype=np.int64)
    candidates = unique.take(np.flatnonzero(unique.ts_us <= np.repeat(latest_us, ends - starts)))
    stored = _stored_at(cur, candidates)

    # Cumulative meters: each row against its predecessor (register_backwards, rollovers).
    held = _register_checks(out, *_previous_values_columns(cur, unique, starts, ends, latest, latest_us, stored,
                                                           meters_by_id), batch)

    # Rows found stored are duplicates or conflicts: neither staged nor inserted. The others were not stored when
    # probed, so they are inserted without ON CONFLICT (whose speculative insertion costs about a fifth more a row).
    # If a concurrent batch stored one of them since, the unique violation aborts this attempt and readings_ingest
    # runs the batch again, whose probe then finds it stored.
    to_insert = unique
    if stored or held:
        not_new = np.fromiter([*stored, *held], dtype=np.int64, count=len(stored) + len(held))
        to_insert = unique.take(np.flatnonzero(~np.isin(unique.index, not_new)))
    _stage_copy(cur, to_insert)
    cur.execute(_INSERT_SQL, [batch.pk])
    accepted = to_insert
    if stored:
        # Rows found stored, in batch index order: a duplicate (same value) or a conflict.
        idxs = sorted(stored)
        stored_value = np.array([stored[idx][0] for idx in idxs], dtype=np.float64)
        position = dict(zip(candidates.index.tolist(), range(len(candidates)), strict=True))
        at = np.fromiter(map(position.__getitem__, idxs), dtype=np.int64, count=len(idxs))
        same = candidates.value[at] == stored_value
        out.duplicates += int(same.sum())
        out.conflicts += [(candidates.row(k), sv) for k, sv in zip(at[~same].tolist(), stored_value[~same].tolist(),
                                                                   strict=True)]
    out.accepted = len(accepted)
    out.dirty = dirty_pairs_columns(site=site, meter_id=accepted.meter_id, stamp=accepted.stamp,
                                    stamps=accepted.stamps, meters=meters_by_id)
    return out


def _write_sqlite(
    cur: CursorWrapper, *, site: Site, batch: IngestBatch, valid: list[ValidRow], meters_by_id: dict[int, MeterInfo],
) -> _Written:
    """SQLite (the embedded default): the batch's valid rows, staged and inserted with ON CONFLICT DO NOTHING."""
    out = _Written()
    # Within the batch, the first row for a (meter, ts) counts; later ones are duplicates or conflicts of it.
    first = {(v.meter_id, v.ts_text): v for v in reversed(valid)}
    unique: list[ValidRow] = valid
    if len(first) != len(valid):
        unique = []
        for v in valid:
            seen = first[v.meter_id, v.ts_text]
            if seen is v:
                unique.append(v)
            elif seen.value == v.value:
                out.duplicates += 1
            else:
                out.conflicts.append((v, seen.value))
    if not unique:
        return out
    _stage_rows(cur, unique)
    held = _register_checks(out, _previous_values(cur), {v.index: v for v in unique}, batch)
    if held:
        cur.execute(f"DELETE FROM ingest_staging WHERE idx IN ({','.join(str(i) for i in held)})")  # noqa: S608
    cur.execute(_INSERT_SQL + _ON_CONFLICT, [batch.pk])
    stored: dict[int, tuple[float, int | None]] = {}
    if len(unique) - len(held) - cur.rowcount:
        # Some rows existed: fetch their stored values.
        cur.execute(_STORED_SQL)
        stored = {idx: (value, bid) for idx, value, bid in cur.fetchall()}
    accepted_rows: list[ValidRow] = []
    for v in unique:
        if v.index in held:
            continue
        if v.index not in stored or stored[v.index][1] == batch.pk:
            accepted_rows.append(v)  # inserted by this batch (every row not inserted is in `stored`)
        elif stored[v.index][0] == v.value:
            out.duplicates += 1
        else:
            out.conflicts.append((v, stored[v.index][0]))
    cur.execute("DELETE FROM ingest_staging")  # PostgreSQL empties it at commit (ON COMMIT DELETE ROWS)
    out.accepted = len(accepted_rows)
    out.dirty = dirty_pairs(site=site, readings=accepted_rows, meters=meters_by_id)
    return out


def readings_write(
    *, site: Site, rows: Sequence[RawRow], gateway: Gateway | None, batch_key: str | None, source: str,
    now: dt.datetime,
) -> IngestResult:
    batch = _batch_create(site=site, gateway=gateway, batch_key=batch_key, source=source, rows=len(rows))
    _index, meter_column, _ts, _value = row_columns(rows)
    try:
        codes: set[object] = set(meter_column)
    except TypeError:  # a meter sent as a JSON list or object: refused as a missing field, not looked up
        codes = {m for m in meter_column if isinstance(m, str)}
    meters = meters_resolve(site=site, gateway=gateway, codes=codes)
    meters_by_id = {info.id: info for info in meters.values()}
    raw_by_index: dict[int, RawRow] = {}

    def raw_of(idx: int) -> RawRow:
        if 0 <= idx < len(rows) and rows[idx].index == idx:  # parsed bodies number their rows 0, 1, …
            return rows[idx]
        if not raw_by_index:
            raw_by_index.update((r.index, r) for r in rows)
        return raw_by_index[idx]

    with ingest_cursor() as cur:
        if connection.vendor == "postgresql":
            cols, rejected = rows_validate_columns(rows, meters, now)
            written = _write_postgresql(cur, site=site, batch=batch, cols=cols, meters_by_id=meters_by_id)
        else:
            valid, rejected = rows_validate(rows, meters, now)
            written = _write_sqlite(cur, site=site, batch=batch, valid=valid, meters_by_id=meters_by_id)
    rejected += [(raw_of(idx), RowError.REGISTER_BACKWARDS, detail) for idx, detail in written.held]
    events, conflicts, duplicates = written.events, written.conflicts, written.duplicates

    if events:
        RegisterEvent.objects.bulk_create(events)
    if conflicts and connection.vendor == "postgresql":
        # Resent rows with changed values come by the hundred: one INSERT from arrays, no model instances.
        with ingest_cursor() as cur:
            cur.execute(_CONFLICTS_SQL, [
                batch.pk, str(ReviewStatus.OPEN), array_literal(v.meter_id for v, _ in conflicts),
                array_literal(v.ts_text or v.ts.isoformat() for v, _ in conflicts),
                array_literal(repr(float(stored_value)) for _, stored_value in conflicts),
                array_literal(repr(v.value) for v, _ in conflicts)])
    elif conflicts:
        ReadingConflict.objects.bulk_create(
            ReadingConflict(meter_id=v.meter_id, ts=v.ts, stored_value=stored_value, offered_value=v.value,
                            batch=batch)
            for v, stored_value in conflicts
        )
    rejected.sort(key=lambda item: item[0].index)
    rejected_out = [
        {"index": raw.index, "meter": raw.meter if isinstance(raw.meter, str) else "", "code": str(code),
         "detail": detail or ROW_ERROR_DETAILS[code]}
        for raw, code, detail in rejected
    ]
    if rejected:
        RejectedRow.objects.bulk_create(
            RejectedRow(batch=batch, index=raw.index, meter_code=str(raw.meter or "")[:64],
                        ts_text=str(raw.ts or "")[:64], value_text=str(raw.value if raw.value is not None else "")[:64],
                        code=str(code), detail=(detail or ROW_ERROR_DETAILS[code])[:300])
            for raw, code, detail in rejected
        )
    conflict_out = [{"index": v.index, "meter": raw_of(v.index).meter, "code": "conflict",
                     "detail": f"A different value ({stored:g}) is stored for this meter and timestamp; "
                               "the stored value stays and the conflict is recorded for review."}
                    for v, stored in conflicts]
    if written.dirty:
        dirty_pairs_mark(written.dirty, site=site)

    result = IngestResult(accepted=written.accepted, duplicates=duplicates, conflicts=len(conflicts),
                          rejected=rejected_out, conflict_rows=conflict_out, batch_id=batch.pk)
    response = result.as_response()
    counts = {"accepted": result.accepted, "duplicates": duplicates, "conflicts": len(conflicts),
              "rejected": len(rejected_out)}
    _batch_save(batch, counts, response)
    return result
