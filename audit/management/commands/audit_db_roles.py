"""Print the PostgreSQL that keeps the application's database role from rewriting the audit trail.

The append-only triggers stop UPDATE and DELETE from the application, but the owner of a table
can TRUNCATE it, disable its triggers or drop it. So the role the web, worker and beat connect
as must not own the audit tables: one role owns the schema and runs migrations, another
(the application's) may only read and append to the audit tables.
"""

from django.core.management.base import BaseCommand, CommandError

# Written by the application and the database's triggers, never changed or removed.
AUDIT_TABLES = ["accounts_accesslog", "accounts_changerecord"]


def _identifier(name: str) -> str:
    """Names are spliced into SQL (roles cannot be bound parameters): plain identifiers only."""
    if not (name[:1].isalpha() and name.replace("_", "").isalnum() and name.isascii()):
        raise CommandError(f"{name!r}: use a plain identifier (letters, digits, underscores).")
    return name


def setup_statements(*, owner: str, app: str, database: str) -> list[str]:
    """Once, as a superuser: the two roles, and everything in the database owned by `owner`."""
    owner, app, database = _identifier(owner), _identifier(app), _identifier(database)
    return [
        f"CREATE ROLE {owner} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS",
        f"CREATE ROLE {app} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT",
        f"ALTER DATABASE {database} OWNER TO {owner}",
        f"ALTER SCHEMA public OWNER TO {owner}",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA public TO {app}",
        _HAND_OVER_TO_OWNER.replace("{owner}", owner),
    ]


# An existing database: every table and function in public is handed to the owner. The owner's
# name is a checked identifier (see _identifier), spliced in by setup_statements.
_HAND_OVER_TO_OWNER = """DO $$
DECLARE item record;
BEGIN
  FOR item IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
    EXECUTE format('ALTER TABLE public.%I OWNER TO {owner}', item.tablename);
  END LOOP;
  FOR item IN SELECT p.oid::regprocedure AS fn FROM pg_proc p
      JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' LOOP
    EXECUTE format('ALTER FUNCTION %s OWNER TO {owner}', item.fn);
  END LOOP;
END $$"""


def grant_statements(*, app: str) -> list[str]:
    """After every `migrate` (run as the owner): the application's rights, audit tables append-only."""
    app = _identifier(app)
    tables = ", ".join(AUDIT_TABLES)
    return [
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app}",
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {tables} FROM {app}",
    ]


class Command(BaseCommand):
    help = "Print the SQL that gives the application a database role which cannot rewrite the audit tables."

    def add_arguments(self, parser):
        parser.add_argument("--owner", default="psyplan_owner", help="role that owns the schema and runs migrations")
        parser.add_argument("--app", default="psyplan_app", help="role the web, worker and beat connect as")
        parser.add_argument("--database", default="psyplan")

    def handle(self, *args, owner, app, database, **options):
        out = [
            f"-- Once, as a superuser, connected to {database}. Then give both roles passwords"
            f" (\\password {owner}, \\password {app}).",
            *(s + ";" for s in setup_statements(owner=owner, app=app, database=database)),
            "",
            f"-- After every `manage.py migrate` (run with {owner}'s DATABASE_URL), as {owner}:",
            *(s + ";" for s in grant_statements(app=app)),
        ]
        self.stdout.write("\n".join(out))
