"""Payload formats (meters/payloads): each parser on sample payloads written from its public specification."""

from __future__ import annotations

import datetime as dt

import orjson
import pytest

from meters.payloads import PayloadError, influx_line, nengtan_json, neuron, senml, sparkplug, thingsboard
from meters.payloads.sparkplug_b_pb2 import Payload

NOW = dt.datetime(2025, 3, 1, 0, 0, tzinfo=dt.UTC)  # 1740787200 s since the epoch


def rows(parsed) -> list[tuple[int, str, str | None, object]]:
    return [(r.index, r.meter, r.ts, r.value) for r in parsed.rows]


def test_nengtan_json_keeps_meter_codes_and_maps_listed_tags():
    at = "2025-03-01T00:00:00+00:00"
    body = orjson.dumps({"batch_id": "b1", "readings": [{"meter": "E1", "ts": at, "value": 1},
                                                         {"meter": "tag-7", "ts": at, "value": 2}]})
    parsed = nengtan_json.parse(body, tags={"tag-7": "C1"}, received_at=NOW)
    assert parsed.batch_key == "b1"
    assert [r.meter for r in parsed.rows] == ["E1", "C1"]


def test_neuron_values_format_maps_node_group_tag_and_reports_tag_errors():
    # Neuron docs, values-format example: timestamp 1650006388943 ms = 2022-04-15T07:06:28.943Z.
    body = b'{"timestamp": 1650006388943, "node": "modbus", "group": "grp", "values": {"tag0": 123, "E1": 4.5},' \
           b' "errors": {"tag1": 2014}}'
    parsed = neuron.parse(body, tags={"modbus/grp/tag0": "C1"}, received_at=NOW)
    assert rows(parsed) == [(0, "C1", "2022-04-15T07:06:28.943000+00:00", 123),
                            (1, "E1", "2022-04-15T07:06:28.943000+00:00", 4.5)]
    assert parsed.errors == [{"index": 2, "meter": "tag1", "code": "tag_error",
                              "detail": "The gateway reported error 2014 for tag 'tag1'."}]


def test_neuron_tags_format_and_old_field_names():
    # Neuron 2.0 docs, tags-format: node_name/group_name, timestamp 1647497389075 ms = 2022-03-17T06:09:49.075Z.
    body = b'{"node_name": "modbus-tcp-2", "group_name": "group-1", "timestamp": 1647497389075,' \
           b' "tags": [{"value": 123, "name": "data1"}, {"name": "data2", "error": 2014}]}'
    parsed = neuron.parse(body, tags={"modbus-tcp-2/group-1/data1": "E1"}, received_at=NOW)
    assert rows(parsed) == [(0, "E1", "2022-03-17T06:09:49.075000+00:00", 123)]
    assert [(e["index"], e["code"]) for e in parsed.errors] == [(1, "tag_error")]


def test_neuron_rejects_a_payload_without_values():
    with pytest.raises(PayloadError) as exc:
        neuron.parse(b'{"timestamp": 1}', tags={}, received_at=NOW)
    assert exc.value.code == "malformed_body"


def test_thingsboard_gateway_telemetry_one_row_per_device_key_and_time():
    # ThingsBoard gateway API example: ts 1483228800000 ms = 2017-01-01T00:00:00Z, 1483228801000 one second later.
    body = (b'{"Device A": [{"ts": 1483228800000, "values": {"temperature": 42, "humidity": 80}},'
            b' {"ts": 1483228801000, "values": {"temperature": 43, "humidity": 82}}],'
            b' "Device B": [{"ts": 1483228800000, "values": {"temperature": 42, "humidity": 80}}]}')
    parsed = thingsboard.parse(body, tags={"Device A/temperature": "E1", "Device B/temperature": "C1"},
                               received_at=NOW)
    assert rows(parsed) == [
        (0, "E1", "2017-01-01T00:00:00+00:00", 42), (1, "humidity", "2017-01-01T00:00:00+00:00", 80),
        (2, "E1", "2017-01-01T00:00:01+00:00", 43), (3, "humidity", "2017-01-01T00:00:01+00:00", 82),
        (4, "C1", "2017-01-01T00:00:00+00:00", 42), (5, "humidity", "2017-01-01T00:00:00+00:00", 80)]


def test_thingsboard_entry_without_ts_takes_the_receive_time():
    parsed = thingsboard.parse(b'{"Device A": [{"values": {"energy": 1.5}}]}', tags={}, received_at=NOW)
    assert rows(parsed) == [(0, "energy", "2025-03-01T00:00:00+00:00", 1.5)]


def test_senml_rfc8428_multiple_datapoints_resolve_base_name_and_time():
    # RFC 8428 section 5.1.3: bt = 1.276020076001e+09 s = 2010-06-08T18:01:16.001Z; t = -5 is five seconds earlier.
    body = (b'[{"bn":"urn:dev:ow:10e2073a0108006:","bt":1.276020076001e+09,"bu":"A","bver":5,'
            b'"n":"voltage","u":"V","v":120.1},'
            b'{"n":"current","t":-5,"v":1.2},{"n":"current","t":-4,"v":1.3},{"n":"current","v":1.7}]')
    parsed = senml.parse(body, tags={"urn:dev:ow:10e2073a0108006:voltage": "E1"}, received_at=NOW)
    assert rows(parsed) == [
        (0, "E1", "2010-06-08T18:01:16.001000+00:00", 120.1),
        (1, "urn:dev:ow:10e2073a0108006:current", "2010-06-08T18:01:11.001000+00:00", 1.2),
        (2, "urn:dev:ow:10e2073a0108006:current", "2010-06-08T18:01:12.001000+00:00", 1.3),
        (3, "urn:dev:ow:10e2073a0108006:current", "2010-06-08T18:01:16.001000+00:00", 1.7)]


def test_senml_base_value_relative_time_and_string_values():
    # bv 100 + v 2.5 = 102.5; t = -60 with no bt is below 2**28, so relative to now: 2025-03-01T00:00Z - 60 s.
    body = b'[{"bn":"E1","bv":100,"n":"","v":2.5,"t":-60},{"n":"state","vs":"on"}]'
    parsed = senml.parse(body, tags={}, received_at=NOW)
    assert rows(parsed) == [(0, "E1", "2025-02-28T23:59:00+00:00", 102.5)]
    assert [(e["index"], e["meter"], e["code"]) for e in parsed.errors] == [(1, "E1state", "unsupported_value")]


def test_senml_must_be_an_array():
    with pytest.raises(PayloadError) as exc:
        senml.parse(b'{"n": "x"}', tags={}, received_at=NOW)
    assert exc.value.code == "malformed_body"


def test_influx_line_protocol_as_telegraf_writes_it():
    # 1465839830100400200 ns = 2016-06-13T17:43:50.1004002Z, kept to the microsecond.
    body = (b"# comment\n"
            b"modbus,name=Main\\ Board,slave_id=1 energy_kwh=1234.5,power_kw=12i 1465839830100400200\n"
            b'weather,location=us-midwest temperature=82,status="ok",alarm=t 1465839830100400200\n'
            b"broken line\n")
    parsed = influx_line.parse(body, tags={"modbus,name=Main Board,slave_id=1/energy_kwh": "C1",
                                           "weather/temperature": "E1"}, received_at=NOW)
    assert rows(parsed) == [(0, "C1", "2016-06-13T17:43:50.100400+00:00", 1234.5),
                            (1, "power_kw", "2016-06-13T17:43:50.100400+00:00", 12),
                            (2, "E1", "2016-06-13T17:43:50.100400+00:00", 82.0)]
    assert [(e["index"], e["meter"], e["code"]) for e in parsed.errors] == [
        (3, "status", "unsupported_value"), (4, "alarm", "unsupported_value"), (5, "broken line", "malformed_line")]


def test_influx_precision_in_seconds_and_line_without_timestamp():
    parsed = influx_line.parse(b"m v=1 1740787200\nm v=2\n", tags={}, received_at=NOW, precision="s")
    assert rows(parsed) == [(0, "v", "2025-03-01T00:00:00+00:00", 1.0), (1, "v", None, 2.0)]


def _sparkplug(ts_ms: int, *metrics: dict) -> bytes:
    payload = Payload(timestamp=ts_ms, seq=0)
    for m in metrics:
        payload.metrics.add(**m)
    return payload.SerializeToString()


def test_sparkplug_birth_declares_aliases_that_data_messages_use():
    # NBIRTH at 1740787200000 ms = 2025-03-01T00:00Z with two metrics and a bdSeq; NDATA 15 minutes later by alias.
    birth = _sparkplug(1740787200000, {"name": "bdSeq", "datatype": 8, "long_value": 0},
                       {"name": "Meters/E1/kWh", "alias": 1, "datatype": 10, "double_value": 10.5},
                       {"name": "Meters/C1/kWh", "alias": 2, "datatype": 3, "int_value": 7})
    parsed = sparkplug.parse(birth, tags={"Meters/E1/kWh": "E1", "Meters/C1/kWh": "C1"}, received_at=NOW,
                             message_type="NBIRTH", edge_node="gw1")
    assert rows(parsed) == [(0, "E1", "2025-03-01T00:00:00+00:00", 10.5), (1, "C1", "2025-03-01T00:00:00+00:00", 7.0)]
    assert parsed.session == "online"
    assert parsed.aliases == {"gw1": {"1": ["Meters/E1/kWh", 10], "2": ["Meters/C1/kWh", 3]}}

    data = _sparkplug(1740788100000, {"alias": 1, "double_value": 11.0},
                      {"alias": 2, "int_value": 2**32 - 3},  # Int32 -3 as two's complement
                      {"alias": 9, "double_value": 1.0})
    parsed = sparkplug.parse(data, tags={"Meters/E1/kWh": "E1", "Meters/C1/kWh": "C1"}, received_at=NOW,
                             message_type="NDATA", edge_node="gw1", aliases=parsed.aliases)
    assert rows(parsed) == [(0, "E1", "2025-03-01T00:15:00+00:00", 11.0), (1, "C1", "2025-03-01T00:15:00+00:00", -3.0)]
    assert [(e["index"], e["code"]) for e in parsed.errors] == [(2, "unknown_alias")]


def test_sparkplug_device_data_maps_device_and_metric_and_refuses_booleans():
    data = _sparkplug(1740787200000, {"name": "kWh", "timestamp": 1740787260000, "datatype": 9, "float_value": 2.5},
                      {"name": "running", "datatype": 11, "boolean_value": True})
    parsed = sparkplug.parse(data, tags={"pump-1/kWh": "E1"}, received_at=NOW, message_type="DDATA",
                             edge_node="gw1", device="pump-1")
    assert rows(parsed) == [(0, "E1", "2025-03-01T00:01:00+00:00", 2.5)]
    assert [(e["index"], e["code"]) for e in parsed.errors] == [(1, "unsupported_value")]


def test_sparkplug_death_marks_the_session_offline_and_garbage_is_refused():
    death = _sparkplug(1740787200000, {"name": "bdSeq", "datatype": 8, "long_value": 0})
    parsed = sparkplug.parse(death, tags={}, received_at=NOW, message_type="NDEATH", edge_node="gw1")
    assert (parsed.rows, parsed.session) == ([], "offline")
    with pytest.raises(PayloadError) as exc:
        sparkplug.parse(b"\xff\xff\xff", tags={}, received_at=NOW, message_type="NDATA", edge_node="gw1")
    assert exc.value.code == "malformed_protobuf"
    assert sparkplug.topic_parse("spBv1.0/plant/DDATA/gw1/pump-1") == {
        "group": "plant", "message_type": "DDATA", "edge_node": "gw1", "device": "pump-1"}
