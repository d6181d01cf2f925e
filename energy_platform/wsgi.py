"""WSGI entry point (gunicorn energy_platform.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "energy_platform.settings.local")
application = get_wsgi_application()
