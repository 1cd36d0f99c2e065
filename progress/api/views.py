import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.views import ScopedViewSet
from progress import services
from progress.api import serializers as s
from progress.models import MeasureScore, ProgressReview


class ReviewFilter(django_filters.FilterSet):
    class Meta:
        model = ProgressReview
        fields = ["plan", "status"]


@extend_schema_view(
    list=extend_schema(summary="Progress reviews in your view (?plan=, ?status=)"),
    retrieve=extend_schema(summary="A progress review with its objective entries"),
)
class ProgressReviewViewSet(mixins.ListModelMixin, ScopedViewSet):
    serializer_class = s.ProgressReviewSerializer
    filterset_class = ReviewFilter
    ordering_fields = ["due_date", "id"]
    ordering = ["due_date", "id"]
    http_method_names = ["get", "post", "head", "options"]
    if_match = {"complete": False}
    etag_actions = {"retrieve", "create"}

    def base_queryset(self):
        return ProgressReview.objects.prefetch_related("entries")

    @extend_schema(
        summary="Open a review of an active plan now",
        description="Answers 201 with a new review, or 200 with the plan's review that is already open.",
        request=s.ReviewStartSerializer,
        responses={201: s.ProgressReviewSerializer, 200: s.ProgressReviewSerializer},
    )
    def create(self, request):
        values = self.validated(s.ReviewStartSerializer)
        existing = values["plan"].reviews.open().exists()
        review = services.start_review_now(actor=request.user, plan=values["plan"])
        code = status.HTTP_200_OK if existing else status.HTTP_201_CREATED
        return self.respond(self.base_queryset().get(pk=review.pk), code=code)

    @extend_schema(
        summary="Complete a review: objective entries, measures, alliance and decision in one request",
        request=s.ReviewCompleteSerializer,
        responses={200: s.ReviewCompletedSerializer},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        review = self.fetch_for_change(if_match_required=False)
        values = self.validated(s.ReviewCompleteSerializer)
        record = services.ReviewRecord(
            entries=[services.EntryInput(**entry) for entry in values["entries"]],
            measures=[services.MeasureInput(**m) for m in values["measures"]],
            alliance_bond=values.get("alliance_bond"),
            alliance_goals=values.get("alliance_goals"),
            alliance_tasks=values.get("alliance_tasks"),
            alliance_note=values["alliance_note"],
            summary=values["summary"],
            decision=values["decision"],
            discharge_reason=values["discharge_reason"],
            ccrt=services.CcrtInput(
                values["ccrt_judgement"],
                **{part: values[f"ccrt_{part}"] for part in services.CCRT_PARTS},
            )
            if values["ccrt_judgement"]
            else None,
        )
        review, amendment = services.complete_review(actor=request.user, review=review, record=record)
        review = self.base_queryset().get(pk=review.pk)
        body = {
            "review": s.ProgressReviewSerializer(review, context=self.get_serializer_context()).data,
            "amendment": amendment.pk if amendment else None,
        }
        return Response(body)


class MeasureScoreFilter(django_filters.FilterSet):
    definition_code = django_filters.CharFilter(field_name="definition__code", help_text="e.g. phq9, gad7.")

    class Meta:
        model = MeasureScore
        fields = ["client", "plan", "review", "definition", "risk_flag", "source"]


@extend_schema_view(
    list=extend_schema(
        summary="Recorded outcome-measure scores in your view (?client=, ?plan=, ?definition_code=, ?source=)"
    ),
    retrieve=extend_schema(summary="A recorded score"),
)
class MeasureScoreViewSet(mixins.ListModelMixin, ScopedViewSet):
    """Scores are records: they are recorded, never edited."""

    serializer_class = s.MeasureScoreSerializer
    filterset_class = MeasureScoreFilter
    ordering_fields = ["recorded_on", "created_at", "id"]
    ordering = ["recorded_on", "created_at", "id"]
    http_method_names = ["get", "post", "head", "options"]
    if_match = {}
    etag_actions = set()

    def base_queryset(self):
        return MeasureScore.objects.select_related("definition")

    @extend_schema(
        summary="Record a score (PHQ-9 and GAD-7 item by item; a practice's own measures as a total)",
        request=s.MeasureScoreCreateSerializer,
    )
    def create(self, request):
        values = self.validated(s.MeasureScoreCreateSerializer)
        score = services.record_measure(actor=request.user, **values)
        return self.respond(self.base_queryset().get(pk=score.pk), code=status.HTTP_201_CREATED)
