"""Shared JSON loading for the JSON payload formats."""

from __future__ import annotations

import orjson

from .base import PayloadError


def load(data: bytes) -> object:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise PayloadError("malformed_json", f"The payload is not valid JSON: {exc}.") from exc
