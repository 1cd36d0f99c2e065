from django.conf import settings

from accounts.models import Notification
from accounts.policy import Roles
from core.outbox import broker_down


def membership(request):
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated

    return {
        # Lazy: only pages that show the notice ask.
        "background_unavailable": broker_down if signed_in else False,
        "membership": user.active_membership if signed_in else None,
        # What the person's roles let them do, from accounts.policy; templates ask this, never the membership.
        "roles": Roles(user if signed_in else None),
        "session_idle_timeout": settings.SESSION_IDLE_TIMEOUT,
        # Lazy: counted only where the header is rendered.
        "unread_notifications": (lambda: Notification.objects.for_user(user).unread().count()) if signed_in else 0,
    }
