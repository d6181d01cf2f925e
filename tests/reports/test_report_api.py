"""Reports API and regulator exports: tenancy scoping, 4xx bodies, download of the stored file."""

from __future__ import annotations

import csv
import hashlib
import io
import json

import pytest

from reports.models import ReportSnapshot
from reports.services import report_generate

pytestmark = pytest.mark.django_db


def test_post_starts_a_report_and_the_task_completes_it(tenants, api_client, settings,
                                                        django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    api_client.force_authenticate(tenants["manager_a"])
    with django_capture_on_commit_callbacks(execute=True):
        resp = api_client.post("/api/v1/reports/", {"kind": "energy", "enterprise": tenants["a"].pk, "year": 2025,
                                                    "format": "json", "lang": "en"}, format="json")
    assert resp.status_code == 202
    assert resp.json()["status"] == "queued"
    status = api_client.get(f"/api/v1/reports/{resp.json()['id']}/").json()
    assert (status["status"], status["progress"], status["version"]) == ("done", 100, 1)


def test_viewer_cannot_start_and_bad_kind_is_a_4xx(tenants, api_client):
    api_client.force_authenticate(tenants["viewer_a"])
    body = {"kind": "energy", "enterprise": tenants["a"].pk, "year": 2025, "format": "json"}
    resp = api_client.post("/api/v1/reports/", body, format="json")
    assert resp.status_code == 403 and resp.json()["code"] == "forbidden"
    api_client.force_authenticate(tenants["manager_a"])
    resp = api_client.post("/api/v1/reports/", {**body, "kind": "poem"}, format="json")
    assert resp.status_code == 400 and resp.json()["code"] == "invalid_kind"
    assert ReportSnapshot.objects.count() == 0


def test_download_returns_the_stored_bytes_and_other_tenants_get_404(tenants, api_client):
    snap = report_generate(kind="ghg", enterprise=tenants["a"], year=2025, fmt="csv", lang="en")
    rf = snap.files.get()
    api_client.force_authenticate(tenants["viewer_a"])
    resp = api_client.get(f"/api/v1/reports/{snap.pk}/download/?file={rf.pk}")
    assert resp.status_code == 200
    assert hashlib.sha256(b"".join(resp.streaming_content)).hexdigest() == rf.sha256
    api_client.force_authenticate(tenants["admin_b"])
    assert api_client.get(f"/api/v1/reports/{snap.pk}/download/").status_code == 404
    assert api_client.get("/api/v1/reports/").json() == []


def test_regulator_export_lists_only_enterprises_in_the_jurisdiction(tenants, api_client):
    api_client.force_authenticate(tenants["regulator_sh"])
    resp = api_client.get("/api/v1/regulator/exports/?year=2025&kind=energy&format=json")
    assert resp.status_code == 200
    rows = json.loads(resp.content)["sections"][0]["tables"][0]["rows"]
    assert [r["credit_code"] for r in rows] == [tenants["a"].credit_code]
    resp = api_client.get("/api/v1/regulator/exports/?year=2025&kind=ghg&format=csv")
    text = resp.content.decode("utf-8-sig")
    assert tenants["a"].credit_code in text and tenants["b"].credit_code not in text
    assert {r["column"] for r in csv.DictReader(io.StringIO(text))} >= {"total_tco2", "scope1_tco2"}


def test_regulator_export_refuses_enterprise_users_and_bad_params(tenants, api_client):
    api_client.force_authenticate(tenants["admin_a"])
    assert api_client.get("/api/v1/regulator/exports/?year=2025").json()["code"] == "forbidden"
    api_client.force_authenticate(tenants["regulator_hb"])
    resp = api_client.get("/api/v1/regulator/exports/?year=x&kind=energy")
    assert resp.status_code == 400 and resp.json()["code"] == "invalid_export"


def test_admin_action_on_enterprises_generates_pdf_and_xlsx(tenants, client):
    client.force_login(tenants["staff"])
    resp = client.post("/admin/plants/enterprise/", {"action": "generate_energy_report",
                                                     "_selected_action": [tenants["a"].pk]})
    assert resp.status_code == 302
    snaps = ReportSnapshot.objects.filter(enterprise=tenants["a"], kind="energy")
    assert sorted(snaps.values_list("format", "status")) == [("pdf", "done"), ("xlsx", "done")]
    assert client.get(f"/admin/reports/reportsnapshot/{snaps[0].pk}/change/").status_code == 200
