"""The gateway readings endpoint: POST /api/v1/readings/ (JSON or CSV, optionally gzip)."""

from __future__ import annotations

import gc
import logging
from collections.abc import Sequence

import orjson
from django.conf import settings
from django.db import InterfaceError, OperationalError
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import renderers, serializers, throttling
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from energy_platform.api import DATABASE_RETRY_AFTER
from energy_platform.errors import ApplicationError
from energy_platform.middleware import body_check

from .authentication import GatewayTokenAuthentication, GatewayUser
from .payloads import CONTENT_TYPES
from .payloads.sparkplug import topic_parse
from .services.gateway_ingest import payload_ingest
from .services.ingest import RawRow, body_decode, body_parse_csv, body_parse_json, readings_ingest
from .tasks import rollups_after_write

logger = logging.getLogger(__name__)


class IsGateway(BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.user, GatewayUser)


class GatewayRateThrottle(throttling.SimpleRateThrottle):
    """Per-gateway request rate (GATEWAY_THROTTLE_RATE). Fails open when the cache (Redis) is down, because
    accepting readings must not depend on Redis."""

    scope = "gateway"

    def get_cache_key(self, request, view):
        gateway = getattr(request.user, "gateway", None)
        return None if gateway is None else self.cache_format % {"scope": self.scope, "ident": gateway.pk}

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception:  # noqa: BLE001  (any cache backend error)
            logger.warning("gateway throttle cache unavailable; allowing the request", exc_info=True)
            return True


class IngestJSONRenderer(renderers.JSONRenderer):
    """DRF's JSON, serialised by orjson: a batch's answer may list thousands of conflicts or refused rows."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return b"" if data is None else orjson.dumps(data, default=str)


class ReadingIn(serializers.Serializer):
    meter = serializers.CharField()
    ts = serializers.DateTimeField()
    value = serializers.FloatField()


class ReadingBatchIn(serializers.Serializer):
    batch_id = serializers.CharField(required=False)
    readings = ReadingIn(many=True)


class RowErrorOut(serializers.Serializer):
    index = serializers.IntegerField()
    meter = serializers.CharField()
    code = serializers.CharField()
    detail = serializers.CharField()


class IngestResultOut(serializers.Serializer):
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    conflicts = serializers.IntegerField()
    rejected = RowErrorOut(many=True)
    conflict_rows = RowErrorOut(many=True)


_error = inline_serializer("Error", {"code": serializers.CharField(), "detail": serializers.CharField()})


class ReadingsIngestApi(APIView):
    authentication_classes = [GatewayTokenAuthentication]
    permission_classes = [IsGateway]
    throttle_classes = [GatewayRateThrottle]
    parser_classes: list = []  # the body is read and parsed by the ingestion service
    renderer_classes = [IngestJSONRenderer]

    @extend_schema(
        operation_id="readings_ingest",
        summary="Push a batch of meter readings (gateway token)",
        description=(
            "Body: JSON `{\"batch_id\": \"…\", \"readings\": [{\"meter\", \"ts\", \"value\"}]}` or `text/csv` with "
            "header `meter,ts,value` (batch id then in the `X-Batch-Id` header); `Content-Encoding: gzip` is "
            "accepted. Valid rows are stored even when others are rejected; a repeated batch_id replays the first "
            "answer without writing. Row codes: unknown_meter, meter_not_allowed, meter_inactive, missing_field, "
            "invalid_timestamp, timestamp_without_offset, timestamp_in_future, not_finite, "
            "negative_interval_quantity, register_backwards. Whole-request errors: 400 malformed_json / "
            "malformed_csv / malformed_body / invalid_characters (a control character such as NUL anywhere) / "
            "too_long (an X-Batch-Id over 100 characters), 413 too_many_rows / payload_too_large, 401, 415, 429 "
            "with Retry-After. "

            "Gateway formats by Content-Type (docs/ingestion.md): application/vnd.neuron+json (EMQX Neuron), "
            "application/vnd.thingsboard+json (ThingsBoard gateway), application/senml+json (RFC 8428), "
            "text/plain or application/vnd.influx.line-protocol (Telegraf, ?precision=ns|us|ms|s), "
            "application/vnd.sparkplug-b+protobuf (Sparkplug B, topic in X-Sparkplug-Topic); tag names map to "
            "meters through the gateway's tag map."
        ),
        request={"application/json": ReadingBatchIn, "text/csv": {"type": "string"}},
        responses={200: IngestResultOut, 400: _error, 401: _error, 413: _error, 415: _error, 429: _error,
                   503: OpenApiResponse(_error, description="Database unavailable (nothing committed); retry the same "
                                                                         "batch_id.")},
        examples=[OpenApiExample("answer", response_only=True, status_codes=["200"], value={
            "accepted": 2, "duplicates": 1, "conflicts": 1,
            "rejected": [{"index": 4, "meter": "E-OLD", "code": "meter_inactive",
                          "detail": "The meter is not active at this timestamp."}],
            "conflict_rows": [{"index": 3, "meter": "E-MAIN-1", "code": "conflict",
                               "detail": "A different value (123456.7) is stored for this meter and timestamp; the "
                                         "stored value stays and the conflict is recorded for review."}]}),
                  OpenApiExample("csv", request_only=True, media_type="text/csv",
                                 value="meter,ts,value\nE-MAIN-1,2025-03-01T08:15:00+08:00,123456.7\n"),
                  OpenApiExample("batch", request_only=True, value={
            "batch_id": "gw7-2025-03-01T08:15", "readings": [
                {"meter": "E-MAIN-1", "ts": "2025-03-01T08:15:00+08:00", "value": 123456.7}]})],
        tags=["ingestion"],
    )
    def post(self, request):
        length = request.META.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > settings.INGEST_MAX_BYTES:
            raise ApplicationError("payload_too_large", f"The request body exceeds {settings.INGEST_MAX_BYTES} bytes.",
                                   status_code=413)
        # A batch allocates tens of thousands of short-lived, acyclic objects (parsed rows); the cyclic garbage
        # collector would otherwise walk the whole process heap several times per request. Reference counting still
        # frees them; the collector is re-enabled before the response.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            result = self._ingest(request)
        except (OperationalError, InterfaceError) as exc:
            # Only a database that cannot be reached or is locked (SQLite) gets here: nothing of the batch was
            # committed and the same batch_id can be retried. Bad input is refused before (400), and a DataError,
            # which a retry cannot cure, is a 400 of the API's exception handler.
            logger.exception("readings batch failed on the database")
            raise ApplicationError("database_unavailable", "The database is unavailable; retry the same batch later.",
                                   status_code=503, extra={"retry_after": DATABASE_RETRY_AFTER}) from exc
        finally:
            if gc_was_enabled:
                gc.enable()
        if result.accepted:
            # After the commit: the batch is stored and answered 200 whatever happens here. Its meter-days are marked
            # dirty in the batch's transaction, so rollups that fail now (SQLite locked by another writer) are made
            # by the next sweep.
            try:
                rollups_after_write()
            except Exception:  # noqa: BLE001
                logger.warning("rollup after a committed batch failed; the sweep will redo it", exc_info=True)
        return Response(result.as_response(), status=200)

    def _ingest(self, request):
        encoding = request.META.get("HTTP_CONTENT_ENCODING")
        data = body_decode(body=request.body, content_encoding=encoding)
        if (encoding or "identity").strip().lower() not in ("identity", ""):
            body_check(data)  # the input guard middleware checked plain bodies; this one was compressed
        content_type = (request.content_type or "application/json").split(";")[0].strip().lower()
        rows: Sequence[RawRow]
        if content_type == "text/csv":
            batch_key, rows = body_parse_csv(data, batch_key=request.META.get("HTTP_X_BATCH_ID") or None)
        elif content_type in ("application/json", ""):
            batch_key, rows = body_parse_json(data)
        elif content_type in CONTENT_TYPES:
            return self._ingest_payload(request, data, CONTENT_TYPES[content_type])
        else:
            raise ApplicationError("unsupported_media_type",
                                   f"Content-Type {content_type!r} is not supported; use application/json, text/csv "
                                   f"or a gateway format ({', '.join(CONTENT_TYPES)}).",
                                   status_code=415)
        gateway = request.user.gateway
        return readings_ingest(site=gateway.site, gateway=gateway, rows=rows, batch_key=batch_key)

    def _ingest_payload(self, request, data: bytes, fmt: str):
        """A gateway's own format (meters/payloads): Sparkplug B names its topic in X-Sparkplug-Topic, line protocol
        takes InfluxDB's ?precision=."""
        options: dict = {}
        if fmt == "sparkplug":
            topic = topic_parse(request.META.get("HTTP_X_SPARKPLUG_TOPIC", ""))
            options = {k: topic[k] for k in ("message_type", "edge_node", "device")}
        elif fmt == "influx":
            options = {"precision": request.query_params.get("precision", "ns")}
        return payload_ingest(gateway=request.user.gateway, fmt=fmt, data=data, options=options)
