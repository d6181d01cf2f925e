"""Hardening: login throttling, content security policy, secure production settings and `check --deploy`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.http import HttpRequest

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_sign_in_is_locked_after_five_failures_for_that_user_and_address(client):
    UserFactory(username="mgr", password="correct horse battery")
    for _ in range(4):
        r = client.post("/login/", {"username": "mgr", "password": "wrong"})
        assert r.status_code == 200  # the form again, with its error
    r = client.post("/login/", {"username": "mgr", "password": "wrong"})
    assert r.status_code == 429
    assert b"Sign-in locked" in r.content or "登录已锁定".encode() in r.content
    # Locked: even the right password is refused now, and nobody is signed in.
    r = client.post("/login/", {"username": "mgr", "password": "correct horse battery"})
    assert r.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another user from the same address is not affected.
    UserFactory(username="other", password="correct horse battery")
    assert client.post("/login/", {"username": "other", "password": "correct horse battery"}).status_code == 302


@pytest.mark.django_db
def test_a_successful_sign_in_resets_the_failure_count(client):
    UserFactory(username="mgr", password="correct horse battery")
    for _ in range(4):
        client.post("/login/", {"username": "mgr", "password": "wrong"})
    assert client.post("/login/", {"username": "mgr", "password": "correct horse battery"}).status_code == 302
    client.logout()
    for _ in range(4):
        assert client.post("/login/", {"username": "mgr", "password": "wrong"}).status_code == 200


@pytest.mark.django_db
def test_authenticate_with_a_request_still_works_for_the_test_client(client):
    UserFactory(username="mgr", password="correct horse battery")
    assert client.login(request=HttpRequest(), username="mgr", password="correct horse battery")


@pytest.mark.django_db
def test_pages_carry_a_strict_script_policy(client):
    r = client.get("/login/")
    policy = r.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_no_template_has_inline_script_or_event_handler():
    """The CSP forbids inline scripts and on*= handlers; a template that used one would silently break in browsers."""
    import re

    offenders = []
    for path in [*ROOT.glob("*/templates/**/*.html"), *ROOT.glob("templates/**/*.html")]:
        text = path.read_text(encoding="utf-8")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\son[a-z]+\s*=\s*\"", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_password_validators_refuse_weak_passwords():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ("12345678", "password", "abc"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("Tanfeng-Energy-2026")


def _env() -> dict:
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for their own process; a deployment never would.
    return {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}


def test_check_deploy_is_clean_in_production_settings():
    env = {**_env(), "DJANGO_SETTINGS_MODULE": "energy_platform.settings.production",
           "SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-key-0123456789",
           "DATABASE_URL": "postgres://u:p@127.0.0.1:1/none", "REDIS_URL": "redis://127.0.0.1:1/0",
           "ALLOWED_HOSTS": "energy.example.cn"}
    r = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no issues" in r.stdout


def test_production_settings_set_secure_cookies_and_hsts():
    code = ("from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
            "s.SECURE_HSTS_SECONDS >= 31536000, s.SECURE_SSL_REDIRECT, s.DEBUG)")
    env = {**_env(), "DJANGO_SETTINGS_MODULE": "energy_platform.settings.production",
           "SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-key-0123456789",
           "DATABASE_URL": "postgres://u:p@127.0.0.1:1/none", "REDIS_URL": "redis://127.0.0.1:1/0"}
    r = subprocess.run([sys.executable, "-c", "import django; django.setup(); " + code], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.stdout.split() == ["True", "True", "True", "True", "False"], r.stderr


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/", "/login/"])
def test_api_browsers_and_pages_load_nothing_from_outside_and_run_no_inline_script(client, url):
    import re

    html = client.get(url).content.decode()
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert re.findall(r"(?:src|href)=\"(?:https?:)?//", html) == []
