"""MQTT ingestion benchmark: one `manage.py mqtt_ingest` process against the staged COPY + INSERT … ON CONFLICT
baseline of the same rows (bench/ingest.py's data, batches and baseline).

Run with `python tests/services.py python bench/mqtt_ingest.py [--readings N]` (a throwaway PostgreSQL and Redis;
the script starts its own mosquitto with the platform's generated password and ACL files). Gateways publish
Nengtan JSON batches of 5,000 readings (with a batch_id) with QoS 1 to nengtan/<code>/up/json from one connection
each; the time runs from the first publish to the last reply on the gateways' reply topics, and every reply is
checked (all accepted, nothing rejected), as is the stored row count.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import types
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt
import psycopg
from common import bench_database

try:
    import psutil  # noqa: F401  (bench/ingest.py samples gunicorn's memory with it)
except ImportError:  # not needed here: the kernel's peak resident size (VmHWM) of the one process is read instead
    sys.modules["psutil"] = types.ModuleType("psutil")
from ingest import BATCH, METERS, baseline, make_batches, setup  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.services import start_mosquitto  # noqa: E402


class Gateway:
    def __init__(self, port: int, code: str, token: str, expected: int) -> None:
        self.code, self.expected, self.replies, self.accepted, self.bad = code, expected, 0, 0, []
        self.done, self.ready = threading.Event(), threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-{code}")
        self.client.username_pw_set(code, token)
        self.client.max_inflight_messages_set(20)
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(f"nengtan/{code}/reply", qos=1)
        self.client.on_subscribe = lambda *a: self.ready.set()
        self.client.on_message = self._reply
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _reply(self, client, userdata, message) -> None:
        body = orjson.loads(message.payload)
        self.replies += 1
        self.accepted += body.get("accepted", 0)
        if body.get("rejected") or "code" in body:
            self.bad.append(body)
        if self.replies >= self.expected:
            self.done.set()


def session_open(port: int, env: dict) -> None:
    """Create the ingestion process's persistent session (its client id, its subscriptions) before it starts, so the
    broker queues what the gateways publish while Django boots; the process then resumes the session."""
    subscriptions = ["nengtan/+/up/#", "nengtan/+/status", "spBv1.0/+/+/+", "spBv1.0/+/+/+/+"]
    done = threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="nengtan-ingest", clean_session=False,
                         protocol=mqtt.MQTTv311)
    client.username_pw_set("nengtan-ingest", env["MQTT_INGEST_PASSWORD"])
    client.on_connect = lambda c, u, f, rc, p: c.subscribe([(t, 1) for t in subscriptions])
    client.on_subscribe = lambda *a: done.set()
    client.connect("127.0.0.1", port)
    client.loop_start()
    assert done.wait(30), "the ingestion session could not subscribe"
    client.disconnect()
    client.loop_stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--readings", type=int, default=1_000_000, help="total readings (default 1,000,000)")
    parser.add_argument("--clients", type=int, default=4, help="baseline connections (default 4)")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("bench/mqtt_ingest.py needs DATABASE_URL pointing to PostgreSQL (use tests/services.py).")
    workdir = tempfile.mkdtemp(prefix="nengtan-bench-mqtt-")
    files = {"password_file": os.path.join(workdir, "passwd"), "acl_file": os.path.join(workdir, "acl")}
    port, pid_file, broker = start_mosquitto(workdir, **files)
    db_url = bench_database(os.environ["DATABASE_URL"], "bench_mqtt")
    env = {**os.environ, "DATABASE_URL": db_url + "?conn_max_age=600",
           "DJANGO_SETTINGS_MODULE": "energy_platform.settings.production",
           "SECRET_KEY": secrets.token_urlsafe(48), "SECURE_SSL_REDIRECT": "False", "LOG_LEVEL": "WARNING",
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "MQTT_HOST": "127.0.0.1", "MQTT_PORT": str(port),
           "MQTT_PASSWORD_FILE": files["password_file"], "MQTT_ACL_FILE": files["acl_file"],
           "MQTT_PID_FILE": pid_file, "MQTT_INGEST_PASSWORD": secrets.token_urlsafe(16)}
    ingest = None
    try:
        tokens = setup(env)
        with psycopg.connect(db_url) as conn:
            meter_ids = {int(code[1:]): pk for pk, code in conn.execute("SELECT id, code FROM meters_meter")}
            codes = [f"gw{pk}" for (pk,) in conn.execute("SELECT id FROM meters_gateway ORDER BY id")]
        subprocess.run([sys.executable, "manage.py", "mqtt_ingest", "--sync-credentials"], cwd=ROOT, env=env,
                       check=True, stdout=subprocess.DEVNULL)
        time.sleep(0.5)  # mosquitto re-reads the files on SIGHUP
        batches = make_batches(args.readings)
        total = sum(len(rows) for _, rows in batches)
        print(f"{total:,} readings for {METERS:,} meters in {len(batches)} batches of {BATCH:,}", flush=True)
        base_s = baseline(db_url, batches, meter_ids, args.clients)
        print(f"baseline COPY + INSERT ON CONFLICT: {total / base_s:,.0f} readings/s ({base_s:.1f} s)", flush=True)
        with psycopg.connect(db_url) as conn:
            conn.execute("TRUNCATE meters_reading")
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE meters_reading")

        bodies: dict[int, list[bytes]] = {}
        for n, (g, rows) in enumerate(batches):
            bodies.setdefault(g, []).append(orjson.dumps({"batch_id": f"mqtt-{n}", "readings": [
                {"meter": f"M{m:05d}", "ts": ts.isoformat(), "value": v} for m, ts, v in rows]}))
        session_open(port, env)
        gateways = [Gateway(port, codes[g], tokens[g], len(bodies.get(g, []))) for g in range(len(codes))]
        for gw in gateways:
            assert gw.ready.wait(30), f"{gw.code} could not subscribe"
        ingest = subprocess.Popen([sys.executable, "manage.py", "mqtt_ingest"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL)
        start = time.perf_counter()  # includes the ingestion process's start (a few seconds)

        def publish(gw: Gateway, items: list[bytes]) -> None:
            for body in items:
                gw.client.publish(f"nengtan/{gw.code}/up/json", body, qos=1)

        threads = [threading.Thread(target=publish, args=(gw, bodies.get(g, []))) for g, gw in enumerate(gateways)]
        for th in threads:
            th.start()
        for gw in gateways:
            assert gw.done.wait(1800), f"{gw.code}: {gw.replies} of {gw.expected} replies"
        mqtt_s = time.perf_counter() - start
        status = Path(f"/proc/{ingest.pid}/status").read_text()
        peak_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
        bad = [b for gw in gateways for b in gw.bad]
        assert not bad, str(bad[:2])[:500]
        accepted = sum(gw.accepted for gw in gateways)
        with psycopg.connect(db_url) as conn:
            stored = conn.execute("SELECT count(*) FROM meters_reading").fetchone()[0]
        assert stored == accepted == total, (stored, accepted, total)
        with psycopg.connect(db_url) as conn:
            conn.execute("TRUNCATE meters_reading")
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE meters_reading")
        base2_s = baseline(db_url, batches, meter_ids, args.clients)
        print(f"baseline again after the MQTT run: {total / base2_s:,.0f} readings/s ({base2_s:.1f} s)", flush=True)
        rate, base_rate = total / mqtt_s, total / ((base_s + base2_s) / 2)
        print(f"MQTT, one mqtt_ingest process: {rate:,.0f} readings/s ({mqtt_s:.1f} s), "
              f"{rate / base_rate:.0%} of the mean baseline ({base_rate:,.0f} readings/s)")
        print(f"peak RSS of the mqtt_ingest process (VmHWM): {peak_kb / 1024:.0f} MB")
        for gw in gateways:
            gw.client.loop_stop()
            gw.client.disconnect()
    finally:
        if ingest is not None:
            ingest.terminate()
            ingest.wait(timeout=30)
        broker.terminate()


if __name__ == "__main__":
    main()
