from django.conf import settings


def membership(request):
    from accounts.models import Notification

    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    return {
        "membership": user.active_membership if signed_in else None,
        "session_idle_timeout": settings.SESSION_IDLE_TIMEOUT,
        # Lazy: counted only where the header is rendered.
        "unread_notifications": (lambda: Notification.objects.for_user(user).unread().count()) if signed_in else 0,
    }
