"""Change history of clinical records, kept by database triggers.

Why triggers and not django-pghistory: the history must also catch bulk updates and raw
SQL, which rules out signals and save() hooks; pghistory would do that too, but it wants a
tracker and an event model declared on every tracked model, with migrations in each app
(plans, clients, formulation) for every field added later. One generic trigger function
writing JSON rows into `audit.ChangeRecord` covers every table in `HISTORY_TABLES` from a
single accounts migration, follows new columns by itself on PostgreSQL (`to_jsonb(NEW)`),
and adding a table is one line here.

Who acted: the application tells the database. On PostgreSQL, before each INSERT, UPDATE or
DELETE it runs `set_config('psyplan.actor', <user id>, false)` on the same connection (an
execute wrapper on every connection), and the trigger reads it with
`current_setting('psyplan.actor', true)`. It is set before every write rather than once per
request because a session-level setting made inside a transaction that rolls back is rolled
back too. On SQLite, the embedded development default, the trigger calls `psyplan_actor()`,
a function the application registers on each connection, which reads the same per-request
value. Writes from outside the application (psql, a shell) are recorded with no actor.

PostgreSQL records INSERT, UPDATE and DELETE. SQLite records INSERT and UPDATE: Django's test
flush deletes rows there, and the application never deletes clinical rows. SQLite's triggers
list each table's columns, and Django rebuilds SQLite tables (dropping their triggers) when
a migration alters them, so they are re-created after every `migrate` (`refresh`).
"""

from __future__ import annotations

import contextvars

from django.db import connections
from django.db.backends.signals import connection_created
from django.db.migrations.recorder import MigrationRecorder

# Tables whose every change is kept. Catalogues and templates are not clinical records.
HISTORY_TABLES = [
    "clients_client",
    "clients_presentingproblem",
    "formulation_formulation",
    "formulation_coreconflict",
    "formulation_defenseobservation",
    "plans_treatmentplan",
    "plans_treatmentplan_presenting_problems",
    "plans_goal",
    "plans_objective",
    "plans_objective_presenting_problems",
    "plans_objective_conflicts",
    "plans_objective_defenses",
    "plans_intervention",
    "plans_intervention_objectives",
    "plans_signature",
    "plans_planquote",
    "plans_comment",
    "plans_plantransition",
    # Progress reviews and outcome scores (issue 5); skipped where the tables do not exist yet.
    "plans_progressreview",
    "plans_objectiveprogress",
    "plans_measurescore",
    # Sessions and progress notes (issue 14).
    "notes_therapysession",
    "notes_progressnote",
    "notes_noteobjective",
    "notes_noteintervention",
    "notes_noteconflict",
    "notes_notedefense",
    "notes_relationshipepisode",
    "notes_noteaddendum",
    "notes_notesignature",
    # Who shared which process note with whom, and when it was revoked: no text in these rows.
    "notes_processnoteshare",
    # Client risk alerts and their acknowledgement notes, and the client-rated alliance (issue 15).
    "participation_clientriskalert",
    "progress_clientalliancerating",
    # notes_processnote is left out on purpose: the triggers copy whole rows (to_jsonb(NEW)) into
    # ChangeRecord, which superusers browse in the Django admin, so its history would hand them the
    # private text. A process note's history is its version counter and its audit-log entries.
]

_actor_id: contextvars.ContextVar = contextvars.ContextVar("psyplan_actor_id", default=None)


def set_actor(user_id: int | None):
    """Name who is acting for the writes that follow (on this thread); returns a token for reset_actor."""
    return _actor_id.set(user_id)


def reset_actor(token) -> None:
    _actor_id.reset(token)


def current_actor_id() -> int | None:
    return _actor_id.get()


WRITE_PREFIXES = ("INSERT", "UPDATE", "DELETE", "WITH")


def _pg_actor_wrapper(execute, sql, params, many, context):
    if sql.lstrip()[:6].upper().startswith(WRITE_PREFIXES):
        actor = current_actor_id()
        # The raw DB-API cursor: not a query of the application, so not counted or logged.
        context["cursor"].cursor.execute(
            "SELECT set_config('psyplan.actor', %s, false)", ["" if actor is None else str(actor)]
        )
    return execute(sql, params, many, context)


def _on_connection_created(sender, connection, **kwargs) -> None:
    if connection.vendor == "postgresql":
        if _pg_actor_wrapper not in connection.execute_wrappers:
            connection.execute_wrappers.append(_pg_actor_wrapper)
    elif connection.vendor == "sqlite":
        connection.connection.create_function("psyplan_actor", 0, current_actor_id)


def connect_signals() -> None:
    connection_created.connect(_on_connection_created, dispatch_uid="audit.history.actor")


# --- Trigger SQL --------------------------------------------------------------

# UPDATE keeps only the columns that changed (autosave rewrites one formulation section at a
# time; copying every text column on each keystroke pause would bloat the history).
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION psyplan_history() RETURNS trigger AS $$
DECLARE
  actor text := nullif(current_setting('psyplan.actor', true), '');
  before_row jsonb;
  after_row jsonb;
  row_key text;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    SELECT jsonb_object_agg(o.key, o.value), jsonb_object_agg(n.key, n.value)
      INTO before_row, after_row
      FROM jsonb_each(to_jsonb(OLD)) o JOIN jsonb_each(to_jsonb(NEW)) n ON n.key = o.key
      WHERE n.value IS DISTINCT FROM o.value;
    IF before_row IS NULL THEN RETURN NULL; END IF;
    row_key := to_jsonb(NEW)->>'id';
  ELSIF TG_OP = 'INSERT' THEN
    after_row := to_jsonb(NEW);
    row_key := after_row->>'id';
  ELSE
    before_row := to_jsonb(OLD);
    row_key := before_row->>'id';
  END IF;
  INSERT INTO accounts_changerecord ("at", "table", row_id, operation, "before", "after", actor_id)
  VALUES (clock_timestamp(), TG_TABLE_NAME, coalesce(row_key, ''), TG_OP, before_row, after_row, actor::bigint);
  RETURN NULL;
END $$ LANGUAGE plpgsql;
"""


def pg_statements(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS psyplan_history ON {table}",
        f"CREATE TRIGGER psyplan_history AFTER INSERT OR UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION psyplan_history()",
    ]


def _sqlite_json(columns: list[str], alias: str) -> str:
    return "json_object(" + ", ".join(f"'{c}', {alias}.\"{c}\"" for c in columns) + ")"


def sqlite_statements(table: str, columns: list[str]) -> list[str]:
    now = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
    changed = " OR ".join(f'NEW."{c}" IS NOT OLD."{c}"' for c in columns)
    insert = 'INSERT INTO accounts_changerecord ("at", "table", row_id, operation, "before", "after", actor_id) VALUES '
    return [
        f"DROP TRIGGER IF EXISTS psyplan_history_ins_{table}",
        f"DROP TRIGGER IF EXISTS psyplan_history_upd_{table}",
        f"CREATE TRIGGER psyplan_history_ins_{table} AFTER INSERT ON {table} BEGIN "
        f"{insert}({now}, '{table}', CAST(NEW.id AS TEXT), 'INSERT', NULL, {_sqlite_json(columns, 'NEW')}, "
        "psyplan_actor()); END",
        f"CREATE TRIGGER psyplan_history_upd_{table} AFTER UPDATE ON {table} WHEN {changed} BEGIN "
        f"{insert}({now}, '{table}', CAST(NEW.id AS TEXT), 'UPDATE', {_sqlite_json(columns, 'OLD')}, "
        f"{_sqlite_json(columns, 'NEW')}, psyplan_actor()); END",
    ]


def _existing_tables(connection) -> set[str]:
    return set(connection.introspection.table_names())


def install(connection) -> None:
    """Create or re-create the history triggers on every table in HISTORY_TABLES that exists."""
    tables = [t for t in HISTORY_TABLES if t in _existing_tables(connection)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(PG_FUNCTION)
            for table in tables:
                for statement in pg_statements(table):
                    cursor.execute(statement)
        elif connection.vendor == "sqlite":
            for table in tables:
                columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
                wanted = sqlite_statements(table, columns)
                cursor.execute(
                    "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s",
                    [f"psyplan_history_upd_{table}"],
                )
                row = cursor.fetchone()
                if row is not None and row[0] == wanted[-1]:
                    continue
                for statement in wanted:
                    cursor.execute(statement)


def refresh_after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate: keep SQLite's column lists current and put back triggers a table rebuild dropped."""
    connection = connections[using]
    recorder = MigrationRecorder(connection)
    if not recorder.has_table() or not recorder.migration_qs.filter(app="accounts", name="0004_audit").exists():
        return
    install(connection)
