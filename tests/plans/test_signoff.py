"""Sign-off seen from the supervisor's side: the sign-off queue and comments on a plan."""

import pytest
from bs4 import BeautifulSoup

from plans.lifecycle import transitions
from plans.models import Objective, TreatmentPlan
from tests.factories import ClientFactory, make_plan


@pytest.fixture
def trainee_plan(trainee):
    return make_plan(ClientFactory(primary_clinician=trainee))


def test_comment_anchored_to_an_objective_shows_beside_it_for_the_author(trainee, supervisor, trainee_plan, login):
    plan = transitions.submit_plan(actor=trainee, plan=trainee_plan)
    objective = Objective.objects.get(goal__plan=plan)
    web = login(supervisor)
    web.post(f"/plans/{plan.pk}/comments/", {"anchor": f"objective:{objective.lineage}", "body": "Measure is vague."})
    author_page = BeautifulSoup(login(trainee).get(f"/plans/{plan.pk}/").content, "html.parser")
    inline = author_page.select_one(f"#objective-{objective.pk} .inline-comments")
    assert inline is not None and "Measure is vague." in inline.get_text()
    comment = plan.comments.get()
    login(trainee).post(f"/plans/comments/{comment.pk}/resolve/")
    comment.refresh_from_db()
    assert comment.resolved_by == trainee


def test_colleague_cannot_comment_on_a_plan_outside_their_caseload(colleague, trainee, trainee_plan, login):
    response = login(colleague).post(f"/plans/{trainee_plan.pk}/comments/", {"anchor": "plan:", "body": "x"})
    assert response.status_code == 404
    assert not trainee_plan.comments.exists()


def test_signoff_queue_lists_supervisees_plans_oldest_first(trainee, clinician, supervisor, login):
    first = transitions.submit_plan(actor=trainee, plan=make_plan(ClientFactory(primary_clinician=trainee)))
    supervisor_membership = clinician.membership
    supervisor_membership.requires_cosignature = True
    supervisor_membership.save()
    second = transitions.submit_plan(actor=clinician, plan=make_plan(ClientFactory(primary_clinician=clinician)))
    assert list(TreatmentPlan.objects.awaiting_signoff_by(supervisor)) == [first, second]
    page = BeautifulSoup(login(supervisor).get("/plans/sign-off/").content, "html.parser")
    links = [a["href"] for a in page.select("section")[0].select("tbody a")]
    assert links == [f"/plans/{first.pk}/", f"/plans/{second.pk}/"]


def test_the_signoff_queues_old_address_redirects_permanently(supervisor, login):
    response = login(supervisor).get("/plans/reviews/")
    assert response.status_code == 301
    assert response["Location"] == "/plans/sign-off/"
