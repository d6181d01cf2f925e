"""Running a script of the suite on the embedded default (SQLite, no Redis, in-process Celery) in a subprocess, since
the suite itself runs on PostgreSQL. The script prints its results as JSON on its last line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def embedded_run(script: Path, tmp_path: Path) -> Any:
    """Run `script` against a fresh SQLite database in `tmp_path`; return the JSON of its last output line."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "CELERY_RESULT_BACKEND")}
    env |= {"DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}", "MEDIA_ROOT": str(tmp_path / "media"),
            "DJANGO_SETTINGS_MODULE": "energy_platform.settings.local", "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])
