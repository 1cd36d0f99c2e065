"""Sign-in: throttling hooks for django-axes, the two-factor policy, and the access-log
entries for sign-in, sign-out, failures and lockouts."""

from __future__ import annotations

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import policy
from accounts.models import User
from audit import log
from audit.history import set_actor


def axes_username(request, credentials) -> str:
    """Axes counts failures per account: the email as typed, without regard to case.

    Axes' backend passes the credentials under USERNAME_FIELD ("email"); Django's failure
    signal, under the name given to authenticate() ("username"). Only the sign-in form has the
    address in request.POST; the API's JSON body is not there.
    """
    credentials = credentials or {}
    value = credentials.get(User.USERNAME_FIELD) or credentials.get("username") or request.POST.get("username", "")
    return str(value).strip().lower()


def axes_client_ip(request) -> str:
    return log.client_ip(request) or ""


# --- Two-factor policy ----------------------------------------------------------


def two_factor_required(user) -> bool:
    """Must this person confirm sign-in with a second factor?

    Practice admins must unless their practice turned that off; everyone must when the
    practice requires it for all staff. PSYPLAN_ENFORCE_TWO_FACTOR=false (development
    only) makes it optional for all.
    """
    if not settings.PSYPLAN_ENFORCE_TWO_FACTOR or not user.is_authenticated:
        return False
    membership = user.active_membership
    if membership is None:
        return bool(user.is_superuser)
    practice = membership.practice
    return practice.require_two_factor or (policy.is_practice_admin(user) and practice.require_two_factor_for_admins)


def has_two_factor(user) -> bool:
    """Has this person an authenticator app set up (a confirmed TOTP device)?"""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


# --- Access log entries for sign-in events --------------------------------------


def _log_login(sender, request, user, **kwargs) -> None:
    set_actor(user.pk)
    log.record(action=log.Action.LOGIN, actor=user, request=request, detail="password")


def _log_logout(sender, request, user, **kwargs) -> None:
    if user is None:
        return
    reason = getattr(request, "_psyplan_logout_reason", "signed out") if request is not None else ""
    log.record(action=log.Action.LOGOUT, actor=user, request=request, detail=reason)


def _log_login_failed(sender, credentials, request=None, **kwargs) -> None:
    typed = str(credentials.get("username", "")).strip().lower()[:254]
    known = User.objects.filter(email__iexact=typed).select_related("membership").first() if typed else None
    log.record(
        action=log.Action.LOGIN_FAILED,
        outcome=log.FAILED,
        actor=None,
        actor_email=typed,
        request=request,
        object_type="user" if known else "",
        object_id=known.pk if known else "",
        subject_practice_id=known.membership.practice_id if known and hasattr(known, "membership") else None,
    )


def _log_lockout(sender, request, username, ip_address, **kwargs) -> None:
    typed = str(username or "").strip().lower()[:254]
    known = User.objects.filter(email__iexact=typed).select_related("membership").first() if typed else None
    log.record(
        action=log.Action.LOCKOUT,
        outcome=log.DENIED,
        actor=None,
        actor_email=typed,
        request=request,
        object_type="user" if known else "",
        object_id=known.pk if known else "",
        subject_practice_id=known.membership.practice_id if known and hasattr(known, "membership") else None,
        detail="locked out: "
        + (getattr(request, "psyplan_lockout_reason", "") or f"{settings.AXES_FAILURE_LIMIT} failed sign-ins"),
    )


def connect_signals() -> None:
    user_logged_in.connect(_log_login, dispatch_uid="accounts.auth.log_login")
    user_logged_out.connect(_log_logout, dispatch_uid="accounts.auth.log_logout")
    user_login_failed.connect(_log_login_failed, dispatch_uid="accounts.auth.log_login_failed")
    user_locked_out.connect(_log_lockout, dispatch_uid="accounts.auth.log_lockout")
