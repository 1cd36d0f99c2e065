"""Database guards for the audit trail, and the change-history triggers on clinical tables.

- accounts_accesslog and accounts_changerecord are append-only: on PostgreSQL a trigger
  refuses UPDATE and DELETE; on SQLite, UPDATE (Django's test flush deletes rows there).
  TRUNCATE is not refused: Django's test flush on PostgreSQL uses it, and it needs the
  table owner's rights, which a production application role should not hold.
- Every INSERT, UPDATE and DELETE on the clinical tables writes a ChangeRecord with the
  row before and after and the acting user (see audit/history.py).
"""

from django.db import migrations

from audit import history

APPEND_ONLY = ["accounts_accesslog", "accounts_changerecord"]


def _pg_append_only(table: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION psyplan_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION USING MESSAGE = 'psyplan: ' || TG_TABLE_NAME || ' is append-only; ' || TG_OP || ' refused',
    ERRCODE = 'raise_exception';
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS psyplan_append_only ON {table};
CREATE TRIGGER psyplan_append_only BEFORE UPDATE OR DELETE ON {table}
  FOR EACH ROW EXECUTE FUNCTION psyplan_append_only();
"""


def _sqlite_append_only(table: str) -> str:
    return f"""CREATE TRIGGER IF NOT EXISTS psyplan_append_only_{table} BEFORE UPDATE ON {table}
        BEGIN SELECT RAISE(ABORT, 'psyplan: {table} is append-only; UPDATE refused'); END;"""


def install(apps, schema_editor):
    connection = schema_editor.connection
    for table in APPEND_ONLY:
        if connection.vendor == "postgresql":
            schema_editor.execute(_pg_append_only(table))
        elif connection.vendor == "sqlite":
            schema_editor.execute(_sqlite_append_only(table))
    history.install(connection)


def uninstall(apps, schema_editor):
    connection = schema_editor.connection
    tables = [t for t in history.HISTORY_TABLES if t in connection.introspection.table_names()]
    if connection.vendor == "postgresql":
        for table in APPEND_ONLY + tables:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS psyplan_append_only ON {table}")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS psyplan_history ON {table}")
        schema_editor.execute("DROP FUNCTION IF EXISTS psyplan_append_only()")
        schema_editor.execute("DROP FUNCTION IF EXISTS psyplan_history()")
    elif connection.vendor == "sqlite":
        for table in APPEND_ONLY:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS psyplan_append_only_{table}")
        for table in tables:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS psyplan_history_ins_{table}")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS psyplan_history_upd_{table}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_security"),
        ("clients", "0001_initial"),
        ("formulation", "0004_lifecycle"),
        ("plans", "0004_immutability_guards"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
