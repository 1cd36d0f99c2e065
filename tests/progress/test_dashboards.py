import datetime as dt

from bs4 import BeautifulSoup

from plans.lifecycle import transitions
from progress import scheduling
from progress.models import ProgressReview
from tests.factories import ClientFactory, make_plan


def test_overdue_reviews_show_on_the_supervisors_queue_and_the_admins_home(
    clinician, supervisor, admin, practice, login
):
    plan = transitions.submit_plan(actor=clinician, plan=make_plan(ClientFactory(primary_clinician=clinician)))
    scheduling.run_for_practice(practice, plan.next_review_date + dt.timedelta(days=8))
    review = ProgressReview.objects.get(plan=plan)
    assert review.status == "overdue"
    queue = BeautifulSoup(login(supervisor).get("/plans/sign-off/").content, "html.parser")
    assert f"/plans/{plan.pk}/#reviews" in [a["href"] for a in queue.select("section")[1].select("a")]
    home = BeautifulSoup(login(admin).get("/").content, "html.parser")
    overdue = home.find("h2", string="Overdue reviews").find_parent("section")
    assert plan.client.chart_number in overdue.get_text()


def test_clinicians_home_lists_reviews_coming_up(clinician, practice, login):
    plan = transitions.submit_plan(actor=clinician, plan=make_plan(ClientFactory(primary_clinician=clinician)))
    scheduling.run_for_practice(practice, plan.next_review_date - dt.timedelta(days=10))
    home = BeautifulSoup(login(clinician).get("/").content, "html.parser")
    section = home.find("h2", string="Reviews coming up").find_parent("section")
    assert plan.client.display_name in section.get_text()
