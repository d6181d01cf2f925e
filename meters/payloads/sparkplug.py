"""Sparkplug B (Eclipse Sparkplug 3.0): protobuf payloads on spBv1.0/<group>/<type>/<edge node>[/<device>].

NBIRTH / DBIRTH declare each metric's name, alias and datatype (and carry current values, which are readings too);
NDATA / DDATA may then send only the alias. Aliases are unique within an edge node, so the table is kept per edge
node: an NBIRTH starts a new one (a new session), a DBIRTH adds to it. NDEATH marks the session offline (it is the
edge node's MQTT last will). A metric is looked up in the gateway's map as "<device>/<name>", then "<name>".
Integer datatypes Int8..Int64 arrive as unsigned two's complement and are sign-converted; Boolean, String, bytes
and null metrics are row errors `unsupported_value`; an alias no birth declared is `unknown_alias`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, cast

from google.protobuf.message import DecodeError

from .base import ParsedPayload, PayloadError, bad_ts, epoch_iso
from .sparkplug_b_pb2 import Payload

MESSAGE_TYPES = ("NBIRTH", "DBIRTH", "NDATA", "DDATA", "NDEATH", "DDEATH", "NCMD", "DCMD", "STATE")

# Sparkplug datatype codes (specification 6.4.16): Int8, Int16, Int32, Int64; UInt8..UInt64; Float; Double.
_SIGNED_BITS = {1: 32, 2: 32, 3: 32, 4: 64}
_NUMERIC = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}


def _value(metric: Payload.Metric, datatype: int) -> float | int | None:
    which = metric.WhichOneof("value")
    if metric.is_null or which is None or which in ("boolean_value", "string_value", "bytes_value"):
        return None
    value = cast(float | int, getattr(metric, which))
    bits = _SIGNED_BITS.get(datatype)
    if bits and which in ("int_value", "long_value") and value >= 2 ** (bits - 1):
        value -= 2**bits
    return value


def parse(data: bytes, *, tags: Mapping[str, str], received_at: dt.datetime, message_type: str, edge_node: str,
          device: str | None = None, aliases: Mapping[str, Mapping[str, list[Any]]] | None = None) -> ParsedPayload:
    """`aliases` is the table learned so far ({edge node: {alias: [name, datatype]}}); the result's `aliases`
    holds the edge node's table after this message when a birth changed it."""
    if message_type not in MESSAGE_TYPES:
        raise PayloadError("malformed_topic", f"{message_type!r} is not a Sparkplug B message type.")
    try:
        payload = Payload.FromString(data)
    except DecodeError as exc:
        raise PayloadError("malformed_protobuf", f"The Sparkplug B payload cannot be decoded: {exc}.") from exc
    out = ParsedPayload()
    if message_type == "NDEATH":
        out.session = "offline"
        return out
    if message_type not in ("NBIRTH", "DBIRTH", "NDATA", "DDATA"):
        return out  # commands, device deaths and host state carry no readings
    table = {} if message_type == "NBIRTH" else dict((aliases or {}).get(edge_node, {}))
    births = message_type.endswith("BIRTH")
    if message_type == "NBIRTH":
        out.session = "online"
    default_ts = payload.timestamp if payload.HasField("timestamp") else None
    for metric in payload.metrics:
        alias = str(metric.alias) if metric.HasField("alias") else None
        name = metric.name if metric.HasField("name") else None
        datatype = metric.datatype if metric.HasField("datatype") else 0
        if births and alias is not None and name:
            table[alias] = [name, datatype]
        if name is None and alias is not None and alias in table:
            name, datatype = table[alias][0], datatype or table[alias][1]
        if name is None:
            out.reject(name=f"alias {alias}", code="unknown_alias",
                       detail=f"No birth certificate declared alias {alias} for edge node {edge_node!r}.")
            continue
        if name.startswith("bdSeq") or name.startswith("Node Control/") or name.startswith("Properties/"):
            continue  # session bookkeeping and node settings, not measurements
        value = _value(metric, datatype)
        if value is None or (datatype and datatype not in _NUMERIC):
            out.reject(name=name, code="unsupported_value",
                       detail=f"Metric {name!r} has no numeric value (null, boolean, string or bytes).")
            continue
        stamp = metric.timestamp if metric.HasField("timestamp") else default_ts
        ts = epoch_iso(stamp, unit_seconds=1e-3) or bad_ts(stamp) if stamp is not None else None
        out.add(name=name, tags=tags, ts=ts, value=float(value),
                candidates=(f"{device}/{name}",) if device else ())
    if births:
        out.aliases = {edge_node: table}
    return out


def topic_parse(topic: str) -> dict[str, str | None]:
    """spBv1.0/<group>/<message type>/<edge node>[/<device>] -> parse() keyword arguments (and the group)."""
    parts = topic.split("/")
    if len(parts) not in (4, 5) or parts[0] != "spBv1.0" or parts[2] not in MESSAGE_TYPES:
        raise PayloadError("malformed_topic", f"{topic!r} is not a Sparkplug B topic "
                                              "(spBv1.0/<group>/<type>/<edge node>[/<device>]).")
    return {"group": parts[1], "message_type": parts[2], "edge_node": parts[3],
            "device": parts[4] if len(parts) == 5 else None}
