"""Resent rows (a gateway's retry, overlapping windows): counted as duplicates or conflicts, and registers checked
against the stored readings they interleave with (issue #18, the write path's shortcuts for resent rows)."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from meters.models import Meter, Reading, ReadingConflict, RegisterEvent
from meters.services.ingest import REGISTER_LOOKBACK_DAYS, RawRow, readings_ingest
from tests.factories import MeterFactory, SiteFactory

T0 = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)


def _ts(minutes: int) -> str:
    return (T0 + dt.timedelta(minutes=minutes)).isoformat()


@pytest.fixture
def register():
    site = SiteFactory()
    MeterFactory(site=site, code="C", reading_kind=Meter.ReadingKind.CUMULATIVE,
                 active_from=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    return site


@pytest.mark.django_db
def test_a_window_resent_with_new_rows_counts_duplicates_conflicts_and_checks_the_new_rows(register):
    readings_ingest(site=register, rows=[RawRow(0, "C", _ts(0), 100.0), RawRow(1, "C", _ts(15), 200.0)])
    result = readings_ingest(site=register, rows=[
        RawRow(0, "C", _ts(0), 101.0),   # stored as 100: a conflict, the stored value stays
        RawRow(1, "C", _ts(15), 200.0),  # stored as 200: a duplicate
        RawRow(2, "C", _ts(30), 190.0),  # after the latest stored reading (200 at 00:15): backwards, held
        RawRow(3, "C", _ts(45), 220.0),  # follows 190 of this batch (00:30 is later than 00:15): accepted
    ])
    assert (result.accepted, result.duplicates, result.conflicts) == (1, 1, 1)
    assert [(r["index"], r["code"]) for r in result.rejected] == [(2, "register_backwards")]
    assert sorted(Reading.objects.values_list("value", flat=True)) == [100.0, 200.0, 220.0]
    assert list(ReadingConflict.objects.values_list("stored_value", "offered_value")) == [(100.0, 101.0)]
    assert list(RegisterEvent.objects.values_list("kind", "previous_value", "value")) == [("reset", 200.0, 190.0)]


@pytest.mark.django_db
def test_a_new_row_after_a_resent_one_is_compared_with_the_latest_stored_reading(register):
    readings_ingest(site=register, rows=[RawRow(0, "C", _ts(0), 100.0), RawRow(1, "C", _ts(15), 200.0),
                                         RawRow(2, "C", _ts(30), 300.0)])
    # 100 at 00:00 resent; the new row at 00:45 follows the stored 300 at 00:30 (later than the resent row): 250 < 300.
    result = readings_ingest(site=register, rows=[RawRow(0, "C", _ts(0), 100.0), RawRow(1, "C", _ts(45), 250.0)])
    assert (result.accepted, result.duplicates, result.conflicts) == (0, 1, 0)
    assert [(r["index"], r["code"]) for r in result.rejected] == [(1, "register_backwards")]
    assert list(RegisterEvent.objects.values_list("previous_value", "value")) == [(300.0, 250.0)]


@pytest.mark.django_db
def test_a_resent_row_before_a_new_row_past_the_look_back_is_still_its_predecessor(register):
    readings_ingest(site=register, rows=[RawRow(0, "C", _ts(0), 500.0), RawRow(1, "C", _ts(15), 600.0)])
    later = 70 * 1440
    # The batch resends 500 at 00:00 (before the latest stored reading, 600 at 00:15, which is out of reach of the
    # new row); the new row's predecessor is then the resent row of the batch: 400 < 500 is backwards.
    result = readings_ingest(site=register, rows=[RawRow(0, "C", _ts(0), 500.0), RawRow(1, "C", _ts(later), 400.0)])
    assert (result.accepted, result.duplicates) == (0, 1)
    assert [(r["index"], r["code"]) for r in result.rejected] == [(1, "register_backwards")]


@pytest.mark.django_db
def test_a_resent_row_with_a_lower_changed_value_is_a_conflict_not_a_reset(register):
    readings_ingest(site=register, rows=[RawRow(0, "C", _ts(0), 100.0), RawRow(1, "C", _ts(15), 200.0),
                                         RawRow(2, "C", _ts(30), 300.0)])
    # 150 offered for 00:30 where 300 is stored: the stored value stays, so the offer is a conflict to review. It is
    # not checked as a register (150 > 200 would fail), and no reset event is opened for a value never stored.
    result = readings_ingest(site=register, rows=[RawRow(0, "C", _ts(30), 150.0)])
    assert (result.accepted, result.duplicates, result.conflicts, result.rejected) == (0, 0, 1, [])
    assert list(ReadingConflict.objects.values_list("stored_value", "offered_value")) == [(300.0, 150.0)]
    assert not RegisterEvent.objects.exists()


@pytest.mark.django_db
def test_a_late_row_between_stored_readings_is_checked_against_its_stored_predecessor(register):
    readings_ingest(site=register, rows=[RawRow(0, "C", _ts(0), 100.0), RawRow(1, "C", _ts(30), 300.0)])
    # 00:15 was missing: 90 after the stored 100 at 00:00 is backwards (held); 250 at 00:15 in another batch is fine.
    held = readings_ingest(site=register, rows=[RawRow(0, "C", _ts(15), 90.0)])
    assert [(r["index"], r["code"]) for r in held.rejected] == [(0, "register_backwards")]
    filled = readings_ingest(site=register, rows=[RawRow(0, "C", _ts(15), 250.0)])
    assert (filled.accepted, filled.rejected) == (1, [])
    assert sorted(Reading.objects.values_list("value", flat=True)) == [100.0, 250.0, 300.0]


@pytest.mark.django_db
def test_rows_stored_by_a_concurrent_batch_after_the_probe_are_counted_not_lost(register, monkeypatch):
    """The first probe found nothing, but the rows are stored when the insert runs (a concurrent batch committed
    them): the plain insert's unique violation aborts the attempt, and the batch is run again, whose probe finds
    them."""
    from meters.services.ingest import write

    readings_ingest(site=register, rows=[RawRow(0, "C", _ts(0), 100.0), RawRow(1, "C", _ts(15), 200.0)])
    probe, probes = write._stored_at, []

    def probe_missing_once(cur, candidates):
        probes.append(len(candidates))
        return {} if len(probes) == 1 else probe(cur, candidates)

    monkeypatch.setattr(write, "_stored_at", probe_missing_once)
    result = readings_ingest(site=register, rows=[RawRow(0, "C", _ts(0), 100.0), RawRow(1, "C", _ts(15), 201.0),
                                                  RawRow(2, "C", _ts(30), 300.0)])
    assert (result.accepted, result.duplicates, result.conflicts) == (1, 1, 1)
    assert probes == [2, 2]  # the two resent rows, probed by each attempt
    assert sorted(Reading.objects.values_list("value", flat=True)) == [100.0, 200.0, 300.0]
    assert ReadingConflict.objects.get().offered_value == 201.0


def test_the_embedded_default_classifies_resent_rows_alike(tmp_path):
    """SQLite runs the same service with its own SQL: the scenarios above give the same answers there."""
    from pathlib import Path

    from tests.embedded import embedded_run

    out = embedded_run(Path(__file__).with_name("embedded_resent_rows.py"), tmp_path)
    # As test_a_window_resent_with_new_rows_counts_duplicates_conflicts_and_checks_the_new_rows.
    assert out["window"] == {"results": [{"counts": [1, 1, 1], "rejected": [[2, "register_backwards"]]}],
                             "stored": [100.0, 200.0, 220.0], "conflicts": [[100.0, 101.0]],
                             "events": [["reset", 200.0, 190.0]]}
    # As test_a_resent_row_with_a_lower_changed_value_is_a_conflict_not_a_reset.
    assert out["lower_conflict"] == {"results": [{"counts": [0, 0, 1], "rejected": []}],
                                     "stored": [100.0, 200.0, 300.0], "conflicts": [[300.0, 150.0]], "events": []}
    # As test_a_late_row_between_stored_readings_is_checked_against_its_stored_predecessor.
    assert out["late"]["results"] == [{"counts": [0, 0, 0], "rejected": [[0, "register_backwards"]]},
                                      {"counts": [1, 0, 0], "rejected": []}]
    assert out["late"]["stored"] == [100.0, 250.0, 300.0]


@pytest.mark.django_db(transaction=True)
def test_a_mark_claimed_by_a_sweep_is_waited_for_and_made_again(register):
    """A batch re-marking a meter-day that a sweep has claimed waits for the sweep (the mark is locked, not only
    rewritten), and once the sweep has deleted it marks the day again: the batch's readings are never left without a
    mark. Without the lock the batch would pass the claimed mark by and the sweep would delete it."""
    import threading
    import time

    import psycopg
    from django.db import connection

    from meters.models import DirtyMeterDay

    readings_ingest(site=register, rows=[RawRow(0, "C", _ts(0), 100.0)])
    (mark_id,) = DirtyMeterDay.objects.values_list("pk", flat=True)
    s = connection.settings_dict
    sweep = psycopg.connect(host=s["HOST"], port=s["PORT"], user=s["USER"], password=s["PASSWORD"], dbname=s["NAME"])
    done: list[object] = []
    batch = threading.Thread(target=lambda: done.append(
        readings_ingest(site=register, rows=[RawRow(0, "C", _ts(15), 150.0)])))
    try:
        sweep.execute("SELECT id FROM meters_dirtymeterday WHERE id = %s FOR UPDATE SKIP LOCKED", [mark_id])
        batch.start()
        time.sleep(1.0)
        waited = batch.is_alive() and not done  # waiting for the sweep's claim
        sweep.execute("DELETE FROM meters_dirtymeterday WHERE id = %s", [mark_id])
        sweep.commit()
    finally:
        sweep.close()
        if batch.is_alive() or batch.ident is not None:
            batch.join(timeout=30)
        from django.db import connections

        connections.close_all()
    assert waited
    assert done and done[0].accepted == 1
    marks = list(DirtyMeterDay.objects.values_list("pk", "day"))
    assert len(marks) == 1 and marks[0][0] != mark_id  # a new mark for the day the sweep consumed


def _held_by_rule(stored: dict[int, float], batch: list[tuple[int, float]]) -> set[int]:
    """The rule, row by row (timestamps in minutes): a batch row not stored yet is held when its value is below its
    predecessor, the later of the latest stored reading before it within the look-back and the batch's own row
    before it (the first row of a timestamp counts)."""
    lookback = REGISTER_LOOKBACK_DAYS * 24 * 60
    first: dict[int, tuple[int, float]] = {}
    for k, (ts, value) in enumerate(batch):
        first.setdefault(ts, (k, value))
    held = set()
    for ts, (k, value) in first.items():
        if ts in stored:
            continue
        before = [(t, 1, v) for t, v in stored.items() if ts - lookback <= t < ts]
        before += [(t, 0, v) for t, (_k, v) in first.items() if t < ts]
        if before and value < max(before)[2]:  # the latest; the stored one on a tie
            held.add(k)
    return held


_MINUTES = st.sampled_from([-100 * 24 * 60, -70 * 24 * 60, -3 * 24 * 60, 0, 15, 30, 45, 60, 75, 90, 105, 120])


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stored=st.dictionaries(_MINUTES, st.integers(0, 9).map(float), max_size=6),
       batch=st.lists(st.tuples(_MINUTES, st.integers(0, 9).map(float)), min_size=1, max_size=8))
# The stored reading 70 days back is past the look-back of the batch's last row, which follows its own predecessor
# 100 days back, below it (held) or above it (stored).
@example(stored={-70 * 24 * 60: 9.0}, batch=[(-100 * 24 * 60, 5.0), (0, 3.0)])
@example(stored={-70 * 24 * 60: 9.0}, batch=[(-100 * 24 * 60, 1.0), (0, 3.0)])
def test_registers_are_checked_against_the_later_of_the_stored_and_the_batch_predecessor(register, stored, batch):
    """The whole-batch register check (write._previous_values_columns) against the rule stated row by row, for
    stored readings and batches that interleave, repeat, and reach past the look-back (62 days)."""
    Reading.objects.all().delete()
    RegisterEvent.objects.all().delete()
    meter = Meter.objects.get(site=register, code="C")
    Reading.objects.bulk_create(Reading(meter=meter, ts=T0 + dt.timedelta(minutes=t), value=v)
                                for t, v in stored.items())
    result = readings_ingest(site=register, rows=[RawRow(k, "C", _ts(t), v) for k, (t, v) in enumerate(batch)])
    held = {row["index"] for row in result.rejected if row["code"] == "register_backwards"}
    assert held == _held_by_rule(stored, batch)
