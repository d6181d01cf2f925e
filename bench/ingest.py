"""Ingestion benchmark: the gateway API under gunicorn versus a plain staged COPY + INSERT … ON CONFLICT DO NOTHING.

Run with `make bench-ingest` (tests/services.py provides a throwaway PostgreSQL and Redis through DATABASE_URL and
REDIS_URL), or `python bench/ingest.py --readings 100000` for a short run against an existing DATABASE_URL.

What it does, in one run:
1. creates a fresh database `<name>_bench` next to DATABASE_URL and migrates it;
2. provisions one site, 2,000 meters (half interval kWh, half cumulative registers) and 4 gateways of 500 meters;
3. builds the readings (2,000 meters x N/2,000 timestamps, 15-minute steps) as batches of 5,000 (one gateway,
   500 meters x 10 timestamps), serialised up front so that client work is not measured;
4. baseline: the same rows, same batches, same concurrency, written directly with psycopg as
   `COPY staging FROM STDIN; INSERT INTO meters_reading SELECT … ON CONFLICT DO NOTHING` into the same table;
5. truncates the readings and starts gunicorn (production settings, 2 sync workers) and posts every batch from
   concurrent clients through `POST /api/v1/readings/` with the gateways' bearer tokens, checking each answer;
6. runs the baseline once more on the emptied table (run-to-run noise on a shared machine is large);
7. prints the rates, the ratio against the mean baseline, and the peak resident memory of each gunicorn process
   (sampled with psutil), and the table size per million readings.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import io
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import psutil
import psycopg
from common import bench_database  # bench/common.py (the script's folder is on sys.path)

ROOT = Path(__file__).resolve().parent.parent
METERS = 2000
GATEWAYS = 4
BATCH = 5000
T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup(env: dict) -> list[str]:
    """Migrate and provision; return the gateway tokens (gateway i reports meters i*500 … i*500+499)."""
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    code = r"""
import datetime as dt, django, sys
django.setup()
from meters.models import Meter
from meters.services.gateways import gateway_provision
from plants.models import Enterprise, Site
from plants.validators import credit_code_check_character
first17 = "91310000MA0000001"
ent = Enterprise.objects.create(name="Bench", credit_code=first17 + credit_code_check_character(first17),
                                industry_code="C3120", region_code="310115")
site = Site.objects.create(enterprise=ent, code="BENCH", name="Bench", kind="factory", region_code="310115")
meters = [Meter(site=site, code=f"M{i:05d}", carrier="electricity", unit="kWh",
                reading_kind="cumulative" if i % 2 else "interval", level="equipment", role="sub",
                active_from=dt.datetime(2024, 1, 1, tzinfo=dt.UTC)) for i in range(METERS)]
Meter.objects.bulk_create(meters)
for g in range(GATEWAYS):
    _, token = gateway_provision(site=site, name=f"gw{g}",
        meter_codes=[f"M{i:05d}" for i in range(g * PER, (g + 1) * PER)])
    print(token)
""".replace("METERS", str(METERS)).replace("GATEWAYS", str(GATEWAYS)).replace("PER", str(METERS // GATEWAYS))
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return out.stdout.split()


def make_batches(readings: int) -> list[tuple[int, list[tuple[int, dt.datetime, float]]]]:
    """[(gateway, [(meter index, ts, value)])]; cumulative meters count up, interval meters vary."""
    per = METERS // GATEWAYS
    steps_per_batch = BATCH // per
    steps = max(steps_per_batch, readings // METERS)
    batches = []
    for start in range(0, steps, steps_per_batch):
        for g in range(GATEWAYS):
            rows = [(m, T0 + dt.timedelta(minutes=15 * k), 1000.0 + 2.5 * k + m if m % 2 else 1.0 + (k * 7 + m) % 13)
                    for k in range(start, min(start + steps_per_batch, steps)) for m in range(g * per, (g + 1) * per)]
            batches.append((g, rows))
    return batches


def run_parallel(jobs: list, worker, clients: int) -> float:
    """Run worker(job) for all jobs from `clients` threads; return elapsed seconds."""
    lock, queue, errors = threading.Lock(), list(reversed(jobs)), []

    def loop():
        while True:
            with lock:
                if not queue:
                    return
                job = queue.pop()
            try:
                worker(job)
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
                return

    threads = [threading.Thread(target=loop) for _ in range(clients)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - t


def baseline(db_url: str, batches, meter_ids: dict[int, int], clients: int) -> float:
    tsv = []
    for _, rows in batches:
        buf = io.StringIO()
        for m, ts, v in rows:
            buf.write(f"{meter_ids[m]}\t{ts.isoformat()}\t{v!r}\n")
        tsv.append(buf.getvalue().encode())
    local = threading.local()

    def work(data: bytes):
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = psycopg.connect(db_url)
            conn.execute("CREATE TEMP TABLE stage (meter_id bigint, ts timestamptz, value double precision) "
                         "ON COMMIT DELETE ROWS")
            conn.commit()
        with conn.cursor() as cur:
            with cur.copy("COPY stage (meter_id, ts, value) FROM STDIN") as copy:
                copy.write(data)
            cur.execute("INSERT INTO meters_reading (meter_id, ts, value, batch_id, estimated) "
                        "SELECT meter_id, ts, value, NULL, false FROM stage ON CONFLICT DO NOTHING")
        conn.commit()

    return run_parallel(tsv, work, clients)


def api(port: int, batches, tokens: list[str], clients: int) -> tuple[float, int]:
    bodies = []
    for n, (g, rows) in enumerate(batches):
        doc = {"batch_id": f"bench-{n}",
               "readings": [{"meter": f"M{m:05d}", "ts": ts.isoformat(), "value": v} for m, ts, v in rows]}
        bodies.append((tokens[g], orjson.dumps(doc), len(rows)))
    accepted = [0]
    lock = threading.Lock()
    local = threading.local()

    def work(job):
        token, body, n = job
        conn = getattr(local, "conn", None) or http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        local.conn = conn
        conn.request("POST", "/api/v1/readings/", body=body,
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        resp = conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"HTTP {resp.status}: {data[:300]!r}")
        result = orjson.loads(data)
        if result["accepted"] != n or result["rejected"]:
            raise RuntimeError(f"unexpected answer: {str(result)[:300]}")
        with lock:
            accepted[0] += result["accepted"]

    return run_parallel(bodies, work, clients), accepted[0]


class RssSampler(threading.Thread):
    def __init__(self, root_pid: int):
        super().__init__(daemon=True)
        self.root = psutil.Process(root_pid)
        self.peak: dict[int, int] = {}
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                for p in [self.root, *self.root.children(recursive=True)]:
                    rss = p.memory_info().rss
                    self.peak[p.pid] = max(self.peak.get(p.pid, 0), rss)
            except psutil.Error:
                pass
            time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--readings", type=int, default=1_000_000, help="total readings (default 1,000,000)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("bench/ingest.py needs DATABASE_URL pointing to PostgreSQL (use `make bench-ingest`).")

    db_url = bench_database(os.environ["DATABASE_URL"], "bench")
    env = {**os.environ, "DATABASE_URL": db_url + "?conn_max_age=600",
           "DJANGO_SETTINGS_MODULE": "energy_platform.settings.production",
           "SECRET_KEY": secrets.token_urlsafe(48), "SECURE_SSL_REDIRECT": "False", "LOG_LEVEL": "WARNING",
           "ALLOWED_HOSTS": "127.0.0.1,localhost"}
    print(f"bench database: {db_url}", flush=True)
    tokens = setup(env)
    with psycopg.connect(db_url) as conn:
        meter_ids = {int(code[1:]): pk for pk, code in conn.execute("SELECT id, code FROM meters_meter")}
    batches = make_batches(args.readings)
    total = sum(len(rows) for _, rows in batches)
    print(f"{total:,} readings for {METERS:,} meters in {len(batches)} batches of {BATCH:,}; "
          f"{args.clients} clients, {args.workers} gunicorn workers", flush=True)

    base_s = baseline(db_url, batches, meter_ids, args.clients)
    with psycopg.connect(db_url) as conn:
        stored = conn.execute("SELECT count(*) FROM meters_reading").fetchone()[0]
        assert stored == total, (stored, total)
        size = int(conn.execute("SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits "
                            "WHERE inhparent = 'meters_reading'::regclass").fetchone()[0] or 0)
        conn.execute("TRUNCATE meters_reading")
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE meters_reading")
    print(f"baseline COPY + INSERT ON CONFLICT: {total / base_s:,.0f} readings/s ({base_s:.1f} s)", flush=True)

    port = _free_port()
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "energy_platform.wsgi", "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
         "--timeout", "300", "--log-level", "warning"], cwd=ROOT, env=env)
    try:
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        time.sleep(1.0)  # let both workers finish booting
        sampler = RssSampler(gunicorn.pid)
        sampler.start()
        api_s, accepted = api(port, batches, tokens, args.clients)
        sampler.stop.set()
        sampler.join()
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
    with psycopg.connect(db_url) as conn:
        stored = conn.execute("SELECT count(*) FROM meters_reading").fetchone()[0]
        dirty = conn.execute("SELECT count(*) FROM meters_dirtymeterday").fetchone()[0]
        api_size = int(conn.execute("SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits "
                                "WHERE inhparent = 'meters_reading'::regclass").fetchone()[0] or 0)
    assert stored == accepted == total, (stored, accepted, total)
    # The baseline again, after the API run (same rows, emptied table): on a shared machine one sample is noisy, so
    # the ratio is taken against the mean of the runs before and after.
    with psycopg.connect(db_url) as conn:
        conn.execute("TRUNCATE meters_reading")
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE meters_reading")
    base2_s = baseline(db_url, batches, meter_ids, args.clients)
    print(f"baseline again after the API run: {total / base2_s:,.0f} readings/s ({base2_s:.1f} s)", flush=True)
    base_s = (base_s + base2_s) / 2
    rate, base_rate = total / api_s, total / base_s
    print(f"API end to end ({args.workers} gunicorn workers): {rate:,.0f} readings/s ({api_s:.1f} s); "
          f"{dirty:,} dirty meter-days recorded", flush=True)
    print(f"ratio API / baseline (mean of both baseline runs, {base_rate:,.0f} readings/s): {rate / base_rate:.0%} "
          "(target >= 60%)")
    for pid, rss in sorted(sampler.peak.items()):
        role = "master" if pid == gunicorn.pid else "worker"
        print(f"peak RSS gunicorn {role} {pid}: {rss / 2**20:.0f} MB (target < 200 MB)")
    print(f"readings table size after baseline: {size / 2**20:.1f} MB for {total:,} rows = "
          f"{size / total * 1e6 / 2**20:.1f} MB per million readings (heap + primary key, batch_id NULL)")
    print(f"readings table size after the API run: {api_size / 2**20:.1f} MB = "
          f"{api_size / total * 1e6 / 2**20:.1f} MB per million readings (all partitions, batch_id set)")


if __name__ == "__main__":
    main()
