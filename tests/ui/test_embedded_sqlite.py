"""The UI on the embedded default of `make demo` (SQLite, no Redis, in-process Celery): every page and chart API
answers, the load curve has data, an upload is validated and saved (a subprocess, since the suite runs on
PostgreSQL). The load curve and the meter tree once used PostgreSQL-only SQL and answered 500 there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ui_pages_work_on_the_embedded_sqlite_default(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "CELERY_RESULT_BACKEND")}
    env |= {"DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}", "MEDIA_ROOT": str(tmp_path / "media"),
            "DJANGO_SETTINGS_MODULE": "energy_platform.settings.local", "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, str(Path(__file__).with_name("embedded_pages.py"))], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert {url: s for url, s in out["status"].items() if s != 200} == {}
    assert len(out["status"]) == 22  # 5 pages + 5 per site x 3 sites + PUE trend + meter series
    assert out["foreign"] == [404, 404]
    # 2025-01-05 lies inside the demo's readings: all 96 quarter-hours of the mill's main meter.
    assert out["load_points"] == 96
    assert out["upload"] == ["done", 1]
