"""Processes the fault-injection tests start, break and restart themselves: a Redis server, a PostgreSQL cluster,
a gunicorn app server and a Celery worker (optionally with beat). Each is dedicated to one test, so killing it
does not disturb the rest of the suite (whose PostgreSQL and Redis come from tests/services.py)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tests.services import _as_user_prefix, _find, _free_port

ROOT = Path(__file__).resolve().parent.parent.parent
FAULT_SETTINGS = "tests.faults.fault_settings"


def wait_until(predicate, *, timeout: float = 60.0, interval: float = 0.1, what="condition"):
    """Poll `predicate` until it returns a truthy value (returned) or fail the test after `timeout` seconds; `what`
    (a string, or a callable giving one at failure time, e.g. with a log tail) names what was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what() if callable(what) else what}")
        time.sleep(interval)


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _log_tail(path: Path, chars: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


class RedisServer:
    """A redis-server on a fixed free port that can be killed (SIGKILL) and started again on the same port."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        binary = _find("redis-server")
        assert binary, "redis-server is not installed"
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: port_open(self.port), timeout=20, what=f"redis on port {self.port}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None
        wait_until(lambda: not port_open(self.port), timeout=10, what="redis to stop listening")


class PostgresCluster:
    """A PostgreSQL cluster of its own (initdb in a temporary directory) that can be stopped and started again on
    the same port. As root, the server runs as the `postgres` user, as in tests/services.py."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.datadir = workdir / "pg"
        self.port = _free_port()
        self.prefix, uid, gid = _as_user_prefix()
        self.datadir.mkdir()
        if uid is not None:
            os.chown(workdir, uid, gid)
            os.chown(self.datadir, uid, gid)
        self.pg_ctl = _find("pg_ctl")
        subprocess.run([*self.prefix, _find("initdb"), "-D", str(self.datadir), "-U", "postgres", "-A", "trust",
                        "-E", "UTF8", "--no-locale"], check=True, stdout=subprocess.DEVNULL)

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        opts = (f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50")
        subprocess.run([*self.prefix, self.pg_ctl, "-D", str(self.datadir), "-o", opts, "-l",
                        str(self.workdir / "pg.log"), "-w", "start"], check=True, stdout=subprocess.DEVNULL)

    def stop(self, mode: str = "fast") -> None:
        """`fast` ends every session (their open transactions roll back), like a service restart."""
        subprocess.run([*self.prefix, self.pg_ctl, "-D", str(self.datadir), "-m", mode, "-w", "stop"],
                       check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def copy_database_from(self, source_url: str, name: str) -> str:
        """Create database `name` here with the schema and rows of the database at `source_url` (pg_dump | psql)."""
        subprocess.run([_find("psql"), "-q", "-v", "ON_ERROR_STOP=1", self.url(), "-c", f'CREATE DATABASE "{name}"'],
                       check=True, stdout=subprocess.DEVNULL)
        dump = subprocess.run([_find("pg_dump"), "--no-owner", "--no-privileges", source_url], check=True,
                              capture_output=True).stdout
        subprocess.run([_find("psql"), "-q", "-v", "ON_ERROR_STOP=1", self.url(name)], input=dump, check=True,
                       stdout=subprocess.DEVNULL)
        return self.url(name)


def django_test_database_url() -> str:
    """DATABASE_URL of the database pytest-django created for this run (what subprocesses must use)."""
    from django.db import connection

    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"], query=""))


def _env(*, database_url: str, redis_url: str) -> dict[str, str]:
    from django.conf import settings

    return dict(os.environ, DATABASE_URL=database_url, REDIS_URL=redis_url, DJANGO_SETTINGS_MODULE=FAULT_SETTINGS,
                SECRET_KEY=settings.SECRET_KEY, LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1")


@dataclass
class AppServer:
    """gunicorn serving the project (sync workers) on a free loopback port."""

    database_url: str
    redis_url: str
    workdir: Path
    workers: int = 2
    port: int = field(default_factory=_free_port)
    proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.workdir / f"gunicorn-{self.port}.log"

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "energy_platform.wsgi", "-w", str(self.workers), "-b",
                 f"127.0.0.1:{self.port}", "--timeout", "120", "--graceful-timeout", "5"],
                cwd=ROOT, env=_env(database_url=self.database_url, redis_url=self.redis_url),
                stdout=log, stderr=subprocess.STDOUT)
        wait_until(lambda: self._alive() and port_open(self.port), timeout=180, what="gunicorn to listen")

    def _alive(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"gunicorn exited: {_log_tail(self.log)}")
        return True

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def logs(self) -> str:
        return _log_tail(self.log)


@dataclass
class CeleryWorker:
    """`celery worker` (prefork) against the given database and broker; with `beat=True` it also runs beat (-B),
    which sends the rollup sweep every second (tests/faults/fault_settings.py)."""

    database_url: str
    redis_url: str
    workdir: Path
    concurrency: int = 1
    beat: bool = False
    name: str = "worker"
    proc: subprocess.Popen | None = None

    @property
    def log(self) -> Path:
        return self.workdir / f"celery-{self.name}.log"

    def start(self) -> None:
        cmd = [sys.executable, "-m", "celery", "-A", "energy_platform", "worker", "--pool", "prefork",
               "--concurrency", str(self.concurrency), "--without-heartbeat", "--without-gossip", "--without-mingle",
               "--loglevel", "INFO", "--logfile", str(self.log)]
        if self.beat:
            cmd += ["-B", "--schedule", str(self.workdir / f"celerybeat-schedule-{self.name}")]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=_env(database_url=self.database_url, redis_url=self.redis_url),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: self._alive() and "ready." in _log_tail(self.log, 100_000), timeout=180,
                   what="the celery worker to be ready")

    def _alive(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"celery worker exited: {_log_tail(self.log)}")
        return True

    def pool_children(self) -> list[int]:
        """Process ids of the worker's children (the prefork pool processes; with -B also the beat process)."""
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in path.read_text().split()]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def logs(self) -> str:
        return _log_tail(self.log)


def workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="nengtan-faults-"))


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: dict | str

    @property
    def json(self) -> dict:
        assert isinstance(self.body, dict), self.body
        return self.body


def http(method: str, url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None,
         timeout: float = 30.0) -> Answer:
    """One HTTP request with the standard library; 4xx/5xx are returned, not raised. A timeout raises
    TimeoutError (the gateway's view of a slow server)."""
    assert url.startswith("http://127.0.0.1:"), url
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310  (loopback test server)
            status, hdrs, raw = resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        status, hdrs, raw = err.code, dict(err.headers), err.read()
    text = raw.decode("utf-8", errors="replace")
    try:
        parsed: dict | str = json.loads(text)
    except ValueError:
        parsed = text
    return Answer(status, hdrs, parsed)


def post_batch(base: str, token: str, batch_id: str, readings: list[dict], *, timeout: float = 30.0) -> Answer:
    return http("POST", f"{base}/api/v1/readings/", body=json.dumps({"batch_id": batch_id, "readings": readings})
                .encode(), headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                timeout=timeout)
