"""POST /api/v1/readings/: the gateway contract (row codes, duplicates, conflicts, replay, gzip, CSV, limits)."""

from __future__ import annotations

import datetime as dt
import gzip

import pytest
from django.core.cache import cache
from django.test import override_settings

from meters.models import (
    DirtyMeterDay,
    IngestBatch,
    Reading,
    ReadingConflict,
    RegisterEvent,
    RejectedRow,
)
from meters.services.gateways import gateway_provision

from .conftest import T0, post_json, ts

pytestmark = pytest.mark.django_db


def test_valid_batch_is_stored_and_counted(gw_client, plant):
    r = post_json(gw_client, {"readings": [
        {"meter": "E1", "ts": ts(0), "value": 1.5}, {"meter": "E1", "ts": ts(15), "value": 2.0},
        {"meter": "C1", "ts": ts(0), "value": 10.0}]})
    assert r.status_code == 200, r.content
    assert r.json() == {"accepted": 3, "duplicates": 0, "conflicts": 0, "rejected": [], "conflict_rows": []}
    assert sorted(Reading.objects.values_list("value", flat=True)) == [1.5, 2.0, 10.0]
    batch = IngestBatch.objects.get()
    assert (batch.gateway, batch.rows, batch.accepted) == (plant["gateway"], 3, 3)


@pytest.mark.parametrize(("row", "code"), [
    ({"meter": "NOPE", "ts": "2025-03-01T00:00:00+00:00", "value": 1}, "unknown_meter"),
    ({"meter": "OLD", "ts": "2025-03-01T00:00:00+00:00", "value": 1}, "meter_inactive"),
    ({"meter": "E1", "ts": "2025-03-01T00:00:00", "value": 1}, "timestamp_without_offset"),
    ({"meter": "E1", "ts": "2099-03-01T00:00:00+00:00", "value": 1}, "timestamp_in_future"),
    ({"meter": "E1", "ts": "yesterday", "value": 1}, "invalid_timestamp"),
    ({"meter": "E1", "ts": "0001-01-01T00:00:00+05:00", "value": 1}, "invalid_timestamp"),
    ({"meter": "E1", "ts": 1740787200, "value": 1}, "missing_field"),
    ({"meter": "E1", "ts": "2025-03-01T00:00:00+00:00", "value": {"v": 1}}, "not_finite"),
    ({"meter": "E1", "ts": "2025-03-01T00:00:00+00:00", "value": "abc"}, "not_finite"),
    ({"meter": "E1", "ts": "2025-03-01T00:00:00+00:00", "value": True}, "not_finite"),
    ({"meter": "E1", "ts": "2025-03-01T00:00:00+00:00", "value": -3}, "negative_interval_quantity"),
    ({"meter": "E1", "ts": "2025-03-01T00:00:00+00:00"}, "missing_field"),
])
def test_each_row_error_code_is_reported_and_valid_rows_still_stored(gw_client, row, code):
    r = post_json(gw_client, {"readings": [{"meter": "E1", "ts": ts(60), "value": 4.0}, row]})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["accepted"] == 1
    assert [(e["index"], e["code"]) for e in body["rejected"]] == [(1, code)]
    assert Reading.objects.count() == 1
    assert list(RejectedRow.objects.values_list("index", "code")) == [(1, code)]


def test_meter_not_allowed_for_a_restricted_gateway(plant, api_client):
    _, token = gateway_provision(site=plant["site"], name="gw-restricted", meter_codes=["C1"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    r = post_json(api_client, {"readings": [{"meter": "E1", "ts": ts(0), "value": 1}]})
    assert r.json()["rejected"] == [{"index": 0, "meter": "E1", "code": "meter_not_allowed",
                                     "detail": "This gateway is not allowed to report this meter."}]


def test_duplicate_and_conflict_against_stored_rows(gw_client):
    post_json(gw_client, {"readings": [{"meter": "E1", "ts": ts(0), "value": 1.0},
                                       {"meter": "E1", "ts": ts(15), "value": 2.0}]})
    r = post_json(gw_client, {"readings": [{"meter": "E1", "ts": ts(0), "value": 1.0},
                                           {"meter": "E1", "ts": ts(15), "value": 9.0}]})
    body = r.json()
    assert (body["accepted"], body["duplicates"], body["conflicts"]) == (0, 1, 1)
    assert [c["index"] for c in body["conflict_rows"]] == [1]
    assert Reading.objects.get(ts=T0 + dt.timedelta(minutes=15)).value == 2.0  # stored value stays
    conflict = ReadingConflict.objects.get()
    assert (conflict.stored_value, conflict.offered_value, conflict.status) == (2.0, 9.0, "open")


def test_within_a_batch_the_first_row_counts(gw_client):
    r = post_json(gw_client, {"readings": [
        {"meter": "E1", "ts": ts(0), "value": 1.0},
        {"meter": "E1", "ts": ts(0), "value": 1.0},   # duplicate of row 0
        {"meter": "E1", "ts": ts(0), "value": 7.0},   # conflict with row 0
    ]})
    body = r.json()
    assert (body["accepted"], body["duplicates"], body["conflicts"]) == (1, 1, 1)
    assert Reading.objects.get().value == 1.0
    assert ReadingConflict.objects.get().offered_value == 7.0


def test_repeated_batch_id_replays_the_first_answer_without_writing(gw_client):
    payload = {"batch_id": "b-1", "readings": [{"meter": "E1", "ts": ts(0), "value": 1.0},
                                               {"meter": "NOPE", "ts": ts(0), "value": 1.0}]}
    first = post_json(gw_client, payload).json()
    payload["readings"].append({"meter": "E1", "ts": ts(15), "value": 3.0})
    second = post_json(gw_client, payload).json()
    assert second == first
    assert Reading.objects.count() == 1
    assert IngestBatch.objects.count() == 1


def test_gzip_json_and_csv_bodies(gw_client):
    import orjson

    body = gzip.compress(orjson.dumps({"readings": [{"meter": "E1", "ts": ts(0), "value": 1.0}]}))
    r = gw_client.generic("POST", "/api/v1/readings/", body, content_type="application/json",
                          HTTP_CONTENT_ENCODING="gzip")
    assert r.json()["accepted"] == 1
    csv_body = f"meter,ts,value\nE1,{ts(15)},2.5\nE1,{ts(30)},NaN\n".encode()
    r = gw_client.generic("POST", "/api/v1/readings/", gzip.compress(csv_body), content_type="text/csv",
                          HTTP_CONTENT_ENCODING="gzip", HTTP_X_BATCH_ID="csv-1")
    body = r.json()
    assert body["accepted"] == 1
    assert [(e["index"], e["code"]) for e in body["rejected"]] == [(1, "not_finite")]
    assert IngestBatch.objects.filter(batch_key="csv-1").count() == 1


def test_cumulative_register_rollover_is_accepted_and_recorded(gw_client):
    # C1 rolls over at 100000: 99990 -> 5 is a wrap (top tenth -> bottom tenth), delta 15.
    r = post_json(gw_client, {"readings": [{"meter": "C1", "ts": ts(0), "value": 99990},
                                           {"meter": "C1", "ts": ts(15), "value": 5}]})
    assert r.json()["accepted"] == 2
    event = RegisterEvent.objects.get()
    assert (event.kind, event.previous_value, event.value) == ("rollover", 99990, 5)


def test_cumulative_register_reset_is_rejected_and_held_for_review(gw_client):
    post_json(gw_client, {"readings": [{"meter": "C2", "ts": ts(0), "value": 500}]})
    r = post_json(gw_client, {"readings": [{"meter": "C2", "ts": ts(15), "value": 20},
                                           {"meter": "C2", "ts": ts(30), "value": 600}]})
    body = r.json()
    assert body["accepted"] == 1
    assert [(e["index"], e["code"]) for e in body["rejected"]] == [(0, "register_backwards")]
    event = RegisterEvent.objects.get()
    assert (event.kind, event.previous_value, event.value, event.status) == ("reset", 500, 20, "open")
    assert sorted(Reading.objects.values_list("value", flat=True)) == [500, 600]


def test_accepted_rows_mark_dirty_local_days(gw_client, plant):
    # 2025-03-01T16:30Z is 2025-03-02 00:30 in Asia/Shanghai (UTC+8).
    post_json(gw_client, {"readings": [{"meter": "E1", "ts": "2025-03-01T16:30:00+00:00", "value": 1.0}]})
    days = set(DirtyMeterDay.objects.values_list("meter__code", "day"))
    assert ("E1", dt.date(2025, 3, 2)) in days


@pytest.mark.parametrize("body", [b"{not json", b'{"readings": 3}', b"[1,2]"])
def test_malformed_body_is_400(gw_client, body):
    r = gw_client.generic("POST", "/api/v1/readings/", body, content_type="application/json")
    assert r.status_code == 400
    assert set(r.json()) == {"code", "detail"}
    assert Reading.objects.count() == 0


def test_malformed_csv_header_is_400(gw_client):
    r = gw_client.generic("POST", "/api/v1/readings/", b"a,b\n1,2\n", content_type="text/csv")
    assert (r.status_code, r.json()["code"]) == (400, "malformed_csv")


@override_settings(INGEST_MAX_ROWS=2)
def test_too_many_rows_is_413(gw_client):
    r = post_json(gw_client, {"readings": [{"meter": "E1", "ts": ts(i * 15), "value": 1} for i in range(3)]})
    assert (r.status_code, r.json()["code"]) == (413, "too_many_rows")
    assert Reading.objects.count() == 0


@override_settings(INGEST_MAX_BYTES=100)
def test_too_many_bytes_is_413(gw_client):
    r = post_json(gw_client, {"readings": [{"meter": "E1", "ts": ts(i * 15), "value": 1} for i in range(5)]})
    assert (r.status_code, r.json()["code"]) == (413, "payload_too_large")


@pytest.mark.parametrize("header", [None, "Bearer ntg_wrong", "Token abc"])
def test_missing_or_wrong_token_is_401(api_client, plant, header):
    if header:
        api_client.credentials(HTTP_AUTHORIZATION=header)
    r = post_json(api_client, {"readings": []})
    assert r.status_code == 401
    assert Reading.objects.count() == 0


def test_revoked_token_is_401(gw_client, plant):
    from meters.services.gateways import gateway_tokens_revoke

    gateway_tokens_revoke(gateway=plant["gateway"])
    assert post_json(gw_client, {"readings": []}).status_code == 401


def test_throttled_gateway_gets_429_with_retry_after(gw_client, settings):
    cache.clear()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"gateway": "2/min"}}
    from meters.apis_ingest import GatewayRateThrottle

    old = GatewayRateThrottle.THROTTLE_RATES
    GatewayRateThrottle.THROTTLE_RATES = {"gateway": "2/min"}
    try:
        codes = [post_json(gw_client, {"readings": []}).status_code for _ in range(3)]
        r = post_json(gw_client, {"readings": []})
    finally:
        GatewayRateThrottle.THROTTLE_RATES = old
        cache.clear()
    assert codes == [200, 200, 429]
    assert r.status_code == 429
    assert int(r["Retry-After"]) > 0


def test_batch_is_stored_while_redis_is_down(gw_client):
    dead = "redis://127.0.0.1:1/0"
    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                               "LOCATION": dead}}, CELERY_BROKER_URL=dead):
        with pytest.raises(Exception):  # noqa: B017, PT011  (prove the cache really is unreachable)
            cache.get("probe")
        r = post_json(gw_client, {"readings": [{"meter": "E1", "ts": ts(0), "value": 1.0}]})
    assert r.status_code == 200, r.content
    assert Reading.objects.count() == 1
    assert DirtyMeterDay.objects.filter(meter__code="E1").exists()


def test_register_check_uses_stored_readings_interleaved_with_the_batch(gw_client):
    # Stored: C2 = 200 at 00:15. Late batch: 100 at 00:00 (fine, before 200) and 150 at 00:30 (after 200: backwards).
    post_json(gw_client, {"readings": [{"meter": "C2", "ts": ts(15), "value": 200}]})
    r = post_json(gw_client, {"readings": [{"meter": "C2", "ts": ts(0), "value": 100},
                                           {"meter": "C2", "ts": ts(30), "value": 150}]})
    body = r.json()
    assert body["accepted"] == 1
    assert [(e["index"], e["code"]) for e in body["rejected"]] == [(1, "register_backwards")]


def test_cumulative_reading_at_local_midnight_also_dirties_the_previous_day(gw_client):
    # 2025-03-01T16:00Z = 2025-03-02 00:00 Asia/Shanghai; its delta covers 23:45-00:00 of 2025-03-01.
    post_json(gw_client, {"readings": [{"meter": "C2", "ts": "2025-03-01T16:00:00+00:00", "value": 5}]})
    assert sorted(DirtyMeterDay.objects.values_list("day", flat=True)) == [dt.date(2025, 3, 1), dt.date(2025, 3, 2)]


def test_openapi_schema_documents_the_gateway_bearer_scheme_and_examples(api_client, tenants):
    api_client.force_authenticate(tenants["staff"])
    r = api_client.get("/api/schema/", {"format": "json"})
    schema = r.json()
    assert schema["components"]["securitySchemes"]["gatewayToken"]["scheme"] == "bearer"
    op = schema["paths"]["/api/v1/readings/"]["post"]
    assert op["security"] == [{"gatewayToken": []}]
    assert {"application/json", "text/csv"} <= set(op["requestBody"]["content"])
    assert "413" in op["responses"] and "429" in op["responses"]


def test_accepting_a_reset_stores_the_held_reading_as_new_baseline(gw_client):
    from meters.services.review import register_reset_accept

    post_json(gw_client, {"readings": [{"meter": "C2", "ts": ts(0), "value": 500}]})
    post_json(gw_client, {"readings": [{"meter": "C2", "ts": ts(15), "value": 3}]})  # meter exchanged: held
    event = RegisterEvent.objects.get(kind="reset")
    assert register_reset_accept(event=event) is True
    event.refresh_from_db()
    assert event.status == "resolved"
    r = post_json(gw_client, {"readings": [{"meter": "C2", "ts": ts(30), "value": 7}]})
    assert r.json()["accepted"] == 1  # compared with 3, not 500
    assert sorted(Reading.objects.values_list("value", flat=True)) == [3, 7, 500]


def test_admin_lists_of_ingestion_records_render(client, tenants, gw_client):
    post_json(gw_client, {"readings": [{"meter": "NOPE", "ts": ts(0), "value": 1}]})
    client.force_login(tenants["staff"])
    for model in ("ingestbatch", "rejectedrow", "readingconflict", "registerevent", "importjob", "bill"):
        assert client.get(f"/admin/meters/{model}/").status_code == 200, model


@pytest.mark.django_db
def test_a_gateway_token_is_answered_with_the_gateway_and_site_as_the_orm_loads_them(plant):
    """gateway_authenticate reads the token, its gateway and site in one statement on PostgreSQL (every gateway request
    asks); the models must be those the ORM loads, field by field."""
    from django.forms.models import model_to_dict

    from meters.models import Gateway
    from meters.services.gateways import gateway_authenticate, gateway_tokens_revoke

    gateway = gateway_authenticate(token=plant["token"])
    expected = Gateway.objects.select_related("site").get(pk=plant["gateway"].pk)
    assert (type(gateway), gateway.pk, gateway._state.adding, gateway._state.db) == (Gateway, expected.pk, False,
                                                                                     "default")
    fields = [f.attname for f in Gateway._meta.concrete_fields]
    assert [getattr(gateway, f) for f in fields] == [getattr(expected, f) for f in fields]
    site_fields = [f.attname for f in type(expected.site)._meta.concrete_fields]
    assert [getattr(gateway.site, f) for f in site_fields] == [getattr(expected.site, f) for f in site_fields]
    assert model_to_dict(gateway.site) == model_to_dict(expected.site)
    assert gateway_authenticate(token=plant["token"] + "x") is None
    gateway_tokens_revoke(gateway=expected)
    assert gateway_authenticate(token=plant["token"]) is None
