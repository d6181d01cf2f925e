"""Run by test_resent_rows.py in a subprocess on the embedded default (SQLite): the resent-row scenarios of that
module through the same ingestion service, printed as JSON, so that both databases are held to one definition."""

from __future__ import annotations

import datetime as dt
import json

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

setup_test_environment()
call_command("migrate", verbosity=0)

from meters.models import Meter, Reading, ReadingConflict, RegisterEvent  # noqa: E402
from meters.services.ingest import RawRow, readings_ingest  # noqa: E402
from tests.factories import MeterFactory, SiteFactory  # noqa: E402

T0 = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)


def ts(minutes: int) -> str:
    return (T0 + dt.timedelta(minutes=minutes)).isoformat()


def outcome(result) -> dict:
    return {"counts": [result.accepted, result.duplicates, result.conflicts],
            "rejected": [[r["index"], r["code"]] for r in result.rejected]}


def scenario(code: str, first: list[tuple[int, float]], *batches: list[tuple[int, float]]) -> dict:
    site = SiteFactory(code=f"S{code}")
    meter = MeterFactory(site=site, code=code, reading_kind=Meter.ReadingKind.CUMULATIVE,
                         active_from=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    readings_ingest(site=site, rows=[RawRow(i, code, ts(m), v) for i, (m, v) in enumerate(first)])
    results = [outcome(readings_ingest(site=site, rows=[RawRow(i, code, ts(m), v) for i, (m, v) in enumerate(b)]))
               for b in batches]
    return {"results": results,
            "stored": sorted(Reading.objects.filter(meter=meter).values_list("value", flat=True)),
            "conflicts": list(ReadingConflict.objects.filter(meter=meter).values_list("stored_value",
                                                                                      "offered_value")),
            "events": list(RegisterEvent.objects.filter(meter=meter).values_list("kind", "previous_value", "value"))}


print(json.dumps({
    "window": scenario("W", [(0, 100.0), (15, 200.0)], [(0, 101.0), (15, 200.0), (30, 190.0), (45, 220.0)]),
    "lower_conflict": scenario("L", [(0, 100.0), (15, 200.0), (30, 300.0)], [(30, 150.0)]),
    "late": scenario("G", [(0, 100.0), (30, 300.0)], [(15, 90.0)], [(15, 250.0)]),
}))
