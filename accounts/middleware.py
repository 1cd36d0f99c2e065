import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

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
                session.set_expiry(settings.SESSION_IDLE_TIMEOUT)
        return self.get_response(request)


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
