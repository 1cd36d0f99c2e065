"""A scratch database for benchmarks, never the one you work in.

PostgreSQL is the reference: with DATABASE_URL set (or PostgreSQL answering on loopback) the
benchmarks use a database named psyplan_bench on that server, dropped and re-created each run.
Otherwise they fall back to SQLite in a temporary file and say so.
"""

import os
import tempfile
from urllib.parse import urlsplit, urlunsplit

# BENCH_DB_NAME lets two checkouts bench on one server without dropping each other's database.
BENCH_DB = os.environ.get("BENCH_DB_NAME", "psyplan_bench")


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    try:
        import psycopg

        parts = urlsplit(url)
        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {BENCH_DB}")
        return urlunsplit(parts._replace(path=f"/{BENCH_DB}"))
    except Exception as exc:  # noqa: BLE001 - any failure means: no PostgreSQL to bench on
        print(f"PostgreSQL not available ({type(exc).__name__}); benchmarking on SQLite instead.")
        return None


def configure() -> dict[str, str]:
    """Point Django at a fresh scratch database, migrate it, and return the environment used."""
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": os.environ.get(
            "DJANGO_SECRET_KEY", "bench-only-secret-key-not-for-production-use-0123456789"
        ),
        "AUDIT_HMAC_KEY": os.environ.get("AUDIT_HMAC_KEY", "bench-only-audit-key-not-for-production-use-0123456789"),
        "DJANGO_DEBUG": "false",
        # DEBUG off refuses the console mail backend; the benchmarks send no mail.
        "EMAIL_URL": "dummymail://",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_ALLOWED_HOSTS": "*",
        "LOG_LEVEL": "WARNING",
        "PRIVATE_MEDIA_ROOT": tempfile.mkdtemp(prefix="psyplan-bench-private-"),
        "CELERY_BROKER_DIR": tempfile.mkdtemp(prefix="psyplan-bench-broker-"),
        "STATIC_ROOT": tempfile.mkdtemp(prefix="psyplan-bench-static-"),
    }
    database = _postgres_url() or "sqlite:///" + os.path.join(
        tempfile.mkdtemp(prefix="psyplan-bench-"), "bench.sqlite3"
    )
    env["DATABASE_URL"] = database
    env["CELERY_BROKER_URL"] = os.environ.get("CELERY_BROKER_URL", "filesystem://")
    os.environ.update(env)

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    return env
