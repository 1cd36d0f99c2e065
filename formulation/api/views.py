import django_filters
from django.db import transaction
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins

from core.api.views import ScopedViewSet
from formulation import services
from formulation.api.serializers import FormulationInputSerializer, FormulationSerializer
from formulation.models import CoreConflict, DefenseObservation, Formulation


class FormulationFilter(django_filters.FilterSet):
    class Meta:
        model = Formulation
        fields = ["plan"]


@extend_schema_view(
    list=extend_schema(summary="Formulations in your view (?plan=ID); one per plan version"),
    retrieve=extend_schema(summary="A plan's structured formulation, with its core conflicts and defenses"),
)
class FormulationViewSet(mixins.ListModelMixin, ScopedViewSet):
    """A formulation is created with its plan; its text sections are changed here."""

    serializer_class = FormulationSerializer
    filterset_class = FormulationFilter
    ordering_fields = ["id"]
    ordering = ["id"]
    http_method_names = ["get", "patch", "head", "options"]
    if_match = {"partial_update": True}
    etag_actions = {"retrieve", "partial_update"}
    conflict_actions = {"partial_update"}

    def base_queryset(self):
        # The plan (with its author) is read for every answer: who may read the private fields.
        return Formulation.objects.select_related("plan__client").prefetch_related(
            Prefetch("conflicts", queryset=CoreConflict.objects.select_related("conflict_type")),
            Prefetch("defenses", queryset=DefenseObservation.objects.select_related("mechanism")),
        )

    @extend_schema(
        summary="Change sections of a draft plan's formulation",
        description="Send any fields; every section you touch is saved whole (fields of that section you leave "
        "out keep their text), each checked against the version your If-Match was read at.",
        request=FormulationInputSerializer,
    )
    def partial_update(self, request, pk=None):
        formulation = self.fetch_for_change()
        values = self.validated(FormulationInputSerializer, partial=True)
        with transaction.atomic():
            for section, (_, fields) in Formulation.SECTIONS.items():
                if not any(name in values for name in fields):
                    continue
                merged = {name: values.get(name, getattr(formulation, name)) for name in fields}
                services.save_formulation_section(
                    actor=request.user,
                    formulation=formulation,
                    section=section,
                    expected_version=formulation.section_version(section),
                    values=merged,
                )
        return self.respond(self.base_queryset().get(pk=formulation.pk))
