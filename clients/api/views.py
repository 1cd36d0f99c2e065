import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError

from clients import services
from clients.api.serializers import (
    ClientInputSerializer,
    ClientSearchSerializer,
    ClientSerializer,
    PresentingProblemCreateSerializer,
    PresentingProblemInputSerializer,
    PresentingProblemSerializer,
)
from clients.models import Client, PresentingProblem
from core.api.views import ScopedViewSet


class ClientFilter(django_filters.FilterSet):
    """Query-string filters: none of them may carry a name or chart number (see `search`)."""

    class Meta:
        model = Client
        fields = ["status"]


# Query parameters that once searched by name, or might be guessed to: refused, not ignored, so
# an old script learns to POST instead of silently getting every client back.
NAME_SEARCH_PARAMS = ("search", "q", "name")


@extend_schema_view(
    list=extend_schema(summary="Clients in your view"),
    retrieve=extend_schema(summary="A client"),
)
class ClientViewSet(mixins.ListModelMixin, ScopedViewSet):
    """Clients on your caseload (and, read-only, your supervisees' or your practice's as your roles allow)."""

    serializer_class = ClientSerializer
    filterset_class = ClientFilter
    ordering_fields = ["family_name", "given_name", "chart_number", "intake_date", "id"]
    ordering = ["family_name", "given_name", "id"]
    # The discharge action is added on the plan side (plans/api/discharge.py), because it closes plans.
    if_match = {"partial_update": True}
    etag_actions = {"retrieve", "create", "partial_update"}

    def base_queryset(self):
        return Client.objects.all()

    def list(self, request, *args, **kwargs):
        sent = [name for name in NAME_SEARCH_PARAMS if name in request.query_params]
        if sent:
            message = 'Search by POST /api/v1/clients/search/ with {"q": ...}: names in URLs end up in logs.'
            raise ValidationError({name: [message] for name in sent})
        return super().list(request, *args, **kwargs)

    @extend_schema(
        operation_id="clients_search",
        summary="Search clients in your view by name or chart number",
        description=(
            "The term travels in the body, never in the URL. Answers a page of clients like the list, "
            "with the list's query filters (`status`, `ordering`, `page`, `page_size`)."
        ),
        request=ClientSearchSerializer,
        responses=ClientSerializer(many=True),
    )
    @action(detail=False, methods=["post"])
    def search(self, request):
        term = self.validated(ClientSearchSerializer)["q"]
        clients = self.filter_queryset(self.get_queryset()).search(term)
        page = self.paginate_queryset(clients)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary="Open a client record on your caseload", request=ClientInputSerializer)
    def create(self, request):
        client = services.create_client(actor=request.user, **self.validated(ClientInputSerializer))
        return self.respond(client, code=status.HTTP_201_CREATED)

    @extend_schema(summary="Change a client's details", request=ClientInputSerializer)
    def partial_update(self, request, pk=None):
        client = self.fetch_for_change()
        values = self.validated(ClientInputSerializer, partial=True)
        client = services.update_client(actor=request.user, client=client, expected_version=client.version, **values)
        return self.respond(client)


class PresentingProblemFilter(django_filters.FilterSet):
    include_archived = django_filters.BooleanFilter(
        method="filter_archived", help_text="Also list archived problems (default: current only)."
    )

    class Meta:
        model = PresentingProblem
        fields = ["client"]

    def filter_archived(self, queryset, name, value):
        return queryset

    def filter_queryset(self, queryset):
        if not self.form.cleaned_data.get("include_archived"):
            queryset = queryset.current()
        return super().filter_queryset(queryset)


@extend_schema_view(
    list=extend_schema(summary="Presenting problems in your view (?client=ID)"),
    retrieve=extend_schema(summary="A presenting problem"),
    destroy=extend_schema(summary="Archive a presenting problem (the record is kept)"),
)
class PresentingProblemViewSet(mixins.ListModelMixin, ScopedViewSet):
    serializer_class = PresentingProblemSerializer
    filterset_class = PresentingProblemFilter
    ordering_fields = ["created_at", "id"]
    ordering = ["created_at", "id"]

    def base_queryset(self):
        return PresentingProblem.objects.all()

    @extend_schema(summary="Add a presenting problem to a client", request=PresentingProblemCreateSerializer)
    def create(self, request):
        values = self.validated(PresentingProblemCreateSerializer)
        problem = services.add_presenting_problem(actor=request.user, **values)
        return self.respond(problem, code=status.HTTP_201_CREATED)

    @extend_schema(summary="Change a presenting problem", request=PresentingProblemInputSerializer)
    def partial_update(self, request, pk=None):
        problem = self.fetch_for_change()
        values = self.validated(PresentingProblemInputSerializer, partial=True)
        problem = services.update_presenting_problem(
            actor=request.user, problem=problem, expected_version=problem.version, **values
        )
        return self.respond(problem)

    def destroy(self, request, pk=None):
        problem = self.fetch_for_change()
        services.archive_presenting_problem(actor=request.user, problem=problem)
        return self.respond_no_content()
