"""Row types and row error codes of ingestion, and the SQL array literal its modules share."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple, overload

import psycopg
from django.db import connection
from django.db.backends.utils import CursorWrapper
from psycopg.types.datetime import TimestamptzLoader


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


class RawRow(NamedTuple):
    """One row as received: meter, ts and value are unchecked (any JSON value, or None when missing). A tuple, so
    that a parsed body's rows can be built without a Python call per row (see parse.body_parse_json)."""

    index: int  # type: ignore[assignment]  # the row's position, in place of tuple.index (never called)
    meter: object
    ts: object
    value: object


class RawColumns(Sequence[RawRow]):
    """A parsed body's rows as three columns (a row's index is its position): a RawRow is made only for a row that is
    asked for (a refused row, a conflict), not for each row of a batch."""

    __slots__ = ("meter", "ts", "value")

    def __init__(self, meter: list[object], ts: list[object], value: list[object]) -> None:
        if not len(meter) == len(ts) == len(value):
            raise ValueError("the columns differ in length")
        self.meter, self.ts, self.value = meter, ts, value

    def __len__(self) -> int:
        return len(self.meter)

    @overload
    def __getitem__(self, i: int) -> RawRow: ...

    @overload
    def __getitem__(self, i: slice) -> list[RawRow]: ...

    def __getitem__(self, i: int | slice) -> RawRow | list[RawRow]:
        if isinstance(i, slice):
            return [self[k] for k in range(len(self))[i]]
        if i < 0:
            i += len(self)
        return RawRow(i, self.meter[i], self.ts[i], self.value[i])

    def __iter__(self) -> Iterator[RawRow]:
        return map(RawRow._make, zip(range(len(self)), self.meter, self.ts, self.value, strict=True))


def row_columns(rows: Sequence[RawRow]) -> tuple[Sequence[int], Sequence[object], Sequence[object], Sequence[object]]:
    """The rows' indexes, meters, timestamps and values as columns (without a Python step per row)."""
    if isinstance(rows, RawColumns):
        return range(len(rows)), rows.meter, rows.ts, rows.value
    if not rows:
        return (), (), (), ()
    index, meter, ts, value = zip(*rows, strict=True)
    return index, meter, ts, value


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    conflicts: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    conflict_rows: list[dict[str, Any]] = field(default_factory=list)
    batch_id: int | None = None
    replayed: bool = False

    def as_response(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "duplicates": self.duplicates, "conflicts": self.conflicts,
                "rejected": self.rejected, "conflict_rows": self.conflict_rows}


def ingest_cursor() -> CursorWrapper:
    """The cursor of ingestion's statements. On PostgreSQL a psycopg cursor with server-side parameter binding, in
    Django's wrapper (same connection and transaction, database errors as Django's):
    - Django's cursors bind parameters client-side, quoting each into the statement's text: the arrays of a batch
      (tens of kB of ids and timestamps) were escaped and sent inside the SQL, a sixth of a gateway worker's CPU;
      bound server-side they are sent as they are. They are not prepared (Django sets psycopg's prepare_threshold
      to None), and must not be: a generic plan cannot prune the readings' monthly partitions when it is planned
      (measured: the stored-reading probes took a fifth more PostgreSQL time prepared, the meter lookup twenty
      times more), and forcing custom plans for the session replans the foreign-key check of every inserted reading;
    - timestamptz values load through psycopg's C loader, not Django's Python subclass of it (about 3 µs a value);
      the timestamps read here (meters' active periods, stored readings) are only compared, as aware UTC datetimes."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    raw.adapters.register_loader("timestamptz", TimestamptzLoader)
    return CursorWrapper(raw, connection)


def array_literal(items: Iterable[object]) -> str:
    """A PostgreSQL array literal of ints, dates or ISO timestamps (no quoting needed for those)."""
    return "{" + ",".join(map(str, items)) + "}"
