"""Plan API shapes. Output serializers are read-only; input serializers name only what a caller may set.

Related ids in input are looked up in the caller's view (`visible_to`) or the practice's
catalogue, so an id from another caseload reads as "does not exist". Which links are
allowed for which plan (problems of this client, conflicts of this formulation ...) is
the services' check.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts import policy
from accounts.api.reauth import SignerInputSerializer
from clients.models import Client, PresentingProblem
from core.api.serializers import ClinicalDateSerializerField, OutputSerializer
from formulation.models import CoreConflict, DefenseObservation
from plans.lifecycle.canonical import verify
from plans.models import (
    Goal,
    Intervention,
    InterventionTechnique,
    MeasureDefinition,
    Objective,
    PlanTemplate,
    Signature,
    TreatmentPlan,
)


def _user(serializer):
    request = serializer.context.get("request")
    return request.user if request else None


def _practice_id(serializer):
    return policy.practice_id_of(_user(serializer))


class VisibleRelated(serializers.PrimaryKeyRelatedField):
    """A related id resolved in the caller's view only."""

    def __init__(self, model, **kwargs):
        self.model = model
        super().__init__(queryset=model.objects.none(), **kwargs)

    def get_queryset(self):
        return self.model.objects.visible_to(_user(self.root))


class CatalogueRelated(serializers.PrimaryKeyRelatedField):
    """A related id from the built-in catalogue or the caller's practice's own entries."""

    def __init__(self, model, **kwargs):
        self.model = model
        super().__init__(queryset=model.objects.none(), **kwargs)

    def get_queryset(self):
        return self.model.objects.available_to(_practice_id(self.root))


# --- Output -------------------------------------------------------------------


class SignatureSerializer(OutputSerializer):
    class Meta:
        model = Signature
        fields = ["meaning", "signer", "printed_name", "credentials", "signed_at", "timezone", "content_hash"]
        fields += ["signing_method", "voided_at", "void_reason"]
        read_only_fields = fields


class GoalSerializer(OutputSerializer):
    class Meta:
        model = Goal
        fields = ["id", "plan", *Goal.EDITABLE_FIELDS, "order", "lineage", "removed_at", "version"]
        read_only_fields = fields


OBJECTIVE_FIELDS = list(Objective.EDITABLE_FIELDS)


class ObjectiveSerializer(OutputSerializer):
    class Meta:
        model = Objective
        fields = ["id", "goal", *OBJECTIVE_FIELDS, "order", "lineage", "removed_at", "version"]
        read_only_fields = fields


class InterventionSerializer(OutputSerializer):
    technique_name = serializers.CharField(source="technique.name", read_only=True)

    class Meta:
        model = Intervention
        fields = ["id", "plan", "technique", "technique_name", "objectives", "frequency", "rationale"]
        fields += ["order", "lineage", "removed_at", "version"]
        read_only_fields = fields


PLAN_FIELDS = [
    "id",
    "client",
    "author",
    "status",
    "version_number",
    "previous_version",
    "presenting_problems",
    "start_date",
    "horizon_months",
    "review_interval",
    "next_review_date",
    "submitted_at",
    "activated_at",
    "closed_at",
    "lineage",
    "version",
    "created_at",
    "updated_at",
]


class PlanSerializer(OutputSerializer):
    class Meta:
        model = TreatmentPlan
        fields = PLAN_FIELDS
        read_only_fields = fields


def _ids(source: str) -> serializers.PrimaryKeyRelatedField:
    # pk_field keeps the schema's items integers: the source is a list, not a model field to infer from.
    return serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, source=source, pk_field=serializers.IntegerField()
    )


class ObjectiveTreeSerializer(ObjectiveSerializer):
    # Read from the tree's prefetched lists (plans.api.views.plan_tree_queryset).
    presenting_problems = _ids("canonical_problems")
    conflicts = _ids("canonical_conflicts")
    defenses = _ids("canonical_defenses")
    interventions = serializers.SerializerMethodField(help_text="Ids of the current interventions serving it.")

    class Meta(ObjectiveSerializer.Meta):
        fields = [*ObjectiveSerializer.Meta.fields, "interventions"]
        read_only_fields = fields

    def get_interventions(self, objective) -> list[int]:
        return self.context.get("serving", {}).get(objective.pk, [])


class InterventionTreeSerializer(InterventionSerializer):
    objectives = _ids("canonical_objectives")


class GoalTreeSerializer(GoalSerializer):
    objectives = ObjectiveTreeSerializer(many=True, read_only=True, source="canonical_objectives")

    class Meta(GoalSerializer.Meta):
        fields = [*GoalSerializer.Meta.fields, "objectives"]
        read_only_fields = fields


class SignatureCheckSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The signature's id.")
    meaning = serializers.ChoiceField(choices=Signature.Meaning.choices)
    state = serializers.ChoiceField(choices=["valid", "voided", "mismatch"])
    problems = serializers.ListField(child=serializers.CharField(), help_text="Why it does not match.")


class VerificationSerializer(serializers.Serializer):
    """Every signature checked against the content as the database holds it at this request."""

    matches = serializers.BooleanField(help_text="False when any valid signature no longer matches the content.")
    content_hash = serializers.CharField(allow_null=True, help_text="SHA-256 of the canonical content now.")
    signatures = SignatureCheckSerializer(many=True)
    differences = serializers.ListField(
        child=serializers.CharField(), help_text="Where the content differs from what was signed."
    )


class PlanDetailSerializer(PlanSerializer):
    """A whole plan version: its current goals with their objectives, and its interventions.
    `verification` is computed afresh on every read, never cached."""

    formulation = serializers.PrimaryKeyRelatedField(read_only=True)
    goals = GoalTreeSerializer(many=True, read_only=True, source="canonical_goals")
    interventions = InterventionTreeSerializer(many=True, read_only=True, source="canonical_interventions")
    signatures = SignatureSerializer(many=True, read_only=True, source="canonical_signatures")
    verification = serializers.SerializerMethodField()

    class Meta(PlanSerializer.Meta):
        fields = [*PLAN_FIELDS, "formulation", "goals", "interventions", "signatures", "verification"]
        read_only_fields = fields

    def to_representation(self, plan):
        serving: dict[int, list[int]] = {}
        for intervention in plan.canonical_interventions:
            for objective in intervention.canonical_objectives:
                serving.setdefault(objective.pk, []).append(intervention.pk)
        self.context["serving"] = serving
        return super().to_representation(plan)

    @extend_schema_field(VerificationSerializer)
    def get_verification(self, plan) -> dict:
        verification = self.context.get("verification")
        if verification is None or verification.plan_id != plan.pk:
            # Every plan given to this serializer is a tree read for this response (views.plan_tree_queryset).
            verification = verify(plan, just_read=True)
        return verification.as_dict()


# --- Input --------------------------------------------------------------------


class PlanCreateSerializer(serializers.Serializer):
    client = VisibleRelated(Client)
    start_date = ClinicalDateSerializerField()
    review_interval = serializers.ChoiceField(
        choices=TreatmentPlan.ReviewInterval.choices, default=TreatmentPlan.ReviewInterval.QUARTERLY
    )
    presenting_problems = VisibleRelated(PresentingProblem, many=True, required=False)
    template = CatalogueRelated(PlanTemplate, required=False, allow_null=True)


class PlanUpdateSerializer(serializers.Serializer):
    start_date = ClinicalDateSerializerField(required=False)
    review_interval = serializers.ChoiceField(choices=TreatmentPlan.ReviewInterval.choices, required=False)
    horizon_months = serializers.IntegerField(min_value=1, max_value=60, required=False)
    presenting_problems = VisibleRelated(PresentingProblem, many=True, required=False)


class CommentInputSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=4000, help_text="What needs to change (required).")


class ApproveInputSerializer(SignerInputSerializer):
    comment = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class CloseInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=4000)


class GoalInputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Goal
        fields = list(Goal.EDITABLE_FIELDS)


class GoalCreateSerializer(GoalInputSerializer):
    plan = VisibleRelated(TreatmentPlan)

    class Meta(GoalInputSerializer.Meta):
        fields = ["plan", *Goal.EDITABLE_FIELDS]


class ObjectiveInputSerializer(serializers.ModelSerializer):
    presenting_problems = VisibleRelated(PresentingProblem, many=True, required=False)
    conflicts = VisibleRelated(CoreConflict, many=True, required=False)
    defenses = VisibleRelated(DefenseObservation, many=True, required=False)
    bound_measure = CatalogueRelated(MeasureDefinition, required=False, allow_null=True)

    class Meta:
        model = Objective
        fields = OBJECTIVE_FIELDS


class ObjectiveCreateSerializer(ObjectiveInputSerializer):
    goal = VisibleRelated(Goal)

    class Meta(ObjectiveInputSerializer.Meta):
        fields = ["goal", *OBJECTIVE_FIELDS]


class InterventionInputSerializer(serializers.ModelSerializer):
    technique = CatalogueRelated(InterventionTechnique)
    objectives = VisibleRelated(Objective, many=True, required=False)

    class Meta:
        model = Intervention
        fields = list(Intervention.EDITABLE_FIELDS)


class InterventionCreateSerializer(InterventionInputSerializer):
    plan = VisibleRelated(TreatmentPlan)

    class Meta(InterventionInputSerializer.Meta):
        fields = ["plan", *Intervention.EDITABLE_FIELDS]
