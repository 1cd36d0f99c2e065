"""`make load`: the capacity of one server, found by stepping the offered load until it gives.

1. A scratch database (LOAD_DB_NAME, default psyplan_load), migrated and filled by `seed_demo
   --scale N`: N clients with signed plans and a year of reviews in "Scale Practice", shared among
   50 clinicians. For every simulated user a draft plan of its own (built through the services:
   signed plans cannot be edited), and for every questionnaire the load may submit a client link
   of its own (`participation.services.create_link`, handed over, PHQ-9 and GAD-7).
2. gunicorn as production runs it (docker-compose.yml: 3 sync workers), one Celery worker
   (concurrency 2, as production), Redis as broker and shared cache, PostgreSQL, all on loopback.
   gunicorn trusts one proxy's X-Forwarded-For (PSYPLAN_TRUSTED_PROXIES=1, as .env.example behind
   one proxy), so each simulated phone answering a link is throttled on its own address, as in
   production; the throttle's limits are not changed.
3. locust, headless, with the mix of bench/locustfile.py (lists, plan pages, edits, session
   notes, questionnaire submissions, a few PDFs) at known offered rates: steps of --rates req/s
   (users on constant pacing), each --step-seconds measured after a settle time, until p95
   passes --p95-ms or an error appears, then one step more to show the knee.
4. While it runs, the CPU of each process group is sampled every second: gunicorn (master and
   workers), the Celery worker, PostgreSQL (the postmaster and every backend it started: the
   whole server, so on a shared machine other databases' work too), locust itself (it shares
   the cores: discount it), and the machine. gunicorn's access log gives the server-side 5xx
   and how busy its workers were (the sum of request times over workers × seconds).
5. The table: per step the rate offered and achieved, p50, p95, p99, errors, 5xx and the CPU
   shares; then the highest sustained rate and what it means at one action per 20 s per
   clinician, and which resource saturated first. Then a check that every write reported saved
   (goals on the drafts, sessions, signed notes, submitted questionnaires) is in the database.

Exits 0 when the table was produced with no error below the knee; non-zero on any error or server
error at a step below the knee, if the first step already fails, or if a write went missing.
"""

import argparse
import io
import json
import math
import os
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

from bench import stack

# LOAD_DB_NAME lets two checkouts load-test on one server without dropping each other's database.
DATABASE = os.environ.get("LOAD_DB_NAME", "psyplan_load")
PASSWORD = "scale-password-123"  # noqa: S105 - demo.scale's synthetic clinicians (published: scratch data only)
# One request per user every PACING seconds: users = rate × PACING (and as many drafts). Four times
# the 500 ms a sustained step allows, so a user keeps offering its rate up to the knee and a little
# past it; a user waiting longer than PACING for an answer offers less (the step is not sustained).
PACING = 2.0
RATES = "1,2,4,6,8,12,16,24,32,48,64"
ACTION_SECONDS = 20  # one action per clinician every 20 s: a busy clinician at the keyboard
# Share of requests that start a questionnaire, with room to spare (bench/locustfile.py's weights).
QUESTIONNAIRE_SHARE = 0.02


def prepare(scale: int, slots: int, links: int) -> dict:
    from django.core.management import call_command
    from django.db import connections

    from accounts.models import User
    from bench import data
    from clients.models import Client
    from formulation.models import Formulation
    from participation import services as participation
    from participation.models import ClientLink
    from plans.models import TreatmentPlan

    began = time.monotonic()
    call_command("seed_demo", scale=scale, force=True, stdout=io.StringIO())
    seeded = time.monotonic()
    clinicians = list(User.objects.filter(email__startswith="scale.clinician").order_by("pk"))
    caseloads = {}
    for user in clinicians:
        plans = list(
            TreatmentPlan.objects.filter(client__primary_clinician=user, status=TreatmentPlan.Status.ACTIVE)
            .order_by("pk")
            .values_list("pk", "client_id")[:20]
        )
        caseloads[user.pk] = plans
    # Users beyond the 50 clinicians sign in as one of them again, each on a draft of its own, so
    # that no two users autosave the same section (a stale version would be a failed request).
    entries = []
    for index in range(slots):
        user = clinicians[index % len(clinicians)]
        draft = data.plan(user, index, goals=2, objectives=2, interventions=1, sign=False)
        entries.append(
            {
                "email": user.email,
                "plans": [p for p, _ in caseloads[user.pk]],
                "clients": [c for _, c in caseloads[user.pk]],
                "draft": draft.pk,
                "goals_before": draft.goals.count(),
                "strengths_version": Formulation.objects.get(plan=draft).section_version("strengths"),
            }
        )
    drafted = time.monotonic()
    pool = []
    # The scale clients (the drafts' own clients are kept for the edits).
    scale_clients = list(
        Client.objects.filter(primary_clinician__in=clinicians, chart_number__startswith="S-")
        .active()
        .select_related("primary_clinician")
        .order_by("pk")
    )
    for index in range(links):
        client = scale_clients[index % len(scale_clients)]
        _, path = participation.create_link(
            actor=client.primary_clinician,
            client=client,
            purpose=ClientLink.Purpose.QUESTIONNAIRES,
            delivery=ClientLink.Delivery.HAND,
            measure_codes=["phq9", "gad7"],
        )
        pool.append({"path": path, "date_of_birth": client.date_of_birth.isoformat()})
    counts = _write_counts()
    connections.close_all()
    print(
        f"data: seed_demo --scale {scale} {seeded - began:.0f} s, {slots} drafts {drafted - seeded:.0f} s, "
        f"{links} links {time.monotonic() - drafted:.0f} s",
        flush=True,
    )
    return {"password": PASSWORD, "slots": entries, "links": pool, "counts": counts}


def _write_counts() -> dict:
    """What the load's writes add to, counted before and after."""
    from notes.models import NoteSignature, TherapySession
    from participation.models import ClientLink

    return {
        "sessions": TherapySession.objects.count(),
        "notes signed": NoteSignature.objects.count(),
        "questionnaires": ClientLink.objects.filter(status=ClientLink.Status.DONE).count(),
    }


# --- CPU per process group -------------------------------------------------------------------


def _tree_seconds(pid: int | None) -> float:
    """CPU seconds of a process and all its descendants, living and reaped."""
    import psutil

    if pid is None:
        return 0.0
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0.0
    for proc in procs:
        try:
            t = proc.cpu_times()
        except psutil.Error:
            continue
        # A reaped child's time is in its parent's children_* (a backend per request, in the postmaster's).
        total += t.user + t.system + t.children_user + t.children_system
    return total


def _postmaster_pid(database_url: str) -> int | None:
    """The shared server's postmaster, from its own pid file (root can read it here)."""
    import psycopg

    try:
        with psycopg.connect(database_url, connect_timeout=5) as conn:
            data_directory = conn.execute("SHOW data_directory").fetchone()[0]
        return int(Path(data_directory, "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, psycopg.Error):
        return None


class Sampler(threading.Thread):
    """Every second: CPU seconds per group, the machine's busy seconds, the access log's length."""

    def __init__(self, groups: dict[str, int | None], access_log: Path):
        super().__init__(daemon=True)
        self.groups, self.access_log = groups, access_log
        self.samples: list[dict] = []
        self.done = threading.Event()

    def sample(self) -> dict:
        import psutil

        machine = psutil.cpu_times()
        row = {name: _tree_seconds(pid) for name, pid in self.groups.items()}
        row["machine"] = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)
        row["t"] = time.time()
        row["access"] = self.access_log.stat().st_size if self.access_log.exists() else 0
        return row

    def run(self) -> None:
        while not self.done.is_set():
            self.samples.append(self.sample())
            self.done.wait(1.0)
        self.samples.append(self.sample())

    def between(self, start: float, end: float) -> tuple[dict, dict] | None:
        inside = [s for s in self.samples if start - 0.5 <= s["t"] <= end + 0.5]
        return (inside[0], inside[-1]) if len(inside) >= 2 else None


def _access_window(path: Path, first: dict, last: dict) -> tuple[Counter, float]:
    """Status classes and the sum of request times (s) of the access log lines between two samples."""
    counts: Counter = Counter()
    busy = 0.0
    with open(path, "rb") as handle:
        handle.seek(first["access"])
        chunk = handle.read(max(0, last["access"] - first["access"])).decode(errors="replace")
    for line in chunk.splitlines():
        parts = line.split(" ")
        if parts and parts[0][:1].isdigit():
            counts[parts[0][0] + "xx"] += 1
            if len(parts) >= 4 and parts[3].isdigit():
                busy += int(parts[3]) / 1e6
    return counts, busy


def _access_statuses(path: Path) -> Counter:
    counts: Counter = Counter()
    if path.exists():
        for line in path.read_text().splitlines():
            status = line.split(" ", 1)[0]
            counts[status[0] + "xx" if status[:1].isdigit() else "?"] += 1
    return counts


# --- The run ---------------------------------------------------------------------------------


def _rates(text: str, max_rate: float) -> list[float]:
    rates = sorted({float(r) for r in text.split(",") if r.strip()})
    rates = [r for r in rates if 0 < r <= max_rate]
    if not rates:
        raise SystemExit(f"No step at or under --max-rate {max_rate:g} in --rates {text!r}.")
    return rates


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=500, help="synthetic clients with signed plans (default 500)")
    parser.add_argument("--rates", default=RATES, help=f"offered req/s of the steps, in order (default {RATES})")
    parser.add_argument("--max-rate", type=float, default=64, help="highest step to try, req/s (default 64)")
    parser.add_argument(
        "--step-seconds", type=int, default=40, help="measured length of each step, bounded to 15-120 s (default 40)"
    )
    parser.add_argument(
        "--settle-seconds", type=int, default=8, help="unmeasured start of each step, new users signing in (default 8)"
    )
    parser.add_argument("--p95-ms", type=float, default=500, help="the p95 a sustained step stays within (default 500)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes (default 3, as production)")
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per gunicorn worker (default 1: the sync worker, as production)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch database afterwards")
    args = parser.parse_args()
    step_seconds = max(15, min(args.step_seconds, 120))
    settle = max(3, min(args.settle_seconds, 30))
    rates = _rates(args.rates, args.max_rate)
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="psyplan-load-"))
    cores = os.cpu_count() or 1

    slots = max(math.ceil(r * PACING) for r in rates)
    links = math.ceil(sum(rates) * step_seconds * QUESTIONNAIRE_SHARE) + 20
    database_url = stack.scratch_database(DATABASE)
    queue = f"psyplan-load-{uuid.uuid4().hex[:8]}"
    env = stack.django_env(
        database_url,
        CACHE_URL=stack.REDIS_URL.replace("redis://", "rediscache://"),
        CELERY_TASK_DEFAULT_QUEUE=queue,
        PSYPLAN_TRUSTED_PROXIES="1",
        PYTHONUNBUFFERED="1",
    )
    stack.setup_django(env)
    plan = prepare(args.scale, slots, links)
    plan_file = work / "plan.json"
    plan_file.write_text(json.dumps(plan))
    print(
        f"data: {args.scale} clients with signed plans; {slots} users' drafts over 50 clinicians; "
        f"{links} questionnaire links ({time.monotonic() - started:.0f} s to build)",
        flush=True,
    )

    result_file = work / "result.json"
    access_log = work / "gunicorn.access"
    try:
        with stack.Processes() as procs:
            port = stack.free_port()
            web = stack.gunicorn(procs, env, port, work / "gunicorn.log", workers=args.workers, threads=args.threads)
            worker = stack.celery_worker(procs, env, work / "worker.log", concurrency=2)
            print(
                f"gunicorn: {args.workers} workers × {args.threads} thread(s) on 127.0.0.1:{port}; one Celery worker "
                f"(concurrency 2); steps {', '.join(f'{r:g}' for r in rates)} req/s, {settle} s settle + "
                f"{step_seconds} s measured each, users at one request per {PACING:g} s; {cores} cores",
                flush=True,
            )
            locust = procs.start(
                [
                    str(stack.BIN / "locust"),
                    "-f",
                    str(stack.ROOT / "bench" / "locustfile.py"),
                    "--headless",
                    "--stop-timeout",
                    "10",
                    "--host",
                    f"http://{stack.LOOPBACK}:{port}",
                    "--only-summary",
                    "--loglevel",
                    "WARNING",
                ],
                {
                    **env,
                    "LOAD_PLAN_FILE": str(plan_file),
                    "LOAD_RESULT_FILE": str(result_file),
                    "LOAD_PACING": str(PACING),
                    "LOAD_STEPS": ",".join(f"{r:g}" for r in rates),
                    "LOAD_STEP_SECONDS": str(step_seconds),
                    "LOAD_SETTLE_SECONDS": str(settle),
                    "LOAD_P95_MS": str(args.p95_ms),
                },
                work / "locust.log",
            )
            sampler = Sampler(
                {
                    "web": web.pid,
                    "worker": worker.pid,
                    "postgres": _postmaster_pid(database_url),
                    "locust": locust.pid,
                },
                access_log,
            )
            sampler.start()
            budget = len(rates) * (step_seconds + settle) + 10 + 120
            try:
                locust.wait(timeout=budget)
            except Exception:
                print(f"FAIL  locust did not stop within {budget} s (see {work / 'locust.log'})")
                return 1
            finally:
                sampler.done.set()
                sampler.join(timeout=10)
        counted = json.loads(result_file.read_text())
        access = _access_statuses(access_log)
    finally:
        from django.db import connections

        connections.close_all()

    rows = counted["steps"]
    if not rows:
        print(f"FAIL  no step finished (see {work / 'locust.log'})")
        return 1
    for row in rows:
        window = sampler.between(*row["window"])
        row["cpu"], row["web_busy"], row["access_5xx"] = {}, None, 0
        if window is not None:
            first, last = window
            seconds = last["t"] - first["t"]
            for name in ("web", "worker", "postgres", "locust", "machine"):
                # Never below 0: a child gone but not yet reaped leaves its parent's tree for a moment.
                row["cpu"][name] = max(0.0, 100 * (last[name] - first[name]) / seconds / cores)
            ours = sum(row["cpu"][n] for n in ("web", "worker", "postgres", "locust"))
            row["cpu"]["other"] = max(0.0, row["cpu"]["machine"] - ours)
            statuses, busy = _access_window(access_log, first, last)
            row["web_busy"] = 100 * busy / (args.workers * args.threads * seconds)
            row["access_5xx"] = statuses.get("5xx", 0)

    ok = _report(rows, counted, args, cores)
    status = counted["status"]
    print(f"responses by class (locust): {dict(sorted((k, v) for k, v in status.items() if len(k) <= 11))}")
    print(f"responses by class (gunicorn access log): {dict(sorted(access.items()))}")
    for key in sorted(k for k in status if k.startswith("5xx ")):
        print(f"  server errors on {key[4:]}: {status[key]}")
    if counted["links_ran_out"]:
        print(f"  questionnaire links ran out {counted['links_ran_out']} times (a client list was opened instead)")

    ok &= _persisted(plan, counted)
    _forget_queue(queue)
    if not args.keep:
        stack.drop_database(database_url)
    print(f"(total {time.monotonic() - started:.0f} s; logs in {work})")
    return 0 if ok else 1


def _report(rows: list[dict], counted: dict, args, cores: int) -> bool:
    header = (
        f"{'step':>4} {'offered':>7} {'users':>5} {'achieved':>8} {'p50 ms':>6} {'p95 ms':>6} {'p99 ms':>6} "
        f"{'errors':>6} {'5xx':>4} {'web busy':>8} | CPU % of {cores} cores: {'web':>4} {'worker':>6} "
        f"{'pg*':>4} {'locust':>6} {'other':>5} {'total':>5}"
    )
    print()
    print(header)
    print("-" * len(header))
    for row in rows:
        cpu = row["cpu"]

        def pct(name, cpu=cpu):
            return f"{cpu[name]:.0f}" if name in cpu else "?"

        busy = f"{row['web_busy']:.0f}%" if row["web_busy"] is not None else "?"
        mark = "" if row["sustained"] else "  <- not sustained"
        print(
            f"{row['step']:>4} {row['offered']:>7g} {row['users']:>5} {row['achieved']:>8.1f} {row['p50']:>6.0f} "
            f"{row['p95']:>6.0f} {row['p99']:>6.0f} {row['errors']:>6} {row['server_errors']:>4} {busy:>8} | "
            f"{'':>19}{pct('web'):>4} {pct('worker'):>6} {pct('postgres'):>4} {pct('locust'):>6} "
            f"{pct('other'):>5} {pct('machine'):>5}{mark}"
        )
    print(
        "offered and achieved in req/s (clinicians' requests and their clients' questionnaire pages); web busy: "
        "gunicorn's request time over workers × seconds;\npg*: the whole PostgreSQL server (on a shared machine, "
        "other databases too); other: the rest of the machine; locust shares the cores, discount it."
    )
    for row in rows:
        if row["errors"]:
            print(f"  step {row['step']} errors: {row['error_kinds']}")

    knee = counted["knee"]
    below = rows if knee is None else rows[:knee]
    # The latency knee: past it errors may be overload; before it any error is a fault.
    latency_knee = next(
        (i for i, r in enumerate(rows) if r["p95"] > args.p95_ms or r["achieved"] < 0.9 * r["offered"]), len(rows)
    )
    faulty = [r for r in rows[:latency_knee] if r["errors"] or r["server_errors"] or r["access_5xx"]]
    print()
    at = rows[knee] if knee is not None else rows[-1]
    if not below:
        first = rows[0]
        print(f"saturated first: {_saturated(first, args, cores)} (at step 1, {first['offered']:g} req/s offered)")
        _by_kind(first)
        stack.result(
            False,
            "capacity",
            f"the first step ({first['offered']:g} req/s) already fails: achieved {first['achieved']:.1f} req/s, "
            f"p95 {first['p95']:.0f} ms, errors {first['errors']}",
        )
        return False
    best = below[-1]
    clinicians = round(best["achieved"] * ACTION_SECONDS)
    beyond = "" if knee is not None else f" (no knee up to {rows[-1]['offered']:g} req/s: at least this)"
    print(
        f"highest sustained rate: {best['achieved']:.1f} req/s (offered {best['offered']:g}; p50 {best['p50']:.0f} ms, "
        f"p95 {best['p95']:.0f} ms, p99 {best['p99']:.0f} ms, {best['errors']} errors){beyond}"
    )
    print(
        f"  -> one {cores}-core server carries {clinicians} clinicians at one action per {ACTION_SECONDS} s "
        f"({best['achieved']:.1f} req/s × {ACTION_SECONDS} s)"
    )
    print(f"saturated first: {_saturated(at, args, cores)} (at step {at['step']}, {at['offered']:g} req/s offered)")
    _by_kind(best)
    if at is not best:
        _by_kind(at)
    ok = stack.result(
        not faulty,
        "capacity",
        f"{len(rows)} steps, knee at "
        + (f"{rows[knee]['offered']:g} req/s" if knee is not None else "none")
        + (
            f"; errors below the knee at {', '.join(format(r['offered'], 'g') for r in faulty)} req/s"
            if faulty
            else "; 0 errors and 0 server errors at every step below the knee"
        ),
    )
    return ok


def _by_kind(row: dict) -> None:
    print(
        f"  by kind at {row['offered']:g} req/s (requests, p50, p95): "
        + "; ".join(f"{k} {v['count']}, {v['p50']:.0f}, {v['p95']:.0f} ms" for k, v in row["kinds"].items())
    )


def _saturated(row: dict, args, cores: int) -> str:
    """The resource nearest its ceiling: each group's CPU against what it can use, the machine, the workers."""
    cpu = row["cpu"]
    if not cpu:
        return "unknown (no CPU samples)"
    web_cores = min(args.workers, cores) if args.threads == 1 else cores
    ceilings = {
        "CPU of web (gunicorn)": cpu["web"] * cores / 100 / web_cores,
        "CPU of the Celery worker": cpu["worker"] * cores / 100 / min(2, cores),
        "CPU of PostgreSQL": cpu["postgres"] / 100,
        "the machine's CPU": cpu["machine"] / 100,
        "gunicorn's workers (all busy)": (row["web_busy"] or 0) / 100,
    }
    name, share = max(ceilings.items(), key=lambda item: item[1])
    parts = ", ".join(f"{n} {100 * s:.0f}%" for n, s in ceilings.items())
    detail = ""
    if name == "the machine's CPU":
        groups = {"web": cpu["web"], "worker": cpu["worker"], "PostgreSQL": cpu["postgres"], "locust": cpu["locust"]}
        top = max(groups, key=groups.get)
        detail = f"; of it {top} took the most ({groups[top]:.0f}% of the machine), other processes {cpu['other']:.0f}%"
    return f"{name}, {100 * share:.0f}% of its ceiling{detail} [{parts}]"


def _persisted(plan: dict, counted: dict) -> bool:
    """Every write a user was told was saved is there, once; nothing appeared that was not reported."""
    from plans.models import Goal

    edits = counted["edits"]
    mismatched = []
    for slot in plan["slots"]:
        expected = slot["goals_before"] + edits.get(f"goals:{slot['draft']}", 0)
        actual = Goal.objects.filter(plan_id=slot["draft"]).count()
        if actual != expected:
            mismatched.append((slot["draft"], expected, actual))
    after = _write_counts()
    added = {name: after[name] - before for name, before in plan["counts"].items()}
    wrong = {name: (edits.get(name, 0), n) for name, n in added.items() if n != edits.get(name, 0)}
    from django.db import connections

    connections.close_all()
    return stack.result(
        not mismatched and not wrong,
        "edits persisted",
        f"{edits.get('goals', 0)} goals added and {edits.get('autosave', 0)} autosaves acknowledged; "
        f"{len(plan['slots']) - len(mismatched)}/{len(plan['slots'])} draft plans hold exactly the goals "
        "reported saved; "
        + ", ".join(f"{name} {n} reported, {added[name]} stored" for name, n in ((k, edits.get(k, 0)) for k in added))
        + f" ({edits.get('note autosaves', 0)} note autosaves, {edits.get('alerts', 0)} risk alerts raised)"
        + (f"; goal mismatches (plan, expected, actual): {mismatched[:5]}" if mismatched else "")
        + (f"; writes (reported, stored): {wrong}" if wrong else ""),
    )


def _forget_queue(queue: str) -> None:
    """Work left queued at the end is dropped with the scratch database."""
    import redis

    client = redis.Redis.from_url(stack.REDIS_URL, socket_timeout=3)
    client.delete(queue, f"_kombu.binding.{queue}")
    client.close()


if __name__ == "__main__":
    sys.exit(main())
