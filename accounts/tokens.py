"""Opaque bearer tokens: generated with `secrets`, shown once, stored as SHA-256."""

from __future__ import annotations

import hashlib
import secrets


def token_generate(prefix: str) -> tuple[str, str]:
    """Return (token, sha256 hex). The token starts with a readable prefix such as `ntg_` or `ntu_`."""
    token = f"{prefix}{secrets.token_urlsafe(32)}"
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
