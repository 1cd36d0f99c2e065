"""Home shows each person what needs them, with counts, per role (issue 16)."""

from bs4 import BeautifulSoup

from accounts.models import Supervision
from plans.lifecycle import transitions
from plans.models import TreatmentPlan
from tests.factories import ClientFactory, make_plan


def _counts(response) -> dict[str, int]:
    soup = BeautifulSoup(response.content, "html.parser")
    return {
        li.select_one(".needs-label").get_text(strip=True): int(li.select_one(".needs-count").get_text())
        for li in soup.select(".needs-you-list li")
    }


def test_clinicians_home_counts_drafts_changes_requested_and_what_else_needs_them(clinician, login):
    make_plan(ClientFactory(primary_clinician=clinician))
    make_plan(ClientFactory(primary_clinician=clinician))
    returned = make_plan(ClientFactory(primary_clinician=clinician))
    TreatmentPlan.objects.filter(pk=returned.pk).update(status=TreatmentPlan.Status.CHANGES_REQUESTED)
    response = login(clinician).get("/")
    counts = _counts(response)
    assert counts["Drafts"] == 2
    assert counts["Changes requested"] == 1
    for label in ("Reviews due", "Reviews overdue", "Notes to sign", "Risk flags", "Client alerts"):
        assert counts[label] == 0
    own = BeautifulSoup(response.content, "html.parser").find("h2", string="Your plans in progress").find_parent()
    first = own.select("li")[0].get_text()
    assert returned.client.display_name in first and "Changes requested" in first


def test_supervisors_home_counts_plans_awaiting_their_sign_off_oldest_first(trainee, supervisor, login):
    older = transitions.submit_plan(actor=trainee, plan=make_plan(ClientFactory(primary_clinician=trainee)))
    newer = transitions.submit_plan(actor=trainee, plan=make_plan(ClientFactory(primary_clinician=trainee)))
    response = login(supervisor).get("/")
    assert _counts(response)["Plans awaiting your sign-off"] == 2
    section = BeautifulSoup(response.content, "html.parser").find("h2", string="Awaiting your sign-off").find_parent()
    names = [a.get_text() for a in section.select("li a")]
    assert names == [older.client.display_name, newer.client.display_name]


def test_admins_home_names_trainees_without_a_supervisor(trainee, supervisor, admin, login):
    assert _counts(login(admin).get("/"))["Trainees without a supervisor"] == 0
    Supervision.objects.filter(supervisee=trainee).delete()
    response = login(admin).get("/")
    assert _counts(response)["Trainees without a supervisor"] == 1
    assert (
        trainee.printed_name in BeautifulSoup(response.content, "html.parser").select_one(".needs-warning").get_text()
    )
