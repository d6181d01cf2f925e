"""Fixtures of the fault-injection tests: a site with an interval and a cumulative meter, a gateway token, two days
of 15-minute readings cut into batches, and the rollup snapshot a clean run gives."""

from __future__ import annotations

import datetime as dt
import shutil
import zoneinfo

import pytest

from meters.models import Meter, MeterRollup
from meters.rollup import rollup_all
from meters.services.gateways import gateway_provision
from tests.factories import MeterFactory

from .procs import workdir

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY1 = dt.datetime(2025, 3, 1, tzinfo=SHANGHAI)
STEPS = 192  # two site-local days of 15-minute intervals
STEPS_PER_BATCH = 24  # six hours: 8 batches of 48 readings (2 meters)


@pytest.fixture
def plant(tenants):
    site = tenants["site_a"]
    meters = {
        "E1": MeterFactory(site=site, code="E1"),  # interval kWh, multiplier 1
        "C1": MeterFactory(site=site, code="C1", reading_kind=Meter.ReadingKind.CUMULATIVE),
    }
    gateway, token = gateway_provision(site=site, name="gw-faults")
    return {"site": site, "meters": meters, "gateway": gateway, "token": token, **tenants}


def readings(step_from: int, step_to: int) -> list[dict]:
    """E1 reports 1.5 kWh per interval; C1's register starts at 1000 and rises by 2 per interval."""
    rows = []
    for i in range(step_from, step_to):
        ts = (DAY1 + dt.timedelta(minutes=15 * i)).isoformat()
        rows.append({"meter": "E1", "ts": ts, "value": 1.5})
        rows.append({"meter": "C1", "ts": ts, "value": 1000.0 + 2 * i})
    return rows


def batches() -> list[tuple[str, list[dict]]]:
    return [(f"b{n}", readings(n * STEPS_PER_BATCH, (n + 1) * STEPS_PER_BATCH))
            for n in range(STEPS // STEPS_PER_BATCH)]


def rollup_snapshot() -> list[tuple]:
    return sorted(MeterRollup.objects.values_list("meter__code", "granularity", "bucket_start", "quantity",
                                                  "received_intervals", "expected_intervals"))


def clean_run_snapshot() -> list[tuple]:
    """The rollups a full recompute from the stored readings gives (what a run without faults ends with); the
    rollups present before are put back afterwards."""
    before = list(MeterRollup.objects.all())
    MeterRollup.objects.all().delete()
    rollup_all()
    clean = rollup_snapshot()
    MeterRollup.objects.all().delete()
    MeterRollup.objects.bulk_create(before)
    return clean


def assert_day_totals(snapshot: list[tuple]) -> None:
    """Hand-worked day totals of the two days of readings():
    E1: 96 intervals × 1.5 kWh = 144 kWh each day, 96 of 96 received.
    C1: a register delta belongs to the interval starting at the earlier reading; day 1 has 96 deltas of 2 (the
    last, 23:45 -> 00:00, needs day 2's first reading) = 192 kWh; day 2 has 95 (23:45 has no successor) = 190 kWh."""
    days = {(code, bucket.astimezone(SHANGHAI).date()): (qty, received)
            for code, gran, bucket, qty, received, _expected in snapshot if gran == "day"}
    assert days == {
        ("E1", dt.date(2025, 3, 1)): (144.0, 96), ("E1", dt.date(2025, 3, 2)): (144.0, 96),
        ("C1", dt.date(2025, 3, 1)): (192.0, 96), ("C1", dt.date(2025, 3, 2)): (190.0, 95),
    }


@pytest.fixture
def tmp_workdir():
    path = workdir()
    yield path
    shutil.rmtree(path, ignore_errors=True)
