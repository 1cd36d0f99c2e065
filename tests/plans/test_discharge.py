"""Discharging a client, composed on the plan side (plans.discharge): the page, the API action and the
service archive the client and close the active plan together; clients.services alone touches no plan."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from clients.models import Client
from clients.services import discharge_client
from plans.discharge import discharge_client_and_close_plans
from plans.lifecycle import transitions
from plans.models import TreatmentPlan
from tests.factories import make_plan


@pytest.fixture
def active_plan(own_client, clinician):
    return transitions.submit_plan(actor=clinician, plan=make_plan(own_client))


def test_the_discharge_page_closes_the_clients_active_plan(active_plan, clinician, login):
    response = login(clinician).post(
        f"/clients/{active_plan.client_id}/discharge/",
        {"discharged_on": active_plan.start_date.isoformat(), "discharge_reason": "Goals met"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/clients/{active_plan.client_id}/"
    active_plan.refresh_from_db()
    assert active_plan.status == TreatmentPlan.Status.CLOSED
    assert active_plan.transitions.last().comment == "Client discharged: Goals met"


def test_the_api_discharge_action_closes_the_clients_active_plan(active_plan, clinician):
    api = APIClient()
    api.force_authenticate(clinician)
    response = api.post(
        f"/api/v1/clients/{active_plan.client_id}/discharge/",
        {"discharged_on": active_plan.start_date.isoformat(), "reason": "Moved away."},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == Client.Status.DISCHARGED
    assert response.has_header("ETag")
    active_plan.refresh_from_db()
    assert active_plan.status == TreatmentPlan.Status.CLOSED


def test_a_refused_discharge_closes_no_plan(active_plan, clinician):
    before_intake = active_plan.client.intake_date - dt.timedelta(days=1)
    with pytest.raises(ValidationError):
        discharge_client_and_close_plans(
            actor=clinician, client=active_plan.client, discharged_on=before_intake, reason="Moved"
        )
    active_plan.refresh_from_db()
    assert active_plan.status == TreatmentPlan.Status.ACTIVE


def test_the_client_side_alone_archives_the_client_and_leaves_plans_to_the_plan_side(active_plan, clinician):
    client = discharge_client(
        actor=clinician, client=active_plan.client, discharged_on=active_plan.start_date, reason="Moved"
    )
    assert client.status == Client.Status.DISCHARGED
    active_plan.refresh_from_db()
    assert active_plan.status == TreatmentPlan.Status.ACTIVE
