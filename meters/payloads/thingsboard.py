"""ThingsBoard gateway telemetry (ThingsBoard docs, "Gateway MQTT API / Telemetry", topic v1/gateway/telemetry):

{"Device A": [{"ts": 1483228800000, "values": {"temperature": 42, "humidity": 80}}, …], "Device B": […]}
`ts` is Unix milliseconds; without it ThingsBoard uses the time the message is received, and so do we. A key is
looked up in the gateway's map as "<device>/<key>", then "<key>".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from ._json import load
from .base import ParsedPayload, PayloadError, bad_ts, epoch_iso


def parse(data: bytes, *, tags: Mapping[str, str], received_at: dt.datetime) -> ParsedPayload:
    doc = load(data)
    if not isinstance(doc, dict) or not all(isinstance(v, list) for v in doc.values()):
        raise PayloadError("malformed_body", "A ThingsBoard gateway message maps device names to lists of "
                                             '{"ts", "values"} objects.')
    out = ParsedPayload()
    for device, entries in doc.items():
        for entry in entries:
            if not isinstance(entry, dict):
                out.reject(name=device, code="malformed_entry", detail='Each entry is an object {"ts", "values"}.')
                continue
            values = entry.get("values") if "values" in entry else {k: v for k, v in entry.items() if k != "ts"}
            if not isinstance(values, dict):
                out.reject(name=device, code="malformed_entry", detail='"values" must be an object.')
                continue
            raw_ts = entry.get("ts")
            if raw_ts is None:
                ts = received_at.astimezone(dt.UTC).isoformat()
            else:
                ts = epoch_iso(raw_ts, unit_seconds=1e-3) or bad_ts(raw_ts)
            for key, value in values.items():
                out.add(name=key, tags=tags, ts=ts, value=value, candidates=(f"{device}/{key}",))
    return out
