"""Settings shared by every environment; addresses and secrets come from the environment."""

import datetime as dt
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

INSECURE_DEFAULT_SECRET_KEY = "django-insecure-nengtan-embedded-default-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env("SECRET_KEY", default=INSECURE_DEFAULT_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "csp",
    "accounts",
    "plants",
    "meters",
    "carbon",
    "reports",
    "ui",
    "alerts",
    "insights",
    "demo",
    "costs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before sessions and authentication: control characters and over-long input never reach a view or the database.
    "energy_platform.middleware.InputGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # ?export=csv|xlsx on a page or chart endpoint: the file of the tables or the series it shows.
    "energy_platform.tables.TableExportMiddleware",
    "energy_platform.middleware.ApplicationErrorMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires: turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "energy_platform.urls"
WSGI_APPLICATION = "energy_platform.wsgi.application"
ASGI_APPLICATION = "energy_platform.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ui.context_processors.roles",
            ],
            # `qty` and `unit_label` in every template: figures rounded by quantity and grouped by thousands.
            "builtins": ["energy_platform.figures"],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections (conn_max_age) are checked before reuse: after a PostgreSQL restart the next request
# reconnects instead of failing on the dead connection.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the in-process Celery tasks and the web server read while one writes.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL;"
    DATABASES["default"]["OPTIONS"]["timeout"] = 30
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Both languages group thousands with "," (Django's zh_Hans does not group at all).
FORMAT_MODULE_PATH = ["energy_platform.formats"]
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# A form refused for its CSRF token gets the platform's styled 403 page (energy_platform/errorpages.py).
CSRF_FAILURE_VIEW = "energy_platform.errorpages.csrf_failure"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.PersonalTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "energy_platform.api.exception_handler",
    # Gateways have their own throttle on the readings endpoint; every other view counts personal-token requests.
    "DEFAULT_THROTTLE_CLASSES": ["accounts.throttling.PersonalTokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"gateway": env("GATEWAY_THROTTLE_RATE", default="600/min"),
                               "personal_token": env("API_TOKEN_THROTTLE_RATE", default="1200/min")},
}

#: Failed token authentications (personal or gateway) per client address; above it every token attempt from that
#: address answers 429 until the window ends.
AUTH_FAILURE_THROTTLE_RATE = env("AUTH_FAILURE_THROTTLE_RATE", default="30/min")

SPECTACULAR_SETTINGS = {
    "TITLE": "Nengtan API",
    "DESCRIPTION": "Energy and carbon management: plants, meters, readings, accounting and reports.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One schema name per choice set, wherever a serializer uses it (two sets with a field named "kind" would
    # otherwise get hashed names, and one set under two field names two schema names).
    "ENUM_NAME_OVERRIDES": {
        "SiteKindEnum": "plants.models.Site.Kind",
        "MrvEvidenceKindEnum": "carbon.models.MrvEvidence.Kind",
        "UpstreamFactorKindEnum": "reports.models.UpstreamFactor.Kind",
        "ImportKindEnum": "meters.models.ImportJob.Kind",
        "ImportPresetKindEnum": "meters.models.ImportPreset.KINDS",
    },
}

# Celery: with no REDIS_URL (the embedded default) tasks run in-process.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)  # set by bench/kpis.py only
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {}

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="nengtan@localhost")

# Ingestion limits (meters app).
INGEST_MAX_ROWS = env.int("INGEST_MAX_ROWS", default=10_000)
INGEST_MAX_BYTES = env.int("INGEST_MAX_BYTES", default=8 * 1024 * 1024)
INGEST_FUTURE_TOLERANCE_SECONDS = env.int("INGEST_FUTURE_TOLERANCE_SECONDS", default=300)
INGEST_REJECTED_RETENTION_DAYS = env.int("INGEST_REJECTED_RETENTION_DAYS", default=90)
# A day missing intervals is listed as a data-quality gap once it has been over this long (ui.selectors).
QUALITY_GAP_GRACE_MINUTES = env.int("QUALITY_GAP_GRACE_MINUTES", default=60)
# Django must not refuse a body the ingestion API would accept (it answers 413 itself above its own limit).
DATA_UPLOAD_MAX_MEMORY_SIZE = max(INGEST_MAX_BYTES + 1024, 2_621_440)

DEMO_PASSWORD = env("DEMO_PASSWORD", default="nengtan-demo")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
}

# Ingestion housekeeping (meters app, H1): readings partitions three months ahead; rejected rows past retention.
CELERY_BEAT_SCHEDULE["meters-reading-partitions-ahead"] = {
    "task": "meters.tasks.reading_partitions_ahead_task", "schedule": 24 * 3600}
CELERY_BEAT_SCHEDULE["meters-rejected-rows-purge"] = {
    "task": "meters.tasks.rejected_rows_purge_task", "schedule": 24 * 3600}
# Accounting engine (carbon app): sweep dirty meter-days every minute; close months N days after month end.
LEDGER_AUTO_CLOSE_DAYS = env.int("LEDGER_AUTO_CLOSE_DAYS", default=0)  # 0: months are closed by enterprise admins
CELERY_BEAT_SCHEDULE["carbon-rollup-sweep"] = {"task": "meters.tasks.rollup_sweep_task", "schedule": 60}
CELERY_BEAT_SCHEDULE["carbon-periods-autoclose"] = {"task": "carbon.tasks.periods_autoclose_task",
                                                    "schedule": 6 * 3600}

# Forecasting and early warning (alerts app): evaluate alert rules every 15 minutes and e-mail new alerts.
CELERY_BEAT_SCHEDULE["alerts-rules-evaluate"] = {"task": "alerts.tasks.alert_rules_evaluate_task", "schedule": 15 * 60}
# Energy cost (costs app): recompute the cost of meter-days whose rollups changed, every 5 minutes.
CELERY_BEAT_SCHEDULE["costs-sweep"] = {"task": "costs.tasks.costs_sweep_task", "schedule": 5 * 60}
# A bill whose quantity or amount differs from the metered quantity or computed cost by more than this share is
# listed on the data-quality page.
COST_BILL_TOLERANCE = env.float("COST_BILL_TOLERANCE", default=0.02)

# UI numbers are grouped per locale where a template asks for it (the `qty` filter, floatformat with "g"). Not globally:
# USE_THOUSAND_SEPARATOR would also print ids as "1,109" in English, breaking links and form values.
USE_THOUSAND_SEPARATOR = False

# Full rollup recompute on PostgreSQL: database sessions that fill the rebuilt rollup table in parallel.
ROLLUP_REBUILD_SESSIONS = env.int("ROLLUP_REBUILD_SESSIONS", default=2)
# Sweeps wait while a full rebuild runs; one that has not finished after this many seconds counts as abandoned.
ROLLUP_REBUILD_TIMEOUT = env.int("ROLLUP_REBUILD_TIMEOUT", default=6 * 3600)

# Security (see README "Security model").
# Login throttling by django-axes: after AXES_FAILURE_LIMIT failed sign-ins for one user name from one address, that
# pair is locked out for AXES_COOLOFF_TIME (the UI sign-in and the admin both go through it). Attempts are stored in
# the database (visible in the admin), so the lock holds across processes and machines.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "ui/locked_out.html"
AXES_VERBOSE = False

# Content security policy (django-csp): scripts only from the app's own static files (no inline scripts, no CDN);
# inline styles are allowed because ECharts draws tooltips with style attributes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "worker-src": [SELF, "blob:"],  # Redoc (API browser) parses the schema in a blob: worker
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# MQTT ingestion (docs/ingestion.md). No MQTT_HOST: no broker, as in the embedded default. The credential files are
# written for mosquitto whenever gateway tokens change (empty paths: nothing is written); mosquitto re-reads them on
# SIGHUP, sent to the pid in MQTT_PID_FILE, or by MQTT_RELOAD_COMMAND when set.
MQTT_HOST = env("MQTT_HOST", default="")
MQTT_PORT = env.int("MQTT_PORT", default=1883)
MQTT_CLIENT_ID = env("MQTT_CLIENT_ID", default="nengtan-ingest")
MQTT_INGEST_USERNAME = env("MQTT_INGEST_USERNAME", default="nengtan-ingest")
MQTT_INGEST_PASSWORD = env("MQTT_INGEST_PASSWORD", default="")
MQTT_PASSWORD_FILE = env("MQTT_PASSWORD_FILE", default="")
MQTT_ACL_FILE = env("MQTT_ACL_FILE", default="")
MQTT_PID_FILE = env("MQTT_PID_FILE", default="")
MQTT_RELOAD_COMMAND = env("MQTT_RELOAD_COMMAND", default="")
