"""Optimistic concurrency over HTTP: `ETag` on reads, `If-Match` on writes.

An ETag is derived from the record's own version fields, never from a clock:
`"client-7-v3"`, `"goal-12-v2"`, `"plan-4-v1-draft"` (a plan's status is part of
it, because submitting or approving changes what may be done to it), and for a
formulation every section's version. It is a concurrency token for that record's
own fields: a plan's ETag does not change when one of its goals does (the goal
has its own).

Writes to a record (PATCH, DELETE) must carry `If-Match` with the ETag the
caller read: without it the answer is 428 Precondition Required, with a
different one 412 Precondition Failed. The service then re-checks the version
inside its transaction, so a write racing between the two checks is also a 412.
`If-Match: *` matches any current version (RFC 9110) and so opts out.
Plan actions (submit, approve, ...) accept an optional If-Match.

A write to a locked record (a plan that is no longer a draft, or its content) is 409 before
If-Match is looked at: RFC 9110 section 13.2.1 evaluates preconditions only for a request that
would otherwise succeed, and the lock is the real reason it cannot.
"""

from django.utils.http import parse_etags

from core.api.errors import PreconditionFailed, PreconditionRequired
from core.api.etags import etag_for, plan_of
from core.errors import PlanLockedError

__all__ = ["check_if_match", "check_not_locked", "etag_for", "with_etag"]


def check_not_locked(obj) -> None:
    """Raise the 409 a change to a plan that is no longer a draft gets, as the service would."""
    plan = plan_of(obj)
    if plan is not None and not plan.is_editable:
        raise PlanLockedError(f"This plan is {plan.get_status_display().lower()}: amend it to make changes.")


def _normalise(tag: str) -> str:
    # A proxy that compresses may weaken an ETag (W/"..."); the token inside is still ours.
    return tag[2:] if tag.startswith("W/") else tag


def check_if_match(request, obj, *, required: bool = True) -> None:
    """Raise 428 when If-Match is missing (and required), 412 when it names another version."""
    header = request.headers.get("If-Match")
    if not header:
        if required:
            raise PreconditionRequired()
        return
    tags = parse_etags(header)
    if "*" in tags:
        return
    current = etag_for(obj)
    if current not in {_normalise(t) for t in tags}:
        raise PreconditionFailed()


def with_etag(response, obj):
    etag = etag_for(obj)
    if etag:
        response["ETag"] = etag
    return response
