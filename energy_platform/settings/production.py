"""Production settings: everything from the environment; refuses to start with unsafe values."""

from .base import *  # noqa: F403
from .base import SECRET_KEY, env
from .checks import check_production_settings

DEBUG = env.bool("DEBUG", default=False)


check_production_settings(secret_key=SECRET_KEY, debug=DEBUG)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
LOGGING["root"]["level"] = env("LOG_LEVEL", default="INFO")  # noqa: F405
