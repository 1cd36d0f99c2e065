from rest_framework import serializers

from accounts import policy
from core.api.serializers import OutputSerializer
from formulation.models import CoreConflict, DefenseObservation, Formulation
from formulation.private import fields_hidden_from

SECTION_FIELDS = list(Formulation.SECTION_FIELDS)
PRIVATE_HELP_TEXT = (
    "The clinician's private working material, not part of the record: present only when you are the plan's "
    "author, left out for everyone else."
)


class CoreConflictSerializer(OutputSerializer):
    conflict_type_name = serializers.CharField(source="conflict_type.name", read_only=True)

    class Meta:
        model = CoreConflict
        fields = ["id", "conflict_type", "conflict_type_name", "intensity", "mode", "description", "order"]
        fields += ["lineage", "removed_at", "version"]
        read_only_fields = fields


class DefenseObservationSerializer(OutputSerializer):
    mechanism_name = serializers.CharField(source="mechanism.name", read_only=True)
    level = serializers.IntegerField(source="mechanism.level", read_only=True, help_text="DMRS level, 7 to 1.")

    class Meta:
        model = DefenseObservation
        fields = ["id", "mechanism", "mechanism_name", "level", "evidence", "order", "lineage", "removed_at"]
        fields += ["version"]
        read_only_fields = fields


class FormulationSerializer(OutputSerializer):
    """A plan's structured formulation. `countertransference` is the clinician's private working
    material, not part of the record: it is in the answer only when you are the plan's author, and
    left out (not sent empty) for everyone else."""

    # Who reads the private fields is accounts.policy's (Action.READ_COUNTERTRANSFERENCE_VIA_API);
    # they are left out rather than blanked so that "not yours to read" never reads "nothing written".

    conflicts = serializers.SerializerMethodField()
    defenses = serializers.SerializerMethodField()
    section_versions = serializers.SerializerMethodField(help_text='Each section\'s version, e.g. {"narrative": 2}.')
    # The schema documents them as optional (core/api/schema.py).
    sometimes_absent = Formulation.PRIVATE_FIELDS

    class Meta:
        model = Formulation
        fields = ["id", "plan", *SECTION_FIELDS, "section_versions", "conflicts", "defenses", "updated_at"]
        read_only_fields = fields
        extra_kwargs = {name: {"help_text": PRIVATE_HELP_TEXT} for name in Formulation.PRIVATE_FIELDS}

    def to_representation(self, formulation):
        data = super().to_representation(formulation)
        request = self.context.get("request")
        user = request.user if request is not None else None
        for name in fields_hidden_from(user, formulation.plan, action=policy.Action.READ_COUNTERTRANSFERENCE_VIA_API):
            data.pop(name, None)
        return data

    def get_section_versions(self, formulation) -> dict[str, int]:
        return {name: formulation.section_version(name) for name in Formulation.SECTIONS}

    def get_conflicts(self, formulation) -> CoreConflictSerializer(many=True):
        current = [c for c in formulation.conflicts.all() if c.removed_at is None]
        return CoreConflictSerializer(current, many=True).data

    def get_defenses(self, formulation) -> DefenseObservationSerializer(many=True):
        current = [d for d in formulation.defenses.all() if d.removed_at is None]
        return DefenseObservationSerializer(current, many=True).data


class FormulationInputSerializer(serializers.ModelSerializer):
    """Any of the sections' fields. Each section touched is saved with the version you read."""

    class Meta:
        model = Formulation
        fields = SECTION_FIELDS
