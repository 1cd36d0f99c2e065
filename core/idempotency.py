"""Do a write once, however often it is sent: the API's `Idempotency-Key` header and the HTML
forms' one-time form id both go through `run_once`.

Why: a save can commit and then fail, for instance when the session write after it finds the
database gone (core/dbfailure.py answers 503), so the person sees an error and sends the same
request again. The first answer is stored with its key in the transaction of the write itself,
so a committed write always has its stored answer and the retry gets that answer, not a second
record.

- The key is kept only as a SHA-256 hash, scoped to the user and the route (method and path).
- A request whose key already has an answer younger than 24 hours gets that answer (status, body
  and the headers that matter) and the write does not run again. With a different body (its
  fingerprint) the key was used for something else: `KeyReused`.
- A duplicate sent while the first is still running gets `KeyInFlight`. The in-flight marker is a
  cache entry (`cache.add` is atomic) released when the first finishes. The unique constraint on
  the record is what guarantees "once": a duplicate that gets past the marker (another process
  with a per-process cache) waits on the first's uncommitted row, then finds its answer.
- Only accepted answers are stored. A refused request (invalid input, an error) changed nothing,
  so it leaves no key behind and may be sent again.
"""

import hashlib
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.template.loader import render_to_string

from core.models import IdempotencyRecord

logger = logging.getLogger("psyplan.idempotency")

MAX_KEY_LENGTH = 255
# Longer than any request may run (gunicorn's --timeout is 60 s): a marker left by a killed
# process stops refusing retries after this long.
IN_FLIGHT_SECONDS = 120
REPLAYED_HEADER = "Idempotent-Replayed"
# What a replayed answer keeps besides status and body.
KEPT_HEADERS = (
    "Content-Type",
    "Location",
    "ETag",
    "HX-Redirect",
    "HX-Location",
    "HX-Retarget",
    "HX-Reswap",
    "HX-Trigger",
    "HX-Push-Url",
)
FORM_ID_FIELD = "form_id"
# What a signer types to prove who they are (accounts/reauth.py): never part of a stored fingerprint,
# even hashed, and a retry with the password typed again is still the same request.
SECRET_FIELDS = frozenset({"password", "otp_code"})
IN_FLIGHT_MESSAGE = "This was sent a moment ago and is still being saved. Wait a moment, then reload the page."
CHANGED_MESSAGE = (
    "This form had already been saved, so it was not saved again: changes made to it afterwards were not "
    "applied. Edit the saved record to change it."
)


class KeyInFlight(Exception):
    """The first request with this key is still running."""


class KeyReused(Exception):
    """The key already answered a request with a different body."""

    def __init__(self, record: IdempotencyRecord):
        super().__init__("This key was already used for a different request.")
        self.record = record


class _Taken(Exception):
    """Another request committed this key while this one was waiting to claim it."""


def hash_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def fingerprint(data) -> str:
    """A hash of the request's content: same content, same fingerprint, whatever the key order."""
    return hash_text(json.dumps(data, sort_keys=True, default=str, separators=(",", ":")))


def valid_key(key: str) -> bool:
    # The draft's keys are structured-field strings: printable ASCII.
    return 0 < len(key) <= MAX_KEY_LENGTH and all(" " <= c <= "~" for c in key)


def new_form_id() -> str:
    return secrets.token_urlsafe(24)


def replay(record: IdempotencyRecord) -> HttpResponse:
    """The stored answer, as it was first given."""
    if 300 <= record.status_code < 400 and "Location" in record.headers:
        # A redirect stays one (Django and its test client read `response.url`).
        response = HttpResponseRedirect(record.headers["Location"], content=bytes(record.body))
        response.status_code = record.status_code
    else:
        response = HttpResponse(bytes(record.body), status=record.status_code)
    for name, value in record.headers.items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


def _keep(record: IdempotencyRecord, response: HttpResponse, notes: list) -> None:
    record.status_code = response.status_code
    record.headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
    # An answer may carry what its replays get instead of its body (core/api/idempotency.keep_for_replay).
    record.body = bytes(getattr(response, "replay_content", response.content))
    record.messages = notes
    record.save(update_fields=["status_code", "headers", "body", "messages"])


def _mark(marker: str) -> bool:
    try:
        return cache.add(marker, 1, IN_FLIGHT_SECONDS)
    except Exception:  # noqa: BLE001 - the cache only gives the early 409; the constraint still holds
        logger.warning("idempotency: cache unavailable, running without the in-flight marker")
        return True


def _unmark(marker: str) -> None:
    try:
        cache.delete(marker)
    except Exception:  # noqa: BLE001 - the marker then expires on its own
        logger.warning("idempotency: cache unavailable, the in-flight marker expires on its own")


@dataclass
class Outcome:
    response: HttpResponse
    # The stored record the response was replayed from; None when the action ran now.
    replayed: IdempotencyRecord | None = None


def _answer(record: IdempotencyRecord, request_fingerprint: str) -> Outcome:
    if record.status_code is None:
        # Only the connection running the first request sees its row before it commits.
        raise KeyInFlight
    if record.fingerprint != request_fingerprint:
        raise KeyReused(record)
    return Outcome(replay(record), record)


def _first_run(*, user, scope, key_hash, request_fingerprint, action, accepted, notes) -> Outcome:
    with transaction.atomic():
        # An expired record (the clean-up has not run yet) no longer holds its key.
        IdempotencyRecord.objects.expired().filter(user=user, scope=scope, key_hash=key_hash).delete()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=user, scope=scope, key_hash=key_hash, fingerprint=request_fingerprint
                )
        except IntegrityError:
            raise _Taken from None
        response = action()
        if accepted(response) and not response.streaming:
            _keep(record, response, notes() if notes else [])
        else:
            record.delete()
    return Outcome(response)


def run_once(
    *,
    user: AbstractBaseUser,
    scope: str,
    key: str,
    request_fingerprint: str,
    action: Callable[[], HttpResponse],
    accepted: Callable[[HttpResponse], bool],
    notes: Callable[[], list] | None = None,
) -> Outcome:
    """`action()` once per (user, scope, key) for 24 hours; its answer, stored, for every repeat.

    `action` must return a response whose content is rendered; `accepted(response)` says whether
    the write went through (only then is the answer kept, with `notes()` if given). Raises
    `KeyReused` or `KeyInFlight`.
    """
    if len(scope) > 255:
        scope = "sha256:" + hash_text(scope)
    key_hash = hash_text(key)
    found = IdempotencyRecord.objects.live().filter(user=user, scope=scope, key_hash=key_hash).first()
    if found is not None:
        return _answer(found, request_fingerprint)
    marker = f"idempotency:{user.pk}:{hash_text(scope)}:{key_hash}"
    if not _mark(marker):
        raise KeyInFlight
    try:
        return _first_run(
            user=user,
            scope=scope,
            key_hash=key_hash,
            request_fingerprint=request_fingerprint,
            action=action,
            accepted=accepted,
            notes=notes,
        )
    except _Taken:
        found = IdempotencyRecord.objects.live().filter(user=user, scope=scope, key_hash=key_hash).first()
        if found is None:
            raise KeyInFlight from None
        return _answer(found, request_fingerprint)
    finally:
        _unmark(marker)


# --- HTML forms -------------------------------------------------------------------------------


def form_accepted(response: HttpResponse) -> bool:
    """A form that went through answers with a redirect (or, through htmx, by retargeting the
    page); a form shown again with its errors created nothing and may be sent again."""
    if 300 <= response.status_code < 400:
        return True
    return response.status_code < 300 and any(
        response.has_header(h) for h in ("HX-Retarget", "HX-Redirect", "HX-Location")
    )


def _queued_messages(request) -> list:
    # The flash messages this request added (Django keeps them on the storage until the answer).
    return list(getattr(getattr(request, "_messages", None), "_queued_messages", []))


def _form_fingerprint(request) -> str:
    ignored = {FORM_ID_FIELD, "csrfmiddlewaretoken", *SECRET_FIELDS}
    return fingerprint({name: request.POST.getlist(name) for name in request.POST if name not in ignored})


def _in_flight_response(request) -> HttpResponse:
    if request.headers.get("HX-Request"):
        response = HttpResponse(f'<p class="message message-error" role="alert">{IN_FLIGHT_MESSAGE}</p>', status=409)
        # Keep the page as it is and say why (static/js/app.js shows the event's message).
        response["HX-Reswap"] = "none"
        response["HX-Trigger"] = json.dumps({"psyplan:unavailable": {"message": IN_FLIGHT_MESSAGE}})
    else:
        response = HttpResponse(
            render_to_string("409.html", {"message": IN_FLIGHT_MESSAGE}, request=request), status=409
        )
    response["Retry-After"] = "2"
    return response


def once_per_form(view):
    """For views that create a record from a form carrying `{% form_id %}`: a second submit of the
    same rendered form answers as the first did (its redirect to the record with the same flash
    message, or its htmx fragment) and creates nothing. A submit without a form id runs as before.

    Accepted means a redirect or an htmx retarget with no error message flashed: several views
    answer a refused action with a redirect and an error message, and a refusal is not kept.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        key = request.POST.get(FORM_ID_FIELD, "") if request.method == "POST" else ""
        if not key or not request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if not valid_key(key):
            return HttpResponseBadRequest("The form's id is not valid: reload the page and send the form again.")
        already = len(_queued_messages(request))

        def added():
            return _queued_messages(request)[already:]

        def accepted(response):
            return form_accepted(response) and not any(m.level >= messages.ERROR for m in added())

        try:
            outcome = run_once(
                user=request.user,
                scope=f"form {request.path}",
                key=key,
                request_fingerprint=_form_fingerprint(request),
                action=lambda: view(request, *args, **kwargs),
                accepted=accepted,
                notes=lambda: [[m.level, m.message, m.extra_tags] for m in added()],
            )
        except KeyInFlight:
            return _in_flight_response(request)
        except KeyReused as exc:
            outcome = Outcome(replay(exc.record), exc.record)
            messages.warning(request, CHANGED_MESSAGE)
        if outcome.replayed is not None:
            for level, message, extra_tags in outcome.replayed.messages:
                messages.add_message(request, level, message, extra_tags=extra_tags)
        return outcome.response

    return wrapper
