"""POST /api/v1/readings/ in the gateways' own formats (by Content-Type), through the same ingestion service."""

from __future__ import annotations

import pytest

from accounts.models import AuditEvent
from meters.models import IngestBatch, Reading, RejectedRow
from meters.models_gateways import GatewayState, GatewayTag
from meters.payloads.sparkplug_b_pb2 import Payload
from tests.factories import MeterFactory, SiteFactory

pytestmark = pytest.mark.django_db

# 1740787200000 ms = 2025-03-01T00:00:00Z (the fixtures' T0); +900000 ms = 00:15.
NEURON = b'{"timestamp": 1740787200000, "node": "modbus", "group": "grp", "values": {"tag0": 5.5, "E1": 1.0},' \
         b' "errors": {"tag1": 2014}}'


def post(client, body: bytes, content_type: str, **extra):
    return client.generic("POST", "/api/v1/readings/", body, content_type=content_type, **extra)


def test_neuron_payload_stores_mapped_tags_once_and_reports_tag_errors(gw_client, plant):
    GatewayTag.objects.create(gateway=plant["gateway"], tag="modbus/grp/tag0", meter=plant["meters"]["C1"])
    r = post(gw_client, NEURON, "application/vnd.neuron+json")
    assert r.status_code == 200, r.content
    assert r.json() == {"accepted": 2, "duplicates": 0, "conflicts": 0, "conflict_rows": [], "rejected": [
        {"index": 2, "meter": "tag1", "code": "tag_error",
         "detail": "The gateway reported error 2014 for tag 'tag1'."}]}
    assert sorted(Reading.objects.values_list("meter__code", "value")) == [("C1", 5.5), ("E1", 1.0)]
    assert list(RejectedRow.objects.values_list("index", "code")) == [(2, "tag_error")]
    assert IngestBatch.objects.get().source == "http:neuron"
    # The gateway resends the same message: both readings count as duplicates, nothing is stored twice.
    again = post(gw_client, NEURON, "application/vnd.neuron+json").json()
    assert (again["accepted"], again["duplicates"]) == (0, 2)
    assert Reading.objects.count() == 2


def test_unmapped_tag_is_an_unknown_meter_row(gw_client):
    body = b'{"Device A": [{"ts": 1740787200000, "values": {"E1": 2.0, "temperature": 21}}]}'
    body_out = post(gw_client, body, "application/vnd.thingsboard+json").json()
    assert body_out["accepted"] == 1
    assert [(e["index"], e["meter"], e["code"]) for e in body_out["rejected"]] == [(1, "temperature", "unknown_meter")]


def test_senml_and_line_protocol_content_types(gw_client):
    senml = b'[{"bn": "E1", "bt": 1740787200, "n": "", "v": 3.0}, {"n": "", "t": 900, "v": 4.0}]'
    assert post(gw_client, senml, "application/senml+json").json()["accepted"] == 2
    line = b"meter,site=A E1=7 1740789000000\n"  # ms precision: 2025-03-01T00:30Z
    assert post(gw_client, line, "text/plain; charset=utf-8", QUERY_STRING="precision=ms").json()["accepted"] == 1
    assert sorted(Reading.objects.values_list("ts__minute", "value")) == [(0, 3.0), (15, 4.0), (30, 7.0)]


def test_sparkplug_over_http_learns_aliases_from_the_birth(gw_client, plant):
    GatewayTag.objects.create(gateway=plant["gateway"], tag="Meters/E1", meter=plant["meters"]["E1"])
    birth = Payload(timestamp=1740787200000)
    birth.metrics.add(name="Meters/E1", alias=4, datatype=10, double_value=1.25)
    data = Payload(timestamp=1740788100000)
    data.metrics.add(alias=4, double_value=2.5)
    ct = "application/vnd.sparkplug-b+protobuf"
    r1 = post(gw_client, birth.SerializeToString(), ct, HTTP_X_SPARKPLUG_TOPIC="spBv1.0/plant/NBIRTH/gw1")
    r2 = post(gw_client, data.SerializeToString(), ct, HTTP_X_SPARKPLUG_TOPIC="spBv1.0/plant/NDATA/gw1")
    assert (r1.json()["accepted"], r2.json()["accepted"]) == (1, 1)
    assert sorted(Reading.objects.values_list("value", flat=True)) == [1.25, 2.5]
    state = GatewayState.objects.get(gateway=plant["gateway"])
    assert (state.session, state.sparkplug_aliases) == ("online", {"gw1": {"4": ["Meters/E1", 10]}})


@pytest.mark.parametrize(("body", "content_type", "code"), [
    (b"{not json", "application/vnd.neuron+json", "malformed_json"),
    (b'{"n": 1}', "application/senml+json", "malformed_body"),
    (b"\x01\x02", "application/vnd.sparkplug-b+protobuf", "malformed_topic"),
])
def test_unreadable_payload_is_a_400_and_writes_nothing(gw_client, body, content_type, code):
    r = post(gw_client, body, content_type)
    assert r.status_code == 400
    assert r.json()["code"] == code
    assert IngestBatch.objects.count() == 0


def test_unknown_content_type_is_415(gw_client):
    r = post(gw_client, b"x", "application/xml")
    assert (r.status_code, r.json()["code"]) == (415, "unsupported_media_type")


def test_tag_map_api_is_tenant_scoped_and_audited(client, plant):
    client.force_login(plant["admin_a"])
    gw = plant["gateway"]
    r = client.post("/api/v1/gateway-tags/", {"gateway": gw.pk, "tag": "modbus/grp/tag0",
                                              "meter": plant["meters"]["C1"].pk}, content_type="application/json")
    assert r.status_code == 201, r.content
    assert AuditEvent.objects.filter(action="gatewaytag.create").count() == 1
    # A meter of enterprise B is invisible (an invalid id); a meter of A's other site is refused by the model.
    for meter in (MeterFactory(site=plant["site_b"], code="B-E1"),
                  MeterFactory(site=SiteFactory(enterprise=plant["a"], code="A2"), code="A2-E1")):
        r = client.post("/api/v1/gateway-tags/", {"gateway": gw.pk, "tag": "x", "meter": meter.pk},
                        content_type="application/json")
        assert r.status_code == 400, r.content
    assert GatewayTag.objects.count() == 1


def test_a_payload_with_more_rows_than_the_limit_is_413_and_writes_nothing(gw_client, settings):
    settings.INGEST_MAX_ROWS = 2
    body = b'{"timestamp": 1740787200000, "node": "n", "group": "g", "values": {"E1": 1, "C1": 2, "C2": 3}}'
    r = post(gw_client, body, "application/vnd.neuron+json")
    assert (r.status_code, r.json()["code"]) == (413, "too_many_rows")
    assert IngestBatch.objects.count() == 0
