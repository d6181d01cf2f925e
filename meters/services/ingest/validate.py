"""Validation of a batch's raw rows in bulk: meters resolved in one query, timestamps parsed once."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import repeat

import numpy as np
from django.conf import settings
from django.db import connection

from meters.models import (
    Gateway,
    Meter,
)
from plants.models import Site
from plants.validators import normalize_code

from ...units import READING_VALUE_CEILING, max_reading, unit_allowed
from .types import RawRow, RowError, ingest_cursor, row_columns


@dataclass(slots=True)
class MeterInfo:
    id: int
    cumulative: bool
    rollover: float | None
    active_from: dt.datetime
    active_to: dt.datetime | None
    allowed: bool
    interval_minutes: int = 15
    max_value: float = READING_VALUE_CEILING  # plausibility limit of one reading (meters.units.max_reading)
    unit_ok: bool = True  # the meter's unit is one its carrier allows
    # Derived (see __post_init__): readings may be reported at all, and the closed range of a plausible value.
    usable: bool = field(init=False, default=True)
    low: float = field(init=False, default=0.0)
    high: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        self.usable = self.allowed and self.unit_ok
        # An interval quantity is not negative; a value is at most the plausibility limit in size, and a register
        # value stays below its rollover modulus (the largest float below it).
        self.low = -self.max_value if self.cumulative else 0.0
        self.high = self.max_value if not self.cumulative or self.rollover is None \
            else min(self.max_value, math.nextafter(self.rollover, -math.inf))


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


def meters_resolve(*, site: Site, gateway: Gateway | None, codes: Iterable[object]) -> dict[str, MeterInfo]:
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
        with ingest_cursor() as cur:
            cur.execute(_METERS_SQL.format(listed=_LISTED[gateway is not None]),
                        {"site": site.pk, "codes": codes, "gw": gateway.pk if gateway is not None else None})
            found = cur.fetchall()
    else:
        qs = Meter.objects.filter(site=site, code__in=codes)
        allow = set(gateway.allowed_meters.values_list("id", flat=True)) if gateway is not None else set()
        found = [(*m[:7], not allow or m[0] in allow, *m[7:]) for m in qs.values_list(
            "id", "code", "reading_kind", "rollover_value", "active_from", "active_to", "interval_minutes",
            "carrier", "unit", "max_reading")]
    # (carrier, unit, own limit) -> (max reading, unit allowed): most meters of a site share one
    limits: dict[tuple[str, str, object], tuple[float, bool]] = {}
    for mid, code, kind, rollover, afrom, ato, interval, allowed, carrier, unit, own_max in found:
        limit = limits.get((carrier, unit, own_max))
        if limit is None:
            limit = limits[carrier, unit, own_max] = (max_reading(carrier=carrier, unit=unit, own=own_max),
                                                      unit_allowed(carrier=carrier, unit=unit))
        info = MeterInfo(mid, kind == Meter.ReadingKind.CUMULATIVE,
                          float(rollover) if rollover is not None else None, afrom, ato, bool(allowed), interval,
                          *limit)
        for as_sent in sent.get(code, [code]):
            out[as_sent] = info
    return out


def ts_parse(text: object) -> tuple[dt.datetime | None, RowError | None]:
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


def _parse_value(raw: object) -> tuple[float | None, RowError | None]:
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


#: The end of an open-ended active period, for comparisons.
_NEVER = dt.datetime.max.replace(tzinfo=dt.UTC)


@dataclass(slots=True)
class ValidRow:
    index: int
    meter_id: int
    ts: dt.datetime
    value: float
    ts_text: str = ""  # the UTC ISO form, for COPY


def rows_validate(
    rows: Iterable[RawRow], meters: dict[str, MeterInfo], now: dt.datetime,
) -> tuple[list[ValidRow], list[tuple[RawRow, RowError, str | None]]]:
    """Split rows into valid ones and (row, code, detail) rejects. A batch repeats few distinct timestamps (many
    meters per instant), so each timestamp text is parsed once."""
    limit = now + dt.timedelta(seconds=settings.INGEST_FUTURE_TOLERANCE_SECONDS)
    valid: list[ValidRow] = []
    rejected: list[tuple[RawRow, RowError, str | None]] = []
    ts_cache: dict[str, tuple[dt.datetime | None, RowError | None, str]] = {}
    # The common row first: a usable meter, a timestamp already parsed without error, a float in range and a meter
    # active then, checked against one tuple per meter (id, least and greatest value, active from, active to) and one
    # per timestamp text (UTC datetime, ISO text). Every other row takes the checks below, which say why it is
    # refused.
    fast = {code: (info.id, info.low, info.high, info.active_from, info.active_to or _NEVER)
            for code, info in meters.items() if info.usable}
    good_ts: dict[str, tuple[dt.datetime, str]] = {}
    for row in rows:
        index, meter, text, raw = row
        if type(meter) is str and type(text) is str and type(raw) is float:
            f, p = fast.get(meter), good_ts.get(text)
            if f is not None and p is not None and f[1] <= raw <= f[2] and f[3] <= p[0] < f[4]:
                valid.append(ValidRow(index, f[0], p[0], raw, p[1]))
                continue
        info = meters.get(meter) if isinstance(meter, str) else None
        parsed = ts_cache.get(text) if isinstance(text, str) else None
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
        if parsed is None:
            ts, err = ts_parse(text)
            if err is None and ts > limit:  # type: ignore[operator]  # ts is set when err is None (ts_parse)
                err = RowError.TIMESTAMP_IN_FUTURE
            parsed = (ts, err, ts.isoformat() if ts is not None and err is None else "")
            if isinstance(text, str):
                ts_cache[text] = parsed
                if err is None:
                    good_ts[text] = (parsed[0], parsed[2])  # type: ignore[assignment]  # ts is set when err is None
        ts, err, iso = parsed
        if err is None and ts is not None and (ts < info.active_from or (info.active_to is not None
                                                                        and ts >= info.active_to)):
            err = RowError.METER_INACTIVE
        if err is None:
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
        valid.append(ValidRow(row.index, info.id, ts, value, iso))  # type: ignore[arg-type]  # both set: err is None
    return valid, rejected


#: Timestamps of the columns: microseconds since PostgreSQL's epoch, as its binary COPY format has them.
PG_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)
_US_MIN, _US_MAX = np.iinfo(np.int64).min, np.iinfo(np.int64).max


def pg_micros(ts: dt.datetime) -> int:
    """An aware datetime as microseconds since PostgreSQL's epoch."""
    return (ts - PG_EPOCH) // _MICROSECOND


@dataclass
class ValidColumns:
    """A batch's valid rows as columns, in batch order: the row's index, its meter's id, its timestamp (microseconds
    since PostgreSQL's epoch), its value, and which of the batch's distinct timestamps it has (`stamps`: the UTC
    datetime and its ISO text)."""

    index: np.ndarray  # int64
    meter_id: np.ndarray  # int64
    ts_us: np.ndarray  # int64
    value: np.ndarray  # float64
    stamp: np.ndarray  # int64, into stamps
    stamps: list[tuple[dt.datetime, str]]

    def __len__(self) -> int:
        return len(self.index)

    def take(self, positions: np.ndarray) -> ValidColumns:
        """The rows at these positions, in their order."""
        return ValidColumns(index=self.index[positions], meter_id=self.meter_id[positions], ts_us=self.ts_us[positions],
                            value=self.value[positions], stamp=self.stamp[positions], stamps=self.stamps)

    def rows(self) -> list[ValidRow]:
        """The rows as ValidRows (columns read as lists first: numpy's item access costs more than a row)."""
        stamps = self.stamps
        return [ValidRow(idx, meter_id, stamps[k][0], value, stamps[k][1]) for idx, meter_id, value, k in zip(
            self.index.tolist(), self.meter_id.tolist(), self.value.tolist(), self.stamp.tolist(), strict=True)]

    def row(self, k: int) -> ValidRow:
        """The k-th row as a ValidRow."""
        ts, text = self.stamps[self.stamp[k]]
        return ValidRow(int(self.index[k]), int(self.meter_id[k]), ts, float(self.value[k]), text)


def _columns_of(valid: list[ValidRow], stamps: list[tuple[dt.datetime, str]] | None = None) -> ValidColumns:
    """ValidRows as columns (their stamps appended to `stamps`, one per instant)."""
    stamps = [] if stamps is None else stamps
    stamp_of: dict[str, int] = {}
    for v in valid:
        if v.ts_text not in stamp_of:
            stamp_of[v.ts_text] = len(stamps)
            stamps.append((v.ts, v.ts_text))
    stamp = np.fromiter((stamp_of[v.ts_text] for v in valid), np.int64, len(valid))
    micros = np.array([pg_micros(ts) for ts, _text in stamps], np.int64)
    return ValidColumns(index=np.fromiter((v.index for v in valid), np.int64, len(valid)),
                        meter_id=np.fromiter((v.meter_id for v in valid), np.int64, len(valid)),
                        ts_us=micros[stamp] if len(valid) else np.empty(0, np.int64),
                        value=np.fromiter((v.value for v in valid), np.float64, len(valid)),
                        stamp=stamp, stamps=stamps)


def rows_validate_columns(
    rows: Sequence[RawRow], meters: dict[str, MeterInfo], now: dt.datetime,
) -> tuple[ValidColumns, list[tuple[RawRow, RowError, str | None]]]:
    """rows_validate's answer, the valid rows as columns. The common row (a usable meter, a timestamp parsed without
    error and not in the future, a float within the meter's range, the meter active then: rows_validate's first
    test) is recognised for the whole batch at once with numpy, without a Python step per row; every other row goes
    through rows_validate, which refuses it with its reason or accepts it."""
    n = len(rows)
    if not n:
        return _columns_of([]), []
    limit = now + dt.timedelta(seconds=settings.INGEST_FUTURE_TOLERANCE_SECONDS)
    stamps: list[tuple[dt.datetime, str]] = []
    stamp_of: dict[object, int] = {}
    usable_codes = [(code, info) for code, info in meters.items() if info.usable]
    usable = [info for _code, info in usable_codes]
    meter_of: dict[object, int] = {code: k for k, (code, _info) in enumerate(usable_codes)}
    try:
        index_col, meter_col, ts_col, value_col = row_columns(rows)
        for text in set(ts_col):
            if type(text) is str:
                ts, err = ts_parse(text)
                if ts is not None and err is None and ts <= limit:
                    stamp_of[text] = len(stamps)
                    stamps.append((ts, ts.isoformat()))
        m_k = np.fromiter(map(meter_of.get, meter_col, repeat(-1)), np.int64, n)
        t_k = np.fromiter(map(stamp_of.get, ts_col, repeat(-1)), np.int64, n)
    except TypeError:  # a meter or timestamp sent as a JSON list or object: every row is checked one by one
        valid, rejected = rows_validate(rows, meters, now)
        return _columns_of(valid), rejected
    # Per usable meter, and a last entry that no row passes (index -1: an unknown or unusable meter, a timestamp
    # refused).
    low = np.array([i.low for i in usable] + [math.inf])
    high = np.array([i.high for i in usable] + [-math.inf])
    active_from = np.array([pg_micros(i.active_from) for i in usable] + [_US_MAX], np.int64)
    active_to = np.array([pg_micros(i.active_to) if i.active_to is not None else _US_MAX for i in usable] + [_US_MIN],
                         np.int64)
    ids = np.array([i.id for i in usable] + [-1], np.int64)
    stamp_us = np.array([pg_micros(ts) for ts, _text in stamps] + [_US_MIN], np.int64)
    if set(map(type, value_col)) == {float}:
        value = np.array(value_col, np.float64)
    else:  # other types (strings, integers, null) take the checks one by one
        value = np.fromiter((x if type(x) is float else math.nan for x in value_col), np.float64, n)
    ts_us = stamp_us[t_k]
    ok = (low[m_k] <= value) & (value <= high[m_k]) & (active_from[m_k] <= ts_us) & (ts_us < active_to[m_k])
    fast = np.flatnonzero(ok)
    cols = ValidColumns(index=np.array(index_col, np.int64)[fast], meter_id=ids[m_k[fast]], ts_us=ts_us[fast],
                        value=value[fast], stamp=t_k[fast], stamps=stamps)
    if len(fast) == n:
        return cols, []
    # The other rows, numbered by their position in the batch while rows_validate checks them.
    rest = np.flatnonzero(~ok).tolist()
    valid, bad = rows_validate([rows[p]._replace(index=p) for p in rest], meters, now)
    rejected = [(rows[raw.index], code, detail) for raw, code, detail in bad]
    if not valid:
        return cols, rejected
    positions = np.array([v.index for v in valid], np.int64)
    more = _columns_of([ValidRow(index_col[v.index], v.meter_id, v.ts, v.value, v.ts_text) for v in valid],
                       stamps=stamps)
    order = np.argsort(np.concatenate([fast, positions]), kind="stable")
    return ValidColumns(
        index=np.concatenate([cols.index, more.index])[order],
        meter_id=np.concatenate([cols.meter_id, more.meter_id])[order],
        ts_us=np.concatenate([cols.ts_us, more.ts_us])[order],
        value=np.concatenate([cols.value, more.value])[order],
        stamp=np.concatenate([cols.stamp, more.stamp])[order], stamps=stamps), rejected
