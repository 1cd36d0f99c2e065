"""Session, progress note and process note API shapes (see plans/api/serializers.py for the conventions).

A session is read with its note nested; the note's parts name the plan's objectives, interventions
and conflicts and the DMRS catalogue by id. Ids in a note's input are plain integers: which ones a
note may choose (the items of the plan version the session was recorded against) is the service's
check, answered as a field error. Countertransference is the formulation's and never appears here;
process notes have their own endpoint and never appear in a session.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.reauth import SignerInputSerializer
from clients.models import Client
from core.api.serializers import ClinicalDateSerializerField, OutputSerializer
from notes.models import (
    MAX_DURATION_MINUTES,
    MIN_DURATION_MINUTES,
    NoteAddendum,
    NoteConflict,
    NoteDefense,
    NoteObjective,
    NoteSignature,
    ProcessNote,
    ProgressNote,
    RelationshipEpisode,
    ServiceType,
    TherapySession,
)
from notes.services import PROCESS_NOTE_MAX_LENGTH
from plans.api.serializers import CatalogueRelated, VisibleRelated

# A note lists a handful of each; the bound keeps a hostile body from making the service's checks slow.
MAX_PARTS = 50

# --- Output -------------------------------------------------------------------


class NoteSignatureSerializer(OutputSerializer):
    class Meta:
        model = NoteSignature
        fields = ["meaning", "signer", "printed_name", "credentials", "signed_at", "timezone", "content_hash"]
        read_only_fields = fields


class NoteAddendumSerializer(OutputSerializer):
    signature = NoteSignatureSerializer(read_only=True)

    class Meta:
        model = NoteAddendum
        fields = ["id", "author", "written_at", "text", "signature"]
        read_only_fields = fields


class NoteObjectiveSerializer(OutputSerializer):
    class Meta:
        model = NoteObjective
        fields = ["objective", "evidence", "movement"]
        read_only_fields = fields


class NoteConflictSerializer(OutputSerializer):
    class Meta:
        model = NoteConflict
        fields = ["conflict", "intensity"]
        read_only_fields = fields


class NoteDefenseSerializer(OutputSerializer):
    name = serializers.CharField(source="mechanism.name", read_only=True)
    level = serializers.IntegerField(source="mechanism.level", read_only=True, help_text="DMRS level, 1-7.")

    class Meta:
        model = NoteDefense
        fields = ["mechanism", "name", "level", "count"]
        read_only_fields = fields


class RelationshipEpisodeSerializer(OutputSerializer):
    is_transference = serializers.BooleanField(read_only=True, help_text="The other person is the therapist.")

    class Meta:
        model = RelationshipEpisode
        fields = ["other", "wish", "response_of_other", "response_of_self", "is_transference"]
        read_only_fields = fields


class ProgressNoteSerializer(OutputSerializer):
    objectives = NoteObjectiveSerializer(many=True, read_only=True, source="objectives_worked")
    interventions = serializers.SerializerMethodField(help_text="Ids of the plan's interventions used.")
    conflicts = NoteConflictSerializer(many=True, read_only=True, source="conflicts_active")
    defenses = NoteDefenseSerializer(many=True, read_only=True)
    episodes = RelationshipEpisodeSerializer(many=True, read_only=True)
    risk_flagged = serializers.BooleanField(read_only=True, help_text="Moderate or high: needs a safety plan.")
    defensive_functioning = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Mean DMRS level of the defenses observed, weighted by count."
    )
    signature = serializers.SerializerMethodField()
    addenda = NoteAddendumSerializer(many=True, read_only=True)

    class Meta:
        model = ProgressNote
        fields = ["id", "status", "author", "objectives", "interventions", "conflicts", "defenses", "episodes"]
        fields += ["risk", "risk_flagged", "safety_plan", "what_happened", "plan_for_next_time"]
        fields += ["defensive_functioning", "signed_at", "signature", "addenda", "version", "created_at", "updated_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_interventions(self, note) -> list[int]:
        return [row.intervention_id for row in note.interventions_used.all()]

    @extend_schema_field(NoteSignatureSerializer(allow_null=True))
    def get_signature(self, note):
        # From the prefetched signatures: the note's own, not its addenda's.
        signature = next((s for s in note.signatures.all() if s.addendum_id is None), None)
        return NoteSignatureSerializer(signature, context=self.context).data if signature else None


@extend_schema_field({"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2})?$", "example": "09:30"})
class LocalTimeField(serializers.TimeField):
    """A wall-clock time where the practice is, "HH:MM" (OpenAPI's "time" format would demand an offset)."""


class TherapySessionSerializer(OutputSerializer):
    date = serializers.SerializerMethodField(help_text="The session's date where the practice is.")
    start_time = serializers.SerializerMethodField(help_text="Its start time where the practice is.")
    service_type_name = serializers.CharField(source="service_type.name", read_only=True)
    note = serializers.SerializerMethodField(help_text="The progress note; null until one is written.")

    class Meta:
        model = TherapySession
        fields = ["id", "client", "plan", "clinician", "date", "start_time", "starts_at", "timezone"]
        fields += ["duration_minutes", "modality", "attendance", "service_type", "service_type_name", "reason"]
        fields += ["note", "version", "created_at", "updated_at"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.DATE)
    def get_date(self, session):
        return session.local_starts_at.date().isoformat()

    # Local wall-clock time without an offset: OpenAPI's "time" format (RFC 3339 full-time) needs one.
    @extend_schema_field({"type": "string", "pattern": r"^\d{2}:\d{2}$", "example": "09:30"})
    def get_start_time(self, session):
        return session.local_starts_at.time().isoformat(timespec="minutes")

    @extend_schema_field(ProgressNoteSerializer(allow_null=True))
    def get_note(self, session):
        try:
            note = session.note
        except ProgressNote.DoesNotExist:
            return None
        return ProgressNoteSerializer(note, context=self.context).data


class ProcessNoteSummarySerializer(OutputSerializer):
    """A process note in a listing: which, not what. Its text is read one note at a time, and every
    such read is audited."""

    class Meta:
        model = ProcessNote
        fields = ["id", "client", "session", "version", "created_at", "updated_at"]
        read_only_fields = fields


class ProcessNoteSerializer(OutputSerializer):
    class Meta:
        model = ProcessNote
        fields = ["id", "client", "session", "text", "version", "created_at", "updated_at"]
        read_only_fields = fields


# --- Input --------------------------------------------------------------------


class NoteObjectiveInputSerializer(serializers.Serializer):
    objective = serializers.IntegerField(min_value=1, help_text="A current objective of the session's plan version.")
    evidence = serializers.CharField(max_length=300, help_text="One line: what in the session bore on it.")
    movement = serializers.ChoiceField(
        choices=NoteObjective.Movement.choices, required=False, allow_blank=True, default=""
    )


class NoteConflictInputSerializer(serializers.Serializer):
    conflict = serializers.IntegerField(min_value=1, help_text="A current core conflict of the plan's formulation.")
    intensity = serializers.ChoiceField(
        choices=NoteConflict.Intensity.choices, required=False, default=NoteConflict.Intensity.SIGNIFICANT
    )


class NoteDefenseInputSerializer(serializers.Serializer):
    mechanism = serializers.IntegerField(min_value=1, help_text="A defense from the DMRS catalogue.")
    count = serializers.IntegerField(min_value=1, max_value=1000, required=False, allow_null=True, default=None)


class EpisodeInputSerializer(serializers.Serializer):
    other = serializers.ChoiceField(choices=RelationshipEpisode.Other.choices)
    wish = serializers.CharField(max_length=300)
    response_of_other = serializers.CharField(max_length=300)
    response_of_self = serializers.CharField(max_length=300)


class NoteInputSerializer(serializers.Serializer):
    """The draft note. A part left out keeps what the draft holds; a list sent replaces that list."""

    objectives = NoteObjectiveInputSerializer(many=True, required=False, max_length=MAX_PARTS)
    interventions = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=MAX_PARTS
    )
    conflicts = NoteConflictInputSerializer(many=True, required=False, max_length=MAX_PARTS)
    defenses = NoteDefenseInputSerializer(many=True, required=False, max_length=MAX_PARTS)
    episodes = EpisodeInputSerializer(many=True, required=False, max_length=MAX_PARTS)
    risk = serializers.ChoiceField(choices=ProgressNote.Risk.choices, required=False)
    safety_plan = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    what_happened = serializers.CharField(max_length=12000, required=False, allow_blank=True)
    plan_for_next_time = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class SessionUpdateSerializer(serializers.Serializer):
    date = ClinicalDateSerializerField(required=False, help_text="Where the practice is.")
    start_time = LocalTimeField(required=False, help_text="Where the practice is.")
    duration_minutes = serializers.IntegerField(
        min_value=MIN_DURATION_MINUTES, max_value=MAX_DURATION_MINUTES, required=False
    )
    service_type = CatalogueRelated(ServiceType, required=False)
    modality = serializers.ChoiceField(choices=TherapySession.Modality.choices, required=False)
    attendance = serializers.ChoiceField(choices=TherapySession.Attendance.choices, required=False)
    reason = serializers.CharField(
        max_length=500, required=False, allow_blank=True, help_text="Why a session did not take place."
    )
    note = NoteInputSerializer(required=False, help_text="The draft note of an attended session.")


class SessionCreateSerializer(SessionUpdateSerializer):
    client = VisibleRelated(Client)
    date = ClinicalDateSerializerField(help_text="Where the practice is.")
    start_time = LocalTimeField(help_text="Where the practice is.")
    duration_minutes = serializers.IntegerField(min_value=MIN_DURATION_MINUTES, max_value=MAX_DURATION_MINUTES)
    service_type = CatalogueRelated(ServiceType)
    modality = serializers.ChoiceField(
        choices=TherapySession.Modality.choices, required=False, default=TherapySession.Modality.IN_PERSON
    )
    attendance = serializers.ChoiceField(
        choices=TherapySession.Attendance.choices, required=False, default=TherapySession.Attendance.ATTENDED
    )
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class AddendumInputSerializer(SignerInputSerializer):
    text = serializers.CharField(max_length=8000)


class ProcessNoteCreateSerializer(serializers.Serializer):
    client = VisibleRelated(Client)
    session = VisibleRelated(TherapySession, required=False, allow_null=True, default=None)
    text = serializers.CharField(max_length=PROCESS_NOTE_MAX_LENGTH)


class ProcessNoteUpdateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=PROCESS_NOTE_MAX_LENGTH)
