"""Deactivating a staff member asks first, says what changes (supervisees who lose their supervisor,
plans awaiting their review), offers a reassignment; reactivating offers back exactly the
supervision links the deactivation ended, and restores none unticked."""

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import PermissionDenied, ValidationError

from accounts import policy, services
from accounts.models import StaffDeactivation, Supervision, User
from audit.models import AccessLog
from plans.lifecycle import transitions
from tests.factories import ClientFactory, SupervisionFactory, make_plan, staff


def _url(person: User) -> str:
    return f"/accounts/staff/{person.membership.pk}/active/"


def _page(response) -> BeautifulSoup:
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content, "html.parser")


def _section(page: BeautifulSoup, title: str):
    heading = next(h for h in page.find_all("h2") if h.get_text(strip=True).startswith(title))
    return heading.find_parent("section")


def _needs_you(web) -> dict[str, int]:
    return {label: count for label, count, _ in web.get("/").context["needs_you"]}


@pytest.fixture
def second_supervisor(practice, clinician):
    """Another qualified supervisor, who also supervises the clinician (not the trainee)."""
    user = staff(practice, is_clinician=True, is_supervisor=True)
    SupervisionFactory(supervisor=user, supervisee=clinician)
    return user


@pytest.fixture
def trainees_plan(trainee, supervisor):
    """A plan of the trainee's, submitted and waiting for the supervisor's co-signature."""
    plan = transitions.submit_plan(actor=trainee, plan=make_plan(ClientFactory(primary_clinician=trainee)))
    assert plan.status == plan.Status.IN_REVIEW
    return plan


# --- The confirmation page ------------------------------------------------------------------------


def test_the_deactivation_page_names_who_loses_their_supervisor_and_who_keeps_another(
    admin, supervisor, clinician, trainee, second_supervisor, login
):
    page = _page(login(admin).get(_url(supervisor)))
    section = _section(page, "Their supervisees")
    left, keeping = section.find_all("ul")
    assert [li.get_text(" ", strip=True) for li in left.find_all("li")] == [trainee.printed_name]
    assert clinician.printed_name in keeping.get_text() and second_supervisor.get_full_name() in keeping.get_text()
    assert "1 person is left without a current supervisor" in section.get_text(" ", strip=True)


def test_the_deactivation_page_counts_and_lists_the_plans_awaiting_their_review(
    admin, supervisor, trainees_plan, login
):
    other_trainee_plan = make_plan(ClientFactory(primary_clinician=trainees_plan.author))  # a draft: not waiting
    section = _section(_page(login(admin).get(_url(supervisor))), "Plans awaiting their review")
    assert "(1)" in section.h2.get_text()
    links = [a["href"] for a in section.select("li a")]
    assert links == [f"/plans/{trainees_plan.pk}/"]
    assert f"/plans/{other_trainee_plan.pk}/" not in links
    assert "no other supervisor can sign it off" in section.get_text()


def test_a_person_who_supervises_nobody_is_told_so_and_offered_no_reassignment(admin, colleague, login):
    page = _page(login(admin).get(_url(colleague)))
    assert "supervises nobody" in _section(page, "Their supervisees").get_text()
    assert "No plan is waiting for their sign-off." in _section(page, "Plans awaiting their review").get_text()
    assert page.find("select", attrs={"name": "reassign_to"}) is None
    assert page.find("button", string=f"Deactivate {colleague.get_full_name()}")


def test_the_reassignment_offers_only_the_practices_other_qualified_supervisors(
    admin, practice, other_practice, supervisor, second_supervisor, clinician, login
):
    no_credentials = staff(practice, is_clinician=True, is_supervisor=True)
    no_credentials.credentials = ""
    no_credentials.save()
    gone = staff(practice, is_clinician=True, is_supervisor=True)
    gone.is_active = False
    gone.save()
    elsewhere = staff(other_practice, is_clinician=True, is_supervisor=True)
    select = _page(login(admin).get(_url(supervisor))).find("select", attrs={"name": "reassign_to"})
    offered = {option["value"] for option in select.find_all("option") if option["value"]}
    assert offered == {str(second_supervisor.pk)}
    assert not {str(u.pk) for u in (no_credentials, gone, elsewhere, supervisor, clinician)} & offered


def test_opening_the_page_changes_nothing(admin, supervisor, trainee, clinician, login):
    web = login(admin)
    before = AccessLog.objects.filter(action="staff_change").count()
    web.get(_url(supervisor))
    supervisor.refresh_from_db()
    assert supervisor.is_active
    assert Supervision.objects.current().filter(supervisor=supervisor).count() == 2
    assert not StaffDeactivation.objects.exists()
    assert AccessLog.objects.filter(action="staff_change").count() == before


def test_the_staff_list_links_to_the_confirmation_instead_of_acting(admin, supervisor, login):
    page = _page(login(admin).get("/accounts/staff/"))
    link = page.find("a", href=_url(supervisor))
    assert link and link.get_text(" ", strip=True).startswith("Deactivate")
    assert page.find("form", action=_url(supervisor)) is None


# --- Deactivating --------------------------------------------------------------------------------


def test_deactivating_without_reassignment_ends_the_links_keeps_them_and_the_home_page_counts_the_trainee(
    admin, supervisor, trainee, clinician, login
):
    web = login(admin)
    assert _needs_you(web)["Trainees without a supervisor"] == 0
    rows_before = Supervision.objects.count()
    response = web.post(_url(supervisor), {"active": "0", "reassign_to": ""}, follow=True)
    assert response.redirect_chain == [("/accounts/staff/", 302)]
    assert "Their supervision of 2 people has ended." in response.content.decode()
    supervisor.refresh_from_db()
    assert not supervisor.is_active
    deactivation = StaffDeactivation.objects.get(person=supervisor)
    assert deactivation.deactivated_by == admin and deactivation.reactivated_at is None
    assert Supervision.objects.count() == rows_before, "history kept: no row deleted, none added"
    ended = Supervision.objects.filter(supervisor=supervisor)
    assert {link.supervisee_id for link in ended} == {trainee.pk, clinician.pk}
    assert all(link.ended_on and link.ended_by_deactivation == deactivation for link in ended)
    entry = AccessLog.objects.filter(action="staff_change", object_id=str(supervisor.pk)).latest("pk")
    assert entry.actor_id == admin.pk and "supervision of 2 ended" in entry.detail
    assert _needs_you(web)["Trainees without a supervisor"] == 1
    assert list(policy.trainees_without_supervisor(admin).values_list("user_id", flat=True)) == [trainee.pk]


def test_deactivating_with_reassignment_hands_each_supervisee_to_the_new_supervisor_once(
    admin, supervisor, second_supervisor, trainee, clinician, trainees_plan, login
):
    web = login(admin)
    response = web.post(_url(supervisor), {"active": "0", "reassign_to": second_supervisor.pk})
    assert response.status_code == 302
    assert set(policy.current_supervisors(trainee)) == {second_supervisor}
    assert set(policy.current_supervisors(clinician)) == {second_supervisor}
    # The clinician already had the second supervisor: one link, not two.
    assert Supervision.objects.current().filter(supervisor=second_supervisor, supervisee=clinician).count() == 1
    new_link = Supervision.objects.current().get(supervisor=second_supervisor, supervisee=trainee)
    assert new_link.replaces.supervisor == supervisor and new_link.replaces.ended_on is not None
    assert _needs_you(web)["Trainees without a supervisor"] == 0
    # The plan that waited for the old supervisor now waits for the new one.
    from plans.models import TreatmentPlan

    assert list(TreatmentPlan.objects.awaiting_signoff_by(second_supervisor)) == [trainees_plan]
    entry = AccessLog.objects.filter(action="staff_change", object_id=str(supervisor.pk)).latest("pk")
    assert f"1 reassigned to {second_supervisor.printed_name}" in entry.detail


@pytest.mark.parametrize("who", ["no_credentials", "deactivated", "other_practice", "themself", "a_trainee", "junk"])
def test_reassigning_to_someone_unqualified_is_a_field_error_and_changes_nothing(
    who, admin, practice, other_practice, supervisor, trainee, login
):
    if who == "no_credentials":
        target = staff(practice, is_clinician=True, is_supervisor=True)
        target.credentials = " "
        target.save()
    elif who == "deactivated":
        target = staff(practice, is_clinician=True, is_supervisor=True)
        target.is_active = False
        target.save()
    elif who == "other_practice":
        target = staff(other_practice, is_clinician=True, is_supervisor=True)
    elif who == "themself":
        target = supervisor
    elif who == "a_trainee":
        target = trainee
    value = "not-a-number" if who == "junk" else target.pk
    response = login(admin).post(_url(supervisor), {"active": "0", "reassign_to": value})
    assert response.status_code == 200
    assert response.context["form"].errors["reassign_to"]
    assert "has-error" in str(_page(response).find("select", attrs={"name": "reassign_to"}).parent["class"])
    supervisor.refresh_from_db()
    assert supervisor.is_active
    assert Supervision.objects.current().filter(supervisor=supervisor).count() == 2


def test_the_service_refuses_an_unqualified_reassignment_by_field(admin, practice, supervisor):
    unqualified = staff(practice, is_clinician=True)
    with pytest.raises(ValidationError) as refused:
        services.deactivate_staff(actor=admin, membership=supervisor.membership, reassign_to=unqualified)
    assert set(refused.value.message_dict) == {"reassign_to"}
    supervisor.refresh_from_db()
    assert supervisor.is_active and not StaffDeactivation.objects.exists()


def test_an_admin_cannot_reassign_their_own_supervision(practice, supervisor, second_supervisor):
    # An admin who is herself supervised by the leaver would be choosing her own next supervisor.
    supervised_admin = staff(practice, is_clinician=True, is_practice_admin=True)
    SupervisionFactory(supervisor=supervisor, supervisee=supervised_admin)
    with pytest.raises(ValidationError) as refused:
        services.deactivate_staff(
            actor=supervised_admin, membership=supervisor.membership, reassign_to=second_supervisor
        )
    assert refused.value.message_dict["reassign_to"] == [policy.NOT_YOUR_OWN_SUPERVISION]


# --- Reactivating --------------------------------------------------------------------------------


@pytest.fixture
def deactivated_supervisor(admin, supervisor, trainee, clinician):
    services.deactivate_staff(actor=admin, membership=supervisor.membership)
    supervisor.refresh_from_db()
    return supervisor


def test_the_reactivation_page_offers_the_ended_links_unticked(
    admin, deactivated_supervisor, trainee, clinician, login
):
    page = _page(login(admin).get(_url(deactivated_supervisor)))
    boxes = page.find_all("input", attrs={"name": "restore"})
    labels = {page.find("label", attrs={"for": box["id"]}).get_text(" ", strip=True).split(" (")[0] for box in boxes}
    assert labels == {trainee.printed_name, clinician.printed_name}
    assert not any(box.has_attr("checked") for box in boxes)
    assert "Nothing is restored unless you tick it." in page.get_text()


def test_reactivating_without_ticks_restores_nothing(admin, deactivated_supervisor, trainee, login):
    web = login(admin)
    response = web.post(_url(deactivated_supervisor), {"active": "1"})
    assert response.status_code == 302
    deactivated_supervisor.refresh_from_db()
    assert deactivated_supervisor.is_active
    assert not Supervision.objects.current().filter(supervisor=deactivated_supervisor).exists()
    deactivation = StaffDeactivation.objects.get(person=deactivated_supervisor)
    assert deactivation.reactivated_by == admin and deactivation.reactivated_at is not None
    assert _needs_you(web)["Trainees without a supervisor"] == 1


def test_reactivating_with_a_tick_restores_that_link_only(admin, deactivated_supervisor, trainee, clinician, login):
    web = login(admin)
    trainees_link = Supervision.objects.get(supervisor=deactivated_supervisor, supervisee=trainee)
    response = web.post(_url(deactivated_supervisor), {"active": "1", "restore": [trainees_link.pk]})
    assert response.status_code == 302
    restored = Supervision.objects.current().get(supervisor=deactivated_supervisor)
    assert restored.supervisee == trainee and restored.replaces == trainees_link
    trainees_link.refresh_from_db()
    assert trainees_link.ended_on is not None, "the ended link stays ended, in the history"
    assert policy.supervises(deactivated_supervisor, trainee)
    assert not policy.supervises(deactivated_supervisor, clinician)
    assert _needs_you(web)["Trainees without a supervisor"] == 0
    entry = AccessLog.objects.filter(action="staff_change", object_id=str(deactivated_supervisor.pk)).latest("pk")
    assert entry.detail == "reactivated; supervision of 1 restored"


def test_only_the_links_this_deactivation_ended_are_offered(admin, practice, supervisor, trainee, clinician, login):
    # The clinician's link ended on the roles page before the deactivation, on the same day.
    services.set_supervisors(actor=admin, supervisee=clinician.membership, supervisors=[])
    services.deactivate_staff(actor=admin, membership=supervisor.membership)
    someone_elses = SupervisionFactory(
        supervisor=staff(practice, is_clinician=True, is_supervisor=True), supervisee=clinician, ended_on="2026-02-01"
    )
    web = login(admin)
    offered = policy.restorable_links(supervisor)
    assert [link.supervisee for link in offered] == [trainee]
    for not_offered in [Supervision.objects.get(supervisor=supervisor, supervisee=clinician), someone_elses]:
        response = web.post(_url(supervisor), {"active": "1", "restore": [not_offered.pk]})
        assert response.status_code == 200 and response.context["form"].errors["restore"]
        supervisor.refresh_from_db()
        assert not supervisor.is_active


def test_a_second_spell_offers_nothing_from_the_first(admin, supervisor, trainee):
    services.deactivate_staff(actor=admin, membership=supervisor.membership)
    services.reactivate_staff(actor=admin, membership=supervisor.membership)
    services.deactivate_staff(actor=admin, membership=supervisor.membership)
    supervisor.refresh_from_db()
    assert not policy.restorable_links(supervisor).exists()
    assert not policy.links_ended_by_deactivation(supervisor).exists()


def test_a_link_whose_supervisee_has_left_is_listed_but_not_offered(admin, deactivated_supervisor, trainee, login):
    trainee.is_active = False
    trainee.save()
    page = _page(login(admin).get(_url(deactivated_supervisor)))
    assert [b["value"] for b in page.find_all("input", attrs={"name": "restore"})] != []
    assert trainee.printed_name in page.find("ul", class_="muted").get_text()
    offered = policy.restorable_links(deactivated_supervisor)
    assert trainee.pk not in {link.supervisee_id for link in offered}


# --- Who may, and what a stale or crafted request gets ---------------------------------------------


@pytest.mark.parametrize("role", ["clinician", "supervisor", "trainee"])
def test_staff_who_are_not_admins_get_no_page_and_change_nothing(role, request, colleague, login):
    # The staff pages do not exist for non-admins (as the rest of /accounts/staff/); the service says 403.
    web = login(request.getfixturevalue(role))
    assert web.get(_url(colleague)).status_code == 404
    assert web.post(_url(colleague), {"active": "0"}).status_code == 404
    colleague.refresh_from_db()
    assert colleague.is_active
    with pytest.raises(PermissionDenied):
        services.deactivate_staff(actor=request.getfixturevalue(role), membership=colleague.membership)


def test_another_practices_admin_gets_a_404_and_changes_nothing(other_practice, supervisor, login):
    other_admin = staff(other_practice, is_practice_admin=True)
    web = login(other_admin)
    assert web.get(_url(supervisor)).status_code == 404
    assert web.post(_url(supervisor), {"active": "0"}).status_code == 404
    supervisor.refresh_from_db()
    assert supervisor.is_active
    with pytest.raises(PermissionDenied):
        services.deactivate_staff(actor=other_admin, membership=supervisor.membership)


def test_an_admin_is_not_offered_their_own_deactivation(admin, login):
    web = login(admin)
    response = web.get(_url(admin), follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/staff/"
    assert "You cannot deactivate your own account" in response.content.decode()
    web.post(_url(admin), {"active": "0"})
    admin.refresh_from_db()
    assert admin.is_active


def test_a_stale_form_does_not_act_twice(admin, deactivated_supervisor, login):
    web = login(admin)
    response = web.post(_url(deactivated_supervisor), {"active": "0"}, follow=True)
    assert "is already deactivated" in response.content.decode()
    assert StaffDeactivation.objects.filter(person=deactivated_supervisor).count() == 1
    with pytest.raises(ValidationError):
        services.deactivate_staff(actor=admin, membership=deactivated_supervisor.membership)
