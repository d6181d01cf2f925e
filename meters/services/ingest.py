"""Bulk, idempotent ingestion of meter readings: parse, validate in bulk, write set-based.

One code path for PostgreSQL (COPY into a temporary staging table, then INSERT … ON CONFLICT DO NOTHING) and for the
embedded SQLite default (executemany into the staging table, INSERT OR IGNORE). Meter codes are resolved once per
batch; no per-row ORM saves and no per-row queries.

Row outcomes:
- accepted: stored;
- duplicate: the same (meter, ts) is already stored with the same value (or came earlier in the batch);
- conflict: stored with a different value; the stored value stays and a ReadingConflict is recorded;
- rejected: a row error with a stable code (see RowError).
A cumulative register that goes backwards is a rollover when the wrap fits the meter's rollover value (accepted and
recorded as a RegisterEvent), otherwise a reset/anomaly: the row is rejected (`register_backwards`) and a
RegisterEvent(kind=reset) holds it for review; accepting it is a reviewer's action.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import math
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

import orjson
from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from energy_platform.errors import ApplicationError
from meters.hooks import readings_stored
from meters.models import (
    DirtyMeterDay,
    Gateway,
    IngestBatch,
    Meter,
    ReadingConflict,
    RegisterEvent,
    RejectedRow,
)
from plants.models import Site
from plants.validators import normalize_code

from ..units import READING_VALUE_CEILING, max_reading, unit_allowed
from .partitions import reading_partitions_for


class RowError(StrEnum):
    UNKNOWN_METER = "unknown_meter"
    METER_NOT_ALLOWED = "meter_not_allowed"
    METER_INACTIVE = "meter_inactive"
    MISSING_FIELD = "missing_field"
    INVALID_TIMESTAMP = "invalid_timestamp"
    TIMESTAMP_WITHOUT_OFFSET = "timestamp_without_offset"
    TIMESTAMP_IN_FUTURE = "timestamp_in_future"
    NOT_FINITE = "not_finite"
    NEGATIVE_INTERVAL_QUANTITY = "negative_interval_quantity"
    REGISTER_BACKWARDS = "register_backwards"
    IMPLAUSIBLE_VALUE = "implausible_value"
    UNIT_NOT_ALLOWED = "unit_not_allowed"


ROW_ERROR_DETAILS = {
    RowError.UNKNOWN_METER: "No meter with this code at the gateway's site.",
    RowError.METER_NOT_ALLOWED: "This gateway is not allowed to report this meter.",
    RowError.METER_INACTIVE: "The meter is not active at this timestamp.",
    RowError.MISSING_FIELD: "Each reading needs meter, ts and value.",
    RowError.INVALID_TIMESTAMP: "The timestamp is not ISO 8601.",
    RowError.TIMESTAMP_WITHOUT_OFFSET: "The timestamp has no UTC offset (e.g. 2025-03-01T08:15:00+08:00).",
    RowError.TIMESTAMP_IN_FUTURE: "The timestamp is too far in the future.",
    RowError.NOT_FINITE: "The value is not a finite number.",
    RowError.NEGATIVE_INTERVAL_QUANTITY: "An interval quantity cannot be negative.",
    RowError.REGISTER_BACKWARDS: "The cumulative register went backwards; held for review as a reset/anomaly.",
    RowError.IMPLAUSIBLE_VALUE: "The value is larger than the meter's plausibility limit (max_reading, or its unit's "
                                "default), or a register value at or past its rollover modulus.",
    RowError.UNIT_NOT_ALLOWED: "The meter's unit is not one its carrier allows; correct the meter first.",
}


@dataclass(slots=True)
class RawRow:
    """One row as received: meter, ts and value are unchecked (any JSON value, or None when missing)."""

    index: int
    meter: object
    ts: object
    value: object


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    conflicts: int = 0
    rejected: list[dict] = field(default_factory=list)
    conflict_rows: list[dict] = field(default_factory=list)
    batch_id: int | None = None
    replayed: bool = False

    def as_response(self) -> dict:
        return {"accepted": self.accepted, "duplicates": self.duplicates, "conflicts": self.conflicts,
                "rejected": self.rejected, "conflict_rows": self.conflict_rows}


# ---------------------------------------------------------------------------------------------------------------
# Parsing the request body
# ---------------------------------------------------------------------------------------------------------------

def body_decode(*, body: bytes, content_encoding: str | None) -> bytes:
    """Undo gzip (bounded, so a small bomb cannot expand past the byte limit)."""
    limit = settings.INGEST_MAX_BYTES
    if len(body) > limit:
        raise ApplicationError("payload_too_large", f"The request body exceeds {limit} bytes.", status_code=413)
    encoding = (content_encoding or "identity").strip().lower()
    if encoding in ("identity", ""):
        return body
    if encoding != "gzip":
        raise ApplicationError("unsupported_encoding", f"Content-Encoding {encoding!r} is not supported; use gzip.",
                               status_code=415)
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as fh:
            data = fh.read(limit + 1)
    except (OSError, EOFError) as exc:
        raise ApplicationError("malformed_gzip", f"The gzip body cannot be decompressed: {exc}.") from exc
    if len(data) > limit:
        raise ApplicationError("payload_too_large", f"The decompressed body exceeds {limit} bytes.", status_code=413)
    return data


def _check_row_count(n: int) -> None:
    if n > settings.INGEST_MAX_ROWS:
        raise ApplicationError("too_many_rows", f"A batch may hold at most {settings.INGEST_MAX_ROWS} readings; "
                               f"this one has {n}.", status_code=413)


def body_parse_json(data: bytes) -> tuple[str | None, list[RawRow]]:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ApplicationError("malformed_json", f"The body is not valid JSON: {exc}.") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("readings"), list):
        raise ApplicationError("malformed_body", 'The body must be an object with a "readings" list.')
    batch_key = doc.get("batch_id")
    if batch_key is not None and (not isinstance(batch_key, str) or not 0 < len(batch_key) <= 100):
        raise ApplicationError("invalid_batch_id", "batch_id must be a string of 1 to 100 characters.")
    readings = doc["readings"]
    _check_row_count(len(readings))
    rows = [RawRow(i, item.get("meter"), item.get("ts"), item.get("value")) if type(item) is dict
            else RawRow(i, None, None, None) for i, item in enumerate(readings)]
    return batch_key, rows


def body_parse_csv(data: bytes, *, batch_key: str | None = None) -> tuple[str | None, list[RawRow]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ApplicationError("malformed_csv", "The CSV body is not UTF-8.") from exc
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration as exc:
        raise ApplicationError("malformed_csv", "The CSV body is empty; the header is meter,ts,value.") from exc
    except csv.Error as exc:
        raise ApplicationError("malformed_csv", f"The CSV body cannot be read: {exc}.") from exc
    if header[:3] != ["meter", "ts", "value"]:
        raise ApplicationError("malformed_csv", "The CSV header must be meter,ts,value.")
    rows: list[RawRow] = []
    try:
        for i, rec in enumerate(reader):
            if len(rows) > settings.INGEST_MAX_ROWS:
                break
            if len(rec) < 3:
                rows.append(RawRow(i, rec[0] if rec else None, None, None))
            else:
                rows.append(RawRow(i, rec[0], rec[1], rec[2]))
    except csv.Error as exc:
        raise ApplicationError("malformed_csv", f"The CSV body cannot be read: {exc}.") from exc
    _check_row_count(len(rows))
    return batch_key, rows


# ---------------------------------------------------------------------------------------------------------------
# Validation in bulk
# ---------------------------------------------------------------------------------------------------------------

@dataclass(slots=True)
class _MeterInfo:
    id: int
    cumulative: bool
    rollover: float | None
    active_from: dt.datetime
    active_to: dt.datetime | None
    allowed: bool
    interval_minutes: int = 15
    max_value: float = READING_VALUE_CEILING  # plausibility limit of one reading (meters.units.max_reading)
    unit_ok: bool = True  # the meter's unit is one its carrier allows


_METERS_SQL = """
SELECT m.id, m.code, m.reading_kind, m.rollover_value, m.active_from, m.active_to, m.interval_minutes,
       ({listed}), m.carrier, m.unit, m.max_reading
FROM meters_meter m WHERE m.site_id = %(site)s AND m.code IN (SELECT unnest(%(codes)s::text[]))
"""
_LISTED = {
    # A gateway with an empty allow-list may report every meter of its site.
    True: "EXISTS (SELECT 1 FROM meters_gateway_allowed_meters a WHERE a.gateway_id = %(gw)s AND a.meter_id = m.id) "
          "OR NOT EXISTS (SELECT 1 FROM meters_gateway_allowed_meters a WHERE a.gateway_id = %(gw)s)",
    False: "true",
}


def _meters_resolve(*, site: Site, gateway: Gateway | None, codes: Iterable[str]) -> dict[str, _MeterInfo]:
    """The batch's meters by code, in one query (with the gateway's allow-list)."""
    # Stored codes are NFC (plants.models.CodeField): look the NFC form up, answer under the code as sent.
    sent: dict[str, list[str]] = {}
    for c in {c for c in codes if isinstance(c, str)}:
        sent.setdefault(normalize_code(c), []).append(c)
    codes = sorted(sent)
    if not codes:
        return {}
    out = {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(_METERS_SQL.format(listed=_LISTED[gateway is not None]),
                        {"site": site.pk, "codes": codes, "gw": gateway.pk if gateway is not None else None})
            found = cur.fetchall()
    else:
        qs = Meter.objects.filter(site=site, code__in=codes)
        allow = set(gateway.allowed_meters.values_list("id", flat=True)) if gateway is not None else set()
        found = [(*m[:7], not allow or m[0] in allow, *m[7:]) for m in qs.values_list(
            "id", "code", "reading_kind", "rollover_value", "active_from", "active_to", "interval_minutes",
            "carrier", "unit", "max_reading")]
    for mid, code, kind, rollover, afrom, ato, interval, allowed, carrier, unit, own_max in found:
        info = _MeterInfo(mid, kind == Meter.ReadingKind.CUMULATIVE,
                          float(rollover) if rollover is not None else None, afrom, ato, bool(allowed), interval,
                          max_reading(carrier=carrier, unit=unit, own=own_max),
                          unit_allowed(carrier=carrier, unit=unit))
        for as_sent in sent.get(code, [code]):
            out[as_sent] = info
    return out


def _parse_ts(text) -> tuple[dt.datetime | None, RowError | None]:
    if not isinstance(text, str) or not text:
        return None, RowError.MISSING_FIELD
    try:
        ts = dt.datetime.fromisoformat(text.strip())  # Python 3.11 reads "Z" and any ISO 8601 offset
    except ValueError:
        return None, RowError.INVALID_TIMESTAMP
    if ts.tzinfo is None or ts.utcoffset() is None:
        return None, RowError.TIMESTAMP_WITHOUT_OFFSET
    try:
        return ts.astimezone(dt.UTC), None
    except OverflowError:  # e.g. 9999-12-31T23:00-05:00 is past the last representable instant
        return None, RowError.INVALID_TIMESTAMP


def _parse_value(raw) -> tuple[float | None, RowError | None]:
    if raw is None or isinstance(raw, bool):
        return None, RowError.MISSING_FIELD if raw is None else RowError.NOT_FINITE
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            return None, RowError.NOT_FINITE
    else:
        return None, RowError.NOT_FINITE
    if not math.isfinite(value):
        return None, RowError.NOT_FINITE
    return value, None


@dataclass(slots=True)
class _Valid:
    index: int
    meter_id: int
    ts: dt.datetime
    value: float
    ts_text: str = ""  # the UTC ISO form, for COPY


def _validate(rows: list[RawRow], meters: dict[str, _MeterInfo], now: dt.datetime):
    """Split rows into valid ones and (row, code, detail) rejects. A batch repeats few distinct timestamps (many
    meters per instant), so each timestamp text is parsed once."""
    limit = now + dt.timedelta(seconds=settings.INGEST_FUTURE_TOLERANCE_SECONDS)
    valid: list[_Valid] = []
    rejected: list[tuple[RawRow, RowError, str | None]] = []
    ts_cache: dict[str, tuple[dt.datetime | None, RowError | None, str]] = {}
    for row in rows:
        meter = row.meter
        info = meters.get(meter) if isinstance(meter, str) else None
        if info is None:
            rejected.append((row, RowError.MISSING_FIELD if not isinstance(meter, str) or not meter
                             else RowError.UNKNOWN_METER, None))
            continue
        if not info.allowed:
            rejected.append((row, RowError.METER_NOT_ALLOWED, None))
            continue
        if not info.unit_ok:  # a meter stored before units were checked: its readings could not be accounted
            rejected.append((row, RowError.UNIT_NOT_ALLOWED, None))
            continue
        text = row.ts
        parsed = ts_cache.get(text) if isinstance(text, str) else None
        if parsed is None:
            ts, err = _parse_ts(text)
            if err is None and ts > limit:  # type: ignore[operator]  # ts is set when err is None (_parse_ts)
                err = RowError.TIMESTAMP_IN_FUTURE
            parsed = (ts, err, ts.isoformat() if ts is not None and err is None else "")
            if isinstance(text, str):
                ts_cache[text] = parsed
        ts, err, iso = parsed
        if err is None and ts is not None and (ts < info.active_from or (info.active_to is not None
                                                                        and ts >= info.active_to)):
            err = RowError.METER_INACTIVE
        if err is None:
            raw = row.value
            value: float | None
            if type(raw) is float and math.isfinite(raw):
                value = raw
            else:
                value, err = _parse_value(raw)
        if err is None and value is not None and value < 0 and not info.cumulative:
            err = RowError.NEGATIVE_INTERVAL_QUANTITY
        if err is None and value is not None and (abs(value) > info.max_value
                            or (info.cumulative and info.rollover is not None and value >= info.rollover)):
            # Larger than the meter's plausibility limit, or a register value at or past its rollover modulus.
            err = RowError.IMPLAUSIBLE_VALUE
        if err is not None:
            rejected.append((row, err, None))
            continue
        valid.append(_Valid(row.index, info.id, ts, value, iso))  # type: ignore[arg-type]  # both set: err is None
    return valid, rejected


# ---------------------------------------------------------------------------------------------------------------
# Set-based writing
# ---------------------------------------------------------------------------------------------------------------

_STAGING_DDL = {
    "postgresql": "CREATE TEMP TABLE IF NOT EXISTS ingest_staging (idx integer, meter_id bigint, ts timestamptz, "
                  "value double precision) ON COMMIT DELETE ROWS",
    "sqlite": "CREATE TEMP TABLE IF NOT EXISTS ingest_staging (idx integer, meter_id bigint, ts datetime, "
              "value real)",
}


def _stage(cur, rows: list[_Valid]) -> None:
    vendor = connection.vendor
    cur.execute(_STAGING_DDL[vendor])
    cur.execute("DELETE FROM ingest_staging")
    if vendor == "postgresql":
        # COPY text format built in one string: ids and repr(float) need no escaping, timestamps are UTC ISO.
        data = "".join([f"{r.index}\t{r.meter_id}\t{r.ts_text or r.ts.isoformat()}\t{r.value!r}\n" for r in rows])
        with cur.copy("COPY ingest_staging (idx, meter_id, ts, value) FROM STDIN") as copy:
            copy.write(data.encode())
    else:
        adapt = connection.ops.adapt_datetimefield_value
        cur.executemany("INSERT INTO ingest_staging (idx, meter_id, ts, value) VALUES (%s, %s, %s, %s)",
                        [(r.index, r.meter_id, adapt(r.ts), r.value) for r in rows])


# For each staged reading of a cumulative meter: the previous register value, from the batch itself or the table.
_PREVIOUS_SQL = """
SELECT s.idx, s.value, m.rollover_value,
       COALESCE(
         CASE WHEN sp.ts IS NOT NULL AND (tp.ts IS NULL OR sp.ts > tp.ts) THEN sp.value END, tp.value) AS prev
FROM ingest_staging s
JOIN meters_meter m ON m.id = s.meter_id AND m.reading_kind = 'cumulative'
LEFT JOIN (
    SELECT idx, LAG(ts) OVER w AS ts, LAG(value) OVER w AS value
    FROM ingest_staging WINDOW w AS (PARTITION BY meter_id ORDER BY ts)
) sp ON sp.idx = s.idx
LEFT JOIN {lateral} (
    SELECT r.ts, r.value FROM meters_reading r
    WHERE r.meter_id = s.meter_id AND r.ts < s.ts {lookback} ORDER BY r.ts DESC LIMIT 1
) tp ON {on}
"""


# PostgreSQL, one primary-key probe per cumulative meter of the batch (not per row): the latest stored reading up to
# the batch's last timestamp for that meter. If it lies before the batch's first row, it is the predecessor of that
# first row and the later rows follow each other (LAG over the batch). If it lies inside the batch's span, stored
# readings interleave with the batch (a retransmission or late data): those meters get the exact per-row check.
_PREVIOUS_PER_METER_SQL = """
WITH c AS MATERIALIZED (
    SELECT s.idx, s.meter_id, s.ts, s.value, m.rollover_value,
           LAG(s.value) OVER w AS sp_value, ROW_NUMBER() OVER w AS rn
    FROM ingest_staging s JOIN meters_meter m ON m.id = s.meter_id AND m.reading_kind = 'cumulative'
    WINDOW w AS (PARTITION BY s.meter_id ORDER BY s.ts)
),
span AS MATERIALIZED (SELECT meter_id, min(ts) AS first_ts, max(ts) AS last_ts FROM c GROUP BY meter_id),
tp AS MATERIALIZED (
    SELECT span.meter_id, COALESCE(p.ts >= span.first_ts, false) AS interleaved, p.value AS prev_value
    FROM span LEFT JOIN LATERAL (
        SELECT r.ts, r.value FROM meters_reading r
        WHERE r.meter_id = span.meter_id AND r.ts <= span.last_ts
          AND r.ts >= span.first_ts - make_interval(days => %(lookback)s)
        ORDER BY r.ts DESC LIMIT 1
    ) p ON true
)
SELECT c.idx, c.value, c.rollover_value, CASE WHEN c.rn = 1 THEN tp.prev_value ELSE c.sp_value END, tp.interleaved,
       c.meter_id
FROM c JOIN tp USING (meter_id)
WHERE tp.interleaved OR (CASE WHEN c.rn = 1 THEN tp.prev_value ELSE c.sp_value END) > c.value
"""


# One primary-key probe per cumulative meter: its latest stored reading up to the batch's last timestamp.
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


def _array_literal(items) -> str:
    """A PostgreSQL array literal of ints, dates or ISO timestamps (no quoting needed for those)."""
    return "{" + ",".join(map(str, items)) + "}"


def _previous_values(cur, unique: list[_Valid], meters: dict[str, _MeterInfo],
                     ) -> list[tuple[int, float, float | None, float | None]]:
    """(idx, value, rollover, previous value) for staged cumulative readings that may have gone backwards."""
    if connection.vendor == "postgresql":
        info_by_id = {info.id: info for info in meters.values() if info.cumulative}
        seqs: dict[int, list[_Valid]] = {}
        for v in unique:
            if v.meter_id in info_by_id:
                seqs.setdefault(v.meter_id, []).append(v)
        if not seqs:
            return []
        for vs in seqs.values():
            vs.sort(key=lambda v: v.ts)
        ids = sorted(seqs)
        firsts, lasts = [seqs[m][0] for m in ids], [seqs[m][-1] for m in ids]
        # Arrays passed as PostgreSQL array literals: much cheaper than adapting hundreds of datetimes one by one.
        cur.execute(_LATEST_PER_METER_SQL, {
            "ids": _array_literal(ids), "firsts": _array_literal(v.ts_text or v.ts.isoformat() for v in firsts),
            "lasts": _array_literal(v.ts_text or v.ts.isoformat() for v in lasts), "lookback": REGISTER_LOOKBACK_DAYS,
            "hi": max(v.ts for v in lasts),
            "lo": min(v.ts for v in firsts) - dt.timedelta(days=REGISTER_LOOKBACK_DAYS)})
        out, interleaved = [], set()
        for meter_id, stored_ts, stored_value in cur.fetchall():
            vs = seqs[meter_id]
            if stored_ts is not None and stored_ts >= vs[0].ts:
                interleaved.add(meter_id)  # stored readings inside the batch's span: exact check below
                continue
            # The stored reading precedes the whole batch: the batch's rows follow it and each other.
            rollover, prev = info_by_id[meter_id].rollover, stored_value
            for v in vs:
                if prev is not None and v.value < prev:
                    out.append((v.index, v.value, rollover, prev))
                prev = v.value
        if interleaved:
            # The exact per-row check for meters whose stored readings interleave with the batch.
            cur.execute(_PREVIOUS_SQL.format(
                lateral="LATERAL", on="true",
                lookback="AND r.ts >= s.ts - make_interval(days => %(lookback)s)") + " WHERE s.meter_id = ANY(%(ids)s)",
                {"lookback": REGISTER_LOOKBACK_DAYS, "ids": sorted(interleaved)})
            out += cur.fetchall()
        return out
    # SQLite has no LATERAL: use correlated scalar subqueries for the same result.
    cur.execute("""
        SELECT s.idx, s.value, m.rollover_value,
          (SELECT r.ts FROM meters_reading r WHERE r.meter_id = s.meter_id AND r.ts < s.ts ORDER BY r.ts DESC LIMIT 1),
          (SELECT r.value FROM meters_reading r WHERE r.meter_id = s.meter_id AND r.ts < s.ts
             ORDER BY r.ts DESC LIMIT 1),
          (SELECT p.ts FROM ingest_staging p WHERE p.meter_id = s.meter_id AND p.ts < s.ts ORDER BY p.ts DESC LIMIT 1),
          (SELECT p.value FROM ingest_staging p WHERE p.meter_id = s.meter_id AND p.ts < s.ts
             ORDER BY p.ts DESC LIMIT 1)
        FROM ingest_staging s JOIN meters_meter m ON m.id = s.meter_id AND m.reading_kind = 'cumulative'
    """)
    out = []
    for idx, value, rollover, tts, tval, sts, sval in cur.fetchall():
        prev = sval if sts is not None and (tts is None or sts > tts) else tval
        out.append((idx, value, rollover, prev))
    return out


_STORED_SQL = {
    "postgresql": "SELECT s.idx, r.value, r.batch_id FROM ingest_staging s CROSS JOIN LATERAL ("
                  "SELECT value, batch_id FROM meters_reading WHERE meter_id = s.meter_id AND ts = s.ts) r",
    "sqlite": "SELECT s.idx, r.value, r.batch_id FROM ingest_staging s "
              "JOIN meters_reading r ON r.meter_id = s.meter_id AND r.ts = s.ts",
}

#: A cumulative reading is compared with the previous stored reading of at most this many days before it.
REGISTER_LOOKBACK_DAYS = 62


def _is_rollover(prev: float, value: float, rollover: float | None) -> bool:
    """A wrap past the rollover value: the register was in its top tenth and restarted in its bottom tenth."""
    return rollover is not None and prev >= 0.9 * rollover and value <= 0.1 * rollover


def readings_ingest(
    *, site: Site, rows: list[RawRow], gateway: Gateway | None = None, batch_key: str | None = None,
    source: str = "gateway", now: dt.datetime | None = None,
) -> IngestResult:
    """Store the valid rows of one batch and report every other row; replay the answer of a repeated batch id."""
    now = now or timezone.now()
    if batch_key is not None and gateway is not None:
        previous = IngestBatch.objects.filter(gateway=gateway, batch_key=batch_key).values_list("response", "id")
        if (found := previous.first()) is not None:
            return IngestResult(**found[0], batch_id=found[1], replayed=True)
    stamps = [r.ts for r in rows if isinstance(r.ts, str)]
    if stamps and connection.vendor == "postgresql":
        _partitions_prepare(stamps)
    try:
        for attempt in range(3):
            try:
                with transaction.atomic():
                    return _ingest(site=site, rows=rows, gateway=gateway, batch_key=batch_key, source=source, now=now)
            except OperationalError as exc:
                # Two batches touching the same rows may deadlock despite the ordered insert; PostgreSQL aborts one,
                # which is retried as a whole (nothing of it was written).
                if attempt == 2 or getattr(getattr(exc, "__cause__", None), "sqlstate", None) not in ("40P01", "40001"):
                    raise
        raise AssertionError("unreachable: the third attempt returned or raised")
    except IntegrityError:
        # A concurrent request with the same batch id won the race: replay its answer.
        found = IngestBatch.objects.filter(gateway=gateway, batch_key=batch_key).values_list("response", "id").first()
        if found is None:
            raise
        return IngestResult(**found[0], batch_id=found[1], replayed=True)


def _partitions_prepare(stamps: list[str]) -> None:
    """Create the monthly partitions a batch needs before its transaction (DDL must not run inside it). Only the
    min/max of the distinct timestamp texts are parsed; unparsable ones are ignored here and rejected later."""
    parsed: list[dt.datetime] = []
    for text in {stamps[0], stamps[-1], min(stamps), max(stamps)}:
        ts, _err = _parse_ts(text)
        if ts is not None:
            parsed.append(ts)
    if parsed:
        reading_partitions_for(timestamps_min=min(parsed), timestamps_max=max(parsed))


def _ingest(*, site, rows, gateway, batch_key, source, now) -> IngestResult:
    batch = IngestBatch.objects.create(site=site, gateway=gateway, batch_key=batch_key, source=source, rows=len(rows))
    meters = _meters_resolve(site=site, gateway=gateway, codes=(r.meter for r in rows))
    valid, rejected = _validate(rows, meters, now)
    raw_by_index = {r.index: r for r in rows}

    # Within the batch, the first row for a (meter, ts) counts; later ones are duplicates or conflicts of it.
    first: dict[tuple[int, dt.datetime], _Valid] = {}
    unique: list[_Valid] = []
    in_batch_dupes = 0
    conflicts: list[tuple[_Valid, float]] = []
    for v in valid:
        key = (v.meter_id, v.ts)
        seen = first.get(key)
        if seen is None:
            first[key] = v
            unique.append(v)
        elif seen.value == v.value:
            in_batch_dupes += 1
        else:
            conflicts.append((v, seen.value))

    accepted_rows: list[_Valid] = []
    duplicates = in_batch_dupes
    events: list[RegisterEvent] = []
    if unique:
        with connection.cursor() as cur:
            _stage(cur, unique)
            held: set[int] = set()
            by_index = {v.index: v for v in unique}
            for idx, value, rollover, prev in _previous_values(cur, unique, meters):
                if prev is None or value >= prev:
                    continue
                v = by_index[idx]
                rollover = float(rollover) if rollover is not None else None
                if _is_rollover(prev, value, rollover):
                    events.append(RegisterEvent(meter_id=v.meter_id, ts=v.ts, kind=RegisterEvent.Kind.ROLLOVER,
                                                previous_value=prev, value=value, batch=batch,
                                                status="acknowledged"))
                else:
                    events.append(RegisterEvent(meter_id=v.meter_id, ts=v.ts, kind=RegisterEvent.Kind.RESET,
                                                previous_value=prev, value=value, batch=batch))
                    rejected.append((raw_by_index[idx], RowError.REGISTER_BACKWARDS,
                                     f"Register went from {prev:g} to {value:g}; held for review as a reset/anomaly."))
                    held.add(idx)
            if held:
                cur.execute(f"DELETE FROM ingest_staging WHERE idx IN ({','.join(str(i) for i in held)})")  # noqa: S608
            insert = ("INSERT INTO meters_reading (meter_id, ts, value, batch_id, estimated) "
                      "SELECT meter_id, ts, value, %s, false FROM ingest_staging WHERE true ORDER BY meter_id, ts "
                      "ON CONFLICT (meter_id, ts) DO NOTHING")
            cur.execute(insert, [batch.pk])
            if cur.rowcount == len(unique) - len(held):
                stored = None  # the common case: every staged row was new, no need to look the rows up again
            else:
                # Some rows existed: fetch their stored values (a new statement, so rows committed meanwhile by a
                # concurrent batch are visible). LATERAL keeps it to primary-key probes on PostgreSQL.
                cur.execute(_STORED_SQL[connection.vendor])
                stored = {idx: (value, bid) for idx, value, bid in cur.fetchall()}
            for v in unique:
                if v.index in held:
                    continue
                if stored is None:
                    accepted_rows.append(v)
                    continue
                stored_value, bid = stored[v.index]
                if bid == batch.pk:
                    accepted_rows.append(v)
                elif stored_value == v.value:
                    duplicates += 1
                else:
                    conflicts.append((v, stored_value))
            if connection.vendor != "postgresql":
                cur.execute("DELETE FROM ingest_staging")  # PostgreSQL empties it at commit (ON COMMIT DELETE ROWS)

    if events:
        RegisterEvent.objects.bulk_create(events)
    if conflicts:
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
    conflict_out = [{"index": v.index, "meter": raw_by_index[v.index].meter, "code": "conflict",
                     "detail": f"A different value ({stored:g}) is stored for this meter and timestamp; "
                               "the stored value stays and the conflict is recorded for review."}
                    for v, stored in conflicts]
    if accepted_rows:
        by_id = {info.id: info for info in meters.values()}
        _dirty_mark_pairs(dirty_pairs(site=site, readings=accepted_rows, meters=by_id))

    result = IngestResult(accepted=len(accepted_rows), duplicates=duplicates, conflicts=len(conflicts),
                          rejected=rejected_out, conflict_rows=conflict_out, batch_id=batch.pk)
    response = result.as_response()
    IngestBatch.objects.filter(pk=batch.pk).update(
        accepted=result.accepted, duplicates=duplicates, conflicts=len(conflicts), rejected=len(rejected_out),
        response=response,
    )
    return result


_DIRTY_SQL = """
INSERT INTO meters_dirtymeterday (meter_id, day, marked_at)
SELECT m, d, now() FROM unnest(%s::bigint[], %s::date[]) AS t(m, d)
ORDER BY m, d
ON CONFLICT (meter_id, day) DO UPDATE SET marked_at = EXCLUDED.marked_at
"""


def dirty_pairs(*, site: Site, readings: Iterable[_Valid], meters: dict[int, _MeterInfo]) -> list[tuple[int, dt.date]]:
    """The (meter, site-local day) pairs whose rollups the readings change. A cumulative reading also changes the day
    of the interval that ends at it (its delta belongs to the interval starting at the previous reading, one interval
    earlier), which is the day before for a reading at local midnight."""
    tz = zoneinfo.ZoneInfo(site.timezone)
    # (ts, lookback minutes) -> local days; a batch has few distinct timestamps, so this is computed a few times.
    days_of: dict[tuple[dt.datetime, int], tuple[dt.date, ...]] = {}
    back = {mid: (info.interval_minutes if info.cumulative else 0) for mid, info in meters.items()}
    pairs: set[tuple[int, dt.date]] = set()
    for v in readings:
        key = (v.ts, back.get(v.meter_id, 0))
        days = days_of.get(key)
        if days is None:
            day = v.ts.astimezone(tz).date()
            before = (v.ts - dt.timedelta(minutes=key[1])).astimezone(tz).date() if key[1] else day
            days = days_of[key] = (day,) if before == day else (day, before)
        for day in days:
            pairs.add((v.meter_id, day))
    return sorted(pairs)


def _dirty_mark_pairs(pairs: list[tuple[int, dt.date]]) -> None:
    """Record dirty meter-days in the caller's transaction, in key order (so concurrent batches lock rows in the same
    order); marked_at is refreshed so a sweep that started before this batch does not consume the mark."""
    if not pairs:
        return
    readings_stored(meter_days=pairs)  # e.g. a closed month becomes "restatement pending" in this transaction
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(_DIRTY_SQL, [_array_literal(m for m, _ in pairs), _array_literal(d for _, d in pairs)])
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
