"""One settings module for every environment, driven by environment variables.

Development needs none of them (scripts/dev turns DEBUG on); with DEBUG off a SECRET_KEY is required, so the test
run brings a throwaway one (tests/settings.py). Production sets SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL
(PostgreSQL), and the HTTPS switches below; docs/operations.md lists them.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name, default=False):
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    # A typo such as SECURE_SSL_REDIRECT=ture must not quietly mean "off".
    raise ImproperlyConfigured(f"{name} must be 1 or 0 (or true/false, yes/no, on/off), not {value!r}.")


def envint(name, default):
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def envlist(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG")
# This key is public (it is in the repository), so anyone could sign sessions and reset links with it: only a
# DEBUG run may fall back to it. Without DEBUG and without a key of its own the app serves nothing: wsgi.py and
# asgi.py refuse to start (so do runserver and `check --deploy`, see accounts/checks.py), and Django refuses to
# hand out the empty key to anything that would sign with it. Commands that only load data (migrate,
# seed_demo) still run: they sign nothing.
DEVELOPMENT_SECRET_KEY = "django-insecure-dev-only-key-set-SECRET_KEY-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", "").strip()
SECRET_KEY_MISSING = ""
if SECRET_KEY in ("", DEVELOPMENT_SECRET_KEY):
    if DEBUG:
        SECRET_KEY = DEVELOPMENT_SECRET_KEY
    else:
        SECRET_KEY = ""
        SECRET_KEY_MISSING = (
            "SECRET_KEY is not set (or is the public development key) and DEBUG is off: set SECRET_KEY to a long "
            "random value, e.g. the output of python -c 'import secrets; print(secrets.token_urlsafe(50))', "
            "or set DEBUG=1 for development."
        )
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
SITE_NAME = os.environ.get("SITE_NAME", "Timetracker")
# The address the app is reached at, for links in e-mails sent outside a request (scheduled reports).
SITE_URL = os.environ.get("SITE_URL", "http://localhost:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_tasks_db",
    "timetracker.accounts",
    "timetracker.clients",
    "timetracker.buckets",
    "timetracker.tasks",
    "timetracker.billing",
    "timetracker.imports",
    "timetracker.reports",
    "timetracker.integrations",
    "timetracker.automation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a login unless its view says otherwise (login_not_required):
    # forgetting a decorator can then never expose a page.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "timetracker.accounts.middleware.UserTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "timetracker.urls"
WSGI_APPLICATION = "timetracker.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "timetracker.accounts.context_processors.navigation",
                "timetracker.tasks.context_processors.running_timer",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # Each gunicorn worker keeps its connection between requests instead of opening one per request
        # (authentication, session set-up: milliseconds on PostgreSQL every time). Health checks drop a
        # connection the server closed instead of failing the next request on it.
        conn_max_age=envint("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while a seed or a timer write is under way.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if envbool("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = BASE_DIR / "media"
MEDIA_URL = "media/"

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES")
CSRF_COOKIE_SECURE = envbool("SECURE_COOKIES")
# HTTPS switches, all off by default so development over plain HTTP keeps working; production behind TLS turns
# them on and `manage.py check --deploy` is then clean. HSTS is sticky in browsers: start with a short value.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT")
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD")
# Behind one reverse proxy that terminates TLS, the proxy says which scheme the browser used and which address
# it came from. Only trust these headers when such a proxy sets them: otherwise any client could forge them.
BEHIND_TLS_PROXY = envbool("BEHIND_TLS_PROXY")
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Failed sign-ins and bad API keys lock an account or a client address for a while (accounts/throttle.py).
# An office shares one address, so the address limit is higher than the one for a single account.
THROTTLES = {
    "login_account": {"limit": 5, "seconds": 15 * 60},
    "login_address": {"limit": 20, "seconds": 15 * 60},
    "api_key_address": {"limit": 10, "seconds": 5 * 60},
}
# The throttle counts live in the cache. Process memory is enough for one process; several workers must share
# a cache, or each counts its own failures and an attacker gets that many more tries: CACHE_BACKEND=database
# (after `manage.py createcachetable`).
CACHE_BACKENDS = {
    "memory": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "database": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "timetracker_cache"},
}
CACHE_BACKEND = os.environ.get("CACHE_BACKEND", "memory").strip() or "memory"
if CACHE_BACKEND not in CACHE_BACKENDS:
    raise ImproperlyConfigured(
        f"CACHE_BACKEND must be one of {', '.join(CACHE_BACKENDS)}, not {CACHE_BACKEND!r}."
    )
CACHES = {"default": CACHE_BACKENDS[CACHE_BACKEND]}

MAILERS = {
    "default": {
        "BACKEND": os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"),
    },
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "timetracker@localhost")

# Fernet keys for the sync connections' credentials (integrations/secrets.py): the first encrypts, all decrypt.
# Empty: a key derived from SECRET_KEY.
CREDENTIALS_KEY = os.environ.get("CREDENTIALS_KEY", "")

# Scheduled report e-mails attach files up to this size; a bigger report goes as its share link instead.
REPORTS_ATTACHMENT_MAX_BYTES = int(os.environ.get("REPORTS_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django.tasks.backends.immediate.ImmediateBackend"),
    }
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "timetracker.api.authentication.BearerKeyAuthentication",
        # The dashboard's own calls use the browser session (with CSRF, as DRF requires).
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["timetracker.api.permissions.HasRole"],
    "DEFAULT_PAGINATION_CLASS": "timetracker.api.pagination.PerPagePagination",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's parser, with a too deeply nested body as a 400 (Python's json raises RecursionError).
    "DEFAULT_PARSER_CLASSES": ["timetracker.api.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "timetracker.api.errors.handle",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Timetracker API",
    "DESCRIPTION": "Time tracking and billing for agencies. Authenticate with `Authorization: Bearer <key>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        # Values only: the task serializers document their choices inline, without labels, and a name keyed
        # to (value, label) pairs would not match them (`check --deploy` then warns about "Status298Enum").
        "TaskStatusEnum": ["not_started", "working", "paused", "completed"],
        "PaymentStatusEnum": "timetracker.billing.choices.PaymentStatus",
        "InvoiceStatusEnum": [
            s
            for s in (
                "draft",
                "sent",
                "pending",
                "paid",
                "partially_paid",
                "overdue",
                "canceled",
                "disputed",
                "refunded",
                "write_off",
            )
        ],
        "EntryStatusEnum": ["running", "stopped"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
