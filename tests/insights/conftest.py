"""Fixtures of the energy-carbon centre tests: monthly meters fed through the real ingestion and rollup code."""

from __future__ import annotations

import datetime as dt

import pytest

from meters.models import Meter
from meters.rollup import rollup_sweep
from meters.services.ingest import RawRow, readings_ingest
from tests.factories import MeterFactory

MONTHLY = 43200  # minutes: a meter read once a month (one interval quantity per month)
SINCE = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _insights_reference_data(request):
    """Transactional tests flush every table at the end; reload this app's reference rows when they are missing."""
    if request.node.get_closest_marker("django_db") is None and not set(request.fixturenames) & {
            "db", "transactional_db"}:
        return
    request.getfixturevalue("_reference_data")
    import importlib

    from django.apps import apps
    from django.db import connection

    if not apps.get_model("insights.QualityCriterion").objects.exists():
        with connection.schema_editor() as editor:
            importlib.import_module("insights.migrations.0002_reference_data").load(apps, editor)


def monthly_meter(site, code, carrier="electricity", unit="kWh", **kw) -> Meter:
    kw.setdefault("active_from", SINCE)
    if kw.get("parent") is not None:
        kw.setdefault("role", Meter.Role.SUB)
        kw.setdefault("level", Meter.Level.SUB_UNIT)
    return MeterFactory(site=site, code=code, carrier=carrier, unit=unit, interval_minutes=MONTHLY, **kw)


def post_month(site, month: str, values: dict[str, float]) -> None:
    """One month's quantity per meter code, as interval readings at the local start of the month, rolled up."""
    rows = [RawRow(i, code, f"{month}-01T00:00:00+08:00", v) for i, (code, v) in enumerate(values.items())]
    result = readings_ingest(site=site, rows=rows)
    assert result.rejected == []
    rollup_sweep()
