import datetime as dt

from celery import shared_task
from django.conf import settings
from django.db import transaction

from accounts.models import Practice
from core.outbox import enqueue
from plans import exports, scheduling
from plans.models import BulkExportItem


@shared_task
def run_review_scheduler() -> int:
    """Beat calls this every few minutes; each practice is scanned once a day after its local run time."""
    ready = scheduling.practices_ready()
    for practice, run_date in ready:
        schedule_practice_reviews.delay(practice.pk, run_date.isoformat())
    return len(ready)


@shared_task(acks_late=True, reject_on_worker_lost=True, max_retries=3)
def schedule_practice_reviews(practice_id: int, run_date: str) -> dict | None:
    """Idempotent: a second delivery finds the day's run finished and does nothing."""
    practice = Practice.objects.filter(pk=practice_id).first()
    if practice is None:
        return None
    result = scheduling.run_recorded(practice, dt.date.fromisoformat(run_date))
    return None if result is None else result.__dict__


@shared_task(acks_late=True, reject_on_worker_lost=True)
def start_bulk_export(export_id: int) -> int:
    pending = exports.start(export_id)
    with transaction.atomic():
        for item_id in pending:
            enqueue("plans.tasks.render_export_item", item_id)
    return len(pending)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.EXPORT_ITEM_SOFT_TIME_LIMIT,
    time_limit=settings.EXPORT_ITEM_SOFT_TIME_LIMIT + 30,
)
def render_export_item(item_id: int) -> None:
    """One plan's PDF; its own soft time limit so a pathological plan cannot stall the batch."""
    exports.render_item(item_id)
    export_id = BulkExportItem.objects.filter(pk=item_id).values_list("export_id", flat=True).first()
    if export_id is not None:
        exports.finalize(export_id)


@shared_task
def purge_expired_exports() -> int:
    return exports.purge_expired()
