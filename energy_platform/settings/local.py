"""The embedded default: SQLite, in-process Celery, local-memory cache, DEBUG on. Needs no variables."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
