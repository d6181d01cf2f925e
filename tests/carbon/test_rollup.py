"""Rollups: deltas of cumulative registers with multiplier and rollover, interval sums, completeness, incremental =
full recompute."""

import datetime as dt
import zoneinfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meters.models import DirtyMeterDay, MeterRollup
from meters.rollup import rollup_all, rollup_sweep
from meters.services.ingest import RawRow, readings_ingest
from tests.factories import MeterFactory, SiteFactory

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def _ts(day: int, hour: int, minute: int = 0) -> str:
    return dt.datetime(2025, 3, day, hour, minute, tzinfo=SH).isoformat()


def _rollups(granularity: str, meter) -> dict:
    return {
        r.bucket_start.astimezone(SH).replace(tzinfo=None): (round(r.quantity, 6), r.received_intervals,
                                                               r.expected_intervals)
        for r in MeterRollup.objects.filter(meter=meter, granularity=granularity)
    }


def test_cumulative_register_delta_multiplier_and_rollover():
    site = SiteFactory()
    m = MeterFactory(site=site, code="C", reading_kind="cumulative", multiplier=40, rollover_value=10000)
    rows = [RawRow(0, "C", _ts(1, 8, 0), 9990), RawRow(1, "C", _ts(1, 8, 15), 9995),
            RawRow(2, "C", _ts(1, 8, 30), 3), RawRow(3, "C", _ts(1, 8, 45), 10), RawRow(4, "C", _ts(1, 9, 0), 12)]
    assert readings_ingest(site=site, rows=rows).accepted == 5
    rollup_sweep()
    hours = _rollups("hour", m)
    # 08:00 bucket holds the deltas starting at 08:00, 08:15, 08:30, 08:45:
    # 5 + (3 + 10000 − 9995 = 8, a rollover) + 7 + 2 = 22 register units × multiplier 40 = 880 kWh.
    assert hours[dt.datetime(2025, 3, 1, 8)] == (880.0, 4, 4)
    # The 09:00 reading has no successor yet, so the 09:00 bucket does not exist.
    assert dt.datetime(2025, 3, 1, 9) not in hours
    day = _rollups("day", m)[dt.datetime(2025, 3, 1)]
    assert day == (880.0, 4, 96)
    month = _rollups("month", m)[dt.datetime(2025, 3, 1)]
    assert month == (880.0, 4, 31 * 96)  # March: 31 days × 96 quarter-hours expected


def test_interval_meter_sums_and_gap_shows_as_incomplete():
    site = SiteFactory()
    m = MeterFactory(site=site, code="I", reading_kind="interval", multiplier=2)
    # 10:00–10:45 complete (4 × 1.5), 11:00 hour has only two readings (a gap).
    rows = [RawRow(i, "I", _ts(2, 10, 15 * i), 1.5) for i in range(4)]
    rows += [RawRow(4, "I", _ts(2, 11, 0), 1.0), RawRow(5, "I", _ts(2, 11, 30), 1.0)]
    readings_ingest(site=site, rows=rows)
    rollup_sweep()
    hours = _rollups("hour", m)
    assert hours[dt.datetime(2025, 3, 2, 10)] == (12.0, 4, 4)   # 4 × 1.5 × 2
    assert hours[dt.datetime(2025, 3, 2, 11)] == (4.0, 2, 4)    # 2 × 1.0 × 2, half complete
    assert _rollups("day", m)[dt.datetime(2025, 3, 2)] == (16.0, 6, 96)
    assert not DirtyMeterDay.objects.exists()


def test_late_reading_in_the_middle_recomputes_the_previous_bucket():
    site = SiteFactory()
    m = MeterFactory(site=site, code="C", reading_kind="cumulative")
    readings_ingest(site=site, rows=[RawRow(0, "C", _ts(3, 23, 45), 100), RawRow(1, "C", _ts(5, 0, 0), 300)])
    rollup_sweep()
    # The delta 200 starts at the 3rd 23:45 and belongs to that bucket.
    assert _rollups("day", m)[dt.datetime(2025, 3, 3)][0] == 200.0
    readings_ingest(site=site, rows=[RawRow(0, "C", _ts(4, 12, 0), 250)])
    rollup_sweep()
    days = _rollups("day", m)
    assert days[dt.datetime(2025, 3, 3)][0] == 150.0
    assert days[dt.datetime(2025, 3, 4)][0] == 50.0


readings_strategy = st.lists(
    st.tuples(st.integers(min_value=0, max_value=4 * 96), st.floats(min_value=0, max_value=50)),
    min_size=1, max_size=40,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(readings_strategy, min_size=1, max_size=4))
def test_incremental_rollups_equal_a_full_recompute(batches):
    """Late and out-of-order batches, swept after each, give the same rollups as one full recompute."""
    MeterRollup.objects.all().delete()
    site = SiteFactory()
    interval = MeterFactory(site=site, code="I", reading_kind="interval")
    cumulative = MeterFactory(site=site, code="C", reading_kind="cumulative")
    base = dt.datetime(2025, 3, 30, 0, 0, tzinfo=SH)
    for batch in batches:
        rows = []
        for i, (slot, qty) in enumerate(batch):
            ts = (base + dt.timedelta(minutes=15 * slot)).isoformat()
            rows.append(RawRow(2 * i, "I", ts, round(qty, 3)))
            # A monotonic register: value = slot × 10 keeps every batch consistent with every other.
            rows.append(RawRow(2 * i + 1, "C", ts, slot * 10.0))
        readings_ingest(site=site, rows=rows)
        rollup_sweep()
    incremental = {g: (_rollups(g, interval), _rollups(g, cumulative)) for g in ("hour", "day", "month")}
    MeterRollup.objects.all().delete()
    rollup_all()
    full = {g: (_rollups(g, interval), _rollups(g, cumulative)) for g in ("hour", "day", "month")}
    assert incremental == full


def test_recompute_rollups_command(capsys):
    from django.core.management import call_command

    site = SiteFactory()
    MeterFactory(site=site, code="I", reading_kind="interval")
    readings_ingest(site=site, rows=[RawRow(0, "I", _ts(5, 1), 2.0)])
    call_command("recompute_rollups")
    assert "Recomputed 1 dirty meter-days" in capsys.readouterr().out
    MeterRollup.objects.all().delete()
    call_command("recompute_rollups", "--full")
    assert MeterRollup.objects.filter(granularity="month").count() == 1


def _schema() -> dict:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = 'meters_meterrollup'::regclass ORDER BY conname")
        constraints = cur.fetchall()
        cur.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'meters_meterrollup' ORDER BY 1")
        indexes = cur.fetchall()
        cur.execute("SELECT pg_get_serial_sequence('meters_meterrollup', 'id')")
        sequence = cur.fetchone()
    return {"constraints": constraints, "indexes": indexes, "sequence": sequence}


def test_full_rebuild_keeps_the_table_schema_and_later_sweeps_still_upsert():
    """The PostgreSQL full recompute builds a new table and swaps it in: names of constraints, indexes and the id
    sequence must be what the migrations created, so later migrations and the incremental sweep keep working."""
    before = _schema()
    site = SiteFactory()
    m = MeterFactory(site=site, code="I", reading_kind="interval")
    readings_ingest(site=site, rows=[RawRow(0, "I", _ts(6, 1), 2.0), RawRow(1, "I", _ts(6, 1, 15), 3.0)])
    for _ in range(2):
        assert rollup_all() == 1
        assert _schema() == before
    assert _rollups("hour", m)[dt.datetime(2025, 3, 6, 1)] == (5.0, 2, 4)
    readings_ingest(site=site, rows=[RawRow(0, "I", _ts(6, 1, 30), 4.0)])
    rollup_sweep()
    assert _rollups("hour", m)[dt.datetime(2025, 3, 6, 1)] == (9.0, 3, 4)
    assert MeterRollup.objects.create(meter=m, granularity="hour", bucket_start=dt.datetime(2025, 3, 7, tzinfo=SH),
                                      quantity=1, expected_intervals=4, received_intervals=1).pk


@pytest.mark.parametrize("tz", ["Asia/Shanghai", "Asia/Kolkata"])
def test_sweep_and_full_rebuild_agree_on_rollovers_resets_and_half_hour_zones(tz):
    """Asia/Kolkata (+5:30) hours do not start on UTC hours: both paths must bucket in local time."""
    zone = zoneinfo.ZoneInfo(tz)
    site = SiteFactory(timezone=tz)
    c = MeterFactory(site=site, code="C", reading_kind="cumulative", multiplier=2, rollover_value=1000,
                     interval_minutes=20)
    i = MeterFactory(site=site, code="I", reading_kind="interval", interval_minutes=20)
    start = dt.datetime(2025, 3, 31, 22, 0, tzinfo=zone)  # crosses a day and a month boundary
    values = [950, 980, 5, 20, 7, 30, 60, 90, 120, 150]  # a rollover (980 → 5) and a reset (20 → 7)
    rows = [RawRow(k, "C", (start + dt.timedelta(minutes=20 * k)).isoformat(), v) for k, v in enumerate(values)]
    rows += [RawRow(100 + k, "I", (start + dt.timedelta(minutes=20 * k)).isoformat(), 1.5) for k in range(10)]
    # The reset is held for review; accepting it (a meter exchange) stores the held reading.
    assert readings_ingest(site=site, rows=rows).accepted == 19
    from meters.models import RegisterEvent
    from meters.services.review import register_reset_accept

    assert register_reset_accept(event=RegisterEvent.objects.get(meter=c, kind=RegisterEvent.Kind.RESET))
    rollup_sweep()
    swept = {g: (_local(g, c, zone), _local(g, i, zone)) for g in ("hour", "day", "month")}
    MeterRollup.objects.all().delete()
    rollup_all()
    assert {g: (_local(g, c, zone), _local(g, i, zone)) for g in ("hour", "day", "month")} == swept
    # 22:00 local hour: deltas from 22:00, 22:20, 22:40 = 30 + (5 + 1000 − 980 = 25, a rollover) + 15 = 70 × 2.
    assert swept["hour"][0][dt.datetime(2025, 3, 31, 22)] == (140.0, 3, 3)
    # 23:00 local hour: 7 (reset: counts from 0) + 23 + 30 = 60 × 2; its last delta ends in April.
    assert swept["hour"][0][dt.datetime(2025, 3, 31, 23)] == (120.0, 3, 3)
    assert swept["month"][1][dt.datetime(2025, 3, 1)][0] == 9.0  # six interval readings in March × 1.5


def _local(granularity: str, meter, zone) -> dict:
    return {r.bucket_start.astimezone(zone).replace(tzinfo=None): (round(r.quantity, 6), r.received_intervals,
                                                                   r.expected_intervals)
            for r in MeterRollup.objects.filter(meter=meter, granularity=granularity)}


def _swept_meters(n: int) -> tuple[list, dict]:
    """n meters (interval and register alternately) with four quarter-hour readings each on 8 March, swept; returns
    the meters and their rollups by code and granularity."""
    site = SiteFactory()
    meters = [MeterFactory(site=site, code=f"M{k}", reading_kind="cumulative" if k % 2 else "interval")
              for k in range(n)]
    rows = [RawRow(10 * k + j, f"M{k}", _ts(8, 10, 15 * j), float(k + 1) * (j + 1)) for k in range(n) for j in range(4)]
    assert readings_ingest(site=site, rows=rows).accepted == 4 * n
    rollup_sweep()
    return meters, _all_rollups(meters)


def _all_rollups(meters) -> dict:
    return {m.code: {g: _rollups(g, m) for g in ("hour", "day", "month")} for m in meters}


@pytest.mark.django_db(transaction=True)
def test_parallel_full_rebuild_equals_the_sweep(settings):
    """Outside a transaction the rebuild fills the new table from several database sessions at once."""
    from django.db import connection

    settings.ROLLUP_REBUILD_SESSIONS = 3
    assert not connection.in_atomic_block
    meters, swept = _swept_meters(5)
    assert rollup_all() == 5
    assert _all_rollups(meters) == swept
    # Interval meter M2 at 10:00: 3 + 6 + 9 + 12 = 30; register M1 (values 2, 4, 6, 8): deltas 2 + 2 + 2 = 6.
    assert swept["M2"]["hour"][dt.datetime(2025, 3, 8, 10)][0] == 30.0
    assert swept["M1"]["hour"][dt.datetime(2025, 3, 8, 10)][0] == 6.0
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass('meters_meterrollup_rebuild')")
        assert cur.fetchone()[0] is None


def test_fixed_offset_of_a_zone_over_a_span():
    """The full rebuild bins hours and days by arithmetic only where the zone's offset does not change."""
    from meters.rollup.rebuild import _fixed_offset

    assert _fixed_offset("Asia/Shanghai", dt.date(2024, 12, 31), dt.date(2026, 2, 1)) == dt.timedelta(hours=8)
    assert _fixed_offset("Asia/Kolkata", dt.date(2025, 1, 1), dt.date(2025, 12, 31)) == dt.timedelta(hours=5,
                                                                                                     minutes=30)
    assert _fixed_offset("Asia/Shanghai", dt.date(1988, 1, 1), dt.date(1988, 12, 31)) is None  # summer time 1986-91
    assert _fixed_offset("Europe/Berlin", dt.date(2025, 3, 29), dt.date(2025, 3, 31)) is None
    assert _fixed_offset("Europe/Berlin", dt.date(2025, 4, 1), dt.date(2025, 10, 1)) == dt.timedelta(hours=2)


def test_rebuild_across_a_daylight_saving_change_buckets_in_local_time():
    """A zone whose offset changes inside the data: the rebuild falls back to time-zone truncation and still equals
    the sweep. Europe/Berlin skips 02:00-03:00 on 2025-03-30: that local day has 23 hours."""
    zone = zoneinfo.ZoneInfo("Europe/Berlin")
    site = SiteFactory(timezone="Europe/Berlin")
    i = MeterFactory(site=site, code="I", reading_kind="interval", interval_minutes=60)
    start = dt.datetime(2025, 3, 29, 22, 0, tzinfo=dt.UTC)  # 23:00 local on the 29th
    rows = [RawRow(k, "I", (start + dt.timedelta(hours=k)).isoformat(), 1.0) for k in range(30)]
    assert readings_ingest(site=site, rows=rows).accepted == 30
    rollup_sweep()
    swept = {g: _local(g, i, zone) for g in ("hour", "day", "month")}
    MeterRollup.objects.all().delete()
    rollup_all()
    assert {g: _local(g, i, zone) for g in ("hour", "day", "month")} == swept
    # 29th: the 23:00 hour; 30th: 23 local hours (00:00 CET to 23:00 CEST); 31st: the remaining 6 readings.
    assert {day: (q, received) for day, (q, received, _) in swept["day"].items()} == {
        dt.datetime(2025, 3, 29): (1.0, 1), dt.datetime(2025, 3, 30): (23.0, 23), dt.datetime(2025, 3, 31): (6.0, 6)}
    assert dt.datetime(2025, 3, 30, 2) not in swept["hour"] and swept["hour"][dt.datetime(2025, 3, 30, 3)][0] == 1.0


def test_rebuild_in_chunks_is_idempotent_and_holds_the_sweep_until_the_swap(settings):
    """The Celery form of a full recompute: begin, fill chunks (a retried chunk is skipped), finish. Sweeps wait
    while it runs; a reading that arrives meanwhile is swept after the swap."""
    from meters.rollup import rebuild_begin, rebuild_fill, rebuild_finish, rebuild_in_progress

    meters, swept = _swept_meters(3)
    site = meters[0].site
    MeterRollup.objects.all().delete()

    chunks = rebuild_begin(chunk=2)
    assert [list(c.values()) for c in chunks] == [[[meters[0].pk, meters[1].pk]], [[meters[2].pk]]]
    assert rebuild_in_progress()
    assert readings_ingest(site=site, rows=[RawRow(0, "M0", _ts(8, 11), 100.0)]).accepted == 1  # arrives meanwhile
    assert rollup_sweep() == 0 and DirtyMeterDay.objects.count() == 1
    assert rebuild_fill(1, chunks[0]) is False
    assert rebuild_finish() is False  # chunk 2 is missing
    assert rebuild_fill(2, chunks[1]) is True
    assert rebuild_fill(2, chunks[1]) is True  # a retried task: skipped, nothing written twice
    assert rebuild_finish() is True and not rebuild_in_progress()
    assert rebuild_finish() is False  # a duplicate finishing task does nothing
    # M0's 11:00 reading may or may not be in the rebuilt table; its mark survives the swap and the sweep settles it.
    assert DirtyMeterDay.objects.count() == 1
    rollup_sweep()
    after = _all_rollups(meters)
    assert after["M1"] == swept["M1"] and after["M2"] == swept["M2"]
    assert after["M0"]["hour"][dt.datetime(2025, 3, 8, 11)] == (100.0, 1, 4)
    assert after["M0"]["day"][dt.datetime(2025, 3, 8)][0] == swept["M0"]["day"][dt.datetime(2025, 3, 8)][0] + 100.0


def test_an_abandoned_rebuild_no_longer_holds_the_sweep_and_is_never_swapped_in(settings):
    """After ROLLUP_REBUILD_TIMEOUT sweeps write to the live table again; a late chunk or finish must then not swap
    the stale rebuild in over their work: it is dropped."""
    from django.db import connection

    from meters.rollup import rebuild_begin, rebuild_fill, rebuild_finish, rebuild_in_progress

    site = SiteFactory()
    m = MeterFactory(site=site, code="I", reading_kind="interval")
    assert readings_ingest(site=site, rows=[RawRow(0, "I", _ts(6, 1), 2.0)]).accepted == 1
    chunks = rebuild_begin()
    assert rebuild_in_progress() and rollup_sweep() == 0
    settings.ROLLUP_REBUILD_TIMEOUT = 0
    assert not rebuild_in_progress() and rollup_sweep() == 1
    assert rebuild_fill(1, chunks[0]) is False  # a late task writes nothing
    assert rebuild_finish() is False
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass('meters_meterrollup_rebuild'), to_regclass('meters_meterrollup_rebuild_log')")
        assert cur.fetchone() == (None, None)
    assert _rollups("hour", m)[dt.datetime(2025, 3, 6, 1)] == (2.0, 1, 4)
    assert rollup_all() == 1 and MeterRollup.objects.filter(granularity="hour").count() == 1


def test_full_rebuild_without_readings_leaves_an_empty_table():
    MeterFactory(code="I", reading_kind="interval")
    assert rollup_all() == 0
    assert not MeterRollup.objects.exists()
