"""Re-key the access log's chain from plain SHA-256 to HMAC-SHA256 under AUDIT_HMAC_KEY.

Rows written before this migration were chained with plain SHA-256, which anyone who can
write the table can recompute. Rather than keep a second, keyless rule for old rows forever
(a downgrade path: an attacker would re-chain everything under the old rule), this
migration re-chains every existing row under the key, once, after checking that their
SHA-256 chain is intact, and appends a `chain_upgrade` entry recording how many rows it
re-chained and the old chain's head, so the upgrade itself is on the record. A broken
legacy chain stops the migration (re-keying it would launder the break) unless the operator
names the broken entry in AUDIT_RECHAIN_ACCEPT_BROKEN_AT after investigating; the upgrade
entry then says so. A log that already verifies under the key is left alone, so running the
migration again (say, after it was renumbered) changes nothing.

The rows are append-only (migration 0004), so the triggers are set aside for this
transaction only: on PostgreSQL with ALTER TABLE ... DISABLE TRIGGER, which needs the table
owner (the role that runs migrations), on SQLite by dropping and re-creating the trigger.
Reversing re-chains under plain SHA-256, after checking the HMAC chain.

The payload below is frozen here on purpose: this migration must keep meaning what it meant
when it ran, whatever later happens to AccessLog.chain_payload.
"""

import datetime as dt
import hashlib
import hmac
import json
import os

from django.conf import settings
from django.db import migrations
from django.utils import timezone

GENESIS = "0" * 64
TABLE = "accounts_accesslog"
SQLITE_TRIGGER = f"psyplan_append_only_{TABLE}"
BATCH = 2000


def _payload(row) -> bytes:
    fields = {
        "at": row.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": row.actor_id,
        "actor_email": row.actor_email,
        "practice_id": row.practice_id,
        "subject_practice_id": row.subject_practice_id,
        "action": row.action,
        "outcome": row.outcome,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "client_id": row.client_id,
        "ip": row.ip,
        "user_agent": row.user_agent,
        "detail": row.detail,
        "prev_hash": row.prev_hash,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _sha256(row) -> str:
    return hashlib.sha256(_payload(row)).hexdigest()


def _hmac(row) -> str:
    return hmac.new(settings.AUDIT_HMAC_KEY.encode(), _payload(row), hashlib.sha256).hexdigest()


def _rows(AccessLog):
    last = 0
    while True:
        batch = list(AccessLog.objects.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not batch:
            return
        yield from batch
        last = batch[-1].pk


def _first_break(AccessLog, mac) -> tuple[int | None, int, str]:
    """(pk of the first broken row or None, rows checked, head) under the rule `mac`."""
    expected, checked = GENESIS, 0
    for row in _rows(AccessLog):
        if row.prev_hash != expected or mac(row) != row.hash:
            return row.pk, checked, expected
        expected = row.hash
        checked += 1
    return None, checked, expected


def _rechain(AccessLog, mac) -> str:
    """Recompute every link and MAC under `mac`, in order; answer the new head."""
    prev = GENESIS
    pending = []
    for row in _rows(AccessLog):
        row.prev_hash = prev
        row.hash = prev = mac(row)
        pending.append(row)
        if len(pending) >= BATCH:
            AccessLog.objects.bulk_update(pending, ["prev_hash", "hash"])
            pending = []
    AccessLog.objects.bulk_update(pending, ["prev_hash", "hash"])
    return prev


class _AppendOnlySetAside:
    def __init__(self, schema_editor):
        self.schema_editor = schema_editor
        self.vendor = schema_editor.connection.vendor

    def __enter__(self):
        if self.vendor == "postgresql":
            self.schema_editor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER psyplan_append_only")
        elif self.vendor == "sqlite":
            self.schema_editor.execute(f"DROP TRIGGER IF EXISTS {SQLITE_TRIGGER}")

    def __exit__(self, exc_type, *exc):
        if exc_type is not None:
            return  # the transaction rolls back, and with it the trigger's removal
        if self.vendor == "postgresql":
            self.schema_editor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER psyplan_append_only")
        elif self.vendor == "sqlite":
            self.schema_editor.execute(
                f"CREATE TRIGGER IF NOT EXISTS {SQLITE_TRIGGER} BEFORE UPDATE ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, 'psyplan: {TABLE} is append-only; UPDATE refused'); END;"
            )


def _lock(schema_editor):
    # The same advisory lock audit.log.record takes: no append may slip in mid-way.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SELECT pg_advisory_xact_lock(%s)", [0x5053_5950_4C41_4E01])


def forward(apps, schema_editor):
    AccessLog = apps.get_model("accounts", "AccessLog")
    _lock(schema_editor)
    if not AccessLog.objects.exists():
        return
    if _first_break(AccessLog, _hmac)[0] is None:
        return  # already chained under this key (e.g. the migration ran before under another name)
    broken, checked, legacy_head = _first_break(AccessLog, _sha256)
    note = ""
    if broken is not None:
        if os.environ.get("AUDIT_RECHAIN_ACCEPT_BROKEN_AT", "") != str(broken):
            raise RuntimeError(
                f"The access log's SHA-256 chain is already broken at entry {broken} ({checked} entries before "
                "it verify). Re-keying it would hide that. Investigate (`manage.py verify_audit_log` on the "
                f"previous release names the same entry); to re-key it anyway, set AUDIT_RECHAIN_ACCEPT_BROKEN_AT={broken}."
            )
        note = f"; legacy chain broken at entry {broken}, accepted by the operator"
    total = AccessLog.objects.count()
    with _AppendOnlySetAside(schema_editor):
        head = _rechain(AccessLog, _hmac)
    entry = AccessLog(
        at=timezone.now(),
        action="chain_upgrade",
        outcome="ok",
        object_type="access_log",
        detail=f"re-chained {total} entries from SHA-256 (head {legacy_head}) to HMAC-SHA256{note}"[:300],
        prev_hash=head,
    )
    entry.hash = _hmac(entry)
    entry.save(force_insert=True)


def backward(apps, schema_editor):
    AccessLog = apps.get_model("accounts", "AccessLog")
    _lock(schema_editor)
    if not AccessLog.objects.exists():
        return
    broken, checked, _ = _first_break(AccessLog, _hmac)
    if broken is not None:
        raise RuntimeError(
            f"The access log's HMAC chain is broken at entry {broken} ({checked} entries before it verify); "
            "not re-chaining it under plain SHA-256, which would hide that."
        )
    with _AppendOnlySetAside(schema_editor):
        _rechain(AccessLog, _sha256)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_idempotency_record")]

    operations = [migrations.RunPython(forward, backward)]
