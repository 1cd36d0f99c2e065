"""Three lockout limits: one account from one address, one address across accounts, one account
across addresses; the sign-in form and the token endpoint count toward all three alike."""

from django.conf import settings
from django.test import Client as WebClient
from rest_framework.test import APIClient

from accounts.lockout import LOCKOUT_MESSAGE
from audit.models import AccessLog
from tests.config.test_settings import PRODUCTION_ENV, _run_with_settings
from tests.factories import PASSWORD, staff

LOGIN = "/accounts/login/"
TOKEN = "/api/v1/auth/token/"


def _form(address):
    return WebClient(REMOTE_ADDR=address)


def _fail_form(address, email, times) -> list[int]:
    return [_form(address).post(LOGIN, {"username": email, "password": "wrong"}).status_code for _ in range(times)]


def _sign_in(address, email):
    return _form(address).post(LOGIN, {"username": email, "password": PASSWORD}).status_code


def test_the_default_limits_are_five_per_pair_twenty_per_address_and_ten_per_account():
    assert (settings.AXES_FAILURE_LIMIT, settings.AXES_IP_FAILURE_LIMIT, settings.AXES_ACCOUNT_FAILURE_LIMIT) == (
        5,
        20,
        10,
    )


def test_the_limits_are_read_from_the_environment():
    code = "from django.conf import settings as s; print(s.AXES_IP_FAILURE_LIMIT, s.AXES_ACCOUNT_FAILURE_LIMIT)"
    env = {**PRODUCTION_ENV, "AXES_IP_FAILURE_LIMIT": "30", "AXES_ACCOUNT_FAILURE_LIMIT": "12"}
    result = _run_with_settings(code, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["30", "12"]


def test_one_address_cannot_try_a_few_passwords_on_every_account(practice):
    address = "192.0.2.40"
    per_account = settings.AXES_FAILURE_LIMIT - 1
    victims = [staff(practice, is_clinician=True) for _ in range(settings.AXES_IP_FAILURE_LIMIT // per_account + 1)]
    for victim in victims[:-1]:
        _fail_form(address, victim.email, per_account)
    # The address reached its limit: even a right password for an untouched account is refused.
    response = _form(address).post(LOGIN, {"username": victims[-1].email, "password": PASSWORD})
    assert response.status_code == 429 and LOCKOUT_MESSAGE in response.content.decode()
    api = APIClient(REMOTE_ADDR=address).post(TOKEN, {"email": victims[-1].email, "password": PASSWORD}, format="json")
    assert api.status_code == 429 and api.json()["code"] == "locked_out"
    # The accounts themselves are not locked: their owners sign in from elsewhere.
    assert _sign_in("192.0.2.41", victims[0].email) == 302
    lockout = AccessLog.objects.filter(action="lockout").last()
    assert "from this address across accounts" in lockout.detail


def test_below_the_address_limit_sign_in_works_and_a_success_does_not_reset_the_address_count(practice):
    address = "192.0.2.42"
    per_account = settings.AXES_FAILURE_LIMIT - 1
    limit = settings.AXES_IP_FAILURE_LIMIT
    victims = [staff(practice, is_clinician=True) for _ in range(limit // per_account + 1)]
    own = staff(practice, is_clinician=True)
    remaining = limit - 1
    for victim in victims:
        assert set(_fail_form(address, victim.email, min(per_account, remaining))) <= {200}
        remaining -= min(per_account, remaining)
    assert AccessLog.objects.filter(action="login_failed").count() == limit - 1
    # A guesser with an account of their own signs in: that clears only their own failures.
    assert _sign_in(address, own.email) == 302
    assert _fail_form(address, victims[-1].email, 1) == [429]  # the address limit, not the pair
    assert _sign_in(address, own.email) == 429


def test_many_addresses_cannot_guess_one_account_without_limit(clinician):
    per_address = settings.AXES_FAILURE_LIMIT - 1
    addresses = [f"198.51.100.{i}" for i in range(1, 20)]
    failures = 0
    for i, address in enumerate(addresses):
        if failures >= settings.AXES_ACCOUNT_FAILURE_LIMIT:
            break
        times = min(per_address, settings.AXES_ACCOUNT_FAILURE_LIMIT - failures)
        if i % 2:  # half through the token endpoint: both count for the same account
            for _ in range(times):
                APIClient(REMOTE_ADDR=address).post(TOKEN, {"email": clinician.email, "password": "x"}, format="json")
        else:
            _fail_form(address, clinician.email, times)
        failures += times
    fresh = "203.0.113.7"
    response = _form(fresh).post(LOGIN, {"username": clinician.email, "password": PASSWORD})
    assert response.status_code == 429
    api = APIClient(REMOTE_ADDR=fresh).post(TOKEN, {"email": clinician.email, "password": PASSWORD}, format="json")
    assert api.status_code == 429 and api.json()["detail"] == LOCKOUT_MESSAGE
    assert "for this account across addresses" in AccessLog.objects.filter(action="lockout").last().detail


def test_below_the_account_limit_the_owner_still_signs_in(clinician, colleague):
    failures = settings.AXES_ACCOUNT_FAILURE_LIMIT - 1
    for i in range(failures):
        _fail_form(f"198.51.100.{i + 1}", clinician.email, 1)
    assert _sign_in("203.0.113.8", clinician.email) == 302
    assert _sign_in("198.51.100.1", colleague.email) == 302


def test_a_limit_below_one_or_a_malformed_throttle_rate_is_refused_at_start_up():
    for name, value, message in [
        ("AXES_IP_FAILURE_LIMIT", "0", "AXES_IP_FAILURE_LIMIT must be a whole number of failures, 1 or more."),
        ("API_TOKEN_THROTTLE_RATE", "ten a minute", "API_TOKEN_THROTTLE_RATE must look like 10/minute"),
    ]:
        result = _run_with_settings("", env={**PRODUCTION_ENV, name: value})
        assert result.returncode != 0 and message in result.stderr, name
