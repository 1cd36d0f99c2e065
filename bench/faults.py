"""`make faults`: fault drills, each in its own process on its own scratch database.

- worker-kill: a real Celery worker on Redis is SIGKILLed (its whole process group) in the middle of
  a bulk export of 30 plans; a new worker finishes it. Every PDF must be in the ZIP exactly once,
  the manifest must list every plan in scope once, and every file must match its SHA-256.
- pg-restart: a private, throwaway PostgreSQL cluster (initdb in a temp dir, a spare loopback
  port; the shared server on 5432 is never touched) is restarted while simulated clinicians keep
  editing through gunicorn. While it is down they must get clean 503s (no 500, no hang); then the
  same gunicorn must recover; and nothing may be half-saved: the goals in the database are exactly
  those whose save was acknowledged, each with its change-history row, and the formulation's text
  and version are those of the last acknowledged autosave.

Each drill prints PASS/FAIL lines with its figures; the exit code is non-zero if any failed.
Every loop is bounded in count and time, and everything started is stopped, even on failure.

    python -m bench.faults               # both
    python -m bench.faults worker-kill   # one
"""

import argparse
import contextlib
import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile
from http.cookiejar import CookieJar
from pathlib import Path

from bench import stack

DRILLS = ("worker-kill", "pg-restart")


# --- Worker killed mid-export -------------------------------------------------------------------


def worker_kill(plans: int = 30, kill_after: int = 4, visibility_timeout: int = 10) -> bool:
    work = Path(tempfile.mkdtemp(prefix="psyplan-faults-worker-"))
    database_url = stack.scratch_database("psyplan_faults_worker")
    queue = f"psyplan-faults-{uuid.uuid4().hex[:8]}"
    env = stack.django_env(
        database_url,
        CELERY_TASK_DEFAULT_QUEUE=queue,
        # Redis hands a killed worker's unacknowledged messages to another worker after this long.
        CELERY_VISIBILITY_TIMEOUT=str(visibility_timeout),
        PYTHONUNBUFFERED="1",
    )
    stack.setup_django(env)
    from django.core.files.storage import default_storage
    from django.db import connections

    from bench import data
    from records import exports
    from records.models import BulkExport, BulkExportItem

    started = time.monotonic()
    _, clinician, admin = data.practice_with_staff()
    for i in range(plans):
        data.plan(clinician, i, goals=2, objectives=2, interventions=1)
    print(f"worker-kill: {plans} signed plans built in {time.monotonic() - started:.0f} s", flush=True)

    ok = True
    try:
        with stack.Processes() as procs:
            first = stack.celery_worker(procs, env, work / "worker1.log", concurrency=2, name="first")
            export = exports.request_export(actor=admin)
            items = BulkExportItem.objects.filter(export=export)
            deadline = time.monotonic() + 180
            while items.filter(status="done").count() < kill_after:
                if time.monotonic() > deadline or first.poll() is not None:
                    return stack.result(False, "worker killed mid-export", f"export did not start; see {work}")
                time.sleep(0.05)
            procs.kill(first)  # SIGKILL to the worker's whole group: main process and pool children
            first.wait(timeout=10)
            killed_at = time.monotonic()
            done_at_kill = items.filter(status="done").count()
            in_flight = list(items.filter(status="pending", attempts__gt=0).values_list("pk", flat=True))
            print(
                f"worker-kill: SIGKILLed the worker group with {done_at_kill}/{plans} PDFs done, "
                f"{len(in_flight)} in flight",
                flush=True,
            )
            stack.celery_worker(procs, env, work / "worker2.log", concurrency=2, name="second")
            deadline = time.monotonic() + visibility_timeout + 240
            while BulkExport.objects.get(pk=export.pk).status != "finished":
                if time.monotonic() > deadline:
                    progress = exports.progress(export)
                    return stack.result(False, "worker killed mid-export", f"not finished: {progress}; see {work}")
                time.sleep(0.2)
            recovered_in = time.monotonic() - killed_at

        export = BulkExport.objects.get(pk=export.pk)
        in_scope = list(exports.plans_in_scope(export).values_list("client__chart_number", "version_number"))
        with default_storage.open(export.zip_path, "rb") as handle:
            content = handle.read()
        archive = zipfile.ZipFile(io.BytesIO(content))
        names = archive.namelist()
        rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
        pdf_names = [n for n in names if n != "manifest.csv"]
        verified = sum(
            1
            for row in rows
            if row["file_name"] in names
            and hashlib.sha256(archive.read(row["file_name"])).hexdigest() == row["sha256"]
            and archive.read(row["file_name"]).startswith(b"%PDF")
        )
        listed = [(r["chart_number"], int(r["plan_version"])) for r in rows]
        redelivered = items.filter(attempts__gt=1).count()
        checks = {
            "manifest rows = plans in scope": len(rows) == len(in_scope) == plans,
            "each plan listed once": sorted(listed) == sorted(in_scope) and len(set(listed)) == len(listed),
            "every row done": all(r["result"] == "done" for r in rows),
            "PDFs in ZIP unique, one per row": len(pdf_names) == len(set(pdf_names)) == len(rows),
            "SHA-256 of every file verified": verified == len(rows),
            "ZIP SHA-256 recorded": hashlib.sha256(content).hexdigest() == export.zip_sha256,
            "killed mid-export": 0 < done_at_kill < plans,
        }
        for name, passed in checks.items():
            if not passed:
                print(f"      check failed: {name}")
        ok &= stack.result(
            all(checks.values()),
            "worker killed mid-export",
            f"killed with {done_at_kill}/{plans} done and {len(in_flight)} in flight; a new worker finished "
            f"{recovered_in:.1f} s later (visibility timeout {visibility_timeout} s); manifest {len(rows)} rows "
            f"for {len(in_scope)} plans in scope, {len(set(listed))} distinct; ZIP {len(pdf_names)} PDFs, "
            f"{len(set(pdf_names))} unique, {verified} SHA-256 verified; {redelivered} items rendered twice",
        )
    finally:
        connections.close_all()
        _forget_queue(queue)
    stack.drop_database(database_url)
    return ok


def _forget_queue(queue: str) -> None:
    import redis

    with contextlib.suppress(Exception):
        client = redis.Redis.from_url(stack.REDIS_URL, socket_timeout=3)
        client.delete(queue, f"_kombu.binding.{queue}")
        client.close()


# --- PostgreSQL restart during edits --------------------------------------------------------------

# Debian's PostgreSQL programs, else whichever initdb is on PATH.
PG_BIN = Path(
    os.environ.get("PG_BIN")
    or ("/usr/lib/postgresql/15/bin" if Path("/usr/lib/postgresql/15/bin/initdb").exists() else "")
    or Path(shutil.which("initdb") or "/usr/local/bin/initdb").resolve().parent
)


class Cluster:
    """A throwaway PostgreSQL cluster in a temp dir on a spare loopback port, run as `postgres`
    (initdb refuses root). Only this drill's own data directory is ever started or stopped."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="psyplan-faults-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.port = stack.free_port()

    def _run(self, *args: str, timeout: float = 60) -> None:
        command = [str(PG_BIN / args[0]), *args[1:]]
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, timeout=timeout, capture_output=True)  # noqa: S603 - fixed programs

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "-t", "30", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


class Browser:
    """A minimal cookie-keeping HTTP client for loopback, as a browser with htmx would talk."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self) -> str:
        return next((c.value for c in self.jar if c.name == "csrftoken"), "")

    def request(self, path: str, data: dict | None = None, htmx: bool = False, timeout: float = 15):
        """Return (status, headers, body, seconds); status 0 for a connection-level failure."""
        headers = {"X-CSRFToken": self.csrf()}
        if htmx:
            headers["HX-Request"] = "true"
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers=headers)  # noqa: S310 - loopback
        start = time.monotonic()
        try:
            with self.opener.open(req, timeout=timeout) as response:
                return response.status, response.headers, response.read().decode(), time.monotonic() - start
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers, exc.read().decode(), time.monotonic() - start
        except OSError as exc:
            return 0, {}, f"{type(exc).__name__}: {exc}", time.monotonic() - start

    def login(self, email: str, password: str) -> None:
        status, _, page, _ = self.request("/accounts/login/")
        token = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
        status, _, page, _ = self.request(
            "/accounts/login/", {"username": email, "password": password, "csrfmiddlewaretoken": token}
        )
        if status != 200 or 'name="password"' in page:
            raise RuntimeError(f"sign-in failed for {email}")


class Editor(threading.Thread):
    """One clinician editing their draft without pause: adding goals and autosaving a section."""

    def __init__(self, index: int, base: str, email: str, password: str, plan_id: int, version: int, stop_at: float):
        super().__init__(daemon=True)
        self.index, self.plan_id, self.version, self.stop_at = index, plan_id, version, stop_at
        self.browser = Browser(base)
        self.email, self.password = email, password
        self.log: list[dict] = []  # every request: when, kind, status, seconds, what
        self.goals_acked: set[str] = set()
        self.goals_refused: set[str] = set()
        # A goal answered 503 is sent again, with the same form id, as a person clicks "Add goal"
        # again; a retry answered from the stored first answer had committed before the 503.
        self.pending_goal: tuple[str, str] | None = None
        self.goals_replayed = 0
        self.autosaves_acked: list[tuple[int, str]] = []  # (version after, text)
        # (expected version, text, answer) of every autosave answered 200-saved or 503.
        self.autosave_attempts: list[tuple[int, str, int]] = []
        # Saves committed just before the database went down whose answer was the 503 (the
        # page could not be re-read afterwards): found by the conflict on the next save.
        self.committed_before_503 = 0
        self.last_autosave_refused: str | None = None
        self.unclean: list[str] = []

    def run(self) -> None:
        try:
            self.browser.login(self.email, self.password)
            for n in range(2000):  # bounded in count as well as in time
                if time.monotonic() > self.stop_at:
                    break
                if n % 2 == 0:
                    self._add_goal(n)
                else:
                    self._autosave(n)
                time.sleep(0.1)
        except Exception as exc:  # noqa: BLE001 - the drill reports it, never hangs on it
            self.unclean.append(f"editor {self.index} stopped: {type(exc).__name__}: {exc}")

    def _record(self, kind: str, status: int, headers, body: str, seconds: float) -> bool:
        self.log.append({"at": time.monotonic(), "kind": kind, "status": status, "seconds": seconds})
        if status == 503:
            clean = "The database is unavailable for a moment" in body and headers.get("HX-Reswap") == "none"
            if not clean:
                self.unclean.append(f"{kind}: 503 without the htmx message")
            return False
        if status != 200:
            self.unclean.append(f"{kind}: status {status} {body[:80]!r}")
            return False
        return True

    def _add_goal(self, n: int) -> None:
        if self.pending_goal is None:
            self.pending_goal = (f"Drill goal {self.index}-{n}", uuid.uuid4().hex)
        statement, form_id = self.pending_goal
        status, headers, body, seconds = self.browser.request(
            f"/plans/{self.plan_id}/goal/add/", {"goal-new-statement": statement, "form_id": form_id}, htmx=True
        )
        if self._record("goal", status, headers, body, seconds):
            self.pending_goal = None
            if headers.get("HX-Retarget") == "#plan-structure":
                self.goals_acked.add(statement)
                self.goals_replayed += headers.get("Idempotent-Replayed") == "true"
            else:
                self.unclean.append("goal: form came back with errors")
        elif status == 503:
            self.goals_refused.add(statement)
        else:
            self.pending_goal = None

    def _autosave(self, n: int) -> None:
        text = f"Strengths, edit {self.index}-{n}"
        status, headers, body, seconds = self.browser.request(
            f"/plans/{self.plan_id}/formulation/strengths/",
            {"strengths-strengths": text, "strengths-version": self.version},
            htmx=True,
        )
        sent_version = self.version
        if not self._record("autosave", status, headers, body, seconds):
            if status == 503:
                self.autosave_attempts.append((sent_version, text, 503))
                self.last_autosave_refused = text
            return
        marker = 'name="strengths-version" value="'
        overwrite = '"overwrite_version": "'
        if "Saved at" in body and marker in body:
            self.version = int(body.split(marker, 1)[1].split('"', 1)[0])
            self.autosaves_acked.append((self.version, text))
            self.autosave_attempts.append((sent_version, text, 200))
            self.last_autosave_refused = None
        elif self.last_autosave_refused and self.last_autosave_refused in body and overwrite in body:
            # The save answered 503 had been committed, whole: the conflict shows exactly its text.
            # Do what the editor offers: save mine over it.
            self.committed_before_503 += 1
            self.last_autosave_refused = None
            self.version = int(body.split(overwrite, 1)[1].split('"', 1)[0])
        else:
            self.unclean.append(f"autosave not saved: {body[:120]!r}")


def pg_restart(editors: int = 6, before: float = 6, down: float = 4, after: float = 8) -> bool:
    cluster = Cluster()
    ok = True
    try:
        cluster.init()
        cluster.start()
        database_url = stack.scratch_database("psyplan_restart", cluster.url())
        env = stack.django_env(
            database_url,
            # Connections kept across requests go stale when the server restarts: the health
            # check (CONN_HEALTH_CHECKS) must notice, not every later request fail.
            DATABASE_CONN_MAX_AGE="60",
            PYTHONUNBUFFERED="1",
            CELERY_TASK_DEFAULT_QUEUE=f"psyplan-faults-{uuid.uuid4().hex[:8]}",
        )
        stack.setup_django(env)
        from django.db import connections

        from accounts.models import Membership, User
        from audit.models import ChangeRecord
        from bench import data
        from formulation.models import Formulation
        from plans.models import Goal

        practice, _, _ = data.practice_with_staff()
        password = "drill-password-123"  # noqa: S105 - scratch cluster, thrown away
        people = []
        history_before: dict[int, int] = {}
        for i in range(editors):
            user = User.objects.create_user(
                f"drill.clinician{i}@example.test", password, given_name=f"Drill{i}", family_name="Clinician"
            )
            Membership.objects.create(user=user, practice=practice, is_clinician=True)
            plan = data.plan(user, 100 + i, goals=1, objectives=1, interventions=1, sign=False)
            formulation = Formulation.objects.get(plan=plan)
            people.append((user.email, plan.pk, formulation.section_version("strengths")))
            history_before[formulation.pk] = _updates(ChangeRecord, formulation.pk)
        first_goal_id = Goal.objects.order_by("-pk").values_list("pk", flat=True).first()
        connections.close_all()

        work = cluster.dir
        with stack.Processes() as procs:
            port = stack.free_port()
            web = stack.gunicorn(procs, env, port, work / "gunicorn.log", workers=2, threads=2)
            workers_before = _children(web.pid)
            base = f"http://{stack.LOOPBACK}:{port}"
            stop_at = time.monotonic() + before + down + after + 20
            threads = [Editor(i, base, e, password, p, v, stop_at) for i, (e, p, v) in enumerate(people)]
            for thread in threads:
                thread.start()
            time.sleep(before)
            cluster.stop("fast")  # ends every connection, rolling back whatever was in flight
            stopped_at = time.monotonic()
            time.sleep(down / 2)
            health_down = Browser(base).request("/healthz")[0]
            time.sleep(down / 2)
            cluster.start()
            restarted_at = time.monotonic()
            time.sleep(after)
            for thread in threads:
                thread.stop_at = time.monotonic()
            for thread in threads:
                thread.join(timeout=30)
            health_up = Browser(base).request("/healthz")[0]
            same_app = web.poll() is None and _children(web.pid) == workers_before

        log = [entry | {"editor": t.index} for t in threads for entry in t.log]
        during = [e for e in log if stopped_at <= e["at"] <= restarted_at]
        after_restart = [e for e in log if e["at"] > restarted_at]
        unclean = [u for t in threads for u in t.unclean]
        refused = sum(1 for e in log if e["status"] == 503)
        slowest = max((e["seconds"] for e in log), default=0)
        first_ok = [
            min((e["at"] for e in after_restart if e["editor"] == t.index and e["status"] == 200), default=None)
            for t in threads
        ]
        recovered = all(at is not None for at in first_ok)
        recovery = max((at - restarted_at for at in first_ok if at is not None), default=float("nan"))
        tail_ok = all(all(e["status"] == 200 for e in sorted(t.log, key=lambda e: e["at"])[-4:]) for t in threads)
        ok &= stack.result(
            not unclean and refused > 0 and slowest < 10 and health_down == 503,
            "clean errors while PostgreSQL is down",
            f"{len(log)} edits by {editors} clinicians; "
            f"{len(during)} while down for {restarted_at - stopped_at:.1f} s, "
            f"{refused} answered 503 with the message, {len(unclean)} unclean (500, reset, wrong body); "
            f"slowest answer {slowest:.2f} s; /healthz {health_down} while down"
            + (f"; first problems: {unclean[:3]}" if unclean else ""),
        )
        ok &= stack.result(
            recovered and tail_ok and same_app and health_up == 200,
            "recovered without restarting the app",
            f"every clinician saved again within {recovery:.2f} s of the restart; last edits all 200: {tail_ok}; "
            f"same gunicorn master and workers: {same_app}; /healthz {health_up} after",
        )

        # No half-saved plan: the database holds exactly what was acknowledged, each write whole.
        acked = set().union(*(t.goals_acked for t in threads))
        refused_goals = set().union(*(t.goals_refused for t in threads))
        new_goals = list(Goal.objects.filter(pk__gt=first_goal_id or 0).values("pk", "statement", "plan_id", "order"))
        stored = {g["statement"] for g in new_goals}
        history = set(
            ChangeRecord.objects.filter(table="plans_goal", operation="INSERT").values_list("row_id", flat=True)
        )
        without_history = [g["pk"] for g in new_goals if str(g["pk"]) not in history]
        orders_unique = all(
            len(orders) == len(set(orders))
            for orders in _group(
                Goal.objects.filter(plan_id__in=[p for _, p, _ in people]).values_list("plan_id", "order")
            )
        )
        formulation_ok = []
        for thread, (_, plan_id, start_version) in zip(threads, people, strict=True):
            formulation = Formulation.objects.get(plan_id=plan_id)
            version = formulation.section_version("strengths")
            # Each version is one whole write with its change-history row, in the same transaction.
            updates = _updates(ChangeRecord, formulation.pk) - history_before[formulation.pk]
            # The stored text is one that was sent for the version before (saved, or answered 503).
            candidates = {text for sent, text, _ in thread.autosave_attempts if sent == version - 1}
            formulation_ok.append(
                version - start_version == updates
                and version >= start_version + len(thread.autosaves_acked)
                and formulation.strengths in candidates
            )
        connections.close_all()
        committed_503_goals = stored & refused_goals
        committed_503_autosaves = sum(t.committed_before_503 for t in threads)
        ok &= stack.result(
            acked <= stored
            and stored <= acked | refused_goals
            and len(new_goals) == len(stored)
            and not without_history
            and orders_unique
            and all(formulation_ok),
            "no half-saved plan",
            f"{len(acked)} goal adds acknowledged, all stored: {acked <= stored}; {len(new_goals)} goals stored, "
            f"each once and each one sent: {stored <= acked | refused_goals and len(new_goals) == len(stored)}; "
            f"{len(refused_goals)} answered 503 and were sent again with the same form id: "
            f"{sum(t.goals_replayed for t in threads)} had committed whole before the database went down and "
            f"their retry got the stored first answer (no second goal), {len(committed_503_goals)} are stored "
            f"(once each) and {len(refused_goals - stored)} left no trace (the run ended before the retry); "
            f"{committed_503_autosaves} autosaves likewise, each found whole by the next save's conflict; "
            f"{len(new_goals) - len(without_history)}/{len(new_goals)} with their change-history row; "
            f"goal order unique in every plan: {orders_unique}; "
            f"formulation version = its change-history rows and its text one sent for that version in "
            f"{sum(formulation_ok)}/{editors} plans "
            f"({sum(len(t.autosaves_acked) for t in threads)} autosaves acknowledged)",
        )
    except Exception as exc:
        ok = stack.result(False, "PostgreSQL restart during edits", f"{type(exc).__name__}: {exc}")
        raise
    finally:
        cluster.destroy()
    return ok


def _updates(model, formulation_id: int) -> int:
    return model.objects.filter(table="formulation_formulation", operation="UPDATE", row_id=str(formulation_id)).count()


def _children(pid: int) -> set[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)  # noqa: S603,S607
    return {int(p) for p in out.stdout.split()}


def _group(pairs) -> list[list]:
    grouped: dict = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    return list(grouped.values())


# --- Driver ---------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("drill", nargs="?", choices=DRILLS, help="run one drill (default: each, in its own process)")
    args = parser.parse_args()
    if args.drill == "worker-kill":
        return 0 if worker_kill() else 1
    if args.drill == "pg-restart":
        return 0 if pg_restart() else 1
    # Each drill configures Django for its own database, so each runs in a fresh process.
    failed = []
    for drill in DRILLS:
        started = time.monotonic()
        try:
            code = subprocess.run(  # noqa: S603 - this module, fixed arguments
                [sys.executable, "-m", "bench.faults", drill], cwd=stack.ROOT, timeout=600
            ).returncode
        except subprocess.TimeoutExpired:
            code = -1
            print(f"FAIL  {drill}: did not finish in 600 s")
        print(f"({drill}: {time.monotonic() - started:.0f} s)\n", flush=True)
        if code != 0:
            failed.append(drill)
    print(json.dumps({"failed": failed}) if failed else "All fault drills passed.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
