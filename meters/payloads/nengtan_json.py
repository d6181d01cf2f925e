"""Nengtan's own JSON: {"batch_id": "…", "readings": [{"meter", "ts", "value"}]} (the REST endpoint's body)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from meters.services.ingest import body_parse_json

from .base import ParsedPayload


def parse(data: bytes, *, tags: Mapping[str, str], received_at: dt.datetime) -> ParsedPayload:
    """The meter field may be a meter code or a tag of the gateway's map."""
    batch_key, rows = body_parse_json(data)
    for n, row in enumerate(rows):
        if isinstance(row.meter, str) and row.meter in tags:
            rows[n] = row._replace(meter=tags[row.meter])
    return ParsedPayload(rows=rows, batch_key=batch_key)
