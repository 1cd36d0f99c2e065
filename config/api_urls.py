"""`/api/v1/`: every app's API, plus the schema and its docs at `/api/schema/` and `/api/docs/`."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from clients.api.views import PresentingProblemViewSet
from core.api.views import NotFoundView
from formulation.api.views import FormulationViewSet
from notes.api.views import ProcessNoteViewSet, TherapySessionViewSet
from participation.api.views import ClientLinkViewSet
from plans.api.discharge import ClientViewSet
from plans.api.views import GoalViewSet, InterventionViewSet, ObjectiveViewSet
from progress.api.views import MeasureScoreViewSet, ProgressReviewViewSet
from records.api.views import PlanRecordsViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
# The client API with its discharge action, which closes plans and so is composed on the plan side.
router.register("clients", ClientViewSet, basename="client")
router.register("presenting-problems", PresentingProblemViewSet, basename="presenting-problem")
# The plan API with its PDF and FHIR actions, which records builds on the plan viewset.
router.register("plans", PlanRecordsViewSet, basename="plan")
router.register("formulations", FormulationViewSet, basename="formulation")
router.register("goals", GoalViewSet, basename="goal")
router.register("objectives", ObjectiveViewSet, basename="objective")
router.register("interventions", InterventionViewSet, basename="intervention")
router.register("progress-reviews", ProgressReviewViewSet, basename="progress-review")
router.register("measures", MeasureScoreViewSet, basename="measure")
router.register("sessions", TherapySessionViewSet, basename="session")
# Private process notes: their author only (notes/api/views.py).
router.register("process-notes", ProcessNoteViewSet, basename="process-note")
# Client links (issue 15): made, listed and revoked here; the client's own pages are under /c/, outside the API.
router.register("client-links", ClientLinkViewSet, basename="client-link")

app_name = "api"

urlpatterns = [
    path("v1/", include(router.urls)),
    path("v1/", include("accounts.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    re_path(r"^", NotFoundView.as_view()),
]
