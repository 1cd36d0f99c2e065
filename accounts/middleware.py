import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode

from accounts.auth import has_two_factor, two_factor_required

# Requests the page makes on its own (polling the notification bell, the
# idle-warning check) send this header and do not count as activity.
BACKGROUND_HEADER = "HTTP_X_PSYPLAN_BACKGROUND"


def start_session_clock(sender, request, user, **kwargs) -> None:
    """Both the idle and the absolute clock start at sign-in."""
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session["signed_in_at"] = now
        request.session["last_activity"] = now


class IdleTimeoutMiddleware:
    """Sign people out after SESSION_IDLE_TIMEOUT seconds without activity,
    and after SESSION_ABSOLUTE_LIFETIME seconds whatever they do."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            session = request.session
            last = session.setdefault("last_activity", now)
            started = session.setdefault("signed_in_at", now)
            idle = now - last > settings.SESSION_IDLE_TIMEOUT
            too_old = now - started > settings.SESSION_ABSOLUTE_LIFETIME
            if idle or too_old:
                request._psyplan_logout_reason = "idle timeout" if idle else "absolute lifetime reached"
                logout(request)
                messages.info(
                    request,
                    "You were signed out after a period without activity. Please sign in again."
                    if idle
                    else "Your session reached its maximum length. Please sign in again.",
                )
                if request.headers.get("HX-Request"):
                    # htmx follows this header with a full page load.
                    response = HttpResponse(status=200)
                    response["HX-Redirect"] = reverse(settings.LOGIN_URL)
                    return response
                return redirect(settings.LOGIN_URL)
            if BACKGROUND_HEADER not in request.META:
                session["last_activity"] = now
                # Stored past the idle deadline, so the sign-out above (with its message and its
                # access-log entry) happens when the person comes back; see SESSION_IDLE_GRACE.
                session.set_expiry(settings.SESSION_IDLE_TIMEOUT + settings.SESSION_IDLE_GRACE)
        return self.get_response(request)


class NoStoreMiddleware:
    """Nothing shown to a signed-in person may be kept by a browser or proxy cache.

    Every authenticated response can carry PHI (pages, fragments, PDFs, CSV exports), so
    all of them get `Cache-Control: no-store` (with Django's other never-cache headers).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        signed_in = request.user.is_authenticated
        response = self.get_response(request)
        already = "no-store" in response.get("Cache-Control", "")
        if (signed_in or request.user.is_authenticated) and not already:
            add_never_cache_headers(response)
            response["Pragma"] = "no-cache"
        return response


class TwoFactorMiddleware:
    """Until a person with two-factor confirms a code, the only pages they reach are the code
    page and sign-out; someone who must use two-factor and has not set it up is sent to set it up.
    """

    ALLOWED = {
        "accounts:two_factor_verify",
        "accounts:two_factor_setup",
        "accounts:logout",
        "accounts:login",
        "healthz",
    }

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        if request.resolver_match.view_name in self.ALLOWED:
            return None
        if has_two_factor(user):
            target = "accounts:two_factor_verify"
        elif two_factor_required(user):
            target = "accounts:two_factor_setup"
        else:
            return None
        url = reverse(target)
        if request.method == "GET" and not request.headers.get("HX-Request"):
            url += "?" + urlencode({"next": request.get_full_path()})
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=200)
            response["HX-Redirect"] = url
            return response
        return redirect(url)


class PracticeTimezoneMiddleware:
    """Show every time in the signed-in person's practice timezone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        membership = request.user.active_membership if request.user.is_authenticated else None
        if membership is not None:
            timezone.activate(membership.practice.tzinfo)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
