"""Client link API shapes. The token and the link's URL are never part of a link's reading: the
URL appears once, in the answer to creating a "hand to client" link (ClientLinkCreatedSerializer)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clients.models import Client
from core.api.serializers import OutputSerializer
from participation.models import ClientLink
from participation.services import CLIENT_MEASURES
from plans.api.serializers import VisibleRelated
from plans.models import TreatmentPlan

EXPIRED = "expired"
# The stored statuses and the expired reading: an open link past its expiry reads as expired.
LINK_STATUSES = [*ClientLink.Status.choices, (EXPIRED, "Expired")]


class ClientLinkSerializer(OutputSerializer):
    status = serializers.SerializerMethodField()

    class Meta:
        model = ClientLink
        fields = ["id", "client", "purpose", "measure_codes", "plan", "delivery", "status"]
        fields += ["expires_at", "created_at", "sent_at", "done_at"]
        read_only_fields = fields

    # Documented as the choice it is, not a plain string.
    @extend_schema_field(serializers.ChoiceField(choices=LINK_STATUSES))
    def get_status(self, link: ClientLink) -> str:
        return EXPIRED if link.status == ClientLink.Status.OPEN and link.is_expired else link.status


class ClientLinkCreatedSerializer(ClientLinkSerializer):
    url = serializers.URLField(
        allow_null=True,
        read_only=True,
        help_text="For a 'hand' link: its address, in this answer only (only the token's hash is kept). "
        "Null for a link sent by email or text, and in a replay of this answer (Idempotency-Key).",
    )
    url_shown = serializers.BooleanField(
        read_only=True, help_text="True in the one answer that carries the URL; false in a replay and for sent links."
    )

    class Meta(ClientLinkSerializer.Meta):
        fields = [*ClientLinkSerializer.Meta.fields, "url", "url_shown"]
        read_only_fields = fields


class ClientLinkCreateSerializer(serializers.Serializer):
    client = VisibleRelated(Client)
    purpose = serializers.ChoiceField(choices=ClientLink.Purpose.choices)
    measure_codes = serializers.ListField(
        child=serializers.ChoiceField(choices=list(CLIENT_MEASURES)),
        required=False,
        default=list,
        max_length=len(CLIENT_MEASURES),
        help_text="For purpose 'questionnaires': the questionnaires, in the order the client answers them.",
    )
    plan = VisibleRelated(
        TreatmentPlan, required=False, allow_null=True, help_text="For purpose 'agreement': the plan version."
    )
    delivery = serializers.ChoiceField(
        choices=ClientLink.Delivery.choices,
        help_text="email or sms: sent through the outbox, with the client's recorded consent; hand: the answer "
        "carries the URL once, for the clinician's tablet.",
    )
