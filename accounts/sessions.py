"""Sessions that end without a request: the sign-out is written to the access log all the same.

A person who walks away is signed out by IdleTimeoutMiddleware when they come back. One who
never comes back leaves a stored session that simply expires; `sign_out_expired_sessions`
(run hourly by beat, before `clearsessions`) writes the same sign-out entry for it, with the
reason and the time of the last activity, and deletes it.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit import log


def expiry_reason(data: dict) -> str:
    """Why a session ended by itself: whichever of its two clocks ran out first."""
    last = data.get("last_activity")
    started = data.get("signed_in_at")
    if last is None or started is None:
        return "session expired"
    if started + settings.SESSION_ABSOLUTE_LIFETIME <= last + settings.SESSION_IDLE_TIMEOUT:
        return "absolute lifetime reached"
    return "idle timeout"


def sign_out_expired_sessions(*, batch: int = 500) -> int:
    """Delete every expired stored session, writing a sign-out entry for each signed-in one.

    Returns how many signed-in sessions were signed out. Each session is one transaction: the
    entry is written only if this call deleted the row, so a concurrent sign-out of the same
    session (the middleware's) is not logged twice.
    """
    signed_out = 0
    while True:
        expired = list(Session.objects.filter(expire_date__lte=timezone.now()).order_by("pk")[:batch])
        if not expired:
            return signed_out
        for session in expired:
            data = session.get_decoded()
            with transaction.atomic():
                deleted, _ = Session.objects.filter(pk=session.pk).delete()
                user = User.objects.filter(pk=data.get("_auth_user_id")).first() if data.get("_auth_user_id") else None
                if not deleted or user is None:
                    continue
                last = data.get("last_activity")
                when = dt.datetime.fromtimestamp(last, dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if last else "unknown"
                log.record(
                    action=log.Action.LOGOUT,
                    actor=user,
                    detail=f"{expiry_reason(data)} (session expired unattended; last activity {when})",
                )
                signed_out += 1
