"""The embedded default (SQLite): a committed batch answers 200 when the rollup after its commit finds the database
locked by another writer, and the sweep makes the rollup later (a subprocess, since the suite runs on PostgreSQL).
Under four concurrent gateways such a batch used to answer `503 nothing committed` after it had committed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_committed_batch_is_a_200_when_sqlite_is_locked_after_the_commit(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "CELERY_RESULT_BACKEND")}
    env |= {"DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}", "MEDIA_ROOT": str(tmp_path / "media"),
            "DJANGO_SETTINGS_MODULE": "energy_platform.settings.local", "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, str(Path(__file__).with_name("embedded_locked_rollup.py"))], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["status"] == 200, out  # was 503 "nothing committed", though the batch was committed
    assert out["body"]["accepted"] == 1
    assert (out["readings"], out["rollups_before"]) == (1, 0)
    assert out["dirty"] >= 1  # the meter-day waits for the sweep
    # One interval reading of 2.5 kWh: its hour, day and month each hold 2.5.
    assert out["rollups_after"] == [["day", 2.5], ["hour", 2.5], ["month", 2.5]]
