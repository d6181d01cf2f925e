"""Readings in the payload formats gateways already speak (meters/payloads), over HTTP or MQTT, through the same
ingestion service as the REST body: same validation, idempotency and per-row errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from energy_platform.errors import ApplicationError
from meters.models import Gateway, IngestBatch, RejectedRow
from meters.models_gateways import GatewayState, GatewayTag
from meters.payloads import FORMATS, PayloadError

from .ingest import IngestResult, readings_ingest


def gateway_tag_map(*, gateway: Gateway) -> dict[str, str]:
    """The gateway's tag -> meter code map, in one query."""
    return dict(GatewayTag.objects.filter(gateway=gateway).values_list("tag", "meter__code"))


def payload_ingest(
    *, gateway: Gateway, fmt: str, data: bytes, transport: str = "http", options: dict[str, Any] | None = None,
    received_at: dt.datetime | None = None,
) -> IngestResult:
    """Parse one message in format `fmt` and ingest its rows; rows the parser could not read are added to the
    answer's `rejected` (and stored as RejectedRow) next to the ingestion service's own row errors.

    `options`: for "sparkplug", message_type, edge_node and device (from the topic); for "influx", precision.
    Raises PayloadError (an ApplicationError, 400) when the message as a whole cannot be read."""
    parser = FORMATS.get(fmt)
    if parser is None:
        raise PayloadError("unsupported_format", f"{fmt!r} is not a payload format; use one of {', '.join(FORMATS)}.")
    if len(data) > settings.INGEST_MAX_BYTES:  # the REST view checks before reading; MQTT messages arrive whole
        raise ApplicationError("payload_too_large", f"The payload exceeds {settings.INGEST_MAX_BYTES} bytes.",
                               status_code=413)
    received_at = received_at or timezone.now()
    kwargs = dict(options or {})
    state = None
    if fmt == "sparkplug":
        state, _ = GatewayState.objects.get_or_create(gateway=gateway)
        kwargs["aliases"] = state.sparkplug_aliases
    parsed = parser.parse(data, tags=gateway_tag_map(gateway=gateway), received_at=received_at, **kwargs)
    if parsed.next_index > settings.INGEST_MAX_ROWS:
        raise ApplicationError("too_many_rows", f"A batch may hold at most {settings.INGEST_MAX_ROWS} readings; "
                               f"this one has {parsed.next_index}.", status_code=413)
    if parsed.aliases or parsed.session:
        _state_update(gateway=gateway, aliases=parsed.aliases, session=parsed.session, at=received_at)
    if not parsed.rows and not parsed.errors:
        return IngestResult()  # a death certificate, a command: nothing to store
    result = readings_ingest(site=gateway.site, gateway=gateway, rows=parsed.rows, batch_key=parsed.batch_key,
                             source=f"{transport}:{fmt}"[:20])
    if parsed.errors and not result.replayed:
        batch_errors_record(result=result, errors=parsed.errors)
    return result


@transaction.atomic
def batch_errors_record(*, result: IngestResult, errors: list[dict[str, Any]]) -> None:
    """Merge row errors found before ingestion (a parser's, a collector's) into the stored batch and the answer, so
    a replayed batch answers the same."""
    result.rejected = sorted([*result.rejected, *errors], key=lambda row: row["index"])
    if result.batch_id is None:  # nothing was stored for the batch: the answer alone carries the errors
        return
    RejectedRow.objects.bulk_create(
        RejectedRow(batch_id=result.batch_id, index=e["index"], meter_code=str(e["meter"])[:64], code=e["code"],
                    detail=e["detail"][:300])
        for e in errors
    )
    IngestBatch.objects.filter(pk=result.batch_id).update(rejected=len(result.rejected),
                                                          response=result.as_response())


def _state_update(*, gateway: Gateway, aliases: dict[str, Any], session: str | None, at: dt.datetime) -> None:
    with transaction.atomic():
        state, _ = GatewayState.objects.select_for_update().get_or_create(gateway=gateway)
        fields = []
        if aliases:
            state.sparkplug_aliases = {**state.sparkplug_aliases, **aliases}
            fields.append("sparkplug_aliases")
        if session and session != state.session:
            state.session, state.session_changed_at = session, at
            fields += ["session", "session_changed_at"]
        if fields:
            state.save(update_fields=fields)
