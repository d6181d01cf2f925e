"""The upload form's mapping and presets, and the upload panel's preview and result: counts that agree with what is
stored, every refused row listed (paged) with a Chinese reason, and a result box green only when all was saved."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from meters.models import ImportJob, ImportPreset, Reading
from plants.models import EconomicData
from tests.factories import MeterFactory
from ui.models import MonthlyUpload
from ui.selectors import UPLOAD_PAGE_ROWS

MAPPING = {"timestamp_column": "Time", "timestamp_format": "%d/%m/%Y %H:%M", "timestamp_label": "end",
           "timezone": "Asia/Shanghai", "meter_column": "Meter", "value_column": "Energy"}


@pytest.fixture
def plant(tenants):
    MeterFactory(site=tenants["site_a"], code="E1")
    MeterFactory(site=tenants["site_a"], code="E2")
    return tenants


def _post(client, plant, text: str, **fields):
    return client.post("/entry/", {"form": "upload", "kind": "readings", "site": plant["site_a"].pk,
                                   "file": SimpleUploadedFile("vendor.csv", text.encode()), **fields})


def _commit(client, job, capture):
    with capture(execute=True):
        client.post(f"/entry/uploads/meters/{job.pk}/commit/")
    job.refresh_from_db()
    return job


def test_mapping_typed_on_the_form_is_saved_as_a_preset_and_chosen_for_the_next_file(
        client, plant, django_capture_on_commit_callbacks, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    client.force_login(plant["manager_a"])
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, plant, "Time,Meter,Energy\n06/12/2026 00:15,E1,10\n", **{
            **MAPPING, "save_preset": "Vendor X"})
    assert response.status_code == 302, response.content
    preset = ImportPreset.objects.get()
    assert (preset.enterprise, preset.name, preset.mapping["timestamp_label"]) == (plant["a"], "Vendor X", "end")
    with translation.override("zh-hans"), django_capture_on_commit_callbacks(execute=True):
        response = _post(client, plant, "Time,Meter,Energy\n06/12/2026 00:30,E1,12\n", preset=preset.pk)
    job = ImportJob.objects.latest("pk")
    assert (job.preset, job.mapping) == (preset, preset.mapping)
    page = client.get(f"/entry/?enterprise={plant['a'].pk}&upload=meters-{job.pk}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = page.content.decode()
    # end-labelled 00:30 Shanghai -> interval start 00:15 Shanghai = 2026-12-05 16:15 UTC
    assert [(s["meter"], s["ts_local"], s["ts_utc"]) for s in page.context["job"]["preview"]["sample"]] == [
        ("E1", "2026-12-06 00:15", "2026-12-05T16:15:00+00:00")]
    assert "前几行将按如下方式保存" in html and "2026-12-06 00:15" in html and "2026-12-05 16:15" in html
    job = _commit(client, job, django_capture_on_commit_callbacks)
    assert list(Reading.objects.values_list("value", flat=True)) == [12.0]


def test_result_box_is_green_only_when_every_row_was_saved(client, plant, django_capture_on_commit_callbacks,
                                                           settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    client.force_login(plant["manager_a"])
    tones = []
    for text in ("Time,Meter,Energy\n06/12/2026 00:15,E1,1\n",                        # all saved
                 "Time,Meter,Energy\n06/12/2026 00:30,E1,1\n06/12/2026 00:45,NOPE,1\n",  # one saved, one refused
                 "Time,Meter,Energy\n06/12/2026 01:00,NOPE,1\n"):                     # nothing saved
        with django_capture_on_commit_callbacks(execute=True):
            _post(client, plant, text, **MAPPING)
        job = _commit(client, ImportJob.objects.latest("pk"), django_capture_on_commit_callbacks)
        panel = client.get(f"/entry/uploads/meters/{job.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
        tones.append((panel.context["job"]["tone"], panel.context["job"]["saved"], panel.context["job"]["refused"]))
        if job.rejected:
            html = panel.content.decode()
            assert 'class="alertbox"' in html or 'class="warn"' in html
            assert "文件所属厂区没有此编码的计量表。" in html and "gateway" not in html
    assert tones == [("ok", 1, 0), ("warn", 1, 1), ("bad", 0, 1)]


def test_every_refused_row_is_listed_page_by_page(client, plant, django_capture_on_commit_callbacks, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    client.force_login(plant["manager_a"])
    # 60 rows of an unknown meter: 60 refused = page 1 of 2 (50 rows) + page 2 (10 rows).
    text = "Time,Meter,Energy\n" + "".join(f"06/12/2026 {h:02d}:{m:02d},NOPE,1\n" for h in range(15)
                                           for m in (0, 15, 30, 45))
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, plant, text, **MAPPING)
    job = ImportJob.objects.latest("pk")
    first = client.get(f"/entry/uploads/meters/{job.pk}/").context["job"]["preview_rejected"]
    second = client.get(f"/entry/uploads/meters/{job.pk}/?page=2").context["job"]["preview_rejected"]
    assert (first["count"], first["pages"], len(first["items"]), len(second["items"])) == (
        60, 2, UPLOAD_PAGE_ROWS, 10)
    assert [r["row"] for r in first["items"] + second["items"]] == list(range(2, 62))
    assert job.preview["valid_count"] == 0 and not client.get(
        f"/entry/uploads/meters/{job.pk}/").context["job"]["committable"]


def test_a_bad_columns_line_is_a_form_error(client, plant):
    client.force_login(plant["manager_a"])
    response = _post(client, plant, "Time,A\n", timestamp_column="Time", columns="A E1")  # no "="
    assert response.status_code == 400
    assert "第 1 行：请写成 列名 = 计量表，或 列名 = 计量表 单位。" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_value_added_file_with_semicolons_and_decimal_comma_goes_through_the_same_cell_rules(
        client, plant, django_capture_on_commit_callbacks, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    client.force_login(plant["manager_a"])
    text = "site;month;value_added_10k_cny\nA1;2025-01;1.234,5\nA1;2025-02;abc\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/entry/", {"form": "upload", "kind": "economic", "decimal_comma": "on",
                                           "file": SimpleUploadedFile("va.csv", text.encode())})
    assert response.status_code == 302, response.content
    upload = MonthlyUpload.objects.get()
    panel = client.get(f"/entry/uploads/monthly/{upload.pk}/")
    # "1.234,5" with a decimal comma is 1234.5; "abc" is refused with a reason in Chinese, never the decimal
    # module's [<class 'decimal.ConversionSyntax'>].
    assert [(r["row"], r["reason"]) for r in panel.context["job"]["preview_rejected"]["items"]] == [
        (3, "数值不是数字。")]
    assert "ConversionSyntax" not in panel.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/entry/uploads/monthly/{upload.pk}/commit/")
    assert list(EconomicData.objects.values_list("month", "value_added_10k_cny")) == [
        (dt.date(2025, 1, 1), Decimal("1234.5"))]
    done = client.get(f"/entry/uploads/monthly/{upload.pk}/").context["job"]
    assert (done["saved"], done["refused"], done["tone"]) == (1, 1, "warn")
