"""One error format for every API answer that is not a success.

    {"status": 412, "code": "stale", "detail": "Someone else saved ...", "fields": {}}

`fields` maps a field name to its messages for 400s (nested for nested input, e.g.
`{"entries": [{}, {"rating": ["..."]}]}`); elsewhere it is empty. The service layer's
exceptions are translated here, so views stay thin:

- Django `ValidationError` (including `TransitionError`) -> 400 with field messages;
- `StaleEditError` -> 412, with the record's current ETag;
- `PlanLockedError` and `ImmutableRecordError` (a change to a submitted or signed plan) -> 409;
- Django `PermissionDenied` -> 403, `Http404` -> 404.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.api.etags import etag_for
from core.errors import ImmutableRecordError, PlanLockedError, StaleEditError

LOCKED_MESSAGE = "This plan is no longer a draft, so it cannot change: amend it (POST /api/v1/plans/{id}/amend/)."


class KeyInFlightError(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "A request with this Idempotency-Key is still being processed: retry in a moment."
    default_code = "idempotency_key_in_flight"


class KeyReusedError(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was already used for a request with a different body: use a new key."
    default_code = "idempotency_key_reused"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = LOCKED_MESSAGE
    default_code = "plan_locked"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The record changed since you read it: fetch it again and reapply your change."
    default_code = "stale"


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = "Send the record's ETag in an If-Match header (read the record first)."
    default_code = "if_match_required"


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx answer (documentation only)."""

    status = serializers.IntegerField()
    code = serializers.CharField(help_text="A stable machine-readable code, e.g. invalid, not_found, stale.")
    detail = serializers.CharField(help_text="A human-readable message.")
    fields = serializers.DictField(
        child=serializers.JSONField(),
        help_text="Per-field messages for validation errors (400): field name to a list of messages, "
        "or to nested errors for nested input. Messages not tied to a field are under non_field_errors.",
    )


def _django_validation_to_drf(exc: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(exc, "error_dict"):
        detail = {("non_field_errors" if k == "__all__" else k): v for k, v in exc.message_dict.items()}
    else:
        detail = {"non_field_errors": exc.messages}
    return exceptions.ValidationError(detail)


def _first_message(data) -> str | None:
    if isinstance(data, str):
        return data
    if isinstance(data, list):
        for item in data:
            found = _first_message(item)
            if found:
                return found
    if isinstance(data, dict):
        for value in data.values():
            found = _first_message(value)
            if found:
                return found
    return None


def exception_handler(exc, context):
    headers = {}
    if isinstance(exc, StaleEditError):
        etag = etag_for(exc.current)
        if etag:
            headers["ETag"] = etag
        exc = PreconditionFailed(exc.messages[0] if exc.messages else None)
    elif isinstance(exc, PlanLockedError | ImmutableRecordError):
        exc = Conflict(f"{exc} {LOCKED_MESSAGE}" if str(exc) and "amend" not in str(exc) else (str(exc) or None))
    elif isinstance(exc, DjangoValidationError):
        exc = _django_validation_to_drf(exc)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        fields = data if isinstance(data, dict) else {"non_field_errors": data}
        non_field = fields.get("non_field_errors")
        detail = _first_message(non_field) if non_field else "Some of the data sent is not valid; see fields."
        code = "invalid"
    else:
        fields = {}
        detail = data.get("detail", "") if isinstance(data, dict) else _first_message(data) or ""
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        code = codes if isinstance(codes, str) else "error"
    body = {"status": response.status_code, "code": code, "detail": str(detail), "fields": fields}
    return Response(body, status=response.status_code, headers={**dict(response.items()), **headers})
