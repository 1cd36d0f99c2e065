import pytest

from plans.lifecycle import transitions
from plans.models import MeasureDefinition
from tests.factories import make_plan


@pytest.fixture
def phq9(db):
    return MeasureDefinition.objects.get(code="phq9")


@pytest.fixture
def active_plan(own_client, clinician):
    return transitions.submit_plan(actor=clinician, plan=make_plan(own_client))
