"""Run by test_embedded_post_commit.py in a subprocess on the embedded default (SQLite, in-process Celery): a batch
whose post-commit rollup meets "database is locked" (another writer holds SQLite's lock) is answered 200, its
readings are stored, and the next sweep makes the rollups. Prints the results as JSON."""

from __future__ import annotations

import json
import sqlite3

import django

django.setup()

from django.db import connection  # noqa: E402

connection.settings_dict["OPTIONS"]["timeout"] = 1  # seconds SQLite waits for a lock before "database is locked"

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

setup_test_environment()
call_command("migrate", verbosity=0)

import orjson  # noqa: E402

import meters.apis_ingest as ingest_api  # noqa: E402
from meters.models import DirtyMeterDay, MeterRollup, Reading  # noqa: E402
from meters.rollup import rollup_sweep  # noqa: E402
from meters.services.gateways import gateway_provision  # noqa: E402
from tests.factories import MeterFactory, SiteFactory  # noqa: E402

site = SiteFactory(code="S1")
MeterFactory(site=site, code="E1")
_, token = gateway_provision(site=site, name="gw")
real_rollups = ingest_api.rollups_after_write


def rollups_while_another_writer_holds_the_lock() -> None:
    other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # a concurrent gateway's transaction
    try:
        real_rollups()
    finally:
        other.execute("ROLLBACK")
        other.close()


ingest_api.rollups_after_write = rollups_while_another_writer_holds_the_lock
gateway = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
body = {"batch_id": "b1", "readings": [{"meter": "E1", "ts": "2025-03-01T08:00:00+08:00", "value": 2.5}]}
resp = gateway.generic("POST", "/api/v1/readings/", orjson.dumps(body), content_type="application/json")
out = {"status": resp.status_code, "body": resp.json(), "readings": Reading.objects.count(),
       "dirty": DirtyMeterDay.objects.count(), "rollups_before": MeterRollup.objects.count()}
ingest_api.rollups_after_write = real_rollups
while rollup_sweep():
    pass
out["rollups_after"] = sorted(MeterRollup.objects.values_list("granularity", "quantity"))
print(json.dumps(out))
