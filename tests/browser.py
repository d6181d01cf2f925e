"""Headless Debian chromium through Playwright (never a browser download), shared by the browser tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

SHOTS = Path(__file__).resolve().parent / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextmanager
def open_page(**options) -> Iterator[tuple]:
    """A zh-CN page in a fresh chromium, and the list of hosts it requested (to show no asset comes from outside).

    Database queries made while Playwright's sync API runs go through connections of their own context, which
    pytest-django's teardown cannot see; they are closed here, or the test database cannot be dropped at the end."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from django.db import connections
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(**{"viewport": {"width": 1300, "height": 900}, "locale": "zh-CN", **options})
        page.set_default_timeout(30_000)
        hosts: list[str] = []
        page.on("request", lambda req: hosts.append(urlparse(req.url).hostname or ""))
        try:
            yield page, hosts
        finally:
            browser.close()
            connections.close_all()
