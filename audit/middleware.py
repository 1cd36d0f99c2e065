"""The access log's central writer of reads and denials, from the route and the response."""

from audit import embedded, log
from audit.history import reset_actor, set_actor
from audit.routes import (
    EMBEDDED_ROUTES,
    POLLED_ROUTES,
    ROUTE_ACTIONS,
    is_clinical_namespace,
    resolve_subject,
    route_subject,
)

# The header a page's own polling sends (accounts.middleware names it for the idle clock too; audit
# sits below accounts, so the name is repeated here).
BACKGROUND_HEADER = "HTTP_X_PSYPLAN_BACKGROUND"


class AuditMiddleware:
    """Write the access log entries the route and the response imply.

    - a successful GET of a route about a clinical record is a read of that record: every URL
      namespace counts as clinical unless audit.routes names it non-clinical, so a new app's
      routes are recorded without a change here;
    - any 403 or 404 from a resolved route, for a signed-in person, is a denied request.

    It also names the signed-in person as the actor for the database's change history
    (`audit.history`) and makes the request available to `log.record`.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        actor_token = set_actor(user.pk if user.is_authenticated else None)
        request_token = log._current_request.set(request)
        try:
            response = self.get_response(request)
            # The API authenticates inside the view (DRF sets request.user there); a sign-out
            # inside the view leaves the person who made the request in `user`.
            actor = user if user.is_authenticated else getattr(request, "user", user)
            if actor.is_authenticated:
                self._audit(request, response, actor)
            return response
        finally:
            log._current_request.reset(request_token)
            reset_actor(actor_token)

    def _audit(self, request, response, user) -> None:
        match = getattr(request, "resolver_match", None)
        if match is None:
            return
        status = response.status_code
        safe = request.method in ("GET", "HEAD")
        denied = status in (403, 404)
        namespace = match.namespaces[0] if match.namespaces else ""
        read = safe and 200 <= status < 300 and is_clinical_namespace(namespace)
        if read and match.view_name in POLLED_ROUTES and request.META.get(BACKGROUND_HEADER):
            return
        if not (denied or read):
            return
        kind, object_id = route_subject(match) or ("", "")
        if read and not kind:
            return
        if (
            read
            and match.view_name in EMBEDDED_ROUTES
            and embedded.covered_by_page_view(request, user_pk=user.pk, object_id=object_id)
        ):
            return
        subject = resolve_subject(kind, object_id) if kind else log.Subject()
        if denied:
            action = log.Action.READ if safe else log.Action.WRITE
        else:
            action = ROUTE_ACTIONS.get(match.view_name, log.Action.READ)
        detail = f"{match.view_name} {status}" if denied else match.view_name
        described = getattr(request, "audit_detail", "")
        log.record(
            action=action,
            outcome=log.DENIED if denied else log.OK,
            request=request,
            actor=user,
            subject=subject,
            detail=f"{detail} {described}" if described else detail,
        )
