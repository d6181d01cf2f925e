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
5. truncates the readings and starts gunicorn (production settings, the Dockerfile's worker count) and posts every
   batch from concurrent clients through `POST /api/v1/readings/` with the gateways' bearer tokens, checking the
   answers;
6. runs the baseline once more on the emptied table (run-to-run noise on a shared machine is large);
7. repeats 4-6 for each mix of resent rows (`--mixes`, default 0, 5 and 20 %): that share of each batch repeats rows
   the gateway sent in earlier batches (a retry after a timeout, overlapping windows), a quarter of them with a
   changed value (conflicts); the baseline writes the same rows (its ON CONFLICT DO NOTHING skips the repeats);
8. prints per mix the rates, the ratio against the mean baseline of that mix, the load average, the peak resident
   memory of each gunicorn process (VmHWM from /proc) and the table size per million readings.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import io
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
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


def with_resent(batches, share: float, seed: int = 18) -> tuple[list, int, int]:
    """The batches with `share` of each batch's rows repeating rows of the same gateway's earlier batches (at least
    two rounds back, so the originals are stored before a repeat arrives), prepended as an overlapping window would;
    a quarter of the repeats carry a changed value (+0.5: a register stays between its neighbours). Returns the
    batches, the number of repeats and of changed repeats."""
    if share <= 0:
        return batches, 0, 0
    rnd = random.Random(seed)
    extra = round(BATCH * share / (1 - share))  # repeats are `share` of the resulting batch
    out, resent, changed = [], 0, 0
    for n, (g, rows) in enumerate(batches):
        earlier = [r for k in range(g, n - 2 * GATEWAYS + 1, GATEWAYS) for r in batches[k][1]]
        picks = rnd.sample(earlier, min(extra, len(earlier))) if earlier else []
        repeats = []
        for i, (m, ts, v) in enumerate(picks):
            if i % 4 == 3:
                repeats.append((m, ts, v + 0.5))
                changed += 1
            else:
                repeats.append((m, ts, v))
        resent += len(repeats)
        out.append((g, repeats + rows))
    return out, resent, changed


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


def api(port: int, batches, tokens: list[str], clients: int, tag: str) -> tuple[float, dict[str, int]]:
    bodies = []
    for n, (g, rows) in enumerate(batches):
        doc = {"batch_id": f"bench-{tag}-{n}",
               "readings": [{"meter": f"M{m:05d}", "ts": ts.isoformat(), "value": v} for m, ts, v in rows]}
        bodies.append((tokens[g], orjson.dumps(doc), len(rows)))
    totals = {"accepted": 0, "duplicates": 0, "conflicts": 0}
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
        if result["accepted"] + result["duplicates"] + result["conflicts"] != n or result["rejected"]:
            raise RuntimeError(f"unexpected answer: {str(result)[:300]}")
        with lock:
            for key in totals:
                totals[key] += result[key]

    return run_parallel(bodies, work, clients), totals


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def peak_rss(root: int) -> dict[int, int]:
    """Peak resident memory (VmHWM, bytes) of a process and its children, read from /proc (Linux)."""
    out = {}
    for pid in [root, *_children(root)]:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
        if found:
            out[pid] = int(found.group(1)) * 1024
    return out


def _cpu(pids) -> float:
    """User + system CPU seconds of processes and of their exited children (from /proc/<pid>/stat): a PostgreSQL
    backend that exits is counted in the postmaster's children times."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(f) for f in fields[11:15])
    return total / os.sysconf("SC_CLK_TCK")


def _postgres_pids() -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    out.append(int(entry.name))
            except OSError:
                pass
    return out


def cpu_split(gunicorn_pid: int) -> tuple[float, float, float]:
    """(gunicorn workers, PostgreSQL, this client) CPU seconds so far; differences give a run's split."""
    return (_cpu(_children(gunicorn_pid)), _cpu(_postgres_pids()),
            (lambda t: t.user + t.system)(os.times()))


def dockerfile_workers() -> int:
    """The gunicorn worker count of the production image (Dockerfile's CMD)."""
    found = re.search(r'"--workers", "(\d+)"', (ROOT / "Dockerfile").read_text())
    return int(found.group(1)) if found else 2


def reset(db_url: str) -> None:
    with psycopg.connect(db_url) as conn:
        conn.execute("TRUNCATE meters_ingestbatch, meters_reading, meters_dirtymeterday CASCADE")
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE meters_reading")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--readings", type=int, default=1_000_000, help="new readings per mix (default 1,000,000)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (default 4)")
    parser.add_argument("--workers", type=int, default=dockerfile_workers(),
                        help="gunicorn workers (default: the Dockerfile's, %(default)s)")
    parser.add_argument("--mixes", default="0,5,20", help="percentages of resent rows per batch (default 0,5,20)")
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
    plain = make_batches(args.readings)
    new = sum(len(rows) for _, rows in plain)
    print(f"{new:,} new readings per mix for {METERS:,} meters ({METERS // 2:,} cumulative registers) in "
          f"{len(plain)} batches of {BATCH:,} new rows; {args.clients} clients, {args.workers} gunicorn workers; "
          f"{os.cpu_count()} CPUs", flush=True)

    port = _free_port()
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "energy_platform.wsgi", "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
         "--timeout", "300", "--log-level", "warning"], cwd=ROOT, env=env)
    rows_out = []
    try:
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        time.sleep(1.0)  # let the workers finish booting
        for pct in (int(x) for x in args.mixes.split(",")):
            batches, resent, changed = with_resent(plain, pct / 100)
            total = sum(len(rows) for _, rows in batches)
            print(f"-- mix {pct} % resent: {total:,} rows posted ({resent:,} repeats, {changed:,} with a changed "
                  f"value); load average {os.getloadavg()[0]:.2f}", flush=True)
            reset(db_url)
            bcpu0 = cpu_split(gunicorn.pid)
            base1 = baseline(db_url, batches, meter_ids, args.clients)
            bcpu1 = cpu_split(gunicorn.pid)
            print("CPU seconds of the baseline run: PostgreSQL {1:.1f}, clients {2:.1f}".format(
                *(b - a for a, b in zip(bcpu0, bcpu1, strict=True))), flush=True)
            with psycopg.connect(db_url) as conn:
                stored = conn.execute("SELECT count(*) FROM meters_reading").fetchone()[0]
                size = int(conn.execute("SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits "
                                        "WHERE inhparent = 'meters_reading'::regclass").fetchone()[0] or 0)
            assert stored == new, (stored, new)
            reset(db_url)
            load0 = os.getloadavg()[0]
            cpu0 = cpu_split(gunicorn.pid)
            api_s, totals = api(port, batches, tokens, args.clients, f"{pct}")
            load1 = os.getloadavg()[0]
            cpu1 = cpu_split(gunicorn.pid)
            with psycopg.connect(db_url) as conn:
                stored = conn.execute("SELECT count(*) FROM meters_reading").fetchone()[0]
                conflicts = conn.execute("SELECT count(*) FROM meters_readingconflict").fetchone()[0]
            assert stored == totals["accepted"] == new, (stored, totals, new)
            assert totals["duplicates"] + totals["conflicts"] == resent, (totals, resent)
            assert conflicts == totals["conflicts"], (conflicts, totals)
            reset(db_url)
            base2 = baseline(db_url, batches, meter_ids, args.clients)
            base_rate, rate = total / ((base1 + base2) / 2), total / api_s
            print(f"baseline COPY + INSERT ON CONFLICT: {total / base1:,.0f} / {total / base2:,.0f} readings/s "
                  f"(before / after the API run)", flush=True)
            print(f"API end to end: {rate:,.0f} readings/s ({api_s:.1f} s; {totals['accepted']:,} accepted, "
                  f"{totals['duplicates']:,} duplicates, {totals['conflicts']:,} conflicts); load average "
                  f"{load0:.2f} -> {load1:.2f}", flush=True)
            print("CPU seconds of the API run: gunicorn workers {:.1f}, PostgreSQL {:.1f}, clients {:.1f}".format(
                *(b - a for a, b in zip(cpu0, cpu1, strict=True))), flush=True)
            print(f"ratio API / baseline (mean {base_rate:,.0f} readings/s): {rate / base_rate:.0%} (target >= 60%)",
                  flush=True)
            rows_out.append((pct, total / base1, total / base2, rate, rate / base_rate, load0, load1))
        peaks = peak_rss(gunicorn.pid)
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
    print("\n| mix | baseline before / after | API | ratio | load avg |")
    print("|---|---|---|---|---|")
    for pct, b1, b2, rate, ratio, l0, l1 in rows_out:
        print(f"| {pct} % resent | {b1:,.0f} / {b2:,.0f} | {rate:,.0f} | **{ratio:.0%}** | {l0:.1f} -> {l1:.1f} |")
    for pid, rss in sorted(peaks.items()):
        role = "master" if pid == gunicorn.pid else "worker"
        print(f"peak RSS gunicorn {role} {pid}: {rss / 2**20:.0f} MB (target < 200 MB)")
    print(f"readings table size after the last baseline: {size / 2**20:.1f} MB for {new:,} rows = "
          f"{size / new * 1e6 / 2**20:.1f} MB per million readings (heap + primary key, batch_id NULL)")


if __name__ == "__main__":
    main()
