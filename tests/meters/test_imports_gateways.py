"""Uploads (preview, commit, progress), gateway API and provisioning command, retention, concurrency."""

from __future__ import annotations

import datetime as dt
import io
import threading
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from accounts.tokens import token_hash
from meters.models import Bill, GatewayToken, ImportJob, IngestBatch, Reading, RejectedRow
from meters.services import imports
from meters.services.gateways import gateway_provision
from meters.services.ingest import RawRow, readings_ingest
from meters.services.maintenance import rejected_rows_purge
from tests.factories import MeterFactory, SiteFactory

from .conftest import T0, post_json, ts


@pytest.fixture
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


def _upload(client, plant, kind, name, content):
    client.force_authenticate(plant["manager_a"])
    return client.post("/api/v1/imports/", {"site": plant["site"].pk, "kind": kind,
                                            "file": SimpleUploadedFile(name, content)}, format="multipart")


@pytest.mark.django_db(transaction=True)
def test_readings_upload_previews_rejects_then_commits_in_chunks(api_client, plant, eager, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 2)
    csv_body = (f"meter,ts,value\nE1,{ts(0)},1\nE1,{ts(15)},2\nNOPE,{ts(0)},3\nE1,{ts(30)},-1\nE1,{ts(45)},4\n")
    r = _upload(api_client, plant, "readings", "march.csv", csv_body.encode())
    assert r.status_code == 201, r.content
    job_id = r.json()["id"]
    preview = api_client.get(f"/api/v1/imports/{job_id}/").json()
    assert preview["status"] == "preview"
    assert preview["total_rows"] == 5
    assert [(e["index"], e["code"]) for e in preview["preview"]["rejected"]] == [
        (4, "unknown_meter"), (5, "negative_interval_quantity")]
    assert Reading.objects.count() == 0  # the preview writes nothing

    r = api_client.post(f"/api/v1/imports/{job_id}/commit/")
    assert r.status_code == 202
    job = ImportJob.objects.get(pk=job_id)
    assert (job.status, job.processed_rows, job.total_rows, job.accepted, job.rejected) == ("done", 5, 5, 3, 2)
    assert sorted(Reading.objects.values_list("value", flat=True)) == [1, 2, 4]
    assert IngestBatch.objects.filter(source="upload").count() == 3  # chunks of 2 rows
    again = api_client.post(f"/api/v1/imports/{job_id}/commit/")
    assert again.status_code == 409
    assert again.json()["code"] == "not_committable" and "This import is done;" in again.json()["detail"]


@pytest.mark.django_db(transaction=True)
def test_bills_xlsx_upload_stores_bills_and_interval_readings_at_local_period_start(api_client, plant, eager):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["meter", "period_start", "period_end", "quantity", "amount_cny", "document_no"])
    ws.append(["E1", dt.date(2025, 1, 1), dt.date(2025, 1, 31), 120000, 84000.50, "INV-001"])
    ws.append(["C1", dt.date(2025, 1, 1), dt.date(2025, 1, 31), 10, 7, "INV-002"])
    buf = io.BytesIO()
    wb.save(buf)
    r = _upload(api_client, plant, "bills", "bills.xlsx", buf.getvalue())
    job_id = r.json()["id"]
    assert [(e["index"], e["code"]) for e in api_client.get(f"/api/v1/imports/{job_id}/").json()["preview"][
        "rejected"]] == [(3, "meter_not_interval")]
    api_client.post(f"/api/v1/imports/{job_id}/commit/")
    bill = Bill.objects.get()
    assert (bill.meter.code, bill.quantity, bill.amount_cny, bill.document_no) == (
        "E1", Decimal("120000.0000"), Decimal("84000.50"), "INV-001")
    reading = Reading.objects.get()
    # 2025-01-01 00:00 Asia/Shanghai = 2024-12-31 16:00 UTC
    assert (reading.ts, reading.value) == (dt.datetime(2024, 12, 31, 16, tzinfo=dt.UTC), 120000)


@pytest.mark.django_db
def test_upload_of_unreadable_file_is_marked_invalid(api_client, plant, eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = _upload(api_client, plant, "readings", "x.csv", b"foo,bar\n1,2\n")
    job = ImportJob.objects.get(pk=r.json()["id"])
    assert job.status == "invalid"
    assert "meter,ts,value" in job.error


@pytest.mark.django_db
def test_upload_of_another_format_is_refused_and_nothing_stored(api_client, plant):
    r = _upload(api_client, plant, "readings", "march.txt", b"meter,ts,value\n")
    assert r.status_code == 400
    assert r.json()["code"] == "unsupported_file"
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_viewer_cannot_upload(api_client, plant):
    api_client.force_authenticate(plant["viewer_a"])
    r = api_client.post("/api/v1/imports/", {"site": plant["site"].pk, "kind": "readings",
                                             "file": SimpleUploadedFile("a.csv", b"meter,ts,value\n")},
                        format="multipart")
    assert r.status_code == 403


@pytest.mark.django_db
def test_provision_gateway_prints_token_last_and_stores_only_its_hash(plant):
    out = io.StringIO()
    call_command("provision_gateway", "--site", "A1", "--name", "gw-2", "--meters", "E1,C1", stdout=out)
    token = out.getvalue().strip().splitlines()[-1]
    assert token.startswith("ntg_")
    stored = GatewayToken.objects.get(gateway__name="gw-2")
    assert stored.key_hash == token_hash(token)
    assert sorted(stored.gateway.allowed_meters.values_list("code", flat=True)) == ["C1", "E1"]


@pytest.mark.django_db
def test_provision_gateway_needs_enterprise_when_site_codes_repeat(plant):
    SiteFactory(code="A1")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--enterprise"):
        call_command("provision_gateway", "--site", "A1", "--name", "gw-3", stdout=io.StringIO())
    out = io.StringIO()
    call_command("provision_gateway", "--site", "A1", "--name", "gw-3", "--enterprise",
                 plant["a"].credit_code, stdout=out)
    assert out.getvalue().strip().splitlines()[-1].startswith("ntg_")


@pytest.mark.django_db
def test_enterprise_admin_creates_gateway_and_revokes_its_tokens(api_client, plant):
    api_client.force_authenticate(plant["admin_a"])
    r = api_client.post("/api/v1/gateways/", {"site": plant["site"].pk, "name": "gw-api", "meters": ["E1"]},
                        format="json")
    assert r.status_code == 201, r.content
    token, gw_id = r.json()["token"], r.json()["gateway"]["id"]
    assert api_client.get("/api/v1/gateways/").json()["count"] == 2
    r = api_client.post(f"/api/v1/gateways/{gw_id}/revoke-tokens/")
    assert r.json() == {"revoked": 1}
    api_client.force_authenticate(None)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert post_json(api_client, {"readings": []}).status_code == 401


@pytest.mark.django_db
def test_a_viewer_and_another_enterprise_cannot_revoke_but_an_energy_manager_can(api_client, plant, tenants):
    gw = plant["gateway"]
    api_client.force_authenticate(tenants["viewer_a"])
    assert api_client.post(f"/api/v1/gateways/{gw.pk}/revoke-tokens/").status_code == 403
    api_client.force_authenticate(plant["admin_b"])
    assert api_client.post(f"/api/v1/gateways/{gw.pk}/revoke-tokens/").status_code == 404
    api_client.force_authenticate(plant["manager_a"])  # energy managers onboard gateways (GATEWAY_MANAGE_ROLE)
    assert api_client.post(f"/api/v1/gateways/{gw.pk}/revoke-tokens/").json() == {"revoked": 1}


@pytest.mark.django_db
def test_rejected_rows_are_purged_after_retention(plant, settings):
    settings.INGEST_REJECTED_RETENTION_DAYS = 10
    readings_ingest(site=plant["site"], rows=[RawRow(0, "NOPE", ts(0), 1)], gateway=plant["gateway"])
    IngestBatch.objects.update(received_at=T0)
    assert rejected_rows_purge(now=T0 + dt.timedelta(days=9)) == 0
    assert rejected_rows_purge(now=T0 + dt.timedelta(days=11)) == 1
    assert RejectedRow.objects.count() == 0
    assert IngestBatch.objects.count() == 1  # the batch record (counts) stays


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_for_the_same_meters_from_two_gateways_store_each_row_once(tenants):
    site = tenants["site_a"]
    codes = [f"X{i}" for i in range(20)]
    for code in codes:
        MeterFactory(site=site, code=code)
    gateways = [gateway_provision(site=site, name=f"gw-{i}")[0] for i in range(2)]
    # Both gateways send the same 20 meters x 50 intervals, in opposite orders; every other value differs.
    rows = [(c, ts(15 * k), float(k)) for c in codes for k in range(50)]
    results, errors = {}, []

    def send(i):
        try:
            mine = rows if i == 0 else rows[::-1]
            raw = [RawRow(n, c, t, v + (0.5 if i == 1 and k % 2 else 0))
                   for n, ((c, t, v), k) in enumerate(zip(mine, range(len(mine)), strict=True))]
            results[i] = readings_ingest(site=site, rows=raw, gateway=gateways[i])
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Reading.objects.count() == 1000
    total = {k: results[0].__dict__[k] + results[1].__dict__[k] for k in ("accepted", "duplicates", "conflicts")}
    assert total["accepted"] == 1000
    assert total["duplicates"] + total["conflicts"] == 1000


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_the_same_batch_id_write_once(plant):
    rows = [RawRow(k, "E1", ts(15 * k), 1.0) for k in range(200)]
    results, errors = [], []

    def send():
        try:
            results.append(readings_ingest(site=plant["site"], rows=rows, gateway=plant["gateway"], batch_key="same"))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(r.replayed for r in results) == [False, True]
    assert [r.as_response() for r in results if r.replayed] == [r.as_response() for r in results if not r.replayed]
    assert Reading.objects.count() == 200
    assert IngestBatch.objects.count() == 1
