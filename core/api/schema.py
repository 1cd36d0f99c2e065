"""The OpenAPI schema's shared parts: error responses, If-Match and ETag, on every operation that has them.

Views say what they do with two attributes, and this class documents it:

- `if_match = {"partial_update": True, "submit": False, ...}`: the action takes an If-Match
  header, required (428 without it) or optional; either way 412 when it is stale;
- `etag_actions = {"retrieve", "partial_update", ...}`: the answer carries an ETag;
- `conflict_actions = {...}`: the action can answer 409 because the plan is no longer a draft.

Every POST of a view with `IdempotentPostMixin` documents the optional `Idempotency-Key` header
and its 409 (still in flight) and 422 (key reused with another body).
"""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework.permissions import AllowAny

from core.api.errors import ErrorSerializer
from core.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from core.api.idempotency import IdempotentPostMixin

ERROR_DESCRIPTIONS = {
    "400": "The data sent is not valid (see `fields`), or the action is not allowed in the record's state.",
    "401": "Not authenticated: send `Authorization: Token <token>` or use a signed-in session.",
    "403": "Authenticated, but this record is in view and not yours to change (or the action is not yours).",
    "404": "No such record in your view (records outside your caseload answer 404 too), or no such page.",
    "409": "The plan is no longer a draft: amend it to change it.",
    "412": "If-Match names an old version: the record changed since you read it. The current ETag is sent back.",
    "428": "If-Match is missing: read the record and send its ETag.",
    "422": "This Idempotency-Key was already used with a different request body.",
}
IN_FLIGHT = "A request with the same Idempotency-Key is still being processed."
IDEMPOTENCY_DESCRIPTION = (
    "Optional. A key you make up for this one operation (e.g. a UUID, 1 to 255 printable ASCII characters, "
    "bare or as a quoted string). Repeating the request with the same key within 24 hours returns the first "
    "answer, status and body, without doing it again (the answer then carries `Idempotent-Replayed: true`); "
    "the same key with a different body is 422, and while the first request is still running 409."
)


class AutoSchema(SpectacularAutoSchema):
    def _action(self):
        return getattr(self.view, "action", None)

    def get_override_parameters(self):
        params = list(super().get_override_parameters())
        action = self._action()
        required = getattr(self.view, "if_match", {}).get(action)
        if required is not None:
            params.append(
                OpenApiParameter(
                    "If-Match",
                    str,
                    OpenApiParameter.HEADER,
                    required=required,
                    description="The ETag from your last read of this record"
                    + ("." if required else " (optional: when sent, it must be current)."),
                )
            )
        if self._idempotent():
            params.append(
                OpenApiParameter(
                    IDEMPOTENCY_HEADER,
                    str,
                    OpenApiParameter.HEADER,
                    required=False,
                    description=IDEMPOTENCY_DESCRIPTION,
                )
            )
        if action in getattr(self.view, "etag_actions", ()):
            params.append(
                OpenApiParameter(
                    "ETag",
                    str,
                    OpenApiParameter.HEADER,
                    response=[200, 201],
                    description="The record's version; send it back in If-Match to change the record.",
                )
            )
        return params

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        action = self._action()
        codes = ["403", "404"]
        # A GET that takes query parameters of its own (a PDF's audience) refuses a bad one with a 400.
        takes_query = any(
            getattr(p, "location", None) == OpenApiParameter.QUERY for p in self.get_override_parameters()
        )
        if self.method != "GET" or action == "list" or takes_query:
            codes.append("400")
        if self._requires_auth():
            codes.append("401")
        if action in getattr(self.view, "if_match", {}):
            codes.append("412")
            if self.view.if_match[action]:
                codes.append("428")
        locked = action in getattr(self.view, "conflict_actions", ())
        if locked or self._idempotent():
            codes.append("409")
        if self._idempotent():
            codes.append("422")
        for code in codes:
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code)
                response["description"] = ERROR_DESCRIPTIONS[code]
                if code == "409" and self._idempotent():
                    response["description"] = f"{ERROR_DESCRIPTIONS[code]} Or: {IN_FLIGHT}" if locked else IN_FLIGHT
                responses[code] = response
        return responses

    def _map_basic_serializer(self, serializer, direction):
        # A read-only field is documented as always present, unless the serializer names it among
        # those it leaves out for some readers (`sometimes_absent`, e.g. a formulation's private fields).
        result = super()._map_basic_serializer(serializer, direction)
        absent = set(getattr(serializer, "sometimes_absent", ()))
        if absent and result.get("required"):
            result["required"] = [name for name in result["required"] if name not in absent]
            if not result["required"]:
                del result["required"]
        return result

    def _idempotent(self) -> bool:
        return self.method == "POST" and isinstance(self.view, IdempotentPostMixin)

    def _requires_auth(self) -> bool:
        return not any(p is AllowAny or isinstance(p, AllowAny) for p in self.view.get_permissions())
