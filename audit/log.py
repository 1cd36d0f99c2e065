"""The access log: who saw, tried or did what, to which record, from where.

`record(...)` is the one way to write it. Views, services, exports and tasks call it;
reads and denied requests are recorded centrally by `AuditMiddleware`, from the route
(`request.resolver_match`) and the response status, so new views are covered without
touching them.

Rows are chained: each carries the HMAC-SHA256, under `AUDIT_HMAC_KEY` (never stored in the
database), of its fields and the previous row's MAC, so that someone who can write the table
cannot rewrite it into a chain that verifies. Deleting the newest rows leaves a chain that
still verifies, so checkpoints (entry count and head MAC) are appended daily to a file
outside the database, and verification compares the table with the latest one (`verify`).
The `hash` and `prev_hash` columns keep their names from the days of plain SHA-256; accounts migration
0008_access_log_hmac_chain re-chained the rows written then. Appends are serialised so that
two writers never chain to the same predecessor: on PostgreSQL with a transaction-scoped
advisory lock, on SQLite by its single writer lock (our connections open transactions with
BEGIN IMMEDIATE). The table refuses UPDATE (and, on PostgreSQL, DELETE) through triggers
(accounts migration 0004); TRUNCATE and disabling those triggers need the table owner's rights, which
the application's database role must not have (`manage.py audit_db_roles` prints the SQL).

No PHI is written: records are named by type and id, people by their staff email.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit.models import AccessLog

GENESIS = "0" * 64
# config/settings.py falls back to this public key with DEBUG on; the commands say when it is in use.
DEVELOPMENT_KEY = "psyplan-development-audit-key-not-secret"  # noqa: S105 - public by design, DEBUG only
# Any fixed 64-bit number; names "the access log chain" among advisory locks.
CHAIN_LOCK_KEY = 0x5053_5950_4C41_4E01

# The request being served on this thread or task, so services can audit without
# being handed it. Set by AuditMiddleware.
_current_request: contextvars.ContextVar = contextvars.ContextVar("psyplan_request", default=None)


class Action:
    """What an entry records. Strings, so new kinds (API, FHIR) need no migration."""

    READ = "read"
    WRITE = "write"  # only ever with outcome "denied": changes themselves are in ChangeRecord
    LOGIN = "login"
    LOGOUT = "logout"
    LOGIN_FAILED = "login_failed"
    LOCKOUT = "lockout"
    TWO_FACTOR = "two_factor"
    TWO_FACTOR_ENROLLED = "two_factor_enrolled"
    TWO_FACTOR_DISABLED = "two_factor_disabled"
    PASSWORD_CHANGE = "password_change"  # noqa: S105 - an action name, not a password
    ROLE_CHANGE = "role_change"
    STAFF_CHANGE = "staff_change"
    SECURITY_SETTINGS = "security_settings"
    CHAIN_UPGRADE = "chain_upgrade"  # written once, by the migration that re-keyed the chain
    SIGN = "sign"
    SIGNER_CHECK = "signer_check"  # the signer's password or code asked again before a signature
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REVISE = "revise"
    AMEND = "amend"
    CLOSE = "close"
    PDF_DOWNLOAD = "pdf_download"
    BULK_EXPORT = "bulk_export"
    FHIR_EXPORT = "fhir_export"
    AUDIT_EXPORT = "audit_export"
    TEMPLATE_PUBLISH = "template_publish"
    # A practice technique's description, as the library's admin wrote it.
    TECHNIQUE_DESCRIBE = "technique_describe"
    # Private process notes (issue 14): every read, and each share and its revocation.
    PROCESS_NOTE_READ = "process_note_read"
    PROCESS_NOTE_SHARE = "process_note_share"
    PROCESS_NOTE_UNSHARE = "process_note_unshare"
    # Client links (issue 15): made, sent, revoked; and each open, check of the date of birth,
    # lock after five wrong ones, and submission by the client.
    CLIENT_LINK_CREATE = "client_link_create"
    CLIENT_LINK_SEND = "client_link_send"
    CLIENT_LINK_REVOKE = "client_link_revoke"
    CLIENT_LINK_OPEN = "client_link_open"
    CLIENT_LINK_VERIFY = "client_link_verify"
    CLIENT_LINK_VOID = "client_link_void"
    CLIENT_LINK_SUBMIT = "client_link_submit"
    # The practice's client-link settings (expiry, crisis text, scheduled questionnaires).
    CLIENT_LINK_SETTINGS = "client_link_settings"
    CLIENT_ALERT_RAISE = "client_alert_raise"
    CLIENT_ALERT_ACKNOWLEDGE = "client_alert_acknowledge"

    CHOICES = [
        (READ, "Read"),
        (WRITE, "Change attempt"),
        (LOGIN, "Sign-in"),
        (LOGOUT, "Sign-out"),
        (LOGIN_FAILED, "Failed sign-in"),
        (LOCKOUT, "Lockout"),
        (TWO_FACTOR, "Two-factor check"),
        (TWO_FACTOR_ENROLLED, "Two-factor enrolled"),
        (TWO_FACTOR_DISABLED, "Two-factor turned off"),
        (PASSWORD_CHANGE, "Password change"),
        (ROLE_CHANGE, "Role change"),
        (STAFF_CHANGE, "Staff change"),
        (SECURITY_SETTINGS, "Security settings"),
        (CHAIN_UPGRADE, "Audit chain re-keyed"),
        (SIGN, "Sign"),
        (SIGNER_CHECK, "Signer's password or code"),
        (APPROVE, "Approve"),
        (REQUEST_CHANGES, "Request changes"),
        (REVISE, "Revise"),
        (AMEND, "Amend"),
        (CLOSE, "Close"),
        (PDF_DOWNLOAD, "PDF download"),
        (BULK_EXPORT, "Bulk export"),
        (FHIR_EXPORT, "FHIR export"),
        (AUDIT_EXPORT, "Audit log export"),
        (TEMPLATE_PUBLISH, "Plan shared as template"),
        (TECHNIQUE_DESCRIBE, "Technique described"),
        (PROCESS_NOTE_READ, "Process note read"),
        (PROCESS_NOTE_SHARE, "Process note shared"),
        (PROCESS_NOTE_UNSHARE, "Process note share revoked"),
        (CLIENT_LINK_CREATE, "Client link made"),
        (CLIENT_LINK_SEND, "Client link sent"),
        (CLIENT_LINK_REVOKE, "Client link revoked"),
        (CLIENT_LINK_OPEN, "Client link opened"),
        (CLIENT_LINK_VERIFY, "Client link date-of-birth check"),
        (CLIENT_LINK_VOID, "Client link locked"),
        (CLIENT_LINK_SUBMIT, "Client link answered"),
        (CLIENT_LINK_SETTINGS, "Client link settings"),
        (CLIENT_ALERT_RAISE, "Client alert raised"),
        (CLIENT_ALERT_ACKNOWLEDGE, "Client alert acknowledged"),
    ]


OK = AccessLog.Outcome.OK
DENIED = AccessLog.Outcome.DENIED
FAILED = AccessLog.Outcome.FAILED


def current_request():
    return _current_request.get()


def describe(request, detail: str) -> None:
    """Add `detail` to the entry AuditMiddleware writes for this request (its read or its denial):
    what the route alone does not say, such as which audience a PDF was made for. Call it before
    the view may refuse, so a denial carries it too. No PHI: the detail is the view's own words."""
    # DRF's Request wraps Django's, which is the one the middleware sees.
    getattr(request, "_request", request).audit_detail = detail


def client_ip(request) -> str | None:
    """The client's address. Behind PSYPLAN_TRUSTED_PROXIES proxies, read it from X-Forwarded-For."""
    proxies = settings.PSYPLAN_TRUSTED_PROXIES
    address = request.META.get("REMOTE_ADDR", "")
    if proxies:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= proxies:
            address = hops[-proxies]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


@dataclass(frozen=True)
class Subject:
    """The record an entry is about: its type and id, and which client and practice it belongs to."""

    object_type: str = ""
    object_id: str = ""
    client_id: int | None = None
    practice_id: int | None = None


def record(
    *,
    action: str,
    outcome: str = OK,
    actor=None,
    actor_email: str | None = None,
    request=None,
    subject: Subject | None = None,
    object_type: str = "",
    object_id: object = "",
    client_id: int | None = None,
    subject_practice_id: int | None = None,
    detail: str = "",
) -> AccessLog:
    """Append one entry to the access log and return it.

    `request` defaults to the request being served (for IP and user agent), and
    `actor` to its signed-in user. Call it inside the transaction of the act it
    records, so that an act rolled back leaves no entry claiming it happened.
    """
    request = request if request is not None else current_request()
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = user
    if subject is None:
        subject = Subject(
            object_type=object_type,
            object_id=str(object_id) if object_id not in (None, "") else "",
            client_id=client_id,
            practice_id=subject_practice_id,
        )
    membership = getattr(actor, "active_membership", None) if actor is not None else None
    entry = AccessLog(
        at=timezone.now(),
        actor=actor,
        actor_email=(actor_email if actor_email is not None else getattr(actor, "email", ""))[:254],
        practice_id=membership.practice_id if membership is not None else None,
        subject_practice_id=subject.practice_id,
        action=action,
        outcome=outcome,
        object_type=subject.object_type[:40],
        object_id=subject.object_id[:64],
        client_id=subject.client_id,
        ip=client_ip(request) if request is not None else None,
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[:300],
        detail=detail[:300],
    )
    with transaction.atomic():
        _lock_chain()
        entry.prev_hash = AccessLog.objects.order_by("-pk").values_list("hash", flat=True).first() or GENESIS
        entry.hash = entry.compute_hash()
        entry.save(force_insert=True)
    return entry


def _lock_chain() -> None:
    """Serialise appends until the surrounding transaction ends."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
    # SQLite: the transaction began with BEGIN IMMEDIATE, which already holds the only write lock.


@dataclass(frozen=True)
class BrokenLink:
    """Where verification failed. `kind` is "link", "content", "truncated" or "rewritten"."""

    pk: int | None
    reason: str
    kind: str = "link"


@dataclass(frozen=True)
class Checkpoint:
    """What the log looked like at `at`: `entries` rows, the last being `last_id` with MAC `head`."""

    at: str
    entries: int
    last_id: int | None
    head: str

    def fields(self) -> dict:
        return {"at": self.at, "entries": self.entries, "last_id": self.last_id, "head": self.head}

    def mac(self) -> str:
        # Its own domain, so a checkpoint's MAC can never pass for a row's, or the other way round.
        payload = b"psyplan-audit-checkpoint:" + json.dumps(self.fields(), sort_keys=True).encode()
        return hmac.new(settings.AUDIT_HMAC_KEY.encode(), payload, hashlib.sha256).hexdigest()

    def line(self) -> str:
        return json.dumps(self.fields() | {"mac": self.mac()}, sort_keys=True) + "\n"


@dataclass(frozen=True)
class ChainReport:
    """The result of a walk: `checked` rows verified, the last being `last_id` with MAC `head`."""

    checked: int
    broken: BrokenLink | None
    last_id: int | None
    head: str
    checkpoint: Checkpoint | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None


class CheckpointError(Exception):
    """The checkpoint file exists but cannot be trusted: unreadable, or not made with our key."""


class ChainBroken(Exception):
    """The log does not verify, so no checkpoint may be written for it."""

    def __init__(self, report: ChainReport):
        self.report = report
        where = f" at entry {report.broken.pk}" if report.broken.pk is not None else ""
        super().__init__(f"the access log does not verify{where}: {report.broken.reason}")


def verify_chain(*, checkpoint: Checkpoint | None = None, batch: int = 2000) -> ChainReport:
    """Walk the log in order, checking every link and MAC, and, given a checkpoint, that the
    row it names still carries the MAC it recorded and that the table reaches that far."""
    expected_prev = GENESIS
    checked = 0
    last_pk = None
    while True:
        rows = list(AccessLog.objects.filter(pk__gt=last_pk or 0).order_by("pk")[:batch])
        if not rows:
            break
        for row in rows:
            if row.prev_hash != expected_prev:
                reason = "does not follow the row before it (a row was removed or altered)"
                return ChainReport(checked, BrokenLink(row.pk, reason), last_pk, expected_prev, checkpoint)
            if row.compute_hash() != row.hash:
                reason = "its content does not match its MAC (the row was altered, or chained without the key)"
                return ChainReport(checked, BrokenLink(row.pk, reason, "content"), last_pk, expected_prev, checkpoint)
            checked += 1
            if (
                checkpoint is not None
                and checked == checkpoint.entries
                and (row.pk != checkpoint.last_id or row.hash != checkpoint.head)
            ):
                reason = (
                    f"entry #{checked} (id {row.pk}) is not the one the checkpoint of {checkpoint.at} recorded "
                    f"(id {checkpoint.last_id}, MAC {checkpoint.head[:16]}...): "
                    "entries it covered were removed or replaced"
                )
                return ChainReport(checked, BrokenLink(row.pk, reason, "rewritten"), row.pk, row.hash, checkpoint)
            expected_prev = row.hash
            last_pk = row.pk
    if checkpoint is not None and checked < checkpoint.entries:
        reason = (
            f"the checkpoint of {checkpoint.at} recorded {checkpoint.entries} entries ending at id "
            f"{checkpoint.last_id}, but the table holds only {checked}: "
            f"{checkpoint.entries - checked} entries were removed from the end of the log"
        )
        return ChainReport(checked, BrokenLink(None, reason, "truncated"), last_pk, expected_prev, checkpoint)
    return ChainReport(checked, None, last_pk, expected_prev, checkpoint)


def checkpoint_path() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_PATH)


def latest_checkpoint(path: Path | None = None) -> Checkpoint | None:
    """The last checkpoint in the file, None when there is no file yet. Raises CheckpointError
    when the last line cannot be read or its MAC does not verify under our key."""
    path = path or checkpoint_path()
    try:
        with open(path, encoding="utf-8") as f:
            lines = [(n, line) for n, line in enumerate(f, start=1) if line.strip()]
    except FileNotFoundError:
        return None
    if not lines:
        return None
    number, line = lines[-1]
    try:
        data = json.loads(line)
        checkpoint = Checkpoint(
            at=str(data["at"]), entries=int(data["entries"]), last_id=data["last_id"], head=str(data["head"])
        )
        mac = str(data["mac"])
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"{path}, line {number}: not a checkpoint ({exc.__class__.__name__})") from exc
    if not hmac.compare_digest(mac, checkpoint.mac()):
        raise CheckpointError(f"{path}, line {number}: its MAC does not verify (edited, or written with another key)")
    return checkpoint


def verify(*, path: Path | None = None) -> ChainReport:
    """The whole check: the chain, and the table against the latest checkpoint (if any)."""
    return verify_chain(checkpoint=latest_checkpoint(path))


def write_checkpoint(*, path: Path | None = None) -> Checkpoint:
    """Verify the log (against the previous checkpoint too), then append a checkpoint of it.

    A log that does not verify gets no checkpoint (ChainBroken) and the file is left alone,
    so a truncated or rewritten log is never blessed. The line is appended with one write to
    a file opened O_APPEND, fsynced before we return.
    """
    path = path or checkpoint_path()
    report = verify(path=path)
    if not report.ok:
        raise ChainBroken(report)
    checkpoint = Checkpoint(
        at=timezone.now().astimezone(dt.UTC).isoformat(timespec="seconds"),
        entries=report.checked,
        last_id=report.last_id,
        head=report.head,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, checkpoint.line().encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        # The new file's name must survive a crash as well as its first line.
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return checkpoint
