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

import datetime as dt
import re
from collections.abc import Sequence

import orjson
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from meters.models import Gateway
from plants.models import Site

from ..partitions import reading_partitions_for
from .dirty import dirty_mark, dirty_pairs, dirty_pairs_mark
from .parse import body_decode, body_parse_csv, body_parse_json
from .types import ROW_ERROR_DETAILS, IngestResult, RawColumns, RawRow, RowError, ingest_cursor, row_columns
from .validate import MeterInfo, ValidRow, meters_resolve, rows_validate, ts_parse
from .write import REGISTER_LOOKBACK_DAYS, readings_write

__all__ = [
    "REGISTER_LOOKBACK_DAYS", "ROW_ERROR_DETAILS", "IngestResult", "MeterInfo", "RawColumns", "RawRow", "RowError",
    "ValidRow", "body_decode", "body_parse_csv", "body_parse_json", "dirty_mark", "dirty_pairs", "dirty_pairs_mark",
    "meters_resolve", "readings_ingest", "rows_validate",
]


def readings_ingest(
    *, site: Site, rows: Sequence[RawRow], gateway: Gateway | None = None, batch_key: str | None = None,
    source: str = "gateway", now: dt.datetime | None = None,
) -> IngestResult:
    """Store the valid rows of one batch and report every other row; replay the answer of a repeated batch id."""
    now = now or timezone.now()
    if batch_key is not None and gateway is not None and (found := _batch_answer(gateway, batch_key)) is not None:
        return found
    _index, _meter, ts_column, _value = row_columns(rows)
    try:
        stamps = {t for t in set(ts_column) if isinstance(t, str)}  # few distinct values: filtered after
    except TypeError:  # a timestamp sent as a JSON list or object (refused later as invalid)
        stamps = {t for t in ts_column if isinstance(t, str)}
    if stamps and connection.vendor == "postgresql":
        _partitions_prepare(stamps)
    try:
        for attempt in range(3):
            try:
                with transaction.atomic():
                    return readings_write(site=site, rows=rows, gateway=gateway, batch_key=batch_key, source=source,
                                          now=now)
            except OperationalError as exc:
                # Two batches touching the same rows may deadlock despite the ordered insert; PostgreSQL aborts one,
                # which is retried as a whole (nothing of it was written).
                if attempt == 2 or getattr(getattr(exc, "__cause__", None), "sqlstate", None) not in ("40P01", "40001"):
                    raise
            except IntegrityError as exc:
                # A concurrent batch stored one of this batch's readings after its probe (write._write_postgresql):
                # the batch is run again, and its probe finds the reading stored. Another violation (the batch id,
                # already used) is answered below.
                if attempt == 2 or not _reading_key_taken(exc):
                    raise
        raise AssertionError("unreachable: the third attempt returned or raised")
    except IntegrityError:
        # A concurrent request with the same batch id won the race: replay its answer.
        found = _batch_answer(gateway, batch_key) if gateway is not None and batch_key is not None else None
        if found is None:
            raise
        return found


_READING_KEY = re.compile(r"meters_reading(_\d{6}|_default)?_pkey")


def _reading_key_taken(exc: IntegrityError) -> bool:
    """The violation is of a reading's primary key (meter, ts), on the table or one of its monthly partitions."""
    diag = getattr(getattr(exc, "__cause__", None), "diag", None)
    return bool(diag is not None and diag.constraint_name and _READING_KEY.fullmatch(diag.constraint_name))


def _batch_answer(gateway: Gateway, batch_key: str) -> IngestResult | None:
    """The stored answer of the gateway's batch with this id, replayed; None if there is none."""
    with ingest_cursor() as cur:
        cur.execute("SELECT response, id FROM meters_ingestbatch WHERE gateway_id = %s AND batch_key = %s",
                    [gateway.pk, batch_key])
        found = cur.fetchone()
    if found is None:
        return None
    response = found[0] if isinstance(found[0], dict) else orjson.loads(found[0])
    return IngestResult(**response, batch_id=found[1], replayed=True)


def _partitions_prepare(stamps: set[str]) -> None:
    """Create the monthly partitions a batch needs before its transaction (DDL must not run inside it), from its
    distinct timestamp texts (a batch has few: many meters per instant), or from the least and greatest text when it
    has many; unparsable ones are ignored here and rejected later."""
    parsed: list[dt.datetime] = []
    for text in stamps if len(stamps) <= 64 else {min(stamps), max(stamps)}:
        ts, _err = ts_parse(text)
        if ts is not None:
            parsed.append(ts)
    if parsed:
        reading_partitions_for(timestamps_min=min(parsed), timestamps_max=max(parsed))
