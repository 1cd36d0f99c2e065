"""plans announces a closed or superseded version (plans.signals.plan_closed) and progress cancels its
open reviews, inside the lifecycle's transaction: plans never imports progress to do it."""

import pytest

from plans.lifecycle import transitions
from plans.signals import plan_closed
from progress.models import ProgressReview
from progress.services import start_review_now
from tests.factories import make_plan


@pytest.fixture
def reviewed_plan(own_client, clinician):
    plan = transitions.submit_plan(actor=clinician, plan=make_plan(own_client))
    start_review_now(actor=clinician, plan=plan)
    return plan


def test_closing_a_plan_cancels_its_open_reviews(reviewed_plan, clinician):
    transitions.close_plan(actor=clinician, plan=reviewed_plan, reason="Goals met")
    assert ProgressReview.objects.get(plan=reviewed_plan).status == ProgressReview.Status.CANCELLED


def test_a_superseded_version_has_its_open_reviews_cancelled(reviewed_plan, clinician):
    amendment = transitions.amend_plan(actor=clinician, plan=reviewed_plan)
    transitions.submit_plan(actor=clinician, plan=amendment)
    assert ProgressReview.objects.get(plan=reviewed_plan).status == ProgressReview.Status.CANCELLED


def test_the_cancellation_rolls_back_with_a_close_that_fails_later_in_its_transaction(reviewed_plan, clinician):
    def fail(sender, **kwargs):
        raise RuntimeError("a later receiver fails")

    plan_closed.connect(fail, dispatch_uid="test.fail")
    try:
        with pytest.raises(RuntimeError):
            transitions.close_plan(actor=clinician, plan=reviewed_plan, reason="Goals met")
    finally:
        plan_closed.disconnect(dispatch_uid="test.fail")
    reviewed_plan.refresh_from_db()
    assert reviewed_plan.status == reviewed_plan.Status.ACTIVE
    assert ProgressReview.objects.get(plan=reviewed_plan).is_open
