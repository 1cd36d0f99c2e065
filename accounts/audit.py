"""The access log: who saw, tried or did what, to which record, from where.

`record(...)` is the one way to write it. Views, services, exports and tasks call it;
reads and denied requests are recorded centrally by `AuditMiddleware`, from the route
(`request.resolver_match`) and the response status, so new views are covered without
touching them.

Rows are chained: each carries the SHA-256 of its fields and the previous row's hash.
Appends are serialised so that two writers never chain to the same predecessor: on
PostgreSQL with a transaction-scoped advisory lock, on SQLite by its single writer lock
(our connections open transactions with BEGIN IMMEDIATE). The table refuses UPDATE
(and, on PostgreSQL, DELETE) through triggers (migration 0004).

No PHI is written: records are named by type and id, people by their staff email.
"""

from __future__ import annotations

import contextvars
import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import AccessLog

GENESIS = "0" * 64
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
    SIGN = "sign"
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REVISE = "revise"
    AMEND = "amend"
    CLOSE = "close"
    PDF_DOWNLOAD = "pdf_download"
    BULK_EXPORT = "bulk_export"
    FHIR_EXPORT = "fhir_export"
    AUDIT_EXPORT = "audit_export"

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
        (SIGN, "Sign"),
        (APPROVE, "Approve"),
        (REQUEST_CHANGES, "Request changes"),
        (REVISE, "Revise"),
        (AMEND, "Amend"),
        (CLOSE, "Close"),
        (PDF_DOWNLOAD, "PDF download"),
        (BULK_EXPORT, "Bulk export"),
        (FHIR_EXPORT, "FHIR export"),
        (AUDIT_EXPORT, "Audit log export"),
    ]


OK = AccessLog.Outcome.OK
DENIED = AccessLog.Outcome.DENIED
FAILED = AccessLog.Outcome.FAILED


def current_request():
    return _current_request.get()


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
    pk: int
    reason: str


def verify_chain(*, batch: int = 2000) -> tuple[int, BrokenLink | None]:
    """Walk the log in order; return how many rows were checked and the first broken link, if any."""
    expected_prev = GENESIS
    checked = 0
    last_pk = 0
    while True:
        rows = list(AccessLog.objects.filter(pk__gt=last_pk).order_by("pk")[:batch])
        if not rows:
            return checked, None
        for row in rows:
            if row.prev_hash != expected_prev:
                return checked, BrokenLink(row.pk, "does not follow the row before it (a row was removed or altered)")
            if row.compute_hash() != row.hash:
                return checked, BrokenLink(row.pk, "its content does not match its hash (the row was altered)")
            expected_prev = row.hash
            checked += 1
            last_pk = row.pk
