import datetime as dt

from celery import shared_task

from accounts.models import Practice
from progress import scheduling

# The tasks keep the names they were registered under in plans: the beat schedule
# (settings.CELERY_BEAT_SCHEDULE) and queued messages still call them by those names.


@shared_task(name="plans.tasks.run_review_scheduler")
def run_review_scheduler() -> int:
    """Beat calls this every few minutes; each practice is scanned once a day after its local run time."""
    ready = scheduling.practices_ready()
    for practice, run_date in ready:
        schedule_practice_reviews.delay(practice.pk, run_date.isoformat())
    return len(ready)


@shared_task(name="plans.tasks.schedule_practice_reviews", acks_late=True, reject_on_worker_lost=True, max_retries=3)
def schedule_practice_reviews(practice_id: int, run_date: str) -> dict | None:
    """Idempotent: a second delivery finds the day's run finished and does nothing."""
    practice = Practice.objects.filter(pk=practice_id).first()
    if practice is None:
        return None
    result = scheduling.run_recorded(practice, dt.date.fromisoformat(run_date))
    return None if result is None else result.__dict__
