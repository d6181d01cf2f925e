"""Exports of rolled-up data: rows with start/end and unit columns, site totals counted like the energy balance,
streamed CSV and write-only XLSX, bounded memory, tenancy, 4xx on bad parameters, audit events."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tracemalloc
import zoneinfo

import pytest
from django.http import StreamingHttpResponse

from accounts.models import AuditEvent
from meters.models import Carrier, Meter, MeterRollup
from tests.factories import MeterFactory, ProductionUnitFactory

pytestmark = pytest.mark.django_db
SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def _rollup(meter, start, quantity, granularity="hour", expected=4, received=4):
    return MeterRollup(meter=meter, granularity=granularity, bucket_start=start, quantity=quantity,
                       expected_intervals=expected, received_intervals=received)


@pytest.fixture
def metered(tenants):
    """Site A1: purchase 100 + 120 kWh, export 10 + 0 kWh, a sub-meter 30 + 35 kWh below the purchase meter, in the
    hours 00:00 and 01:00 of 2025-03-01 (Shanghai); a gas meter of unit W1 with 5 m³ in the first hour."""
    site = tenants["site_a"]
    unit = ProductionUnitFactory(site=site, code="W1")
    main = MeterFactory(site=site, code="E-MAIN")
    sub = MeterFactory(site=site, code="E-SUB", parent=main, role=Meter.Role.SUB, level=Meter.Level.SUB_UNIT,
                       production_unit=unit)
    export = MeterFactory(site=site, code="E-EXP", role=Meter.Role.EXPORT)
    gas = MeterFactory(site=site, code="GAS", carrier=Carrier.NATURAL_GAS, unit="m3", production_unit=unit)
    h0 = dt.datetime(2025, 3, 1, 0, tzinfo=SH)
    h1 = h0 + dt.timedelta(hours=1)
    MeterRollup.objects.bulk_create([
        _rollup(main, h0, 100.0), _rollup(main, h1, 120.0), _rollup(export, h0, 10.0), _rollup(export, h1, 0.0),
        _rollup(sub, h0, 30.0), _rollup(sub, h1, 35.0, received=3), _rollup(gas, h0, 5.0),
        _rollup(main, h0, 220.0, granularity="day", expected=96, received=96),
    ])
    return {"site": site, "unit": unit, "main": main, "sub": sub}


def _csv(resp) -> list[dict]:
    assert isinstance(resp, StreamingHttpResponse)
    text = b"".join(resp.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


URL = "/api/v1/exports/rollups/"


def test_site_hourly_csv_counts_boundary_meters_with_their_sign(tenants, metered, api_client):
    api_client.force_authenticate(tenants["viewer_a"])
    resp = api_client.get(URL, {"site": metered["site"].pk, "granularity": "hour", "start": "2025-03-01",
                                "end": "2025-03-02", "format": "csv"})
    assert resp.status_code == 200
    rows = _csv(resp)
    # electricity 00:00: purchase 100 − export 10 = 90 kWh (the sub-meter is inside the main meter, not added);
    # 01:00: 120 − 0 = 120 kWh. The gas meter (purchase role, no parent) is a boundary meter of its own carrier.
    by = {(r["carrier"], r["start"]): r for r in rows}
    first = by[("electricity", "2025-03-01T00:00:00+08:00")]
    assert (first["site"], first["end"], first["quantity"], first["unit"]) == (
        "A1", "2025-03-01T01:00:00+08:00", "90.0", "kWh")
    assert by[("electricity", "2025-03-01T01:00:00+08:00")]["quantity"] == "120.0"
    assert by[("natural_gas", "2025-03-01T00:00:00+08:00")]["unit"] == "m3"
    # completeness of the summed buckets: (4 + 4) received / (4 + 4) expected
    assert first["completeness"] == "1.0"
    assert list(rows[0]) == ["site", "carrier", "start", "end", "quantity", "unit", "expected_intervals",
                             "received_intervals", "estimated_intervals", "completeness"]
    assert len(rows) == 3


def test_unit_export_sums_the_units_top_meters_and_meter_rows_list_each_meter(tenants, metered, api_client):
    api_client.force_authenticate(tenants["viewer_a"])
    params = {"unit": metered["unit"].pk, "granularity": "hour", "start": "2025-03-01", "end": "2025-03-02"}
    rows = _csv(api_client.get(URL, params))
    # unit W1 holds E-SUB (its parent E-MAIN is outside the unit, so it is a top meter of the unit) and GAS
    assert {(r["carrier"], r["start"][11:16], r["quantity"]) for r in rows} == {
        ("electricity", "00:00", "30.0"), ("electricity", "01:00", "35.0"), ("natural_gas", "00:00", "5.0")}
    assert next(r for r in rows if r["start"][11:16] == "01:00")["completeness"] == "0.75"  # 3 of 4 intervals
    meters = _csv(api_client.get(URL, {**params, "unit": "", "site": metered["site"].pk, "rows": "meters"}))
    assert sorted({r["meter"] for r in meters}) == ["E-EXP", "E-MAIN", "E-SUB", "GAS"]
    assert len(meters) == 7


def test_meter_daily_xlsx_has_numbers_and_unit_column(tenants, metered, api_client):
    from openpyxl import load_workbook

    api_client.force_authenticate(tenants["viewer_a"])
    resp = api_client.get(URL, {"meter": metered["main"].pk, "granularity": "day", "start": "2025-03-01",
                                "end": "2025-04-01", "format": "xlsx"})
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(resp.streaming_content)))
    ws = wb.worksheets[0]
    rows = list(ws.values)
    assert rows[0][:6] == ("meter", "carrier", "start", "end", "quantity", "unit")
    assert rows[1][:6] == ("E-MAIN", "electricity", "2025-03-01T00:00:00+08:00", "2025-03-02T00:00:00+08:00",
                           220.0, "kWh")
    assert len(rows) == 2


def test_audit_event_and_tenancy_and_bad_parameters(tenants, metered, api_client):
    api_client.force_authenticate(tenants["admin_b"])
    params = {"site": metered["site"].pk, "granularity": "hour", "start": "2025-03-01", "end": "2025-03-02"}
    assert api_client.get(URL, params).status_code == 404
    assert not AuditEvent.objects.filter(action="data.export").exists()
    api_client.force_authenticate(tenants["viewer_a"])
    _csv(api_client.get(URL, params))
    event = AuditEvent.objects.get(action="data.export")
    assert (event.actor, event.enterprise, event.detail["code"]) == (tenants["viewer_a"], tenants["a"], "A1")
    bad = [({**params, "granularity": "minute"}, "invalid_granularity"), ({**params, "end": "2025-02-01"},
           "invalid_range"), ({**params, "start": "2024-01-01"}, "invalid_range"),
           ({**params, "format": "pdf"}, "invalid_format"), ({**params, "meter": 1}, "invalid_subject"),
           ({**params, "rows": "some"}, "invalid_rows"),
           ({"meter": "9" * 20, "granularity": "hour", "start": "2025-03-01", "end": "2025-03-02"}, "invalid_subject")]
    for query, code in bad:
        resp = api_client.get(URL, query)
        assert (resp.status_code, resp.json()["code"]) == (400, code), query


def test_a_large_export_streams_in_bounded_memory(tenants, api_client):
    """60 meters × 24 h × 31 days = 44,640 hourly rows; held as Python rows they would take tens of MB."""
    site = tenants["site_a"]
    meters = MeterFactory.create_batch(60, site=site)
    start = dt.datetime(2025, 1, 1, tzinfo=SH)
    MeterRollup.objects.bulk_create(
        [_rollup(m, start + dt.timedelta(hours=h), 1.5) for m in meters for h in range(24 * 31)], batch_size=5000)
    api_client.force_authenticate(tenants["viewer_a"])
    params = {"site": site.pk, "rows": "meters", "granularity": "hour", "start": "2025-01-01", "end": "2025-02-01"}
    # warm up: the first request imports the URL configuration and views, which tracemalloc would count
    b"".join(api_client.get(URL, {**params, "end": "2025-01-02"}).streaming_content)
    tracemalloc.start()
    try:
        resp = api_client.get(URL, params)
        lines = 0
        size = 0
        for chunk in resp.streaming_content:
            lines += chunk.count(b"\n")
            size += len(chunk)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert lines == 1 + 60 * 24 * 31
    assert size > 3_500_000  # the CSV itself is several MB …
    assert peak < 6_000_000, peak  # … but never held at once
