"""PostgreSQL restarted between batches (a cluster of the test's own, holding a copy of the test database, behind a
gunicorn server with persistent connections): while it is down, gateways, pages and the KPI API get a retryable 503
with a machine-readable body and Retry-After, never a 500, and nothing of the batch is half-stored; the same batch
retried after the restart is stored, and so is the next one."""

from __future__ import annotations

import psycopg
import pytest
from django.test import Client

from .conftest import batches
from .procs import AppServer, PostgresCluster, django_test_database_url, http, post_batch

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def _stored(url: str) -> tuple[int, list[str]]:
    with psycopg.connect(url) as conn:
        readings = conn.execute("SELECT count(*) FROM meters_reading").fetchone()[0]
        keys = [r[0] for r in conn.execute("SELECT batch_key FROM meters_ingestbatch ORDER BY id").fetchall()]
    return readings, keys


def test_postgres_restart_gives_retryable_errors_and_loses_no_batch(plant, tmp_workdir):
    browser = Client()
    browser.force_login(plant["manager_a"])
    session = f"sessionid={browser.cookies['sessionid'].value}"
    cluster = PostgresCluster(tmp_workdir)
    cluster.start()
    url = cluster.copy_database_from(django_test_database_url(), "faults")
    # One sync worker, so the connection kept from the first batch is the one that meets the restarted server.
    app = AppServer(database_url=url + "?conn_max_age=600", redis_url="", workdir=tmp_workdir, workers=1)
    app.start()
    todo = batches()
    pages = {"dashboard": f"{app.base}/", "kpis": f"{app.base}/api/v1/sites/{plant['site'].pk}/kpis/?period=2025-03"}
    try:
        first = post_batch(app.base, plant["token"], *todo[0])
        assert first.status == 200 and first.json['accepted'] == 48, (first, app.logs())
        for name, page in pages.items():
            assert http("GET", page, headers={"Cookie": session}).status == 200, (name, app.logs())

        # A restart between two batches: the persistent connection is dead, the next batch must still be stored.
        cluster.stop()
        cluster.start()
        second = post_batch(app.base, plant["token"], *todo[1])
        assert second.status == 200 and second.json['accepted'] == 48, (second, app.logs())

        # Down: retryable errors with a machine-readable body, nothing stored.
        cluster.stop()
        down = post_batch(app.base, plant["token"], *todo[2])
        assert down.status == 503, (down, app.logs())
        assert down.json["code"] == "database_unavailable"
        assert int(down.headers["Retry-After"]) > 0
        kpis = http("GET", pages["kpis"], headers={"Cookie": session})
        assert (kpis.status, kpis.json["code"]) == (503, "database_unavailable"), kpis
        assert int(kpis.headers["Retry-After"]) > 0
        page = http("GET", pages["dashboard"], headers={"Cookie": session})
        assert page.status == 503 and "database_unavailable" in page.body, page
        assert int(page.headers["Retry-After"]) > 0

        cluster.start()
        retried = post_batch(app.base, plant["token"], *todo[2])  # the gateway resends the same batch id
        assert retried.status == 200 and retried.json['accepted'] == 48, (retried, app.logs())
        nxt = post_batch(app.base, plant["token"], *todo[3])
        assert nxt.status == 200 and nxt.json['accepted'] == 48, (nxt, app.logs())
        for name, page in pages.items():
            assert http("GET", page, headers={"Cookie": session}).status == 200, (name, app.logs())
        assert _stored(url) == (4 * 48, ["b0", "b1", "b2", "b3"])
    finally:
        app.stop()
        cluster.stop("immediate")
