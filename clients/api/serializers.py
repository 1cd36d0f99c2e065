from rest_framework import serializers

from clients.models import Client, PresentingProblem
from clients.services import CLIENT_FIELDS, PROBLEM_FIELDS
from core.api.serializers import ClinicalDateSerializerField, OutputSerializer


class ClientSerializer(OutputSerializer):
    # Stored blank when not known, so not documented as always an email address.
    email = serializers.CharField(read_only=True, help_text="The client's email address, or empty.")

    class Meta:
        model = Client
        fields = [
            "id",
            "practice",
            "primary_clinician",
            *CLIENT_FIELDS,
            "status",
            "discharged_on",
            "discharge_reason",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ClientInputSerializer(serializers.ModelSerializer):
    """What a caller may set on a client. Practice, clinician, status and version are never taken from input."""

    class Meta:
        model = Client
        fields = CLIENT_FIELDS
        # Uniqueness of the chart number within the practice is the service's check.
        validators = []


class ClientSearchSerializer(serializers.Serializer):
    """A client search. Sent in a POST body because names in URLs end up in proxy and server logs."""

    q = serializers.CharField(
        max_length=150, help_text="Part of a given, family or preferred name, or an exact chart number."
    )


class DischargeInputSerializer(serializers.Serializer):
    discharged_on = ClinicalDateSerializerField()
    reason = serializers.CharField(max_length=2000)


class PresentingProblemSerializer(OutputSerializer):
    class Meta:
        model = PresentingProblem
        fields = ["id", "client", *PROBLEM_FIELDS, "archived_at", "version", "created_at", "updated_at"]
        read_only_fields = fields


class PresentingProblemInputSerializer(serializers.ModelSerializer):
    class Meta:
        model = PresentingProblem
        fields = PROBLEM_FIELDS


class PresentingProblemCreateSerializer(PresentingProblemInputSerializer):
    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.none())

    class Meta(PresentingProblemInputSerializer.Meta):
        fields = ["client", *PROBLEM_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        # Only clients in the caller's view can be named; others read as "does not exist".
        self.fields["client"].queryset = Client.objects.visible_to(request.user if request else None)
