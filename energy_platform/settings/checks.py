"""Refusal of settings that must never reach production (used by production.py, tested directly)."""

from django.core.exceptions import ImproperlyConfigured

from .base import INSECURE_DEFAULT_SECRET_KEY


def check_production_settings(*, secret_key: str, debug: bool) -> None:
    """Raise ImproperlyConfigured for settings that must never reach production."""
    if debug:
        raise ImproperlyConfigured("DEBUG must be off in production (unset DEBUG or set DEBUG=False).")
    if not secret_key or secret_key == INSECURE_DEFAULT_SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set to a private value in production.")
    if len(secret_key) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long in production.")
