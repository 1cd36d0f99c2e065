"""The test suite's overrides, and nothing else.

The environment still decides the database and broker: `make test` runs on
SQLite and the filesystem broker, `.ci/run` on PostgreSQL and Redis.
"""

import os
import tempfile
import uuid

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("DJANGO_DEBUG", "false")
# DEBUG off refuses the console mail backend; tests use the in-memory one (set again below).
os.environ.setdefault("EMAIL_URL", "memorymail://")
os.environ.setdefault("CELERY_BROKER_DIR", tempfile.mkdtemp(prefix="psyplan-broker-"))
os.environ.setdefault("PRIVATE_MEDIA_ROOT", tempfile.mkdtemp(prefix="psyplan-private-"))
os.environ.setdefault("AUDIT_HMAC_KEY", "test-only-audit-key-not-for-production")
# Each test writes its checkpoints to its own file (tests/conftest.py); this one catches the rest.
os.environ.setdefault(
    "AUDIT_CHECKPOINT_PATH", os.path.join(tempfile.mkdtemp(prefix="psyplan-audit-"), "checkpoints.jsonl")
)

from config.settings import *  # noqa: E402,F403
from config.settings import DATABASES  # noqa: E402

# Tests talk plain HTTP to the test client and the live server.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
ALLOWED_HOSTS = ["*"]

# Argon2 is deliberately slow; tests that care about hashing ask for it.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # noqa: S303
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Texts kept in core.sms.outbox, as emails in mail.outbox.
SMS_BACKEND = "locmem"
STATIC_ROOT = tempfile.mkdtemp(prefix="psyplan-static-")
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405

# Unit tests run tasks inline; tests marked celery_worker switch to a real
# worker. A queue per run keeps one run's leftovers from reaching another.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = f"psyplan-test-{uuid.uuid4().hex[:8]}"

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so a live server thread and a worker thread share it.
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(tempfile.gettempdir(), f"psyplan-test-{os.getpid()}.sqlite3")}
