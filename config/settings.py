"""Psyplan settings: one module, every value read from the environment.

Defaults are safe for development on the embedded stack (SQLite and a
filesystem Celery broker). DEBUG is off unless DJANGO_DEBUG is set, and with
DEBUG off the HTTPS hardening is on unless explicitly relaxed.
"""

import datetime as dt
import re
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A local .env (written by `make run` on first use) fills in what the shell did not set.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# No silent default: a deployment without a key must fail at start-up, and so must one whose
# key is set but empty (`DJANGO_SECRET_KEY=` in a compose file or .env), which Django would
# otherwise accept until the first signature.
SECRET_KEY = env.str("DJANGO_SECRET_KEY")
if not SECRET_KEY.strip():
    raise ImproperlyConfigured("Set the DJANGO_SECRET_KEY environment variable: it is empty.")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "core",
    "audit",
    "accounts",
    "clients",
    "formulation",
    "plans",
    "notes",
    "progress",
    "records",
    "participation",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A database that is down or restarting answers 503 with a clear message (and, for the
    # framework's own errors raised in middleware, config.urls.handler500 does the same).
    "core.dbfailure.DatabaseUnavailableMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Outermost of ours: every response to a signed-in person is marked no-store.
    "accounts.middleware.NoStoreMiddleware",
    "accounts.middleware.IdleTimeoutMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    # Records reads and denied requests (404/403) from the route and the status.
    "audit.middleware.AuditMiddleware",
    "accounts.middleware.PracticeTimezoneMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A NUL character in any parameter is a 400 (PostgreSQL cannot store one in text).
    "core.params.RefuseNulCharactersMiddleware",
    # Last, as django-axes requires: turns a lockout into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "accounts.context_processors.membership",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=0))
# A connection kept across requests is checked before reuse, so a database restart costs one
# clean error (see core/dbfailure.py), not a process that fails until it is restarted.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, worker and beat share one file: wait for a lock rather than fail.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A stuck database must give a clean error, not a hung request.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses sign-in attempts while an account+address is locked out.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions end after this many idle seconds (15 minutes by default); every
# request from the person, not background polling, moves the deadline on.
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=15 * 60)
# The stored session (and its cookie) outlives the idle deadline by this much, so that a person
# who comes back is signed out by IdleTimeoutMiddleware, which says why and writes the sign-out
# to the access log; the session cannot be used in between. Sessions nobody came back to are
# signed out, with the same entry, by the hourly sweep (accounts.sessions).
SESSION_IDLE_GRACE = 60 * 60
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT + SESSION_IDLE_GRACE
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Flash messages can name a client: keep them in the server-side session, not a cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LANGUAGE_CODE = "en-us"
# Stored datetimes are UTC; each practice renders in its own timezone.
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {
        # Private media (exports): never under a public URL; served only by
        # access-checked views.
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(Path(env.str("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private"))))},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# The console backend prints every email, password-reset and invitation links included, into
# the logs. That is for development only: with DEBUG off, refuse to start on it (unset included).
if not DEBUG and EMAIL_CONFIG["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend":
    raise ImproperlyConfigured(
        "EMAIL_URL is unset or consolemail://, which writes password-reset and invitation links into "
        "the logs. With DJANGO_DEBUG off, set EMAIL_URL to a real mail server (e.g. "
        "smtp+tls://user:password@smtp.example.org:587), or dummymail:// for a process that sends no mail."
    )
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Psyplan <no-reply@psyplan.invalid>")

# Text messages to clients (client links sent by text, core/sms.py): "disabled" (texts cannot be
# chosen), "console" (development: printed, never logged) or "locmem" (tests). Off unless DEBUG.
SMS_BACKEND = env.str("SMS_BACKEND", default="console" if DEBUG else "disabled")
if SMS_BACKEND not in ("disabled", "console", "locmem"):
    raise ImproperlyConfigured(f"SMS_BACKEND must be disabled, console or locmem, not {SMS_BACKEND!r}.")

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://psyplan")}
if CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    # The plan page keeps a fragment per item (core/fragments.py): a 10 × 5 × 3 plan has about 250,
    # and local memory's default of 300 entries would evict a page's fragments while rendering the
    # next. A few KB each, so 20,000 stays within tens of MB per process. `?max_entries=` overrides.
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 20_000)

# --- Celery -----------------------------------------------------------------
# Without CELERY_BROKER_URL the embedded default is kombu's filesystem
# transport, so `make run` needs no Redis server.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_DIR = Path(env.str("CELERY_BROKER_DIR", default=str(VAR_DIR / "broker")))
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR),
        "data_folder_out": str(CELERY_BROKER_DIR),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        # Exchange bindings; kombu would otherwise write them into the working directory.
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # A Redis outage must not hang a web request that enqueues work. Redis hands a message that
    # a worker took but never acknowledged (the worker was killed) to another worker only after
    # the visibility timeout, so it must exceed the longest task's hard time limit (180 s) or a
    # slow task would be delivered twice while it still runs.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_connect_timeout": 3,
        "socket_timeout": 5,
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=600),
        # Workers sweep for such messages every 10 s (kombu 5.7 would otherwise scan only on
        # every 10th sweep, adding up to 100 s); one cheap Redis query per worker.
        "unacked_restore_interval": 10,
        "unacked_restore_throttle": 1,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_MAX_TASKS_PER_CHILD = env.int("CELERY_WORKER_MAX_TASKS_PER_CHILD", default=100)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=120)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=180)
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(
    Path(env.str("CELERY_BEAT_SCHEDULE_FILENAME", default=str(VAR_DIR / "celerybeat-schedule")))
)
CELERY_BEAT_SCHEDULE = {
    "clear-expired-sessions": {
        "task": "accounts.tasks.clear_expired_sessions",
        "schedule": 60 * 60,
    },
    # Publishes work that waited in the outbox while the broker was down (core.tasks; the task keeps
    # the name it had under accounts, which beat schedules and outbox rows hold).
    "relay-outbox": {
        "task": "accounts.tasks.relay_outbox",
        "schedule": 30,
    },
    # Idempotency keys and one-time form ids answer for 24 hours (core/idempotency.py; core.tasks, named as
    # under accounts).
    "purge-idempotency-records": {
        "task": "accounts.tasks.purge_idempotency_records",
        "schedule": 60 * 60,
    },
    # Registered names: the tasks live in records/tasks.py and progress/tasks.py and keep the names
    # they had in plans (queued messages and outbox rows hold them).
    "purge-expired-exports": {
        "task": "plans.tasks.purge_expired_exports",
        "schedule": 30 * 60,
    },
    # Checks every 10 minutes which practices have reached their local run time today.
    "review-scheduler": {
        "task": "plans.tasks.run_review_scheduler",
        "schedule": 10 * 60,
    },
    # Scheduled client questionnaires (participation/tasks.py): checks every 10 minutes which practices
    # have reached their local run time today (CLIENT_MEASURES_SCHEDULER_TIME).
    "questionnaire-scheduler": {
        "task": "participation.tasks.run_questionnaire_scheduler",
        "schedule": 10 * 60,
    },
    # Reminds clinicians of notes unsigned 72 hours after their session (notes/tasks.py; idempotent per day).
    "remind-unsigned-notes": {
        "task": "notes.tasks.remind_unsigned_notes",
        "schedule": dt.timedelta(days=1),
    },
}
# Bulk-export ZIPs are removed this many hours after they are ready.
EXPORT_TTL_HOURS = env.int("EXPORT_TTL_HOURS", default=24)
# One plan's PDF may take this long before it is marked failed and the batch moves on.
EXPORT_ITEM_SOFT_TIME_LIMIT = env.int("EXPORT_ITEM_SOFT_TIME_LIMIT", default=60)
# The daily review scan runs at this local time in each practice's timezone.
REVIEW_SCHEDULER_TIME = env.str("REVIEW_SCHEDULER_TIME", default="06:00")
# Reviews are scheduled this many days ahead of the due date ...
REVIEW_LEAD_DAYS = env.int("REVIEW_LEAD_DAYS", default=14)
# ... and become overdue this many days after it.
REVIEW_GRACE_DAYS = env.int("REVIEW_GRACE_DAYS", default=7)
# Scheduled client questionnaires (issue 15): sent this many days before each progress review ...
CLIENT_MEASURES_LEAD_DAYS = env.int("CLIENT_MEASURES_LEAD_DAYS", default=7)
if not 0 <= CLIENT_MEASURES_LEAD_DAYS <= 60:
    raise environ.ImproperlyConfigured("CLIENT_MEASURES_LEAD_DAYS must be between 0 and 60.")
# ... by a daily run at this local time in each practice's timezone, after the review scan has
# created that day's reviews.
CLIENT_MEASURES_SCHEDULER_TIME = env.str("CLIENT_MEASURES_SCHEDULER_TIME", default="07:00")
try:
    dt.time.fromisoformat(CLIENT_MEASURES_SCHEDULER_TIME)
except ValueError as exc:
    raise environ.ImproperlyConfigured("CLIENT_MEASURES_SCHEDULER_TIME must be a time such as 07:00.") from exc

# --- Security ---------------------------------------------------------------
# Behind a TLS-terminating proxy, set DJANGO_SECURE_PROXY_SSL_HEADER=true.
if env.bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Browsers may not open our pages in a cross-origin window that keeps a handle on them.
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content Security Policy (django-csp 4): only our own scripts and styles, no inline
# script or style, no plugins, no framing. htmx is configured in base.html not to inject
# its indicator <style> or to evaluate code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Audit trail ----------------------------------------------------------------
# The access log is chained with HMAC-SHA256 under this key, which must not live in the
# database: whoever can write the table but lacks the key cannot forge or re-chain entries.
# Required with DEBUG off; DEBUG alone falls back to a fixed, public development key.
AUDIT_HMAC_KEY = env.str("AUDIT_HMAC_KEY", default="").strip()
if not AUDIT_HMAC_KEY:
    if not DEBUG:
        raise environ.ImproperlyConfigured(
            "Set AUDIT_HMAC_KEY (a long random string, kept outside the database) to key the access log's chain."
        )
    AUDIT_HMAC_KEY = "psyplan-development-audit-key-not-secret"  # noqa: S105 - DEBUG only, documented as public
# Checkpoints of the chain (entry count, head MAC, time), one JSON line each, appended daily by
# beat and by `manage.py write_audit_checkpoint`. Keep it where the database's users cannot write.
AUDIT_CHECKPOINT_PATH = Path(env.str("AUDIT_CHECKPOINT_PATH", default=str(VAR_DIR / "audit-checkpoints.jsonl")))
# The task is audit.tasks.write_audit_checkpoint, registered under the name it had in accounts.
CELERY_BEAT_SCHEDULE["audit-checkpoint"] = {
    "task": "accounts.tasks.write_audit_checkpoint",
    "schedule": dt.timedelta(days=1),
}

# --- Sign-in throttling (django-axes) ----------------------------------------
# Sign-in (form and API token) is locked for AXES_COOLOFF_MINUTES after AXES_FAILURE_LIMIT
# failures for one account from one address, AXES_IP_FAILURE_LIMIT from one address across
# accounts, or AXES_ACCOUNT_FAILURE_LIMIT for one account across addresses (accounts/lockout.py).
# Lockouts and failures go to the access log.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_IP_FAILURE_LIMIT = env.int("AXES_IP_FAILURE_LIMIT", default=20)
AXES_ACCOUNT_FAILURE_LIMIT = env.int("AXES_ACCOUNT_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address", "username"]
AXES_HANDLER = "accounts.lockout.TieredLockoutHandler"
AXES_USERNAME_CALLABLE = "accounts.auth.axes_username"
AXES_CLIENT_IP_CALLABLE = "accounts.auth.axes_client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
for _name in ("AXES_FAILURE_LIMIT", "AXES_IP_FAILURE_LIMIT", "AXES_ACCOUNT_FAILURE_LIMIT"):
    if vars()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be a whole number of failures, 1 or more.")
# Requests for an API token per address (DRF throttle), on top of the lockout above.
API_TOKEN_THROTTLE_RATE = env.str("API_TOKEN_THROTTLE_RATE", default="10/minute")
if not re.fullmatch(r"[1-9]\d*/(s|sec|second|m|min|minute|h|hour|d|day)", API_TOKEN_THROTTLE_RATE):
    raise ImproperlyConfigured("API_TOKEN_THROTTLE_RATE must look like 10/minute (per second, minute, hour or day).")
# Our own access log records sign-ins; axes keeps only what it needs to count failures.
AXES_DISABLE_ACCESS_LOG = True
# Number of reverse proxies in front of the app whose X-Forwarded-For we trust (0: none).
PSYPLAN_TRUSTED_PROXIES = env.int("PSYPLAN_TRUSTED_PROXIES", default=0)

# --- Two-factor sign-in (django-otp) -----------------------------------------
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Psyplan")
# Set false only for local development: makes two-factor optional even for admins.
PSYPLAN_ENFORCE_TWO_FACTOR = env.bool("PSYPLAN_ENFORCE_TWO_FACTOR", default=True)
# /healthz is polled over plain HTTP by the load balancer and container checks.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

REST_FRAMEWORK = {
    # Hashed, expiring tokens for scripts and other systems; the session (with CSRF) for the browser.
    # Token first, so an unauthenticated request gets 401 with `WWW-Authenticate: Token`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Every endpoint: signed in, and with a second factor where the person has or needs one.
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.api.permissions.TwoFactorSatisfied",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.Pagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Our JSONParser refuses absurdly nested bodies with a 400 (core/api/parsers.py).
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.JSONParser"],
}
REST_KNOX = {
    # API tokens last a working day by default and are stored only as a hash.
    "TOKEN_TTL": dt.timedelta(seconds=env.int("API_TOKEN_TTL", default=10 * 60 * 60)),
    "AUTO_REFRESH": False,
    "AUTH_HEADER_PREFIX": "Token",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Psyplan API",
    "DESCRIPTION": (
        "Psychodynamic treatment plans: clients, presenting problems, plans with their formulation, goals, "
        "objectives and interventions, progress reviews and outcome measures, and FHIR R4 export. "
        "See the README's API section for authentication, errors and concurrency."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "PlanStatusEnum": "plans.models.TreatmentPlan.Status",
        "ObjectiveStatusEnum": "plans.models.Objective.Status",
        "ReviewStatusEnum": "progress.models.ProgressReview.Status",
        "ProgressStatusEnum": "progress.models.ObjectiveProgress.Status",
        "ClientStatusEnum": "clients.models.Client.Status",
        "SignatureMeaningEnum": "plans.models.Signature.Meaning",
        "NoteSignatureMeaningEnum": "notes.models.NoteSignature.Meaning",
        "NoteStatusEnum": "notes.models.ProgressNote.Status",
        "ClientLinkStatusEnum": "participation.api.serializers.LINK_STATUSES",
        "ClientLinkPurposeEnum": "participation.models.ClientLink.Purpose",
        "ClientLinkDeliveryEnum": "participation.models.ClientLink.Delivery",
        "MeasureSourceEnum": "progress.models.MeasureScore.Source",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Client-link tokens are blanked in whatever is written (core/log_redaction.py).
    "filters": {"client_link_tokens": {"()": "core.log_redaction.RedactClientLinkTokens"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["client_link_tokens"]}
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Request lines can carry ids but never PHI; keep noisy ones at WARNING.
        "django.server": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # django-axes reports every sign-in at INFO; failures and lockouts (WARNING) are enough,
        # and the access log has the rest.
        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # SQL parameters are PHI: never log statements, whatever LOG_LEVEL says.
        "django.db.backends": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # Its DEBUG records (a missing template variable) carry the whole template context: PHI.
        "django.template": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # WeasyPrint narrates every rendering step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Whatever happens, a session ends this long after sign-in (12 hours by default).
SESSION_ABSOLUTE_LIFETIME = env.int("SESSION_ABSOLUTE_LIFETIME", default=12 * 60 * 60)
# The address people use to reach Psyplan, for links in emails.
SITE_URL = env.str("PSYPLAN_SITE_URL", default="http://127.0.0.1:8000")
