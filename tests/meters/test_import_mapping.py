"""The one importer of vendor and utility files: mapping (day-first, end-labelled, time zone, wide files, units,
decimal comma), named presets, the preview exactly as stored, and results whose counts agree with what is stored."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from energy_platform.errors import ApplicationError
from energy_platform.tabular import CellError, number_parse
from meters.models import ImportJob, ImportPreset, Reading, ReadingConflict
from meters.services.imports import (
    import_job_commit,
    import_job_create,
    import_job_preview,
    import_job_run,
    import_job_validate,
    import_mapping_clean,
    import_preset_save,
    import_row_reason,
)
from tests.factories import MeterFactory

#: A vendor's 15-minute export: day-first timestamps labelling the END of each interval, Shanghai local time.
DAY_FIRST_END = {"timestamp_column": "Time", "timestamp_format": "%d/%m/%Y %H:%M", "timestamp_label": "end",
                 "timezone": "Asia/Shanghai", "meter_column": "Meter", "value_column": "Energy"}


def _job(plant, name: str, text: str, *, mapping=None, preset=None, kind="readings") -> ImportJob:
    job = import_job_create(site=plant["site"], kind=kind, uploaded_file=SimpleUploadedFile(name, text.encode()),
                            user=plant["manager_a"], enqueue=lambda pk: None, mapping=mapping, preset=preset)
    return import_job_validate(job_id=job.pk)


def _run(job: ImportJob, user) -> ImportJob:
    import_job_commit(job=job, user=user, enqueue=lambda pk: None)
    return import_job_run(job_id=job.pk)


def _stored(code: str) -> list[tuple[str, float]]:
    return [(t.isoformat(), v) for t, v in Reading.objects.filter(meter__code=code).order_by("ts").values_list(
        "ts", "value")]


@pytest.mark.parametrize(("text", "comma", "expected"), [
    ("1.234,5", True, Decimal("1234.5")),   # decimal comma, dot as thousands separator
    ("1 234,5", True, Decimal("1234.5")),   # space as thousands separator
    ("2,25", True, Decimal("2.25")),
    ("1,234.5", False, Decimal("1234.5")),  # decimal point, comma as thousands separator
    (7, False, Decimal(7)),
])
def test_numbers_are_read_with_decimal_comma_or_point(text, comma, expected):
    assert number_parse(text, decimal_comma=comma) == expected


@pytest.mark.parametrize(("text", "comma"), [
    ("abc", True), ("", True), ("NaN", False), ("1.2.3,4,5", True),
    ("1,5", False),  # a comma that does not group by three is not read as a thousands separator (not 15)
    ("1.5", True),   # likewise a dot in a decimal-comma file (not 15)
])
def test_a_cell_that_is_not_a_number_is_refused_with_a_stable_code(text, comma):
    with pytest.raises(CellError) as exc:
        number_parse(text, decimal_comma=comma)
    assert exc.value.code == "not_a_number"


@pytest.mark.django_db(transaction=True)
def test_day_first_end_labelled_quarter_hours_are_stored_at_their_interval_start(plant):
    # "06/12/2026 00:15" labels the END of a 15-min interval of E1 (interval_minutes=15): the interval starts at
    # 2026-12-06 00:00 Asia/Shanghai (UTC+8) = 2026-12-05 16:00 UTC; "06/12/2026 00:30" -> 2026-12-05 16:15 UTC.
    job = _job(plant, "vendor.csv", "Time,Meter,Energy\n06/12/2026 00:15,E1,10\n06/12/2026 00:30,E1,12\n",
               mapping=DAY_FIRST_END)
    assert job.status == "preview", job.error
    preview = import_job_preview(job=job)["preview"]
    assert (preview["rows"], preview["valid_count"], preview["rejected_count"], preview["conflicts"]) == (2, 2, 0, 0)
    assert preview["sample"] == [
        {"row": 2, "column": "Energy", "meter": "E1", "ts_utc": "2026-12-05T16:00:00+00:00",
         "ts_local": "2026-12-06 00:00", "value": 10.0, "unit": "kWh"},
        {"row": 3, "column": "Energy", "meter": "E1", "ts_utc": "2026-12-05T16:15:00+00:00",
         "ts_local": "2026-12-06 00:15", "value": 12.0, "unit": "kWh"}]
    assert Reading.objects.count() == 0  # the preview writes nothing

    job = _run(job, plant["manager_a"])
    assert (job.status, job.accepted, job.rejected, job.conflicts) == ("done", 2, 0, 0)
    assert _stored("E1") == [("2026-12-05T16:00:00+00:00", 10.0), ("2026-12-05T16:15:00+00:00", 12.0)]


@pytest.mark.django_db(transaction=True)
def test_wide_file_with_decimal_comma_maps_one_column_per_meter(plant):
    MeterFactory(site=plant["site"], code="E2")
    # Semicolon-separated with decimal comma; start-labelled; an empty cell means no reading of that meter then.
    # E1 "1.234,5" -> 1234.5 kWh at 2026-12-06 00:00 +08:00 = 2026-12-05 16:00 UTC;
    # E2 "2,25" -> 2.25 at 16:00 UTC and "3" at 16:15 UTC; E1 at 00:15 is blank: 3 readings, 1 blank cell.
    text = "Zeitstempel;Hauptzähler;Kühlung\n06.12.2026 00:00;1.234,5;2,25\n06.12.2026 00:15;;3\n"
    mapping = {"timestamp_column": "Zeitstempel", "timestamp_format": "%d.%m.%Y %H:%M", "decimal_comma": True,
               "columns": [{"column": "Hauptzähler", "meter": "E1"}, {"column": "Kühlung", "meter": "E2"}]}
    job = _job(plant, "wide.csv", text, mapping=mapping)
    preview = job.preview
    assert (preview["rows"], preview["lines"], preview["blank"], preview["valid_count"]) == (3, 2, 1, 3)
    assert [(s["meter"], s["ts_utc"], s["value"]) for s in preview["sample"]] == [
        ("E1", "2026-12-05T16:00:00+00:00", 1234.5), ("E2", "2026-12-05T16:00:00+00:00", 2.25),
        ("E2", "2026-12-05T16:15:00+00:00", 3.0)]
    job = _run(job, plant["manager_a"])
    assert (job.accepted, job.rejected, job.processed_rows, job.total_rows) == (3, 0, 2, 2)
    assert _stored("E1") == [("2026-12-05T16:00:00+00:00", 1234.5)]
    assert _stored("E2") == [("2026-12-05T16:00:00+00:00", 2.25), ("2026-12-05T16:15:00+00:00", 3.0)]


@pytest.mark.django_db(transaction=True)
def test_values_in_another_unit_are_stored_in_the_meters_unit(plant):
    # The utility exports MWh; E1 is metered in kWh: 1,5 MWh = 1.5 x 1000 = 1500 kWh.
    mapping = {**DAY_FIRST_END, "timestamp_label": "start", "unit": "MWh", "decimal_comma": True,
               "delimiter": "semicolon"}
    job = _job(plant, "utility.csv", "Time;Meter;Energy\n06/12/2026 08:00;E1;1,5\n", mapping=mapping)
    assert [(s["ts_local"], s["value"], s["unit"]) for s in job.preview["sample"]] == [
        ("2026-12-06 08:00", 1500.0, "kWh")]
    _run(job, plant["manager_a"])
    assert _stored("E1") == [("2026-12-06T00:00:00+00:00", 1500.0)]


@pytest.mark.django_db(transaction=True)
def test_a_saved_preset_is_reused_for_the_next_file(plant):
    preset = import_preset_save(enterprise=plant["a"], name="Vendor X 15 min", kind="readings",
                                mapping=DAY_FIRST_END, user=plant["manager_a"])
    again = import_preset_save(enterprise=plant["a"], name="Vendor X 15 min", kind="readings",
                               mapping={**DAY_FIRST_END, "timezone": "UTC"}, user=plant["manager_a"])
    assert again.pk == preset.pk and ImportPreset.objects.count() == 1  # the same name replaces the mapping
    assert again.mapping["timezone"] == "UTC"
    import_preset_save(enterprise=plant["a"], name="Vendor X 15 min", kind="readings", mapping=DAY_FIRST_END,
                       user=plant["manager_a"])
    preset.refresh_from_db()
    job = _job(plant, "next-month.csv", "Time,Meter,Energy\n06/12/2026 00:15,E1,10\n", preset=preset)
    assert job.preset_id == preset.pk
    assert job.mapping == preset.mapping
    # end-labelled 00:15 Shanghai -> start 00:00 Shanghai = 16:00 UTC the day before
    assert [s["ts_utc"] for s in job.preview["sample"]] == ["2026-12-05T16:00:00+00:00"]


@pytest.mark.django_db(transaction=True)
def test_preview_and_result_counts_agree_with_what_is_stored(plant):
    e1 = plant["meters"]["E1"]
    # Stored before: 16:00 UTC = 5.0 and 16:15 UTC = 6.0.
    Reading.objects.create(meter=e1, ts=dt.datetime(2026, 12, 5, 16, 0, tzinfo=dt.UTC), value=5.0)
    Reading.objects.create(meter=e1, ts=dt.datetime(2026, 12, 5, 16, 15, tzinfo=dt.UTC), value=6.0)
    text = ("Time,Meter,Energy\n"
            "06/12/2026 00:15,E1,5\n"     # line 2: -> 16:00 UTC, same value: already stored
            "06/12/2026 00:30,E1,7\n"     # line 3: -> 16:15 UTC, 7 != 6: conflict, the stored 6 stays
            "06/12/2026 00:45,E1,8\n"     # line 4: new
            "06/12/2026 01:00,NOPE,1\n"   # line 5: unknown meter
            "06/12/2026 01:15,E1,abc\n"   # line 6: not a number
            "2026-12-06 01:30,E1,9\n")    # line 7: not day-first
    job = _job(plant, "mixed.csv", text, mapping=DAY_FIRST_END)
    p = job.preview
    assert (p["rows"], p["valid_count"], p["duplicates"], p["conflicts"], p["rejected_count"]) == (6, 1, 1, 1, 3)
    assert [(r["row"], r["code"]) for r in p["rejected"]] == [
        (5, "unknown_meter"), (6, "not_a_number"), (7, "invalid_timestamp")]
    assert [(r["row"], r["stored"], r["offered"]) for r in p["conflict_rows"]] == [(3, 6.0, 7.0)]

    job = _run(job, plant["manager_a"])
    # 6 readings = 1 saved + 1 already stored + 1 conflict + 3 rejected, as the preview said
    assert (job.accepted, job.duplicates, job.conflicts, job.rejected) == (1, 1, 1, 3)
    assert Reading.objects.filter(meter=e1).count() == 3  # the 2 stored before + the 1 saved
    assert ReadingConflict.objects.get().offered_value == 7.0
    assert [(r["row"], r["code"]) for r in job.refused_rows] == [
        (3, "conflict"), (5, "unknown_meter"), (6, "not_a_number"), (7, "invalid_timestamp")]
    with translation.override("zh-hans"):
        reasons = [r["reason"] for r in import_job_preview(job=job)["refused_rows"]]
    assert reasons == [
        "该计量表和时间已存有不同的数值；保留已存数值，冲突列入待审核。 已存：6；文件中：7。",
        "文件所属厂区没有此编码的计量表。",
        "数值不是数字。",
        "时间与文件的时间格式不符。",
    ]


def test_reasons_speak_of_the_file_and_never_of_decimal_internals():
    with translation.override("en"):
        assert import_row_reason({"code": "unknown_meter"}) == "No meter with this code at the file's site."
    with translation.override("zh-hans"):
        assert "ConversionSyntax" not in import_row_reason({"code": "not_a_number"})


@pytest.mark.parametrize(("mapping", "fragment"), [
    ({"timezone": "Mars/Olympus"}, "Mars/Olympus"),
    ({"timestamp_label": "middle"}, "timestamp_label"),
    ({"timestamp_format": "DD/MM/YYYY"}, "strptime"),
    ({"columns": [{"column": "A"}]}, "meter"),
    ({"unit": "furlong"}, "furlong"),
    ({"sheet": 2}, "sheet"),
])
def test_a_bad_mapping_is_refused_with_invalid_mapping(db, mapping, fragment):
    with translation.override("en"), pytest.raises(ApplicationError) as exc:
        import_mapping_clean(mapping=mapping, kind="readings")
    assert exc.value.code == "invalid_mapping" and fragment in exc.value.detail


@pytest.mark.django_db(transaction=True)
def test_a_mapped_column_missing_from_the_file_marks_the_upload_invalid_naming_its_columns(plant):
    with translation.override("en"):
        job = _job(plant, "other.csv", "Date,Meter,kWh\n06/12/2026 00:15,E1,1\n", mapping=DAY_FIRST_END)
    assert job.status == "invalid"
    assert job.error == "The file has no column “Time”; its columns are: Date, Meter, kWh."


@pytest.mark.django_db(transaction=True)
def test_api_saves_a_preset_and_an_upload_names_it_by_id(api_client, plant, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    api_client.force_authenticate(plant["manager_a"])
    r = api_client.post("/api/v1/import-presets/", {"enterprise": plant["a"].pk, "name": "Vendor X",
                                                   "mapping": DAY_FIRST_END}, format="json")
    assert r.status_code == 201, r.content
    preset_id = r.json()["id"]
    assert api_client.get(f"/api/v1/import-presets/{preset_id}/").json()["mapping"]["timestamp_label"] == "end"
    r = api_client.post("/api/v1/imports/", {"site": plant["site"].pk, "kind": "readings", "preset": preset_id,
                                             "file": SimpleUploadedFile("x.csv", b"Time,Meter,Energy\n"
                                                                        b"06/12/2026 00:15,E1,10\n")},
                        format="multipart")
    assert r.status_code == 201, r.content
    body = api_client.get(f"/api/v1/imports/{r.json()['id']}/").json()
    assert [s["ts_utc"] for s in body["preview"]["sample"]] == ["2026-12-05T16:00:00+00:00"]
    r = api_client.post("/api/v1/imports/", {"site": plant["site"].pk, "kind": "readings",
                                             "mapping": json.dumps({"timezone": "Nowhere/City"}),
                                             "file": SimpleUploadedFile("x.csv", b"ts\n")}, format="multipart")
    assert r.status_code == 400
    assert r.json()["code"] == "invalid_mapping" and set(r.json()) >= {"code", "detail"}


@pytest.mark.django_db(transaction=True)
def test_another_enterprises_preset_is_not_found_and_viewers_cannot_save_presets(api_client, plant):
    other = import_preset_save(enterprise=plant["b"], name="B's", kind="readings", mapping=DAY_FIRST_END,
                               user=plant["admin_b"])
    api_client.force_authenticate(plant["manager_a"])
    assert api_client.get(f"/api/v1/import-presets/{other.pk}/").status_code == 404
    r = api_client.post("/api/v1/imports/", {"site": plant["site"].pk, "kind": "readings", "preset": other.pk,
                                             "file": SimpleUploadedFile("x.csv", b"ts\n")}, format="multipart")
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    api_client.force_authenticate(plant["viewer_a"])
    r = api_client.post("/api/v1/import-presets/", {"enterprise": plant["a"].pk, "name": "V",
                                                   "mapping": DAY_FIRST_END}, format="json")
    assert (r.status_code, r.json()["code"]) == (403, "permission_denied")
