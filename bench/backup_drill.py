"""Backup and restore drill: pg_dump the database, restore it into a scratch database, and check
that every table's row count matches, that every signature still matches the content it signed
(`manage.py verify_signatures`, recomputed from the restored rows) and, where the audit log exists,
that its HMAC chain verifies under AUDIT_HMAC_KEY and matches the latest checkpoint in
AUDIT_CHECKPOINT_PATH.

    DATABASE_URL=postgres://... python -m bench.backup_drill
"""

import os
import subprocess
import sys
import tempfile
from urllib.parse import urlsplit, urlunsplit

import psycopg

SCRATCH = "psyplan_restore_drill"


def counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            ).fetchall()
        ]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608


def main() -> int:
    source = os.environ.get("DATABASE_URL", "")
    if not source.startswith(("postgres://", "postgresql://")):
        print("Set DATABASE_URL to the PostgreSQL database to rehearse on.")
        return 2
    parts = urlsplit(source)
    admin = urlunsplit(parts._replace(path="/postgres"))
    scratch = urlunsplit(parts._replace(path=f"/{SCRATCH}"))
    with tempfile.TemporaryDirectory() as tmp:
        dump = os.path.join(tmp, "drill.dump")
        subprocess.run(["pg_dump", "-Fc", "-f", dump, source], check=True)  # noqa: S603,S607
        size = os.path.getsize(dump)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {SCRATCH}")
        subprocess.run(["pg_restore", "--no-owner", "-d", scratch, dump], check=True)  # noqa: S603,S607
    before, after = counts(source), counts(scratch)
    mismatched = {t: (before[t], after.get(t)) for t in before if before[t] != after.get(t)}
    print(f"dump: {size / 1024:.0f} KiB; tables: {len(before)}; rows: {sum(before.values())}")
    if mismatched:
        print(f"MISMATCH in {len(mismatched)} tables: {mismatched}")
        return 1
    print("row counts match in every table")
    # A mail backend unless the caller named one: with DEBUG off the console one is refused.
    env = {"EMAIL_URL": "dummymail://"} | os.environ | {"DATABASE_URL": scratch}
    verify = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "verify_audit_log"], env=env, capture_output=True, text=True
    )
    if "Unknown command" in verify.stderr:
        print("no audit log to verify in this build")
    else:
        # The chain is keyed: the drill needs the deployment's AUDIT_HMAC_KEY (and, to catch a lost
        # tail, its AUDIT_CHECKPOINT_PATH); a failure prints its one-line reason, not a traceback.
        lines = (verify.stdout if verify.returncode == 0 else verify.stderr).strip().splitlines()
        print("\n".join(lines) if verify.returncode == 0 else (lines[-1] if lines else "verify_audit_log failed"))
        if verify.returncode != 0:
            return 1
    # Every signature re-verified against the restored rows: a restore that lost or altered signed
    # content fails the drill.
    signatures = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "verify_signatures"], env=env, capture_output=True, text=True
    )
    print((signatures.stdout.strip() + "\n" + signatures.stderr.strip()).strip())
    if signatures.returncode != 0:
        print("FAIL: signatures do not match their content in the restored database")
        return 1
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
