"""Beat's housekeeping of the outbox and the idempotency store.

Both tasks keep the names they were registered under when they lived in accounts: beat's schedule
(config/settings.py) and any worker or broker still holding a message name a task by that string.
"""

from celery import shared_task

from core.models import IdempotencyRecord
from core.outbox import relay


@shared_task(name="accounts.tasks.relay_outbox")
def relay_outbox() -> int:
    """Publish work that was queued while the broker was down."""
    return relay()[0]


@shared_task(name="accounts.tasks.purge_idempotency_records")
def purge_idempotency_records() -> int:
    """Forget idempotency keys and form ids older than 24 hours (a repeat then counts as new).

    Safe to run twice: it only deletes what has expired, and the second run finds nothing.
    """
    deleted, _ = IdempotencyRecord.objects.expired().delete()
    return deleted
