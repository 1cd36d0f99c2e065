"""Bulk export of a practice that has grown: BENCH_EXPORT_PLANS plans (3,000 unless set), built
with `seed_demo --scale`, exported whole by a real Celery worker of concurrency 2, and a tenth of it by workers of
concurrency 1 and 2.

Rows: the full export's total time and rate; plans per second with two workers against one, on
the tenth (the rate per plan does not depend on the practice's size, and a full one-worker export
of 3,000 plans would add an hour and a half; BENCH_EXPORT_FULL_ONE_WORKER=1 runs it anyway); peak
worker memory (the worker's whole
process tree, sampled every 0.2 s) for the full export against a tenth of it; and peak web memory
while the full ZIP is downloaded through the real view (gunicorn, one sync worker) against while
the tenth is, which stays flat because the ZIP is written to and served from disk.
"""

import os
import shutil
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path

import psutil

from bench import stack
from bench.report import Table

PLANS = int(os.environ.get("BENCH_EXPORT_PLANS", "3000"))
FULL_ONE_WORKER = os.environ.get("BENCH_EXPORT_FULL_ONE_WORKER", "") == "1"
PASSWORD = "bench-password-123"  # noqa: S105 - a scratch database's synthetic admin
MIB = 1024 * 1024


class PeakRSS(threading.Thread):
    """The highest resident memory of a process and its children, sampled every `interval` seconds."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.root, self.interval = psutil.Process(pid), interval
        self.peak_tree = self.peak_process = 0
        self._done = threading.Event()

    def sample(self) -> None:
        try:
            procs = [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        sizes = []
        for proc in procs:
            try:
                sizes.append(proc.memory_info().rss)
            except psutil.NoSuchProcess:
                continue
        if sizes:
            self.peak_tree = max(self.peak_tree, sum(sizes))
            self.peak_process = max(self.peak_process, max(sizes))

    def run(self) -> None:
        while not self._done.is_set():
            self.sample()
            self._done.wait(self.interval)

    def __enter__(self) -> "PeakRSS":
        self.sample()
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self.join()


@dataclass
class ExportRun:
    plans: int
    seconds: float
    peak_tree: int
    peak_process: int

    @property
    def rate(self) -> float:
        return self.plans / self.seconds


def run_export(admin, concurrency: int, env: dict, logs: Path, **filters) -> ExportRun:
    """One whole bulk export by a fresh worker of `concurrency` processes, timed from the request
    to the finished ZIP, with the worker tree's peak memory over that time."""
    from records import exports
    from records.models import BulkExport

    with stack.Processes() as procs:
        worker = stack.celery_worker(
            procs, env, logs / f"worker-c{concurrency}.log", concurrency, f"export{concurrency}"
        )
        with PeakRSS(worker.pid) as memory:
            start = time.perf_counter()
            export = exports.request_export(actor=admin, **filters)
            # Generous: a shared two-core machine has rendered as slowly as one plan in 3 s per process.
            deadline = start + 600 + 10 * export.total
            while BulkExport.objects.filter(pk=export.pk).values_list("status", flat=True).get() != "finished":
                if time.perf_counter() > deadline or worker.poll() is not None:
                    raise RuntimeError(f"bulk export of {export.total} plans did not finish; see {logs}")
                time.sleep(0.2)
            elapsed = time.perf_counter() - start
    return ExportRun(export.total, elapsed, memory.peak_tree, memory.peak_process)


def _admin(practice):
    from accounts.models import Membership, User

    admin = User.objects.create_user("scale.admin@example.test", PASSWORD, given_name="Scale", family_name="Admin")
    Membership.objects.create(user=admin, practice=practice, is_practice_admin=True)
    # The bench signs in through the form and has no second factor to give.
    practice.require_two_factor_for_admins = False
    practice.save(update_fields=["require_two_factor_for_admins"])
    return admin


def _seed(plans: int) -> float:
    from django.core.management import call_command

    start = time.perf_counter()
    # DEBUG is off on the bench, which seed_demo refuses without --force; this database is scratch.
    call_command("seed_demo", "--scale", str(plans), "--force", stdout=open(os.devnull, "w"))  # noqa: SIM115
    return time.perf_counter() - start


class _Browser:
    def __init__(self, base: str) -> None:
        self.base, self.jar = base, CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def open(self, path: str, data: dict | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        token = next((c.value for c in self.jar if c.name == "csrftoken"), "")
        request = urllib.request.Request(self.base + path, data=body, headers={"X-CSRFToken": token})  # noqa: S310
        return self.opener.open(request, timeout=120)

    def sign_in(self, email: str) -> None:
        page = self.open("/accounts/login/").read().decode()
        token = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
        with self.open(
            "/accounts/login/", {"username": email, "password": PASSWORD, "csrfmiddlewaretoken": token}
        ) as r:
            if 'name="password"' in r.read().decode():
                raise RuntimeError(f"sign-in failed for {email}")


def download_peaks(admin, export_ids: list[int], env: dict, logs: Path) -> list[tuple[int, int, int]]:
    """For each export: (bytes downloaded, peak RSS of the gunicorn tree, its RSS just before)."""
    web_env = env | {"DJANGO_SECURE_COOKIES": "false", "DJANGO_HSTS_SECONDS": "0"}
    port = stack.free_port()
    results = []
    with stack.Processes() as procs:
        server = stack.gunicorn(procs, web_env, port, logs / "gunicorn.log", workers=1, threads=1)
        browser = _Browser(f"http://{stack.LOOPBACK}:{port}")
        browser.sign_in(admin.email)
        for export_id in export_ids:
            with PeakRSS(server.pid, interval=0.05) as memory:
                before = memory.peak_tree
                size = 0
                with browser.open(f"/plans/exports/{export_id}/download/") as response:
                    while chunk := response.read(256 * 1024):
                        size += len(chunk)
            results.append((size, memory.peak_tree, before))
    return results


def run(table: Table, env: dict) -> None:
    from accounts.models import Practice
    from records.models import BulkExport

    logs = Path(tempfile.mkdtemp(prefix="psyplan-bench-export-"))
    small = max(1, PLANS // 10)
    # A tenth first, exported once, then the rest: the same practice at two sizes.
    seeding = _seed(small)
    print(f"export: {small} plans seeded in {seeding:.0f} s", flush=True)
    admin = _admin(Practice.objects.get(name="Scale Practice"))
    tenth = run_export(admin, 2, env, logs)
    tenth_one = run_export(admin, 1, env, logs)
    print(
        f"export: {tenth.plans} plans, 2 workers {tenth.seconds:.0f} s, 1 worker {tenth_one.seconds:.0f} s", flush=True
    )
    seeding += _seed(PLANS - small)
    full = run_export(admin, 2, env, logs)
    full_one = run_export(admin, 1, env, logs) if FULL_ONE_WORKER else None
    print(
        f"export: {PLANS} plans seeded in {seeding:.0f} s; 2 workers {full.seconds:.0f} s, {full.rate:.2f} plans/s"
        + (f"; 1 worker {full_one.seconds:.0f} s, {full_one.rate:.2f} plans/s" if full_one else ""),
        flush=True,
    )
    table.add(
        f"Bulk export of {full.plans:,} plans, 2 workers, rate vs the {tenth.plans:,}-plan export",
        full.rate / tenth.rate,
        "(flat; ≈ 1×)",
        f"{full.seconds / 60:.1f} min in all ({full.rate:.2f} plans/s); {tenth.plans:,} plans "
        f"{tenth.seconds:.0f} s ({tenth.rate:.2f} plans/s); seeded in {seeding:.0f} s",
    )
    one, two = (full_one, full) if full_one else (tenth_one, tenth)
    table.add(
        f"Bulk export of {one.plans:,} plans, 2 workers vs 1",
        two.rate / one.rate,
        "(scaling; 2 cores)",
        f"1 worker {one.seconds:.0f} s ({one.rate:.2f} plans/s), "
        f"2 workers {two.seconds:.0f} s ({two.rate:.2f} plans/s)",
    )
    table.add(
        f"Peak worker memory, {full.plans:,}-plan export vs {tenth.plans:,}-plan (2 workers)",
        full.peak_tree / tenth.peak_tree,
        "≤ 1.5×",
        f"tree {tenth.peak_tree / MIB:.0f} → {full.peak_tree / MIB:.0f} MiB, largest process "
        f"{tenth.peak_process / MIB:.0f} → {full.peak_process / MIB:.0f} MiB; "
        f"1 worker {one.peak_tree / MIB:.0f} MiB ({one.plans:,} plans)",
    )
    finished = BulkExport.objects.filter(requested_by=admin, status="finished").order_by("pk")
    small_export, full_export = finished.first(), finished.last()
    (small_size, small_peak, small_before), (full_size, full_peak, full_before) = download_peaks(
        admin, [small_export.pk, full_export.pk], env, logs
    )
    table.add(
        f"Peak web memory downloading {full.plans:,}-plan ZIP vs {tenth.plans:,}-plan ZIP",
        full_peak / small_peak,
        "≤ 1.2×",
        f"{small_size / MIB:.1f} MiB ZIP: peak {small_peak / MIB:.0f} MiB (+{(small_peak - small_before) / MIB:.1f}); "
        f"{full_size / MIB:.1f} MiB ZIP: peak {full_peak / MIB:.0f} MiB (+{(full_peak - full_before) / MIB:.1f})",
    )
    # Thousands of PDFs and two large ZIPs: the scratch media goes with the run.
    shutil.rmtree(Path(env["PRIVATE_MEDIA_ROOT"]) / "exports", ignore_errors=True)
