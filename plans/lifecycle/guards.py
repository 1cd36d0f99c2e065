"""Database guards for signed plans, so no path around the application (queryset.update(),
raw SQL, a shell) can change a submitted plan's content.

A plan is locked from submission on (in review, active, superseded, closed). The guards:
- refuse INSERT, UPDATE and DELETE of its content rows (formulation, conflicts, defenses,
  goals, objectives, interventions and the links between them);
- on the plan row, refuse changes to the signed columns, and any move back to an editable
  state except in review -> changes requested (the supervisor's return);
- refuse UPDATE of a signature other than voiding it or filling in, once, the canonical JSON
  of a signature given before the JSON was stored; and any DELETE of one.

What a version quotes from the client's record (plans_planquote) is content like the rest.

PostgreSQL is the reference: its triggers are installed by migrations. SQLite (the embedded
development default) gets the INSERT and UPDATE guards after every migrate and drops them
before, because SQLite rebuilds a table to alter it and a trigger naming a table mid-rebuild
breaks the migration. DELETE guards are left out on SQLite, where Django's test flush deletes
rows; the application never deletes these rows.
"""

from core.sqlite_guards import drop_triggers, migrate_hooks

LOCKED = "('in_review', 'active', 'superseded', 'closed')"

OBJECTIVE_PLAN = (
    "(SELECT g.plan_id FROM plans_objective o JOIN plans_goal g ON g.id = o.goal_id WHERE o.id = {r}.objective_id)"
)

# table -> SQL expression giving the plan id from a row alias (NEW or OLD)
CONTENT_TABLES = {
    "formulation_formulation": "{r}.plan_id",
    "formulation_coreconflict": "(SELECT plan_id FROM formulation_formulation WHERE id = {r}.formulation_id)",
    "formulation_defenseobservation": "(SELECT plan_id FROM formulation_formulation WHERE id = {r}.formulation_id)",
    "plans_goal": "{r}.plan_id",
    "plans_objective": "(SELECT plan_id FROM plans_goal WHERE id = {r}.goal_id)",
    "plans_intervention": "{r}.plan_id",
    "plans_treatmentplan_presenting_problems": "{r}.treatmentplan_id",
    "plans_objective_presenting_problems": OBJECTIVE_PLAN,
    "plans_objective_conflicts": OBJECTIVE_PLAN,
    "plans_objective_defenses": OBJECTIVE_PLAN,
    "plans_intervention_objectives": "(SELECT plan_id FROM plans_intervention WHERE id = {r}.intervention_id)",
    "plans_planquote": "{r}.plan_id",
}
# What migration 0004 installed, kept as it was so that migration still runs on an empty database.
CONTENT_TABLES_0004 = {table: expr for table, expr in CONTENT_TABLES.items() if table != "plans_planquote"}
SIGNATURE_COLUMNS = ["plan_id", "signer_id", "meaning", "printed_name", "credentials", "signed_at", "timezone"]
SIGNATURE_COLUMNS += ["content_hash"]
# What migrations 0004 and 0011 guarded, kept so they still run before the signing_method column exists.
SIGNATURE_COLUMNS_0011 = list(SIGNATURE_COLUMNS)
# How a client's agreement was given (plans 0015) is part of the signature too.
SIGNATURE_COLUMNS += ["signing_method"]
PLAN_SIGNED_COLUMNS = [
    "client_id",
    "author_id",
    "version_number",
    "previous_version_id",
    "start_date",
    "horizon_months",
    "review_interval",
    "lineage",
]
MESSAGE = "psyplan: this plan is signed and cannot change; amend it to make a new version"


# The SQL below is built only from the constant table names and expressions above, never from input.


def _pg_content(table: str, expr: str) -> str:
    new, old = expr.format(r="NEW"), expr.format(r="OLD")
    # bandit B608 is silenced where the string ends: table names and SQL are constants here, never input.
    return f"""
CREATE OR REPLACE FUNCTION psyplan_guard_{table}() RETURNS trigger AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (
      SELECT 1 FROM plans_treatmentplan WHERE id = {old} AND status IN {LOCKED}) THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'raise_exception';
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') AND EXISTS (
      SELECT 1 FROM plans_treatmentplan WHERE id = {new} AND status IN {LOCKED}) THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'raise_exception';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS psyplan_guard ON {table};
CREATE TRIGGER psyplan_guard BEFORE INSERT OR UPDATE OR DELETE ON {table}
  FOR EACH ROW EXECUTE FUNCTION psyplan_guard_{table}();
"""  # nosec B608


def _pg_signature(*, stored_json: bool, columns: list[str]) -> str:
    old_cols = ", ".join(f"OLD.{c}" for c in columns)
    new_cols = ", ".join(f"NEW.{c}" for c in columns)
    # The canonical JSON may be filled in once (for a signature given before it was stored), never changed.
    json_changed = (
        " OR (OLD.canonical_json <> '' AND NEW.canonical_json IS DISTINCT FROM OLD.canonical_json)"
        if stored_json
        else ""
    )
    return f"""
CREATE OR REPLACE FUNCTION psyplan_guard_signature() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'psyplan: signatures are never deleted' USING ERRCODE = 'raise_exception';
  END IF;
  IF OLD.voided_at IS NOT NULL OR ROW({new_cols}) IS DISTINCT FROM ROW({old_cols}){json_changed} THEN
    RAISE EXCEPTION 'psyplan: a signature cannot change' USING ERRCODE = 'raise_exception';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS psyplan_guard ON plans_signature;
CREATE TRIGGER psyplan_guard BEFORE UPDATE OR DELETE ON plans_signature
  FOR EACH ROW EXECUTE FUNCTION psyplan_guard_signature();
"""


def _pg_plan() -> str:
    old_cols = ", ".join(f"OLD.{c}" for c in PLAN_SIGNED_COLUMNS)
    new_cols = ", ".join(f"NEW.{c}" for c in PLAN_SIGNED_COLUMNS)
    return f"""
CREATE OR REPLACE FUNCTION psyplan_guard_plan() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'psyplan: treatment plans are never deleted' USING ERRCODE = 'raise_exception';
  END IF;
  IF OLD.status IN {LOCKED} THEN
    IF ROW({new_cols}) IS DISTINCT FROM ROW({old_cols}) THEN
      RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'raise_exception';
    END IF;
    IF NEW.status NOT IN {LOCKED} AND NOT (OLD.status = 'in_review' AND NEW.status = 'changes_requested') THEN
      RAISE EXCEPTION USING MESSAGE = 'psyplan: a signed plan cannot return to ' || NEW.status,
        ERRCODE = 'raise_exception';
    END IF;
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS psyplan_guard ON plans_treatmentplan;
CREATE TRIGGER psyplan_guard BEFORE UPDATE OR DELETE ON plans_treatmentplan
  FOR EACH ROW EXECUTE FUNCTION psyplan_guard_plan();

"""


def _sqlite_content(table: str, expr: str) -> list[str]:
    new, old = expr.format(r="NEW"), expr.format(r="OLD")
    check = "SELECT RAISE(ABORT, '" + MESSAGE + "')"
    return [
        f"""CREATE TRIGGER IF NOT EXISTS psyplan_guard_ins_{table} BEFORE INSERT ON {table}
            WHEN EXISTS (SELECT 1 FROM plans_treatmentplan WHERE id = {new} AND status IN {LOCKED})
            BEGIN {check}; END;""",  # nosec B608
        f"""CREATE TRIGGER IF NOT EXISTS psyplan_guard_upd_{table} BEFORE UPDATE ON {table}
            WHEN EXISTS (SELECT 1 FROM plans_treatmentplan WHERE id IN ({new}, {old}) AND status IN {LOCKED})
            BEGIN {check}; END;""",  # nosec B608
    ]


def _sqlite_plan() -> list[str]:
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in PLAN_SIGNED_COLUMNS)
    return [
        f"""CREATE TRIGGER IF NOT EXISTS psyplan_guard_upd_plan BEFORE UPDATE ON plans_treatmentplan
            WHEN OLD.status IN {LOCKED} AND (({changed}) OR (NEW.status NOT IN {LOCKED}
                 AND NOT (OLD.status = 'in_review' AND NEW.status = 'changes_requested')))
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
        """CREATE TRIGGER IF NOT EXISTS psyplan_guard_upd_signature BEFORE UPDATE ON plans_signature
            WHEN OLD.voided_at IS NOT NULL OR NEW.content_hash IS NOT OLD.content_hash
                 OR NEW.signed_at IS NOT OLD.signed_at OR NEW.printed_name IS NOT OLD.printed_name
                 OR NEW.meaning IS NOT OLD.meaning OR NEW.plan_id IS NOT OLD.plan_id
                 OR NEW.signer_id IS NOT OLD.signer_id OR NEW.credentials IS NOT OLD.credentials
                 OR NEW.timezone IS NOT OLD.timezone OR NEW.signing_method IS NOT OLD.signing_method
                 OR (OLD.canonical_json <> '' AND NEW.canonical_json IS NOT OLD.canonical_json)
            BEGIN SELECT RAISE(ABORT, 'psyplan: a signature cannot change'); END;""",
    ]


def install_postgres(
    schema_editor,
    tables: dict[str, str],
    *,
    stored_json: bool = True,
    signature_columns: list[str] | None = None,
) -> None:
    """`tables`, `stored_json` and `signature_columns` let an old migration install the guards as
    they were then (a guard naming a column that does not exist yet breaks the next UPDATE)."""
    for table, expr in tables.items():
        schema_editor.execute(_pg_content(table, expr))
    schema_editor.execute(_pg_plan())
    columns = SIGNATURE_COLUMNS if signature_columns is None else signature_columns
    schema_editor.execute(_pg_signature(stored_json=stored_json, columns=columns))


def install_sqlite(cursor) -> None:
    for table, expr in CONTENT_TABLES.items():
        for statement in _sqlite_content(table, expr):
            cursor.execute(statement)
    for statement in _sqlite_plan():
        cursor.execute(statement)


def drop_sqlite(cursor) -> None:
    drop_triggers(cursor, "psyplan_guard%")


before_migrate, after_migrate = migrate_hooks(
    drop=drop_sqlite, install=install_sqlite, needed_tables=[*CONTENT_TABLES, "plans_treatmentplan", "plans_signature"]
)
