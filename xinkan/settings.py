"""Xinkan settings, read from environment variables (see README "Configuration").

No DATABASE_URL means the embedded default: SQLite under var/. No REDIS_URL means
Celery tasks run in-process, so the demo needs no broker.
"""

import os
import secrets
import sys
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("XINKAN_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("XINKAN_DEBUG")
TESTING = env_bool("XINKAN_TESTING")

# Management commands that only read code and write files (never sign, never serve) run without
# a SECRET_KEY, with a random one that dies with the process: a developer can check migrations or
# translations on a bare checkout, and nothing signed with that key can be forged or reused.
OFFLINE_COMMANDS = frozenset(
    {"makemigrations", "makemessages", "compilemessages", "check", "showmigrations", "sqlmigrate"}
)

_secret = os.environ.get("SECRET_KEY")
if not _secret:
    if DEBUG or TESTING:
        _secret = "insecure-development-key-do-not-use-in-production"  # noqa: S105
    elif len(sys.argv) > 1 and sys.argv[1] in OFFLINE_COMMANDS:
        _secret = secrets.token_urlsafe(50)
    else:
        raise RuntimeError("SECRET_KEY must be set when XINKAN_DEBUG is off.")
SECRET_KEY = _secret

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if (DEBUG or TESTING) else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "xinkan.core",
    "xinkan.accounts",
    "xinkan.org",
    "xinkan.audit",
    "xinkan.residents",
    "xinkan.matters",
    "xinkan.mediation",
    "xinkan.metrics",
    "xinkan.hotspots",
    "xinkan.volunteers",
    "xinkan.aid",
    "xinkan.square",
    "xinkan.portal",
    "xinkan.api",
    "xinkan.webhooks",
    "ninja",  # its templates and static files: the API docs page is served without a CDN
    "xinkan.web",
    "xinkan.demo",
    "xinkan.bench",
]

MIDDLEWARE = [
    "xinkan.core.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "xinkan.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "xinkan.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "xinkan.accounts.middleware.SessionSecurityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "xinkan.urls"
WSGI_APPLICATION = "xinkan.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "xinkan.web.context_processors.shell",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
# Behind PgBouncer in transaction mode (XINKAN_DB_POOLER=1) Django must not keep connections nor
# use server-side cursors (a cursor would outlive the pooled transaction).
DB_POOLER = env_bool("XINKAN_DB_POOLER")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=0 if DB_POOLER else 60)
    }
    if DB_POOLER:
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    # A read replica for exports and dashboards (reads that may lag a few seconds).
    if REPLICA_URL := os.environ.get("XINKAN_REPLICA_URL", ""):
        DATABASES["replica"] = dj_database_url.parse(
            REPLICA_URL, conn_max_age=0 if DB_POOLER else 60
        )
        DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
        if DB_POOLER:
            DATABASES["replica"]["DISABLE_SERVER_SIDE_CURSORS"] = True
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "xinkan.sqlite3"),
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }
    # Covering indexes (INCLUDE columns, metrics) are a PostgreSQL speed-up; SQLite builds the
    # plain index, which is all the embedded default needs, so its warning is not shown.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL and not TESTING:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery ---------------------------------------------------------------------------------
# Without a broker the embedded default runs tasks in-process (eager), so `make demo` needs none.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULE = {
    "verify-audit-chain-nightly": {
        "task": "xinkan.audit.tasks.verify_audit_chain",
        "schedule": 24 * 60 * 60,
    },
    "sweep-deadlines": {
        "task": "xinkan.core.tasks.sweep_deadlines",
        "schedule": 5 * 60,
    },
    "worker-heartbeat": {
        "task": "xinkan.core.tasks.heartbeat",
        "schedule": 60,
    },
    "clear-expired-sessions": {
        "task": "xinkan.accounts.tasks.clear_expired_sessions",
        "schedule": 6 * 60 * 60,
    },
    "refresh-metrics": {
        "task": "xinkan.metrics.tasks.refresh_metrics",
        "schedule": 60,
    },
    # Hot spots compare thousands of texts: every 15 minutes, stored for the pages.
    "refresh-hotspots": {
        "task": "xinkan.hotspots.tasks.refresh_hotspots",
        "schedule": 15 * 60,
    },
    # Hourly, but acts only when last month's reports are missing (so it catches up after a downtime).
    "monthly-reports": {
        "task": "xinkan.metrics.tasks.schedule_monthly_reports",
        "schedule": 60 * 60,
    },
    "collect-webhook-events": {
        "task": "xinkan.webhooks.tasks.collect_webhook_events",
        "schedule": 15,
    },
    "send-webhooks": {
        "task": "xinkan.webhooks.tasks.send_webhooks",
        "schedule": 15,
    },
}

# --- Accounts and security (等保2.0 level 3: identity and access) ---------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
if TESTING:
    # Tests create many users; a fast hasher keeps the suite quick. Never used outside tests.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "xinkan.accounts.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
]
XINKAN_LOCKOUT_THRESHOLD = int(os.environ.get("XINKAN_LOCKOUT_THRESHOLD", "5"))
XINKAN_IDLE_TIMEOUT_SECONDS = int(os.environ.get("XINKAN_IDLE_TIMEOUT_SECONDS", str(30 * 60)))
XINKAN_PASSWORD_MAX_AGE_DAYS = int(os.environ.get("XINKAN_PASSWORD_MAX_AGE_DAYS", "90"))
# Roles whose members must log in with a second factor (TOTP).
XINKAN_2FA_REQUIRED_ROLES = env_list("XINKAN_2FA_REQUIRED_ROLES", "admin,leader")
OTP_TOTP_ISSUER = "Xinkan 心坎"

SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("XINKAN_SECURE_COOKIES", not (DEBUG or TESTING))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_FAILURE_VIEW = "xinkan.web.views.errors.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("XINKAN_SSL_REDIRECT")
if SECURE_SSL_REDIRECT:
    SECURE_HSTS_SECONDS = 31536000
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Addresses of reverse proxies whose X-Forwarded-For is trusted for the client address.
XINKAN_TRUSTED_PROXIES = env_list("XINKAN_TRUSTED_PROXIES")

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "xinkan" / "locale"]
LANGUAGE_COOKIE_NAME = "xinkan_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if (DEBUG or TESTING)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(os.environ.get("XINKAN_MEDIA_ROOT", VAR_DIR / "media"))
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# --- Logging: no personal data, passwords or tokens in logs ---------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "xinkan.core.logging.RequestContextFilter"},
        "redact": {"()": "xinkan.core.logging.RedactingFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_context", "redact"],
            "formatter": "plain",
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("XINKAN_LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
    },
}

# --- Personal data at rest (docs/adr/0004) ---------------------------------------------------
# XINKAN_DATA_KEYS: "<id>:<base64 of 32 random bytes>[,<older id>:<key>...]", the current key first.
# XINKAN_INDEX_KEY: base64 of 32 random bytes for the keyed hashes used to look values up.
# Both are required in production; development and tests derive them from SECRET_KEY.
XINKAN_DATA_KEYS = os.environ.get("XINKAN_DATA_KEYS", "")
XINKAN_INDEX_KEY = os.environ.get("XINKAN_INDEX_KEY", "")

# How residents are told about their matters: a logging sender by default; EmailSender, or a
# subclass of SmsSender for a deployment's SMS gateway.
XINKAN_RESIDENT_SENDER = os.environ.get(
    "XINKAN_RESIDENT_SENDER", "xinkan.matters.services.notify.LoggingSender"
)

DEFAULT_EXCEPTION_REPORTER_FILTER = "xinkan.core.logging.PersonalDataExceptionReporterFilter"

# A Chinese TrueType font for PDF documents; by default one found on the system (core/pdf.py).
XINKAN_PDF_FONT = os.environ.get("XINKAN_PDF_FONT", "")
# The unit levels whose monthly reports the schedule makes (metrics/reports.py).
XINKAN_METRICS_REPORT_LEVELS = env_list(
    "XINKAN_METRICS_REPORT_LEVELS", "district,subdistrict,community"
)
# The unit levels whose subtree sums are also kept per day (metrics/models.py, SubtreeDayFact);
# changing it takes effect after `manage.py rebuild_metrics --subtrees`.
XINKAN_METRICS_DAILY_SUBTREE_LEVELS = env_list(
    "XINKAN_METRICS_DAILY_SUBTREE_LEVELS", "city,district,subdistrict"
)
# API rate limits, "requests/seconds" per token or person and per client address (api/ratelimit.py).
XINKAN_API_RATE_CALLER = tuple(
    int(part) for part in os.environ.get("XINKAN_API_RATE_CALLER", "600/60").split("/")
)
XINKAN_API_RATE_ADDRESS = tuple(
    int(part) for part in os.environ.get("XINKAN_API_RATE_ADDRESS", "1200/60").split("/")
)
# Cumulative volunteer hours for one to five stars (a common provincial practice).
XINKAN_STAR_HOURS = tuple(
    int(hours) for hours in env_list("XINKAN_STAR_HOURS", "100,300,600,1000,1500")
)
XINKAN_DEMO = env_bool("XINKAN_DEMO")
