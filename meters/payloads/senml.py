"""SenML JSON (RFC 8428): an array of records; base fields (bn, bt, bu, bv, bs) apply to the records that follow.

Name = bn + n; time = bt + t, seconds since the epoch, and a resolved time below 2**28 is relative to now (RFC 8428
section 4.5.3); value = bv + v (or bs + s for a sum). Records with only a string, boolean or data value (vs, vb, vd)
are row errors `unsupported_value`. A name is looked up in the gateway's map as the full resolved name, then as n.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

from ._json import load
from .base import ParsedPayload, PayloadError, bad_ts, epoch_iso

#: RFC 8428 section 4.5.3: a resolved time below 2**28 seconds is relative to the current time.
_RELATIVE_BELOW = 2**28


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def parse(data: bytes, *, tags: Mapping[str, str], received_at: dt.datetime) -> ParsedPayload:
    doc = load(data)
    if not isinstance(doc, list):
        raise PayloadError("malformed_body", "A SenML pack is a JSON array of records.")
    now = received_at.timestamp()
    out = ParsedPayload()
    bn, bt, bv, bs = "", 0.0, 0.0, 0.0
    for record in doc:
        if not isinstance(record, dict):
            out.reject(name="", code="malformed_record", detail="Each SenML record is an object.")
            continue
        bn = record.get("bn", bn) if isinstance(record.get("bn", bn), str) else bn
        for key in ("bt", "bv", "bs"):
            if key in record and not _number(record[key]):
                raise PayloadError("malformed_body", f"SenML base field {key} must be a number.")
        bt, bv, bs = record.get("bt", bt), record.get("bv", bv), record.get("bs", bs)
        n = record.get("n", "")
        if not isinstance(n, str):
            out.reject(name="", code="malformed_record", detail="The SenML name (n) must be a string.")
            continue
        name = bn + n
        if not name:
            out.reject(name="", code="malformed_record", detail="A SenML record needs a name (bn + n).")
            continue
        if "v" in record:
            value = bv + record["v"] if _number(record["v"]) else record["v"]
        elif "s" in record:
            value = bs + record["s"] if _number(record["s"]) else record["s"]
        elif any(k in record for k in ("vs", "vb", "vd")):
            out.reject(name=name, code="unsupported_value",
                       detail="Only numeric SenML values (v, s) are readings; vs, vb and vd are not.")
            continue
        elif "n" not in record:
            continue  # a record that only sets base fields
        else:
            value = None
        t = record.get("t", 0)
        ts: str | None
        if not _number(t):
            ts = bad_ts(t)
        else:
            when = bt + t
            if when < _RELATIVE_BELOW:
                when += now
            ts = epoch_iso(float(when), unit_seconds=1.0)
        out.add(name=name, tags=tags, ts=ts, value=value, candidates=(name, n) if n else ())
    return out
