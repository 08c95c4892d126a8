"""Project Wizard settings: one module, read from the environment.

Every variable is documented in the README's configuration table. The defaults run on a laptop
with nothing installed: SQLite and an embedded real Redis server, both under ``var/``.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = (BASE_DIR / os.environ.get("VAR_DIR", "var")).resolve()  # a relative one is from the checkout


def envbool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {value!r}")


def envint(name, default, minimum=None):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {number}")
    return number


def envlist(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = envbool("DEBUG", False)


def _secret_key():
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if not DEBUG and not envbool("ALLOW_GENERATED_SECRET_KEY", False):
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (see the README's configuration table)."
        )
    # Development: one generated key per checkout, kept under var/ so logins survive restarts.
    from django.core.management.utils import get_random_secret_key

    path = VAR_DIR / "secret_key.txt"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key = get_random_secret_key()
        path.write_text(key)
        return key


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "formtools",
    "sessions_store",
    "projects",
    "wizard_site.apps.WizardSiteConfig",
]

MIDDLEWARE = [
    "wizard_site.request_log.RequestLogMiddleware",  # outermost: the request id and line cover all
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "wizard_site.middleware.private_pages",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "wizard_site.accounts.AuthenticationMiddleware",  # Django's, and the login session must be live
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wizard_site.middleware.DraftErrorsMiddleware",
]

ROOT_URLCONF = "wizard_site.urls"
WSGI_APPLICATION = "wizard_site.wsgi.application"

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
                "projects.context_processors.draft_lifetime",
            ],
        },
    },
]

# Django's widget templates, the ones the step pages render, written in Python (same HTML):
# about a tenth of a wizard's CPU otherwise (projects/renderers.py, docs/benchmarks.md).
FORM_RENDERER = "projects.renderers.FormRenderer"

# --- Database: PostgreSQL through DATABASE_URL in production, SQLite under var/ by default.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so two concurrent commits queue on the busy
    # timeout instead of failing with "database is locked" on lock upgrade.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A file, not shared-cache memory: table locks in shared cache ignore the busy timeout.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: drafts live in their own cache alias and database (cache.clear() is FLUSHDB).
EMBEDDED_REDIS_DIR = VAR_DIR / "redis"
EMBEDDED_REDIS_SOCKET = EMBEDDED_REDIS_DIR / "redis.sock"


def _redis_url():
    """``(url, embedded)``: REDIS_URL, else one built from REDIS_HOST/PORT/DB/TLS (the seeds' and
    ElastiCache guide's variables), else the embedded Redis, which only DEBUG or an explicit
    ALLOW_EMBEDDED_REDIS may use: in production nothing starts it, and every draft would be a 503."""
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"], False
    host = os.environ.get("REDIS_HOST")
    if host:
        scheme = "rediss" if envbool("REDIS_TLS", False) else "redis"
        host = f"[{host}]" if ":" in host and not host.startswith("[") else host  # an IPv6 address
        port, db = envint("REDIS_PORT", 6379, minimum=1), envint("REDIS_DB", 0, minimum=0)
        return f"{scheme}://{host}:{port}/{db}", False
    if not DEBUG and not envbool("ALLOW_EMBEDDED_REDIS", False):
        raise ImproperlyConfigured(
            "No Redis is configured for drafts: set REDIS_URL, or REDIS_HOST (with REDIS_PORT, "
            "REDIS_DB, REDIS_PASSWORD, REDIS_TLS). The embedded Redis is for DEBUG only "
            "(see the README's configuration table)."
        )
    return f"unix://{EMBEDDED_REDIS_SOCKET}?db=0", True


REDIS_URL, REDIS_IS_EMBEDDED = _redis_url()
REDIS_PASSWORD = os.environ.get("REDIS_PASSWORD") or None
REDIS_SOCKET_TIMEOUT = float(os.environ.get("REDIS_SOCKET_TIMEOUT", "2"))
REDIS_TLS_CA_CERTS = os.environ.get("REDIS_TLS_CA_CERTS") or None

_redis_pool_kwargs = {"health_check_interval": 30}
if REDIS_URL.startswith("rediss://"):
    _redis_pool_kwargs["ssl_cert_reqs"] = "required"
    if REDIS_TLS_CA_CERTS:
        _redis_pool_kwargs["ssl_ca_certs"] = REDIS_TLS_CA_CERTS

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "drafts": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "pw",
        "TIMEOUT": None,  # every draft write passes SESSION_TTL explicitly
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            # JSON, never pickle: whoever can write to Redis must not be able to run code here.
            "SERIALIZER": "django_redis.serializers.json.JSONSerializer",
            "PASSWORD": REDIS_PASSWORD,
            # A dead Redis must fail fast and loudly (no IGNORE_EXCEPTIONS for drafts).
            "SOCKET_CONNECT_TIMEOUT": REDIS_SOCKET_TIMEOUT,
            "SOCKET_TIMEOUT": REDIS_SOCKET_TIMEOUT,
            "CONNECTION_POOL_KWARGS": _redis_pool_kwargs,
        },
    },
}

# Redis Sentinel: REDIS_URL names the master set instead of a host (redis://mymaster/0), and
# REDIS_SENTINELS lists the sentinels; the client follows failovers to the new master.
REDIS_SENTINELS = envlist("REDIS_SENTINELS", [])
if REDIS_SENTINELS:
    try:
        _sentinels = [(host, int(port)) for host, port in (item.rsplit(":", 1) for item in REDIS_SENTINELS)]
    except ValueError:
        raise ImproperlyConfigured("REDIS_SENTINELS must be host:port pairs, comma-separated") from None
    CACHES["drafts"]["OPTIONS"].update(
        {
            "CONNECTION_FACTORY": "django_redis.pool.SentinelConnectionFactory",
            "CLIENT_CLASS": "django_redis.client.SentinelClient",
            "CONNECTION_POOL_CLASS": "sessions_store.sentinel.MasterCheckingSentinelConnectionPool",
            "SENTINELS": _sentinels,
            "SENTINEL_KWARGS": {
                "password": os.environ.get("REDIS_SENTINEL_PASSWORD") or None,
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
            },
        }
    )

# How often (seconds, per process) the app asks the sentinels whether the master moved.
REDIS_SENTINEL_CHECK_INTERVAL = float(os.environ.get("REDIS_SENTINEL_CHECK_INTERVAL", "1"))

# --- Drafts
SESSION_TTL = envint("SESSION_TTL", 86400, minimum=60)
# How long after expiry we can still tell "expired" (410) from "never existed" (404).
DRAFT_TOMBSTONE_TTL = envint("DRAFT_TOMBSTONE_TTL", 7 * 86400, minimum=0)
# How long a discarded draft can be restored from "Your drafts" (its files are kept that long).
DRAFT_RESTORE_SECONDS = envint("DRAFT_RESTORE_SECONDS", 600, minimum=0)
# Staff search's index is kept in generations of this many seconds (when a draft's words were
# last written); cleanup_drafts drops a generation whole once SESSION_TTL has passed since its end.
DRAFT_SEARCH_GENERATION = envint("DRAFT_SEARCH_GENERATION", 3600, minimum=60)
DRAFT_STORE_CLASS = "sessions_store.redis_store.RedisDraftStore"
# What the draft store is told about a draft (its steps, title and search text).
DRAFT_DESCRIBER = "projects.steps.ProjectDraftDescriber"
# How often cron runs `manage.py cleanup_drafts` (the README's cron line); the command records
# its last run, and reports a warning when the previous run is more than twice this long ago.
SESSION_CLEANUP_INTERVAL = envint("SESSION_CLEANUP_INTERVAL", 3600, minimum=60)

# --- Limits (the seed's Security variables). Creations per minute per IP address:
SESSION_RATE_LIMIT = envint("SESSION_RATE_LIMIT", 100, minimum=1)
# Per-IP limits count an IPv6 address as its network of this many bits (a site gets a /48).
SESSION_IPV6_PREFIX = envint("SESSION_IPV6_PREFIX", 48, minimum=1)
if SESSION_IPV6_PREFIX > 128:
    raise ImproperlyConfigured(f"SESSION_IPV6_PREFIX must be at most 128, got {SESSION_IPV6_PREFIX}")
# Lookups of drafts that are not there (or not yours) per IP within SESSION_ATTEMPT_WINDOW
# seconds; past it, such lookups are refused (429) until the window ends.
SESSION_MAX_ATTEMPTS = envint("SESSION_MAX_ATTEMPTS", 5, minimum=1)
SESSION_ATTEMPT_WINDOW = envint("SESSION_ATTEMPT_WINDOW", 900, minimum=1)
# The largest draft record (its JSON, files excluded): an autosave or API write above it is a 413.
SESSION_MAX_BYTES = envint("SESSION_MAX_BYTES", 64 * 1024, minimum=1024)
# Autosave: how long after the last keystroke the page saves (milliseconds).
AUTOSAVE_DELAY_MS = envint("AUTOSAVE_DELAY_MS", 1000, minimum=0)
# Earlier values kept per draft (version history, and the base of three-way merges).
DRAFT_HISTORY_REVISIONS = envint("DRAFT_HISTORY_REVISIONS", 20, minimum=0)
DRAFT_HISTORY_BYTES = envint("DRAFT_HISTORY_BYTES", 16384, minimum=0)
# How long before a draft expires an open page warns, with a "Keep my draft" button.
DRAFT_EXPIRY_WARNING = envint("DRAFT_EXPIRY_WARNING", 600, minimum=0)

# --- Signing in and up (sessions_store.limits): failures within SIGN_IN_FAILURE_WINDOW seconds per
# (username, IP) pair; a much higher ceiling per IP; and per username, a ceiling that refuses only
# addresses the account has not signed in from within SIGN_IN_KNOWN_ADDRESS_TTL seconds.
SIGN_IN_MAX_FAILURES = envint("SIGN_IN_MAX_FAILURES", 10, minimum=1)
SIGN_IN_MAX_FAILURES_PER_IP = envint("SIGN_IN_MAX_FAILURES_PER_IP", 100, minimum=1)
SIGN_IN_MAX_FAILURES_PER_USERNAME = envint("SIGN_IN_MAX_FAILURES_PER_USERNAME", 50, minimum=1)
SIGN_IN_FAILURE_WINDOW = envint("SIGN_IN_FAILURE_WINDOW", 900, minimum=1)
SIGN_IN_KNOWN_ADDRESS_TTL = envint("SIGN_IN_KNOWN_ADDRESS_TTL", 90 * 86400, minimum=60)

# --- Wizard analytics (projects.analytics): daily counters are kept this many days in Redis
# (hourly ones 48 hours).
ANALYTICS_RETENTION_DAYS = envint("ANALYTICS_RETENTION_DAYS", 400, minimum=1)

# --- Emailed links to a draft (projects.services.draft_send_link): at most this many a window
# per draft and per IP address.
DRAFT_LINK_MAX_PER_DRAFT = envint("DRAFT_LINK_MAX_PER_DRAFT", 5, minimum=1)
DRAFT_LINK_MAX_PER_IP = envint("DRAFT_LINK_MAX_PER_IP", 20, minimum=1)
DRAFT_LINK_WINDOW = envint("DRAFT_LINK_WINDOW", 3600, minimum=1)
# Live drafts per owner (0: no cap): past it, a new draft is refused until one is resumed to
# completion or discarded. An anonymous browser and an account.
DRAFT_MAX_ANONYMOUS = envint("DRAFT_MAX_ANONYMOUS", 10, minimum=0)
DRAFT_MAX_USER = envint("DRAFT_MAX_USER", 50, minimum=0)
# New drafts are refused (503) while Redis uses this share of its maxmemory, in percent; drafts
# already started keep saving. The reading of INFO memory is kept this many seconds per process.
REDIS_MEMORY_GUARD_PERCENT = envint("REDIS_MEMORY_GUARD_PERCENT", 90, minimum=1)
REDIS_MEMORY_CHECK_SECONDS = envint("REDIS_MEMORY_CHECK_SECONDS", 5, minimum=0)

# --- Mail: printed to the console while DEBUG is on, sent by SMTP otherwise.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = envint("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 10, minimum=1)  # a dead mail server is an error, not a hang
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH") or str(VAR_DIR / "mail")  # the file backend's folder
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL") or "Project Wizard <noreply@localhost>"

# --- Uploads: a temporary area namespaced by draft until the commit, then permanent storage.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
DRAFT_UPLOAD_ROOT = Path(os.environ.get("DRAFT_UPLOAD_ROOT", MEDIA_ROOT / "drafts"))
UPLOAD_MAX_FILE_SIZE = envint("UPLOAD_MAX_FILE_SIZE", 10 * 1024 * 1024, minimum=1)
UPLOAD_MAX_DRAFT_SIZE = envint("UPLOAD_MAX_DRAFT_SIZE", 50 * 1024 * 1024, minimum=1)
UPLOAD_MAX_FILES = envint("UPLOAD_MAX_FILES", 20, minimum=1)
# All the documents of one owner's live drafts together: an anonymous browser, an account.
UPLOAD_MAX_OWNER_ANONYMOUS = envint("UPLOAD_MAX_OWNER_ANONYMOUS", 100 * 1024 * 1024, minimum=1)
UPLOAD_MAX_OWNER_USER = envint("UPLOAD_MAX_OWNER_USER", 500 * 1024 * 1024, minimum=1)
# A DOCX/XLSX is a zip: what its parts add up to once unpacked, and how many times its own size.
UPLOAD_ZIP_MAX_EXPANDED = envint("UPLOAD_ZIP_MAX_EXPANDED", 100 * 1024 * 1024, minimum=1)
UPLOAD_ZIP_MAX_RATIO = envint("UPLOAD_ZIP_MAX_RATIO", 100, minimum=1)
# Watches each multipart body for file names that are not UTF-8 (Django would drop the file).
FILE_UPLOAD_HANDLERS = [
    "projects.uploads.UnreadableNames",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Uploads larger than this are streamed to disk rather than held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640
# Above UPLOAD_MAX_FILES the step explains the limit; far above it Django refuses the request
# before parsing it (a 400 page that says why), so nobody can make us write thousands of files.
DATA_UPLOAD_MAX_NUMBER_FILES = max(100, UPLOAD_MAX_FILES * 5)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Auth and sessions (the Django session only identifies an anonymous draft owner).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "projects:list"
LOGOUT_REDIRECT_URL = "home"
# The Django session holds only the login and an anonymous visitor's draft-owner token, so it
# lives in a signed cookie: no database or Redis round trip per request (docs/benchmarks.md).
# The trade-off: a copied cookie stays valid after logout until it expires or the password
# changes. SESSION_ENGINE=django.contrib.sessions.backends.db restores server-side revocation.
SESSION_ENGINE = os.environ.get("SESSION_ENGINE") or "django.contrib.sessions.backends.signed_cookies"
SESSION_COOKIE_AGE = 14 * 86400
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))

# --- Security (production defaults; `manage.py check --deploy` is clean with DEBUG off).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content security policy (django-csp 4): everything from our own origin; no inline script or
# style (the templates have no <script>, style="" or on*= handlers, and must keep it that way),
# never framed, forms post only to us.
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "csp.middleware.CSPMiddleware")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
CSRF_FAILURE_VIEW = "wizard_site.errors.csrf_failure"
if not DEBUG:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Observability. /metrics answers only with `Authorization: Bearer $METRICS_TOKEN` (404
# otherwise, and while it is unset). Under gunicorn, PROMETHEUS_MULTIPROC_DIR (read by
# prometheus-client too) makes the workers share their samples.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN") or ""
PROMETHEUS_MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or ""
# The health check: degraded when Redis uses at least this share (percent) of maxmemory, or when
# at least HEALTH_MAX_5XX requests failed with a 5xx in the last 5 minutes.
HEALTH_REDIS_MEMORY_PERCENT = envint("HEALTH_REDIS_MEMORY_PERCENT", 80, minimum=1)
HEALTH_MAX_5XX = envint("HEALTH_MAX_5XX", 10, minimum=1)

# Every line one JSON object (python-json-logger) with the request id; LOG_FORMAT=plain for
# reading on a console (the default with DEBUG on).
LOG_FORMAT = os.environ.get("LOG_FORMAT") or ("plain" if DEBUG else "json")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "wizard_site.request_log.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "wizard_site.request_log.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s",
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "django": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO"), "propagate": False},
        # One structured line per draft action (the seed's SessionLog).
        "sessions_store": {
            "handlers": ["console"],
            "level": os.environ.get("DRAFT_LOG_LEVEL", "INFO"),
            "propagate": False,
        },
        "projects": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # One line per request: method, route, status, duration and draft id.
        "wizard_site": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
