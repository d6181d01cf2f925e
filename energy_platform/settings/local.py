"""The embedded default: SQLite, in-process Celery, local-memory cache. Needs no variables.

DEBUG is off by default even here, so the demo shows the platform's own error pages (a visitor of the demo must not
see Django's debug 404 with the URL list, nor a traceback); `DEBUG=True` turns it on for development. Static files
are served by WhiteNoise straight from the apps' static folders (finders), so no collectstatic is needed.
"""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=False)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
