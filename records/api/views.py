"""The plan's records through the API: its PDF and its FHIR bundle, at /api/v1/plans/{id}/pdf/ and
/api/v1/plans/{id}/fhir/. They build on the plan API (plans sits below records), so the composition
root (config/api_urls.py) registers this viewset for the plans prefix."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from plans.api.views import PlanViewSet
from plans.models import TreatmentPlan
from records import fhir, pdf
from records.pdf_views import audience_of, pdf_response, summary_of


class PDFRenderer(renderers.BaseRenderer):
    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class FHIRJSONRenderer(renderers.JSONRenderer):
    media_type = "application/fhir+json"
    format = "fhir"


class PlanRecordsViewSet(PlanViewSet):
    # The plan API with the plan's PDF record and FHIR bundle. A comment, not a docstring:
    # drf-spectacular would print a docstring into every plan operation's description.

    def base_queryset(self):
        if self.action in ("pdf", "fhir"):
            return TreatmentPlan.objects.select_related("client__practice", "author", "formulation")
        return super().base_queryset()

    @extend_schema(
        summary="The plan as a PDF record",
        parameters=[
            OpenApiParameter(
                "audience",
                str,
                enum=list(pdf.AUDIENCES),
                default="clinical",
                description="clinical (the record), client (the plain-language summary) or supervision (the "
                "record with the clinician's countertransference, marked on every page as not part of the record; "
                "only for the plan's author and the author's current supervisors, 403 for other readers).",
            ),
            OpenApiParameter(
                "summary",
                bool,
                default=False,
                description="true adds the progress summary since the last review (sessions by attendance, "
                "the objectives' evidence, drifting objectives, the defensive-functioning trend) from the signed "
                "notes; never process notes or the countertransference. Not in the client version.",
            ),
        ],
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF.")},
    )
    @action(detail=True, methods=["get"], renderer_classes=[PDFRenderer, renderers.JSONRenderer])
    def pdf(self, request, pk=None):
        value = request.query_params.get("audience", pdf.Audience.CLINICAL)
        if value not in pdf.AUDIENCES:
            raise ValidationError({"audience": ["Choose clinical, client or supervision."]})
        audience = audience_of(request, value)
        try:
            summary = summary_of(request, request.query_params.get("summary"))
        except ValueError:
            raise ValidationError({"summary": ["Use true or false."]}) from None
        plan = self.get_object()
        return pdf_response(pdf.render_pdf(plan, audience=audience, reader=request.user, summary=summary))

    @extend_schema(
        summary="The plan as a FHIR R4 Bundle (collection)",
        description="Patient, Conditions, Practitioners, the CarePlan and a Goal per goal and per objective. "
        "See the README for the mapping.",
        responses={
            (200, "application/fhir+json"): OpenApiResponse(OpenApiTypes.OBJECT, description="A FHIR R4 Bundle."),
            (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT, description="A FHIR R4 Bundle."),
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[FHIRJSONRenderer, renderers.JSONRenderer])
    def fhir(self, request, pk=None):
        plan = self.get_object()
        response = Response(fhir.plan_bundle(plan))
        response["Cache-Control"] = "no-store"
        return response
