"""`Idempotency-Key` on every API POST, after the IETF httpapi idempotency-key draft.

A client that may retry a POST (a timeout, a 503 after the write had committed) sends a key it
made up, unique per operation (a UUID):

    POST /api/v1/goals/
    Idempotency-Key: "8e03978e-40d5-43e8-bc93-6894a57f9324"

- the same key again from the same user on the same route within 24 hours gets the first answer,
  status and body (and `Idempotent-Replayed: true`), and the action does not run again;
- the same key with a different body is 422 (`idempotency_key_reused`);
- the same key while the first request is still running is 409 (`idempotency_key_in_flight`).

The key (hashed) and the answer are stored in the action's own transaction (core/idempotency.py),
so an action that committed always has its answer. Only successful (2xx) answers are stored: a
refused request changed nothing and may be sent again with the same key. Without the header a
POST runs as it always did. The key may be sent as a structured-field string ("...") or bare.

An answer that carries something to be shown once (a client link's URL) says with `keep_for_replay`
what a replay gets instead; only that is stored.
"""

from rest_framework import exceptions

from core import idempotency
from core.api.errors import KeyInFlightError, KeyReusedError

HEADER = "Idempotency-Key"


def parse_key(value: str) -> str:
    key = value.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not idempotency.valid_key(key):
        raise exceptions.ValidationError(
            {HEADER: [f"Send 1 to {idempotency.MAX_KEY_LENGTH} printable ASCII characters, e.g. a UUID."]}
        )
    return key


def _content(request) -> dict:
    data = request.data
    if hasattr(data, "lists"):
        data = dict(data.lists())
    if isinstance(data, dict):
        data = {name: value for name, value in data.items() if name not in idempotency.SECRET_FIELDS}
    return {"query": dict(request.query_params.lists()), "body": data}


def keep_for_replay(response, data):
    """Store `data`, not the response's body, for replays of this answer: for an answer that carries
    something shown once (a client link's URL), which must not sit in the table or come back."""
    response.replay_data = data
    return response


class IdempotentPostMixin:
    """Makes every POST of a DRF view honour `Idempotency-Key`. It wraps the handler after
    authentication, permissions and throttling (`initial`), so keys belong to a known user."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method != "POST" or not request.headers.get(HEADER) or not request.user.is_authenticated:
            return
        handler = getattr(self, "post", None)
        if handler is not None and "post" in self.http_method_names:
            self.post = self._once(handler, parse_key(request.headers[HEADER]))

    def _once(self, handler, key: str):
        def once(request, *args, **kwargs):
            def action():
                # Rendered here, inside the transaction, so that the stored answer is the real one.
                response = self.finalize_response(request, handler(request, *args, **kwargs), *args, **kwargs)
                if hasattr(response, "render"):
                    response.render()
                replay_data = getattr(response, "replay_data", None)
                if replay_data is not None:
                    response.replay_content = response.accepted_renderer.render(
                        replay_data, response.accepted_media_type, response.renderer_context
                    )
                return response

            try:
                outcome = idempotency.run_once(
                    user=request.user,
                    scope=f"POST {request.path}",
                    key=key,
                    request_fingerprint=idempotency.fingerprint(_content(request)),
                    action=action,
                    accepted=lambda response: 200 <= response.status_code < 300,
                )
            except idempotency.KeyInFlight:
                raise KeyInFlightError from None
            except idempotency.KeyReused:
                raise KeyReusedError from None
            return outcome.response

        return once
