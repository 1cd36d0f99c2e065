"""The signer proves again who they are at the moment of an irreversible signature (21 CFR 11.200:
a signature outside a continuous series of signings takes the signer's secret again, not just the
session). One check for every door that signs: the plan's sign and co-sign, a note's signature
and an addendum, on the web and through the API.

Who has an authenticator app (a confirmed TOTP device) gives a code from it, and only that: the
password alone is the weaker of the two factors they signed in with, so it does not stand in for
the code. Everyone else gives their password.

Wrong answers are counted per person in the cache, with the sign-in's limit and cool-off
(`AXES_FAILURE_LIMIT` within `AXES_COOLOFF_TIME`): past the limit the check refuses even the right
answer until the cool-off ends, so a left-open session cannot be used to guess the password. Each
refusal is written to the access log, never with what was typed.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit import log

PASSWORD_FIELD = "password"  # noqa: S105 - a field name, not a password
OTP_FIELD = "otp_code"

WRONG_PASSWORD = "That password is not right. Nothing was signed; type your password again."  # noqa: S105
MISSING_PASSWORD = "Type your password to sign."  # noqa: S105
NO_PASSWORD = "You have no password set, so you cannot sign yet. Set one under Security, then sign."  # noqa: S105
WRONG_CODE = "That code is not right, or was already used. Nothing was signed; type the next code."
MISSING_CODE = "Type the 6-digit code from your authenticator app to sign."
PAUSED = (
    "There were too many wrong attempts to sign. For your account's protection, signing is paused "
    "for {minutes} minutes. Nothing was signed."
)


def _failures_key(user) -> str:
    return f"reauth:failures:{user.pk}"


def _cool_off_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def failures(user) -> int:
    """Wrong answers this person gave within the current cool-off window."""
    return int(cache.get(_failures_key(user), 0))


def _count_failure(user) -> int:
    key = _failures_key(user)
    # The window starts at the first wrong answer and is not extended by later ones.
    cache.add(key, 0, timeout=_cool_off_seconds())
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=_cool_off_seconds())
        return 1


def _refuse(user, field: str, message: str, detail: str, act: str) -> None:
    log.record(
        action=log.Action.SIGNER_CHECK,
        outcome=log.FAILED,
        actor=user,
        object_type="user",
        object_id=user.pk,
        detail=f"{detail}; {act}" if act else detail,
    )
    raise ValidationError({field: ValidationError(message, code=detail.split(":")[0].replace(" ", "_"))})


def signer_uses_code(user) -> bool:
    """Does this person confirm a signature with an authenticator code (else their password)?"""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def confirm_signer(*, user, password: str | None = None, otp_code: str | None = None, act: str = "") -> None:
    """Raise a ValidationError keyed on `password` or `otp_code` unless the signer proved who they
    are. `act` names what was being signed, for the access log (never the content)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    field = OTP_FIELD if device is not None else PASSWORD_FIELD
    limit = settings.AXES_FAILURE_LIMIT
    if failures(user) >= limit:
        minutes = max(1, _cool_off_seconds() // 60)
        _refuse(user, field, PAUSED.format(minutes=minutes), f"paused: {limit} wrong attempts", act)
    if device is not None:
        code = "".join(str(otp_code or "").split())
        if not code:
            _refuse(user, field, MISSING_CODE, "missing code", act)
        # verify_token refuses a code already used (the one that signed in, say) and throttles itself.
        if not (code.isdigit() and device.verify_token(code)):
            _count_failure(user)
            _refuse(user, field, WRONG_CODE, "wrong code", act)
    else:
        if not password:
            _refuse(user, field, MISSING_PASSWORD, "missing password", act)
        if not user.has_usable_password():
            _refuse(user, field, NO_PASSWORD, "no password set", act)
        if not user.check_password(password):
            _count_failure(user)
            _refuse(user, field, WRONG_PASSWORD, "wrong password", act)
    cache.delete(_failures_key(user))


def confirm_signer_from(data, *, user, act: str = "") -> None:
    """confirm_signer with the answer taken from a form's POST or an API body."""
    password = data.get(PASSWORD_FIELD) if hasattr(data, "get") else None
    otp_code = data.get(OTP_FIELD) if hasattr(data, "get") else None
    confirm_signer(
        user=user,
        password=password if isinstance(password, str) else None,
        otp_code=otp_code if isinstance(otp_code, str | int) else None,
        act=act,
    )
