"""The application's database role cannot rewrite the audit tables (PostgreSQL).

The roles and grants `manage.py audit_db_roles` prints are created in the test database, inside
the test's transaction (roles and ownership changes are transactional in PostgreSQL, so all of it
rolls back); then the test acts as the application role.
"""

import uuid

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from audit import log
from audit.management.commands.audit_db_roles import AUDIT_TABLES, grant_statements, setup_statements
from audit.models import AccessLog, ChangeRecord
from clients.models import Client


def _refused(sql: str, params=()) -> str:
    with pytest.raises(DatabaseError) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return str(caught.value)


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="database roles are PostgreSQL's")
def test_the_application_role_may_append_to_but_never_rewrite_the_audit_tables(own_client, clinician):
    suffix = uuid.uuid4().hex[:8]
    owner, app = f"psyplan_owner_{suffix}", f"psyplan_app_{suffix}"
    entry = log.record(action="read", actor=clinician, object_type="client", object_id=own_client.pk)
    with connection.cursor() as cursor:
        # Django's foreign keys are deferred; ALTER TABLE refuses while checks are pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for sql in setup_statements(owner=owner, app=app, database=connection.settings_dict["NAME"]):
            cursor.execute(sql)
        cursor.execute(f"SET LOCAL ROLE {owner}")
        for sql in grant_statements(app=app):
            cursor.execute(sql)
        cursor.execute(f"SET LOCAL ROLE {app}")

    # The application works: it reads, appends to the log, and changes clinical records (whose
    # history trigger appends to the change history as the application role too).
    appended = log.record(action="read", actor=clinician, object_type="client", object_id=own_client.pk)
    assert AccessLog.objects.filter(pk__in=[entry.pk, appended.pk]).count() == 2
    Client.objects.filter(pk=own_client.pk).update(phone="+1 555 0100")
    assert ChangeRecord.objects.filter(table="clients_client", row_id=str(own_client.pk)).exists()

    for table in AUDIT_TABLES:
        assert "permission denied" in _refused(f"UPDATE {table} SET at = at")  # noqa: S608
        assert "permission denied" in _refused(f"DELETE FROM {table}")  # noqa: S608
        assert "permission denied" in _refused(f"TRUNCATE {table}")
        assert "must be owner" in _refused(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
        assert "must be owner" in _refused(f"DROP TABLE {table}")
    assert "permission denied" in _refused("SET session_replication_role = replica")
    assert log.verify_chain().ok


def test_the_role_sql_is_printed_for_the_production_section(capsys):
    call_command("audit_db_roles", owner="psyplan_owner", app="psyplan_app", database="psyplan")
    out = capsys.readouterr().out
    assert "CREATE ROLE psyplan_app LOGIN" in out
    assert "REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON accounts_accesslog, accounts_changerecord" in out
