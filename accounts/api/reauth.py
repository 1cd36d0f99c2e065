"""The API's door to a signature: the body carries the signer's `password`, or `otp_code` for
someone with an authenticator app (accounts/reauth.py), as the web's review step asks for them."""

from django.core.exceptions import ValidationError
from rest_framework import serializers

from accounts import reauth
from core.api.errors import exception_handler


class SignerInputSerializer(serializers.Serializer):
    """What proves the signer at the moment of signing (for the schema; the check is confirm_signer)."""

    password = serializers.CharField(
        required=False, write_only=True, help_text="Your password, unless you have two-factor sign-in."
    )
    otp_code = serializers.CharField(
        required=False, write_only=True, help_text="A fresh code from your authenticator app, if you have one."
    )


def signer_refusal(view, request, *, act: str):
    """None when the signer is confirmed, else the 400 answer to send (`fields.password` or
    `fields.otp_code`). Answered rather than raised, so that the refusal's access-log row is kept
    even inside an Idempotency-Key's transaction, which a raised error would roll back."""
    try:
        reauth.confirm_signer_from(request.data, user=request.user, act=act)
    except ValidationError as exc:
        return exception_handler(exc, {"request": request, "view": view})
    return None
