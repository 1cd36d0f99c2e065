import datetime as dt

import time_machine
from django.conf import settings
from django.contrib.auth.hashers import identify_hasher
from django.core import mail
from django.test import Client, override_settings

from accounts.models import User
from tests.factories import PASSWORD
from tests.two_factor import backup_code


def test_sign_in_is_by_email_in_any_case(clinician, client):
    response = client.post("/accounts/login/", {"username": clinician.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_wrong_password_gives_a_clear_message(clinician, client):
    response = client.post("/accounts/login/", {"username": clinician.email, "password": "nope"})
    assert response.status_code == 200
    assert "do not match" in response.content.decode()


def test_signing_in_issues_a_new_session_id(clinician, client):
    client.get("/accounts/login/")
    client.cookies["sessionid"] = "attacker-chosen-session-id"
    client.post("/accounts/login/", {"username": clinician.email, "password": PASSWORD})
    assert client.cookies["sessionid"].value != "attacker-chosen-session-id"


def test_sign_out_is_a_post_and_ends_the_session(clinician, login):
    web = login(clinician)
    web.post("/accounts/logout/")
    assert web.get("/").status_code == 302


def test_password_change_ends_the_other_sessions_but_keeps_this_one(clinician, client):
    other = Client()
    other.post("/accounts/login/", {"username": clinician.email, "password": PASSWORD})
    client.post("/accounts/login/", {"username": clinician.email, "password": PASSWORD})
    new = "another-long-passphrase-17"
    response = client.post(
        "/accounts/password/change/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302


def test_password_validators_require_twelve_characters(clinician, login):
    web = login(clinician)
    response = web.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": "Sh0rt!pw", "new_password2": "Sh0rt!pw"},
    )
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()


def test_password_reset_sends_a_link_by_email(clinician, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": clinician.email})
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/" in mail.outbox[0].body


def test_production_hasher_is_argon2(db):
    from config import settings as production

    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    with override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS):
        user = User.objects.create_user("argon@example.test", "a-long-passphrase-99", given_name="A", family_name="B")
        assert identify_hasher(user.password).algorithm == "argon2"


def test_idle_session_is_signed_out_after_the_timeout(clinician, client):
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        client.post("/accounts/login/", {"username": clinician.email, "password": PASSWORD})
        clock.shift(settings.SESSION_IDLE_TIMEOUT - 30)
        assert client.get("/").status_code == 200
        clock.shift(settings.SESSION_IDLE_TIMEOUT - 30)
        assert client.get("/").status_code == 200
        clock.shift(settings.SESSION_IDLE_TIMEOUT + 1)
        response = client.get("/")
        assert response.status_code == 302
        assert client.get("/").status_code == 302


def test_background_polling_does_not_keep_a_session_alive(clinician, client):
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        client.post("/accounts/login/", {"username": clinician.email, "password": PASSWORD})
        for _ in range(3):
            clock.shift(settings.SESSION_IDLE_TIMEOUT / 3)
            client.get("/", headers={"X-Psyplan-Background": "1"})
        clock.shift(5)
        assert client.get("/").status_code == 302


def test_session_ends_at_its_absolute_lifetime_even_when_active(clinician, client):
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        client.post("/accounts/login/", {"username": clinician.email, "password": PASSWORD})
        steps = int(settings.SESSION_ABSOLUTE_LIFETIME // (settings.SESSION_IDLE_TIMEOUT - 60)) + 1
        statuses = []
        for _ in range(steps):
            clock.shift(settings.SESSION_IDLE_TIMEOUT - 60)
            statuses.append(client.get("/").status_code)
        assert statuses[0] == 200
        assert statuses[-1] == 302


def test_login_page_and_role_home_pages_render(clinician, supervisor, admin, trainee, client):
    assert client.get("/accounts/login/").status_code == 200
    for user, heading in [(clinician, "Your caseload"), (supervisor, "Your supervisees"), (admin, "Practice overview")]:
        c = Client()
        c.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
        if user == admin:
            c.post("/accounts/two-factor/verify/", {"token": backup_code(admin)})
        assert heading in c.get("/").content.decode()
