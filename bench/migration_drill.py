"""Migration drill: build a PostgreSQL database with the code of an older commit, migrate it with
the code checked out now, and prove that nothing was lost on the way.

1. The base commit (BASE_COMMIT, main before the plans split; `--base REV` for another) is
   extracted with `git archive` into a temporary directory, so the drill works from any full
   clone and leaves no worktree behind.
2. A scratch database is created (dropped first), then, with the old tree as the working
   directory and on PYTHONPATH: `migrate`, `seed_demo --force --scale N` (the demo practices
   plus N synthetic clients, each with a signed plan and a year of quarterly reviews), a little
   activity through the old services (ACTIVITY: a scheduler run per practice, a bulk export, a
   comment, the queued notices, an idempotency key) and `write_audit_checkpoint`.
3. Before: every public table's row count, the content types, every index, constraint and
   trigger name, each signature's state by the old code's `verify_signatures` (valid, voided,
   or mismatch where it names the signature) and `verify_audit_log`.
4. `migrate` with the code checked out now, then the same figures recorded by the new code.
5. `compare` decides: every table keeps its row count (`django_migrations` excepted, and its new
   rows printed); new tables are empty; content types keep their ids (relabels are listed); no
   index, constraint or trigger disappears; the same signatures verify; the audit chain verifies
   with the same number of entries and matches the checkpoint the old code wrote.

    python -m bench.migration_drill [--base REV] [--scale N] [--database NAME]

It exits non-zero on any mismatch, naming it. The scratch database is dropped after a pass and
kept after a failure, for inspection.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from bench.backup_drill import counts

# main before the plans split (issue 13): the schema every deployment had when the split shipped.
BASE_COMMIT = "9c8231be901897b6710bf6bc16234a5406b737a4"
SCRATCH = "psyplan_migration_drill"
# bench.load's scale: 500 synthetic clients, about 85,000 rows; the drill takes under a minute alone on
# two cores, about two minutes while other work shares them.
SCALE = 500
ROOT = Path(__file__).resolve().parent.parent

# Tables whose row count may change by design, with the reason printed beside them.
EXCLUDED = {"django_migrations": "grows by design: the new head's migrations are recorded in it"}
# Apps that did not exist at the base commit: their models are new, not moved, so their content types
# (and Django's four default permissions on each) are expected to appear. Nothing else may.
NEW_APPS = {"notes": "sessions and progress notes (issue 14)", "participation": "client links (issue 15)"}
# Models new since the base commit in apps that existed then (app_label.model, as content types name them).
NEW_MODELS = {
    "progress.clientalliancerating": "the client-rated alliance (issue 15)",
    "accounts.staffdeactivation": "each staff deactivation, to offer back the links it ended (issue 16)",
    "plans.interventiontemplate": "the interventions a plan template suggests (issue 16)",
}


def new_since_base(label: str) -> str | None:
    """Why a content type may be new after migrating (a new app's model, or a new model), or None."""
    app = label.split(".", 1)[0]
    return NEW_MODELS.get(label) or (NEW_APPS[app] if app in NEW_APPS else None)


# New tables that their own migration fills: (table -> what fills it). Any other new table must be empty.
SEEDED_NEW_TABLES = {
    "notes_servicetype": "the built-in service types (notes 0002)",
    "plans_interventiontemplate": "the built-in templates' interventions (plans 0018)",
    "plans_interventiontemplate_objectives": "the objectives each built-in template intervention serves (plans 0018)",
}
DEFAULT_PERMISSIONS = 4  # add, change, delete, view
# Mismatches printed one by one; a migration that breaks every signature would otherwise print thousands.
SHOWN = 40
# A signature in one of these states has been checked and is what it claims to be.
SOUND = {"valid", "voided"}

# Run by each tree's own code, from that tree, in one process: where its apps were imported from,
# and its `verify_signatures` (every signature recomputed from the rows, mismatches listed by id)
# and `verify_audit_log`. Management commands keep their names when their apps move.
CHECKS = r"""
import io, json
import django
django.setup()
from django.apps import apps
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError
found = {"apps": {a.name: a.path for a in apps.get_app_configs()}}
for name in ("verify_signatures", "verify_audit_log"):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(name, stdout=out, stderr=err)
        code = 0
    except CommandError as exc:
        code = 1
        err.write(f"{exc}\n")
    found[name] = {"app": get_commands()[name], "code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}
print("DRILL " + json.dumps(found))
"""

# Run by the old code after seed_demo: a little of what people do, through the old services, so that
# the tables seed_demo leaves empty (scheduler runs, exports, comments, notices, idempotency keys,
# more access-log entries) have rows to lose.
ACTIVITY = r"""
import django
django.setup()
from django.http import HttpResponse
from accounts import idempotency
from accounts.models import OutboxMessage, Practice, User
from accounts.tasks import deliver_notification
from plans import exports, lifecycle, scheduling
from plans.models import TreatmentPlan
admin = User.objects.get(email="admin@demo.test")
for practice in Practice.objects.order_by("pk"):
    scheduling.run_recorded(practice, practice.today())
export = exports.request_export(actor=admin)
exports.start(export.pk)
plan = TreatmentPlan.objects.filter(author__email="clinician@demo.test").order_by("pk").first()
lifecycle.add_comment(actor=plan.author, plan=plan, body="Migration drill: a comment to keep.")
# The notices the outbox holds, delivered in-process as the worker would deliver them.
for message in OutboxMessage.objects.filter(task="accounts.tasks.deliver_notification"):
    deliver_notification(*message.args, **message.kwargs)
idempotency.run_once(
    user=admin, scope="migration-drill", key="drill-key", request_fingerprint="drill",
    action=lambda: HttpResponse("done"), accepted=lambda response: True,
)
"""

SCHEMA_OBJECTS = """
SELECT t.relname, 'index ' || i.relname
  FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
 WHERE t.relnamespace = 'public'::regnamespace
UNION ALL
SELECT t.relname, 'constraint ' || c.conname
  FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
 WHERE t.relnamespace = 'public'::regnamespace
UNION ALL
SELECT t.relname, 'trigger ' || g.tgname
  FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid
 WHERE t.relnamespace = 'public'::regnamespace AND NOT g.tgisinternal
"""


class DrillError(Exception):
    """A step of the drill could not run (as opposed to a mismatch it found)."""


@dataclass
class Snapshot:
    tables: dict[str, int]
    migrations: set[tuple[str, str]] = field(default_factory=set)
    # content type id -> "app_label.model"
    content_types: dict[int, str] = field(default_factory=dict)
    # (table, "index name" / "constraint name" / "trigger name")
    schema: set[tuple[str, str]] = field(default_factory=set)
    # signature id -> "valid", "voided", "mismatch" or "unchecked"
    signatures: dict[int, str] = field(default_factory=dict)
    # `verify_signatures`: exit code and its summary line
    signature_command: tuple[int, str] = (0, "")
    # `verify_audit_log`: exit code, entries it verified (None when unreadable), its first line
    audit: tuple[int, int | None, str] = (0, None, "")


@dataclass
class Verdict:
    # (what, before, after, verdict) for the printed table
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _count_signatures(states: dict[int, str]) -> str:
    found: dict[str, int] = {}
    for state in states.values():
        found[state] = found.get(state, 0) + 1
    return ", ".join(f"{n} {state}" for state, n in sorted(found.items())) or "none"


def _signatures_checked(summary: str) -> int | None:
    match = re.match(r"(\d+) signatures", summary)
    return int(match.group(1)) if match else None


def compare(before: Snapshot, after: Snapshot) -> Verdict:
    """Everything the old database held must still be there, and still verify, after migrating."""
    verdict = Verdict()
    problems, notes, rows = verdict.problems, verdict.notes, verdict.rows

    new_models = sorted(
        label for pk, label in after.content_types.items() if pk not in before.content_types and new_since_base(label)
    )
    # The rows a new app's models add to these tables, and nothing more.
    expected_gain = {"django_content_type": len(new_models), "auth_permission": DEFAULT_PERMISSIONS * len(new_models)}
    for label in new_models:
        app = label.split(".", 1)[0]
        why = f"app {app}: {NEW_APPS[app]}" if app in NEW_APPS else new_since_base(label)
        notes.append(f"new model {label} ({why})")

    for table in sorted(before.tables.keys() | after.tables.keys()):
        old, new = before.tables.get(table), after.tables.get(table)
        gain = expected_gain.get(table, 0)
        if table in EXCLUDED:
            rows.append((table, str(old), str(new), f"excluded: {EXCLUDED[table]}"))
        elif new is None:
            rows.append((table, str(old), "—", "MISSING"))
            problems.append(f"table {table} is gone after migrating (it had {old} rows)")
        elif old is None and new and table in SEEDED_NEW_TABLES:
            rows.append((table, "—", str(new), f"new, seeded: {SEEDED_NEW_TABLES[table]}"))
        elif old is None:
            rows.append((table, "—", str(new), "new, empty" if new == 0 else "NEW WITH ROWS"))
            if new:
                problems.append(f"table {table} is new and not empty: {new} rows")
            else:
                notes.append(f"new table {table} (empty)")
        elif gain and new == old + gain:
            rows.append((table, str(old), str(new), f"equal, plus {gain} for the new apps' models"))
        elif old + gain != new:
            expected = old + gain
            change = f"{expected - new} lost" if new < expected else f"{new - expected} gained"
            rows.append((table, str(old), str(new), f"MISMATCH: {change}"))
            problems.append(
                f"table {table}: {old} rows before, {new} after ({change}"
                + (f" beyond the {gain} the new apps' models add)" if gain else ")")
            )
        else:
            rows.append((table, str(old), str(new), "equal"))

    for app, name in sorted(after.migrations - before.migrations):
        notes.append(f"migration applied by the new code: {app}.{name}")
    for app, name in sorted(before.migrations - after.migrations):
        problems.append(f"django_migrations lost its record of {app}.{name}")

    for pk in sorted(before.content_types.keys() - after.content_types.keys()):
        problems.append(f"content type {pk} ({before.content_types[pk]}) is gone")
    for pk in sorted(after.content_types.keys() - before.content_types.keys()):
        if new_since_base(after.content_types[pk]):
            continue  # a new app's model or a new model, listed above
        problems.append(
            f"content type {pk} ({after.content_types[pk]}) is new: a moved model's old one was not relabelled"
        )
    for pk in sorted(before.content_types.keys() & after.content_types.keys()):
        old, new = before.content_types[pk], after.content_types[pk]
        if old.split(".", 1)[1] != new.split(".", 1)[1]:
            problems.append(f"content type {pk} changed model: {old} -> {new}")
        elif old != new:
            notes.append(f"content type {pk} relabelled: {old} -> {new}")

    for table, name in sorted(before.schema - after.schema):
        problems.append(f"{name} on {table} is gone (renamed or dropped)")
    for table, name in sorted(after.schema - before.schema):
        notes.append(f"new {name} on {table}")
    rows.append(("indexes, constraints, triggers", str(len(before.schema)), str(len(after.schema)), ""))

    old_ids, new_ids = before.signatures.keys(), after.signatures.keys()
    for pk in sorted(old_ids - new_ids):
        problems.append(f"signature {pk} is gone")
    for pk in sorted(new_ids - old_ids):
        problems.append(f"signature {pk} is new")
    # One line per kind of change, naming the signatures: a broken migration can break hundreds.
    changes: dict[str, list[int]] = {}
    for pk in sorted(old_ids):
        old = before.signatures[pk]
        if old not in SOUND:
            changes.setdefault(f"did not verify even before migrating ({old}), so the baseline is broken", []).append(
                pk
            )
        elif pk in after.signatures and after.signatures[pk] != old:
            changes.setdefault(f"{old} before migrating, {after.signatures[pk]} after", []).append(pk)
    for change, ids in changes.items():
        named = ", ".join(map(str, ids[:20])) + (f" and {len(ids) - 20} more" if len(ids) > 20 else "")
        problems.append(f"{len(ids)} signature{'s' if len(ids) > 1 else ''} {change}: {named}")
    changed = sum(1 for pk in old_ids & new_ids if before.signatures[pk] != after.signatures[pk])
    rows.append(
        (
            "signatures (verify_signatures)",
            _count_signatures(before.signatures),
            _count_signatures(after.signatures),
            "same" if not changed and old_ids == new_ids else "MISMATCH",
        )
    )

    for label, (code, summary) in (("before", before.signature_command), ("after", after.signature_command)):
        if code != 0:
            problems.append(f"verify_signatures failed {label} migrating: {summary}")
    checked = (_signatures_checked(before.signature_command[1]), _signatures_checked(after.signature_command[1]))
    if checked[0] != checked[1] or checked[0] != len(before.signatures):
        problems.append(
            f"verify_signatures checked {checked[0]} signatures before and {checked[1]} after "
            f"({len(before.signatures)} in the table before)"
        )
    rows.append(("verify_signatures (checked)", str(checked[0]), str(checked[1]), ""))

    for label, (code, _entries, message) in (("before", before.audit), ("after", after.audit)):
        if code != 0:
            problems.append(f"verify_audit_log failed {label} migrating: {message}")
    if before.audit[1] is None or before.audit[1] != after.audit[1]:
        problems.append(f"the audit chain verified {before.audit[1]} entries before and {after.audit[1]} after")
    rows.append(("verify_audit_log (entries)", str(before.audit[1]), str(after.audit[1]), ""))
    return verdict


# --- Running the trees -----------------------------------------------------------------------


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)  # noqa: S603,S607
    if done.returncode != 0:
        raise DrillError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def resolve(rev: str) -> str:
    """The full hash of `rev`; a clone without it (a shallow one, say) fails the drill rather than
    passing it with nothing compared."""
    try:
        return _git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    except DrillError:
        pass
    try:
        shallow = _git("rev-parse", "--is-shallow-repository") == "true"
    except DrillError:
        shallow = False
    hint = " This clone is shallow: `git fetch --unshallow` first." if shallow else ""
    raise DrillError(
        f"the base commit {rev} is not in this clone's history, so there is nothing to migrate from.{hint}"
    )


def extract(sha: str, dest: Path) -> None:
    archive = subprocess.Popen(["git", "archive", "--format=tar", sha], cwd=ROOT, stdout=subprocess.PIPE)  # noqa: S603,S607
    with tarfile.open(fileobj=archive.stdout, mode="r|") as tar:
        tar.extractall(dest, filter="data")
    if archive.wait() != 0:
        raise DrillError(f"git archive {sha} failed")


def environment(tree: Path, database: str, scratch: Path) -> dict[str, str]:
    """What both trees run with: the same keys (so the chain and signatures verify across them), no
    broker (the filesystem transport in a scratch directory), no mail, and only this tree importable."""
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "CELERY_", "AUDIT_", "PSYPLAN_", "DATABASE_"))
        and k not in {"PYTHONPATH", "EMAIL_URL", "CACHE_URL", "PRIVATE_MEDIA_ROOT", "STATIC_ROOT"}
    }
    return inherited | {
        "PYTHONPATH": str(tree),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": "migration-drill-only-secret-key-not-for-production-0123456789",
        "AUDIT_HMAC_KEY": "migration-drill-only-audit-key-not-for-production-0123456789",
        "AUDIT_CHECKPOINT_PATH": str(scratch / "audit-checkpoints.jsonl"),
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": database,
        "EMAIL_URL": "dummymail://",
        "CACHE_URL": "locmemcache://drill",
        "CELERY_BROKER_URL": "filesystem://",
        "CELERY_BROKER_DIR": str(scratch / "broker"),
        "PRIVATE_MEDIA_ROOT": str(scratch / "private"),
        "STATIC_ROOT": str(scratch / "static"),
        "LOG_LEVEL": "WARNING",
    }


def run(tree: Path, env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, *args], cwd=tree, env=env, capture_output=True, text=True)  # noqa: S603
    if check and done.returncode != 0:
        raise DrillError(f"{' '.join(args[:2])} in {tree} failed:\n{done.stdout}{done.stderr}")
    return done


def manage(tree: Path, env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return run(tree, env, "manage.py", *args, check=check)


def database_figures(url: str) -> Snapshot:
    with psycopg.connect(url) as conn:
        migrations = set(conn.execute("SELECT app, name FROM django_migrations").fetchall())
        content_types = {
            pk: f"{app}.{model}"
            for pk, app, model in conn.execute("SELECT id, app_label, model FROM django_content_type")
        }
        schema = set(conn.execute(SCHEMA_OBJECTS).fetchall())
    return Snapshot(tables=counts(url), migrations=migrations, content_types=content_types, schema=schema)


def signature_states(ids: dict[int, bool], command: dict) -> dict[int, str]:
    """Each signature's state by `verify_signatures`: "mismatch" where it names it, else voided or valid."""
    mismatched = {int(m) for m in re.findall(r"^MISMATCH plan \d+, signature (\d+)", command["stderr"], re.M)}
    return {pk: "mismatch" if pk in mismatched else ("voided" if voided else "valid") for pk, voided in ids.items()}


def imported_from(app_paths: dict[str, str], tree: Path, label: str) -> None:
    """The project is installed in the venv in editable mode, pointing at the current checkout: each
    of our apps (everything not from site-packages) must really have been imported from `tree`."""
    ours = {
        app: path for app, path in app_paths.items() if not {"site-packages", "dist-packages"} & set(Path(path).parts)
    }
    for app, path in ours.items():
        if not Path(path).resolve().is_relative_to(tree.resolve()):
            raise DrillError(f"{label} code: app {app} was imported from {path}, not from {tree}")
    if "plans" not in ours:
        raise DrillError(f"{label} code: no plans app among {sorted(ours)}")


def snapshot(tree: Path, env: dict[str, str], label: str) -> Snapshot:
    figures = database_figures(env["DATABASE_URL"])
    done = run(tree, env, "-c", CHECKS)
    line = next((x for x in done.stdout.splitlines() if x.startswith("DRILL ")), None)
    if line is None:
        raise DrillError(f"the {label} code's checks printed nothing usable:\n{done.stdout}{done.stderr}")
    found = json.loads(line[len("DRILL ") :])
    imported_from(found["apps"], tree, label)
    signatures, audit = found["verify_signatures"], found["verify_audit_log"]
    print(
        f"  {label} code: plans from {found['apps'].get('plans')}; "
        f"verify_signatures from {signatures['app']}, verify_audit_log from {audit['app']}"
    )
    with psycopg.connect(env["DATABASE_URL"]) as conn:
        ids = dict(conn.execute("SELECT id, voided_at IS NOT NULL FROM plans_signature").fetchall())
    figures.signatures = signature_states(ids, signatures)
    lines = (signatures["stdout"] + signatures["stderr"]).strip().splitlines()
    figures.signature_command = (signatures["code"], lines[-1] if lines else "no output")
    lines = (audit["stdout"] if audit["code"] == 0 else audit["stderr"]).strip().splitlines()
    entries = re.search(r"intact: (\d+) entries", audit["stdout"])
    message = (lines[0] if audit["code"] == 0 else lines[-1]) if lines else "no output"
    figures.audit = (audit["code"], int(entries.group(1)) if entries else None, message)
    print(f"  {label} code: {figures.signature_command[1]}\n  {label} code: {message}")
    return figures


def print_table(rows: list[tuple[str, str, str, str]]) -> None:
    headers = ("table / check", "before", "after", "verdict")
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(4)]
    line = "  ".join("{:<" + str(w) + "}" for w in widths)
    print(line.format(*headers).rstrip())
    print(line.format(*("-" * w for w in widths)))
    for row in rows:
        print(line.format(*row).rstrip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Migrate a database built at an older commit; compare.")
    parser.add_argument(
        "--base", default=BASE_COMMIT, help=f"the commit to build the database with ({BASE_COMMIT[:7]})"
    )
    parser.add_argument("--scale", type=int, default=SCALE, help=f"synthetic clients for seed_demo --scale ({SCALE})")
    parser.add_argument("--database", default=SCRATCH, help=f"scratch database name ({SCRATCH}), dropped first")
    args = parser.parse_args(argv)

    server = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    if not server.startswith(("postgres://", "postgresql://")):
        print("The migration drill needs PostgreSQL: set DATABASE_URL to a database on the server to use.")
        return 2
    parts = urlsplit(server)
    admin = urlunsplit(parts._replace(path="/postgres"))
    database = urlunsplit(parts._replace(path=f"/{args.database}"))
    started = time.perf_counter()

    def step(what: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {what}", flush=True)

    try:
        sha = resolve(args.base)
        head = _git("rev-parse", "--short", "HEAD")
        dirty = " with uncommitted changes" if _git("status", "--porcelain", "--untracked-files=no") else ""
        with tempfile.TemporaryDirectory(prefix="psyplan-migration-drill-") as tmp:
            scratch = Path(tmp)
            old_tree = scratch / "base"
            step(f"base {sha[:12]} extracted to {old_tree}; new code: {ROOT} at {head}{dirty}")
            extract(sha, old_tree)
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
                conn.execute(f"CREATE DATABASE {args.database}")
            old_env = environment(old_tree, database, scratch)
            new_env = environment(ROOT, database, scratch)

            step(f"old code: migrate, seed_demo --scale {args.scale}, activity, write_audit_checkpoint")
            manage(old_tree, old_env, "migrate", "--noinput")
            manage(old_tree, old_env, "seed_demo", "--force", "--scale", str(args.scale))
            run(old_tree, old_env, "-c", ACTIVITY)
            manage(old_tree, old_env, "write_audit_checkpoint")
            step("old code: figures before")
            before = snapshot(old_tree, old_env, "old")

            step("new code: migrate")
            migrated = manage(ROOT, new_env, "migrate", "--noinput")
            applied = [x.strip() for x in migrated.stdout.splitlines() if x.strip().startswith("Applying")]
            print(f"  {len(applied)} migrations applied" + "".join(f"\n    {x}" for x in applied))
            step("new code: figures after")
            after = snapshot(ROOT, new_env, "new")
    except DrillError as exc:
        print(f"FAIL: {exc}")
        return 2

    verdict = compare(before, after)
    print()
    print_table(verdict.rows)
    print()
    for note in verdict.notes:
        print(f"note: {note}")
    rows = sum(v for k, v in before.tables.items() if k not in EXCLUDED)
    step(f"{len(before.tables)} tables, {rows} rows, {len(before.signatures)} signatures compared")
    if not verdict.ok:
        for problem in verdict.problems[:SHOWN]:
            print(f"MISMATCH: {problem}")
        if len(verdict.problems) > SHOWN:
            print(f"MISMATCH: ... and {len(verdict.problems) - SHOWN} more")
        print(f"FAIL: {len(verdict.problems)} mismatches; database {args.database} kept for inspection")
        return 1
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
    print("PASS: every table keeps its rows, every signature and the audit chain verify after migrating")
    return 0


if __name__ == "__main__":
    sys.exit(main())
