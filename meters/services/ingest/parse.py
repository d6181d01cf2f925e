"""Parsing an ingestion request body (gzip, JSON, CSV) into raw rows."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Sequence
from operator import itemgetter

import orjson
from django.conf import settings

from energy_platform.errors import ApplicationError

from .types import RawColumns, RawRow


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


_METER, _TS, _VALUE = itemgetter("meter"), itemgetter("ts"), itemgetter("value")


def _check_row_count(n: int) -> None:
    if n > settings.INGEST_MAX_ROWS:
        raise ApplicationError("too_many_rows", f"A batch may hold at most {settings.INGEST_MAX_ROWS} readings; "
                               f"this one has {n}.", status_code=413)


def body_parse_json(data: bytes) -> tuple[str | None, Sequence[RawRow]]:
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
    rows: Sequence[RawRow]
    try:
        # Every item an object with the three keys (a gateway's usual batch): the rows are kept as three columns,
        # read without a Python step per row.
        rows = RawColumns(list(map(_METER, readings)), list(map(_TS, readings)), list(map(_VALUE, readings)))
    except (KeyError, TypeError, IndexError):  # an item that is not an object, or lacks a key
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
