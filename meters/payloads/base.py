"""What every payload parser returns: rows in the ingestion service's form, per-row parse errors, session events."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from energy_platform.errors import ApplicationError
from meters.services.ingest import RawRow

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class PayloadError(ApplicationError):
    """The whole payload cannot be read (a 400 over HTTP, an error reply over MQTT)."""


@dataclass
class ParsedPayload:
    """`rows` go to readings_ingest; `errors` are rows the parser itself could not turn into readings (same shape as
    the ingestion service's rejected rows: index, meter, code, detail), numbered in the same index space."""

    rows: Sequence[RawRow] = field(default_factory=list)  # a list, or a parsed body's RawColumns
    errors: list[dict[str, Any]] = field(default_factory=list)
    batch_key: str | None = None
    #: "online" / "offline" when the message states the gateway's session (Sparkplug NBIRTH / NDEATH).
    session: str | None = None
    #: Sparkplug alias tables learned from a birth, {"<edge node>[/<device>]": {"<alias>": [name, datatype]}}.
    aliases: dict[str, dict[str, list[Any]]] = field(default_factory=dict)

    def add(self, *, name: str, tags: Mapping[str, str], ts: str | None, value: object,
            candidates: tuple[str, ...] = ()) -> None:
        """Append one reading of the tag `name` (mapped to a meter through `tags`, trying `candidates` first)."""
        # A None timestamp is a missing field, reported by the ingestion service like the REST body's.
        rows = self.rows if isinstance(self.rows, list) else list(self.rows)
        rows.append(RawRow(self.next_index, tag_meter(tags, *candidates, name), ts, value))
        self.rows = rows

    def reject(self, *, name: str, code: str, detail: str) -> None:
        self.errors.append({"index": self.next_index, "meter": name, "code": code, "detail": detail})

    @property
    def next_index(self) -> int:
        return len(self.rows) + len(self.errors)


def tag_meter(tags: Mapping[str, str], *names: str) -> str:
    """The meter code of the first of `names` (most specific first) that the gateway's tag map lists; when none is
    listed, the last (plainest) name itself, so a gateway whose tag names are meter codes needs no map. An unknown
    name is then reported by the ingestion service as `unknown_meter`."""
    for name in names:
        code = tags.get(name)
        if code is not None:
            return code
    return names[-1]


def epoch_iso(value: object, *, unit_seconds: float) -> str | None:
    """An epoch timestamp (in units of `unit_seconds`) as a UTC ISO 8601 text, or None when it is not a number.
    Integers are converted exactly (no float rounding of millisecond or nanosecond stamps)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    try:
        if isinstance(value, int):
            if unit_seconds == 1e-3:
                delta = dt.timedelta(milliseconds=value)
            elif unit_seconds == 1e-9:
                delta = dt.timedelta(microseconds=value // 1000)
            elif unit_seconds == 1e-6:
                delta = dt.timedelta(microseconds=value)
            else:
                delta = dt.timedelta(seconds=value * unit_seconds)
        else:
            delta = dt.timedelta(microseconds=round(value * unit_seconds * 1e6))
        return (_EPOCH + delta).isoformat()
    except (OverflowError, ValueError):
        return None


def bad_ts(raw: object) -> str:
    """A text the ingestion service rejects as `invalid_timestamp` (it keeps the offending value visible)."""
    return f"invalid:{raw!r}"[:64]
