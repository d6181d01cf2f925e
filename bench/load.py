"""Load test (a benchmark, not a test): gateways post batches while energy managers browse the dashboards.

Run with `make bench-load` (= `python tests/services.py python bench/load.py`, throwaway PostgreSQL and Redis), or
`python tests/services.py python bench/load.py --duration 60` for a short run. Everything stays on the loopback
interface: the script starts its own server on 127.0.0.1 and talks to nothing else.

1. creates `<name>_load` next to DATABASE_URL, migrates, seeds one enterprise with `--sites` sites; per site
   `--gateways / --sites` gateways, each with an allow-list of `--meters-per-gateway` interval meters (one main meter,
   the rest its sub-meters); `--managers` energy managers with a logged-in session each; a year of day/month
   rollups, 90 days of hour rollups and nine days of 15-minute readings for the main meters (the dashboards' data);
2. starts gunicorn with the production settings (3 sync workers as in the Dockerfile, persistent connections,
   throttle through Redis) and a Celery worker with beat (the rollup sweep every minute), as deployed;
3. for `--duration` seconds (default 300): every gateway posts a batch (`--steps-per-batch` 15-minute readings of
   each of its meters, a new batch id each time) every `--interval` seconds ±20 %; every manager opens a dashboard
   (overview, a site page with the chart data it loads, the meter tree with a meter's series, the data-quality page,
   or the KPI API), then thinks for `--think` seconds ±50 %;
4. prints the ingestion rate, latency percentiles of the gateway posts and of the dashboard requests (pages, chart
   APIs and the KPI API, overall and per page), and every error (any status other than 200, or a transport error);
   checks that the readings table grew by exactly the readings the server said it accepted.
Exit status 1 when there was an error or a reading went missing; the p95 target (300 ms) is reported, not enforced.

Why asyncio + httpx rather than locust: one process and one event loop drive the 70 simulated clients with little
CPU (this machine has two cores shared by the server, PostgreSQL, Redis and the worker; locust's gevent workers and
web UI would cost more and add a dependency tree), the run is bounded by one deadline, and the script seeds, starts
the server and verifies the stored rows in the same run. httpx is pinned in the dev extras.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import resource
import secrets
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from common import bench_database  # bench/common.py (the script's folder is on sys.path)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

P95_TARGET_MS = 300.0


@dataclass
class Plan:
    """What the simulated clients need: gateway tokens with their meters, manager sessions, dashboard URLs."""

    gateways: list[tuple[str, list[str]]]
    sessions: list[str]
    sites: list[tuple[int, str]]  # (pk, code)
    meters: list[int]
    enterprise: int
    start: dt.datetime  # the gateways' first timestamp


@dataclass
class Stats:
    gateway_ms: list[float] = field(default_factory=list)
    batches: int = 0
    accepted: int = 0
    page_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    labels: dict[str, str] = field(default_factory=lambda: {"/api/v1/readings/": "gateway post"})
    error_samples: list[str] = field(default_factory=list)

    def error(self, label: str, what: str, sample: str) -> None:
        self.errors[(label, what)] += 1
        if len(self.error_samples) < 10:
            self.error_samples.append(f"{label}: {what}: {sample[:300]}")


def seed(args) -> Plan:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from accounts.models import Membership, Role
    from meters.models import Meter
    from meters.services.gateways import gateway_provision
    from plants.models import Enterprise, Site
    from plants.validators import credit_code_check_character

    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    first17 = "91110000MA0LDBK01"
    ent = Enterprise.objects.create(name="Load test", credit_code=first17 + credit_code_check_character(first17),
                                    industry_code="C3130", region_code="110101")
    sites = [Site.objects.create(enterprise=ent, code=f"S{i}", name=f"site {i}", kind="factory",
                                 region_code="110101") for i in range(args.sites)]
    now = timezone.now()
    active_from = now - dt.timedelta(days=420)
    # The gateways report from four days ago on, 15 minutes a step: a 5-minute run posts at most 300 s / (0.8 × 5 s)
    # = 75 batches × 4 steps = 75 hours of readings per gateway, which stays in the past.
    start = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0) - dt.timedelta(days=4)
    gateways, mains, meter_ids = [], [], []
    for n in range(args.gateways):
        site = sites[n % len(sites)]
        main = Meter.objects.create(site=site, code=f"G{n}-M0", carrier="electricity", unit="kWh",
                                    reading_kind="interval", level="enterprise", role="purchase",
                                    active_from=active_from)
        subs = Meter.objects.bulk_create([
            Meter(site=site, code=f"G{n}-M{j}", carrier="electricity", unit="kWh", reading_kind="interval",
                  level="sub_unit", role="sub", parent=main, active_from=active_from)
            for j in range(1, args.meters_per_gateway)])
        codes = [main.code] + [m.code for m in subs]
        _gateway, token = gateway_provision(site=site, name=f"gw-{n}", meter_codes=codes)
        gateways.append((token, codes))
        mains.append(main.pk)
        meter_ids += [main.pk] + [m.pk for m in subs]
    users = [get_user_model().objects.create_user(username=f"manager{i}", password=secrets.token_urlsafe(16))
             for i in range(args.managers)]
    Membership.objects.bulk_create([Membership(user=u, enterprise=ent, role=Role.ENERGY_MANAGER) for u in users])
    sessions = []
    for user in users:
        client = Client()
        client.force_login(user)
        sessions.append(client.cookies["sessionid"].value)
    with connection.cursor() as cur:
        # 25 kWh per 15 minutes: 100 kWh an hour (4 of 4 intervals), 2,400 kWh a day (96 of 96).
        cur.execute("""
            INSERT INTO meters_meterrollup (meter_id, granularity, bucket_start, quantity, expected_intervals,
                                            received_intervals, estimated_intervals, computed_at)
            SELECT m, 'day', l AT TIME ZONE 'Asia/Shanghai', 2400, 96, 96, 0, now()
            FROM unnest(%s::bigint[]) m,
                 generate_series(date_trunc('day', %s::timestamptz AT TIME ZONE 'Asia/Shanghai') - interval '400 days',
                                 date_trunc('day', %s::timestamptz AT TIME ZONE 'Asia/Shanghai') - interval '1 day',
                                 interval '1 day') l""", [meter_ids, start, start])
        cur.execute("""
            INSERT INTO meters_meterrollup (meter_id, granularity, bucket_start, quantity, expected_intervals,
                                            received_intervals, estimated_intervals, computed_at)
            SELECT m, 'hour', l AT TIME ZONE 'Asia/Shanghai', 100, 4, 4, 0, now()
            FROM unnest(%s::bigint[]) m,
                 generate_series(date_trunc('day', %s::timestamptz AT TIME ZONE 'Asia/Shanghai') - interval '90 days',
                                 date_trunc('day', %s::timestamptz AT TIME ZONE 'Asia/Shanghai') - interval '1 hour',
                                 interval '1 hour') l""", [meter_ids, start, start])
        cur.execute("""
            INSERT INTO meters_meterrollup (meter_id, granularity, bucket_start, quantity, expected_intervals,
                                            received_intervals, estimated_intervals, computed_at)
            SELECT meter_id, 'month', date_trunc('month', bucket_start AT TIME ZONE 'Asia/Shanghai')
                   AT TIME ZONE 'Asia/Shanghai', sum(quantity), sum(expected_intervals), sum(received_intervals), 0,
                   now()
            FROM meters_meterrollup WHERE granularity = 'day' GROUP BY 1, 3""")
        # Nine days of 15-minute readings of the main meters before the gateways' first timestamp (load curves).
        cur.execute("""
            INSERT INTO meters_reading (meter_id, ts, value, estimated)
            SELECT m, t, 25, false FROM unnest(%s::bigint[]) m,
                   generate_series(%s::timestamptz - interval '9 days', %s::timestamptz - interval '15 minutes',
                                   interval '15 minutes') t""", [mains, start, start])
        cur.execute("ANALYZE")
        cur.execute("SELECT granularity, count(*) FROM meters_meterrollup GROUP BY 1 ORDER BY 1")
        counts = cur.fetchall()
    print(f"seeded {len(meter_ids)} meters, {len(gateways)} gateways, {len(users)} managers, rollups {counts} "
          f"in {time.perf_counter() - t:.0f} s", flush=True)
    return Plan(gateways=gateways, sessions=sessions, sites=[(s.pk, s.code) for s in sites], meters=meter_ids,
                enterprise=ent.pk, start=start)


def readings_count() -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM meters_reading")
        return cur.fetchone()[0]


async def gateway_loop(n: int, token: str, codes: list[str], plan: Plan, args, base: str, deadline: float,
                       stats: Stats, rng: random.Random) -> None:
    import httpx

    step = 0
    async with httpx.AsyncClient(base_url=base, timeout=30, headers={"Authorization": f"Bearer {token}"}) as client:
        await asyncio.sleep(rng.uniform(0, args.interval))
        seq = 0
        while time.monotonic() < deadline:
            began = time.monotonic()
            readings = []
            for _ in range(args.steps_per_batch):
                ts = (plan.start + dt.timedelta(minutes=15 * step)).isoformat()
                readings += [{"meter": code, "ts": ts, "value": 25.0} for code in codes]
                step += 1
            body = json.dumps({"batch_id": f"gw{n}-{seq}", "readings": readings})
            seq += 1
            for _attempt in range(5):  # like a real gateway: resend the same batch id after a failure
                t = time.perf_counter()
                try:
                    response = await client.post("/api/v1/readings/", content=body,
                                                 headers={"Content-Type": "application/json"})
                except httpx.HTTPError as exc:
                    stats.error("gateway post", type(exc).__name__, str(exc))
                    continue
                stats.gateway_ms.append((time.perf_counter() - t) * 1000)
                if response.status_code != 200:
                    stats.error("gateway post", str(response.status_code), response.text)
                    continue
                answer = response.json()
                stats.batches += 1
                stats.accepted += answer["accepted"]  # a resent batch replays the first answer: counted once
                if answer["accepted"] != len(readings):
                    stats.error("gateway post", "not all accepted", response.text)
                break
            pause = args.interval * rng.uniform(0.8, 1.2) - (time.monotonic() - began)
            await asyncio.sleep(max(0.0, min(pause, deadline - time.monotonic())))


def dashboard_visits(plan: Plan, rng: random.Random) -> list[tuple[str, str]]:
    """One manager's next dashboard visit: the page and the chart data its scripts load."""
    from django.utils import timezone

    pk, _code = rng.choice(plan.sites)
    today = timezone.localdate()
    choice = rng.random()
    if choice < 0.25:
        return [("overview page", "/")]
    if choice < 0.60:
        day = (today - dt.timedelta(days=rng.choice([1, 4, 8]))).isoformat()
        return [("site page", f"/sites/{pk}/"), ("api: monthly by carrier", f"/api/v1/ui/sites/{pk}/monthly/"),
                ("api: load curve", f"/api/v1/ui/sites/{pk}/load/?days={rng.choice([1, 7])}&day={day}"),
                ("api: KPI trend", f"/api/v1/ui/sites/{pk}/kpi-trend/?metric=emissions")]
    if choice < 0.75:
        return [("meter tree page", f"/sites/{pk}/meters/"),
                ("api: meter series", f"/api/v1/ui/meters/{rng.choice(plan.meters)}/series/")]
    if choice < 0.85:
        return [("data quality page", "/quality/")]
    if choice < 0.95:
        return [("api: site KPIs", f"/api/v1/sites/{pk}/kpis/?period={today:%Y-%m}")]
    return [("api: enterprise KPIs", f"/api/v1/enterprises/{plan.enterprise}/kpis/?period={today.year}")]


async def manager_loop(session: str, plan: Plan, args, base: str, deadline: float, stats: Stats,
                       rng: random.Random) -> None:
    import httpx

    headers = {"Cookie": f"sessionid={session}", "X-Forwarded-Proto": "https"}
    async with httpx.AsyncClient(base_url=base, timeout=30, headers=headers) as client:
        await asyncio.sleep(rng.uniform(0, args.think))
        while time.monotonic() < deadline:
            for label, url in dashboard_visits(plan, rng):
                stats.labels[url] = label
                t = time.perf_counter()
                try:
                    response = await client.get(url)
                except httpx.HTTPError as exc:
                    stats.error(label, type(exc).__name__, str(exc))
                    continue
                stats.page_ms[label].append((time.perf_counter() - t) * 1000)
                if response.status_code != 200:
                    stats.error(label, str(response.status_code), f"{url} {response.text}")
            pause = args.think * rng.uniform(0.5, 1.5)
            await asyncio.sleep(max(0.0, min(pause, deadline - time.monotonic())))


async def run_load(plan: Plan, args, base: str, stats: Stats) -> float:
    rng = random.Random(args.seed)
    deadline = time.monotonic() + args.duration
    began = time.monotonic()
    tasks = [gateway_loop(n, token, codes, plan, args, base, deadline, stats, random.Random(rng.random()))
             for n, (token, codes) in enumerate(plan.gateways)]
    tasks += [manager_loop(s, plan, args, base, deadline, stats, random.Random(rng.random())) for s in plan.sessions]
    await asyncio.gather(*tasks)
    return time.monotonic() - began


async def probe(plan: Plan, args, base: str) -> dict[str, float]:
    """Before the load: every dashboard request and one gateway post, sequentially, a few rounds (the first ones
    warm up each gunicorn worker: the first request a worker serves imports the URLconf); returns the last round's
    milliseconds, the latency without concurrent load."""
    import httpx

    rng = random.Random(args.seed + 1)
    urls: dict[str, str] = {}
    while len(urls) < 10:
        for label, url in dashboard_visits(plan, rng):
            urls.setdefault(label, url)
    out: dict[str, float] = {}
    first: dict[str, float] = {}
    headers = {"Cookie": f"sessionid={plan.sessions[0]}", "X-Forwarded-Proto": "https"}
    token, codes = plan.gateways[0]
    async with httpx.AsyncClient(base_url=base, timeout=120, headers=headers) as client:
        for round_ in range(2 * args.web_workers):
            for label, url in urls.items():
                t = time.perf_counter()
                response = await client.get(url)
                out[label] = (time.perf_counter() - t) * 1000
                assert response.status_code == 200, (url, response.status_code, response.text[:300])
                if round_ == 0:
                    first[label] = out[label]
            ts = (plan.start - dt.timedelta(days=10, minutes=15 * round_)).isoformat()
            body = json.dumps({"batch_id": f"probe-{round_}", "readings": [
                {"meter": code, "ts": ts, "value": 25.0} for code in codes]})
            t = time.perf_counter()
            response = await client.post("/api/v1/readings/", content=body, headers={
                "Content-Type": "application/json", "Authorization": f"Bearer {token}", "Cookie": ""})
            out["gateway post"] = (time.perf_counter() - t) * 1000
            assert response.status_code == 200, response.text[:300]
    print("first requests (cold gunicorn workers): " + ", ".join(f"{k} {v:.0f} ms" for k, v in first.items()))
    return out


ACCESS_LOG_FORMAT = "%(m)s|%(U)s|%(q)s|%(s)s|%(D)s"


def server_times(access_log: Path, offset: int, labels: dict[str, str]) -> dict[str, list[float]]:
    """Milliseconds each request spent in a gunicorn worker (from the access log's %(D)s, microseconds): the
    server's own time, without the wait in the listen queue that the client-side figures include."""
    out: dict[str, list[float]] = defaultdict(list)
    with open(access_log, "rb") as f:
        f.seek(offset)
        for line in f.read().decode(errors="replace").splitlines():
            parts = line.strip().split("|")
            if len(parts) != 5:
                continue
            _method, path, query, _status, micros = parts
            label = labels.get(f"{path}?{query}" if query else path)
            if label is not None:
                out[label].append(int(micros) / 1000)
    return out


def pct(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        v = values[0] if values else float("nan")
        return v, v, v
    q = statistics.quantiles(values, n=100, method="inclusive")
    return q[49], q[94], q[98]


def wait_listening(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.2)
    sys.exit("server did not start listening")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=300, help="seconds of load (default 300)")
    parser.add_argument("--gateways", type=int, default=50)
    parser.add_argument("--managers", type=int, default=20)
    parser.add_argument("--sites", type=int, default=5)
    parser.add_argument("--meters-per-gateway", type=int, default=10)
    parser.add_argument("--steps-per-batch", type=int, default=4, help="15-minute steps per batch (default 4)")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between a gateway's batches (±20 %%)")
    parser.add_argument("--think", type=float, default=10.0, help="a manager's think time between pages (±50 %%)")
    parser.add_argument("--web-workers", type=int, default=3, help="gunicorn sync workers (default 3, Dockerfile)")
    parser.add_argument("--no-worker", action="store_true", help="no Celery worker/beat during the run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        sys.exit("Set DATABASE_URL (PostgreSQL) and REDIS_URL, or run through tests/services.py.")
    db_url = bench_database(os.environ["DATABASE_URL"], "load")
    secret = secrets.token_urlsafe(48)
    os.environ.update(DATABASE_URL=db_url, SECRET_KEY=secret, DJANGO_SETTINGS_MODULE="energy_platform.settings.test")
    import django

    django.setup()
    plan = seed(args)

    from tests.services import _free_port

    port = _free_port()
    env = {**os.environ, "DATABASE_URL": db_url + "?conn_max_age=600", "SECRET_KEY": secret,
           "DJANGO_SETTINGS_MODULE": "energy_platform.settings.production", "SECURE_SSL_REDIRECT": "False",
           "LOG_LEVEL": "WARNING", "ALLOWED_HOSTS": "127.0.0.1,localhost"}
    access_log = Path(os.environ.get("TMPDIR", "/tmp")) / f"nengtan-load-access-{port}.log"
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "energy_platform.wsgi", "-w", str(args.web_workers),
                               "-b", f"127.0.0.1:{port}", "--timeout", "120", "--access-logfile", str(access_log),
                               "--access-logformat", ACCESS_LOG_FORMAT], cwd=ROOT, env=env)
    worker = None
    if not args.no_worker:
        schedule = Path(os.environ.get("TMPDIR", "/tmp")) / f"nengtan-load-beat-{port}"
        worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "energy_platform", "worker", "-B",
                                   "--schedule", str(schedule), "--concurrency", "1", "--loglevel", "WARNING",
                                   "--without-gossip", "--without-mingle", "--without-heartbeat"], cwd=ROOT, env=env)
    stats = Stats()
    try:
        wait_listening(port, server)
        print(f"load: {args.gateways} gateways every {args.interval:g} s ({args.meters_per_gateway} meters × "
              f"{args.steps_per_batch} steps a batch), {args.managers} managers (think {args.think:g} s), "
              f"{args.duration:g} s, gunicorn {args.web_workers} workers on 127.0.0.1:{port}"
              f"{'' if worker else ', no Celery worker'}", flush=True)
        unloaded = asyncio.run(probe(plan, args, f"http://127.0.0.1:{port}"))
        print("unloaded (sequential, after warm-up): " + ", ".join(f"{k} {v:.0f} ms" for k, v in unloaded.items()),
              flush=True)
        before = readings_count()
        log_offset = access_log.stat().st_size
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        elapsed = asyncio.run(run_load(plan, args, f"http://127.0.0.1:{port}", stats))
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        load_avg = os.getloadavg()
    finally:
        for proc in (server, worker):
            if proc is not None:
                proc.terminate()
        for proc in (server, worker):
            if proc is not None:
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
    stored = readings_count() - before
    served = server_times(access_log, log_offset, stats.labels)
    access_log.unlink(missing_ok=True)

    page_all = [ms for values in stats.page_ms.values() for ms in values]
    served_pages = [ms for label, values in served.items() if label != "gateway post" for ms in values]
    s50, s95, s99 = pct(served_pages)
    g50, g95, g99 = pct(stats.gateway_ms)
    d50, d95, d99 = pct(page_all)
    errors = sum(stats.errors.values())
    figures = {
        "duration_s": round(elapsed, 1), "gateways": args.gateways, "managers": args.managers,
        "batches": stats.batches, "readings_accepted": stats.accepted, "readings_stored": stored,
        "batches_per_s": round(stats.batches / elapsed, 2), "readings_per_s": round(stats.accepted / elapsed, 1),
        "gateway_ms": {"p50": round(g50, 1), "p95": round(g95, 1), "p99": round(g99, 1)},
        "dashboard_requests": len(page_all), "dashboard_per_s": round(len(page_all) / elapsed, 2),
        "dashboard_ms": {"p50": round(d50, 1), "p95": round(d95, 1), "p99": round(d99, 1)},
        "dashboard_server_ms": {"p50": round(s50, 1), "p95": round(s95, 1), "p99": round(s99, 1)},
        "gateway_server_ms": dict(zip(("p50", "p95", "p99"), (round(x, 1) for x in pct(served["gateway post"])),
                                      strict=True)),
        "per_page_ms": {label: dict(zip(("n", "p50", "p95", "p99", "max", "server_p50", "server_p95"),
                                        (len(v), *(round(x, 1) for x in pct(v)), round(max(v), 1),
                                         *(round(x, 1) for x in pct(served[label])[:2])), strict=True))
                        for label, v in sorted(stats.page_ms.items())},
        "unloaded_ms": {k: round(v, 1) for k, v in unloaded.items()},
        "errors": errors, "errors_by_kind": {f"{label} {what}": n for (label, what), n in stats.errors.items()},
        "client_cpu_s": round(cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime, 1),
        "load_average_1m_at_end": round(load_avg[0], 2),
    }
    print(f"\nran {elapsed:.0f} s; client CPU {figures['client_cpu_s']} s; load average at the end "
          f"{load_avg[0]:.2f}")
    print(f"ingestion: {stats.batches} batches ({figures['batches_per_s']}/s), {stats.accepted:,} readings accepted "
          f"({figures['readings_per_s']:,}/s), {stored:,} stored; post latency p50 {g50:.0f} ms, p95 {g95:.0f} ms, "
          f"p99 {g99:.0f} ms")
    gs = figures["gateway_server_ms"]
    print(f"  in the server (gunicorn worker, without the listen queue): p50 {gs['p50']:.0f} ms, p95 {gs['p95']:.0f} "
          f"ms, p99 {gs['p99']:.0f} ms")
    print(f"dashboards: {len(page_all)} requests ({figures['dashboard_per_s']}/s); latency p50 {d50:.0f} ms, "
          f"p95 {d95:.0f} ms, p99 {d99:.0f} ms; in the server p50 {s50:.0f} ms, p95 {s95:.0f} ms, p99 {s99:.0f} ms")
    print(f"  {'request':26s} {'n':>6s} {'p50':>7s} {'p95':>7s} {'p99':>7s} {'max':>7s} {'srv p50':>8s} {'srv p95':>8s}"
          "  (ms)")
    for label, row in figures["per_page_ms"].items():
        print(f"  {label:26s} {row['n']:6d} {row['p50']:7.0f} {row['p95']:7.0f} {row['p99']:7.0f} {row['max']:7.0f} "
              f"{row['server_p50']:8.0f} {row['server_p95']:8.0f}")
    print(f"errors: {errors}" + "".join(f"\n  {k}: {n}" for k, n in figures["errors_by_kind"].items()))
    for sample in stats.error_samples:
        print(f"  e.g. {sample}")
    print(f"target 0 errors: {'met' if errors == 0 else 'MISSED'}; "
          f"target dashboard p95 < {P95_TARGET_MS:.0f} ms: {'met' if d95 < P95_TARGET_MS else 'MISSED'} "
          f"({d95:.0f} ms); stored == accepted: {'yes' if stored == stats.accepted else 'NO'}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    sys.exit(0 if errors == 0 and stored == stats.accepted else 1)


if __name__ == "__main__":
    main()
