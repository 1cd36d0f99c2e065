"""What a token must still satisfy on every API request.

- Two-factor: a person who has two-factor set up, or whose role requires it, reaches the API
  only with a token that was issued against a second factor, or with a browser session that
  confirmed one. A token issued with the password alone stops working the moment two-factor is
  set up or becomes required; the answer says to request a new one with `otp`.
- The password: a token stops working once the password it was issued under changes, however
  it changed (accounts.models.TokenSignIn.auth_hash), as a Django session does.

Both answer 401 with `WWW-Authenticate: Token`: the credential no longer suffices, a new one will.
"""

from django.utils.crypto import constant_time_compare
from knox.models import AuthToken
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission

from accounts.auth import has_two_factor, two_factor_required
from accounts.models import TokenSignIn

CREDENTIALS_CHANGED = "This token was issued before the password changed: request a new one."
SECOND_FACTOR_MISSING = (
    "This token was issued without a second factor, and this account signs in with two-factor: "
    "request a new token from POST /api/v1/auth/token/ with a current code as `otp`."
)


def needs_second_factor(user) -> bool:
    return has_two_factor(user) or two_factor_required(user)


class TwoFactorSatisfied(BasePermission):
    """In DEFAULT_PERMISSION_CLASSES, so every endpoint applies it (after IsAuthenticated)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return True  # IsAuthenticated (or the view's AllowAny) decides
        if isinstance(request.auth, AuthToken):
            sign_in = TokenSignIn.objects.filter(token=request.auth).first()
            if (
                sign_in
                and sign_in.auth_hash
                and not constant_time_compare(sign_in.auth_hash, user.get_session_auth_hash())
            ):
                raise exceptions.AuthenticationFailed(CREDENTIALS_CHANGED, code="password_changed")
            if (sign_in and sign_in.two_factor) or not needs_second_factor(user):
                return True
            raise exceptions.AuthenticationFailed(SECOND_FACTOR_MISSING, code="two_factor_required")
        if isinstance(request.successful_authenticator, SessionAuthentication):
            # TwoFactorMiddleware already turns such sessions away; this keeps the rule if it moves.
            verified = getattr(user, "is_verified", lambda: False)()
            if not verified and needs_second_factor(user):
                raise exceptions.AuthenticationFailed(
                    "Confirm your sign-in with a second factor first.", code="two_factor_required"
                )
        return True
