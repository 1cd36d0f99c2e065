"""The pieces the load test and the fault drills start and stop: a scratch PostgreSQL database,
gunicorn, Celery workers. Everything listens on and talks to 127.0.0.1 only, and every process
started here runs in its own process group so that it, and its children, can be stopped whole,
even when the run fails.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOOPBACK = "127.0.0.1"
# The shared Redis: database 3 is this bench's, never the one the app or the tests use.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")


def _loopback_only(url: str) -> str:
    host = urlsplit(url).hostname
    if host not in (LOOPBACK, "localhost"):
        raise SystemExit(f"Refusing to run against {host!r}: load and fault tests talk to 127.0.0.1 only.")
    return url


def scratch_database(name: str, server_url: str | None = None) -> str:
    """Drop and re-create database `name` on the PostgreSQL server and return its URL."""
    import psycopg

    url = _loopback_only(
        server_url or os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    )
    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return urlunsplit(parts._replace(path=f"/{name}"))


def drop_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with contextlib.suppress(Exception), psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def django_env(database_url: str, **extra: str) -> dict[str, str]:
    """Production-like settings (DEBUG off) over plain HTTP on loopback."""
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": os.environ.get(
            "DJANGO_SECRET_KEY", "bench-only-secret-key-not-for-production-use-0123456789"
        ),
        "AUDIT_HMAC_KEY": os.environ.get("AUDIT_HMAC_KEY", "bench-only-audit-key-not-for-production-use-0123456789"),
        "DJANGO_DEBUG": "false",
        # DEBUG off refuses the console mail backend; the drills send no mail.
        "EMAIL_URL": "dummymail://",
        # Loopback HTTP: no TLS redirect, cookies without the Secure flag, no HSTS.
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        "DJANGO_HSTS_SECONDS": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": _loopback_only(database_url),
        "CELERY_BROKER_URL": _loopback_only(REDIS_URL),
        "PRIVATE_MEDIA_ROOT": tempfile.mkdtemp(prefix="psyplan-bench-private-"),
        "STATIC_ROOT": tempfile.mkdtemp(prefix="psyplan-bench-static-"),
        "CELERY_BEAT_SCHEDULE_FILENAME": os.path.join(tempfile.mkdtemp(prefix="psyplan-bench-beat-"), "schedule"),
    }
    env.update(extra)
    return env


def setup_django(env: dict[str, str]) -> None:
    """Configure this process with `env`, then migrate and collect static files."""
    os.environ.update(env)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


class Processes:
    """Starts processes in their own groups and stops them all on exit, whatever happened."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []

    def __enter__(self) -> "Processes":
        return self

    def __exit__(self, *exc) -> None:
        for proc in reversed(self.procs):
            self.stop(proc)

    def start(self, args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
        handle = open(log, "ab")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(  # noqa: S603 - our own programs, fixed arguments
            args, cwd=ROOT, env=os.environ | env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
        proc._psyplan_log = handle  # type: ignore[attr-defined]
        self.procs.append(proc)
        return proc

    @staticmethod
    def kill(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
        """Signal the process's whole group (a Celery worker and its pool children)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)

    def stop(self, proc: subprocess.Popen, timeout: float = 20) -> None:
        if proc.poll() is None:
            self.kill(proc, signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        # Whatever is left of the group (children of a killed parent) goes too.
        self.kill(proc, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        proc._psyplan_log.close()  # type: ignore[attr-defined]


def gunicorn(procs: Processes, env: dict[str, str], port: int, log: Path, workers: int = 4, threads: int = 2, **kw):
    args = [
        str(BIN / "gunicorn"),
        "config.wsgi:application",
        "--bind",
        f"{LOOPBACK}:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--timeout",
        "60",
        "--graceful-timeout",
        "10",
        # Longer than any client's pause between requests, so an idle kept-alive connection is not
        # closed by the server just as the client reuses it (a reset that is nobody's error).
        "--keep-alive",
        "10",
        "--access-logfile",
        str(log.with_suffix(".access")),
        # Status, method, route and time in microseconds: ids only, no query strings.
        "--access-logformat",
        "%(s)s %(m)s %(U)s %(D)s",
    ]
    proc = procs.start(args, env, log)
    wait_http(f"http://{LOOPBACK}:{port}/healthz", proc, timeout=60)
    return proc


def wait_http(url: str, proc: subprocess.Popen | None = None, timeout: float = 60, status: int = 200) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited ({proc.returncode}) before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback URL built here
                if response.status == status:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer {status} within {timeout:.0f} s")


def celery_worker(procs: Processes, env: dict[str, str], log: Path, concurrency: int = 2, name: str = "w1"):
    args = [
        str(BIN / "celery"),
        "-A",
        "config",
        "worker",
        "-c",
        str(concurrency),
        "-P",
        "prefork",
        "-n",
        f"{name}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-l",
        "INFO",
    ]
    proc = procs.start(args, env, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if "ready." in log.read_text(errors="replace"):
            return proc
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    raise RuntimeError(f"Celery worker {name} did not start; see {log}")


def result(ok: bool, name: str, figures: str) -> bool:
    print(f"{'PASS' if ok else 'FAIL'}  {name}: {figures}", flush=True)
    return ok
