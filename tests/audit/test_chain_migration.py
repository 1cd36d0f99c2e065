"""Migration 0008 re-keys a deployed access log: rows chained with plain SHA-256 are checked,
re-chained under the HMAC key, and the upgrade itself is recorded; a broken legacy chain stops it."""

import datetime as dt
import hashlib
import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from audit import log
from audit.models import AccessLog

BEFORE = [("accounts", "0007_idempotency_record")]
AFTER = [("accounts", "0008_access_log_hmac_chain")]
migration = importlib.import_module("accounts.migrations.0008_access_log_hmac_chain")


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _legacy_rows(apps, n=5, *, break_at=None):
    """Rows as main wrote them: each hash the plain SHA-256 of its fields and the previous hash."""
    Legacy = apps.get_model("accounts", "AccessLog")
    prev, pks = log.GENESIS, []
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    for i in range(n):
        row = Legacy(at=start + dt.timedelta(minutes=i), action="read", object_type="client", object_id=str(i))
        row.prev_hash = prev
        row.hash = prev = hashlib.sha256(migration._payload(row)).hexdigest()
        if i == break_at:
            row.object_id = "edited"  # altered after hashing: the legacy chain is broken here
        row.save(force_insert=True)
        pks.append(row.pk)
    return pks


@pytest.fixture
def before_upgrade(transactional_db):
    apps = _migrate(BEFORE)
    yield apps
    # Back to the latest migrations, not only to 0008: going back to 0007 unapplied everything after
    # it, and later migrations that change tables (accounts 0010's practice settings) must be back
    # for the tests that run after these.
    executor = MigrationExecutor(connection)
    _migrate(executor.loader.graph.leaf_nodes())


def test_the_upgrade_rechains_legacy_rows_under_the_key_and_records_itself(before_upgrade):
    pks = _legacy_rows(before_upgrade)
    legacy_head = AccessLog.objects.get(pk=pks[-1]).hash
    _migrate(AFTER)
    report = log.verify_chain()
    assert report.ok and report.checked == 6
    rows = list(AccessLog.objects.order_by("pk"))
    assert [r.object_id for r in rows[:5]] == ["0", "1", "2", "3", "4"], "content is untouched"
    assert all(r.hash == r.compute_hash() for r in rows)
    upgrade = rows[-1]
    assert (upgrade.action, upgrade.object_type) == ("chain_upgrade", "access_log")
    assert upgrade.detail == f"re-chained 5 entries from SHA-256 (head {legacy_head}) to HMAC-SHA256"


def test_the_upgrade_leaves_the_rows_append_only(before_upgrade):
    from django.db import DatabaseError, transaction

    _legacy_rows(before_upgrade, 2)
    _migrate(AFTER)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLog.objects.update(detail="tampered")


def test_the_upgrade_refuses_to_rekey_a_broken_legacy_chain(before_upgrade, monkeypatch):
    pks = _legacy_rows(before_upgrade, break_at=2)
    with pytest.raises(RuntimeError, match=f"SHA-256 chain is already broken at entry {pks[2]}"):
        _migrate(AFTER)
    assert (
        AccessLog.objects.get(pk=pks[0]).hash
        == hashlib.sha256(migration._payload(AccessLog.objects.get(pk=pks[0]))).hexdigest()
    ), "nothing was re-chained"
    monkeypatch.setenv("AUDIT_RECHAIN_ACCEPT_BROKEN_AT", str(pks[2]))
    _migrate(AFTER)
    assert log.verify_chain().ok
    assert (
        AccessLog.objects.order_by("-pk")
        .first()
        .detail.endswith(f"legacy chain broken at entry {pks[2]}, accepted by the operator")
    )


def test_reversing_the_upgrade_restores_a_plain_sha256_chain(before_upgrade):
    _legacy_rows(before_upgrade, 3)
    _migrate(AFTER)
    _migrate(BEFORE)
    rows = list(AccessLog.objects.order_by("pk"))
    prev = log.GENESIS
    for row in rows:
        assert row.prev_hash == prev and row.hash == hashlib.sha256(migration._payload(row)).hexdigest()
        prev = row.hash


def test_the_upgrade_leaves_a_chain_already_keyed_under_the_key_alone(before_upgrade):
    _legacy_rows(before_upgrade, 3)
    _migrate(AFTER)
    before = list(AccessLog.objects.order_by("pk").values_list("pk", "hash"))
    migration.forward(before_upgrade, connection.schema_editor(atomic=False))
    assert list(AccessLog.objects.order_by("pk").values_list("pk", "hash")) == before
