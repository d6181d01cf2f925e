"""InfluxDB line protocol as Telegraf's influx serializer writes it (outputs.http / outputs.mqtt, data_format =
"influx"):

    measurement[,tag=value…] field=value[,field=value…] [timestamp]

Timestamps are integers in nanoseconds unless another precision is given (the InfluxDB write API's `precision`:
ns, us, ms, s). Backslash escapes commas, spaces and equals signs in names; string field values are double-quoted.
Integer fields end in i (u for unsigned); t/true/false fields are booleans. Each numeric field is one reading, looked
up in the gateway's map as "<measurement>,<tags in line order>/<field>", then "<measurement>/<field>", then "<field>".
Boolean and string fields are row errors `unsupported_value`; a line that cannot be read is a row error
`malformed_line`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from .base import ParsedPayload, PayloadError, bad_ts, epoch_iso

PRECISIONS = {"ns": 1e-9, "n": 1e-9, "us": 1e-6, "u": 1e-6, "ms": 1e-3, "s": 1.0}


class _LineError(ValueError):
    pass


def _split(text: str, seps: str, stop: str = "") -> tuple[list[str], str]:
    """Split `text` on unescaped, unquoted characters of `seps` until an unescaped `stop`; return parts and rest."""
    parts, cur, i, quoted = [], [], 0, False
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            cur.append(c + text[i + 1])
            i += 2
            continue
        if c == '"':
            quoted = not quoted
        elif not quoted and c in stop:
            parts.append("".join(cur))
            return parts, text[i + 1:]
        elif not quoted and c in seps:
            parts.append("".join(cur))
            cur = []
            i += 1
            continue
        cur.append(c)
        i += 1
    if quoted:
        raise _LineError("unterminated string")
    parts.append("".join(cur))
    return parts, ""


def _unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in ', ="\\':
            out.append(text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _field_value(raw: str) -> object:
    """A float, or ("unsupported", text) for booleans and strings."""
    if raw.startswith('"'):
        return ("unsupported", "string")
    if raw in ("t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE"):
        return ("unsupported", "boolean")
    number = raw[:-1] if raw[-1:] in ("i", "u") else raw
    try:
        return int(number) if raw[-1:] in ("i", "u") else float(number)
    except ValueError as exc:
        raise _LineError(f"field value {raw!r} is not a number") from exc


def _line(line: str) -> tuple[str, str, list[tuple[str, object]], str | None]:
    series_parts, rest = _split(line, ",", stop=" ")
    if not rest:
        raise _LineError("no fields")
    measurement = _unescape(series_parts[0])
    if not measurement:
        raise _LineError("no measurement")
    for tag in series_parts[1:]:
        if "=" not in tag:
            raise _LineError(f"tag {tag!r} has no value")
    series = ",".join([series_parts[0], *series_parts[1:]])
    field_parts, rest = _split(rest, ",", stop=" ")
    fields = []
    for part in field_parts:
        pieces, value = _split(part, "", stop="=")
        if not value:
            raise _LineError(f"field {part!r} has no value")
        fields.append((_unescape(pieces[0]), _field_value(value)))
    stamp = rest.strip() or None
    return _unescape(series), measurement, fields, stamp


def parse(data: bytes, *, tags: Mapping[str, str], received_at: dt.datetime, precision: str = "ns") -> ParsedPayload:
    if precision not in PRECISIONS:
        raise PayloadError("invalid_precision", f"precision must be one of {', '.join(PRECISIONS)}.")
    unit = PRECISIONS[precision]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadError("malformed_body", "Line protocol must be UTF-8.") from exc
    out = ParsedPayload()
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            series, measurement, fields, stamp = _line(line)
        except _LineError as exc:
            out.reject(name=line[:64], code="malformed_line", detail=f"The line cannot be read: {exc}.")
            continue
        if stamp is None:
            ts: str | None = None
        else:
            try:
                ts = epoch_iso(int(stamp), unit_seconds=unit) or bad_ts(stamp)
            except ValueError:
                ts = bad_ts(stamp)
        for key, value in fields:
            if isinstance(value, tuple):
                out.reject(name=key, code="unsupported_value",
                           detail=f"Field {key!r} of {measurement!r} is a {value[1]}, not a number.")
                continue
            out.add(name=key, tags=tags, ts=ts, value=value,
                    candidates=(f"{series}/{key}", f"{measurement}/{key}"))
    return out
