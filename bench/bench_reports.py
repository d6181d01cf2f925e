"""Benchmark: annual energy report generation for the demo enterprise (run under tests/services.py + pytest).

    .venv/bin/python tests/services.py .venv/bin/python -m pytest bench/bench_reports.py -q -s [--until via BENCH_UNTIL]
"""

import os
import time

import pytest
from django.core.management import call_command

from plants.models import Enterprise
from reports.services import report_generate


@pytest.mark.django_db(transaction=True)
def test_bench_energy_report_generation():
    until = os.environ.get("BENCH_UNTIL", "2025-12-31")
    args = ["--until", until] + (["--small"] if os.environ.get("BENCH_SMALL") else [])
    t0 = time.perf_counter()
    call_command("load_demo", *args)
    print(f"\nload_demo {args}: {time.perf_counter() - t0:.1f} s")
    ent = Enterprise.objects.order_by("pk").first()
    for fmt in ("json", "pdf", "xlsx"):
        t0 = time.perf_counter()
        snap = report_generate(kind="energy", enterprise=ent, year=2025, fmt=fmt, lang="zh-hans")
        print(f"energy report 2025 {fmt}: {time.perf_counter() - t0:.2f} s, {snap.files.get().size} bytes")
    out = os.environ.get("BENCH_PDF_DIR")
    if out:  # pages for docs/screenshots
        for kind in ("energy", "ghg", "footprint", "green_factory"):
            snap = report_generate(kind=kind, enterprise=ent, year=2025, fmt="pdf", lang="zh-hans")
            with open(os.path.join(out, f"{kind}.pdf"), "wb") as fh:
                fh.write(snap.files.get().file.read())
