"""Nengtan project package (named energy_platform because `platform` is a standard-library module)."""

from .celery import app as celery_app

__all__ = ["celery_app"]
