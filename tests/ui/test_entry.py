"""Data entry: bills and fuel purchases by form, background uploads with preview, progress and result; roles."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import AuditEvent
from meters.models import Bill, ImportJob, Reading
from plants.models import EconomicData
from tests.factories import MeterFactory
from ui import services as ui_services
from ui.models import MonthlyUpload


@pytest.fixture
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def plant(tenants):
    main = MeterFactory(site=tenants["site_a"], code="E1")
    coal = MeterFactory(site=tenants["site_a"], code="COAL", carrier="raw_coal", unit="t", interval_minutes=44640)
    register = MeterFactory(site=tenants["site_a"], code="REG", reading_kind="cumulative")
    other = MeterFactory(site=tenants["site_b"], code="BE1")
    return {**tenants, "main": main, "coal": coal, "register": register, "other": other}


def _bill(meter, **over):
    return {"form": "bill", "meter": meter.pk, "period_start": "2025-01-01", "period_end": "2025-01-31",
            "quantity": "12000", "amount_cny": "8400.50", "document_no": "INV-1", **over}


def test_bill_by_form_is_stored_with_its_interval_reading_at_local_period_start(client, plant):
    client.force_login(plant["manager_a"])
    response = client.post("/entry/", _bill(plant["main"]))
    assert response.status_code == 302
    bill = Bill.objects.get(meter=plant["main"])
    assert (bill.period_end, bill.quantity, bill.amount_cny, bill.document_no) == (
        dt.date(2025, 1, 31), Decimal("12000"), Decimal("8400.50"), "INV-1")
    # 2025-01-01 00:00 Asia/Shanghai = 2024-12-31 16:00 UTC: the reading that rollups and accounting pick up.
    reading = Reading.objects.get(meter=plant["main"])
    assert (reading.ts, reading.value) == (dt.datetime(2024, 12, 31, 16, tzinfo=dt.UTC), 12000.0)
    assert AuditEvent.objects.filter(action="bill.record", actor=plant["manager_a"]).count() == 1


def test_fuel_purchase_by_form_for_a_coal_meter(client, plant):
    client.force_login(plant["admin_a"])
    response = client.post("/entry/", _bill(plant["coal"], quantity="35.5", amount_cny="", document_no="DN-7"))
    assert response.status_code == 302
    bill = Bill.objects.get(meter=plant["coal"])
    assert (bill.quantity, bill.amount_cny) == (Decimal("35.5"), None)


def test_bill_with_a_different_quantity_for_the_same_period_is_a_form_error_not_an_overwrite(client, plant):
    client.force_login(plant["manager_a"])
    client.post("/entry/", _bill(plant["main"]))
    response = client.post("/entry/", _bill(plant["main"], quantity="13000"))
    assert response.status_code == 400
    assert "data-quality page" in response.content.decode() or "数据质量" in response.content.decode()
    assert Bill.objects.get(meter=plant["main"]).quantity == Decimal("12000")
    assert Reading.objects.get(meter=plant["main"]).value == 12000.0


def test_bill_for_a_cumulative_register_or_bad_period_is_refused(client, plant):
    client.force_login(plant["manager_a"])
    assert client.post("/entry/", _bill(plant["register"])).status_code == 400
    assert client.post("/entry/", _bill(plant["main"], period_end="2024-12-01")).status_code == 400
    assert client.post("/entry/", _bill(plant["main"], quantity="-3")).status_code == 400
    assert not Bill.objects.exists()


def test_bill_for_another_enterprise_meter_is_404_and_viewer_cannot_post(client, plant):
    client.force_login(plant["manager_a"])
    assert client.post("/entry/", _bill(plant["other"])).status_code == 404
    client.force_login(plant["viewer_a"])
    assert client.post("/entry/", _bill(plant["main"])).status_code == 403
    page = client.get("/entry/").content.decode()
    assert 'id="bill-form"' not in page
    assert not Bill.objects.exists()


def _upload(client, kind, name, body, site=""):
    return client.post("/entry/", {"form": "upload", "kind": kind, "site": site,
                                   "file": SimpleUploadedFile(name, body)})


def test_monthly_upload_validates_in_background_then_saves_in_chunks_with_progress(
        client, plant, eager, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(ui_services, "CHUNK_ROWS", 2)
    client.force_login(plant["manager_a"])
    body = (b"site,month,value_added_10k_cny\nA1,2025-02,10\nZZ,2025-02,5\nA1,2025-03,11\nA1,2025-04,x\n"
            b"A1,2025-05,12.5\n")
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, "economic", "va.csv", body)
    assert response.status_code == 302
    upload = MonthlyUpload.objects.get()
    assert f"upload=monthly-{upload.pk}" in response.url
    panel = client.get(f"/entry/uploads/monthly/{upload.pk}/")
    job = panel.context["job"]
    # Rows are numbered as in the file (header = row 1): ZZ is row 3, "x" row 5.
    assert (job["status"], job["preview"]["rows"], job["preview"]["valid"]) == ("preview", 5, 3)
    assert [r["row"] for r in job["preview_rejected"]["items"]] == [3, 5]
    assert job["polling"] is False
    assert not EconomicData.objects.exists()  # the preview writes nothing

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/entry/uploads/monthly/{upload.pk}/commit/", HTTP_HX_REQUEST="true")
        # The answer comes before the job runs: queued, and the panel polls.
        assert (response.context["job"]["status"], response.context["job"]["polling"]) == ("queued", True)
    response = client.get(f"/entry/uploads/monthly/{upload.pk}/")
    job = response.context["job"]
    # 5 rows in chunks of 2 -> 3 chunks; 3 saved, the 2 bad rows refused again with their file row numbers.
    assert (job["status"], job["processed"], job["total"], job["percent"], job["saved"]) == ("done", 5, 5, 100, 3)
    assert [r["row"] for r in job["refused_rows"]["items"]] == [3, 5]
    assert sorted(EconomicData.objects.values_list("value_added_10k_cny", flat=True)) == [
        Decimal("10"), Decimal("11"), Decimal("12.5")]
    assert 'id="upload-result"' in response.content.decode()
    assert client.post(f"/entry/uploads/monthly/{upload.pk}/commit/").status_code == 302  # refused: not in preview
    assert EconomicData.objects.count() == 3


def test_upload_panel_polls_while_the_job_is_waiting_for_a_worker(client, plant):
    client.force_login(plant["manager_a"])
    _upload(client, "economic", "va.csv", b"site,month,value_added_10k_cny\nA1,2025-02,10\n")
    upload = MonthlyUpload.objects.get()
    html = client.get(f"/entry/uploads/monthly/{upload.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert 'id="upload-progress"' in html


def test_running_upload_shows_processed_share(client, plant):
    upload = MonthlyUpload.objects.create(enterprise=plant["a"], kind="economic", original_name="a.csv", data=b"",
                                          status="running", total_rows=400, processed_rows=100)
    client.force_login(plant["viewer_a"])
    response = client.get(f"/entry/uploads/monthly/{upload.pk}/")
    assert response.context["job"]["percent"] == 25  # 100 / 400 rows
    assert 'value="25"' in response.content.decode()


def test_bills_upload_goes_through_the_meters_import_job(client, plant, eager, django_capture_on_commit_callbacks):
    client.force_login(plant["manager_a"])
    body = (b"meter,period_start,period_end,quantity,amount_cny,document_no\n"
            b"E1,2025-02-01,2025-02-28,9000,6300,INV-2\nNOPE,2025-02-01,2025-02-28,1,1,X\n")
    assert _upload(client, "bills", "bills.csv", body).status_code == 400  # the site is required
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, "bills", "bills.csv", body, site=plant["site_a"].pk)
    job = ImportJob.objects.get()
    assert f"upload=meters-{job.pk}" in response.url
    state = client.get(f"/entry/?upload=meters-{job.pk}").context["job"]
    assert (state["status"], state["preview"]["valid"]) == ("preview", 1)
    assert [(r["row"], r["meter"]) for r in state["preview_rejected"]["items"]] == [(3, "NOPE")]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/entry/uploads/meters/{job.pk}/commit/")
    job.refresh_from_db()
    assert (job.status, job.accepted, job.rejected) == ("done", 1, 1)
    assert Bill.objects.get().quantity == Decimal("9000")


def test_uploads_of_another_enterprise_are_404_and_viewers_cannot_upload_or_commit(client, plant):
    upload = MonthlyUpload.objects.create(enterprise=plant["b"], kind="economic", original_name="b.csv", data=b"",
                                          status="preview", preview={"rows": 1, "valid": 1, "rejected": []})
    client.force_login(plant["manager_a"])
    assert client.get(f"/entry/uploads/monthly/{upload.pk}/").status_code == 404
    assert client.post(f"/entry/uploads/monthly/{upload.pk}/commit/").status_code == 404
    assert client.get(f"/entry/?upload=monthly-{upload.pk}").status_code == 404
    assert client.get("/entry/uploads/nope/1/").status_code == 404
    own = MonthlyUpload.objects.create(enterprise=plant["a"], kind="economic", original_name="a.csv", data=b"",
                                       status="preview", preview={"rows": 1, "valid": 1, "rejected": []})
    client.force_login(plant["viewer_a"])
    assert client.post(f"/entry/uploads/monthly/{own.pk}/commit/").status_code == 403
    assert _upload(client, "economic", "va.csv", b"site,month,value_added_10k_cny\n").status_code == 403
    own.refresh_from_db()
    assert own.status == "preview"


def test_unreadable_or_wrong_type_upload_is_a_form_error_or_invalid_job(client, plant, eager,
                                                                        django_capture_on_commit_callbacks):
    client.force_login(plant["manager_a"])
    assert _upload(client, "economic", "va.txt", b"x").status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, "economic", "va.csv", b"foo,bar\n1,2\n")
    upload = MonthlyUpload.objects.get()
    response = client.get(f"/entry/uploads/monthly/{upload.pk}/")
    assert response.context["job"]["status"] == "invalid"
    assert "site,month,value_added_10k_cny" in response.context["job"]["error"]


def test_xlsx_upload_of_product_output(client, plant, eager, django_capture_on_commit_callbacks):
    import io

    import openpyxl

    from plants.models import ProductionData
    from tests.factories import ProductFactory

    ProductFactory(site=plant["site_a"], code="HRC")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["site", "product", "month", "quantity"])
    ws.append(["A1", "HRC", dt.date(2025, 3, 1), 58000])
    ws.append(["A1", "NOPE", dt.date(2025, 3, 1), 1])
    buf = io.BytesIO()
    wb.save(buf)
    client.force_login(plant["manager_a"])
    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, "production", "output.xlsx", buf.getvalue())
    upload = MonthlyUpload.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/entry/uploads/monthly/{upload.pk}/commit/")
    job = client.get(f"/entry/uploads/monthly/{upload.pk}/").context["job"]
    assert (job["status"], job["saved"], [r["row"] for r in job["refused_rows"]["items"]]) == ("done", 1, [3])
    assert ProductionData.objects.get(product__code="HRC", month=dt.date(2025, 3, 1)).quantity == Decimal("58000")


@pytest.mark.django_db
def test_a_failing_run_marks_either_upload_failed_with_its_error_and_a_finished_run_is_left_alone(plant, monkeypatch):
    """Both upload kinds share their run's bookkeeping (energy_platform.uploads.upload_run)."""
    from meters.services import imports

    monthly = MonthlyUpload.objects.create(
        enterprise=plant["a"], kind="economic", original_name="va.csv", status="queued", total_rows=1,
        data=b"site,month,value_added_10k_cny\nA1,2025-01,5\n")
    job = ImportJob.objects.create(site=plant["site_a"], kind="readings", original_name="r.csv", status="queued",
                                   total_rows=1, file=SimpleUploadedFile("r.csv", b"meter,ts,value\nE1,x,1\n"))

    def disk_full(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(ui_services, "monthly_records_import", disk_full)  # the run saves chunk by chunk
    monkeypatch.setattr(imports, "_ingest_chunk", disk_full)
    with pytest.raises(OSError):
        ui_services.monthly_upload_run(upload_id=monthly.pk)
    with pytest.raises(OSError):
        imports.import_job_run(job_id=job.pk)
    for obj in (monthly, job):
        obj.refresh_from_db()
        assert (obj.status, obj.error, obj.processed_rows) == ("failed", "disk full", 0)
        assert obj.finished_at is not None
    # A failed (or done) upload is not run again by a late or repeated task.
    assert ui_services.monthly_upload_run(upload_id=monthly.pk).status == "failed"
    assert imports.import_job_run(job_id=job.pk).status == "failed"
