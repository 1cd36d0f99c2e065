"""Sign-in throttling, two-factor sign-in and ending sessions."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.test import Client as WebClient

from audit.models import AccessLog
from tests.factories import PASSWORD
from tests.two_factor import backup_code, current_code, enroll

LOGIN = "/accounts/login/"
VERIFY = "/accounts/two-factor/verify/"
SETUP = "/accounts/two-factor/"


def _fail(web, email, times):
    for _ in range(times):
        web.post(LOGIN, {"username": email, "password": "not-the-password"})


# --- Throttling -----------------------------------------------------------------


def test_after_the_failure_limit_even_the_right_password_is_refused_and_the_lockout_logged(clinician):
    web = WebClient(REMOTE_ADDR="192.0.2.10")
    _fail(web, clinician.email, settings.AXES_FAILURE_LIMIT)
    response = web.post(LOGIN, {"username": clinician.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Sign-in paused" in response.content.decode()
    assert web.get("/").status_code == 302
    lockout = AccessLog.objects.filter(action="lockout").order_by("pk").first()
    assert (lockout.actor_email, lockout.ip, lockout.object_id) == (clinician.email, "192.0.2.10", str(clinician.pk))
    assert lockout.outcome == "denied" and lockout.subject_practice_id == clinician.membership.practice_id
    # The limit's failures, then the refused attempt with the right password.
    assert AccessLog.objects.filter(action="login_failed").count() == settings.AXES_FAILURE_LIMIT + 1
    assert not AccessLog.objects.filter(action="login").exists()


def test_failures_below_the_limit_do_not_lock_out(clinician):
    web = WebClient()
    _fail(web, clinician.email, settings.AXES_FAILURE_LIMIT - 1)
    assert web.post(LOGIN, {"username": clinician.email, "password": PASSWORD}).status_code == 302


def test_lockout_is_per_account_and_address(clinician, colleague):
    _fail(WebClient(REMOTE_ADDR="192.0.2.10"), clinician.email.upper(), settings.AXES_FAILURE_LIMIT)
    assert (
        WebClient(REMOTE_ADDR="192.0.2.10").post(LOGIN, {"username": clinician.email, "password": PASSWORD}).status_code
        == 429
    )
    assert (
        WebClient(REMOTE_ADDR="192.0.2.11").post(LOGIN, {"username": clinician.email, "password": PASSWORD}).status_code
        == 302
    )
    assert (
        WebClient(REMOTE_ADDR="192.0.2.10").post(LOGIN, {"username": colleague.email, "password": PASSWORD}).status_code
        == 302
    )


def test_lockout_ends_after_the_cool_off(clinician):
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        web = WebClient()
        _fail(web, clinician.email, settings.AXES_FAILURE_LIMIT)
        assert web.post(LOGIN, {"username": clinician.email, "password": PASSWORD}).status_code == 429
        clock.shift(settings.AXES_COOLOFF_TIME + dt.timedelta(seconds=1))
        assert web.post(LOGIN, {"username": clinician.email, "password": PASSWORD}).status_code == 302


# --- Two-factor -------------------------------------------------------------------


def test_an_admin_without_two_factor_must_set_it_up_before_seeing_anything(admin, client):
    client.post(LOGIN, {"username": admin.email, "password": PASSWORD})
    for path in ["/", "/clients/", "/accounts/staff/", "/accounts/audit/"]:
        response = client.get(path)
        assert response.status_code == 302 and response.url.startswith(SETUP), path
    page = client.get(SETUP)
    assert page.context["uri"].startswith("otpauth://totp/")
    assert "<svg" in page.content.decode()
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=admin, confirmed=False)
    response = client.post(SETUP, {"token": current_code(device)})
    assert len(response.context["codes"]) == 10
    assert client.get("/").status_code == 200
    assert AccessLog.objects.filter(action="two_factor_enrolled", actor=admin).exists()


def test_an_admin_with_two_factor_must_enter_a_code_and_a_wrong_one_is_refused(admin, client):
    device = enroll(admin)
    client.post(LOGIN, {"username": admin.email, "password": PASSWORD})
    assert client.get("/clients/").url.startswith(VERIFY)
    wrong = client.post(VERIFY, {"token": "12345"})
    assert wrong.status_code == 200 and "not right" in wrong.content.decode()
    assert AccessLog.objects.filter(action="two_factor", outcome="failed", actor=admin).exists()
    # django-otp throttles after a failure (1 s, doubling); move past it.
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5), tick=False):
        assert client.post(VERIFY, {"token": current_code(device), "next": "/clients/"}).url == "/clients/"
    assert client.get("/clients/").status_code == 200


def test_a_backup_code_works_once(admin):
    code = backup_code(admin)
    first, second = WebClient(), WebClient()
    for web in (first, second):
        web.post(LOGIN, {"username": admin.email, "password": PASSWORD})
    assert first.post(VERIFY, {"token": code}).status_code == 302
    assert second.post(VERIFY, {"token": code}).status_code == 200
    assert second.get("/").status_code == 302


def test_an_htmx_request_before_the_second_factor_is_sent_to_the_code_page(admin, client):
    enroll(admin)
    client.post(LOGIN, {"username": admin.email, "password": PASSWORD})
    response = client.get("/clients/", headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == VERIFY


def test_a_practice_can_require_two_factor_for_all_staff(clinician, practice, client):
    client.post(LOGIN, {"username": clinician.email, "password": PASSWORD})
    assert client.get("/").status_code == 200
    practice.require_two_factor = True
    practice.save()
    assert client.get("/clients/").url.startswith(SETUP)


def test_two_factor_is_optional_for_clinicians_and_can_be_turned_off(clinician, login):
    web = login(clinician)
    assert web.get("/").status_code == 200
    enroll(clinician)
    web = login(clinician)
    response = web.post("/accounts/two-factor/disable/")
    assert response.status_code == 302
    assert AccessLog.objects.filter(action="two_factor_disabled", actor=clinician).exists()
    from django_otp.plugins.otp_totp.models import TOTPDevice

    assert not TOTPDevice.objects.filter(user=clinician).exists()


def test_an_admin_cannot_turn_off_required_two_factor(admin, login):
    web = login(admin)
    assert web.post("/accounts/two-factor/disable/").status_code == 404


def test_the_practice_admin_sets_the_two_factor_policy_and_it_is_logged(admin, practice, login):
    web = login(admin)
    web.post("/accounts/security/", {"require_two_factor": "on", "require_two_factor_for_admins": "on"})
    practice.refresh_from_db()
    assert practice.require_two_factor
    assert AccessLog.objects.get(action="security_settings").subject_practice_id == practice.pk


@pytest.mark.parametrize("role", ["clinician", "supervisor"])
def test_security_settings_do_not_exist_for_non_admins(db, role, request, login):
    assert login(request.getfixturevalue(role)).get("/accounts/security/").status_code == 404


# --- Sessions -----------------------------------------------------------------------


def test_signing_out_ends_every_session_of_that_person(clinician, colleague):
    laptop, phone, other_person = WebClient(), WebClient(), WebClient()
    for web, user in [(laptop, clinician), (phone, clinician), (other_person, colleague)]:
        web.post(LOGIN, {"username": user.email, "password": PASSWORD})
        assert web.get("/").status_code == 200
    laptop.post("/accounts/logout/")
    assert laptop.get("/").status_code == 302
    assert phone.get("/").status_code == 302
    assert other_person.get("/").status_code == 200


def test_a_password_reset_ends_every_session(clinician, client):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    signed_in = WebClient()
    signed_in.post(LOGIN, {"username": clinician.email, "password": PASSWORD})
    clinician.refresh_from_db()  # the reset token covers last_login, which signing in changed
    uid = urlsafe_base64_encode(force_bytes(clinician.pk))
    form_url = client.get(
        f"/accounts/password/reset/{uid}/{default_token_generator.make_token(clinician)}/", follow=True
    ).redirect_chain[-1][0]
    new = "a-brand-new-passphrase-88"
    assert client.post(form_url, {"new_password1": new, "new_password2": new}).status_code == 302
    assert signed_in.get("/").status_code == 302
    assert AccessLog.objects.filter(action="password_change", detail="reset by email link").exists()


def test_a_sign_out_at_the_absolute_lifetime_is_logged_with_its_reason(clinician, client):
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        client.post(LOGIN, {"username": clinician.email, "password": PASSWORD})
        while client.get("/").status_code == 200:
            clock.shift(settings.SESSION_IDLE_TIMEOUT - 60)
    assert AccessLog.objects.get(action="logout").detail == "absolute lifetime reached"
