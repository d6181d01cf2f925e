"""The MQTT ingestion process: subscribes (QoS 1, persistent session) to every gateway's topics and feeds each
message through the same ingestion service as the REST endpoint, publishing the result to the gateway's reply topic.

Topics (meters/services/mqtt_auth.py has the ACL that confines each gateway to its own):
    nengtan/<code>/up/<format>          format: json, neuron, thingsboard, senml, influx (influx/<precision> too)
    nengtan/<code>/status               "online" / "offline" (set the latter as the MQTT last will, retained)
    spBv1.0/<group>/<type>/<code>[/<device>]   Sparkplug B; the edge node id is the gateway code
    nengtan/<code>/reply                the answer: {"topic", "accepted", "duplicates", "conflicts", "rejected",
                                        "conflict_rows"} or {"topic", "code", "detail"} for an unreadable message
    spBv1.0/<group>/NCMD/<code>         "Node Control/Rebirth" when data names an alias no birth declared
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from energy_platform.errors import ApplicationError

from .models import Gateway
from .models_gateways import GatewayState
from .payloads import FORMATS
from .payloads.sparkplug import topic_parse
from .payloads.sparkplug_b_pb2 import Payload
from .services.gateway_ingest import payload_ingest
from .services.mqtt_auth import gateway_code, gateway_from_code
from .tasks import rollups_after_write

logger = logging.getLogger(__name__)

SUBSCRIPTIONS = ["nengtan/+/up/#", "nengtan/+/status", "spBv1.0/+/+/+", "spBv1.0/+/+/+/+"]
#: At most one last-seen write per gateway per this many seconds (a busy gateway publishes many messages a minute).
_SEEN_EVERY_SECONDS = 30


class MqttIngest:
    def __init__(self, *, host: str | None = None, port: int | None = None, client_id: str | None = None,
                 username: str | None = None, password: str | None = None) -> None:
        self.host = host or settings.MQTT_HOST
        self.port = port or settings.MQTT_PORT
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id or settings.MQTT_CLIENT_ID,
                                  clean_session=False, protocol=mqtt.MQTTv311)
        self.client.username_pw_set(username or settings.MQTT_INGEST_USERNAME,
                                    password if password is not None else settings.MQTT_INGEST_PASSWORD)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.subscribed = False
        self.handled = 0
        self._gateways: dict[str, Gateway | None] = {}
        self._seen: dict[int, float] = {}

    # -- connection -------------------------------------------------------------------------------------------
    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            logger.error("MQTT broker refused the ingestion client: %s", reason_code)
            return
        # With a persistent session the broker keeps the subscriptions and queues QoS 1 messages while we are away;
        # subscribing again is harmless and covers a broker that lost its state.
        client.subscribe([(topic, 1) for topic in SUBSCRIPTIONS])

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        self.subscribed = all(not rc.is_failure for rc in reason_codes)
        if not self.subscribed:
            logger.error("MQTT broker refused a subscription: %s", reason_codes)

    def connect(self) -> None:
        self.client.connect(self.host, self.port, keepalive=30)

    def run_forever(self, *, heartbeat: str = "/tmp/mqtt_ingest.alive") -> None:  # noqa: S108
        """Run until killed; paho's network thread reconnects (and resumes the session) after a broker outage. The
        heartbeat file is touched every 10 s while connected (the compose health check reads its age)."""
        self.client.connect_async(self.host, self.port, keepalive=30)
        self.client.loop_start()
        try:
            while True:
                time.sleep(10)
                if self.client.is_connected():
                    Path(heartbeat).touch()
        finally:
            self.client.loop_stop()

    def loop_until(self, done: Callable[[], bool], *, timeout: float = 10.0) -> bool:
        """Drive the network loop in this thread until `done()` (tests, bench)."""
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                return False
            self.client.loop(timeout=0.05)
        return True

    def disconnect(self) -> None:
        self.client.disconnect()

    # -- messages ---------------------------------------------------------------------------------------------
    def _on_message(self, client, userdata, message) -> None:
        # paho acknowledges a QoS 1 message after this returns, so a crash here leaves it with the broker.
        if not connection.in_atomic_block:  # (a test drives the loop inside its transaction)
            close_old_connections()
        # As in the REST view: a batch allocates many short-lived acyclic objects; the cyclic collector would walk
        # the whole heap several times per message. Reference counting still frees them.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            reply = self.handle(message.topic, message.payload)
        except DatabaseError:
            logger.exception("MQTT message on %s failed on the database", message.topic)
            connection.close()
            reply = (self._reply_topic(message.topic), {
                "topic": message.topic, "code": "database_unavailable",
                "detail": "The database is unavailable; publish the message again later."})
        finally:
            if gc_was_enabled:
                gc.enable()
        self.handled += 1
        if reply is not None:
            topic, body = reply
            client.publish(topic, orjson.dumps(body), qos=1)

    @staticmethod
    def _reply_topic(topic: str) -> str:
        parts = topic.split("/")
        code = parts[1] if parts[0] == "nengtan" else (parts[3] if len(parts) > 3 else "")
        return f"nengtan/{code}/reply"

    def _gateway(self, code: str) -> Gateway | None:
        if code not in self._gateways:
            self._gateways[code] = gateway_from_code(code)
        return self._gateways[code]

    def handle(self, topic: str, payload: bytes) -> tuple[str, dict] | None:
        """Ingest one message; return the reply (topic, body), or None when no reply is due."""
        parts = topic.split("/")
        options: dict = {}
        if parts[0] == "spBv1.0":
            try:
                route = topic_parse(topic)
            except ApplicationError:
                return None
            code, fmt = str(route["edge_node"]), "sparkplug"
            options = {k: route[k] for k in ("message_type", "edge_node", "device")}
        elif len(parts) == 3 and parts[2] == "status":
            code, fmt = parts[1], "status"
        elif len(parts) in (4, 5) and parts[2] == "up":
            code, fmt = parts[1], parts[3]
            if len(parts) == 5:
                if fmt != "influx":
                    return self._error(topic, "malformed_topic", "Only influx takes an option (its precision).")
                options = {"precision": parts[4]}
        else:
            return None
        gateway = self._gateway(code)
        if gateway is None:
            logger.warning("MQTT message for unknown gateway %r on %s", code, topic)
            return None
        now = timezone.now()
        self._seen_mark(gateway, now)
        if fmt == "status":
            session_set(gateway=gateway, online=payload.strip().lower() == b"online")
            return None
        if fmt not in FORMATS:
            return self._error(topic, "unsupported_format",
                               f"{fmt!r} is not a payload format; use one of {', '.join(FORMATS)}.")
        try:
            result = payload_ingest(gateway=gateway, fmt=fmt, data=payload, transport="mqtt", options=options,
                                    received_at=now)
        except ApplicationError as exc:
            return self._error(topic, exc.code, exc.detail)
        if result.accepted:
            rollups_after_write()
        if fmt == "sparkplug":
            if any(row["code"] == "unknown_alias" for row in result.rejected):
                self._rebirth_request(group=str(route["group"]), edge_node=code)
            if options.get("message_type") in ("NDEATH", "DDEATH", "NCMD", "DCMD"):
                return None
        return f"nengtan/{gateway_code(gateway)}/reply", {"topic": topic, **result.as_response()}

    def _rebirth_request(self, *, group: str, edge_node: str) -> None:
        """Data with aliases no birth declared (the birth was missed, e.g. sent before this process subscribed): ask
        the edge node to publish its births again, as a Sparkplug host application does (NCMD Node Control/Rebirth).
        """
        payload = Payload(timestamp=int(time.time() * 1000))
        payload.metrics.add(name="Node Control/Rebirth", datatype=11, boolean_value=True)
        self.client.publish(f"spBv1.0/{group}/NCMD/{edge_node}", payload.SerializeToString(), qos=0)

    def _error(self, topic: str, code: str, detail: str) -> tuple[str, dict]:
        return self._reply_topic(topic), {"topic": topic, "code": code, "detail": detail}

    def _seen_mark(self, gateway: Gateway, now) -> None:
        last = self._seen.get(gateway.pk)
        if last is not None and time.monotonic() - last < _SEEN_EVERY_SECONDS:
            return
        self._seen[gateway.pk] = time.monotonic()
        updated = GatewayState.objects.filter(gateway=gateway).update(last_seen_at=now)
        if not updated:
            GatewayState.objects.get_or_create(gateway=gateway, defaults={"last_seen_at": now})


def session_set(*, gateway: Gateway, online: bool) -> None:
    """The gateway's session as its status topic (or its last will) states it."""
    session = GatewayState.Session.ONLINE if online else GatewayState.Session.OFFLINE
    state, _ = GatewayState.objects.get_or_create(gateway=gateway)
    if state.session != session:
        state.session, state.session_changed_at = session, timezone.now()
        state.save(update_fields=["session", "session_changed_at"])
