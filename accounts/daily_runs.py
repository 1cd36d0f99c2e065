"""Which practices are due their daily run of a scheduler (the review scan, the questionnaire run).

Each practice runs once a day, after a set time on its own clock; a run row per practice and local
date (with `finished_at` once done) says whether today's has happened. Beat calls the schedulers
every few minutes, and this is the question each asks first.
"""

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Practice


def practices_ready(*, run_time: str, runs: QuerySet, now: dt.datetime | None = None) -> list[tuple[Practice, dt.date]]:
    """Practices whose local clock has passed `run_time` ("HH:MM") today and whose run for today, in
    `runs` (rows with practice, run_date and finished_at), is not finished; with their local date."""
    run_at = dt.time.fromisoformat(run_time)
    ready = []
    for practice in Practice.objects.all():
        local = timezone.localtime(now or timezone.now(), practice.tzinfo)
        if local.time() < run_at:
            continue
        if not runs.filter(practice=practice, run_date=local.date(), finished_at__isnull=False).exists():
            ready.append((practice, local.date()))
    return ready
