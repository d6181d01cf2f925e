"""WSGI entry point (gunicorn energy_platform.wsgi)."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "energy_platform.settings.local")
application = get_wsgi_application()

# At worker start rather than on its first request: import the URL configuration and every view. Then move the loaded
# application's objects (hundreds of thousands, alive for the process's life) to the cyclic collector's permanent
# generation, so that its full collections walk only what requests allocate (gc.freeze, Python 3.7+).
get_resolver().url_patterns  # noqa: B018  (the property imports the URL modules)
gc.freeze()
