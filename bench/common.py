"""Helpers shared by the benchmark scripts."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import psycopg


def bench_database(url: str, suffix: str) -> str:
    """Create (or recreate) the database `<name>_<suffix>` next to the one in `url`; return its URL."""
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/')}_{suffix}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))
