"""The client API with its discharge action, composed on the plan side because discharging closes
the client's plans (see plans/discharge.py). config/api_urls.py registers this class for /clients/."""

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action

from clients.api import views as client_views
from clients.api.serializers import DischargeInputSerializer
from plans.discharge import discharge_client_and_close_plans


class ClientViewSet(client_views.ClientViewSet):
    """Clients on your caseload (and, read-only, your supervisees' or your practice's as your roles allow)."""

    if_match = {**client_views.ClientViewSet.if_match, "discharge": False}
    etag_actions = client_views.ClientViewSet.etag_actions | {"discharge"}

    @extend_schema(
        summary="Discharge a client (archives the record and closes the active plan)", request=DischargeInputSerializer
    )
    @action(detail=True, methods=["post"])
    def discharge(self, request, pk=None):
        client = self.fetch_for_change(if_match_required=False)
        values = self.validated(DischargeInputSerializer)
        client = discharge_client_and_close_plans(
            actor=request.user, client=client, discharged_on=values["discharged_on"], reason=values["reason"]
        )
        return self.respond(client)
