"""Progress review and measure score API shapes (see plans/api/serializers.py for the conventions)."""

from rest_framework import serializers

from clients.models import Client
from core.api.serializers import ClinicalDateSerializerField, OutputSerializer
from plans.api.serializers import CatalogueRelated, VisibleRelated
from plans.models import MeasureDefinition, Objective, TreatmentPlan
from progress.models import CcrtJudgement, MeasureScore, ObjectiveProgress, ProgressReview


class ObjectiveProgressSerializer(OutputSerializer):
    class Meta:
        model = ObjectiveProgress
        fields = ["objective", "status", "rating", "evidence", "achievement"]
        read_only_fields = fields


class ProgressReviewSerializer(OutputSerializer):
    entries = ObjectiveProgressSerializer(many=True, read_only=True)

    class Meta:
        model = ProgressReview
        fields = [
            "id",
            "plan",
            "due_date",
            "status",
            "completed_by",
            "completed_at",
            "completed_on",
            "alliance_bond",
            "alliance_goals",
            "alliance_tasks",
            "alliance_note",
            "summary",
            "decision",
            "ccrt_judgement",
            "ccrt_wish",
            "ccrt_response_of_other",
            "ccrt_response_of_self",
            "entries",
            "created_at",
        ]
        read_only_fields = fields


class ReviewStartSerializer(serializers.Serializer):
    plan = VisibleRelated(TreatmentPlan, help_text="An active plan; an open review of it is returned if there is one.")


class EntryInputSerializer(serializers.Serializer):
    objective = VisibleRelated(Objective)
    status = serializers.ChoiceField(choices=ObjectiveProgress.Status.choices)
    rating = serializers.IntegerField(min_value=0, max_value=100, help_text="Progress, 0-100 %.")
    evidence = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class MeasureInputSerializer(serializers.Serializer):
    definition = CatalogueRelated(MeasureDefinition)
    items = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=10), required=False, allow_null=True, max_length=50
    )
    total = serializers.IntegerField(required=False, allow_null=True, min_value=-1000, max_value=1000)


class ReviewCompleteSerializer(serializers.Serializer):
    entries = EntryInputSerializer(many=True, help_text="One entry for every current objective of the plan.")
    measures = MeasureInputSerializer(many=True, required=False, default=list)
    alliance_bond = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    alliance_goals = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    alliance_tasks = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    alliance_note = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    summary = serializers.CharField(max_length=8000, required=False, allow_blank=True, default="")
    decision = serializers.ChoiceField(choices=ProgressReview.Decision.choices)
    discharge_reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    ccrt_judgement = serializers.ChoiceField(
        choices=CcrtJudgement.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="confirmed (the plan's CCRT as it stands), edited (give the components below; carried into the "
        "amendment when the decision is 'revise'), or empty when the CCRT was not reviewed.",
    )
    ccrt_wish = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    ccrt_response_of_other = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    ccrt_response_of_self = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ReviewCompletedSerializer(serializers.Serializer):
    review = ProgressReviewSerializer()
    amendment = serializers.IntegerField(
        allow_null=True, help_text="For decision 'revise': the id of the new draft version started from the review."
    )


class MeasureScoreSerializer(OutputSerializer):
    definition_code = serializers.CharField(source="definition.code", read_only=True)

    class Meta:
        model = MeasureScore
        fields = ["id", "client", "definition", "definition_code", "plan", "review", "recorded_on"]
        # `source`: clinician-entered, or client-reported through a client link (issue 15). Set only by
        # how the score came in; the create below records a clinician's score whatever a body says.
        fields += ["item_scores", "total", "band", "risk_flag", "source", "recorded_by", "created_at"]
        read_only_fields = fields


class MeasureScoreCreateSerializer(serializers.Serializer):
    client = VisibleRelated(Client)
    definition = CatalogueRelated(MeasureDefinition)
    recorded_on = ClinicalDateSerializerField()
    items = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=10),
        required=False,
        allow_null=True,
        max_length=50,
        help_text="Item answers for an itemised measure (PHQ-9: 9, GAD-7: 7, each 0-3).",
    )
    total = serializers.IntegerField(
        required=False, allow_null=True, min_value=-1000, max_value=1000, help_text="For a measure without items."
    )
