"""The models every app's work passes through: the outbox of background tasks and the idempotency store.

Both tables were created by accounts' migrations and keep their names (`accounts_outboxmessage`,
`accounts_idempotencyrecord`); core's migration 0001 took them over without touching the database.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone


class OutboxMessage(models.Model):
    """A background task, recorded in the same transaction as the change it belongs to.

    Published to the broker after commit; if the broker is down, it waits here and the relay
    publishes it once the broker is back, so no work is lost to a Redis outage.
    """

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        db_table = "accounts_outboxmessage"
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["created_at"], condition=models.Q(sent_at__isnull=True), name="outbox_unsent")]

    def __str__(self) -> str:
        return f"{self.task} ({'sent' if self.sent_at else 'pending'})"


# A repeated request finds the first answer for this long (the IETF idempotency-key draft's 24 hours).
IDEMPOTENCY_TTL = dt.timedelta(hours=24)


class IdempotencyRecordQuerySet(models.QuerySet):
    def live(self):
        """Records that still answer for their key."""
        return self.filter(created_at__gte=timezone.now() - IDEMPOTENCY_TTL)

    def expired(self):
        return self.filter(created_at__lt=timezone.now() - IDEMPOTENCY_TTL)


class IdempotencyRecord(models.Model):
    """A write done once: a used `Idempotency-Key` (API) or one-time form id (HTML), with its answer.

    Created in the transaction of the write itself (core/idempotency.py), so a committed write
    always has its stored answer. Only a hash of the key is kept. `status_code` is empty only
    inside that transaction, while the write is running.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=255, help_text="Method and path, e.g. 'POST /api/v1/goals/'.")
    key_hash = models.CharField(max_length=64)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request body as parsed.")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    body = models.BinaryField(default=b"", blank=True)
    # HTML forms: the flash messages the first answer queued, shown again with its replay.
    messages = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = IdempotencyRecordQuerySet.as_manager()

    class Meta:
        db_table = "accounts_idempotencyrecord"
        constraints = [
            models.UniqueConstraint(fields=["user", "scope", "key_hash"], name="idempotency_key_once_per_user_route")
        ]

    def __str__(self) -> str:
        return f"{self.scope} ({self.status_code or 'running'})"
