"""The embedded default (SQLite): a committed batch answers 200 when the rollup after its commit finds the database
locked by another writer, and the sweep makes the rollup later (a subprocess, since the suite runs on PostgreSQL).
Under four concurrent gateways such a batch used to answer `503 nothing committed` after it had committed."""

from __future__ import annotations

from pathlib import Path

from tests.embedded import embedded_run


def test_a_committed_batch_is_a_200_when_sqlite_is_locked_after_the_commit(tmp_path):
    out = embedded_run(Path(__file__).with_name("embedded_locked_rollup.py"), tmp_path)
    assert out["status"] == 200, out  # was 503 "nothing committed", though the batch was committed
    assert out["body"]["accepted"] == 1
    assert (out["readings"], out["rollups_before"]) == (1, 0)
    assert out["dirty"] >= 1  # the meter-day waits for the sweep
    # One interval reading of 2.5 kWh: its hour, day and month each hold 2.5.
    assert out["rollups_after"] == [["day", 2.5], ["hour", 2.5], ["month", 2.5]]
