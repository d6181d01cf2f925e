"""Payload formats that gateways already speak, turned into the ingestion service's rows (pure parsing, no I/O).

Each module has `parse(data, *, tags, received_at, …) -> ParsedPayload`; `tags` maps the gateway's tag / metric
names to meter codes (meters.GatewayTag). FORMATS names them for MQTT topics, CONTENT_TYPES for HTTP.
"""

from __future__ import annotations

from . import influx_line, nengtan_json, neuron, senml, sparkplug, thingsboard
from .base import ParsedPayload, PayloadError

#: Format name (as used in MQTT topics) -> parser module.
FORMATS = {
    "json": nengtan_json,
    "neuron": neuron,
    "thingsboard": thingsboard,
    "senml": senml,
    "influx": influx_line,
    "sparkplug": sparkplug,
}

#: HTTP Content-Type -> format name. application/json and text/csv stay with the readings endpoint's own parsers.
CONTENT_TYPES = {
    "application/vnd.neuron+json": "neuron",
    "application/vnd.thingsboard+json": "thingsboard",
    "application/senml+json": "senml",  # registered by RFC 8428
    "text/plain": "influx",  # what Telegraf's outputs.http sends for data_format = "influx"
    "application/vnd.influx.line-protocol": "influx",
    "application/vnd.sparkplug-b+protobuf": "sparkplug",
}

__all__ = ["CONTENT_TYPES", "FORMATS", "ParsedPayload", "PayloadError"]
