"""Database guards for signed progress notes, so no path around the application (queryset.update(),
raw SQL, a shell) can change a note once it is signed. Modelled on plans/lifecycle/guards.py.

The guards refuse:
- UPDATE and DELETE of a signed note's row (signing itself is the last UPDATE: draft -> signed);
- INSERT, UPDATE and DELETE of a signed note's content rows (objectives worked on, interventions
  used, conflicts active, defenses observed, relationship episodes);
- UPDATE and DELETE of a session whose note is signed (its date, duration, attendance and service
  type are part of what was signed);
- any UPDATE or DELETE of a note's signatures and addenda, which are signed as they are written.

PostgreSQL is the reference: its triggers are installed by migration 0003. SQLite (the embedded
development default) gets the INSERT and UPDATE guards after every migrate and drops them before,
as plans does and for the same reasons: SQLite rebuilds a table to alter it, and Django's test
flush deletes rows, so DELETE guards are left out there; the application never deletes these rows.
"""

from core.sqlite_guards import drop_triggers, migrate_hooks

MESSAGE = "psyplan: this progress note is signed and cannot change; add an addendum"
SIGNED_NOTE = "SELECT 1 FROM notes_progressnote WHERE id = {note} AND status = 'signed'"

# table -> SQL expression giving the note id from a row alias (NEW or OLD)
CONTENT_TABLES = {
    "notes_noteobjective": "{r}.note_id",
    "notes_noteintervention": "{r}.note_id",
    "notes_noteconflict": "{r}.note_id",
    "notes_notedefense": "{r}.note_id",
    "notes_relationshipepisode": "{r}.note_id",
}
# Rows signed as they are written: never updated, never deleted.
WRITE_ONCE_TABLES = ("notes_notesignature", "notes_noteaddendum")
SESSION_NOTE = "(SELECT id FROM notes_progressnote WHERE session_id = {r}.id)"

# The SQL below is built only from the constant table names and expressions above, never from input.


def _pg_content(table: str, expr: str) -> str:
    new, old = expr.format(r="NEW"), expr.format(r="OLD")
    return f"""
CREATE OR REPLACE FUNCTION psyplan_guard_{table}() RETURNS trigger AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS ({SIGNED_NOTE.format(note=old)}) THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'raise_exception';
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') AND EXISTS ({SIGNED_NOTE.format(note=new)}) THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'raise_exception';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS psyplan_guard ON {table};
CREATE TRIGGER psyplan_guard BEFORE INSERT OR UPDATE OR DELETE ON {table}
  FOR EACH ROW EXECUTE FUNCTION psyplan_guard_{table}();
"""


def _pg_note() -> str:
    return f"""
CREATE OR REPLACE FUNCTION psyplan_guard_notes_progressnote() RETURNS trigger AS $$
BEGIN
  IF OLD.status = 'signed' THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'raise_exception';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS psyplan_guard ON notes_progressnote;
CREATE TRIGGER psyplan_guard BEFORE UPDATE OR DELETE ON notes_progressnote
  FOR EACH ROW EXECUTE FUNCTION psyplan_guard_notes_progressnote();
"""


def _pg_session() -> str:
    note = SESSION_NOTE.format(r="OLD")
    return f"""
CREATE OR REPLACE FUNCTION psyplan_guard_notes_therapysession() RETURNS trigger AS $$
BEGIN
  IF EXISTS ({SIGNED_NOTE.format(note=note)}) THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'raise_exception';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS psyplan_guard ON notes_therapysession;
CREATE TRIGGER psyplan_guard BEFORE UPDATE OR DELETE ON notes_therapysession
  FOR EACH ROW EXECUTE FUNCTION psyplan_guard_notes_therapysession();
"""


def _pg_write_once(table: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION psyplan_guard_{table}() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'psyplan: a signed record cannot change or be deleted' USING ERRCODE = 'raise_exception';
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS psyplan_guard ON {table};
CREATE TRIGGER psyplan_guard BEFORE UPDATE OR DELETE ON {table}
  FOR EACH ROW EXECUTE FUNCTION psyplan_guard_{table}();
"""


def install_postgres(schema_editor) -> None:
    for table, expr in CONTENT_TABLES.items():
        schema_editor.execute(_pg_content(table, expr))
    schema_editor.execute(_pg_note())
    schema_editor.execute(_pg_session())
    for table in WRITE_ONCE_TABLES:
        schema_editor.execute(_pg_write_once(table))


def uninstall_postgres(schema_editor) -> None:
    for table in [*CONTENT_TABLES, "notes_progressnote", "notes_therapysession", *WRITE_ONCE_TABLES]:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS psyplan_guard ON {table};")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS psyplan_guard_{table}();")


def _sqlite_statements() -> list[str]:
    abort = f"SELECT RAISE(ABORT, '{MESSAGE}')"
    statements = []
    for table, expr in CONTENT_TABLES.items():
        new, old = expr.format(r="NEW"), expr.format(r="OLD")
        statements += [
            f"""CREATE TRIGGER IF NOT EXISTS psyplan_guard_ins_{table} BEFORE INSERT ON {table}
                WHEN EXISTS ({SIGNED_NOTE.format(note=new)}) BEGIN {abort}; END;""",
            f"""CREATE TRIGGER IF NOT EXISTS psyplan_guard_upd_{table} BEFORE UPDATE ON {table}
                WHEN EXISTS (SELECT 1 FROM notes_progressnote WHERE id IN ({new}, {old}) AND status = 'signed')
                BEGIN {abort}; END;""",  # nosec B608
        ]
    statements += [
        f"""CREATE TRIGGER IF NOT EXISTS psyplan_guard_upd_notes_progressnote BEFORE UPDATE ON notes_progressnote
            WHEN OLD.status = 'signed' BEGIN {abort}; END;""",
        f"""CREATE TRIGGER IF NOT EXISTS psyplan_guard_upd_notes_therapysession BEFORE UPDATE ON notes_therapysession
            WHEN EXISTS ({SIGNED_NOTE.format(note=SESSION_NOTE.format(r="OLD"))}) BEGIN {abort}; END;""",
    ]
    for table in WRITE_ONCE_TABLES:
        statements.append(
            f"""CREATE TRIGGER IF NOT EXISTS psyplan_guard_upd_{table} BEFORE UPDATE ON {table}
                BEGIN SELECT RAISE(ABORT, 'psyplan: a signed record cannot change or be deleted'); END;"""
        )
    return statements


def install_sqlite(cursor) -> None:
    for statement in _sqlite_statements():
        cursor.execute(statement)


def drop_sqlite(cursor) -> None:
    drop_triggers(cursor, "psyplan_guard%notes_%")


before_migrate, after_migrate = migrate_hooks(
    drop=drop_sqlite,
    install=install_sqlite,
    needed_tables=[*CONTENT_TABLES, "notes_progressnote", "notes_therapysession", *WRITE_ONCE_TABLES],
)
