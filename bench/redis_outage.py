"""Drill: Redis goes away while people work, then comes back.

A private redis-server on a spare loopback port is the broker; a real Celery worker consumes
from it. With Redis up, a trainee submits a plan and the supervisor's notification arrives.
Then Redis is killed: web requests must stay quick (bounded by the broker timeouts and the
outbox's circuit breaker), say that background services are unavailable, and /healthz must
answer 503 promptly. Redis comes back: the outbox relay publishes what waited, and the
notification queued during the outage arrives. Prints PASS/FAIL lines; exits non-zero on failure.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS: list[tuple[bool, str]] = []


def check(ok: bool, text: str) -> None:
    RESULTS.append((ok, text))
    print(("PASS " if ok else "FAIL ") + text, flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis(port: int, workdir: str) -> subprocess.Popen:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    proc = subprocess.Popen(  # noqa: S603 - Debian's redis-server, loopback only
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("redis-server did not start")


def _wait(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


def main() -> int:
    port = _free_port()
    workdir = tempfile.mkdtemp(prefix="psyplan-redis-drill-")
    os.environ["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{port}/0"
    redis_proc = _redis(port, workdir)
    worker = None
    try:
        from bench.setup import configure

        env = configure()
        from django.test import Client

        from accounts.models import Notification
        from bench.pdf_bench import _start_worker
        from core.outbox import relay
        from plans.lifecycle.canonical import content_hash
        from tests.factories import PASSWORD, ClientFactory, PracticeFactory, SupervisionFactory, make_plan, staff

        practice = PracticeFactory(name="Drill Practice")
        trainee = staff(practice, is_clinician=True, requires_cosignature=True)
        supervisor = staff(practice, is_clinician=True, is_supervisor=True)
        SupervisionFactory(supervisor=supervisor, supervisee=trainee)
        plans = [make_plan(ClientFactory(primary_clinician=trainee)) for _ in range(2)]
        worker = _start_worker(1, env)
        web = Client()
        web.force_login(trainee)

        def submit(plan) -> float:
            started = time.monotonic()
            # The signing step's POST: the content it showed and the signer's password (accounts/reauth.py).
            response = web.post(f"/plans/{plan.pk}/submit/", {"content_hash": content_hash(plan), "password": PASSWORD})
            assert response.status_code == 302, response.status_code
            return time.monotonic() - started

        def notified(count: int) -> bool:
            return Notification.objects.filter(recipient=supervisor, verb="a plan awaits your review").count() >= count

        up = submit(plans[0])
        check(
            _wait(lambda: notified(1), 30), f"with Redis up, submit took {up:.2f} s and the worker delivered the notice"
        )

        redis_proc.kill()
        redis_proc.wait()
        down = submit(plans[1])
        check(down < 5, f"with Redis down, submit still answered in {down:.2f} s (bound 5 s)")
        started = time.monotonic()
        home = web.get("/").content.decode()
        page_time = time.monotonic() - started
        check(
            "Background services are unavailable" in home and page_time < 2,
            f"the next page said so, in {page_time:.2f} s",
        )
        started = time.monotonic()
        health = web.get("/healthz")
        health_time = time.monotonic() - started
        check(health.status_code == 503 and health_time < 6, f"/healthz answered 503 in {health_time:.2f} s")
        from core.models import OutboxMessage

        pending = OutboxMessage.objects.filter(sent_at__isnull=True).count()
        check(pending >= 1, f"{pending} message(s) waited in the outbox, none lost")

        redis_proc = _redis(port, workdir)
        sent, still = 0, pending
        deadline = time.monotonic() + 30
        while still and time.monotonic() < deadline:
            sent, still = relay()
            if still:
                time.sleep(1)
        check(still == 0, f"after Redis came back the relay published {sent} message(s), {still} left")
        check(_wait(lambda: notified(2), 60), "the notice queued during the outage was delivered")
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=60)
        redis_proc.kill()
    return 0 if all(ok for ok, _ in RESULTS) else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
