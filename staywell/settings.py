"""Stay-Well settings, driven by environment variables.

``DJANGO_ENV=production`` (the docker-compose services) refuses to start without
``SECRET_KEY``, ``FIELD_ENCRYPTION_KEY``, ``DATABASE_URL`` and ``REDIS_URL``. Anywhere else, a missing
``DATABASE_URL`` / ``REDIS_URL`` starts embedded PostgreSQL / Redis (staywell.embedded)
so that a newcomer needs no set-up. One database engine everywhere: PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from staywell import embedded

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    if value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if value.strip().lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    try:
        return int(value) if value else default
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from exc


PRODUCTION = env_str("DJANGO_ENV", "development") == "production"

if PRODUCTION:
    missing = [
        n
        for n in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY", "DATABASE_URL", "REDIS_URL")
        if not env_str(n)
    ]
    if missing:
        raise ImproperlyConfigured(
            "DJANGO_ENV=production needs these environment variables: " + ", ".join(missing)
        )

LOCAL_DIR = embedded.local_dir(BASE_DIR) if not PRODUCTION else BASE_DIR / ".local"


def _development_secret_key() -> str:
    path = LOCAL_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = env_str("SECRET_KEY") or _development_secret_key()


def _development_encryption_key() -> str:
    from cryptography.fernet import Fernet

    path = LOCAL_DIR / "field_encryption_key"
    if not path.exists():
        path.write_text(Fernet.generate_key().decode("ascii"))
    return path.read_text().strip()


# Bank account numbers are stored encrypted with these Fernet keys (staywell.crypto): the
# first encrypts, all decrypt (rotation: FIELD_ENCRYPTION_KEY=new,old). Development keeps
# a generated key in .local/.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEY") or [_development_encryption_key()]
DEBUG = env_bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Redoc served by the app (no CDN)
    "django_filters",
    "django_htmx",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "staywell",
    "accounts",
    "vesting",
    "claims",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise: every response the app renders (static files keep their caching).
    "staywell.middleware.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # NUL and other control characters in a query string or a field: a clear 400.
    "staywell.middleware.ControlCharacterMiddleware",
    "staywell.middleware.OTPMiddleware",  # django-otp's, its device read prepared
    "django.contrib.messages.middleware.MessageMiddleware",
    "staywell.middleware.SignInMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "staywell.middleware.AccessLogMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    # Last, as django-axes asks: it answers a locked-out sign-in.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "staywell.urls"
WSGI_APPLICATION = "staywell.wsgi.application"
ASGI_APPLICATION = "staywell.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "staywell.navigation.navigation",
            ],
        },
    },
    {
        # The few templates rendered with every claim entered (staywell.templating).
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "staywell.templating.environment"},
    },
]
# Form widgets (every input of every form, each its own small template) are rendered with
# Jinja2, Django's own widget templates for it: the same markup in half the time. The
# admin's widget wrappers, which exist for Django's engine only, with it.
FORM_RENDERER = "staywell.forms.FormRenderer"

# Database: DATABASE_URL, or the embedded PostgreSQL. STAYWELL_TEST_DB names the test
# database so that several test runs can share one server.
# Least privilege (staywell.dbroles): DATABASE_URL is the app role's (rows only);
# DATABASE_OWNER_URL the owner role's, used by `migrate` and `flush` only
# (staywell.db.as_owner). Unset with DATABASE_URL set: one role does both.
if env_str("DATABASE_URL"):
    DATABASE_URL = env_str("DATABASE_URL")
    DATABASE_OWNER_URL = env_str("DATABASE_OWNER_URL")
else:
    DATABASE_URL, DATABASE_OWNER_URL = embedded.postgres_urls(BASE_DIR)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
# The app role's settings as configured (the connection's own dict is switched to the
# owner's while migrating), and the owner's credentials, swapped into the connection's settings by staywell.db.as_owner
# (the database NAME is kept: the test and benchmark databases have names of their own).
DATABASE_APP = dict(DATABASES["default"])
DATABASE_OWNER = (
    {
        key: value
        for key, value in dj_database_url.parse(DATABASE_OWNER_URL).items()
        if key in ("USER", "PASSWORD", "HOST", "PORT", "OPTIONS")
    }
    if DATABASE_OWNER_URL
    else None
)
# Kept connections are checked before each request's first query; the check asks the
# server only when its socket has something to read (staywell.postgresql.base).
DATABASES["default"]["ENGINE"] = "staywell.postgresql"
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The hot path's statements (staywell.db.prepared_rows) are prepared on the server, parsed
# and planned once per connection. Django turns psycopg's preparing off unless a threshold
# is given, and psycopg then ignores ``prepare=True``: the threshold is what lets them be.
# The ORM's own statements are unaffected (client-side binding never prepares).
DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
DATABASES["default"]["TEST"] = {"NAME": env_str("STAYWELL_TEST_DB", "test_staywell")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL") or embedded.redis_url(BASE_DIR)

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "staywell",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60)  # one working day
# Sessions are kept in the database and read from Redis (a statement less on every page);
# with Redis unreachable, Django reads them from the database.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# A staff role's session ends after this many seconds without a request (employees keep
# theirs for SESSION_COOKIE_AGE): staff pages show every family's health data.
STAYWELL_STAFF_IDLE_TIMEOUT = env_int("STAYWELL_STAFF_IDLE_TIMEOUT", 15 * 60)
# API tokens expire this many seconds after they were made (a new one is made on the
# user's page, /account/).
STAYWELL_TOKEN_TTL = env_int("STAYWELL_TOKEN_TTL", 30 * 24 * 60 * 60)

# Sign-in lockout (django-axes): a username is locked, from the address that tried, after
# AXES_FAILURE_LIMIT wrong passwords in a row, until AXES_COOLOFF_TIME passes or an
# administrator unlocks it (Administration > Users). /login/ and /admin/login/ alike.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading a session's user with its roles in one query.
    "staywell.authentication.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("STAYWELL_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("STAYWELL_LOGIN_LOCKOUT_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "staywell.signin.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_IPWARE_PROXY_COUNT = env_int("STAYWELL_PROXY_COUNT", 0)  # proxies in front of the app
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if AXES_IPWARE_PROXY_COUNT else ("REMOTE_ADDR",)
)

# Two-factor sign-in (django-otp): TOTP apps, and recovery codes (static tokens).
OTP_TOTP_ISSUER = env_str("STAYWELL_OTP_ISSUER", "Stay-Well")
STAYWELL_RECOVERY_CODES = 10  # recovery codes made at enrolment, each usable once

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "America/Los_Angeles")
USE_I18N = False
USE_TZ = True
USE_THOUSAND_SEPARATOR = False

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or LOCAL_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION  # development serves straight from the app folders
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# HTTPS. In production the app is served behind a proxy that ends TLS and says so in
# X-Forwarded-Proto (SECURE_PROXY_HEADER=false when nothing sets that header).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    if env_bool("SECURE_PROXY_HEADER", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the container's health check, over plain HTTP
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 60 * 60)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)

# Content-Security-Policy (django-csp): scripts, styles, fonts and images from the app only;
# no inline script or style anywhere (data for scripts goes in json_script or data-
# attributes). data: images are the icons inside USWDS's stylesheet.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Permissions-Policy (django-permissions-policy): no page uses these browser features.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first so that a bad token answers 401 with WWW-Authenticate.
        "staywell.authentication.TokenAuthentication",
        # A session of a user who must pass two-factor sign-in counts once they have.
        "staywell.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "COERCE_DECIMAL_TO_STRING": True,
    "EXCEPTION_HANDLER": "staywell.api.exception_handler",
    # Per user and per address (staywell.throttling); a refusal is a 429 in JSON.
    "DEFAULT_THROTTLE_CLASSES": ["staywell.throttling.UserAndAddressThrottle"],
}
# Requests to the API a minute: by one user (session or token), and from one address.
STAYWELL_API_RATE_USER = env_int("STAYWELL_API_RATE_USER", 120)
STAYWELL_API_RATE_ADDRESS = env_int("STAYWELL_API_RATE_ADDRESS", 600)
SPECTACULAR_SETTINGS = {
    "TITLE": "Stay-Well API",
    "DESCRIPTION": (
        "Administration of a self-insured school-employee health plan: members, "
        "claims, the trust-fund ledger, vesting and reports. Authenticate with a "
        "session or with `Authorization: Token <key>`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its documentation are for the staff roles (staywell.roles).
    "SERVE_PERMISSIONS": ["staywell.roles.IsStaff"],
    "SERVE_AUTHENTICATION": [
        "staywell.authentication.TokenAuthentication",
        "staywell.authentication.SessionAuthentication",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    "REDOC_DIST": "SIDECAR",
    # Two choice sets of fields named "tier": every tier, and the tiers a schedule lists.
    "ENUM_NAME_OVERRIDES": {
        "TierEnum": "accounts.models.TIER_CHOICES",
        "ScheduleTierEnum": "accounts.configuration.SCHEDULE_TIERS",
    },
}

# Celery: reliable delivery (acks late, one task at a time per worker process, tasks
# re-queued when a worker dies) and bounded retries in the tasks themselves.
# The July 1 rollover: a running run (or employer-year) whose worker gave no sign of life for
# this many seconds is shown as stale and is picked up again by the next start or worker.
# Longer than the longest batch (about 20,000 employees' lines and postings, a second or two).
VESTING_ROLLOVER_STALE_SECONDS = env_int("STAYWELL_ROLLOVER_STALE_SECONDS", 300)
# Employees (about) per rollover batch: one database transaction, during which claim
# payments of the batch's employers wait (vesting.rollover).
VESTING_ROLLOVER_BATCH_EMPLOYEES = env_int("STAYWELL_ROLLOVER_BATCH_EMPLOYEES", 20_000)
# Parallel workers PostgreSQL may add to each of a rollover batch's statements. 0: a batch
# uses one core of the database server, and the people entering claims the others (with 2
# parallel workers a batch took every core of a 2-core server, and the claims entered
# meanwhile waited; bench/load_day.py). Raise it on a server with cores to spare.
VESTING_ROLLOVER_PARALLEL_WORKERS = env_int("STAYWELL_ROLLOVER_PARALLEL_WORKERS", 0)
# An 835's claims are entered in up to this many streams at the same time, each of
# independent employers, a thread and a database connection each, and each of at least
# the second number of claims (claims.remittance); 1: one after the other. Three kept
# both cores of a 2-core machine busy (bench/bench_x12.py): while one stream computes
# its splits, the others wait on the database.
CLAIMS_REMITTANCE_STREAMS = env_int("STAYWELL_REMITTANCE_STREAMS", 3)
CLAIMS_REMITTANCE_STREAM_ITEMS = env_int("STAYWELL_REMITTANCE_STREAM_ITEMS", 10_000)

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60 * 60}
CELERY_RESULT_EXPIRES = 7 * 24 * 60 * 60
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # R-VE3: the rollover of the year just ended, at 01:00 on July 1.
    "vesting-rollover-july-1": {
        "task": "vesting.rollover_year_just_ended",
        "schedule": crontab(minute=0, hour=1, day_of_month=1, month_of_year=7),
    },
    # A rollover whose worker died (stale heartbeat) is queued again.
    "vesting-rollover-resume-stale": {
        "task": "vesting.rollover_resume_stale",
        "schedule": crontab(minute="*/10"),
    },
    # R-VE7, R-VE10: due payouts to a payout register, daily (after the rollover's hour).
    "vesting-payouts-daily": {
        "task": "vesting.payouts_process",
        "schedule": crontab(minute=0, hour=2),
    },
    # R-VE8: retirees' continuation premiums from their side accounts, on the 1st.
    "vesting-continuation-premiums-monthly": {
        "task": "vesting.continuation_premiums_post",
        "schedule": crontab(minute=30, hour=2, day_of_month=1),
    },
    # Re-vest: the vested employer-years whose vesting late data would change, nightly.
    # The postings not sealed yet, sealed (vesting.ledger.seals; ledger_check verifies).
    "vesting-ledger-seal": {
        "task": "vesting.ledger_seal",
        "schedule": crontab(minute="*/10"),
    },
    "vesting-revest-scan-nightly": {
        "task": "vesting.revest_scan",
        "schedule": crontab(minute=0, hour=3),
    },
}

# History of member and claim writes (staywell.history): the user and URL of the request
# that wrote, for the methods that write.
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # pyx12 logs each problem of an X12 file with its value (names, member ids): the
    # import shows the problems to the clerk instead.
    "loggers": {
        "pgserver": {"level": "WARNING"},
        "pyx12": {"level": "CRITICAL"},
        "axes": {"level": "WARNING"},
        # WeasyPrint logs each step of every PDF at INFO ("Step 5 - Creating layout").
        "weasyprint": {"level": "WARNING"},
    },
}
