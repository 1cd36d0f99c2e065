"""A database that is down or restarting gives people a clear 503, never a raw 500.

While PostgreSQL restarts, every request that touches it raises django.db's OperationalError
(cannot connect) or InterfaceError (the connection it had is gone). Each service runs in one
transaction, so nothing half-written survives: the page only has to say so. Two places catch it:

- `DatabaseUnavailableMiddleware.process_exception`, for errors raised in a view;
- `server_error` (config.urls.handler500), for errors raised in middleware, such as loading the
  session, which never reach a middleware's process_exception;
- `bad_request` (handler400): saving the session when the database has just gone away raises
  SessionInterrupted, which Django answers with 400. The same handler gives a malformed request
  parameter (core.params.BadParameter) its 400 with the parameter's message, in the same three shapes.

Both answer 503 with Retry-After. The API gets its usual JSON error body; a full page is a
standalone template that needs no database; an htmx request gets a short fragment,
`HX-Reswap: none` so the editor keeps what the person typed, and an `HX-Trigger` event that
static/js/app.js shows as a notice. Once the database is back, the
next request opens a fresh connection (CONN_HEALTH_CHECKS checks any kept one), so the app
recovers without a restart.
"""

import json
import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseServerError, JsonResponse
from django.template import loader
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.views import defaults

from core.params import BadParameter

logger = logging.getLogger("psyplan.database")

DATABASE_ERRORS = (OperationalError, InterfaceError)
MESSAGE = "The database is unavailable for a moment; your last saved work is safe, please try again."
RETRY_AFTER_SECONDS = 5
EVENT = "psyplan:unavailable"
BAD_REQUEST_EVENT = "psyplan:bad-request"


def is_database_error(exc: BaseException | None) -> bool:
    return isinstance(exc, DATABASE_ERRORS)


def unavailable_response(request) -> HttpResponse:
    """The 503 answer. Touches neither the database nor the session."""
    if request.path.startswith("/api/"):
        # The API's one error format (core/api/errors.py).
        response = JsonResponse(
            {"status": 503, "code": "database_unavailable", "detail": MESSAGE, "fields": {}}, status=503
        )
    elif request.headers.get("HX-Request"):
        response = HttpResponse(
            f'<p class="message message-error" role="alert">{MESSAGE}</p>',
            status=503,
        )
        # Keep the page as it is (the text being typed stays), and tell the page to say why.
        response["HX-Reswap"] = "none"
        response["HX-Trigger"] = json.dumps({EVENT: {"message": MESSAGE}})
    else:
        response = HttpResponse(loader.render_to_string("503.html", {"message": MESSAGE}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


def _log(request, exc: BaseException) -> None:
    # The exception's text can quote SQL; its type and the path are enough to diagnose an outage.
    logger.warning("database unavailable (%s) on %s %s", type(exc).__name__, request.method, request.path)


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_database_error(exception):
            return None
        _log(request, exception)
        return unavailable_response(request)


def _database_error_behind(exc: BaseException | None) -> BaseException | None:
    seen = 0
    while exc is not None and seen < 10:
        if is_database_error(exc):
            return exc
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def bad_parameter_response(request, message: str) -> HttpResponse:
    """A 400 naming the malformed parameter: the API's error format, an htmx notice, or a page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"status": 400, "code": "invalid", "detail": message, "fields": {}}, status=400)
    if request.headers.get("HX-Request"):
        response = HttpResponse(
            format_html('<p class="message message-error" role="alert">{}</p>', message), status=400
        )
        # As for an outage: keep what the person typed, and have the page show the message.
        response["HX-Reswap"] = "none"
        response["HX-Trigger"] = json.dumps({BAD_REQUEST_EVENT: {"message": message}})
        return response
    return HttpResponseBadRequest(loader.render_to_string("400.html", {"message": message}))


def bad_request(request, exception):
    """handler400: Django reports a session it could not save as SessionInterrupted (a 400), also
    when the database went away at that moment; that is an outage, not a bad request."""
    cause = _database_error_behind(exception)
    if cause is not None:
        _log(request, cause)
        return unavailable_response(request)
    if isinstance(exception, BadParameter):
        return bad_parameter_response(request, str(exception))
    return defaults.bad_request(request, exception)


def server_error(request):
    """handler500: a database error raised outside a view still gets the 503; anything else the 500 page."""
    exc = sys.exc_info()[1]
    if is_database_error(exc):
        _log(request, exc)
        return unavailable_response(request)
    return HttpResponseServerError(loader.render_to_string("500.html"))
