"""The access log's chain is keyed (HMAC-SHA256 under AUDIT_HMAC_KEY, which is not in the
database) and checkpointed to an append-only file outside the database, so that neither a
rewritten chain nor a removed tail goes unnoticed.

Tampering is done as an attacker with database access would: straight SQL, with the
append-only guard set aside (on PostgreSQL as a superuser, `session_replication_role =
replica`; on SQLite, where DELETE is not refused, by dropping the UPDATE trigger). All of it
is undone when the test's transaction rolls back.
"""

import datetime as dt
import hashlib
import hmac
import json
import os

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from audit import log, tasks
from audit.models import AccessLog
from config.celery import app as celery_app


@pytest.fixture
def checkpoints(settings, tmp_path):
    settings.AUDIT_CHECKPOINT_PATH = tmp_path / "var" / "audit-checkpoints.jsonl"
    return settings.AUDIT_CHECKPOINT_PATH


def _entries(actor, n=6) -> list[int]:
    return [log.record(action="read", actor=actor, object_type="client", object_id=i).pk for i in range(n)]


def _set_guard_aside():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS psyplan_append_only_accounts_accesslog")


def _rechain_from(pk: int, mac) -> None:
    """Recompute every link from row `pk` on with `mac`, as a tamperer covering their tracks."""
    rows = list(AccessLog.objects.order_by("pk"))
    prev = log.GENESIS
    with connection.cursor() as cursor:
        for row in rows:
            if row.pk >= pk:
                row.prev_hash = prev
                row.hash = mac(row.chain_payload())
                cursor.execute(
                    "UPDATE accounts_accesslog SET prev_hash = %s, hash = %s WHERE id = %s", [prev, row.hash, row.pk]
                )
            prev = row.hash


def _plain_sha256(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def _delete(pks) -> None:
    _set_guard_aside()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM accounts_accesslog WHERE id IN ({','.join(['%s'] * len(pks))})", list(pks))  # noqa: S608


def test_each_entry_carries_the_hmac_of_its_fields_under_the_configured_key(clinician, settings):
    entry = log.record(action="read", actor=clinician, object_type="client", object_id=1)
    expected = hmac.new(settings.AUDIT_HMAC_KEY.encode(), entry.chain_payload(), hashlib.sha256).hexdigest()
    assert entry.hash == expected
    assert entry.hash != hashlib.sha256(entry.chain_payload()).hexdigest()


def test_the_chain_does_not_verify_under_another_key(clinician, settings, checkpoints):
    first = _entries(clinician, 3)[0]
    settings.AUDIT_HMAC_KEY = "some-other-key"
    with pytest.raises(CommandError, match=f"broken at entry {first}: its content does not match its MAC"):
        call_command("verify_audit_log")


def test_a_row_edited_and_the_old_style_sha256_chain_recomputed_is_detected(clinician, checkpoints):
    pks = _entries(clinician)
    victim = pks[2]
    _set_guard_aside()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_accesslog SET object_id = %s WHERE id = %s", ["999", victim])
    _rechain_from(victim, _plain_sha256)
    # Every link is consistent again, as it was enough to be on main...
    rows = list(AccessLog.objects.order_by("pk"))
    assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:], strict=False))
    # ...but without the key the MACs cannot be made to match.
    with pytest.raises(CommandError, match=f"broken at entry {victim}: its content does not match its MAC"):
        call_command("verify_audit_log")


def test_deleting_the_tail_after_a_checkpoint_is_detected(clinician, checkpoints):
    pks = _entries(clinician)
    call_command("write_audit_checkpoint")
    _delete(pks[-2:])
    # The chain itself still verifies: only the checkpoint outside the database can tell.
    assert log.verify_chain().ok
    with pytest.raises(CommandError) as caught:
        call_command("verify_audit_log")
    message = str(caught.value)
    assert message.startswith("Access log truncated:")
    assert f"recorded 6 entries ending at id {pks[-1]}, but the table holds only 4" in message
    assert "2 entries were removed from the end of the log" in message


def test_a_tail_deleted_and_regrown_by_new_entries_is_detected(clinician, checkpoints):
    pks = _entries(clinician)
    call_command("write_audit_checkpoint")
    _delete(pks[-2:])
    _entries(clinician, 3)
    assert log.verify_chain().ok
    with pytest.raises(CommandError, match=r"does not match its checkpoint: entry #6 \(id \d+\) is not the one"):
        call_command("verify_audit_log")


def test_a_chain_rewritten_with_the_key_after_a_checkpoint_is_detected(clinician, checkpoints, settings):
    """Someone who got hold of the key as well as the database: the chain verifies, the checkpoint does not."""
    pks = _entries(clinician)
    call_command("write_audit_checkpoint")
    _set_guard_aside()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_accesslog SET detail = 'nothing to see' WHERE id = %s", [pks[1]])
    key = settings.AUDIT_HMAC_KEY.encode()
    _rechain_from(pks[1], lambda payload: hmac.new(key, payload, hashlib.sha256).hexdigest())
    assert log.verify_chain().ok
    with pytest.raises(CommandError, match=f"does not match its checkpoint: entry #6 \\(id {pks[-1]}\\)"):
        call_command("verify_audit_log")


def test_verify_passes_against_the_latest_checkpoint_and_counts_entries_since(clinician, checkpoints, capsys):
    _entries(clinician, 3)
    call_command("write_audit_checkpoint")
    _entries(clinician, 2)
    call_command("write_audit_checkpoint")
    _entries(clinician, 4)
    call_command("verify_audit_log")
    out = capsys.readouterr().out
    assert "Access log intact: 9 entries, every link and MAC verified." in out
    assert ": 5 entries, head MAC" in out and "4 entries since." in out


def test_without_a_checkpoint_verify_says_a_removed_tail_could_not_be_noticed(clinician, checkpoints, capsys):
    _entries(clinician, 2)
    call_command("verify_audit_log")
    out = capsys.readouterr().out
    assert "Access log intact: 2 entries" in out
    assert f"No checkpoint yet in {checkpoints}" in out


def test_checkpoints_are_appended_one_json_line_each_to_a_private_file(clinician, checkpoints):
    pks = _entries(clinician, 3)
    call_command("write_audit_checkpoint")
    _entries(clinician, 1)
    call_command("write_audit_checkpoint")
    lines = checkpoints.read_text().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert set(first) == {"at", "entries", "last_id", "head", "mac"}
    assert (first["entries"], first["last_id"]) == (3, pks[-1])
    assert first["head"] == AccessLog.objects.get(pk=pks[-1]).hash
    assert second["entries"] == 4
    assert dt.datetime.fromisoformat(second["at"]).utcoffset() == dt.timedelta(0)
    assert os.stat(checkpoints).st_mode & 0o777 == 0o600


def test_no_checkpoint_is_written_for_a_log_that_does_not_verify(clinician, checkpoints):
    pks = _entries(clinician, 3)
    call_command("write_audit_checkpoint")
    before = checkpoints.read_text()
    _delete(pks[-1:])
    with pytest.raises(CommandError, match="No checkpoint written: the access log does not verify"):
        call_command("write_audit_checkpoint")
    assert checkpoints.read_text() == before


def test_an_edited_checkpoint_line_is_not_trusted(clinician, checkpoints):
    _entries(clinician, 4)
    call_command("write_audit_checkpoint")
    line = json.loads(checkpoints.read_text())
    line["entries"] = 2  # hide the last two entries, as someone planning to delete them would
    checkpoints.write_text(json.dumps(line) + "\n")
    with pytest.raises(CommandError, match="checkpoint cannot be trusted: .*line 1: its MAC does not verify"):
        call_command("verify_audit_log")
    checkpoints.write_text('{"entries": 4, "hea')
    with pytest.raises(CommandError, match="line 1: not a checkpoint"):
        call_command("verify_audit_log")


def test_beat_writes_a_checkpoint_every_day(clinician, checkpoints, settings):
    entry = settings.CELERY_BEAT_SCHEDULE["audit-checkpoint"]
    assert entry["task"] == "accounts.tasks.write_audit_checkpoint"
    assert entry["schedule"] == dt.timedelta(days=1)
    assert entry["task"] in celery_app.tasks
    _entries(clinician, 2)
    assert tasks.write_audit_checkpoint.delay().get() == 2
    assert log.latest_checkpoint().entries == 2


def test_the_checkpoint_task_fails_loudly_on_a_log_that_does_not_verify(clinician, checkpoints):
    pks = _entries(clinician, 3)
    _set_guard_aside()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_accesslog SET detail = 'x' WHERE id = %s", [pks[0]])
    with pytest.raises(log.ChainBroken, match=f"does not verify at entry {pks[0]}"):
        tasks.write_audit_checkpoint.delay()
    assert not checkpoints.exists()


def test_verify_says_when_the_chain_is_keyed_with_the_public_development_key(clinician, checkpoints, settings, capsys):
    settings.AUDIT_HMAC_KEY = log.DEVELOPMENT_KEY
    _entries(clinician, 2)
    call_command("verify_audit_log")
    assert "keyed with the public development key" in capsys.readouterr().out
