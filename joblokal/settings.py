"""JobLokal settings, read from the environment with safe local defaults.

Every variable is listed in the README. In production (JOBLOKAL_ENV=production) the app
refuses to start without a secret key and a PostgreSQL database.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from joblokal.env import envbool, envchoice, envint, envintlist, envlist, envstr

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("JOBLOKAL_VAR_DIR", str(BASE_DIR / "var")))

JOBLOKAL_ENV = envchoice("JOBLOKAL_ENV", ["development", "production"], "development")
PRODUCTION = JOBLOKAL_ENV == "production"

_DEV_SECRET_KEY = "insecure-local-development-key-never-use-in-production"  # noqa: S105
SECRET_KEY = envstr("SECRET_KEY", "" if PRODUCTION else _DEV_SECRET_KEY)
if PRODUCTION and (len(SECRET_KEY) < 50 or SECRET_KEY == _DEV_SECRET_KEY):
    raise ImproperlyConfigured("SECRET_KEY must be set to a random value of 50+ characters.")

DEBUG = envbool("DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be false when JOBLOKAL_ENV=production.")

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must name the public host names.")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

# Public base URL for links in emails (a worker has no request to build them from).
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "joblokal",
    "locations",
    "coaches",
    "appointments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "joblokal.languages.StaffLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "joblokal.middleware.AdminIdleTimeoutMiddleware",
    # Last, as django-axes asks, so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "joblokal.urls"
WSGI_APPLICATION = "joblokal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # An operator can replace the legal pages (privacy notice, accessibility statement,
        # imprint) and any other template with files in JOBLOKAL_TEMPLATE_DIR.
        "DIRS": [*envlist("JOBLOKAL_TEMPLATE_DIR", []), BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Who runs this service; shown on the privacy notice, accessibility statement and imprint.
OPERATOR = {
    "name": envstr("OPERATOR_NAME", "Jobcenter im Landkreis Celle"),
    "address": envstr("OPERATOR_ADDRESS", "Musterstraße 1, 29221 Celle"),
    "email": envstr("OPERATOR_EMAIL", "jobcenter@joblokal.example"),
    "phone": envstr("OPERATOR_PHONE", "05141 000000"),
    "representative": envstr("OPERATOR_REPRESENTATIVE", "die Geschäftsführung"),
    "privacy_officer_email": envstr("PRIVACY_OFFICER_EMAIL", "datenschutz@joblokal.example"),
    "accessibility_email": envstr("ACCESSIBILITY_FEEDBACK_EMAIL", "barrierefrei@joblokal.example"),
    "supervisory_authority": envstr(
        "SUPERVISORY_AUTHORITY", "Die Landesbeauftragte für den Datenschutz Niedersachsen"
    ),
    # A video in German Sign Language explaining JobLokal (BITV 2.0); none is shipped.
    "sign_language_video_url": envstr("OPERATOR_SIGN_LANGUAGE_VIDEO_URL", ""),
}

# --- Database -------------------------------------------------------------------------

_SQLITE_PATH = VAR_DIR / "joblokal.sqlite3"
DATABASE_URL = envstr("DATABASE_URL", "")
try:
    _db = dj_database_url.parse(
        DATABASE_URL or f"sqlite:///{_SQLITE_PATH}",
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
except ValueError as error:
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {error}") from None
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so concurrent bookings serialise instead of
    # failing with "database is locked" half-way through a transaction.
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    _db["CONN_MAX_AGE"] = 0
    if PRODUCTION:
        raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL in production.")
elif _db["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must be a postgres:// or sqlite:// URL.")
elif envbool("DATABASE_PREPARED_STATEMENTS", True):
    # Parameters bound by the server, and a statement run a few times on a connection is
    # prepared there: PostgreSQL plans it once instead of on every request (planning the
    # confirmation page's five-table join took 1.3 ms, running it 0.3 ms). Turn it off
    # behind a pooler in transaction mode (PgBouncer), which cannot keep them.
    _db["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits, login lockout) -------------------------------------------------

CACHE_URL = envstr("CACHE_URL", "")


def redis_caches(url: str) -> dict:
    """The caches on one Redis: the default one, and the `{% cache %}` tag's own, which
    only saves work and so treats an unreachable Redis as a miss (joblokal/cache.py)."""
    # A cache that does not answer must not hold a request: rate limits fail open.
    options = {"socket_connect_timeout": 1, "socket_timeout": 1}
    return {
        "default": {
            "BACKEND": "joblokal.cache.RedisCache",
            "LOCATION": url,
            "OPTIONS": options,
        },
        "template_fragments": {
            "BACKEND": "joblokal.cache.FailOpenRedisCache",
            "LOCATION": url,
            "OPTIONS": options,
        },
    }


if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = redis_caches(CACHE_URL)
elif CACHE_URL:
    raise ImproperlyConfigured("CACHE_URL must be a redis:// URL or empty.")
else:
    # A file cache is shared by all local processes, which rate limits need.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": VAR_DIR / "cache",
        }
    }

# --- Auth -------------------------------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "coaches:login"
LOGIN_REDIRECT_URL = "coaches:my_day"
LOGOUT_REDIRECT_URL = "locations:start"

AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 30, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "coaches/lockout.html"

# Admin lives under a configurable path so it is not at the well-known /admin/.
ADMIN_URL = envstr("ADMIN_URL", "admin/").strip("/") + "/"

# --- Internationalisation ---------------------------------------------------------------

LANGUAGE_CODE = "de"
# Ukrainian, Arabic, Turkish and Leichte Sprache (easy-to-read German, catalogue in
# locale/de_LS) are offered on the client pages only; staff pages fall back to German
# (joblokal.languages.StaffLanguageMiddleware).
LANGUAGES = [
    ("de", _("Deutsch")),
    ("en", _("English")),
    ("uk", _("Ukrainisch")),
    ("ar", _("Arabisch")),
    ("tr", _("Türkisch")),
    ("de-ls", _("Leichte Sprache")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Berlin"
USE_TZ = True

# --- Static files ---------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Installed from npm at setup time (package.json); never committed.
    ("bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Outside production, whitenoise serves straight from the finders: no collectstatic needed.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Security ---------------------------------------------------------------------------

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    # Bootstrap draws form controls with data: SVG images.
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", PRODUCTION)
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", PRODUCTION)
if envbool("TRUST_X_FORWARDED_PROTO", PRODUCTION):
    # Behind a TLS-terminating proxy that sets this header (and strips it from clients).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
RATELIMIT_ENABLE = envbool("RATELIMIT_ENABLE", True)
RATELIMIT_VIEW = "joblokal.views.ratelimited"
# How many proxies in front of the app append to X-Forwarded-For (0: clients connect
# directly). Rate limits, the login lockout and the booking caps all read the client
# address through joblokal.client_address, which takes the right-most untrusted entry.
TRUSTED_PROXY_HOPS = envint("TRUSTED_PROXY_HOPS", 0, minimum=0)
if TRUSTED_PROXY_HOPS > 5:
    raise ImproperlyConfigured(f"TRUSTED_PROXY_HOPS must be at most 5, not {TRUSTED_PROXY_HOPS}.")
if envstr("RATELIMIT_IP_META_KEY", ""):
    # A single header value can be forged and rotated freely; refuse the old setting
    # rather than run with it silently ignored.
    raise ImproperlyConfigured(
        "RATELIMIT_IP_META_KEY is no longer read: set TRUSTED_PROXY_HOPS to the number of "
        "proxies in front of JobLokal instead."
    )
RATELIMIT_IP_META_KEY = "joblokal.client_address.client_address"
AXES_CLIENT_IP_CALLABLE = "joblokal.client_address.client_address"
# Town-hall PCs are shared: a staff session ends when the browser closes and after 8
# hours at the latest; the admin asks for the password again after 30 idle minutes.
SESSION_COOKIE_AGE = envint("SESSION_HOURS", 8, minimum=1) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Django's database sessions, but a new session is written once, at the end of the
# request that gave it its key (joblokal/sessions.py): one INSERT per booking instead
# of a SELECT, an INSERT and an UPDATE. Not "cached_db": the booking flow reads a
# session once (the confirmation page, one primary-key SELECT), which a Redis read would
# only replace, while every write would add one; and its delete does not fail open, so
# a Redis outage would break logging out.
SESSION_ENGINE = "joblokal.sessions"
ADMIN_IDLE_MINUTES = envint("ADMIN_IDLE_MINUTES", 30, minimum=1)

# --- Mail -------------------------------------------------------------------------------

MAIL_BACKEND = envchoice("MAIL_BACKEND", ["smtp", "file", "console"], "file")
MAIL_FILE_DIR = VAR_DIR / "mail"
if MAIL_BACKEND == "smtp":
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": envstr("SMTP_HOST", "localhost"),
                "port": envint("SMTP_PORT", 25, minimum=1),
                "username": envstr("SMTP_USER", "") or None,
                "password": envstr("SMTP_PASSWORD", "") or None,
                "use_tls": envbool("SMTP_STARTTLS", False),
                "timeout": envint("SMTP_TIMEOUT", 20, minimum=1),
            },
        }
    }
elif MAIL_BACKEND == "file":
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(MAIL_FILE_DIR)},
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "JobLokal <termine@joblokal.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- SMS --------------------------------------------------------------------------------

# console: printed; file: one file per message under var/sms (the embedded default);
# http: a generic HTTPS gateway; locmem: kept in memory (the tests' default).
SMS_BACKEND = envchoice("SMS_BACKEND", ["http", "file", "console", "locmem"], "file")
SMS_FILE_DIR = VAR_DIR / "sms"
SMS_SENDER_ID = envstr("SMS_SENDER_ID", "JobLokal")
SMS_HTTP = {
    "url": envstr("SMS_HTTP_URL", ""),
    # For example "Authorization" and "Bearer …"; the value is a secret, set it only in
    # the environment.
    "auth_header": envstr("SMS_HTTP_AUTH_HEADER", "Authorization"),
    "auth_value": envstr("SMS_HTTP_AUTH_VALUE", ""),
    "format": envchoice("SMS_HTTP_FORMAT", ["json", "form"], "json"),
    # The gateway's names for number, text, sender ID and our reference for the message;
    # an empty name leaves that field out.
    "field_to": envstr("SMS_HTTP_FIELD_TO", "to"),
    "field_text": envstr("SMS_HTTP_FIELD_TEXT", "text"),
    "field_sender": envstr("SMS_HTTP_FIELD_SENDER", "from"),
    "field_reference": envstr("SMS_HTTP_FIELD_REFERENCE", "reference"),
    # Seconds; a gateway that does not answer in time is tried again later.
    "timeout": envint("SMS_HTTP_TIMEOUT", 10, minimum=1),
}
if SMS_BACKEND == "http":
    _sms_url = urlsplit(SMS_HTTP["url"])
    # Plain http only to this machine (a local relay, or the tests' gateway).
    if not _sms_url.netloc or (
        _sms_url.scheme != "https"
        and not (_sms_url.scheme == "http" and _sms_url.hostname in {"127.0.0.1", "localhost"})
    ):
        raise ImproperlyConfigured("SMS_HTTP_URL must be an https:// URL when SMS_BACKEND=http.")

# --- Celery -----------------------------------------------------------------------------

# Empty means the embedded broker: kombu's filesystem transport under var/broker, which
# needs no server (one machine only). Production and CI set a redis:// URL.
CELERY_BROKER_URL = envstr("CELERY_BROKER_URL", "") or "filesystem://"
if CELERY_BROKER_URL == "filesystem://":
    _BROKER_DIR = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "control_folder": str(_BROKER_DIR / "control"),
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # Longer than the longest retry countdown (MAIL_RETRY_BACKOFF_MAX_SECONDS), so Redis
    # does not hand a waiting retry to a second worker; the outbox claim is the real guard.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 3600}
else:
    raise ImproperlyConfigured("CELERY_BROKER_URL must be a redis:// URL or empty.")
# Only for a quick look without a worker; mail is then sent inside the web request.
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
# JSON only, and tasks take ids only: no personal data ever sits in the broker.
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged after it ran, and handed back if its worker dies; with prefetch 1
# a killed worker strands at most one message per process.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A publish runs in the web request after its commit. While the broker is down each
# publish costs this retry budget; the outbox sweep sends the row later anyway, so one
# quick retry is enough (Celery's default of three cost ~0.8 s per mail).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Transient SMTP and network errors are retried with exponential backoff and jitter, a
# bounded number of times; a permanent error (5xx, refused recipient) fails at once.
MAIL_MAX_RETRIES = envint("MAIL_MAX_RETRIES", 8, minimum=0)
MAIL_RETRY_BACKOFF_SECONDS = envint("MAIL_RETRY_BACKOFF_SECONDS", 30, minimum=1)
MAIL_RETRY_BACKOFF_MAX_SECONDS = envint("MAIL_RETRY_BACKOFF_MAX_SECONDS", 1800, minimum=1)
# Outbox rows untouched this long are handed to the queue again (a crash between commit
# and publish, or a killed worker). Longer than any SMTP conversation takes.
MAIL_STUCK_MINUTES = envint("MAIL_STUCK_MINUTES", 10, minimum=1)
# Rows per batch task (the reminder run, a day cancellation, the sweep): one claim, one
# load, one insert of links and one SMTP connection for all of them, so these costs
# vanish per mail. A worker killed mid-batch leaves the batch's untried rows to the sweep.
MAIL_BATCH_SIZE = envint("MAIL_BATCH_SIZE", 200, minimum=1)
REMINDER_SCAN_MINUTES = envint("REMINDER_SCAN_MINUTES", 5, minimum=1)

# One static schedule; run exactly one beat process.
CELERY_BEAT_SCHEDULE = {
    "send-due-reminders": {
        "task": "appointments.tasks.send_due_reminders",
        "schedule": timedelta(minutes=REMINDER_SCAN_MINUTES),
        "options": {"expires": REMINDER_SCAN_MINUTES * 60},
    },
    # The call list for clients without mail or SMS, beside their reminders; idempotent,
    # so it runs as often as the reminder scan and catches late bookings.
    "queue-reminder-calls": {
        "task": "appointments.tasks.queue_reminder_calls",
        "schedule": timedelta(minutes=REMINDER_SCAN_MINUTES),
        "options": {"expires": REMINDER_SCAN_MINUTES * 60},
    },
    "requeue-stuck-mail": {
        "task": "appointments.tasks.requeue_stuck_mail",
        "schedule": timedelta(minutes=5),
        "options": {"expires": 5 * 60},
    },
    "expire-waitlist-offers": {
        "task": "appointments.tasks.expire_waitlist_offers",
        "schedule": timedelta(minutes=5),
        "options": {"expires": 5 * 60},
    },
    # The town hall's day list two working days ahead; the outbox key sends each once,
    # so an hourly run only decides how soon after midnight it goes out.
    "send-venue-day-lists": {
        "task": "appointments.tasks.send_venue_day_lists",
        "schedule": timedelta(hours=1),
        "options": {"expires": 3600},
    },
    # Deletion on schedule (RETENTION_DAYS). Hourly rather than daily: a run missed while
    # no worker was up is caught up within the hour, and a run with nothing due is cheap.
    # The statistics page rebuilds stale day figures of what it shows; this keeps that
    # work small by doing it in the background.
    "refresh-day-figures": {
        "task": "appointments.tasks.refresh_day_figures",
        "schedule": timedelta(minutes=10),
        "options": {"expires": 10 * 60},
    },
    "erase-expired-personal-data": {
        "task": "appointments.tasks.erase_expired_personal_data",
        "schedule": timedelta(hours=1),
        "options": {"expires": 3600},
    },
}

# --- JobLokal rules -------------------------------------------------------------------

BOOKING_OPENS_DAYS = envint("BOOKING_OPENS_DAYS", 60, minimum=1)
BOOKING_CLOSES_HOURS = envint("BOOKING_CLOSES_HOURS", 2, minimum=0)
REMINDER_LEAD_HOURS = envintlist("REMINDER_LEAD_HOURS", [24], minimum=1)
WAITLIST_OFFER_HOURS = envint("WAITLIST_OFFER_HOURS", 24, minimum=1)
RETENTION_DAYS = envint("RETENTION_DAYS", 90, minimum=1)
# An accompaniment without any contact for this long ends; erasure follows RETENTION_DAYS later.
ACCOMPANIMENT_LAPSE_DAYS = envint("ACCOMPANIMENT_LAPSE_DAYS", 365, minimum=1)
# "Into work within N weeks of the first visit" in the figures per person.
JOB_START_WEEKS = envint("JOB_START_WEEKS", 8, minimum=1)
# Against one client booking out a day: besides one booking per person (phone or email)
# and day, at most this many bookings of a day from one client address and one session.
BOOKINGS_PER_ADDRESS_PER_DAY = envint("BOOKINGS_PER_ADDRESS_PER_DAY", 2, minimum=1)
BOOKINGS_PER_SESSION_PER_DAY = envint("BOOKINGS_PER_SESSION_PER_DAY", 2, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Request warnings (404, CSRF, 403) name the path, and a manage or offer link's path
    # is its secret: the filter replaces it on the loggers that write paths, and on the
    # handler for anything else.
    "filters": {"redact_secrets": {"()": "joblokal.logs.RedactSecretPaths"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secrets"],
        }
    },
    "loggers": {
        name: {"filters": ["redact_secrets"]}
        for name in ("django.request", "django.security", "django.server", "django.security.csrf")
    },
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO").upper()},
}
AXES_VERBOSE = False
