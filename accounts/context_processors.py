from django.conf import settings


def membership(request):
    user = getattr(request, "user", None)
    return {
        "membership": user.active_membership if user is not None and user.is_authenticated else None,
        "session_idle_timeout": settings.SESSION_IDLE_TIMEOUT,
    }
