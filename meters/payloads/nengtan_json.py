"""Nengtan's own JSON: {"batch_id": "…", "readings": [{"meter", "ts", "value"}]} (the REST endpoint's body)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from meters.services.ingest import body_parse_json
from meters.services.ingest.types import RawColumns

from .base import ParsedPayload


def parse(data: bytes, *, tags: Mapping[str, str], received_at: dt.datetime) -> ParsedPayload:
    """The meter field may be a meter code or a tag of the gateway's map."""
    batch_key, rows = body_parse_json(data)
    if tags:
        if isinstance(rows, RawColumns):
            rows.meter = [tags[m] if isinstance(m, str) and m in tags else m for m in rows.meter]
        else:
            rows = [row._replace(meter=tags[row.meter]) if isinstance(row.meter, str) and row.meter in tags else row
                    for row in rows]
    return ParsedPayload(rows=rows, batch_key=batch_key)
