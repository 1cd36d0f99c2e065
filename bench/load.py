"""`make load`: 50 simulated clinicians against gunicorn on PostgreSQL and Redis, all on loopback.

1. A scratch database (psyplan_load), migrated and filled by `seed_demo --scale N`: N clients with
   signed plans and a year of reviews in "Scale Practice", shared among 50 clinicians.
2. One draft plan per clinician (built through the services), for the edits: signed plans
   cannot be edited.
3. gunicorn with several workers, Redis as broker and shared cache.
4. locust, headless, for a bounded time (bench/locustfile.py has the mix).
5. The figures: p50, p95 and p99 per request kind and overall, errors, and server errors (5xx)
   counted twice, by locust and from gunicorn's access log. Then a check that every goal the
   clients were told was saved is in the database.

PASS needs 0 server errors and 0 failed requests. Exits non-zero otherwise.
"""

import argparse
import csv
import io
import json
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

from bench import stack

# LOAD_DB_NAME lets two checkouts load-test on one server without dropping each other's database.
DATABASE = os.environ.get("LOAD_DB_NAME", "psyplan_load")
PASSWORD = "scale-password-123"  # noqa: S105 - demo.scale's synthetic clinicians (published: scratch data only)


def prepare(scale: int) -> dict:
    from django.core.management import call_command
    from django.db import connections

    from accounts.models import User
    from bench import data
    from formulation.models import Formulation
    from plans.models import TreatmentPlan

    call_command("seed_demo", scale=scale, force=True, stdout=io.StringIO())
    clinicians = []
    for user in User.objects.filter(email__startswith="scale.clinician").order_by("pk"):
        plans = list(
            TreatmentPlan.objects.filter(client__primary_clinician=user, status=TreatmentPlan.Status.ACTIVE)
            .order_by("pk")
            .values_list("pk", "client_id")[:20]
        )
        draft = data.plan(user, len(clinicians), goals=2, objectives=2, interventions=1, sign=False)
        clinicians.append(
            {
                "email": user.email,
                "plans": [p for p, _ in plans],
                "clients": [c for _, c in plans],
                "draft": draft.pk,
                "goals_before": draft.goals.count(),
                "strengths_version": Formulation.objects.get(plan=draft).section_version("strengths"),
            }
        )
    connections.close_all()
    return {"password": PASSWORD, "clinicians": clinicians}


def _stats(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def _access_statuses(path: Path) -> Counter:
    counts: Counter = Counter()
    if path.exists():
        for line in path.read_text().splitlines():
            status = line.split(" ", 1)[0]
            counts[status[0] + "xx" if status[:1].isdigit() else "?"] += 1
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=500, help="synthetic clients with signed plans (default 500)")
    parser.add_argument("--users", type=int, default=50, help="simulated clinicians (default 50)")
    parser.add_argument("--seconds", type=int, default=75, help="length of the load, bounded to 30-120 s")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (default 4)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database afterwards")
    args = parser.parse_args()
    seconds = max(30, min(args.seconds, 120))
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="psyplan-load-"))

    database_url = stack.scratch_database(DATABASE)
    queue = f"psyplan-load-{uuid.uuid4().hex[:8]}"
    env = stack.django_env(
        database_url,
        CACHE_URL=stack.REDIS_URL.replace("redis://", "rediscache://"),
        CELERY_TASK_DEFAULT_QUEUE=queue,
        PYTHONUNBUFFERED="1",
    )
    stack.setup_django(env)
    plan = prepare(args.scale)
    plan_file = work / "plan.json"
    plan_file.write_text(json.dumps(plan))
    print(
        f"data: {args.scale} clients with signed plans, {len(plan['clinicians'])} clinicians each with a draft "
        f"({time.monotonic() - started:.0f} s to build)",
        flush=True,
    )

    ok = True
    try:
        with stack.Processes() as procs:
            port = stack.free_port()
            stack.gunicorn(procs, env, port, work / "gunicorn.log", workers=args.workers)
            print(
                f"gunicorn: {args.workers} workers × 2 threads on 127.0.0.1:{port}; "
                f"locust: {args.users} users, {seconds} s"
            )
            result_file = work / "result.json"
            locust = procs.start(
                [
                    str(stack.BIN / "locust"),
                    "-f",
                    str(stack.ROOT / "bench" / "locustfile.py"),
                    "--headless",
                    "--users",
                    str(args.users),
                    "--spawn-rate",
                    "5",
                    "--run-time",
                    f"{seconds}s",
                    "--stop-timeout",
                    "15",
                    "--host",
                    f"http://{stack.LOOPBACK}:{port}",
                    "--csv",
                    str(work / "load"),
                    "--only-summary",
                    "--loglevel",
                    "WARNING",
                ],
                {**env, "LOAD_PLAN_FILE": str(plan_file), "LOAD_RESULT_FILE": str(result_file)},
                work / "locust.log",
            )
            try:
                locust.wait(timeout=seconds + 90)
            except Exception:
                print("FAIL  locust did not stop in time")
                return 1
        rows = _stats(work / "load_stats.csv")
        counted = json.loads(result_file.read_text())
        access = _access_statuses(work / "gunicorn.access")
    finally:
        from django.db import connections

        connections.close_all()

    print()
    header = f"{'request':<28} {'count':>6} {'fail':>5} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7}"
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row['Name'][:28]:<28} {row['Request Count']:>6} {row['Failure Count']:>5} {row['50%']:>7} "
            f"{row['95%']:>7} {row['99%']:>7} {float(row['Max Response Time']):>7.0f}"
        )
    total = next(r for r in rows if r["Name"] == "Aggregated")
    requests = int(total["Request Count"])
    failures = int(total["Failure Count"])
    status = counted["status"]
    server_errors = sum(v for k, v in status.items() if k == "5xx")
    server_errors_logged = access.get("5xx", 0)
    print()
    print(f"responses by class (locust): {dict(sorted((k, v) for k, v in status.items() if len(k) <= 11))}")
    print(f"responses by class (gunicorn access log): {dict(sorted(access.items()))}")
    for key in sorted(k for k in status if k.startswith("5xx ")):
        print(f"  server errors on {key[4:]}: {status[key]}")

    ok &= stack.result(
        server_errors == 0 and server_errors_logged == 0 and failures == 0 and requests > 0,
        "load",
        f"{args.users} clinicians for {seconds} s, {requests} requests ({float(total['Requests/s']):.1f}/s), "
        f"p50 {total['50%']} ms, p95 {total['95%']} ms, p99 {total['99%']} ms, "
        f"errors {failures}, server errors {server_errors} (access log {server_errors_logged})",
    )

    # Every goal a client was told was saved is there, once; no goal appeared that was not reported.
    from plans.models import Goal

    edits = counted["edits"]
    mismatched = []
    for clinician in plan["clinicians"]:
        expected = clinician["goals_before"] + edits.get(f"goals:{clinician['draft']}", 0)
        actual = Goal.objects.filter(plan_id=clinician["draft"]).count()
        if actual != expected:
            mismatched.append((clinician["draft"], expected, actual))
    from django.db import connections

    connections.close_all()
    ok &= stack.result(
        not mismatched,
        "edits persisted",
        f"{edits.get('goals', 0)} goals added and {edits.get('autosave', 0)} autosaves acknowledged; "
        f"{len(plan['clinicians']) - len(mismatched)}/{len(plan['clinicians'])} draft plans hold exactly the goals "
        f"reported saved" + (f"; mismatches (plan, expected, actual): {mismatched[:5]}" if mismatched else ""),
    )

    _forget_queue(queue)
    if not args.keep:
        stack.drop_database(database_url)
    print(f"(total {time.monotonic() - started:.0f} s; logs in {work})")
    return 0 if ok else 1


def _forget_queue(queue: str) -> None:
    """Work queued during the run (no worker here) is dropped with the scratch database."""
    import redis

    client = redis.Redis.from_url(stack.REDIS_URL, socket_timeout=3)
    client.delete(queue, f"_kombu.binding.{queue}")
    client.close()


if __name__ == "__main__":
    sys.exit(main())
