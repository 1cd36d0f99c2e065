"""A practice admin tries to make herself her trainee's supervisor and co-sign the trainee's plan.

She walks through the staff pages as a person would (and as a crafted POST would), then tries
to approve. Each step must be refused with a clear field-level error and change nothing; and a
supervision row put straight into the database must not let an unqualified person co-sign.
"""

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import Membership, Supervision
from audit.models import AccessLog
from plans.lifecycle import transitions
from plans.lifecycle.transitions import TransitionError
from plans.models import Signature, TreatmentPlan
from tests.factories import PASSWORD, ClientFactory, make_plan, staff

Status = TreatmentPlan.Status


@pytest.fixture
def submitted_trainee_plan(trainee, supervisor):
    plan = make_plan(ClientFactory(primary_clinician=trainee))
    return transitions.submit_plan(actor=trainee, plan=plan)


def _field_errors(response) -> dict[str, list[str]]:
    return {name: list(errors) for name, errors in response.context["form"].errors.items()}


def _roles(membership: Membership) -> tuple:
    membership.refresh_from_db()
    membership.user.refresh_from_db()
    return (
        membership.is_clinician,
        membership.is_supervisor,
        membership.is_practice_admin,
        membership.requires_cosignature,
        membership.user.credentials,
    )


def test_admin_walking_the_staff_pages_cannot_make_herself_supervisor_and_co_sign(
    admin, trainee, supervisor, submitted_trainee_plan, login
):
    web = login(admin)
    own = admin.membership
    before = _roles(own)

    # Her own roles page is for reference only: no save button, every field disabled.
    page = BeautifulSoup(web.get(f"/accounts/staff/{own.pk}/").content, "html.parser")
    assert page.find("button", string="Save roles") is None
    assert all(i.has_attr("disabled") for i in page.select("form input[type=checkbox], form input[type=text]"))
    assert "Nobody changes their own" in page.get_text()

    # A crafted POST making herself clinician and supervisor is refused field by field.
    response = web.post(
        f"/accounts/staff/{own.pk}/",
        {"is_clinician": "on", "is_supervisor": "on", "is_practice_admin": "on", "credentials": "PhD"},
    )
    assert response.status_code == 200
    errors = _field_errors(response)
    assert "own roles" in errors["is_clinician"][0] and "own roles" in errors["is_supervisor"][0]
    assert "own roles" in errors["credentials"][0]
    assert _roles(own) == before
    refused = AccessLog.objects.get(action="role_change", outcome="denied")
    assert (refused.actor, refused.object_id) == (admin, str(admin.pk))

    # Appointing herself as the trainee's supervisor: she is not offered, and a crafted POST is refused.
    trainee_page = web.get(f"/accounts/staff/{trainee.membership.pk}/")
    offered = [str(v) for v, _ in trainee_page.context["form"].fields["supervisors"].choices]
    assert str(admin.pk) not in offered and str(supervisor.pk) in offered
    response = web.post(
        f"/accounts/staff/{trainee.membership.pk}/",
        {"is_clinician": "on", "requires_cosignature": "on", "credentials": "MA", "supervisors": [admin.pk]},
    )
    assert response.status_code == 200 and "supervisors" in _field_errors(response)
    assert not Supervision.objects.filter(supervisor=admin).exists()

    # Inviting a new trainee with herself as supervisor fails the same way.
    response = web.post(
        "/accounts/staff/invite/",
        {
            "email": "new.trainee@example.test",
            "given_name": "New",
            "family_name": "Trainee",
            "is_clinician": "on",
            "requires_cosignature": "on",
            "supervisors": [admin.pk],
        },
    )
    assert response.status_code == 200 and "supervisors" in _field_errors(response)
    assert not Supervision.objects.filter(supervisor=admin).exists()

    # And so she cannot approve the trainee's plan.
    response = web.post(f"/plans/{submitted_trainee_plan.pk}/approve/", {"password": PASSWORD}, follow=True)
    assert "Only a current supervisor" in response.content.decode()
    submitted_trainee_plan.refresh_from_db()
    assert submitted_trainee_plan.status == Status.IN_REVIEW
    assert not Signature.objects.filter(plan=submitted_trainee_plan, signer=admin).exists()


def test_the_staff_services_refuse_a_self_change_of_roles_even_without_the_form(admin):
    with pytest.raises(ValidationError) as caught:
        services.update_staff_roles(
            actor=admin,
            membership=admin.membership,
            is_clinician=True,
            is_supervisor=True,
            is_practice_admin=True,
            requires_cosignature=False,
            credentials="PhD",
        )
    assert set(caught.value.message_dict) == {"is_clinician", "is_supervisor", "credentials"}
    admin.membership.refresh_from_db()
    assert not admin.membership.is_supervisor


def test_a_qualified_admin_supervisor_cannot_appoint_herself_over_a_trainee_nor_end_her_own_link(practice, trainee):
    # Another admin made her a clinician and supervisor with credentials; that part is legitimate.
    other_admin = staff(practice, is_practice_admin=True)
    admin = staff(practice, is_practice_admin=True)
    services.update_staff_roles(
        actor=other_admin,
        membership=admin.membership,
        is_clinician=True,
        is_supervisor=True,
        is_practice_admin=True,
        requires_cosignature=False,
        credentials="PhD, LP",
    )
    with pytest.raises(ValidationError) as caught:
        services.set_supervisors(actor=admin, supervisee=trainee.membership, supervisors=[admin])
    assert "appoint yourself" in caught.value.message_dict["supervisors"][0]
    assert not Supervision.objects.filter(supervisor=admin).exists()

    # The other admin may appoint her; she may then not end that link herself.
    services.set_supervisors(actor=other_admin, supervisee=trainee.membership, supervisors=[admin])
    with pytest.raises(ValidationError):
        services.set_supervisors(actor=admin, supervisee=trainee.membership, supervisors=[])
    assert Supervision.objects.current().filter(supervisor=admin, supervisee=trainee).exists()


def test_a_trainee_admin_cannot_end_her_own_supervision_by_taking_her_supervisors_role_away(practice, supervisor):
    trainee_admin = staff(practice, is_clinician=True, requires_cosignature=True, is_practice_admin=True)
    Supervision.objects.create(practice=practice, supervisor=supervisor, supervisee=trainee_admin)
    with pytest.raises(ValidationError) as caught:
        services.update_staff_roles(
            actor=trainee_admin,
            membership=supervisor.membership,
            is_clinician=True,
            is_supervisor=False,
            is_practice_admin=False,
            requires_cosignature=False,
        )
    assert "is_supervisor" in caught.value.message_dict
    assert Supervision.objects.current().filter(supervisor=supervisor, supervisee=trainee_admin).exists()


def test_admin_cannot_make_a_non_clinician_or_credential_less_person_a_supervisor(admin, colleague, login):
    web = login(admin)
    office = staff(admin.membership.practice, is_practice_admin=True)
    response = web.post(f"/accounts/staff/{office.membership.pk}/", {"is_supervisor": "on", "credentials": "PhD"})
    assert response.status_code == 200
    assert "must also be a clinician" in _field_errors(response)["is_supervisor"][0]

    colleague.credentials = ""
    colleague.save()
    response = web.post(f"/accounts/staff/{colleague.membership.pk}/", {"is_clinician": "on", "is_supervisor": "on"})
    assert response.status_code == 200
    assert "credentials" in _field_errors(response)["credentials"][0]
    assert not Membership.objects.filter(is_supervisor=True, user__in=[office, colleague]).exists()

    with pytest.raises(ValidationError) as caught:
        services.update_staff_roles(
            actor=admin,
            membership=colleague.membership,
            is_clinician=True,
            is_supervisor=True,
            is_practice_admin=False,
            requires_cosignature=False,
        )
    assert "credentials" in caught.value.message_dict


def test_a_supervisor_loses_nothing_until_credentials_are_cleared_which_is_refused(admin, supervisor, login):
    response = login(admin).post(
        f"/accounts/staff/{supervisor.membership.pk}/", {"is_clinician": "on", "is_supervisor": "on", "credentials": ""}
    )
    assert response.status_code == 200 and "credentials" in _field_errors(response)
    supervisor.refresh_from_db()
    assert supervisor.credentials == "PsyD"


@pytest.mark.parametrize(
    "who",
    ["non_clinician_admin", "clinician_without_credentials", "not_flagged_supervisor", "deactivated_supervisor"],
)
def test_a_supervision_row_put_straight_into_the_database_does_not_let_an_unqualified_person_co_sign(
    who, practice, trainee, submitted_trainee_plan
):
    if who == "non_clinician_admin":
        reviewer = staff(practice, is_practice_admin=True, is_supervisor=True)
    elif who == "clinician_without_credentials":
        reviewer = staff(practice, is_clinician=True, is_supervisor=True)
        reviewer.credentials = "  "
        reviewer.save()
    elif who == "not_flagged_supervisor":
        reviewer = staff(practice, is_clinician=True)
    else:
        reviewer = staff(practice, is_clinician=True, is_supervisor=True)
    Supervision.objects.create(practice=practice, supervisor=reviewer, supervisee=trainee)
    if who == "deactivated_supervisor":
        reviewer.is_active = False
        reviewer.save()

    assert not transitions.supervises(reviewer, trainee, practice.pk)
    assert reviewer not in transitions.current_supervisors(trainee, practice.pk)
    assert not TreatmentPlan.objects.awaiting_signoff_by(reviewer).exists()
    if who != "non_clinician_admin":  # an admin reads the whole practice anyway, read-only
        assert not TreatmentPlan.objects.visible_to(reviewer).filter(pk=submitted_trainee_plan.pk).exists()
    for act in (transitions.approve_plan, transitions.request_changes):
        with pytest.raises(TransitionError, match="Only a current supervisor"):
            act(actor=reviewer, plan=submitted_trainee_plan, comment="Looks fine.")
    submitted_trainee_plan.refresh_from_db()
    assert submitted_trainee_plan.status == Status.IN_REVIEW
    assert not Signature.objects.filter(plan=submitted_trainee_plan, signer=reviewer).exists()


def test_the_qualified_supervisor_still_approves(supervisor, submitted_trainee_plan):
    plan = transitions.approve_plan(actor=supervisor, plan=submitted_trainee_plan)
    assert plan.status == Status.ACTIVE
    assert plan.signatures.get(meaning=Signature.Meaning.REVIEWED_AND_APPROVED).credentials == "PsyD"


def test_django_admin_refuses_a_superuser_changing_her_own_membership_or_supervision(practice, trainee, login):
    superuser = staff(practice, is_clinician=True, is_supervisor=True, is_practice_admin=True)
    superuser.is_staff = superuser.is_superuser = True
    superuser.save()
    client = login(superuser)
    own = superuser.membership

    assert client.get(f"/django-admin/accounts/membership/{own.pk}/change/").status_code == 200  # read only
    response = client.post(
        f"/django-admin/accounts/membership/{own.pk}/change/",
        {"user": superuser.pk, "practice": practice.pk, "is_clinician": "on", "requires_cosignature": "on"},
    )
    assert response.status_code == 403
    assert client.post(f"/django-admin/accounts/membership/{own.pk}/delete/", {"post": "yes"}).status_code == 403
    own.refresh_from_db()
    assert own.is_supervisor and not own.requires_cosignature

    response = client.post(
        "/django-admin/accounts/supervision/add/",
        {"practice": practice.pk, "supervisor": superuser.pk, "supervisee": trainee.pk, "started_on": "2026-11-01"},
    )
    assert response.status_code == 200
    assert "own roles" in str(response.context["adminform"].form.errors["supervisor"])
    assert not Supervision.objects.filter(supervisor=superuser).exists()

    office = staff(practice, is_practice_admin=True, is_supervisor=True)
    response = client.post(
        "/django-admin/accounts/supervision/add/",
        {"practice": practice.pk, "supervisor": office.pk, "supervisee": trainee.pk, "started_on": "2026-11-01"},
    )
    assert response.status_code == 200
    assert "clinician with credentials" in str(response.context["adminform"].form.errors["supervisor"])
    response = client.post(
        f"/django-admin/accounts/membership/{office.membership.pk}/change/",
        {"user": office.pk, "practice": practice.pk, "is_supervisor": "on", "is_practice_admin": "on"},
    )
    assert response.status_code == 200
    assert "must also be a clinician" in str(response.context["adminform"].form.errors["is_supervisor"])
