"""Monthly partitions of meters_reading on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from django.db import connection

from meters.models import Reading
from meters.services import partitions
from meters.services.ingest import RawRow, readings_ingest

pytestmark = pytest.mark.django_db


def _partition_of(meter_id, ts) -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT tableoid::regclass::text FROM meters_reading WHERE meter_id = %s AND ts = %s",
                    [meter_id, ts])
        return cur.fetchone()[0]


def test_readings_table_is_partitioned_by_month_with_composite_key():
    with connection.cursor() as cur:
        cur.execute("SELECT partstrat FROM pg_partitioned_table WHERE partrelid = 'meters_reading'::regclass")
        assert cur.fetchone() == ("r",)
        cur.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = 'meters_reading'::regclass AND contype = 'p'")
        assert cur.fetchone() == ("PRIMARY KEY (meter_id, ts)",)


def test_ingest_creates_the_month_partition_and_moves_rows_out_of_default(plant):
    meter = plant["meters"]["E1"]
    meter.active_from = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    meter.save()
    early = dt.datetime(2023, 6, 1, tzinfo=dt.UTC)
    # A row that landed in DEFAULT before its month had a partition (e.g. written while DDL failed).
    Reading.objects.create(meter=meter, ts=early, value=1.0)
    assert _partition_of(meter.pk, early) == "meters_reading_default"
    partitions._known.clear()
    result = readings_ingest(site=plant["site"], gateway=plant["gateway"],
                             rows=[RawRow(0, "E1", "2023-06-01T00:15:00+00:00", 2.0)])
    assert result.accepted == 1
    assert _partition_of(meter.pk, early) == "meters_reading_202306"
    assert _partition_of(meter.pk, early + dt.timedelta(minutes=15)) == "meters_reading_202306"


def test_partitions_ahead_creates_coming_months_once():
    first = partitions.reading_partitions_ahead(months=30)
    assert len(first) > 0
    assert partitions.reading_partitions_ahead(months=30) == []


def test_ingestion_statements_are_not_prepared(plant):
    """A prepared statement's generic plan cannot prune the monthly partitions when planned (types.ingest_cursor): the
    probes of stored readings must be planned with each batch's values. Django turns psycopg's automatic preparation
    off; a statement prepared on purpose shows that this test would see one."""
    C1 = plant["meters"]["C1"]  # noqa: N806
    C1.active_from = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    C1.save()
    start = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    for k in range(8):  # more than psycopg's default threshold of 5; each batch resends a row: every probe runs
        rows = [RawRow(i, "C1", (start + dt.timedelta(minutes=15 * (k + i))).isoformat(), float(k + i))
                for i in range(2)]
        result = readings_ingest(site=plant["site"], gateway=plant["gateway"], rows=rows)
        assert (result.accepted, result.duplicates) == ((2, 0) if k == 0 else (1, 1))
    assert connection.connection.prepare_threshold is None
    connection.connection.prepare_threshold = 0
    try:
        psycopg.Cursor(connection.connection).execute("SELECT 1 AS prepared_on_purpose", prepare=True)
    finally:
        connection.connection.prepare_threshold = None
    with connection.cursor() as cur:
        cur.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cur.fetchall()]
    assert [s for s in prepared if "prepared_on_purpose" in s]
    assert not [s for s in prepared if "meters_" in s]
