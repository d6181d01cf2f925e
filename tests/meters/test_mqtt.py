"""MQTT ingestion against a real mosquitto (started by the test with the platform's password and ACL files)."""

from __future__ import annotations

import base64
import threading
import time
import uuid

import orjson
import paho.mqtt.client as mqtt
import pytest

from meters.models import Reading
from meters.models_gateways import GatewayState, GatewayTag
from meters.mqtt_ingest import MqttIngest
from meters.payloads.sparkplug_b_pb2 import Payload
from meters.services.gateways import gateway_provision, gateway_tokens_revoke
from meters.services.mqtt_auth import broker_credentials_sync, gateway_code, mosquitto_password_hash
from tests.services import start_mosquitto

from .conftest import T0

pytestmark = pytest.mark.django_db

INGEST_PASSWORD = "ingest-secret"  # noqa: S105


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("mosquitto")
    files = {"password_file": str(workdir / "passwd"), "acl_file": str(workdir / "acl")}
    port, pid_file, proc = start_mosquitto(str(workdir), **files)
    yield {"port": port, "pid_file": pid_file, **files}
    proc.terminate()
    proc.wait(timeout=5)


@pytest.fixture
def mqtt_plant(plant, broker, settings):
    settings.MQTT_HOST, settings.MQTT_PORT = "127.0.0.1", broker["port"]
    settings.MQTT_PASSWORD_FILE, settings.MQTT_ACL_FILE = broker["password_file"], broker["acl_file"]
    settings.MQTT_PID_FILE, settings.MQTT_INGEST_PASSWORD = broker["pid_file"], INGEST_PASSWORD
    settings.MQTT_RELOAD_COMMAND = ""
    assert broker_credentials_sync() is True  # on_commit hooks do not fire inside the test's transaction
    time.sleep(0.3)  # mosquitto re-reads the files on SIGHUP
    return plant


class GatewayClient:
    """A gateway: publishes with QoS 1 and collects the replies on its reply topic (network loop in a thread)."""

    def __init__(self, port: int, username: str, password: str, extra_topic: str | None = None) -> None:
        self.replies: list[dict] = []
        self.commands: list[bytes] = []
        self.extra_topic = extra_topic
        self.connack = threading.Event()
        self.ready = threading.Event()
        self.refused = False
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"gw-{uuid.uuid4().hex[:8]}")
        self.client.username_pw_set(username, password)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *a: self.ready.set()
        self.client.on_message = self._on_message
        self.reply_topic = f"nengtan/{username}/reply"
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self.connack.wait(5)

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        self.refused = reason_code.is_failure
        if not self.refused:
            client.subscribe([(t, 1) for t in (self.reply_topic, self.extra_topic) if t])
        self.connack.set()

    def _on_message(self, client, userdata, message):
        if message.topic == self.reply_topic:
            self.replies.append(orjson.loads(message.payload))
        else:
            self.commands.append(message.payload)

    def publish(self, topic: str, payload: bytes) -> None:
        assert self.ready.wait(5)
        self.client.publish(topic, payload, qos=1).wait_for_publish(5)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def ingest_client(port: int, client_id: str | None = None) -> MqttIngest:
    ingest = MqttIngest(host="127.0.0.1", port=port, client_id=client_id or f"ingest-{uuid.uuid4().hex[:8]}")
    ingest.connect()
    assert ingest.loop_until(lambda: ingest.subscribed, timeout=5)
    return ingest


def wait_replies(ingest: MqttIngest, gw: GatewayClient, n: int) -> list[dict]:
    assert ingest.loop_until(lambda: len(gw.replies) >= n, timeout=10), gw.replies
    return gw.replies


def sparkplug(ts_ms: int, **metric) -> bytes:
    payload = Payload(timestamp=ts_ms)
    payload.metrics.add(**metric)
    return payload.SerializeToString()


def test_mosquitto_password_hash_matches_mosquitto_passwd():
    # An entry written by `mosquitto_passwd -b passwd gw1 secret` (mosquitto 2.0.11): same salt, same hash.
    entry = ("$7$101$S5GXMYt/YHLbYRjP$"
             "5NAPbb+6nGxfq66qtvNPYkuqLVnJg5WB4+Utby68YUT6KW1XeOfIWQ1lUBFbC9Yp9TDPUSRhLfERl3s7O7iVlg==")
    salt = base64.b64decode(entry.split("$")[3])
    assert mosquitto_password_hash("secret", salt=salt) == entry


def test_each_format_published_is_stored_exactly_once(mqtt_plant, broker):
    gateway, token, meters = mqtt_plant["gateway"], mqtt_plant["token"], mqtt_plant["meters"]
    code = gateway_code(gateway)
    GatewayTag.objects.create(gateway=gateway, tag="modbus/grp/energy", meter=meters["C1"])
    GatewayTag.objects.create(gateway=gateway, tag="Meters/E1", meter=meters["E1"])
    ingest = ingest_client(broker["port"])
    gw = GatewayClient(broker["port"], code, token)
    # T0 = 2025-03-01T00:00Z = 1740787200 s; each message carries a different instant (minutes 0, 15, … 90).
    messages = [
        ("up/json", orjson.dumps({"readings": [{"meter": "E1", "ts": "2025-03-01T00:00:00Z", "value": 1.0}]})),
        ("up/neuron", b'{"timestamp": 1740788100000, "node": "modbus", "group": "grp", "values": {"energy": 100}}'),
        ("up/thingsboard", b'{"Device A": [{"ts": 1740789000000, "values": {"E1": 3.0}}]}'),
        ("up/senml", b'[{"bn": "E1", "bt": 1740789900, "n": "", "v": 4.0}]'),
        ("up/influx/s", b"energy E1=5 1740790800\n"),
    ]
    for suffix, body in messages:
        gw.publish(f"nengtan/{code}/{suffix}", body)
    gw.publish(f"spBv1.0/plant/NBIRTH/{code}",
               sparkplug(1740791700000, name="Meters/E1", alias=1, datatype=10, double_value=6.0))
    gw.publish(f"spBv1.0/plant/NDATA/{code}", sparkplug(1740792600000, alias=1, double_value=7.0))
    replies = wait_replies(ingest, gw, 7)
    assert [(r["topic"].split("/", 2)[-1], r["accepted"], r["rejected"]) for r in replies] == [
        ("up/json", 1, []), ("up/neuron", 1, []), ("up/thingsboard", 1, []), ("up/senml", 1, []),
        ("up/influx/s", 1, []), ("NBIRTH/" + code, 1, []), ("NDATA/" + code, 1, [])]
    stored = sorted((code, int((ts - T0).total_seconds()) // 60, v)
                    for code, ts, v in Reading.objects.values_list("meter__code", "ts", "value"))
    assert stored == [("C1", 15, 100.0), ("E1", 0, 1.0), ("E1", 30, 3.0), ("E1", 45, 4.0), ("E1", 60, 5.0),
                      ("E1", 75, 6.0), ("E1", 90, 7.0)]
    state = GatewayState.objects.get(gateway=gateway)
    assert state.session == "online" and state.last_seen_at is not None
    gw.close()
    ingest.disconnect()


def test_resent_message_counts_as_duplicates_and_bad_payloads_answer_with_errors(mqtt_plant, broker):
    code, token = gateway_code(mqtt_plant["gateway"]), mqtt_plant["token"]
    ingest = ingest_client(broker["port"])
    gw = GatewayClient(broker["port"], code, token)
    body = b'{"timestamp": 1740787200000, "node": "n", "group": "g", "values": {"E1": 1.5, "C1": 10, "pump": 3},' \
           b' "errors": {"E9": 2014}}'
    gw.publish(f"nengtan/{code}/up/neuron", body)
    gw.publish(f"nengtan/{code}/up/neuron", body)
    gw.publish(f"nengtan/{code}/up/senml", b"{not json")
    gw.publish(f"nengtan/{code}/up/xml", b"<a/>")
    first, second, bad, unknown = wait_replies(ingest, gw, 4)
    assert (first["accepted"], first["duplicates"]) == (2, 0)
    assert [(e["index"], e["meter"], e["code"]) for e in first["rejected"]] == [
        (2, "pump", "unknown_meter"), (3, "E9", "tag_error")]
    assert (second["accepted"], second["duplicates"], len(second["rejected"])) == (0, 2, 2)
    assert (bad["code"], unknown["code"]) == ("malformed_json", "unsupported_format")
    assert Reading.objects.count() == 2
    gw.close()
    ingest.disconnect()


def test_acl_confines_a_gateway_to_its_own_topics(mqtt_plant, broker):
    other, other_token = gateway_provision(site=mqtt_plant["site"], name="gw-other")
    broker_credentials_sync()
    time.sleep(0.3)
    ingest = ingest_client(broker["port"])
    gw = GatewayClient(broker["port"], gateway_code(mqtt_plant["gateway"]), mqtt_plant["token"])
    # Publishing as if it were the other gateway: the broker drops the message, nothing reaches the ingestion.
    gw.publish(f"nengtan/{gateway_code(other)}/up/json",
               orjson.dumps({"readings": [{"meter": "E1", "ts": "2025-03-01T00:00:00Z", "value": 1.0}]}))
    assert not ingest.loop_until(lambda: ingest.handled > 0, timeout=1.0)
    assert Reading.objects.count() == 0
    gw.close()
    ingest.disconnect()


def test_revoked_token_is_refused_by_the_broker(mqtt_plant, broker, django_capture_on_commit_callbacks):
    code, token = gateway_code(mqtt_plant["gateway"]), mqtt_plant["token"]
    gw = GatewayClient(broker["port"], code, token)
    assert gw.refused is False
    gw.close()
    with django_capture_on_commit_callbacks(execute=True):  # the revocation rewrites the files and signals mosquitto
        gateway_tokens_revoke(gateway=mqtt_plant["gateway"])
    time.sleep(0.3)
    again = GatewayClient(broker["port"], code, token)
    assert again.refused is True
    again.close()


def test_persistent_session_delivers_what_was_published_while_ingestion_was_down(mqtt_plant, broker):
    code, token = gateway_code(mqtt_plant["gateway"]), mqtt_plant["token"]
    client_id = f"ingest-{uuid.uuid4().hex[:8]}"
    ingest_client(broker["port"], client_id).disconnect()  # the session (and its subscriptions) stays with the broker
    gw = GatewayClient(broker["port"], code, token)
    gw.publish(f"nengtan/{code}/up/json",
               orjson.dumps({"readings": [{"meter": "E1", "ts": "2025-03-01T00:00:00Z", "value": 2.0}]}))
    ingest = MqttIngest(host="127.0.0.1", port=broker["port"], client_id=client_id)
    ingest.connect()
    assert ingest.loop_until(lambda: len(gw.replies) >= 1, timeout=10)
    assert gw.replies[0]["accepted"] == 1
    assert list(Reading.objects.values_list("value", flat=True)) == [2.0]
    gw.close()
    ingest.disconnect()


def test_sparkplug_data_with_an_unknown_alias_asks_the_edge_node_for_a_rebirth(mqtt_plant, broker):
    code, token = gateway_code(mqtt_plant["gateway"]), mqtt_plant["token"]
    ingest = ingest_client(broker["port"])
    gw = GatewayClient(broker["port"], code, token, extra_topic=f"spBv1.0/plant/NCMD/{code}")
    gw.publish(f"spBv1.0/plant/NDATA/{code}", sparkplug(1740787200000, alias=5, double_value=1.0))
    (reply,) = wait_replies(ingest, gw, 1)
    assert [e["code"] for e in reply["rejected"]] == ["unknown_alias"]
    assert ingest.loop_until(lambda: len(gw.commands) == 1, timeout=5)
    (metric,) = Payload.FromString(gw.commands[0]).metrics
    assert (metric.name, metric.boolean_value) == ("Node Control/Rebirth", True)
    gw.close()
    ingest.disconnect()
