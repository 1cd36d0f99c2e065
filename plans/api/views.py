import django_filters
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api.reauth import SignerInputSerializer, signer_refusal
from core.api.concurrency import check_if_match, with_etag
from core.api.views import ScopedViewSet
from plans.api import serializers as s
from plans.editor import services
from plans.lifecycle import transitions
from plans.lifecycle.canonical import content_queryset, verify
from plans.lifecycle.fingerprint import fingerprint
from plans.models import Goal, Intervention, Objective, TreatmentPlan

# --- Plans ----------------------------------------------------------------------


def plan_tree_queryset():
    """A plan with everything the nested read shows, in a fixed number of queries whatever its size:
    the very rows its signatures are checked against (plans.lifecycle.canonical.content_queryset), so
    a read fetches the tree once for both (issue 17). The tree serializers read its `canonical_*` lists."""
    return content_queryset()


class PlanFilter(django_filters.FilterSet):
    class Meta:
        model = TreatmentPlan
        fields = ["client", "status", "lineage"]


PLAN_DETAIL = OpenApiResponse(s.PlanDetailSerializer)


@extend_schema_view(
    list=extend_schema(summary="Plan versions in your view (?client=, ?status=, ?lineage=)"),
    retrieve=extend_schema(summary="A plan version with its goals, objectives and interventions embedded"),
)
class PlanViewSet(mixins.ListModelMixin, ScopedViewSet):
    filterset_class = PlanFilter
    ordering_fields = ["start_date", "version_number", "created_at", "id"]
    ordering = ["-start_date", "-version_number", "id"]
    if_match = {
        "partial_update": True,
        "submit": False,
        "request_changes": False,
        "revise": False,
        "approve": False,
        "amend": False,
        "close": False,
    }
    etag_actions = {"retrieve", "create", "partial_update", "submit", "request_changes", "revise", "approve", "close"}
    etag_actions |= {"amend"}
    conflict_actions = {"partial_update"}

    def base_queryset(self):
        if self.action == "list":
            return TreatmentPlan.objects.prefetch_related("presenting_problems")
        return plan_tree_queryset()

    def get_serializer_class(self):
        return s.PlanSerializer if self.action == "list" else s.PlanDetailSerializer

    def retrieve(self, request, *args, **kwargs):
        # A final (signed, immutable) version reads the same for everyone who may see it:
        # serialize its tree once and serve it from the cache.
        pk = str(kwargs[self.lookup_field])
        if not pk.isascii() or not pk.isdigit():
            raise Http404
        plan = get_object_or_404(TreatmentPlan.objects.visible_to(request.user).select_related("client"), pk=int(pk))
        if not plan.is_final:
            return super().retrieve(request, *args, **kwargs)

        # Served from the cache only while not one row of the version changed since it was read,
        # checked and serialized (PostgreSQL's row versions say, in one query:
        # plans/lifecycle/fingerprint.py); else read, its signatures checked and serialized from the
        # same rows. Where there are no row versions (SQLite), every read does that.
        stamp = fingerprint(plan)
        key = f"api-plan-detail:v3:{plan.pk}:{stamp}" if stamp else None
        kept = cache.get(key) if key else None
        if kept is None:
            tree = plan_tree_queryset().get(pk=plan.pk)
            verification = verify(tree, just_read=True)
            context = self.get_serializer_context() | {"verification": verification}
            kept = (s.PlanDetailSerializer(tree, context=context).data, verification.as_dict())
            if key:
                cache.set(key, kept, 60 * 60)
        tree_data, checked = kept
        data = dict(tree_data) | {"verification": checked}
        return with_etag(Response(data), plan)

    def respond_plan(self, plan, *, code=status.HTTP_200_OK):
        return self.respond(plan_tree_queryset().get(pk=plan.pk), code=code, serializer_class=s.PlanDetailSerializer)

    @extend_schema(
        summary="Start a draft plan for a client", request=s.PlanCreateSerializer, responses={201: PLAN_DETAIL}
    )
    def create(self, request):
        values = self.validated(s.PlanCreateSerializer)
        plan = services.start_plan(
            actor=request.user,
            client=values["client"],
            start_date=values["start_date"],
            review_interval=values["review_interval"],
            presenting_problems=values.get("presenting_problems", []),
            template=values.get("template"),
        )
        return self.respond_plan(plan, code=status.HTTP_201_CREATED)

    @extend_schema(summary="Change a draft plan's dates, review interval and problems", request=s.PlanUpdateSerializer)
    def partial_update(self, request, pk=None):
        plan = self.fetch_for_change()
        values = self.validated(s.PlanUpdateSerializer, partial=True)
        plan = services.update_plan_details(
            actor=request.user,
            plan=plan,
            expected_version=plan.version,
            start_date=values.get("start_date", plan.start_date),
            review_interval=values.get("review_interval", plan.review_interval),
            horizon_months=values.get("horizon_months", plan.horizon_months),
            presenting_problems=values.get("presenting_problems", plan.presenting_problems.all()),
        )
        return self.respond_plan(plan)

    def _for_action(self, *, author_side: bool = True):
        plan = self.fetch_for_change(if_match_required=False) if author_side else self.get_object()
        if not author_side:
            check_if_match(self.request, plan, required=False)
        return plan

    @extend_schema(
        summary="Submit and sign as author",
        description="The author signs. A plan that needs a co-signature goes to review; otherwise it becomes active. "
        "The body carries the signer's `password`, or `otp_code` for someone with two-factor sign-in.",
        request=SignerInputSerializer,
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        plan = self._for_action()
        refused = signer_refusal(self, request, act=f"plan {plan.pk} sign")
        if refused is not None:
            return refused
        plan = transitions.submit_plan(actor=request.user, plan=plan)
        return self.respond_plan(plan)

    @extend_schema(
        summary="Return a plan in review to its author (a comment is required)", request=s.CommentInputSerializer
    )
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request, pk=None):
        plan = self._for_action(author_side=False)
        values = self.validated(s.CommentInputSerializer)
        plan = transitions.request_changes(actor=request.user, plan=plan, comment=values["comment"])
        return self.respond_plan(plan)

    @extend_schema(summary="Reopen a plan returned for changes as a draft", request=None)
    @action(detail=True, methods=["post"])
    def revise(self, request, pk=None):
        plan = transitions.start_revision(actor=request.user, plan=self._for_action())
        return self.respond_plan(plan)

    @extend_schema(summary="Approve and co-sign (supervisor of the author)", request=s.ApproveInputSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        plan = self._for_action(author_side=False)
        values = self.validated(s.ApproveInputSerializer)
        refused = signer_refusal(self, request, act=f"plan {plan.pk} co-sign")
        if refused is not None:
            return refused
        plan = transitions.approve_plan(actor=request.user, plan=plan, comment=values["comment"])
        return self.respond_plan(plan)

    @extend_schema(
        summary="Amend an active plan",
        description="Starts a new draft version n+1 with a copy of the content; answers with the new version.",
        request=None,
        responses={201: PLAN_DETAIL},
    )
    @action(detail=True, methods=["post"])
    def amend(self, request, pk=None):
        amendment = transitions.amend_plan(actor=request.user, plan=self._for_action())
        return self.respond_plan(amendment, code=status.HTTP_201_CREATED)

    @extend_schema(summary="Close an active plan", request=s.CloseInputSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        plan = self._for_action()
        values = self.validated(s.CloseInputSerializer)
        plan = transitions.close_plan(actor=request.user, plan=plan, reason=values["reason"])
        return self.respond_plan(plan)


# --- Goals, objectives, interventions ----------------------------------------------


class RemovedFilter(django_filters.FilterSet):
    include_removed = django_filters.BooleanFilter(
        method="filter_removed", help_text="Also list removed items (default: current only)."
    )

    def filter_removed(self, queryset, name, value):
        return queryset

    def filter_queryset(self, queryset):
        if not self.form.cleaned_data.get("include_removed"):
            queryset = queryset.current()
        return super().filter_queryset(queryset)


class GoalFilter(RemovedFilter):
    class Meta:
        model = Goal
        fields = ["plan"]


class ObjectiveFilter(RemovedFilter):
    plan = django_filters.NumberFilter(field_name="goal__plan", help_text="All objectives of a plan version.")

    class Meta:
        model = Objective
        fields = ["goal", "plan", "status"]


class InterventionFilter(RemovedFilter):
    objective = django_filters.NumberFilter(field_name="objectives", help_text="Interventions serving an objective.")

    class Meta:
        model = Intervention
        fields = ["plan", "objective", "technique"]


class PlanItemViewSet(mixins.ListModelMixin, ScopedViewSet):
    # Shared by goals, objectives and interventions: writes go through plans.editor.services.

    conflict_actions = {"create", "partial_update", "destroy"}
    ordering_fields = ["order", "id"]
    ordering = ["order", "id"]
    input_serializer = None

    def partial_update(self, request, pk=None):
        item = self.fetch_for_change()
        values = self.validated(self.input_serializer, partial=True)
        item = services.update_item(actor=request.user, item=item, expected_version=item.version, values=values)
        return self.respond(self.base_queryset().get(pk=item.pk))

    def destroy(self, request, pk=None):
        item = self.fetch_for_change()
        services.remove_item(actor=request.user, item=item)
        return self.respond_no_content()


REMOVE = extend_schema(summary="Remove from the draft plan (the row is kept, marked removed)")


@extend_schema_view(
    list=extend_schema(summary="Goals in your view (?plan=ID)"),
    retrieve=extend_schema(summary="A goal"),
    partial_update=extend_schema(summary="Change a goal of a draft plan", request=s.GoalInputSerializer),
    destroy=REMOVE,
)
class GoalViewSet(PlanItemViewSet):
    serializer_class = s.GoalSerializer
    filterset_class = GoalFilter
    input_serializer = s.GoalInputSerializer

    def base_queryset(self):
        return Goal.objects.all()

    @extend_schema(summary="Add a goal to a draft plan", request=s.GoalCreateSerializer)
    def create(self, request):
        values = self.validated(s.GoalCreateSerializer)
        goal = services.add_goal(actor=request.user, **values)
        return self.respond(goal, code=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="Objectives in your view (?goal=ID or ?plan=ID)"),
    retrieve=extend_schema(summary="An objective"),
    partial_update=extend_schema(summary="Change an objective of a draft plan", request=s.ObjectiveInputSerializer),
    destroy=REMOVE,
)
class ObjectiveViewSet(PlanItemViewSet):
    serializer_class = s.ObjectiveSerializer
    filterset_class = ObjectiveFilter
    input_serializer = s.ObjectiveInputSerializer

    def base_queryset(self):
        return Objective.objects.prefetch_related("presenting_problems", "conflicts", "defenses")

    @extend_schema(summary="Add a SMART objective to a goal", request=s.ObjectiveCreateSerializer)
    def create(self, request):
        values = self.validated(s.ObjectiveCreateSerializer)
        objective = services.add_objective(actor=request.user, **values)
        return self.respond(self.base_queryset().get(pk=objective.pk), code=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="Interventions in your view (?plan=ID, ?objective=ID)"),
    retrieve=extend_schema(summary="An intervention"),
    partial_update=extend_schema(
        summary="Change an intervention of a draft plan", request=s.InterventionInputSerializer
    ),
    destroy=REMOVE,
)
class InterventionViewSet(PlanItemViewSet):
    serializer_class = s.InterventionSerializer
    filterset_class = InterventionFilter
    input_serializer = s.InterventionInputSerializer

    def base_queryset(self):
        return Intervention.objects.select_related("technique").prefetch_related("objectives")

    @extend_schema(summary="Add an intervention to a draft plan", request=s.InterventionCreateSerializer)
    def create(self, request):
        values = self.validated(s.InterventionCreateSerializer)
        intervention = services.add_intervention(actor=request.user, **values)
        return self.respond(self.base_queryset().get(pk=intervention.pk), code=status.HTTP_201_CREATED)
