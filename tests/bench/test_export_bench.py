"""The export bench's memory sampler counts a process's whole tree, as a Celery worker's pool is."""

import subprocess
import sys

from bench.export_bench import PeakRSS


def test_peak_rss_counts_the_children_of_the_process_it_watches():
    # A parent holding little that starts a child holding 64 MiB.
    child = "import time; held = b'x' * (64 << 20); time.sleep(3)"
    code = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}])"
    parent = subprocess.Popen([sys.executable, "-c", code])  # noqa: S603 - fixed arguments
    try:
        with PeakRSS(parent.pid, interval=0.05) as memory:
            parent.wait(timeout=30)
    finally:
        parent.kill()
    assert memory.peak_process >= 64 << 20
    assert memory.peak_tree > memory.peak_process
