"""EMQX Neuron's MQTT upload, both upload formats (Neuron docs, "North apps / MQTT / data upload"):

values-format: {"timestamp": 1650006388943, "node": "modbus", "group": "grp", "values": {"tag0": 123},
                "errors": {"tag1": 2014}}
tags-format:   {"timestamp": 1647497389075, "node": "modbus", "group": "grp",
                "tags": [{"name": "tag0", "value": 123}, {"name": "tag1", "error": 2014}]}
`timestamp` is Unix milliseconds. Neuron before 2.1 wrote node_name/group_name. A tag is looked up in the gateway's
map as "<node>/<group>/<tag>", then "<tag>". A tag reported with an error code becomes a row error `tag_error`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from ._json import load
from .base import ParsedPayload, PayloadError, bad_ts, epoch_iso


def parse(data: bytes, *, tags: Mapping[str, str], received_at: dt.datetime) -> ParsedPayload:
    doc = load(data)
    if not isinstance(doc, dict) or not ("values" in doc or "tags" in doc):
        raise PayloadError("malformed_body", 'A Neuron upload is an object with "values" or "tags".')
    node = str(doc.get("node", doc.get("node_name", "")))
    group = str(doc.get("group", doc.get("group_name", "")))
    raw_ts = doc.get("timestamp")
    ts = epoch_iso(raw_ts, unit_seconds=1e-3) if raw_ts is not None else None
    if raw_ts is not None and ts is None:
        ts = bad_ts(raw_ts)
    values: list[tuple[str, object]] = []
    errors: list[tuple[str, object]] = []
    if isinstance(doc.get("values"), dict):
        values += list(doc["values"].items())
    if isinstance(doc.get("errors"), dict):
        errors += list(doc["errors"].items())
    if isinstance(doc.get("tags"), list):
        for item in doc["tags"]:
            if not isinstance(item, dict):
                continue
            if "error" in item:
                errors.append((str(item.get("name", "")), item["error"]))
            else:
                values.append((str(item.get("name", "")), item.get("value")))
    out = ParsedPayload()
    for name, value in values:
        out.add(name=name, tags=tags, ts=ts, value=value, candidates=(f"{node}/{group}/{name}",))
    for name, code in errors:
        out.reject(name=name, code="tag_error", detail=f"The gateway reported error {code} for tag {name!r}.")
    return out
