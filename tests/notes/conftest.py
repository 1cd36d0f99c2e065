import pytest

from notes.models import ServiceType
from plans.lifecycle import transitions
from tests.factories import make_plan
from tests.notes.builders import record


@pytest.fixture
def individual(db):
    return ServiceType.objects.get(practice=None, code="individual")


@pytest.fixture
def active_plan(own_client):
    return transitions.submit_plan(actor=own_client.primary_clinician, plan=make_plan(own_client))


@pytest.fixture
def session(clinician, own_client, active_plan, individual):
    return record(clinician, own_client, individual)
