"""API tokens: create with email and password, revoke one or all.

Tokens are django-rest-knox's: only a hash is stored, each expires after
`API_TOKEN_TTL` seconds, and a revoked token is deleted. Sign-in goes through
`django.contrib.auth.authenticate(request=...)`, so the login throttling that
guards the sign-in form (django-axes) applies here too.
"""

from django.contrib.auth import authenticate, user_logged_in
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.auth import TokenAuthentication
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.errors import ErrorSerializer


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})


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
            400: OpenApiResponse(ErrorSerializer, description="Wrong email or password, or missing fields."),
            403: OpenApiResponse(ErrorSerializer, description="Sign-in locked after repeated failures."),
            429: OpenApiResponse(ErrorSerializer, description="Too many attempts: sign-in is throttled."),
        },
        auth=[],
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request=request._request,
            username=serializer.validated_data["email"],
            password=serializer.validated_data["password"],
        )
        if user is None:
            raise ValidationError({"non_field_errors": ["Wrong email or password."]}, code="invalid_credentials")
        instance, token = AuthToken.objects.create(user)
        user_logged_in.send(sender=user.__class__, request=request._request, user=user)
        return Response({"token": token, "expiry": instance.expiry}, status=status.HTTP_201_CREATED)

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

    @extend_schema(
        summary="Revoke every token of the signed-in user",
        request=None,
        responses={204: OpenApiResponse(description="All revoked.")},
    )
    def delete(self, request):
        request.user.auth_token_set.all().delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
