"""The signer's check before every signature (accounts/reauth.py): the password, or the
authenticator code for someone with two-factor; wrong answers refused, counted, paused and logged
without what was typed."""

import pytest
from django.core.exceptions import ValidationError
from django_otp.oath import TOTP

from accounts.reauth import confirm_signer, failures
from audit.models import AccessLog
from tests.factories import PASSWORD
from tests.two_factor import enroll


def _refusal(field, **answer):
    with pytest.raises(ValidationError) as caught:
        confirm_signer(act="plan 7 sign", **answer)
    assert list(caught.value.message_dict) == [field]
    return caught.value.message_dict[field][0]


def _code(device) -> str:
    token = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
    return f"{token:0{device.digits}d}"


def test_the_right_password_confirms_the_signer_and_logs_no_refusal(clinician):
    confirm_signer(user=clinician, password=PASSWORD)
    assert not AccessLog.objects.filter(action="signer_check").exists()


def test_a_wrong_password_is_refused_on_the_password_field_and_logged_without_the_secret(clinician):
    message = _refusal("password", user=clinician, password="hunter2-wrong")
    assert "not right" in message and "Nothing was signed" in message
    row = AccessLog.objects.get(action="signer_check")
    assert row.outcome == "failed" and row.actor == clinician and row.object_id == str(clinician.pk)
    assert "wrong password" in row.detail and "plan 7 sign" in row.detail
    assert "hunter2" not in row.detail and PASSWORD not in row.detail


def test_a_missing_password_says_what_to_type_and_costs_no_attempt(clinician):
    assert "Type your password" in _refusal("password", user=clinician, password="")
    assert failures(clinician) == 0
    assert AccessLog.objects.get(action="signer_check").detail.startswith("missing password")


def test_someone_with_two_factor_confirms_with_a_fresh_totp_code(clinician):
    device = enroll(clinician)
    confirm_signer(user=clinician, otp_code=_code(device))


def test_someone_with_two_factor_is_asked_for_the_code_even_with_the_right_password(clinician):
    enroll(clinician)
    assert "authenticator app" in _refusal("otp_code", user=clinician, password=PASSWORD)


def test_a_wrong_or_reused_code_is_refused_on_the_code_field(clinician):
    device = enroll(clinician)
    wrong = f"{(int(_code(device)) + 1) % 10**device.digits:0{device.digits}d}"
    assert "not right" in _refusal("otp_code", user=clinician, otp_code=wrong)
    device.refresh_from_db()
    device.throttle_reset()  # django-otp throttles a device after a wrong code; the next one is a new try
    code = _code(device)
    confirm_signer(user=clinician, otp_code=code)
    assert "already used" in _refusal("otp_code", user=clinician, otp_code=code)


def test_after_the_sign_in_limit_of_wrong_answers_even_the_right_one_is_paused(clinician, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        _refusal("password", user=clinician, password="wrong")
    assert failures(clinician) == 3
    assert "paused" in _refusal("password", user=clinician, password=PASSWORD)
    assert AccessLog.objects.filter(action="signer_check", detail__startswith="paused").count() == 1


def test_a_right_answer_clears_the_count_of_wrong_ones(clinician):
    _refusal("password", user=clinician, password="wrong")
    confirm_signer(user=clinician, password=PASSWORD)
    assert failures(clinician) == 0


def test_the_count_is_per_person(clinician, colleague, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        _refusal("password", user=clinician, password="wrong")
    confirm_signer(user=colleague, password=PASSWORD)
