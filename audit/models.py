"""The audit trail's two tables: the access log and the change history of clinical records.

Both were created by accounts' migrations, which also put the database guards on them (the
append-only and history triggers of accounts migration 0004, the HMAC re-chaining of 0008), so
they keep their names (`accounts_accesslog`, `accounts_changerecord`) and their index names;
audit's migration 0001 took them over without touching the database. People and practices are
named by string: the audit layer sits below accounts and imports none of it.
"""

import datetime as dt
import hashlib
import hmac
import json

from django.conf import settings
from django.db import models


class AccessLogQuerySet(models.QuerySet):
    def for_practice(self, practice_id: int) -> "AccessLogQuerySet":
        """Entries a practice's admin may read: their staff's actions, and anyone's attempts on their records."""
        return self.filter(models.Q(practice_id=practice_id) | models.Q(subject_practice_id=practice_id))


class AccessLog(models.Model):
    """One line of the append-only access log. Written only through `audit.log.record`.

    Each row's `hash` is the HMAC-SHA256, under `AUDIT_HMAC_KEY`, of its own fields and the
    previous row's hash, so changing, removing or reordering a row breaks the chain, and
    without the key (which is not in the database) nobody can compute a chain that verifies
    (`manage.py verify_audit_log`; checkpoints outside the database catch a removed tail).
    No row ever holds PHI: records are named by type and id, never by name or content.
    """

    class Outcome(models.TextChoices):
        OK = "ok", "Succeeded"
        DENIED = "denied", "Denied"
        FAILED = "failed", "Failed"

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Who it was at the time (or the address typed into a failed sign-in).
    actor_email = models.CharField(max_length=254, blank=True)
    # The actor's practice, and the practice of the record acted on: an admin sees both.
    practice = models.ForeignKey("accounts.Practice", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    subject_practice = models.ForeignKey(
        "accounts.Practice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=40, db_index=True)
    outcome = models.CharField(max_length=10, choices=Outcome, default=Outcome.OK)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    # The client the record belongs to, for "everything about this client"; an id, not a link,
    # so the log outlives anything it mentions.
    client_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    # The route or a short non-clinical note ("lockout after 5 failures", "roles: clinician -> supervisor").
    detail = models.CharField(max_length=300, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        db_table = "accounts_accesslog"
        ordering = ["-at", "-pk"]
        # Named as Django named them under accounts, so the move renames no index.
        indexes = [
            models.Index(fields=["practice", "at"], name="accounts_ac_practic_f4cd2b_idx"),
            models.Index(fields=["subject_practice", "at"], name="accounts_ac_subject_998bd1_idx"),
            # The audit page filtered by person or by client, newest first, one keyset page at a time
            # (audit/views.py): each reads its page off the index in order, however long the log.
            # Unfiltered, the page reads the index on `at` backwards, filtered by practice.
            models.Index(fields=["actor", "at", "id"], name="access_log_actor_time"),
            models.Index(fields=["client_id", "at", "id"], name="access_log_client_time"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_email} {self.action} {self.object_type} {self.object_id}"

    def chain_payload(self) -> bytes:
        """The bytes hashed for this row: canonical JSON of every field except the hash itself."""
        fields = {
            "at": self.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            "actor_email": self.actor_email,
            "practice_id": self.practice_id,
            "subject_practice_id": self.subject_practice_id,
            "action": self.action,
            "outcome": self.outcome,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "client_id": self.client_id,
            "ip": self.ip,
            "user_agent": self.user_agent,
            "detail": self.detail,
            "prev_hash": self.prev_hash,
        }
        return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    def compute_hash(self) -> str:
        """The row's MAC: HMAC-SHA256 of `chain_payload()` under `AUDIT_HMAC_KEY`."""
        return hmac.new(settings.AUDIT_HMAC_KEY.encode(), self.chain_payload(), hashlib.sha256).hexdigest()


class ChangeRecord(models.Model):
    """Before and after values of one row of a clinical table, written by database triggers.

    The triggers (installed by accounts migration 0004 and refreshed after every migrate, see
    `audit.history`) fire for ORM saves, bulk updates and raw SQL alike. `actor` is
    whoever the application says is acting on that connection; NULL means a path
    outside the application (a shell, psql) or a background task. For an UPDATE,
    PostgreSQL keeps only the columns that changed; SQLite keeps whole rows.
    """

    at = models.DateTimeField(db_index=True)
    table = models.CharField(max_length=63)
    row_id = models.CharField(max_length=64)
    operation = models.CharField(max_length=6)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )

    class Meta:
        db_table = "accounts_changerecord"
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["table", "row_id"], name="accounts_ch_table_416dcb_idx")]

    def __str__(self) -> str:
        return f"{self.operation} {self.table}#{self.row_id}"

    def changed_fields(self) -> dict[str, tuple]:
        """{column: (before, after)} for the columns this change touched."""
        before, after = self.before or {}, self.after or {}
        return {
            k: (before.get(k), after.get(k)) for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)
        }
