"""`/api/v1/client-links/`: a client's links through the caseload door, made and revoked through
participation.services. The client's own pages (/c/<token>/) are not part of the staff API.

A link's reading never carries its token or URL. Creating a "hand to client" link answers with its
URL once (the clinician's tablet opens it for the client): only the token's hash is kept, so a
replay of that answer (Idempotency-Key) says `url: null, url_shown: false`, and the stored answer
never holds the URL either.
"""

import django_filters
from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action

from core.api.idempotency import keep_for_replay
from core.api.views import ScopedViewSet
from participation import services
from participation.api import serializers as s
from participation.models import ClientLink


class ClientLinkFilter(django_filters.FilterSet):
    class Meta:
        model = ClientLink
        fields = ["client", "purpose", "delivery"]


@extend_schema_view(
    list=extend_schema(summary="Client links in your view (?client=, ?purpose=, ?delivery=), without their URLs"),
    retrieve=extend_schema(summary="A client link (its URL is never shown again after it was made)"),
)
class ClientLinkViewSet(mixins.ListModelMixin, ScopedViewSet):
    serializer_class = s.ClientLinkSerializer
    filterset_class = ClientLinkFilter
    ordering_fields = ["created_at", "expires_at", "id"]
    ordering = ["-created_at", "-id"]
    http_method_names = ["get", "post", "head", "options"]
    if_match = {"revoke": False}
    etag_actions = {"retrieve", "create", "revoke"}

    def base_queryset(self):
        return ClientLink.objects.all()

    @extend_schema(
        summary="Make a link for a client (questionnaires or agreement to a plan), sent or handed over",
        description="For delivery 'hand' the answer carries the link's `url`, once: it cannot be read again, and a "
        "replay of this answer with the same Idempotency-Key has `url: null` and `url_shown: false`. Email and text "
        "need the client's recorded consent to electronic contact (and an address or mobile number).",
        request=s.ClientLinkCreateSerializer,
        responses={201: s.ClientLinkCreatedSerializer},
    )
    def create(self, request):
        values = self.validated(s.ClientLinkCreateSerializer)
        link, path = services.create_link(
            actor=request.user,
            client=values["client"],
            purpose=values["purpose"],
            delivery=values["delivery"],
            measure_codes=values["measure_codes"],
            plan=values.get("plan"),
        )
        link.url, link.url_shown = None, False
        if link.delivery == ClientLink.Delivery.HAND:
            link.url, link.url_shown = settings.SITE_URL.rstrip("/") + path, True
        response = self.respond(link, code=status.HTTP_201_CREATED, serializer_class=s.ClientLinkCreatedSerializer)
        # The URL is for this answer only: not kept by a proxy or the browser, nor for a replay.
        response["Cache-Control"] = "no-store"
        return keep_for_replay(response, {**response.data, "url": None, "url_shown": False})

    @extend_schema(
        summary="Revoke an open link: it no longer opens", request=None, responses={200: s.ClientLinkSerializer}
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        link = self.fetch_for_change(if_match_required=False)
        return self.respond(services.revoke_link(actor=request.user, link=link))
