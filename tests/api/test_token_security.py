"""API tokens obey the same sign-in rules as the browser: lockout, throttle, two-factor, sign-out."""

import datetime as dt

import time_machine
from django.conf import settings
from django.test import Client as WebClient
from django.test import override_settings
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.lockout import LOCKOUT_MESSAGE
from accounts.models import TokenSignIn
from audit.models import AccessLog
from tests.factories import PASSWORD
from tests.two_factor import backup_code, current_code, enroll

TOKEN = "/api/v1/auth/token/"
LOGIN = "/accounts/login/"
ADDRESS = "192.0.2.20"


def _token_client(address=ADDRESS) -> APIClient:
    return APIClient(REMOTE_ADDR=address)


def _ask(client, email, password, **extra):
    return client.post(TOKEN, {"email": email, "password": password, **extra}, format="json")


def _use(token: str, path="/api/v1/clients/"):
    caller = APIClient()
    caller.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return caller.get(path)


# --- Lockout and throttle ---------------------------------------------------------


def test_token_endpoint_refuses_a_locked_out_account_even_with_the_right_password(clinician):
    client = _token_client()
    statuses = [_ask(client, clinician.email, "wrong").status_code for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert statuses == [400] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    response = _ask(client, clinician.email, PASSWORD)
    assert response.status_code == 429
    assert response.json() == {"status": 429, "code": "locked_out", "detail": LOCKOUT_MESSAGE, "fields": {}}
    assert response["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    assert not AuthToken.objects.filter(user=clinician).exists()
    assert AccessLog.objects.filter(action="lockout", object_id=str(clinician.pk), ip=ADDRESS).exists()


def test_the_token_endpoint_and_the_sign_in_form_refuse_alike_after_a_lockout_by_the_form(clinician):
    form = WebClient(REMOTE_ADDR=ADDRESS)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        form.post(LOGIN, {"username": clinician.email, "password": "wrong"})
    page = form.post(LOGIN, {"username": clinician.email, "password": PASSWORD})
    api = _ask(_token_client(), clinician.email.upper(), PASSWORD)
    assert page.status_code == api.status_code == 429
    assert LOCKOUT_MESSAGE in page.content.decode()
    assert api.json()["detail"] == LOCKOUT_MESSAGE
    assert not AuthToken.objects.filter(user=clinician).exists()


def test_a_lockout_through_the_token_endpoint_also_locks_the_sign_in_form(clinician):
    client = _token_client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _ask(client, clinician.email, "wrong")
    page = WebClient(REMOTE_ADDR=ADDRESS).post(LOGIN, {"username": clinician.email, "password": PASSWORD})
    assert page.status_code == 429 and LOCKOUT_MESSAGE in page.content.decode()


def test_a_token_is_issued_again_after_the_cool_off(clinician):
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        client = _token_client()
        for _ in range(settings.AXES_FAILURE_LIMIT):
            _ask(client, clinician.email, "wrong")
        assert _ask(client, clinician.email, PASSWORD).status_code == 429
        clock.shift(settings.AXES_COOLOFF_TIME + dt.timedelta(seconds=1))
        assert _ask(client, clinician.email, PASSWORD).status_code == 201


@override_settings(API_TOKEN_THROTTLE_RATE="3/minute")
def test_token_requests_are_throttled_per_address(clinician, colleague):
    client = _token_client()
    for _ in range(3):
        assert _ask(client, colleague.email, PASSWORD).status_code == 201
    throttled = _ask(client, clinician.email, PASSWORD)
    assert throttled.status_code == 429 and throttled.json()["code"] == "throttled"
    assert "Retry-After" in throttled
    # Another address has its own allowance.
    assert _ask(_token_client("192.0.2.99"), clinician.email, PASSWORD).status_code == 201


def test_the_default_token_throttle_is_configured():
    from accounts.api.views import TokenRequestThrottle

    assert TokenRequestThrottle().get_rate() == settings.API_TOKEN_THROTTLE_RATE == "10/minute"


# --- Two-factor -------------------------------------------------------------------


def test_an_admin_gets_no_token_with_the_password_alone(admin):
    backup_code(admin)
    response = _ask(_token_client(), admin.email, PASSWORD)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and list(body["fields"]) == ["otp"]
    assert "`otp`" in body["fields"]["otp"][0]
    assert not AuthToken.objects.filter(user=admin).exists()


def test_an_admin_who_must_use_two_factor_but_has_not_set_it_up_is_told_to_set_it_up(admin):
    response = _ask(_token_client(), admin.email, PASSWORD, otp="123456")
    assert response.status_code == 400
    assert "set it up in the browser" in response.json()["fields"]["otp"][0]
    assert not AuthToken.objects.exists()


def test_a_wrong_code_gets_no_token_and_is_logged(admin):
    enroll(admin)
    response = _ask(_token_client(), admin.email, PASSWORD, otp="000000x")
    assert response.status_code == 400 and "not right" in response.json()["fields"]["otp"][0]
    assert AccessLog.objects.filter(action="two_factor", outcome="failed", actor=admin).exists()
    assert not AuthToken.objects.exists()


def test_a_current_code_gets_a_token_that_reads_records(admin):
    device = enroll(admin)
    response = _ask(_token_client(), admin.email, PASSWORD, otp=current_code(device))
    assert response.status_code == 201
    assert TokenSignIn.objects.get(token__user=admin).two_factor is True
    assert _use(response.json()["token"]).status_code == 200


def test_a_backup_code_gets_a_token_once(admin):
    code = backup_code(admin)
    assert _ask(_token_client(), admin.email, PASSWORD, otp=code).status_code == 201
    again = _ask(_token_client(), admin.email, PASSWORD, otp=code)
    assert again.status_code == 400 and "otp" in again.json()["fields"]


def test_a_clinician_who_set_up_two_factor_needs_a_code_too(clinician):
    device = enroll(clinician)
    assert _ask(_token_client(), clinician.email, PASSWORD).status_code == 400
    assert _ask(_token_client(), clinician.email, PASSWORD, otp=current_code(device)).status_code == 201


def test_a_clinician_without_two_factor_gets_a_token_with_the_password(clinician):
    response = _ask(_token_client(), clinician.email, PASSWORD)
    assert response.status_code == 201
    assert TokenSignIn.objects.get(token__user=clinician).two_factor is False
    assert _use(response.json()["token"]).status_code == 200


def test_a_password_only_token_stops_working_once_the_practice_requires_two_factor(clinician, practice):
    token = _ask(_token_client(), clinician.email, PASSWORD).json()["token"]
    assert _use(token).status_code == 200
    practice.require_two_factor = True
    practice.save()
    for path in ["/api/v1/clients/", "/api/v1/plans/", "/api/v1/measures/"]:
        response = _use(token, path)
        assert response.status_code == 401, path
        assert response.json()["code"] == "two_factor_required"
        assert response["WWW-Authenticate"] == "Token"


def test_a_password_only_token_stops_working_once_its_owner_sets_up_two_factor(clinician):
    token = _ask(_token_client(), clinician.email, PASSWORD).json()["token"]
    enroll(clinician)
    assert _use(token).status_code == 401


def test_a_token_made_without_a_record_of_its_factor_counts_as_password_only(admin):
    _, token = AuthToken.objects.create(admin)  # e.g. minted before tokens recorded their factor
    assert _use(token).status_code == 401
    assert _use(token, "/api/v1/plans/").json()["code"] == "two_factor_required"


def test_a_token_that_no_longer_suffices_can_still_be_revoked(clinician, practice):
    token = _ask(_token_client(), clinician.email, PASSWORD).json()["token"]
    practice.require_two_factor = True
    practice.save()
    caller = APIClient()
    caller.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert caller.delete("/api/v1/auth/tokens/").status_code == 204
    assert not AuthToken.objects.filter(user=clinician).exists()


# --- Ending sessions revokes tokens -------------------------------------------------


def _tokens_for(user, count=2) -> list[str]:
    return [_ask(_token_client(f"192.0.2.{30 + i}"), user.email, PASSWORD).json()["token"] for i in range(count)]


def test_signing_out_revokes_the_persons_api_tokens(clinician, colleague, login):
    mine, theirs = _tokens_for(clinician), _tokens_for(colleague, 1)
    login(clinician).post("/accounts/logout/")
    assert [_use(t).status_code for t in mine] == [401, 401]
    assert _use(theirs[0]).status_code == 200
    assert not AuthToken.objects.filter(user=clinician).exists()


def test_a_password_change_revokes_every_api_token(clinician, login):
    tokens = _tokens_for(clinician)
    web = login(clinician)
    new = "another-long-passphrase-17"
    response = web.post(
        "/accounts/password/change/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    assert web.get("/").status_code == 200  # the session that changed it stays
    assert [_use(t).status_code for t in tokens] == [401, 401]


def test_a_password_reset_revokes_every_api_token(clinician, client):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    tokens = _tokens_for(clinician)
    clinician.refresh_from_db()
    uid = urlsafe_base64_encode(force_bytes(clinician.pk))
    form_url = client.get(
        f"/accounts/password/reset/{uid}/{default_token_generator.make_token(clinician)}/", follow=True
    ).redirect_chain[-1][0]
    new = "a-brand-new-passphrase-88"
    assert client.post(form_url, {"new_password1": new, "new_password2": new}).status_code == 302
    assert [_use(t).status_code for t in tokens] == [401, 401]


def test_a_password_changed_outside_the_app_ends_the_tokens_issued_under_the_old_one(clinician):
    old = _tokens_for(clinician, 1)[0]
    clinician.set_password("changed-in-a-shell-or-the-admin-42")  # no service, no sign-out
    clinician.save()
    response = _use(old)
    assert response.status_code == 401 and response.json()["code"] == "password_changed"
    new = _ask(_token_client(), clinician.email, "changed-in-a-shell-or-the-admin-42").json()["token"]
    assert _use(new).status_code == 200


def test_deactivating_someone_revokes_their_api_tokens(clinician, admin, login):
    tokens = _tokens_for(clinician)
    web = login(admin)
    assert web.post(f"/accounts/staff/{clinician.membership.pk}/active/", {"active": "0"}).status_code == 302
    assert not AuthToken.objects.filter(user=clinician).exists()
    assert [_use(t).status_code for t in tokens] == [401, 401]


def test_every_api_endpoint_applies_the_two_factor_permission():
    from django.urls import get_resolver

    from accounts.api.permissions import TwoFactorSatisfied
    from accounts.api.views import AllTokensView, TokenView
    from core.api.views import NotFoundView

    # Only revoking and creating tokens, and the JSON 404, may do without it.
    exempt = {TokenView, AllTokensView, NotFoundView}
    checked = []

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns, route)
                continue
            view = getattr(pattern.callback, "cls", None)
            if route.startswith("api/v1/") and view is not None and view not in exempt:
                assert TwoFactorSatisfied in view.permission_classes, route
                checked.append(route)

    walk(get_resolver().url_patterns)
    assert len(checked) > 20
