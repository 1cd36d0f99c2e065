"""notes's sections on lower apps' pages: the session history on the client page
(clients/page_parts.py) and the last sessions on the plan page (plans/page_parts.py)."""

from clients import page_parts as client_pages
from notes import views
from plans import page_parts as plan_pages


def register() -> None:
    client_pages.register(
        client_pages.CLIENT_DETAIL,
        key="sessions",
        template="notes/_client_sessions.html",
        load=views.client_sessions_part,
    )
    plan_pages.register(
        plan_pages.PLAN_DETAIL,
        key="last_sessions",
        template="notes/_plan_sessions.html",
        load=views.plan_sessions_part,
        title="Sessions",
        anchor="last-sessions",
    )
