"""API tokens: create with email, password and (where two-factor applies) a code; revoke one or all.

Tokens are django-rest-knox's: only a hash is stored, each expires after
`API_TOKEN_TTL` seconds, and a revoked token is deleted. Sign-in goes through
`django.contrib.auth.authenticate(request=...)`, so the lockout that guards the
sign-in form (django-axes, accounts/lockout.py) applies here too, counted under
the same account and address and refused with the same status and message; a
DRF throttle limits requests per address on top of it. Whoever has two-factor set
up, or must use it, gets a token only with a current code (`otp`), and each token
records whether it was issued so (accounts.models.TokenSignIn), for the
permission that checks it on every request (accounts/api/permissions.py).
"""

from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in
from django.db import transaction
from django_otp import match_token
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.auth import TokenAuthentication
from knox.models import AuthToken
from rest_framework import exceptions, serializers, status
from rest_framework.exceptions import AuthenticationFailed, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from accounts.api.permissions import needs_second_factor
from accounts.auth import has_two_factor
from accounts.lockout import LOCKOUT_CODE, LOCKOUT_MESSAGE, retry_after_seconds
from accounts.models import TokenSignIn
from audit import log
from core.api.errors import ErrorSerializer


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
    otp = serializers.CharField(
        max_length=16,
        required=False,
        help_text="A current code from the authenticator app, or a backup code. Required for anyone "
        "who has two-factor set up or whose role requires it.",
    )


class SignInLocked(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = LOCKOUT_MESSAGE
    default_code = LOCKOUT_CODE


class TokenRequestThrottle(AnonRateThrottle):
    """Token requests per client address (the one the access log and the lockout use)."""

    scope = "auth_token"

    def get_rate(self) -> str:
        return settings.API_TOKEN_THROTTLE_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": log.client_ip(request) or "unknown"}


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`. Shown once; only a hash is kept.")
    expiry = serializers.DateTimeField(help_text="When the token stops working.")


class TokenView(APIView):
    # Never the session: creating a token takes a password, revoking one names the token.
    authentication_classes = [TokenAuthentication]

    def get_permissions(self):
        return [AllowAny()] if getattr(self.request, "method", None) == "POST" else [IsAuthenticated()]

    @extend_schema(
        summary="Create an API token from email and password",
        request=TokenRequestSerializer,
        responses={
            201: TokenSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="Wrong email or password, missing fields, or a missing or wrong `otp` for an "
                "account with two-factor.",
            ),
            429: OpenApiResponse(
                ErrorSerializer,
                description="Sign-in locked after repeated failures (code `locked_out`, as the sign-in form), "
                "or too many requests from this address (code `throttled`).",
            ),
        },
        auth=[],
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = authenticate(request=request._request, username=data["email"], password=data["password"])
        if getattr(request._request, "axes_locked_out", False):
            # Axes refused (or this failure reached a limit); AxesMiddleware would answer the same.
            locked = SignInLocked()
            locked.wait = retry_after_seconds(request._request)  # DRF sends it as Retry-After
            raise locked
        if user is None:
            raise ValidationError({"non_field_errors": ["Wrong email or password."]}, code="invalid_credentials")
        two_factor = self._check_second_factor(request, user, data.get("otp", ""))
        with transaction.atomic():
            instance, token = AuthToken.objects.create(user)
            TokenSignIn.objects.create(token=instance, two_factor=two_factor, auth_hash=user.get_session_auth_hash())
            user_logged_in.send(sender=user.__class__, request=request._request, user=user)
        return Response({"token": token, "expiry": instance.expiry}, status=status.HTTP_201_CREATED)

    def get_throttles(self):
        return [TokenRequestThrottle()] if self.request.method == "POST" else []

    def _check_second_factor(self, request, user, code: str) -> bool:
        """True when a second factor was given; raises a 400 on `otp` when one is needed and not right."""
        if not needs_second_factor(user):
            return False
        if not has_two_factor(user):
            raise ValidationError(
                {"otp": ["Your role requires two-factor sign-in: set it up in the browser first, then send a code."]}
            )
        if not code:
            raise ValidationError(
                {"otp": ["This account signs in with two-factor: send a current code (or a backup code) as `otp`."]}
            )
        device = match_token(user, code.replace(" ", ""))
        if device is None:
            log.record(
                action=log.Action.TWO_FACTOR,
                outcome=log.FAILED,
                actor=user,
                request=request._request,
                detail="API token: wrong or reused code",
            )
            raise ValidationError({"otp": ["That code is not right, or was already used. Try the next one."]})
        log.record(
            action=log.Action.TWO_FACTOR,
            actor=user,
            request=request._request,
            detail=f"API token: verified with {type(device).__name__}",
        )
        return True

    @extend_schema(
        summary="Revoke the token this request is made with",
        request=None,
        responses={204: OpenApiResponse(description="Revoked.")},
    )
    def delete(self, request):
        if not isinstance(request.auth, AuthToken):
            raise AuthenticationFailed("Send the token to revoke in the Authorization header.")
        request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class AllTokensView(APIView):
    authentication_classes = [TokenAuthentication]
    # Revoking is always allowed, even with a token that no longer suffices for anything else.
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Revoke every token of the signed-in user",
        request=None,
        responses={204: OpenApiResponse(description="All revoked.")},
    )
    def delete(self, request):
        request.user.auth_token_set.all().delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
