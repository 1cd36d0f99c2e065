import pytest
from django.core import mail

from accounts.models import Membership, Supervision, User
from tests.factories import PASSWORD


def test_admin_invites_a_trainee_with_a_supervisor_and_an_email_goes_out(
    admin, supervisor, login, django_capture_on_commit_callbacks
):
    web = login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(
            "/accounts/staff/invite/",
            {
                "email": "New.Trainee@Example.test",
                "given_name": "Nova",
                "family_name": "Trainee",
                "credentials": "MA",
                "is_clinician": "on",
                "requires_cosignature": "on",
                "supervisors": [supervisor.pk],
            },
        )
    assert response.status_code == 302
    user = User.objects.get(email="new.trainee@example.test")
    assert not user.has_usable_password()
    assert user.membership.requires_cosignature and user.membership.practice == admin.membership.practice
    assert Supervision.objects.current().filter(supervisor=supervisor, supervisee=user).exists()
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/" in mail.outbox[0].body


def test_invited_person_sets_a_password_from_the_emailed_link_and_signs_in(
    admin, login, django_capture_on_commit_callbacks
):
    client = login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/accounts/staff/invite/",
            {"email": "invitee@example.test", "given_name": "In", "family_name": "Vitee", "is_clinician": "on"},
        )
    client.post("/accounts/logout/")
    link = next(line for line in mail.outbox[0].body.splitlines() if "/password/reset/" in line)
    path = link.split("127.0.0.1:8000", 1)[1]
    form_url = client.get(path, follow=True).redirect_chain[-1][0]
    new_password = "a-long-new-passphrase-42"
    response = client.post(form_url, {"new_password1": new_password, "new_password2": new_password})
    assert response.status_code == 302
    response = client.post("/accounts/login/", {"username": "invitee@example.test", "password": new_password})
    assert response.status_code == 302 and client.get("/").status_code == 200


def test_invite_with_an_email_already_in_use_shows_a_field_error_and_creates_nothing(admin, clinician, login):
    web = login(admin)
    before = User.objects.count()
    response = web.post(
        "/accounts/staff/invite/",
        {"email": clinician.email.upper(), "given_name": "Dup", "family_name": "Licate", "is_clinician": "on"},
    )
    assert response.status_code == 200
    assert "already has an account" in response.context["form"].errors["email"][0]
    assert User.objects.count() == before


def test_invite_without_any_role_is_refused(admin, login):
    web = login(admin)
    response = web.post("/accounts/staff/invite/", {"email": "x@example.test", "given_name": "X", "family_name": "Y"})
    assert response.status_code == 200
    assert "at least one role" in str(response.context["form"].non_field_errors())
    assert not User.objects.filter(email="x@example.test").exists()


def test_admin_changes_roles_and_supervisors(admin, colleague, supervisor, login):
    web = login(admin)
    membership = colleague.membership
    response = web.post(
        f"/accounts/staff/{membership.pk}/",
        {"is_clinician": "on", "requires_cosignature": "on", "supervisors": [supervisor.pk], "credentials": "MSW"},
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.requires_cosignature
    assert Supervision.objects.current().filter(supervisor=supervisor, supervisee=colleague).exists()
    web.post(f"/accounts/staff/{membership.pk}/", {"is_clinician": "on"})
    assert not Supervision.objects.current().filter(supervisor=supervisor, supervisee=colleague).exists()
    assert Supervision.objects.filter(supervisor=supervisor, supervisee=colleague, ended_on__isnull=False).exists()


def test_admin_deactivates_and_the_person_is_signed_out_and_cannot_sign_in(admin, colleague, login):
    from django.test import Client

    theirs = Client()
    theirs.post("/accounts/login/", {"username": colleague.email, "password": PASSWORD})
    assert theirs.get("/").status_code == 200
    client = login(admin)
    client.post(f"/accounts/staff/{colleague.membership.pk}/active/", {"active": "0"})
    colleague.refresh_from_db()
    assert not colleague.is_active
    assert theirs.get("/").status_code == 302
    again = Client().post("/accounts/login/", {"username": colleague.email, "password": PASSWORD})
    assert again.status_code == 200, "the sign-in form is shown again"
    assert Membership.objects.filter(user=colleague).exists()


def test_admin_cannot_deactivate_themselves(admin, login):
    web = login(admin)
    web.post(f"/accounts/staff/{admin.membership.pk}/active/", {"active": "0"})
    admin.refresh_from_db()
    assert admin.is_active


@pytest.mark.parametrize("role", ["clinician", "supervisor", "outsider"])
def test_staff_pages_do_not_exist_for_non_admins(role, request, login, colleague):
    web = login(request.getfixturevalue(role))
    assert web.get("/accounts/staff/").status_code == 404
    assert web.get(f"/accounts/staff/{colleague.membership.pk}/").status_code == 404
    assert web.post("/accounts/staff/invite/", {"email": "z@example.test"}).status_code == 404


def test_admin_of_another_practice_cannot_manage_this_practices_staff(other_practice, colleague, login):
    from tests.factories import staff

    other_admin = staff(other_practice, is_practice_admin=True)
    client = login(other_admin)
    assert client.get(f"/accounts/staff/{colleague.membership.pk}/").status_code == 404
    client.post(f"/accounts/staff/{colleague.membership.pk}/active/", {"active": "0"})
    colleague.refresh_from_db()
    assert colleague.is_active


def test_django_admin_is_for_superusers_only(admin, login):
    web = login(admin)
    assert web.get("/django-admin/").status_code == 302
