"""The base every API viewset builds on: reads scoped through the access door, writes through services."""

from django.core.exceptions import PermissionDenied
from rest_framework import renderers, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.concurrency import check_if_match, check_not_locked, with_etag
from core.api.idempotency import IdempotentPostMixin


class ScopedViewSet(IdempotentPostMixin, viewsets.GenericViewSet):
    """`get_queryset()` is always `visible_to(user)`: out of view is 404, in lists and in detail.

    Subclasses give `base_queryset()` (select_related and friends, no scoping) and call
    services for every write; the services check `editable_by` again in their transaction.
    Every POST honours `Idempotency-Key` (core/api/idempotency.py).
    """

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    if_match: dict[str, bool] = {"partial_update": True, "destroy": True}
    etag_actions = {"retrieve", "create", "partial_update"}

    def base_queryset(self):
        raise NotImplementedError

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # Errors are always the JSON error format, also on endpoints that answer PDF or FHIR JSON.
        if isinstance(response, Response) and response.status_code >= 400:
            if type(getattr(response, "accepted_renderer", None)) is not renderers.JSONRenderer:
                response.accepted_renderer = renderers.JSONRenderer()
                response.accepted_media_type = "application/json"
        return response

    def get_queryset(self):
        return self.base_queryset().visible_to(self.request.user)

    def respond(self, obj, *, code: int = status.HTTP_200_OK, serializer_class=None):
        serializer_class = serializer_class or self.get_serializer_class()
        data = serializer_class(obj, context=self.get_serializer_context()).data
        return with_etag(Response(data, status=code), obj)

    def respond_no_content(self):
        return Response(status=status.HTTP_204_NO_CONTENT)

    def validated(self, serializer_class, *, partial: bool = False) -> dict:
        serializer = serializer_class(data=self.request.data, partial=partial, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def fetch_for_change(self, *, if_match_required: bool = True):
        """The record for a write: 404 out of view, 403 read-only, 409 locked, then 428/412 on If-Match."""
        obj = self.get_object()
        if not self.can_edit(obj):
            raise PermissionDenied("You can read this record but not change it.")
        if self.request.method in ("PUT", "PATCH", "DELETE"):
            check_not_locked(obj)
        check_if_match(self.request, obj, required=if_match_required)
        return obj

    def can_edit(self, obj) -> bool:
        """May the requester change `obj`? Asked of the record's own queryset door, `editable_by(user)`.

        The same question accounts.policy's EDIT answers (policy.can asks that door too): this layer
        sits below accounts, so it asks the door, which every clinical model's queryset carries,
        rather than import the policy.
        """
        return type(obj)._default_manager.editable_by(self.request.user).filter(pk=obj.pk).exists()

    def retrieve(self, request, *args, **kwargs):
        return self.respond(self.get_object())


class NotFoundView(APIView):
    """Any other path under /api/: the JSON error format, not Django's HTML 404 page."""

    permission_classes = [AllowAny]
    schema = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise NotFound("No such API endpoint or record.")

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise NotFound("No such API endpoint or record.")
