"""`make demo`'s server on the embedded default (SQLite, no Redis), as a real process: `manage.py run_demo` runs the
scheduled jobs in-process (the alert rules' last evaluation moves past the one `load_alerts_demo` made) and the
simulated gateway posts the current quarter-hour. Subprocesses, since the suite itself runs on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETUP = """
import django; django.setup()
from django.core.management import call_command
from demo.loader import demo_load
call_command("migrate", verbosity=0)
demo_load(small=True, log=lambda m: None)
call_command("load_alerts_demo")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db, timeout=30) as conn:
        return conn.execute(sql).fetchall()


def test_run_demo_runs_the_schedule_and_the_simulated_gateway_in_process(tmp_path):
    db = tmp_path / "demo.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "CELERY_RESULT_BACKEND")}
    env |= {"DATABASE_URL": f"sqlite:///{db}", "MEDIA_ROOT": str(tmp_path / "media"),
            "DJANGO_SETTINGS_MODULE": "energy_platform.settings.local", "PYTHONPATH": str(ROOT)}
    setup = subprocess.run([sys.executable, "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=600, check=False)
    assert setup.returncode == 0, setup.stderr[-3000:]
    loaded = dict(_rows(db, "SELECT id, last_evaluated_at FROM alerts_alertrule"))
    assert len(loaded) == 4 and all(loaded.values())
    started = dt.datetime.now(dt.UTC)

    port = _free_port()
    server = subprocess.Popen([sys.executable, "manage.py", "run_demo", f"127.0.0.1:{port}", "--noreload"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 180
        evaluated = posted = False
        while time.monotonic() < deadline and not (evaluated and posted):
            time.sleep(1)
            now = dict(_rows(db, "SELECT id, last_evaluated_at FROM alerts_alertrule"))
            evaluated = all(now[k] > loaded[k] for k in loaded)
            posted = bool(_rows(db, "SELECT 1 FROM meters_ingestbatch WHERE source = 'http:simulated'"))
        assert evaluated, "the alert rules were not evaluated again"
        assert posted, "the simulated gateway posted nothing"
        # The server answers while the clock runs in its process.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=30) as answer:  # noqa: S310
            assert answer.status == 200
        # A reading of the current hour (the demo's data ended at the last whole hour before loading).
        newest = _rows(db, "SELECT MAX(r.ts) FROM meters_reading r JOIN meters_meter m ON m.id = r.meter_id "
                           "WHERE m.code = 'RM-E-MAIN'")[0][0]
        assert dt.datetime.fromisoformat(newest).replace(tzinfo=dt.UTC) >= started.replace(
            minute=started.minute - started.minute % 15, second=0, microsecond=0) - dt.timedelta(minutes=15)
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert "Scheduled jobs run in-process" in output
