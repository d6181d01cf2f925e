"""Uploads (CSV imports) refuse implausible values and rows of a meter whose unit its carrier does not allow, and
accept the other rows (issue #13 Deliver 7)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from meters.models import ImportJob, Meter, Reading
from tests.factories import MeterFactory

from .conftest import ts


@pytest.mark.django_db(transaction=True)
def test_readings_upload_refuses_implausible_values_and_a_meter_with_a_unit_not_allowed(api_client, plant, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    site = plant["site"]
    MeterFactory(site=site, code="CAP", max_reading=Decimal("100"))  # at most 100 kWh per reading
    Meter.objects.filter(pk=MeterFactory(site=site, code="ZERO").pk).update(unit="0")  # stored before the checks
    body = (f"meter,ts,value\nE1,{ts(0)},12.5\nE1,{ts(15)},1e308\nCAP,{ts(0)},100\nCAP,{ts(15)},100.5\n"
            f"ZERO,{ts(0)},1\n")
    api_client.force_authenticate(plant["manager_a"])
    r = api_client.post("/api/v1/imports/", {"site": site.pk, "kind": "readings",
                                             "file": SimpleUploadedFile("m.csv", body.encode())}, format="multipart")
    assert r.status_code == 201, r.content
    preview = api_client.get(f"/api/v1/imports/{r.json()['id']}/").json()
    # CSV lines 3, 5 and 6 (line 1 is the header).
    assert [(e["index"], e["code"]) for e in preview["preview"]["rejected"]] == [
        (3, "implausible_value"), (5, "implausible_value"), (6, "unit_not_allowed")]
    assert api_client.post(f"/api/v1/imports/{r.json()['id']}/commit/").status_code == 202
    job = ImportJob.objects.get(pk=r.json()["id"])
    assert (job.status, job.accepted, job.rejected) == ("done", 2, 3)
    assert sorted(Reading.objects.values_list("value", flat=True)) == [12.5, 100.0]
