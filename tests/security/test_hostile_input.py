"""Hostile text is a client error: control characters and over-long input are refused with 400 before they reach the
database (energy_platform.middleware.InputGuardMiddleware); 503 `database_unavailable` only for a database that is
really unavailable; a committed batch answers 200 even when the rollup after its commit fails."""

from __future__ import annotations

import datetime as dt
import gzip

import orjson
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DataError, OperationalError
from rest_framework.test import APIClient

from energy_platform.api import exception_handler
from energy_platform.errors import ApplicationError
from energy_platform.middleware import ApplicationErrorMiddleware, body_check
from meters.models import DirtyMeterDay, IngestBatch, MeterRollup, Reading
from meters.rollup import rollup_sweep
from meters.services.gateways import gateway_provision
from plants.models import Site
from tests.factories import MeterFactory

pytestmark = pytest.mark.django_db
TS = "2025-03-01T08:00:00+08:00"


@pytest.fixture
def gateway(tenants) -> APIClient:
    MeterFactory(site=tenants["site_a"], code="E1")
    _, token = gateway_provision(site=tenants["site_a"], name="gw")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _json(client, payload: dict, **extra):
    return client.generic("POST", "/api/v1/readings/", orjson.dumps(payload), content_type="application/json",
                          **extra)


def _refused(resp, code: str = "invalid_characters") -> None:
    assert resp.status_code == 400, resp.content
    assert resp.json()["code"] == code


@pytest.mark.parametrize("row", [
    {"meter": "E1\x00", "ts": TS, "value": 1.0},
    {"meter": "E1", "ts": "2025-03-01T08:00:00\x00+08:00", "value": 1.0},
    {"meter": "E\x1b[31m1", "ts": TS, "value": 1.0},
])
def test_a_control_character_in_a_reading_is_a_400_not_an_outage(gateway, row):
    _refused(_json(gateway, {"readings": [row]}))
    assert not IngestBatch.objects.exists()


def test_a_nul_in_the_batch_id_is_a_400_and_nothing_is_stored(gateway):
    _refused(_json(gateway, {"batch_id": "b\x00", "readings": [{"meter": "E1", "ts": TS, "value": 1.0}]}))
    assert not IngestBatch.objects.exists()
    assert not Reading.objects.exists()


def test_csv_upload_with_a_500_character_batch_id_header_is_too_long(gateway):
    body = f"meter,ts,value\nE1,{TS},1.0\n".encode()
    resp = gateway.generic("POST", "/api/v1/readings/", body, content_type="text/csv", HTTP_X_BATCH_ID="b" * 500)
    _refused(resp, "too_long")
    resp = gateway.generic("POST", "/api/v1/readings/", body, content_type="text/csv", HTTP_X_BATCH_ID="b" * 100)
    assert resp.status_code == 200, resp.content  # 100 characters is the limit of a batch id
    assert resp.json()["accepted"] == 1


def test_a_nul_byte_in_a_csv_body_or_a_gzip_body_is_refused(gateway):
    _refused(gateway.generic("POST", "/api/v1/readings/", f"meter,ts,value\nE1\x00,{TS},1.0\n".encode(),
                             content_type="text/csv"))
    packed = gzip.compress(orjson.dumps({"readings": [{"meter": "E1\x00", "ts": TS, "value": 1.0}]}))
    _refused(gateway.generic("POST", "/api/v1/readings/", packed, content_type="application/json",
                             HTTP_CONTENT_ENCODING="gzip"))
    assert not IngestBatch.objects.exists()


def test_nul_in_a_path_parameter_or_query_parameter_is_a_400(tenants, api_client, client):
    api_client.force_authenticate(tenants["manager_a"])
    _refused(api_client.get("/api/v1/sites/SZ%00/kpis/"))
    _refused(api_client.get("/api/v1/sites/", {"search": "A\x001"}))
    _refused(api_client.get("/api/v1/sites/", {"search": "A" * 2001}), "too_long")
    _refused(api_client.get(f"/api/v1/sites/{'S' * 2000}/kpis/"), "too_long")
    client.force_login(tenants["manager_a"])
    page = client.get("/quality/", {"q": "\x00"})
    assert page.status_code == 400
    assert b"invalid_characters" in page.content


def test_control_characters_in_a_json_body_or_form_field_are_refused(tenants, api_client, client):
    api_client.force_authenticate(tenants["admin_a"])
    resp = api_client.post("/api/v1/sites/", {"enterprise": tenants["a"].pk, "code": "S9", "name": "bad\u0000name",
                                              "region_code": "310115"}, format="json")
    _refused(resp)
    assert not Site.objects.filter(code="S9").exists()
    client.force_login(tenants["manager_a"])
    _refused_page = client.post("/entry/", {"name": "x\x07"})
    assert _refused_page.status_code == 400


def test_an_uploaded_csv_with_a_nul_byte_is_refused(tenants, api_client):
    api_client.force_authenticate(tenants["manager_a"])
    upload = SimpleUploadedFile("r.csv", f"meter,ts,value\nE1\x00,{TS},1\n".encode())
    resp = api_client.post("/api/v1/imports/", {"site": tenants["site_a"].pk, "kind": "readings", "file": upload},
                           format="multipart")
    _refused(resp)


def test_body_check_allows_line_breaks_tabs_and_an_escaped_backslash():
    body_check(b'{"note": "line one\\nline two\\tend", "path": "C:\\\\u0000dir"}')  # \\u0000 is text, not NUL
    body_check("名称\r\n\t".encode())
    for bad in (b'{"a": "\\u0000"}', b'{"a": "\\\\\\u001f"}', b"a\x00b", "a\u0085b".encode()):
        with pytest.raises(ApplicationError):
            body_check(bad)


def test_only_an_unreachable_database_is_a_503(rf):
    invalid = exception_handler(DataError("invalid byte sequence"), {})
    assert (invalid.status_code, invalid.data["code"]) == (400, "invalid_value")
    down = exception_handler(OperationalError("connection refused"), {})
    assert (down.status_code, down.data["code"], down["Retry-After"]) == (503, "database_unavailable", "5")
    # The pages alike.
    pages = ApplicationErrorMiddleware(lambda request: None)
    page = pages.process_exception(rf.get("/quality/"), DataError("value too long"))
    assert page.status_code == 400 and b"invalid_value" in page.content
    assert pages.process_exception(rf.get("/quality/"), OperationalError("connection refused")).status_code == 503


def test_a_committed_batch_answers_200_when_the_rollup_after_it_fails(gateway, monkeypatch):
    """SQLite under concurrent gateways: the post-commit rollup meets 'database is locked'. The batch stays stored,
    its meter-day stays dirty, and the next sweep makes the rollup."""

    def locked() -> None:
        raise OperationalError("database is locked")

    monkeypatch.setattr("meters.apis_ingest.rollups_after_write", locked)
    resp = _json(gateway, {"batch_id": "b1", "readings": [{"meter": "E1", "ts": TS, "value": 2.5}]})
    assert resp.status_code == 200, resp.content
    assert resp.json()["accepted"] == 1
    assert Reading.objects.get().value == 2.5
    assert DirtyMeterDay.objects.filter(day=dt.date(2025, 3, 1)).exists()
    assert not MeterRollup.objects.exists()
    rollup_sweep()
    assert MeterRollup.objects.filter(granularity="day").get().quantity == 2.5
    # The retried batch is a replay of the first answer, not a second write.
    again = _json(gateway, {"batch_id": "b1", "readings": [{"meter": "E1", "ts": TS, "value": 2.5}]})
    assert (again.status_code, again.json()["accepted"]) == (200, 1)
    assert Reading.objects.count() == 1
