"""PDF benchmarks: one typical plan against raw WeasyPrint on the same HTML, bulk-export
throughput with 1 and 2 worker processes for a small practice, and memory after 200 PDFs against
after 10. The redis drill starts its worker with `_start_worker`."""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import data
from bench.report import Table, p50, timed

ROOT = Path(__file__).resolve().parent.parent


def render_vs_raw(table: Table, plan) -> None:
    from django.core.cache import cache
    from weasyprint import HTML

    from records import pdf

    html = pdf.render_html(plan)
    for _ in range(3):
        pdf.render_pdf(plan)
        HTML(string=html).write_pdf()
    raw = timed(lambda: HTML(string=html).write_pdf(), 20)
    warm = timed(lambda: pdf.render_pdf(plan), 20)

    def cold():
        cache.clear()
        pdf.render_pdf(plan)

    cold_samples = timed(cold, 20)
    table.add(
        "PDF, typical plan (chart cached) vs raw WeasyPrint",
        p50(warm) / p50(raw),
        "≤ 1.15×",
        f"p50 {p50(warm) * 1000:.0f} ms vs raw {p50(raw) * 1000:.0f} ms",
    )
    table.add(
        "PDF, typical plan (chart drawn) vs raw WeasyPrint",
        p50(cold_samples) / p50(raw),
        "(reference)",
        f"p50 {p50(cold_samples) * 1000:.0f} ms vs raw {p50(raw) * 1000:.0f} ms",
    )


def _start_worker(concurrency: int, env: dict) -> subprocess.Popen:
    args = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "-c",
        str(concurrency),
        "-P",
        "prefork",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-l",
        "INFO",
    ]
    proc = subprocess.Popen(  # noqa: S603 - our own worker, fixed arguments
        args, cwd=ROOT, env=os.environ | env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if "ready." in line:
            return proc
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise RuntimeError("The Celery worker did not start.")


def bulk_throughput(table: Table, admin, plans: int, env: dict) -> None:
    """A small practice's export, 2 workers against 1 (bench/export_bench.py does a large one)."""
    from bench.export_bench import run_export

    logs = Path(tempfile.mkdtemp(prefix="psyplan-bench-pdf-"))
    rates = {workers: run_export(admin, workers, env, logs).rate for workers in (1, 2)}
    table.add(
        f"Bulk export, 2 workers vs 1 ({plans} plans)",
        rates[2] / rates[1],
        "(scaling; 2 cores here)",
        f"{rates[1]:.1f} plans/s with 1, {rates[2]:.1f} plans/s with 2",
    )


def memory(table: Table, plan_ids: list[int], env: dict) -> None:
    out = subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "bench.pdf_memory", ",".join(map(str, plan_ids))],
        cwd=ROOT,
        env=os.environ | env,
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    ).stdout.split()
    after_10, after_200 = int(out[-2]), int(out[-1])
    table.add(
        "Worker memory after 200 PDFs vs after 10",
        after_200 / after_10,
        "≤ 1.5×",
        f"RSS {after_10 / 1024:.0f} MiB → {after_200 / 1024:.0f} MiB",
    )


def run(table: Table, env: dict) -> None:
    _, clinician, admin = data.practice_with_staff()
    plans = [data.plan(clinician, i) for i in range(40)]
    render_vs_raw(table, plans[0])
    bulk_throughput(table, admin, len(plans), env)
    memory(table, [p.pk for p in plans], env)
