from celery import shared_task
from django.conf import settings
from django.db import transaction

from core.outbox import enqueue
from records import exports
from records.models import BulkExportItem

# The tasks keep the names they were registered under in plans: outbox rows, the beat schedule
# (settings.CELERY_BEAT_SCHEDULE) and queued messages still call them by those names.


@shared_task(name="plans.tasks.start_bulk_export", acks_late=True, reject_on_worker_lost=True)
def start_bulk_export(export_id: int) -> int:
    pending = exports.start(export_id)
    with transaction.atomic():
        for item_id in pending:
            enqueue("plans.tasks.render_export_item", item_id)
    return len(pending)


@shared_task(
    name="plans.tasks.render_export_item",
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


@shared_task(name="plans.tasks.purge_expired_exports")
def purge_expired_exports() -> int:
    return exports.purge_expired()
